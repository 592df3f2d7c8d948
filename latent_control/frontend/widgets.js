// Small DOM helpers shared by the three modes: labelled range sliders, selects and the image canvas.

export function element(tag, attributes = {}, parent = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

// A range input that reports every movement (onInput) and the release (onRelease).
export function slider(parent, { label, min, max, step, value, onInput, onRelease, testId }) {
  const row = element("label", { class: "slider" }, parent);
  element("span", { class: "name", text: label }, row);
  const input = element("input", { type: "range", min, max, step, "aria-label": label }, row);
  if (testId) input.dataset.testid = testId;
  const shown = element("span", { class: "value" }, row);
  // Called for every slider on every frame of a drag elsewhere: a value that did not move writes nothing.
  let current = null;
  const set = (v) => {
    if (v === current) return;
    current = v;
    input.value = String(v);
    shown.textContent = Number(input.value).toFixed(2);
  };
  set(value);
  input.addEventListener("input", () => {
    current = null;
    shown.textContent = Number(input.value).toFixed(2);
    onInput(Number(input.value));
  });
  input.addEventListener("change", () => onRelease(Number(input.value)));
  return { input, set, dragging: () => document.activeElement === input };
}

export function select(parent, { label, options, value, onChange }) {
  const row = element("label", { class: "select" }, parent);
  element("span", { class: "name", text: label }, row);
  const node = element("select", { "aria-label": label }, row);
  options.forEach(([key, text]) => element("option", { value: key, text }, node));
  node.value = String(value);
  node.addEventListener("change", () => onChange(node.value));
  return node;
}

// The decoded image, shown `size` CSS pixels on its long side. The canvas holds the model's own
// pixels (28x28, 64x64) and CSS scales it: each frame writes 784-12,288 pixels instead of resampling
// them to 300x300 on the CPU, which cost the 64x64 face model a third of its frames (#30).
export function imageCanvas(parent, shape, size, testId) {
  const [, height, width] = shape;
  const scale = size / Math.max(height, width);
  const canvas = element("canvas", { class: "decoded", "data-testid": testId }, parent);
  canvas.width = width;
  canvas.height = height;
  canvas.style.setProperty("--display-width", `${Math.round(width * scale)}px`);
  return canvas;
}

export function caption(parent, text) {
  return element("p", { class: "caption", text }, parent);
}
