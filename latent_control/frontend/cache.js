// Files named by what they hold (decoders and map data: by a hash of their bytes; the runtime: by
// its version) are kept in the browser's Cache Storage. Streamlit serves a component's files with
// "Cache-Control: public" and no validator, so without this every page open downloads the 14 MB
// runtime (3.7 MB gzipped, gzipped again by the server each time) and the decoder anew (#30).
// Cache Storage exists only in a secure context (https, localhost): elsewhere this is a plain fetch.
const STORE = "autoencoder-lab-v1";
const KEEP = 32; // entries beyond this go, oldest first: trained models add a decoder each

export const stored = { hits: 0, misses: 0 }; // read by the browser tests

async function openStore() {
  try {
    return globalThis.caches ? await caches.open(STORE) : null;
  } catch {
    return null; // e.g. storage disabled by the browser's privacy settings
  }
}

// Resolves to a Response (ok, or the server's error); `url` must name its content.
export async function fetchImmutable(url) {
  const store = await openStore();
  const hit = store && (await store.match(url).catch(() => undefined));
  if (hit) {
    stored.hits += 1;
    return hit;
  }
  stored.misses += 1;
  const response = await fetch(url);
  if (store && response.ok) {
    // a full disk or quota only costs the next page its download
    store.put(url, response.clone()).then(() => trim(store), () => {});
  }
  return response;
}

async function trim(store) {
  const keys = await store.keys(); // in the order they were stored
  await Promise.all(keys.slice(0, Math.max(0, keys.length - KEEP)).map((key) => store.delete(key)));
}
