// The latent-control component: decodes in the browser on every input event and draws on a canvas.
// Streamlit's component protocol (v1) is a few postMessage calls, written out here so the app needs
// no Node.js build. Python hears back only when the user lets go (one setComponentValue).
import { fetchImmutable, stored } from "./cache.js";
import { BUILDERS, createControl, loadRuntime } from "./core.js";

function send(type, fields) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...fields }, "*");
}

// Unique across reloads of the frame, so the page never mistakes a new release for one it handled.
const session = Math.random().toString(36).slice(2, 8);
let sequence = 0;

// control.stats is what the benchmark and the browser tests read: frames decoded and drawn, decode
// times, errors. A release sends the code back to Python; `seq` makes a repeated value a new event.
const control = createControl({
  release: (value) =>
    send("streamlit:setComponentValue", { value: { ...value, seq: `${session}-${++sequence}` }, dataType: "json" }),
  fail: (error) => fail(error),
});
const { stats, maths, makeRenderer } = control;
const mark = control.mark;
window.latentControl = control;
control.stored = stored;

function fail(error) {
  const message = String(error && error.message ? error.message : error);
  if (stats.error) return;
  stats.error = message;
  const root = document.getElementById("root");
  root.innerHTML = "";
  const note = document.createElement("p");
  note.className = "failure";
  note.textContent = `In-browser decoding is unavailable: ${message}.`;
  root.appendChild(note);
  send("streamlit:setComponentValue", { value: { error: message, seq: `${session}-${++sequence}` }, dataType: "json" });
  fitHeight();
}

function fitHeight() {
  send("streamlit:setFrameHeight", { height: Math.ceil(document.documentElement.scrollHeight) + 4 });
}

let built = null; // {key, update(args)} of the UI now on screen

async function render(args, theme) {
  if (theme) {
    document.body.style.color = theme.textColor || "";
    document.body.style.fontFamily = theme.font || "sans-serif";
    document.documentElement.style.setProperty("--primary", theme.primaryColor || "#ff4b4b");
  }
  const key = `${args.mode}|${args.model_url}|${args.data_url || ""}`;
  if (built && built.key === key) {
    built.update(args);
    return;
  }
  built = { key, update: () => {} };
  mark("first_render");
  control.decoder = null;
  control.waiting.clear();
  // The model downloads while the runtime compiles; the controls work at once and the first
  // decode runs as soon as both are in.
  const modelBytes = fetchBytes(args.model_url);
  const root = document.getElementById("root");
  try {
    const data = args.data_url ? await (await fetchImmutable(args.data_url)).json() : null;
    root.innerHTML = "";
    const update = BUILDERS[args.mode](root, args, { data, makeRenderer, control, maths, fitHeight });
    built = { key, update };
    fitHeight();
    const { loadDecoder } = await runtime;
    mark("runtime_imported");
    const decoder = await loadDecoder(await modelBytes, args.latent_dim, args.shape, args.conditional);
    mark("decoder_ready");
    control.ready(decoder);
  } catch (error) {
    fail(error);
  }
  fitHeight();
}

async function fetchBytes(url) {
  const response = await fetchImmutable(url); // named by its content (latent_control.write_asset)
  if (!response.ok) throw new Error(`the decoder file could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

// Started at once, while Streamlit sends the first render: compiling the runtime's WebAssembly is
// most of the first second. A dynamic import, so a browser that cannot load it still gets a message.
const runtime = loadRuntime(); // a failure is reported by render() when awaited

window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") render(event.data.args, event.data.theme);
});
new ResizeObserver(fitHeight).observe(document.body);
// Ready at once (Streamlit hides the frame until then); the runtime loads after the first render.
send("streamlit:componentReady", { apiVersion: 1 });
mark("ready_sent");
