// The service's HTTP API: JSON calls, server-sent-event streams over POST, uploads with progress.
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// A browser session's state-changing requests carry the CSRF token the sign-in set in the readable zhiku_csrf
// cookie (the session cookie itself is HttpOnly); a page of another site cannot read it.
export function csrfToken() {
  const match = document.cookie.split("; ").find((c) => c.startsWith("zhiku_csrf="));
  return match ? decodeURIComponent(match.slice("zhiku_csrf=".length)) : "";
}

function authHeaders(method, headers = {}) {
  if (method !== "GET" && method !== "HEAD") {
    const token = csrfToken();
    if (token) headers["x-csrf-token"] = token;
  }
  return headers;
}

// Signed out (no session, or it ended): go to the sign-in page, and come back here afterwards.
export function toSignIn() {
  const here = location.pathname + location.search + location.hash;
  location.assign("/ui/login.html?next=" + encodeURIComponent(here));
}

async function errorOf(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
  return new ApiError(response.status, body.error || "http_" + response.status,
    body.message || detail || response.statusText);
}

// A request the service refused as busy (503 with Retry-After: its work queue was full) never started, so asking
// again is safe for any method. The page waits as told, a few times, before it shows the error: on a small server
// the chat page's parallel requests would otherwise fail whenever a colleague's search holds the slots.
const BUSY_RETRIES = 3;
const BUSY_WAIT_CAP_S = 5;

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new DOMException("Aborted", "AbortError")); return; }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); reject(new DOMException("Aborted", "AbortError")); },
      { once: true });
  });
}

export async function fetchWhenNotBusy(path, init = {}) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "network", t("error.network"));
    }
    const retryAfter = Number(response.headers.get("retry-after"));
    if (response.status !== 503 || !retryAfter || attempt >= BUSY_RETRIES) return response;
    const waitMs = Math.min(retryAfter, BUSY_WAIT_CAP_S) * 1000 * (1 + Math.random() * 0.5);  // spread the retries
    await pause(waitMs, init.signal);
  }
}

export async function api(path, { method = "GET", json, signal } = {}) {
  const response = await fetchWhenNotBusy(path, {
    method, signal,
    headers: authHeaders(method, json === undefined ? {} : { "content-type": "application/json" }),
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  if (response.status === 401 && !path.startsWith("/auth/login")) toSignIn();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  return response.json();
}

// POST `json` to `path` and call onEvent(name, data) for each server-sent event as it arrives.
export async function streamEvents(path, json, onEvent, { signal } = {}) {
  const response = await fetchWhenNotBusy(path, {
    method: "POST", signal, headers: authHeaders("POST", { "content-type": "application/json" }), body: JSON.stringify(json),
  });
  if (response.status === 401) toSignIn();
  if (!response.ok) throw await errorOf(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

// Multipart upload with progress (fetch cannot report upload progress): resolves to the JSON reply.
export function uploadWithProgress(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [name, value] of Object.entries(authHeaders("POST"))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 401) toSignIn();
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(Object.assign(new ApiError(xhr.status, body.error || "http_" + xhr.status, body.message || xhr.statusText), { body }));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", t("error.network")));
    xhr.send(formData);
  });
}
