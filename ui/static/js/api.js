// The service's HTTP API: JSON calls, server-sent-event streams over POST, uploads with progress.
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function errorOf(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
  return new ApiError(response.status, body.error || "http_" + response.status,
    body.message || detail || response.statusText);
}

export async function api(path, { method = "GET", json, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method, signal,
      headers: json === undefined ? {} : { "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", t("error.network"));
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  return response.json();
}

// POST `json` to `path` and call onEvent(name, data) for each server-sent event as it arrives.
export async function streamEvents(path, json, onEvent, { signal } = {}) {
  let response;
  try {
    response = await fetch(path, { method: "POST", signal, headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", t("error.network"));
  }
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
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(Object.assign(new ApiError(xhr.status, body.error || "http_" + xhr.status, body.message || xhr.statusText), { body }));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", t("error.network")));
    xhr.send(formData);
  });
}
