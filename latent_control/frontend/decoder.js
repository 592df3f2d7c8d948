// A model's decoder in the browser: ONNX Runtime Web on WebAssembly, vendored (see vendor/README.md).
import { fetchImmutable } from "./cache.js";
import * as ort from "./vendor/onnxruntime-web/ort.wasm.bundle.min.mjs";

// Threads need SharedArrayBuffer, which needs cross-origin isolation that a Streamlit component's
// iframe does not have; one thread decodes our models in about a millisecond anyway.
ort.env.wasm.numThreads = 1;
// The runtime's WebAssembly, named by its version so that the browser keeps it (cache.js).
const WASM = new URL(`./vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm?v=${ort.env.versions.common}`, import.meta.url);

export function webAssemblyMissing() {
  return typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function";
}

// A 71-byte ONNX graph, y = Identity(x) (written with the onnx Python package's helper).
const IDENTITY_MODEL = "CAg6PQoQCgF4EgF5IghJZGVudGl0eRIHd2FybV91cFoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBE=";

// ORT compiles and starts its WebAssembly (most of the first second) on the first session it
// creates; a session of the identity graph starts that before our model has arrived.
export async function warmUp() {
  if (webAssemblyMissing()) throw new Error("this browser has no WebAssembly");
  const runtime = await fetchImmutable(WASM.href);
  if (!runtime.ok) throw new Error(`the runtime could not be fetched (HTTP ${runtime.status})`);
  ort.env.wasm.wasmBinary = new Uint8Array(await runtime.arrayBuffer());
  const bytes = Uint8Array.from(atob(IDENTITY_MODEL), (c) => c.charCodeAt(0));
  await (await ort.InferenceSession.create(bytes)).release();
}

// model: the ONNX file's bytes (Uint8Array); shape: [channels, height, width].
// Returns {decode(codes, n, label) -> Float32Array (n*C*H*W), shape, latentDim}.
export async function loadDecoder(model, latentDim, shape, conditional) {
  if (webAssemblyMissing()) throw new Error("this browser has no WebAssembly");
  const session = await ort.InferenceSession.create(model, {
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
  return { decode, shape, latentDim };
}
