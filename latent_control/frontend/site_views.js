// The static site's three views around the shared builders (core.js): Generate with a test image
// to start from, the Latent map with the images nearest to a kept spot, Interpolate between two test
// images. site.js, the shell, hands them what they share with it (attach).
import { BUILDERS } from "./core.js";
import * as maths from "./maths.js";
import { caption, element, select } from "./widgets.js";

const BLANK = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

// {state, control, root, extra, clip(code), update(next), renderView(), writeUrl(push)} from site.js.
let shell = null;
export function attach(value) {
  shell = value;
}

// The view's builder on the page; returns its update(next args).
export function buildView(model) {
  return { generate: showGenerate, map: showMap, interpolate: showInterpolate }[shell.state.view](model);
}

// Interpolate starts from the first test image of the first class to the first of the second.
export function defaultEnds(data) {
  if (!data.labels) return [0, Math.min(1, data.n_test - 1)];
  const firstOf = new Map();
  for (let i = data.n_test - 1; i >= 0; i--) firstOf.set(data.labels[i], i);
  const classes = [...firstOf.keys()].sort((a, b) => a - b);
  return [firstOf.get(classes[0]), firstOf.get(classes[1 % classes.length])];
}

function modelArgs(model, mode) {
  const { info, entry } = model;
  return {
    mode,
    model_url: `${entry.folder}decoder.onnx`,
    latent_dim: info.latent_dim,
    shape: info.shape,
    conditional: info.conditional,
    smooth: info.smooth,
    image_px: info.image_px[mode],
  };
}

const context = (data) => ({ data, makeRenderer: shell.control.makeRenderer, control: shell.control, maths, fitHeight: () => {} });

// A map point's image, cut from the sprite.
function thumbnail(parent, model, index, size, attributes = {}) {
  const { info, sprite } = model;
  const [, height, width] = info.shape;
  const canvas = element("canvas", { class: "thumb", width: size, height: Math.round((size * height) / width), ...attributes }, parent);
  const drawing = canvas.getContext("2d");
  drawing.imageSmoothingEnabled = info.smooth;
  const [row, column] = [Math.floor(index / info.sprite.columns), index % info.sprite.columns];
  drawing.drawImage(sprite, column * width, row * height, width, height, 0, 0, canvas.width, canvas.height);
  return canvas;
}

function numberField(parent, label, value, max, onChange) {
  const row = element("label", { class: "select" }, parent);
  element("span", { class: "name", text: label }, row);
  const input = element("input", { type: "number", min: 0, max, step: 1, value, "aria-label": label }, row);
  input.addEventListener("change", () => {
    const n = Math.round(Number(input.value));
    const index = Number.isFinite(n) ? Math.min(max, Math.max(0, n)) : 0;
    input.value = String(index);
    onChange(index);
  });
  return input;
}

function pointLabel(model, index) {
  const { data } = model;
  const kind = data.train && data.train[index] ? "training image" : "test image";
  const name = data.labels && data.names ? ` (${data.names[data.labels[index]]})` : "";
  return `${kind} ${index < data.n_test ? index : index - data.n_test}${name}`;
}

function startFrom(model, index) {
  const { info, data } = model;
  shell.state.code = shell.clip(data.codes[index]);
  shell.state.label = info.conditional && data.labels ? data.labels[index] : shell.state.label;
  shell.state.codeInUrl = true;
}

function showGenerate(model) {
  const { info, data } = model;
  const bar = element("div", { class: "site-bar" }, shell.extra);
  let index = 0;
  const field = numberField(bar, "Test image", index, data.n_test - 1, (i) => {
    index = i;
    box.replaceChildren();
    thumbnail(box, model, index, 42);
  });
  field.dataset.testid = "test-image";
  const box = element("span", { class: "thumb-box" }, bar);
  thumbnail(box, model, index, 42);
  let revision = 0;
  const button = element("button", { type: "button", text: "Start from this test image" }, bar);
  button.addEventListener("click", () => {
    startFrom(model, index);
    shell.update({ revision: ++revision, code: shell.state.code, label: shell.state.label });
    shell.writeUrl(false);
  });
  return BUILDERS.generate(
    shell.root,
    {
      ...modelArgs(model, "generate"),
      code: shell.state.code,
      label: shell.state.label,
      class_names: info.conditional ? info.class_names : null,
      bounds: info.bounds,
      dims: info.dims,
      pcs: info.pcs,
      revision,
      preview: BLANK,
    },
    context(data),
  );
}

let nearest = null; // the map view's box of thumbnails

function showMap(model) {
  const { info, data } = model;
  const methods = data.tsne ? ["PCA", "t-SNE"] : ["PCA"];
  const bar = element("div", { class: "site-bar" }, shell.extra);
  select(bar, {
    label: "Map",
    options: methods.map((m) => [m, m]),
    value: shell.state.method,
    onChange: (value) => {
      shell.state.method = value;
      shell.renderView();
    },
  });
  const t = data.train ? data.train.filter((v) => v).length : 0;
  caption(bar, `${data.codes.length} images${t ? `: ${data.codes.length - t} test, ${t} training (outlined)` : ""}. Hover to decode; click to keep a spot.`);
  const points = shell.state.method === "PCA" ? data.pca : data.tsne;
  const mapData = {
    points,
    labels: data.labels,
    codes: shell.state.method === "PCA" ? null : data.codes,
    names: data.names,
    colours: data.colours,
    train: data.train,
  };
  const built = BUILDERS.map(shell.root, { ...modelArgs(model, "map"), method: shell.state.method, pca: info.pca }, context(mapData));
  nearest = element("div", { class: "nearest", "data-testid": "nearest" }, shell.root);
  caption(nearest, "Click the map: the spot is kept, and the images nearest to it appear here.");
  return built;
}

export function showNearest(model, point) {
  if (!nearest || !nearest.isConnected) return;
  const points = shell.state.method === "PCA" ? model.data.pca : model.data.tsne;
  const order = points.map(([x, y], i) => [Math.hypot(x - point[0], y - point[1]), i]).sort((a, b) => a[0] - b[0]);
  nearest.replaceChildren();
  caption(nearest, "Nearest images to the kept spot (click one to open it in Generate):");
  const row = element("div", { class: "thumbs" }, nearest);
  for (const [, index] of order.slice(0, 8)) {
    const item = element("button", { type: "button", class: "thumb-button", title: pointLabel(model, index) }, row);
    thumbnail(item, model, index, 64);
    element("span", { text: pointLabel(model, index) }, item);
    item.addEventListener("click", () => {
      startFrom(model, index);
      shell.state.view = "generate";
      shell.renderView();
      shell.writeUrl(true);
    });
  }
}

function showInterpolate(model) {
  const { info, data } = model;
  const bar = element("div", { class: "site-bar" }, shell.extra);
  const args = () => ({
    ...modelArgs(model, "interpolate"),
    z0: data.codes[shell.state.ends[0]],
    z1: data.codes[shell.state.ends[1]],
    method: shell.state.path,
    labels: info.conditional && data.labels ? shell.state.ends.map((i) => data.labels[i]) : null,
  });
  ["Start", "End"].forEach((side, k) => {
    const group = element("span", { class: "end" }, bar);
    const box = element("span", { class: "thumb-box" }, group);
    const field = numberField(group, `${side}: test image`, shell.state.ends[k], data.n_test - 1, (i) => {
      shell.state.ends[k] = i;
      box.replaceChildren();
      thumbnail(box, model, i, 42);
      shell.update(args());
    });
    field.dataset.testid = `end-${k}`;
    group.appendChild(box);
    thumbnail(box, model, shell.state.ends[k], 42);
  });
  select(bar, {
    label: "Path",
    options: [
      ["linear", "linear"],
      ["spherical", "spherical"],
    ],
    value: shell.state.path,
    onChange: (value) => {
      shell.state.path = value;
      shell.update(args());
    },
  });
  return BUILDERS.interpolate(shell.root, { ...args(), t: 0.5 }, context(null));
}

