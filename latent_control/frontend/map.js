// Latent map: hover over the map and the spot under the pointer is decoded live; a click sends it
// to the page. PCA spots use the exact inverse of the plane; t-SNE spots blend the nearest codes.
import { caption, element, imageCanvas } from "./widgets.js";

const MARGIN = 12;

function bounds(points) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const pad = (lo, hi) => [lo - 0.05 * (hi - lo || 1), hi + 0.05 * (hi - lo || 1)];
  return [pad(Math.min(...xs), Math.max(...xs)), pad(Math.min(...ys), Math.max(...ys))];
}

function drawCross(context, [x, y]) {
  context.strokeStyle = "#111";
  context.lineWidth = 3;
  context.beginPath();
  context.moveTo(x - 7, y - 7);
  context.lineTo(x + 7, y + 7);
  context.moveTo(x + 7, y - 7);
  context.lineTo(x - 7, y + 7);
  context.stroke();
}

// Markers: 4 px squares for thousands of points, up to 9 px for a few hundred or fewer.
const markerSize = (n) => Math.round(Math.max(4, Math.min(9, 9 - (n - 300) / 340)));

// cursor: the pointer (a circle); kept: the spot last clicked (a cross), both in canvas pixels.
// Test images are filled squares; training images (data.train[i] == 1), outlined ones.
function drawMap(canvas, data, scale, cursor, kept, stats) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "rgba(128, 128, 128, 0.08)";
  context.fillRect(0, 0, canvas.width, canvas.height);
  const size = markerSize(data.points.length);
  context.lineWidth = 1.5;
  data.points.forEach((point, i) => {
    const [x, y] = scale.toPixels(point);
    const colour = data.colours[data.labels ? data.labels[i] % data.colours.length : 0];
    context.globalAlpha = 0.8;
    if (data.train && data.train[i]) {
      context.strokeStyle = colour;
      context.strokeRect(x - size / 2 + 0.75, y - size / 2 + 0.75, size - 1.5, size - 1.5);
    } else {
      context.fillStyle = colour;
      context.fillRect(x - size / 2, y - size / 2, size, size);
    }
  });
  context.globalAlpha = 1;
  if (stats) stats.mapPoints = data.points.length; // read by the browser tests
  if (kept) drawCross(context, kept);
  if (cursor) {
    context.strokeStyle = "#111";
    context.lineWidth = 2;
    context.beginPath();
    context.arc(cursor[0], cursor[1], 6, 0, 2 * Math.PI);
    context.stroke();
  }
}

function legend(parent, data) {
  if (data.train && data.train.some((t) => t)) {
    const n = data.train.filter((t) => t).length;
    const marks = element("div", { class: "legend" }, parent);
    marks.appendChild(document.createTextNode(`■ ${data.points.length - n} test images   □ ${n} training images`));
  }
  if (!data.labels || !data.names) return;
  const box = element("div", { class: "legend" }, parent);
  const present = new Set(data.labels); // Olivetti's sample holds some of its 40 people
  data.names.forEach((name, i) => {
    if (!present.has(i)) return;
    const item = element("span", { class: "legend-item" }, box);
    element("span", { class: "swatch", style: `background:${data.colours[i % data.colours.length]}` }, item);
    item.appendChild(document.createTextNode(name));
  });
}

export function buildMap(root, args, { data, makeRenderer, control, maths, fitHeight }) {
  const layout = element("div", { class: "columns" }, root);
  const mapBox = element("div", { class: "controls" }, layout);
  const view = element("div", { class: "view" }, layout);
  // As wide as the page leaves beside the image (between 320 and 640 pixels).
  const width = Math.round(Math.max(320, Math.min(640, root.clientWidth - args.image_px - 40)));
  const map = element("canvas", { class: "map", "data-testid": "live-map", width, height: Math.round(width * 0.8) }, mapBox);
  legend(mapBox, data);
  const canvas = imageCanvas(view, args.shape, args.image_px, "live-image");
  const draw = makeRenderer(canvas, args.shape, args.smooth);
  const status = caption(view, "Move the pointer over the map.");
  const [[x0, x1], [y0, y1]] = bounds(data.points);
  const plotWidth = map.width - 2 * MARGIN;
  const plotHeight = map.height - 2 * MARGIN;
  const scale = {
    toPixels: ([x, y]) => [
      MARGIN + ((x - x0) / (x1 - x0)) * plotWidth,
      MARGIN + (1 - (y - y0) / (y1 - y0)) * plotHeight,
    ],
    toMap: ([px, py]) => [
      x0 + ((px - MARGIN) / plotWidth) * (x1 - x0),
      y0 + (1 - (py - MARGIN) / plotHeight) * (y1 - y0),
    ],
  };
  const codeAt = ([x, y]) =>
    args.method === "PCA"
      ? maths.pcaInverse(args.pca.mean, args.pca.components, x, y)
      : maths.neighbourBlend(data.points, data.codes, x, y, 8);
  // The cvae needs a class: the nearest point's.
  const labelAt = ([x, y]) => {
    if (!args.conditional || !data.labels) return 0;
    let best = 0;
    data.points.forEach((p, i) => {
      if (Math.hypot(p[0] - x, p[1] - y) < Math.hypot(data.points[best][0] - x, data.points[best][1] - y)) best = i;
    });
    return data.labels[best];
  };
  const spotOf = (event) => {
    const box = map.getBoundingClientRect();
    const pixels = [
      ((event.clientX - box.left) / box.width) * map.width,
      ((event.clientY - box.top) / box.height) * map.height,
    ];
    return { pixels, point: scale.toMap(pixels) };
  };
  const show = ({ pixels, point }) => {
    draw(codeAt(point), labelAt(point));
    drawMap(map, data, scale, pixels, kept, control.stats);
    status.textContent = `(${point[0].toFixed(2)}, ${point[1].toFixed(2)}) decoded in your browser`;
  };
  map.addEventListener("pointermove", (event) => show(spotOf(event)));
  let kept = null;
  map.addEventListener("click", (event) => {
    const spot = spotOf(event);
    const { pixels, point } = spot;
    kept = pixels;
    show(spot); // a tap moves no pointer first: the image above must be the spot kept, not the last hover
    control.release({ event: "click", point, code: codeAt(point), label: labelAt(point) });
  });
  drawMap(map, data, scale, null, null, control.stats);
  show({ pixels: scale.toPixels(data.points[0]), point: data.points[0] });
  fitHeight();
  return () => {};
}
