"""What the explorer pages compute: latent maths (latent), encode/decode for display (inference),
the verdict (verdict, lab), figures, the Compare page's maths, attribute directions."""
