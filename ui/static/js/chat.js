// The chat page for employees: conversations, streamed cited answers, sources, copy and feedback.
import { api, streamEvents } from "./api.js";
import { getLang, registerStrings, t } from "./i18n.js";
import { mountKbPicker } from "./kb_picker.js";
import { openSource } from "./source_panel.js";
import { mountShell, showState, toast } from "./shell.js";

registerStrings({
  zh: {
    "chat.pageTitle": "知库 · 问答",
    "chat.sideLabel": "会话与检索范围",
    "chat.mainLabel": "对话",
    "chat.conversations": "会话",
    "chat.new": "新对话",
    "chat.newTitle": "新对话",
    "chat.noConversations": "还没有会话。提出第一个问题，就会开始一个会话。",
    "chat.untitled": "（无标题）",
    "chat.open": "打开会话：{title}",
    "chat.delete": "删除",
    "chat.deleteLabel": "删除会话：{title}",
    "chat.confirmDelete": "删除这个会话？",
    "chat.cancel": "取消",
    "chat.deleted": "会话已删除。",
    "chat.deleteFailed": "删除失败：{message}",
    "chat.gone": "这个会话已不存在。",
    "chat.scope": "检索范围",
    "chat.scopeSummary": "范围：{names}",
    "chat.sideToggle": "会话与知识库",
    "chat.messagesLabel": "对话内容",
    "chat.empty": "向知识库提问吧。",
    "chat.emptyHint": "答案只来自所选知识库，每句话后面都有出处；点击出处编号可以查看原文页面、高亮区域或录音片段。",
    "chat.inputLabel": "你的问题",
    "chat.placeholder": "输入问题，例如：白金卡的年费是多少？",
    "chat.hint": "Enter 发送，Shift+Enter 换行",
    "chat.send": "发送",
    "chat.stop": "停止",
    "chat.you": "你说：",
    "chat.assistant": "知库",
    "chat.searching": "正在检索知识库…",
    "chat.mode.extractive": "原文摘录",
    "chat.mode.llm": "大模型生成",
    "chat.modeTitle": "回答方式",
    "chat.notFound": "未找到答案",
    "chat.notFoundHint": "所选知识库中没有与问题相关的内容。可以换个说法，或在“检索范围”里选择更多知识库。",
    "chat.sources": "来源",
    "chat.citeLabel": "查看出处 {n}：{label}",
    "chat.followUps": "你可能还想问",
    "chat.copy": "复制",
    "chat.copyLabel": "复制回答",
    "chat.copied": "已复制到剪贴板。",
    "chat.copyFailed": "无法复制，请手动选择文字复制。",
    "chat.up": "有帮助",
    "chat.down": "没帮助",
    "chat.actions": "回答操作",
    "chat.feedbackTitle": "反馈：{rating}",
    "chat.comment": "补充说明（可选）",
    "chat.commentPlaceholder": "哪里有用？哪里不对或缺了什么？",
    "chat.feedbackSubmit": "提交反馈",
    "chat.feedbackThanks": "反馈已记录，谢谢！",
    "chat.feedbackFailed": "反馈没有提交成功：{message}",
    "chat.stopped": "已停止生成。",
    "chat.failed": "回答失败：{message}",
    "chat.interrupted": "连接中断，回答不完整。",
    "chat.pickKb": "请至少选择一个知识库。",
  },
  en: {
    "chat.pageTitle": "Zhiku · Ask",
    "chat.sideLabel": "Conversations and search scope",
    "chat.mainLabel": "Conversation",
    "chat.conversations": "Conversations",
    "chat.new": "New conversation",
    "chat.newTitle": "New conversation",
    "chat.noConversations": "No conversations yet. Ask a first question to start one.",
    "chat.untitled": "(untitled)",
    "chat.open": "Open conversation: {title}",
    "chat.delete": "Delete",
    "chat.deleteLabel": "Delete conversation: {title}",
    "chat.confirmDelete": "Delete this conversation?",
    "chat.cancel": "Cancel",
    "chat.deleted": "Conversation deleted.",
    "chat.deleteFailed": "Could not delete: {message}",
    "chat.gone": "This conversation no longer exists.",
    "chat.scope": "Search scope",
    "chat.scopeSummary": "Scope: {names}",
    "chat.sideToggle": "Conversations & knowledge bases",
    "chat.messagesLabel": "Messages",
    "chat.empty": "Ask the knowledge base.",
    "chat.emptyHint": "Answers come only from the chosen knowledge bases, with a source after every sentence; click a source number to see the page, the highlighted area or the recording.",
    "chat.inputLabel": "Your question",
    "chat.placeholder": "Ask a question, e.g. What is the platinum card's annual fee?",
    "chat.hint": "Enter sends, Shift+Enter starts a new line",
    "chat.send": "Send",
    "chat.stop": "Stop",
    "chat.you": "You said: ",
    "chat.assistant": "Zhiku",
    "chat.searching": "Searching the knowledge bases…",
    "chat.mode.extractive": "Extractive",
    "chat.mode.llm": "LLM",
    "chat.modeTitle": "How this answer was made",
    "chat.notFound": "Not found",
    "chat.notFoundHint": "The chosen knowledge bases have nothing on this question. Try other words, or add knowledge bases under Search scope.",
    "chat.sources": "Sources",
    "chat.citeLabel": "Open source {n}: {label}",
    "chat.followUps": "You might also ask",
    "chat.copy": "Copy",
    "chat.copyLabel": "Copy the answer",
    "chat.copied": "Copied to the clipboard.",
    "chat.copyFailed": "Could not copy; select the text and copy it by hand.",
    "chat.up": "Helpful",
    "chat.down": "Not helpful",
    "chat.actions": "Answer actions",
    "chat.feedbackTitle": "Feedback: {rating}",
    "chat.comment": "Comment (optional)",
    "chat.commentPlaceholder": "What was useful? What was wrong or missing?",
    "chat.feedbackSubmit": "Send feedback",
    "chat.feedbackThanks": "Thank you: your feedback was recorded.",
    "chat.feedbackFailed": "The feedback was not sent: {message}",
    "chat.stopped": "Stopped.",
    "chat.failed": "The answer failed: {message}",
    "chat.interrupted": "The connection broke off; the answer is incomplete.",
    "chat.pickKb": "Choose at least one knowledge base.",
  },
});

const ICONS = {
  copy: '<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"/></svg>',
  up: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 11v9H4v-9zM7 11l4-8a2.5 2.5 0 0 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7"/></svg>',
  down: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M17 13V4h3v9zM17 13l-4 8a2.5 2.5 0 0 1-2.5-2.5V15h-5a2 2 0 0 1-2-2.3l1.2-7A2 2 0 0 1 6.7 4H17"/></svg>',
  trash: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/></svg>',
};

const state = {
  conversationId: null,
  conversations: null,   // the list as last loaded (null: not loaded yet)
  messages: [],          // {role, content, ...}; assistant entries carry citations, found, mode, query, status
  streaming: null,       // {controller, entry} while an answer streams
};

const $ = (selector, root = document) => root.querySelector(selector);
let els;

// Text with variables cannot use data-i18n (applyI18n would drop the variables): keep key and variables on the
// element and set them again when the language changes.
function tr(el, key, vars = {}, attr = "text") {
  el.dataset.tk = key;
  el.dataset.tv = JSON.stringify(vars);
  el.dataset.ta = attr;
  const value = t(key, vars);
  if (attr === "text") el.textContent = value;
  else el.setAttribute(attr, value);
  return el;
}

function refreshTr(root = document) {
  for (const el of root.querySelectorAll("[data-tk]")) {
    const value = t(el.dataset.tk, JSON.parse(el.dataset.tv || "{}"));
    if (el.dataset.ta === "text") el.textContent = value;
    else el.setAttribute(el.dataset.ta, value);
  }
}

function make(tag, { className, i18n, text, attrs = {} } = {}) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (i18n) { el.dataset.i18n = i18n; el.textContent = t(i18n); }
  if (text !== undefined) el.textContent = text;
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

function button(className, { i18n, icon, label } = {}) {
  const b = make("button", { className, attrs: { type: "button" } });
  if (icon) b.insertAdjacentHTML("beforeend", ICONS[icon]);
  if (i18n) b.append(make("span", { i18n }));
  if (label) tr(b, label.key, label.vars || {}, "aria-label");
  return b;
}

// -- start -----------------------------------------------------------------------------------
async function start() {
  mountShell("chat");
  document.title = t("chat.pageTitle");
  els = {
    layout: $("#main"), side: $("#chat-side"), convBox: $("#conv-box"), newChat: $("#new-chat"),
    toggle: $("#side-toggle"), title: $("#chat-title"), scope: $("#scope-summary"), messages: $("#messages"),
    form: $("#composer"), input: $("#question"), send: $("#send"), stop: $("#stop"), kbArea: $("#kb-area"),
  };
  trackReading();
  els.form.addEventListener("submit", (e) => { e.preventDefault(); send(els.input.value); });
  els.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send(els.input.value);
    }
  });
  els.stop.addEventListener("click", stopStreaming);
  els.newChat.addEventListener("click", () => { newConversation(); closeSideIfNarrow(); els.input.focus(); });
  els.toggle.addEventListener("click", () => setSideOpen(!els.layout.classList.contains("side-open")));
  window.addEventListener("langchange", () => {
    document.title = t("chat.pageTitle");
    refreshTr(document);
    renderConversations();
    updateScope();
  });
  showEmpty();
  new MutationObserver(updateScope).observe($("#kb-picker"), { childList: true });
  const pickerReady = mountKbPicker($("#kb-picker"), { storageKey: "zhiku.chat.kbs", onChange: updateScope });
  loadConversations();
  // The open conversation is in the address (#c=<id>): a reload or a shared link opens it again.
  const fromHash = () => (/^#c=([\w-]+)$/.exec(location.hash) || [])[1] || null;
  window.addEventListener("hashchange", () => {
    const id = fromHash();
    if (id && id !== state.conversationId) loadConversation(id);
    else if (!id && state.conversationId) newConversation();
  });
  if (fromHash()) { await pickerReady; loadConversation(fromHash()); }
}

// -- the side column: narrow windows hide it behind a toggle ----------------------------------
const narrow = window.matchMedia("(max-width: 800px)");

function setSideOpen(open) {
  els.layout.classList.toggle("side-open", open);
  els.toggle.setAttribute("aria-expanded", String(open));
  if (open && narrow.matches) els.newChat.focus();
}

function closeSideIfNarrow() { if (narrow.matches) setSideOpen(false); }

// The picker's checkboxes are read from the page: after a retry (mountKbPicker mounts itself again) the object
// the first mount returned no longer describes them.
const kbInputs = () => [...document.querySelectorAll("#kb-picker input")];
const chosenKbs = () => kbInputs().filter((input) => input.checked).map((input) => input.value);

function updateScope() {
  const inputs = kbInputs();
  if (!inputs.length) { els.scope.textContent = ""; els.scope.removeAttribute("title"); return; }
  const chosen = inputs.filter((input) => input.checked);
  const names = chosen.length === inputs.length ? t("kb.all") : chosen.length
    ? chosen.map((input) => input.closest("label")?.querySelector("span")?.textContent || input.value).join("、")
    : t("kb.none");
  els.scope.textContent = t("chat.scopeSummary", { names });
  els.scope.title = els.scope.textContent;
}

// -- the conversation list --------------------------------------------------------------------
async function loadConversations() {
  if (state.conversations === null) showState(els.convBox, "loading");
  try {
    state.conversations = await api("/assistant/conversations");
  } catch (err) {
    showState(els.convBox, "error", err.message, loadConversations);
    return;
  }
  renderConversations();
}

function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);  // the service's times are UTC
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(getLang() === "zh" ? "zh-CN" : "en",
    { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(date);
}

function renderConversations() {
  if (state.conversations === null) return;
  els.convBox.innerHTML = "";
  if (!state.conversations.length) {
    const empty = make("div", { className: "state empty small", i18n: "chat.noConversations" });
    els.convBox.append(empty);
    return;
  }
  const list = make("ul", { className: "conv-list" });
  for (const conversation of state.conversations) list.append(conversationItem(conversation));
  els.convBox.append(list);
}

function conversationItem(conversation) {
  const title = conversation.title || t("chat.untitled");
  const item = make("li", { className: "conv" });
  item.dataset.id = conversation.id;
  const current = conversation.id === state.conversationId;
  if (current) item.classList.add("current");
  const open = make("button", { className: "conv-open", attrs: { type: "button", title } });
  if (current) open.setAttribute("aria-current", "true");
  open.append(make("span", { className: "conv-title", text: title }),
    make("span", { className: "conv-time muted small", text: formatTime(conversation.updated_at) }));
  open.addEventListener("click", () => { loadConversation(conversation.id); closeSideIfNarrow(); });
  const remove = button("icon conv-delete", { icon: "trash", label: { key: "chat.deleteLabel", vars: { title } } });
  remove.title = t("chat.delete");
  remove.addEventListener("click", () => confirmDelete(item, conversation));
  item.append(open, remove);
  return item;
}

function confirmDelete(item, conversation) {
  const title = conversation.title || t("chat.untitled");
  item.innerHTML = "";
  item.classList.add("confirming");
  const question = make("span", { className: "small grow", i18n: "chat.confirmDelete" });
  const yes = button("danger small-button conv-confirm", { i18n: "chat.delete",
    label: { key: "chat.deleteLabel", vars: { title } } });
  const no = button("small-button", { i18n: "chat.cancel" });
  yes.addEventListener("click", () => deleteConversation(conversation.id, yes));
  no.addEventListener("click", () => {
    renderConversations();
    $(`li[data-id="${CSS.escape(conversation.id)}"] .conv-delete`, els.convBox)?.focus();
  });
  item.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.stopPropagation(); no.click(); } });
  item.append(question, yes, no);
  yes.focus();
}

async function deleteConversation(id, control) {
  control.disabled = true;
  try {
    await api(`/assistant/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (err) {
    if (err.status !== 404) {
      control.disabled = false;
      toast(t("chat.deleteFailed", { message: err.message }), "error");
      return;
    }
  }
  state.conversations = (state.conversations || []).filter((c) => c.id !== id);
  if (id === state.conversationId) newConversation();
  renderConversations();
  toast(t("chat.deleted"), "ok");
  els.newChat.focus();
}

// -- conversations: new, load --------------------------------------------------------------------
function setConversation(id) {
  state.conversationId = id;
  history.replaceState(null, "", id ? `#c=${id}` : location.pathname + location.search);
  for (const item of els.convBox.querySelectorAll("li.conv")) {
    const current = item.dataset.id === id;
    item.classList.toggle("current", current);
    const open = $(".conv-open", item);
    if (open) { if (current) open.setAttribute("aria-current", "true"); else open.removeAttribute("aria-current"); }
  }
}

function setTitle(text) {
  if (text) {
    delete els.title.dataset.i18n;
    els.title.textContent = text;
  } else {
    els.title.dataset.i18n = "chat.newTitle";
    els.title.textContent = t("chat.newTitle");
  }
}

function newConversation() {
  stopStreaming();
  setConversation(null);
  state.messages = [];
  setTitle(null);
  showEmpty();
}

function showEmpty() {
  els.messages.innerHTML = "";
  const box = make("div", { className: "state empty chat-empty" });
  box.append(make("p", { className: "chat-empty-title", i18n: "chat.empty" }),
    make("p", { className: "small", i18n: "chat.emptyHint" }));
  els.messages.append(box);
}

async function loadConversation(id) {
  stopStreaming();
  setConversation(id);
  state.messages = [];
  showState(els.messages, "loading");
  let conversation;
  try {
    conversation = await api(`/assistant/conversations/${encodeURIComponent(id)}`);
  } catch (err) {
    if (state.conversationId !== id) return;
    if (err.status === 404) {
      toast(t("chat.gone"), "error");
      newConversation();
      loadConversations();
    } else {
      showState(els.messages, "error", err.message, () => loadConversation(id));
    }
    return;
  }
  if (state.conversationId !== id) return;  // another conversation was opened meanwhile
  setTitle(conversation.title || t("chat.untitled"));
  restoreScope(conversation.knowledge_bases || []);
  els.messages.innerHTML = "";
  let query = "";
  for (const m of conversation.messages) {
    if (m.role === "user") {
      query = m.rewritten_query || m.content;
      addEntry({ role: "user", content: m.content });
    } else if (m.role === "assistant") {
      addEntry({ role: "assistant", content: m.content, citations: m.citations || [], found: m.found,
        status: "done", messageId: m.id, query, followUps: [], mode: m.answer_mode || null });
    }
  }
  if (!state.messages.length) showEmpty();
  scrollToEnd(true);
}

// A conversation keeps the knowledge bases it was asked over: tick them again when it is opened.
function restoreScope(kbIds) {
  const inputs = kbInputs();
  if (!kbIds.length || !inputs.length || !kbIds.some((id) => inputs.some((input) => input.value === id))) return;
  for (const input of inputs) input.checked = kbIds.includes(input.value);
  updateScope();
}

// -- messages ------------------------------------------------------------------------------------
function addEntry(entry) {
  if (!state.messages.length) els.messages.innerHTML = "";
  state.messages.push(entry);
  entry.el = renderEntry(entry);
  els.messages.append(entry.el);
  return entry;
}

function updateEntry(entry) {
  const el = renderEntry(entry);
  entry.el.replaceWith(el);
  entry.el = el;
}

function renderEntry(entry) {
  return entry.role === "user" ? renderUser(entry) : renderAssistant(entry);
}

function renderUser(entry) {
  const el = make("div", { className: "msg user" });
  const bubble = make("div", { className: "bubble" });
  bubble.append(make("span", { className: "visually-hidden", i18n: "chat.you" }),
    make("span", { className: "text", text: entry.content }));
  el.append(bubble);
  return el;
}

const citationOf = (c) => c.citation || c;

function renderAssistant(entry) {
  const el = make("article", { className: "msg assistant" });
  const streaming = entry.status === "streaming";
  const notFound = entry.status === "done" && entry.found === false;
  if (notFound) el.classList.add("not-found");
  if (entry.status === "error") el.classList.add("failed");
  el.setAttribute("aria-busy", String(streaming));

  const head = make("div", { className: "msg-head" });
  head.append(make("span", { className: "who", i18n: "chat.assistant" }));
  if (entry.mode) {
    const badge = make("span", { className: `badge mode mode-${entry.mode}`, i18n: `chat.mode.${entry.mode}` });
    badge.dataset.i18nTitle = "chat.modeTitle";
    badge.title = t("chat.modeTitle");
    head.append(badge);
  }
  if (notFound) head.append(make("span", { className: "badge err not-found-badge", i18n: "chat.notFound" }));
  el.append(head);

  if (streaming && !entry.content) {
    const wait = make("div", { className: "searching muted" });
    wait.append(make("span", { className: "spinner", attrs: { "aria-hidden": "true" } }),
      make("span", { i18n: "chat.searching" }));
    el.append(wait);
  }
  if (entry.content) {
    const answer = make("div", { className: "answer" });
    renderAnswerText(answer, entry);
    if (streaming) answer.append(make("span", { className: "cursor", attrs: { "aria-hidden": "true" } }));
    el.append(answer);
  }
  if (notFound) el.append(make("p", { className: "hint small", i18n: "chat.notFoundHint" }));
  if (entry.status === "stopped") el.append(make("p", { className: "muted small stopped", i18n: "chat.stopped" }));
  if (entry.status === "error") {
    const error = make("p", { className: "error-text", attrs: { role: "alert" } });
    tr(error, "chat.failed", { message: entry.error || "" });
    el.append(error);
  }
  if (entry.citations?.length) el.append(renderSources(entry));
  if (entry.followUps?.length) el.append(renderFollowUps(entry));
  if ((entry.status === "done" || entry.status === "stopped") && entry.content) el.append(...renderActions(entry));
  return el;
}

function citeChip(entry, n, className) {
  const c = citationOf(entry.citations[n - 1]);
  const chip = make("button", { className, attrs: { type: "button", title: c.label || c.document_name || "" } });
  chip.dataset.n = String(n);
  tr(chip, "chat.citeLabel", { n, label: c.label || c.document_name || "" }, "aria-label");
  chip.addEventListener("click", () => openSource(entry.citations[n - 1], { query: entry.query || "" }));
  return chip;
}

// The answer's text with each [n] turned into a chip that opens citation n.
function renderAnswerText(container, entry) {
  const marker = /\[(\d+)\]/g;
  const text = entry.content;
  let cursor = 0, match;
  while ((match = marker.exec(text))) {
    if (match.index > cursor) container.append(document.createTextNode(text.slice(cursor, match.index)));
    const n = Number(match[1]);
    if (entry.citations?.[n - 1]) {
      const chip = citeChip(entry, n, "chip cite");
      chip.textContent = String(n);
      container.append(chip);
    } else {
      container.append(make("span", { className: "cite-pending", text: match[0] }));
    }
    cursor = match.index + match[0].length;
  }
  if (cursor < text.length) container.append(document.createTextNode(text.slice(cursor)));
}

function renderSources(entry) {
  const box = make("section", { className: "sources" });
  const heading = make("h3", { className: "small-heading", i18n: "chat.sources" });
  heading.id = `sources-${Math.random().toString(36).slice(2)}`;
  box.setAttribute("aria-labelledby", heading.id);
  const list = make("ol", { className: "source-list" });
  entry.citations.forEach((raw, i) => {
    const c = citationOf(raw);
    const chip = citeChip(entry, i + 1, "chip source-chip");
    chip.append(make("span", { className: "n", text: String(i + 1) }),
      make("span", { className: "label", text: c.label || c.document_name || "" }));
    const item = make("li");
    item.append(chip);
    list.append(item);
  });
  box.append(heading, list);
  return box;
}

function renderFollowUps(entry) {
  const box = make("section", { className: "follow-ups" });
  box.append(make("h3", { className: "small-heading", i18n: "chat.followUps" }));
  const row = make("div", { className: "follow-up-list" });
  for (const question of entry.followUps) {
    const b = make("button", { className: "follow-up", text: question, attrs: { type: "button" } });
    b.disabled = Boolean(state.streaming);
    b.addEventListener("click", () => send(question));
    row.append(b);
  }
  box.append(row);
  return box;
}

function copyTextOf(entry) {
  const lines = (entry.citations || []).map((raw, i) => {
    const c = citationOf(raw);
    return `[${i + 1}] ${c.label || c.document_name}`;
  });
  return lines.length ? `${entry.content.trim()}\n\n${t("chat.sources")}\n${lines.join("\n")}` : entry.content.trim();
}

async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* denied: fall back */ }
  const focused = document.activeElement;
  const area = make("textarea", { attrs: { readonly: "", "aria-hidden": "true" } });
  area.value = text;
  Object.assign(area.style, { position: "fixed", top: "0", left: "-9999px", opacity: "0" });
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  area.remove();
  focused?.focus();
  return ok;
}

function renderActions(entry) {
  const bar = make("div", { className: "msg-actions", attrs: { role: "group" } });
  bar.dataset.i18nAriaLabel = "chat.actions";
  bar.setAttribute("aria-label", t("chat.actions"));
  const copy = button("icon-text copy", { icon: "copy", i18n: "chat.copy" });
  copy.dataset.i18nTitle = "chat.copyLabel";
  copy.title = t("chat.copyLabel");
  copy.addEventListener("click", async () => {
    const ok = await copyText(copyTextOf(entry));
    toast(t(ok ? "chat.copied" : "chat.copyFailed"), ok ? "ok" : "error");
  });
  bar.append(copy);
  if (!entry.messageId) return [bar];

  const up = button("icon-text thumb up", { icon: "up", i18n: "chat.up" });
  const down = button("icon-text thumb down", { icon: "down", i18n: "chat.down" });
  for (const [b, rating] of [[up, "up"], [down, "down"]]) {
    b.setAttribute("aria-pressed", String(entry.rating === rating));
    b.dataset.rating = rating;
  }
  bar.append(up, down);

  const form = make("form", { className: "feedback-form" });
  form.hidden = true;
  const legend = make("p", { className: "small feedback-title" });
  const label = make("label", { attrs: {} });
  label.append(make("span", { i18n: "chat.comment" }));
  const comment = make("textarea", { attrs: { rows: "2", maxlength: "2000" } });
  comment.dataset.i18nPlaceholder = "chat.commentPlaceholder";
  comment.placeholder = t("chat.commentPlaceholder");
  label.append(comment);
  const submit = make("button", { className: "primary", i18n: "chat.feedbackSubmit", attrs: { type: "submit" } });
  const cancel = make("button", { i18n: "chat.cancel", attrs: { type: "button" } });
  const buttons = make("div", { className: "row" });
  buttons.append(submit, cancel);
  form.append(legend, label, buttons);
  const done = make("p", { className: "feedback-done small", attrs: { role: "status" } });
  if (entry.feedbackSent) done.append(make("span", { i18n: "chat.feedbackThanks" }));

  let rating = null;
  const choose = (value) => {
    rating = value;
    up.setAttribute("aria-pressed", String(value === "up"));
    down.setAttribute("aria-pressed", String(value === "down"));
    tr(legend, "chat.feedbackTitle", { rating: t(value === "up" ? "chat.up" : "chat.down") });
    form.hidden = false;
    done.innerHTML = "";
    comment.focus();
  };
  up.addEventListener("click", () => choose("up"));
  down.addEventListener("click", () => choose("down"));
  cancel.addEventListener("click", () => {
    form.hidden = true;
    up.setAttribute("aria-pressed", String(entry.rating === "up"));
    down.setAttribute("aria-pressed", String(entry.rating === "down"));
    (rating === "up" ? up : down).focus();
  });
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.stopPropagation(); cancel.click(); } });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await api(`/assistant/messages/${encodeURIComponent(entry.messageId)}/feedback`,
        { method: "POST", json: { rating, comment: comment.value.trim() } });
    } catch (err) {
      submit.disabled = false;
      done.innerHTML = "";
      done.append(tr(make("span", { className: "error-text" }), "chat.feedbackFailed", { message: err.message }));
      return;
    }
    entry.rating = rating;
    entry.feedbackSent = true;
    form.hidden = true;
    submit.disabled = false;
    comment.value = "";
    done.innerHTML = "";
    done.append(make("span", { i18n: "chat.feedbackThanks" }));
    toast(t("chat.feedbackThanks"), "ok");
    (rating === "up" ? up : down).focus();
  });
  return [bar, form, done];
}

// Whether the reader is at the newest message: decided when they scroll, not after the list grew (an update that
// adds the sources and the action bar grows it by more than any "near the bottom" margin, and cut it off).
let pinnedToEnd = true;

function trackReading() {
  const box = els.messages;
  box.addEventListener("scroll", () => {
    pinnedToEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  }, { passive: true });
  // Content that settles later (fonts, images, wrapped chips) keeps the newest message in view too.
  new ResizeObserver(() => { if (pinnedToEnd) jumpToEnd(box); }).observe(box);
  new MutationObserver(() => { if (pinnedToEnd) jumpToEnd(box); })
    .observe(box, { childList: true, subtree: true, characterData: true });
}

// Instantly: the list scrolls smoothly for the reader, and the scroll events of a smooth scroll on its way down
// would read as the reader having left the end.
function jumpToEnd(box) {
  box.scrollTo({ top: box.scrollHeight, behavior: "instant" });
}

function scrollToEnd(force = false) {
  const box = els.messages;
  if (force || pinnedToEnd) {
    pinnedToEnd = true;
    jumpToEnd(box);
  }
}

// -- asking --------------------------------------------------------------------------------------
function setBusy(busy) {
  els.send.disabled = busy;
  els.stop.hidden = !busy;
  els.form.setAttribute("aria-busy", String(busy));
  els.messages.setAttribute("aria-busy", String(busy));  // screen readers read the answer once it is complete
  for (const b of els.messages.querySelectorAll(".follow-up")) b.disabled = busy;
}

function stopStreaming() {
  if (!state.streaming) return;
  state.streaming.controller.abort();
  state.streaming = null;
  setBusy(false);
}

async function send(raw) {
  const text = (raw || "").trim();
  if (!text || state.streaming) return;
  const kbs = chosenKbs();
  if (!kbs.length) {
    toast(t(kbInputs().length ? "chat.pickKb" : "state.noKbs"), "error");
    setSideOpen(true);
    els.kbArea.open = true;
    $("#kb-picker input, #kb-picker button")?.focus();
    return;
  }
  const conversationId = state.conversationId;
  if (!state.messages.length) setTitle(text);
  addEntry({ role: "user", content: text });
  const entry = addEntry({ role: "assistant", content: "", citations: [], status: "streaming", query: text,
    followUps: [], mode: null });
  scrollToEnd(true);
  if (els.input.value.trim() === text) els.input.value = "";  // a follow-up button leaves a draft alone
  const controller = new AbortController();
  state.streaming = { controller, entry };
  setBusy(true);
  const body = { message: text, knowledge_bases: kbs };
  if (conversationId) body.conversation_id = conversationId;
  try {
    await streamEvents("/assistant/chat", body, (name, data) => {
      if (name === "meta") {
        entry.query = data.query || text;
        entry.mode = data.mode;
        const id = data.conversation_id;
        if (id && id !== state.conversationId) setConversation(id);
      } else if (name === "delta") {
        entry.content += data.text || "";
      } else if (name === "done") {
        const answer = data.answer || {};
        Object.assign(entry, { content: answer.answer ?? entry.content, citations: answer.citations || [],
          found: answer.found, mode: answer.mode || entry.mode, messageId: data.message_id,
          followUps: data.follow_ups || [], status: "done" });
      } else if (name === "error") {
        Object.assign(entry, { status: "error", error: data.message || data.error });
      }
      if (entry.el.isConnected) { updateEntry(entry); scrollToEnd(); }
    }, { signal: controller.signal });
    if (entry.status === "streaming") Object.assign(entry, { status: "error", error: t("chat.interrupted") });
  } catch (err) {
    if (err.name === "AbortError") entry.status = "stopped";
    else Object.assign(entry, { status: "error", error: err.message });
  } finally {
    if (state.streaming?.entry === entry) state.streaming = null;
    if (!state.streaming) setBusy(false);
  }
  if (entry.el.isConnected) { updateEntry(entry); scrollToEnd(); }
  loadConversations();
  if (document.activeElement === document.body || document.activeElement === els.stop) els.input.focus();
}

start();
