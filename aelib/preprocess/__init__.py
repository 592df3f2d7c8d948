"""A user's image made like the training data: decoding (imaging), digits by MNIST's recipe (ink,
uploads), faces (faces)."""
