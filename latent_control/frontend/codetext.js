// A code in the address bar (`?z=`), as aelib.explore.latent.code_to_text / code_from_text write and read
// it: float16, little-endian, base64url without padding. A link made by the app opens the same code
// in the static site, and the other way round.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// A number rounded to float32 then to float16 (round half to even), as numpy's astype("<f2") of
// float32 codes: the 16 bits.
export function toHalf(value) {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // infinity, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  let shift = 13;
  let half = (e << 10) | (mantissa >>> 13);
  if (e <= 0) {
    if (e < -10) return sign; // too small: zero
    mantissa |= 0x800000; // subnormal: the implicit bit becomes explicit
    shift = 14 - e;
    half = mantissa >>> shift;
  }
  const rest = mantissa & ((1 << shift) - 1);
  const middle = 1 << (shift - 1);
  if (rest > middle || (rest === middle && half & 1)) half += 1; // a carry into the exponent is right
  return sign | half;
}

export function fromHalf(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function codeToText(code) {
  const bytes = new Uint8Array(2 * code.length);
  code.forEach((value, i) => {
    const bits = toHalf(value);
    bytes[2 * i] = bits & 0xff;
    bytes[2 * i + 1] = bits >>> 8;
  });
  const base64 = btoa(String.fromCharCode(...bytes));
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// The code (an array of latentDim numbers); throws an Error whose message says what is wrong, in
// the app's words.
export function codeFromText(text, latentDim) {
  let binary;
  try {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  } catch {
    throw new Error("the code in the link is not valid base64");
  }
  if (binary.length !== 2 * latentDim) {
    const n = Math.floor(binary.length / 2);
    throw new Error(`the code in the link has ${n} value${n === 1 ? "" : "s"}; this model takes ${latentDim}`);
  }
  const code = Array.from({ length: latentDim }, (_, i) =>
    fromHalf(binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8)),
  );
  if (!code.every(Number.isFinite)) throw new Error("the code in the link holds values that are not finite numbers");
  return code;
}

// A class in the link (`&label=3`): the number when the text is 1-6 ASCII digits naming 0..n-1,
// else null (as aelib.explore.latent.index_from_text).
export function indexFromText(text, n) {
  const trimmed = (text || "").trim();
  if (!/^[0-9]{1,6}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value < n ? value : null;
}
