// The side panel that opens a citation: the page image with the cited box highlighted, a player that starts
// at the cited time, and the cited text with the question's words marked.
import { fetchWhenNotBusy } from "./api.js";
import { applyI18n, t } from "./i18n.js";
import { clock, escapeHtml } from "./shell.js";

const IMAGE_EXT = /\.(png|jpe?g|tiff?|bmp|webp)$/i;
const AUDIO_EXT = /\.(wav|mp3|m4a|flac|ogg|oga|opus)$/i;
const VIDEO_EXT = /\.(mp4|mkv|mov|webm|m4v)$/i;
const TEXT_EXT = /\.(md|markdown|docx|html?|eml|txt|csv|xlsx|pptx)$/i;
let panel, lastFocus;

function ensurePanel() {
  if (panel) return panel;
  panel = document.createElement("aside");
  panel.className = "source-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", "source-title");
  panel.innerHTML = `<div class="head"><h2 id="source-title"></h2>
      <button type="button" class="icon" data-close data-i18n="source.close"></button></div><div class="body"></div>`;
  document.body.append(panel);
  panel.querySelector("[data-close]").addEventListener("click", closeSource);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) closeSource(); });
  return panel;
}

export function closeSource() {
  if (!panel) return;
  for (const media of panel.querySelectorAll("audio, video")) media.pause();
  panel.hidden = true;
  if (lastFocus) lastFocus.focus();
}

// Words of the query to mark: Latin words, and two-character pieces of Chinese runs.
export function queryTerms(query) {
  const terms = new Set();
  for (const word of (query || "").toLowerCase().match(/[a-z0-9][a-z0-9.%-]+/g) || []) terms.add(word);
  for (const run of (query || "").match(/[\u3400-\u9fff]+/g) || []) {
    if (run.length === 1) terms.add(run);
    for (let i = 0; i + 2 <= run.length; i++) terms.add(run.slice(i, i + 2));
  }
  return [...terms];
}

export function highlight(text, terms) {
  const lower = text.toLowerCase();
  const spans = [];
  for (const term of terms) {
    for (let at = lower.indexOf(term); at >= 0; at = lower.indexOf(term, at + term.length)) spans.push([at, at + term.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  let html = "", cursor = 0;
  for (const [start, end] of merged) {
    html += escapeHtml(text.slice(cursor, start)) + `<mark>${escapeHtml(text.slice(start, end))}</mark>`;
    cursor = end;
  }
  return html + escapeHtml(text.slice(cursor));
}

// `hit`: a search hit / answer citation ({text, citation: {...}}) or a stored citation record (flat).
export function openSource(hit, { query = "" } = {}) {
  const c = hit.citation || hit;
  const el = ensurePanel();
  lastFocus = document.activeElement;
  el.querySelector("#source-title").textContent = c.label || c.document_name;
  const body = el.querySelector(".body");
  body.innerHTML = "";
  const fileUrl = `/documents/${encodeURIComponent(c.document_id)}/file`;
  const name = c.document_name || "";
  if ((/\.pdf$/i.test(name) || IMAGE_EXT.test(name)) && c.page) {
    body.append(pageView(c));
  } else if (AUDIO_EXT.test(name) || VIDEO_EXT.test(name)) {
    const media = document.createElement(VIDEO_EXT.test(name) ? "video" : "audio");
    media.controls = true;
    media.preload = "metadata";
    const start = c.start_s || 0;
    media.src = `${fileUrl}#t=${start.toFixed(1)}`;  // a media fragment: the player starts at the cited time
    media.dataset.start = String(start);
    media.addEventListener("loadedmetadata", () => { if (Math.abs(media.currentTime - start) > 0.5) media.currentTime = start; }, { once: true });
    const when = document.createElement("p");
    when.className = "muted small";
    when.textContent = t("source.time", { start: clock(c.start_s), end: clock(c.end_s ?? c.start_s) });
    body.append(media, when);
  } else if (TEXT_EXT.test(name)) {
    body.append(textView(c));
  } else {
    const note = document.createElement("p");
    note.className = "muted small";
    note.textContent = t("source.noPreview");
    body.append(note);
  }
  const heading = document.createElement("h3");
  heading.dataset.i18n = "source.text";
  const snippet = document.createElement("div");
  snippet.className = "snippet";
  snippet.innerHTML = highlight(hit.text || "", queryTerms(query));
  const open = document.createElement("a");
  open.href = fileUrl;
  open.target = "_blank";
  open.rel = "noopener";
  open.dataset.i18n = "source.open";
  body.append(heading, snippet, open);
  applyI18n(el);
  el.hidden = false;
  el.querySelector("[data-close]").focus();
}

// The document's text with the cited span marked, scrolled to it (the service cuts the text at the span's
// character offsets, masking personal data as in search results).
function textView(c) {
  const view = document.createElement("div");
  view.className = "text-preview";
  view.tabIndex = 0;
  view.setAttribute("role", "document");
  view.setAttribute("aria-label", t("source.preview"));
  const start = Number(c.char_start) || 0;
  const end = Math.max(Number(c.char_end) || 0, start);
  const url = `/documents/${encodeURIComponent(c.document_id)}/text?start=${start}&end=${end}`;
  fetchWhenNotBusy(url).then(async (response) => {
    if (!response.ok) throw new Error(response.statusText);
    const parts = await response.json();
    const mark = document.createElement("mark");
    mark.className = "cited";
    mark.textContent = parts.cited;
    view.replaceChildren(document.createTextNode(parts.before), mark, document.createTextNode(parts.after));
    // Scroll the preview box only (not the page) so the cited span sits in its middle.
    view.scrollTop = Math.max(0, mark.offsetTop - view.clientHeight / 3);  // offsetParent: the box (position: relative)
    view.dataset.ready = "true";
  }).catch(() => {
    view.textContent = t("source.noPreview");
    view.dataset.ready = "error";
  });
  return view;
}

function pageView(c) {
  const wrap = document.createElement("figure");
  wrap.style.margin = "0";
  const view = document.createElement("div");
  view.className = "page-view";
  const img = document.createElement("img");
  img.alt = t("source.page", { page: c.page });
  const caption = document.createElement("figcaption");
  caption.className = "muted small";
  caption.textContent = t("source.page", { page: c.page });
  view.append(img);
  wrap.append(view, caption);
  const url = `/documents/${encodeURIComponent(c.document_id)}/pages/${c.page}/image`;
  fetchWhenNotBusy(url).then(async (response) => {
    if (!response.ok) throw new Error(response.statusText);
    const width = parseFloat(response.headers.get("X-Page-Width"));
    const height = parseFloat(response.headers.get("X-Page-Height"));
    img.src = URL.createObjectURL(await response.blob());
    if (c.bbox && width && height) {
      // Boxes are in the page's own unit (PDF points or image pixels): place them by proportion.
      const [x0, y0, x1, y1] = c.bbox;
      const box = document.createElement("div");
      box.className = "box";
      Object.assign(box.style, { left: `${(x0 / width) * 100}%`, top: `${(y0 / height) * 100}%`,
        width: `${((x1 - x0) / width) * 100}%`, height: `${((y1 - y0) / height) * 100}%` });
      view.append(box);
      img.addEventListener("load", () => box.scrollIntoView({ block: "center" }), { once: true });
    }
  }).catch(() => { caption.textContent = t("source.noPreview"); });
  return wrap;
}
