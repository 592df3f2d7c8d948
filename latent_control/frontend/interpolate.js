// Interpolate: a scrub control for t that decodes between the two end codes on every movement.
import { caption, element, imageCanvas, slider } from "./widgets.js";

export function buildInterpolate(root, args, { makeRenderer, control, maths, fitHeight }) {
  let { z0, z1, method, labels } = args;
  let t = args.t ?? 0.5;
  const view = element("div", { class: "view stack" }, root);
  const canvas = imageCanvas(view, args.shape, args.image_px, "live-image");
  const controls = element("div", { class: "scrub" }, view);
  const draw = makeRenderer(canvas, args.shape, args.smooth);
  const status = caption(view, "");
  const codeAt = (s) => (method === "spherical" ? maths.slerp : maths.lerp)(z0, z1, s);
  // The cvae keeps the start's class for the first half of the path, as the strip below does.
  const labelAt = (s) => (labels ? (s < 0.5 ? labels[0] : labels[1]) : 0);
  const show = () => {
    draw(codeAt(t), labelAt(t));
    status.textContent = `t = ${t.toFixed(3)} · ${method} path, decoded in your browser`;
  };
  const scrub = slider(controls, {
    label: "t",
    min: 0,
    max: 1,
    step: 0.001,
    value: t,
    testId: "slider-t",
    onInput: (v) => ((t = v), show()),
    onRelease: () => control.release({ event: "release", t, code: codeAt(t), label: labelAt(t) }),
  });
  caption(controls, "Drag to move from the start (t = 0) to the end (t = 1).");
  show();
  fitHeight();
  return (next) => {
    ({ z0, z1, method, labels } = next);
    if (!scrub.dragging()) {
      t = next.t ?? t;
      scrub.set(t);
    }
    show();
  };
}
