// api.js: the UI's only way to the server: /api/v0 with the signed-in user's
// bearer token. The token lives in sessionStorage (gone when the tab closes),
// never in cookies or persistent storage.
const KEY = "medperf.token";
const BASE = "/api/v0";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

export function getToken() {
  return sessionStorage.getItem(KEY);
}

export function setToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

// The first readable message of an error body ({"detail"}, {"field": [...]}).
function message(body, status) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    for (const [k, v] of Object.entries(body)) {
      const text = Array.isArray(v) ? v.join(" ") : String(v);
      return k === "non_field_errors" ? text : `${k}: ${text}`;
    }
  }
  return `The server answered ${status}.`;
}

let onUnauthorized = () => {};
// Called with the message when the server refuses the token (401).
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  const tok = token || getToken();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(BASE + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "The server cannot be reached.");
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, message(data, res.status));
    if (res.status === 401 && !token) onUnauthorized(err.detail);
    throw err;
  }
  return data;
}

// Every row of a paginated list (pages of 1000).
export async function all(path) {
  const rows = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; ; offset += 1000) {
    const page = await api(`${path}${sep}limit=1000&offset=${offset}`);
    rows.push(...page.results);
    if (!page.next || page.results.length === 0) return rows;
  }
}

// A cache of objects by path for one page view (names of models, datasets...).
export function memo() {
  const seen = new Map();
  return (path) => {
    if (!seen.has(path)) seen.set(path, api(path).catch(() => null));
    return seen.get(path);
  };
}
