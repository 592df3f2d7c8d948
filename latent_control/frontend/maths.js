// The latent maths the controls need between pointer events: the same formulas as aelib/explore/latent.py,
// done here so a drag never waits for the server. No dependencies, so it loads even without WebAssembly.

// Pixels (C*H*W floats in [0, 1], channel-major) -> an RGBA ImageData of H x W: `into` when given
// (written in place: the live renderer reuses one per canvas instead of allocating one per frame),
// else a new one.
export function toImageData(pixels, shape, offset = 0, into = null) {
  const [channels, height, width] = shape;
  const plane = height * width;
  const image = into ?? new ImageData(width, height);
  const rgba = image.data;
  const [r, g, b] = channels === 3 ? [offset, offset + plane, offset + 2 * plane] : [offset, offset, offset];
  for (let i = 0; i < plane; i++) {
    rgba[4 * i] = Math.round(Math.min(1, Math.max(0, pixels[r + i])) * 255);
    rgba[4 * i + 1] = Math.round(Math.min(1, Math.max(0, pixels[g + i])) * 255);
    rgba[4 * i + 2] = Math.round(Math.min(1, Math.max(0, pixels[b + i])) * 255);
    rgba[4 * i + 3] = 255;
  }
  return image;
}

// The code at PCA-map coordinates (x, y): mean + x * components[0] + y * components[1].
export function pcaInverse(mean, components, x, y) {
  return mean.map((m, d) => m + x * components[0][d] + y * components[1][d]);
}

// A spot on a map with no inverse (t-SNE): inverse-distance weighted mean of the codes of the
// k nearest points, as aelib.explore.latent.neighbour_blend.
export function neighbourBlend(points, codes, x, y, k = 8) {
  const distances = points.map(([px, py], i) => [Math.hypot(px - x, py - y), i]);
  distances.sort((a, b) => a[0] - b[0]);
  const nearest = distances.slice(0, k);
  if (nearest[0][0] < 1e-9) return codes[nearest[0][1]].slice();
  const code = new Array(codes[0].length).fill(0);
  let total = 0;
  for (const [distance, i] of nearest) {
    const weight = 1 / distance;
    total += weight;
    codes[i].forEach((v, d) => (code[d] += weight * v));
  }
  return code.map((v) => v / total);
}

export function lerp(z0, z1, t) {
  return z0.map((a, d) => (1 - t) * a + t * z1[d]);
}

// Spherical interpolation (Shoemake 1985), as aelib.explore.latent.slerp (lerp when the endpoints are parallel).
export function slerp(z0, z1, t) {
  const dot = z0.reduce((s, a, d) => s + a * z1[d], 0);
  const cos = dot / Math.max(Math.hypot(...z0) * Math.hypot(...z1), 1e-12);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  if (omega < 1e-6) return lerp(z0, z1, t);
  const a = Math.sin((1 - t) * omega) / Math.sin(omega);
  const b = Math.sin(t * omega) / Math.sin(omega);
  return z0.map((v, d) => a * v + b * z1[d]);
}

// Principal directions, as aelib.explore.latent.to_principal / set_principal.
export function toPrincipal(pcs, code, i) {
  let amount = 0;
  for (let d = 0; d < code.length; d++) amount += (code[d] - pcs.mean[d]) * pcs.directions[i][d];
  return amount / Math.max(pcs.std[i], 1e-8);
}

export function setPrincipal(pcs, code, i, amount) {
  const shift = (amount - toPrincipal(pcs, code, i)) * pcs.std[i];
  return code.map((v, d) => v + shift * pcs.directions[i][d]);
}
