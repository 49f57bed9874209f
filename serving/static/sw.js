// Service worker: the app shell from cache (updated in the background), API reads network-first
// with the last good answer kept for offline use (marked with x-sw-cached-at).
const SHELL = "crypto-risk-shell-v1";
const DATA = "crypto-risk-data-v1";
const SHELL_FILES = [
  "/", "/manifest.webmanifest", "/static/css/app.css", "/static/vendor/chartjs/chart.umd.min.js", "/static/icons/icon.svg",
  "/static/js/app.js", "/static/js/api.js", "/static/js/live.js", "/static/js/ui.js", "/static/js/charts.js",
  "/static/js/views/alerts.js", "/static/js/views/auth.js", "/static/js/views/common.js", "/static/js/views/insights.js",
  "/static/js/views/market.js", "/static/js/views/overview.js", "/static/js/views/portfolios.js", "/static/js/views/reports.js",
  "/static/js/views/risk.js",
];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => ![SHELL, DATA].includes(k)).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (e) => {
  if (e.data?.type === "clear-data") caches.delete(DATA);
});

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      const headers = new Headers(copy.headers);
      headers.set("x-sw-cached-at", new Date().toISOString());
      cache.put(request, new Response(await copy.blob(), { status: copy.status, headers }));
    }
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw err;
  }
}

async function shellFirst(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then((r) => { if (r.ok) cache.put(request, r.clone()); return r });
  if (cached) { fresh.catch(() => {}); return cached }
  return fresh;
}

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/api/v1/") && !url.pathname.includes("/auth/") && !url.pathname.includes("/reports/")) e.respondWith(networkFirst(e.request));
  else if (url.pathname === "/" || url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") e.respondWith(shellFirst(e.request));
});
