// The static site's shell (`python -m aelib export-site`): the same builders, maths and decoder as
// the Streamlit component (core.js), fed from the exported files instead of from Python. Only this
// file and site.html differ from the component. The address carries the state in the app's format
// (`?model=&z=&label=`, plus `view=` here), so a link opens the same image in the site or the app.
import { createControl, loadRuntime } from "./core.js";
import { codeFromText, codeToText, indexFromText } from "./codetext.js";
import { attach, buildView, defaultEnds, showNearest } from "./site_views.js";
import { element } from "./widgets.js";

const VIEWS = ["generate", "map", "interpolate"];
const LAB_PAGES = { generate: "Generate", map: "Latent_map", interpolate: "Interpolate" };
const $ = (id) => document.getElementById(id);
const [root, extra, notes] = [$("root"), $("extra"), $("notes")];

const noWebAssembly = typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function";
const control = createControl({ release: released, fail: decodingFailed });
window.latentControl = control; // stats, as in the component: read by the tests and the benchmark
const runtime = loadRuntime(); // the runtime compiles while the page loads its files

// A note above the views; a link's notes (kind "link") go when another address is opened.
function note(text, kind) {
  const node = element("p", { class: `failure note-${kind}`, text }, notes);
  node.dataset.kind = kind;
  return node;
}

function decodingFailed(error) {
  const message = String(error && error.message ? error.message : error);
  if (control.stats.error) return;
  control.stats.error = message;
  note(`In-browser decoding is unavailable: ${message}.`, "decoder");
}

if (noWebAssembly) {
  control.stats.error = "no WebAssembly";
  note(
    "This browser has no WebAssembly, which the decoder needs: the controls work, but no image can be " +
      "decoded here. Any current Chrome, Edge, Firefox or Safari has it (it may be turned off by a policy).",
    "decoder",
  );
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} could not be fetched (HTTP ${response.status})`);
  return response.json();
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the decoder file could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadImage(url) {
  const image = new Image();
  image.src = url;
  await image.decode();
  return image;
}

// Per model, fetched once: its files, and its decoder (the download starts before model.json is in).
const models = new Map();
const decoders = new Map();

function modelFiles(entry) {
  if (!models.has(entry.id)) {
    const folder = entry.folder;
    const files = Promise.all([fetchJson(`${folder}model.json`), fetchJson(`${folder}map.json`), loadImage(`${folder}sprite.png`)]);
    const model = files.then(([info, data, sprite]) => ({ entry, info, data, sprite }));
    model.catch(() => models.delete(entry.id));
    models.set(entry.id, model);
  }
  return models.get(entry.id);
}

function decoderFor(entry) {
  if (!decoders.has(entry.id)) {
    const bytes = fetchBytes(`${entry.folder}decoder.onnx`);
    bytes.catch(() => {});
    const decoder = runtime.then(async ({ loadDecoder }) =>
      loadDecoder(await bytes, entry.latent_dim, entry.shape, entry.conditional),
    );
    decoder.catch(() => decoders.delete(entry.id));
    decoders.set(entry.id, decoder);
  }
  return decoders.get(entry.id);
}

const site = await fetchJson("site.json").catch((error) => {
  root.replaceChildren();
  note(`This site's list of models could not be loaded (${error.message}).`, "site");
  throw error;
});
const byId = new Map(site.models.map((entry) => [entry.id, entry]));
document.title = site.title;
$("site-title").textContent = site.title;

// What the address and the views share: the model, the view, the current code (and class).
const state = { model: null, view: "generate", code: null, label: null, codeInUrl: false, method: null, ends: null, path: "linear" };
let generation = 0; // a newer address or model choice makes older loads stale
let update = () => {}; // the view's builder's update(next args)
attach({
  state,
  control,
  root,
  extra,
  clip: (code) => clip(code),
  update: (next) => update(next),
  renderView: () => renderView(),
  writeUrl: (push) => writeUrl(push),
});

const modelPicker = $("model");
site.models.forEach((entry) => element("option", { value: entry.id, text: `${entry.id} · ${entry.title}` }, modelPicker));
$("model-row").hidden = site.models.length < 2;
// A code belongs to the model it was made with: another model starts from its own first image.
modelPicker.addEventListener("change", () => showModel(byId.get(modelPicker.value), null, true));
document.querySelectorAll("[data-view]").forEach((button) =>
  button.addEventListener("click", () => {
    state.view = button.dataset.view;
    renderView();
    writeUrl(true);
  }),
);
window.addEventListener("popstate", () => openAddress());

function clip(code) {
  const { low, high } = state.model.info.bounds;
  return code.map((v, d) => Math.min(high[d], Math.max(low[d], v)));
}

// Opens what the address names; what cannot be used is said, and the default is shown instead.
async function openAddress() {
  notes.querySelectorAll('[data-kind="link"]').forEach((node) => node.remove());
  const params = new URLSearchParams(location.search);
  const wanted = params.get("model");
  let entry = site.models[0];
  if (wanted && byId.has(wanted)) entry = byId.get(wanted);
  else if (wanted) {
    const available = site.models.map((m) => m.id).join(", ");
    note(`Unknown model in the link: “${wanted}”. Available here: ${available}. Showing ${entry.id}.`, "link");
  }
  const view = params.get("view");
  state.view = VIEWS.includes(view) ? view : "generate";
  if (view && !VIEWS.includes(view)) note(`Unknown view in the link: “${view}”. Showing Generate.`, "link");
  await showModel(entry, { z: params.get("z"), label: params.get("label") });
}

// link: the address's z and label (null for a model chosen here); push: a new history entry.
async function showModel(entry, link, push = false) {
  const token = ++generation;
  modelPicker.value = entry.id;
  decoderFor(entry); // downloading while the model's other files arrive
  let model;
  try {
    model = await modelFiles(entry);
  } catch (error) {
    if (token === generation) note(`The files of ${entry.id} could not be loaded: ${error.message}.`, "site");
    return;
  }
  if (token !== generation) return;
  const { info, data } = model;
  state.model = model;
  state.code = info.start.code.slice();
  state.label = info.start.label;
  state.method = data.tsne && info.latent_dim > 2 ? "t-SNE" : "PCA";
  state.ends = defaultEnds(data);
  state.codeInUrl = false;
  $("card").textContent = info.card.join(" · ");
  if (link && link.z) {
    try {
      state.code = clip(codeFromText(link.z, info.latent_dim));
      state.codeInUrl = true;
    } catch (error) {
      note(`The link's code was not used: ${error.message}. Showing the first test image's code.`, "link");
    }
  }
  if (link && link.z && info.conditional && link.label !== null) {
    const label = indexFromText(link.label, info.class_names.length);
    if (label === null) note(`The link's class was not used: it must be a number from 0 to ${info.class_names.length - 1}.`, "link");
    else state.label = label;
  }
  renderView();
  writeUrl(push);
}

function renderView() {
  const model = state.model;
  if (!model) return;
  document.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === state.view)));
  extra.replaceChildren();
  root.replaceChildren();
  root.dataset.view = state.view;
  control.decoder = null;
  control.waiting.clear();
  update = buildView(model);
  const token = generation;
  decoderFor(model.entry).then(
    (decoder) => token === generation && state.model === model && control.ready(decoder),
    decodingFailed,
  );
  updateLabLink();
}

// A release (the user let go) makes its code the current one, which the address then carries.
function released(value) {
  const model = state.model;
  if (!model || !value.code) return;
  state.code = value.code.slice();
  if (model.info.conditional && value.label !== undefined) state.label = value.label;
  state.codeInUrl = true;
  writeUrl(false);
  if (value.event === "click" && value.point) showNearest(model, value.point);
}

function query() {
  const params = new URLSearchParams({ model: state.model.entry.id });
  if (state.codeInUrl) {
    params.set("z", codeToText(state.code));
    if (state.model.info.conditional && state.label !== null) params.set("label", String(state.label));
  }
  return params;
}

// Written only when it changes; a new model or view is a new history entry (Back returns to it).
function writeUrl(push) {
  if (!state.model) return;
  const params = query();
  if (state.view !== "generate") params.set("view", state.view);
  const address = `${location.pathname}?${params}`;
  if (address !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", address);
  updateLabLink();
}

function updateLabLink() {
  const link = $("lab-link");
  if (!site.lab_url || !state.model) return;
  link.hidden = false;
  link.href = `${site.lab_url}/${LAB_PAGES[state.view]}?${query()}`;
}

// The tests' and the benchmark's way in: decode with a model's decoder as the site loads it.
window.latentSite = {
  state,
  async decode(modelId, codes, n, labels) {
    const decoder = await decoderFor(byId.get(modelId));
    return Array.from(await decoder.decode(codes, n, labels ?? 0));
  },
};

await openAddress();
