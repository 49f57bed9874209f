// The REST client: bearer tokens (refreshed once on 401), RFC 9457 problems as ApiError.
const KEY = "crypto-risk.tokens";
const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `request failed (${status})`);
    this.status = status;
    this.field = problem?.field ?? null;
    this.errors = problem?.errors ?? [];
  }
}

export const session = {
  get tokens() {
    try { return JSON.parse(localStorage.getItem(KEY)) } catch { return null }
  },
  save(tokens) { localStorage.setItem(KEY, JSON.stringify(tokens)) },
  clear() { localStorage.removeItem(KEY) },
  get signedIn() { return Boolean(this.tokens?.access_token) },
};

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn }

let refreshing = null;
export function refreshTokens() {
  // One refresh at a time: the refresh token rotates, a second use would revoke the family.
  refreshing ??= (async () => {
    const refresh_token = session.tokens?.refresh_token;
    if (!refresh_token) return false;
    const r = await fetch(`${BASE}/auth/refresh`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token }),
    });
    if (!r.ok) return false;
    session.save(await r.json());
    return true;
  })().finally(() => { refreshing = null });
  return refreshing;
}

async function send(path, { method = "GET", json, body, contentType } = {}) {
  const headers = {};
  const token = session.tokens?.access_token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json) }
  else if (contentType) headers["Content-Type"] = contentType;
  return fetch(BASE + path, { method, headers, body });
}

/** Call the API; resolves to the JSON body (null for 204), with `meta.cachedAt` when the service
 * worker answered from its offline copy. */
export async function api(path, options = {}) {
  let r = await send(path, options);
  if (r.status === 401 && session.tokens?.refresh_token && !path.startsWith("/auth/")) {
    if (await refreshTokens()) r = await send(path, options);
    else { session.clear(); onSignedOut() }
  }
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null } catch { data = { detail: text } }
  if (!r.ok) throw new ApiError(r.status, data);
  const cachedAt = r.headers.get("x-sw-cached-at");
  if (cachedAt && data && typeof data === "object") Object.defineProperty(data, "cachedAt", { value: cachedAt });
  return data;
}

export const get = (path) => api(path);
export const post = (path, json) => api(path, { method: "POST", json });
export const patch = (path, json) => api(path, { method: "PATCH", json });
export const del = (path) => api(path, { method: "DELETE" });
