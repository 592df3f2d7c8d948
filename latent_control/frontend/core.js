// The latent control without its page shell: the three builders, the renderer that decodes the
// newest request once per display frame, and the runtime's loader. Two shells use it: main.js (the
// Streamlit component) and site.js (the static site of `python -m aelib export-site`).
import * as maths from "./maths.js";
import { buildGenerate } from "./generate.js";
import { buildInterpolate } from "./interpolate.js";
import { buildMap } from "./map.js";

export const BUILDERS = { generate: buildGenerate, map: buildMap, interpolate: buildInterpolate };

// release(value): what the shell does with a release (the user let go); fail(error): what it shows
// when decoding fails. Returns the control the builders get: stats (read by the benchmarks and the
// browser tests), maths, decoder (set by the shell once loaded), makeRenderer, release, mark.
export function createControl({ release = () => {}, fail = () => {} } = {}) {
  const stats = {
    events: 0,
    decodes: 0,
    drawn: 0,
    decodeMs: [],
    drawnAt: [],
    firstImageMs: null,
    error: null,
    sent: 0,
    lastCode: null, // the code of the image on the canvas
    timeline: {}, // milestones of the first load, in ms since the page started
  };
  const mark = (name) => (stats.timeline[name] ??= Math.round(performance.now()));
  const control = {
    stats,
    maths,
    decoder: null, // set once the runtime and the model are loaded; renderers wait for it
    waiting: new Set(), // renderers with a request pending until then
    mark,
    release(value) {
      stats.sent += 1;
      release(value);
    },
    // The decoder is in: every renderer that asked meanwhile decodes now.
    ready(decoder) {
      control.decoder = decoder;
      control.waiting.forEach((pump) => pump());
      control.waiting.clear();
    },
  };

  // Decodes at most once per display frame, the newest request (#30): input events only store the
  // code they want; a requestAnimationFrame callback decodes it and draws it before that frame is
  // painted. However many events arrive in a frame (a fast mouse, a pad and a slider, a render from
  // Python), one decode runs; none is queued behind a running or a stale one. The canvas's ImageData
  // is allocated once and written in place. onDrawn(decodeMs) runs after each new image is drawn.
  control.makeRenderer = function makeRenderer(canvas, shape, smooth, onDrawn = () => {}) {
    // The canvas has the image's own size (widgets.imageCanvas); CSS enlarges it, crisp or smooth.
    canvas.style.imageRendering = smooth ? "auto" : "pixelated";
    const context = canvas.getContext("2d");
    const image = new ImageData(shape[2], shape[1]);
    let wanted = null;
    let busy = false;
    let frame = null;
    const schedule = () => {
      if (frame === null) frame = requestAnimationFrame(pump);
    };
    async function pump() {
      frame = null;
      if (wanted === null || !canvas.isConnected) return; // nothing new, or a view already replaced
      if (!control.decoder) {
        control.waiting.add(schedule);
        return;
      }
      if (busy) return; // the running decode asks for the next frame when it is done
      busy = true;
      const { code, label } = wanted;
      wanted = null;
      try {
        const started = performance.now();
        const pixels = await control.decoder.decode(code, 1, label);
        const decodeMs = performance.now() - started;
        stats.decodes += 1;
        stats.decodeMs.push(decodeMs);
        if (stats.decodeMs.length > 600) stats.decodeMs.splice(0, 300);
        context.putImageData(maths.toImageData(pixels, shape, 0, image), 0, 0);
        stats.drawn += 1;
        stats.drawnAt.push(performance.now());
        if (stats.drawnAt.length > 600) stats.drawnAt.splice(0, 300);
        stats.lastCode = Array.from(code); // what the canvas shows, read by the browser tests
        if (stats.firstImageMs === null) stats.firstImageMs = performance.now();
        mark("first_image");
        onDrawn(decodeMs);
      } catch (error) {
        fail(error);
      } finally {
        busy = false;
      }
      if (wanted !== null) schedule();
    }
    return (code, label = 0) => {
      stats.events += 1;
      wanted = { code, label };
      schedule();
    };
  };
  return control;
}

// Starts importing the runtime and compiling its WebAssembly (most of the first second) at once.
// A dynamic import, so a browser that cannot load it still gets a message; the rejection is
// reported by whoever awaits the promise.
export function loadRuntime() {
  const runtime = import("./decoder.js").then(async (module) => {
    await module.warmUp();
    return module;
  });
  runtime.catch(() => {});
  return runtime;
}
