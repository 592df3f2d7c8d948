// A model's decoder in the browser: ONNX Runtime Web on WebAssembly, vendored (see vendor/README.md).
import * as ort from "./vendor/onnxruntime-web/ort.wasm.bundle.min.mjs";

// Threads need SharedArrayBuffer, which needs cross-origin isolation that a Streamlit component's
// iframe does not have; one thread decodes our models in about a millisecond anyway.
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = { wasm: new URL("./vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm", import.meta.url).href };

export function webAssemblyMissing() {
  return typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function";
}

// shape: [channels, height, width]. Returns {decode(codes, n, label) -> Float32Array (n*C*H*W)}.
export async function loadDecoder(url, latentDim, shape, conditional) {
  if (webAssemblyMissing()) throw new Error("this browser has no WebAssembly");
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the decoder file could not be fetched (HTTP ${response.status})`);
  const session = await ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  // codes: n * latentDim numbers; label: one class for all, or one per code (conditional models).
  async function decode(codes, n = 1, label = 0) {
    const feeds = { z: new ort.Tensor("float32", Float32Array.from(codes), [n, latentDim]) };
    if (conditional) {
      const classOf = (i) => BigInt(Array.isArray(label) ? label[i] : label);
      feeds.label = new ort.Tensor("int64", BigInt64Array.from({ length: n }, (_, i) => classOf(i)), [n]);
    }
    const output = await session.run(feeds);
    return output.image.data;
  }
  return { decode, shape };
}
