// The latent-control component: decodes in the browser on every input event and draws on a canvas.
// Streamlit's component protocol (v1) is a few postMessage calls, written out here so the app needs
// no Node.js build. Python hears back only when the user lets go (one setComponentValue).
import * as maths from "./maths.js";
import { buildGenerate } from "./generate.js";
import { buildInterpolate } from "./interpolate.js";
import { buildMap } from "./map.js";

const BUILDERS = { generate: buildGenerate, map: buildMap, interpolate: buildInterpolate };

function send(type, fields) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...fields }, "*");
}

// What the benchmark and the browser tests read: frames decoded and drawn, decode times, errors.
const stats = {
  events: 0,
  decodes: 0,
  drawn: 0,
  decodeMs: [],
  drawnAt: [],
  firstImageMs: null,
  error: null,
  sent: 0,
  timeline: {}, // milestones of the first load, in ms since the frame started
};
const mark = (name) => (stats.timeline[name] ??= Math.round(performance.now()));
// Unique across reloads of the frame, so the page never mistakes a new release for one it handled.
const session = Math.random().toString(36).slice(2, 8);
let sequence = 0;

const control = {
  stats,
  maths,
  decoder: null, // set once the runtime and the model are loaded; renderers wait for it
  waiting: new Set(), // renderers with a request pending until then
  mark: (name) => mark(name),
  // Sends the code back to Python (on release); `seq` makes a repeated value a new event.
  release(value) {
    stats.sent += 1;
    send("streamlit:setComponentValue", { value: { ...value, seq: `${session}-${++sequence}` }, dataType: "json" });
  },
};
window.latentControl = control;

// Decodes the newest request as soon as the previous decode is done: every input event asks for
// a frame, none is queued behind a stale one.
// onDrawn(decodeMs) runs after each new image is on the canvas.
export function makeRenderer(canvas, shape, smooth, onDrawn = () => {}) {
  const [, height, width] = shape;
  const offscreen = document.createElement("canvas");
  offscreen.width = width;
  offscreen.height = height;
  const context = canvas.getContext("2d");
  let wanted = null;
  let busy = false;
  async function pump() {
    if (wanted !== null && !control.decoder) control.waiting.add(pump);
    if (busy || wanted === null || !control.decoder) return;
    busy = true;
    const { code, label } = wanted;
    wanted = null;
    try {
      const started = performance.now();
      const pixels = await control.decoder.decode(code, 1, label);
      stats.decodes += 1;
      stats.decodeMs.push(performance.now() - started);
      if (stats.decodeMs.length > 600) stats.decodeMs.splice(0, 300);
      offscreen.getContext("2d").putImageData(maths.toImageData(pixels, shape), 0, 0);
      context.imageSmoothingEnabled = smooth;
      context.imageSmoothingQuality = "high";
      context.drawImage(offscreen, 0, 0, canvas.width, canvas.height);
      stats.drawn += 1;
      stats.drawnAt.push(performance.now());
      if (stats.drawnAt.length > 600) stats.drawnAt.splice(0, 300);
      if (stats.firstImageMs === null) stats.firstImageMs = performance.now();
      mark("first_image");
      onDrawn(stats.decodeMs[stats.decodeMs.length - 1]);
    } catch (error) {
      fail(error);
    } finally {
      busy = false;
    }
    if (wanted !== null) pump();
  }
  return (code, label = 0) => {
    stats.events += 1;
    wanted = { code, label };
    pump();
  };
}

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
    const data = args.data_url ? await (await fetch(args.data_url)).json() : null;
    root.innerHTML = "";
    const update = BUILDERS[args.mode](root, args, { data, makeRenderer, control, maths, fitHeight });
    built = { key, update };
    fitHeight();
    const { loadDecoder } = await runtime;
    mark("runtime_imported");
    control.decoder = await loadDecoder(await modelBytes, args.latent_dim, args.shape, args.conditional);
    mark("decoder_ready");
    control.waiting.forEach((pump) => pump());
    control.waiting.clear();
  } catch (error) {
    fail(error);
  }
  fitHeight();
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the decoder file could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

// Started at once, while Streamlit sends the first render: compiling the runtime's WebAssembly is
// most of the first second. A dynamic import, so a browser that cannot load it still gets a message.
const runtime = import("./decoder.js").then(async (module) => {
  await module.warmUp();
  return module;
});
runtime.catch(() => {}); // reported by render() when awaited

window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") render(event.data.args, event.data.theme);
});
new ResizeObserver(fitHeight).observe(document.body);
// Ready at once (Streamlit hides the frame until then); the runtime loads after the first render.
send("streamlit:componentReady", { apiVersion: 1 });
mark("ready_sent");
