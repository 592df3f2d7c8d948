// Generate: sliders for the most used latent dimensions, principal directions and named attribute
// directions, and a 2-D pad that moves the code along two of them; the image follows every movement.
import { caption, element, imageCanvas, select, slider } from "./widgets.js";

// An axis is a latent dimension ("d:3"), a principal direction ("p:0") or an attribute direction
// ("a:0", from aelib.explore.directions.slider_args): read and write it. An attribute direction is read in
// std of the codes along it from their mean, as a principal direction is: the same maths moves both.
function axisTools(args, maths) {
  const dims = new Map(args.dims.map((d) => [d.index, d]));
  const attributes = (args.directions?.list ?? []).map((a) => ({ mean: a.mean, directions: [a.vector], std: [a.std] }));
  // [the directions an axis belongs to, its index among them]
  const along = (axis, i) => (axis[0] === "a" ? [attributes[i], 0] : [args.pcs, i]);
  return {
    range(axis) {
      const [kind, i] = [axis[0], Number(axis.slice(2))];
      if (kind === "d") return [dims.get(i).low, dims.get(i).high];
      const reach = kind === "a" ? args.directions.range : args.pcs.range;
      return [-reach, reach];
    },
    get(code, axis) {
      const i = Number(axis.slice(2));
      if (axis[0] === "d") return code[i];
      const [pcs, k] = along(axis, i);
      return maths.toPrincipal(pcs, code, k);
    },
    set(code, axis, value) {
      const i = Number(axis.slice(2));
      if (axis[0] !== "d") {
        const [pcs, k] = along(axis, i);
        return maths.setPrincipal(pcs, code, k, value);
      }
      const next = code.slice();
      next[i] = value;
      return next;
    },
  };
}

function drawPad(canvas, position, colour) {
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  context.fillStyle = "rgba(128, 128, 128, 0.12)";
  context.fillRect(0, 0, width, height);
  context.strokeStyle = "rgba(128, 128, 128, 0.5)";
  context.beginPath();
  context.moveTo(width / 2, 0);
  context.lineTo(width / 2, height);
  context.moveTo(0, height / 2);
  context.lineTo(width, height / 2);
  context.stroke();
  const [x, y] = [position[0] * width, (1 - position[1]) * height];
  context.fillStyle = colour;
  context.beginPath();
  context.arc(x, y, 7, 0, 2 * Math.PI);
  context.fill();
}

// The server's image of the starting code, until the browser's first decode replaces it.
function showPreview(canvas, args, control) {
  const image = new Image();
  image.onload = () => {
    if (control.stats.drawn > 0) return;
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = args.smooth;
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    control.mark("preview_shown");
  };
  image.src = args.preview;
}

export function buildGenerate(root, args, { makeRenderer, control, maths, fitHeight }) {
  const axes = axisTools(args, maths);
  let code = args.code.slice();
  let label = args.label ?? 0;
  let revision = args.revision;
  const layout = element("div", { class: "columns" }, root);
  const controls = element("div", { class: "controls" }, layout);
  const view = element("div", { class: "view" }, layout);
  const canvas = imageCanvas(view, args.shape, args.image_px, "live-image");
  const status = caption(view, "Loading the decoder into your browser…");
  showPreview(canvas, args, control);
  const draw = makeRenderer(canvas, args.shape, args.smooth, (ms) => {
    const text = `Decoded in your browser in ${ms.toFixed(1)} ms.`;
    if (status.textContent !== text) status.textContent = text;
  });
  // The theme's colour for the pad's dot: read when built and on each render from Python, never
  // per frame (getComputedStyle forces a style recalculation).
  const primary = () => getComputedStyle(document.documentElement).getPropertyValue("--primary").trim() || "#ff4b4b";
  let dotColour = primary();
  const release = () => control.release({ event: "release", code, label });

  const sliders = [];
  const refresh = (except) => {
    for (const s of sliders) if (s !== except) s.widget.set(axes.get(code, s.axis));
    drawPad(pad, padPosition(), dotColour);
  };
  // The server keeps codes inside the same bounds, so both sides always hold the same code.
  const clip = (z) => z.map((v, d) => Math.min(args.bounds.high[d], Math.max(args.bounds.low[d], v)));
  // Sliders and pad are redrawn once per display frame, however many events arrive in it.
  let refreshing = null;
  const move = (next, except) => {
    code = clip(next);
    draw(code, label);
    if (refreshing === null) {
      refreshing = requestAnimationFrame(() => {
        refresh(except);
        refreshing = null;
      });
    }
  };
  const addSlider = (parent, axis, name, step, trust) => {
    const [low, high] = axes.range(axis);
    const entry = { axis };
    entry.widget = slider(parent, {
      label: name,
      min: low,
      max: high,
      step,
      value: axes.get(code, axis),
      testId: `slider-${axis}`,
      onInput: (v) => move(axes.set(code, axis, v), entry),
      onRelease: release,
    });
    if (trust) {
      // An attribute direction: its name is a word, and its trust shows beside the value.
      const row = entry.widget.input.parentElement;
      row.firstChild.style.width = "76px";
      row.title = trust.detail;
      element("span", { class: "trust", "data-testid": `trust-${axis}`, text: trust.level }, row).style.width = "56px";
    }
    sliders.push(entry);
  };

  if (args.class_names) {
    const options = args.class_names.map((name, i) => [i, name]);
    select(controls, {
      label: "Class",
      options,
      value: label,
      onChange: (v) => {
        label = Number(v);
        move(code);
        release();
      },
    });
  }
  const dimsBox = element("fieldset", {}, controls);
  const all = args.dims.length === args.latent_dim;
  element("legend", { text: all ? `All ${args.latent_dim} dimensions` : `Most used of ${args.latent_dim} dimensions` }, dimsBox);
  for (const d of args.dims) addSlider(dimsBox, `d:${d.index}`, `z[${d.index}]`, 0.01);
  const pcBox = element("fieldset", {}, controls);
  element("legend", { text: "Principal directions (std from the mean)" }, pcBox);
  args.pcs.std.forEach((_, i) => addSlider(pcBox, `p:${i}`, `PC${i + 1}`, 0.01));
  const attributes = args.directions?.list ?? [];
  if (attributes.length) {
    const box = element("fieldset", { "data-testid": "attribute-directions" }, controls);
    element("legend", { text: "Attribute directions (std from the mean; trust: hover)" }, box);
    attributes.forEach((a, i) => addSlider(box, `a:${i}`, a.name, 0.01, a.trust));
  }

  const choices = [
    ...args.pcs.std.map((_, i) => [`p:${i}`, `PC${i + 1}`]),
    ...attributes.map((a, i) => [`a:${i}`, a.name]),
    ...args.dims.map((d) => [`d:${d.index}`, `z[${d.index}]`]),
  ];
  const padAxes = [choices[0][0], (choices[1] || choices[0])[0]];
  const padBox = element("div", { class: "pad-box" }, view);
  const pickers = element("div", { class: "pad-axes" }, padBox);
  ["Pad x", "Pad y"].forEach((name, k) =>
    select(pickers, { label: name, options: choices, value: padAxes[k], onChange: (v) => ((padAxes[k] = v), refresh()) }),
  );
  const pad = element("canvas", { class: "pad", "data-testid": "live-pad", width: 200, height: 200 }, padBox);
  const padPosition = () =>
    padAxes.map((axis) => {
      const [low, high] = axes.range(axis);
      return Math.min(1, Math.max(0, (axes.get(code, axis) - low) / (high - low)));
    });
  // The pad's box, measured when a drag starts: no layout read on each pointer move.
  let box = null;
  const fromPointer = (event) => {
    const fractions = [(event.clientX - box.left) / box.width, 1 - (event.clientY - box.top) / box.height];
    let next = code;
    padAxes.forEach((axis, k) => {
      const [low, high] = axes.range(axis);
      next = axes.set(next, axis, low + Math.min(1, Math.max(0, fractions[k])) * (high - low));
    });
    move(next);
  };
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    box = pad.getBoundingClientRect();
    fromPointer(event);
  });
  pad.addEventListener("pointermove", (event) => {
    if (box && pad.hasPointerCapture(event.pointerId)) fromPointer(event);
  });
  pad.addEventListener("pointerup", release);

  move(code);
  fitHeight();
  // A new render from Python (another control on the page moved the code) replaces the code here.
  return (next) => {
    dotColour = primary();
    if (next.revision === revision) return;
    revision = next.revision;
    code = next.code.slice();
    label = next.label ?? label;
    move(code);
  };
}
