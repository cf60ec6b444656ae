// The frame every page shares: header with navigation and language switch, toasts, small DOM helpers.
import { api } from "./api.js";
import { applyI18n, getLang, registerStrings, setLang, t } from "./i18n.js";

registerStrings({
  zh: { "nav.identity": "用户与权限", "user.menu": "当前用户", "user.signOut": "退出登录", "user.admin": "系统管理员",
        "user.service": "API 密钥" },
  en: { "nav.identity": "Users & access", "user.menu": "Signed in as", "user.signOut": "Sign out", "user.admin": "System admin",
        "user.service": "API key" },
});

const PAGES = [
  { href: "/ui/index.html", key: "nav.chat", id: "chat" },
  { href: "/ui/admin.html", key: "nav.admin", id: "admin" },
  { href: "/ui/credit.html", key: "nav.credit", id: "credit" },
  { href: "/ui/research.html", key: "nav.research", id: "research" },
];

export function mountShell(pageId) {
  const header = document.createElement("header");
  header.className = "shell";
  header.innerHTML = `
    <a class="skip-link" href="#main" data-i18n="shell.skip">Skip to content</a>
    <a class="brand" href="/ui/index.html" data-i18n="app.name"></a>
    <nav aria-label="Zhiku">${PAGES.map((p) =>
      `<a href="${p.href}" data-i18n="${p.key}" ${p.id === pageId ? 'aria-current="page"' : ""}></a>`).join("")}</nav>
    <div class="user-menu" id="user-menu" hidden>
      <span class="user-name" id="user-name" data-i18n-title="user.menu"></span>
      <button type="button" id="sign-out" data-i18n="user.signOut" hidden></button>
    </div>
    <button type="button" class="lang" data-i18n="lang.switch" data-i18n-aria-label="lang.label" id="lang-switch"></button>`;
  document.body.prepend(header);
  const toasts = document.createElement("div");
  toasts.id = "toasts";
  toasts.setAttribute("role", "status");
  toasts.setAttribute("aria-live", "polite");
  document.body.append(toasts);
  header.querySelector("#lang-switch").addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh"));
  document.documentElement.lang = getLang() === "zh" ? "zh-CN" : "en";
  applyI18n(document);
  loadUserMenu(header, pageId);
}

// Who is signed in (a 401 sends the page to sign-in, in api()); system administrators also get the
// users-and-access page in the navigation.
async function loadUserMenu(header, pageId) {
  let me;
  try { me = await api("/auth/me"); } catch { return; }
  window.zhikuCaller = me;
  const menu = header.querySelector("#user-menu");
  const name = header.querySelector("#user-name");
  name.textContent = me.name + (me.system_admin ? ` · ${t("user.admin")}` : "") + (me.kind === "service" ? ` · ${t("user.service")}` : "");
  menu.hidden = false;
  if (me.system_admin) {
    const link = document.createElement("a");
    link.href = "/ui/identity.html";
    link.dataset.i18n = "nav.identity";
    link.textContent = t("nav.identity");
    if (pageId === "identity") link.setAttribute("aria-current", "page");
    header.querySelector("nav").append(link);
  }
  const signOut = header.querySelector("#sign-out");
  if (me.kind === "user") {
    signOut.hidden = false;
    signOut.addEventListener("click", async () => {
      try { await api("/auth/logout", { method: "POST" }); } finally { location.assign("/ui/login.html"); }
    });
  }
  window.dispatchEvent(new CustomEvent("zhiku:caller", { detail: me }));
}

export function toast(message, kind = "") {
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = message;
  document.getElementById("toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Loading, empty and error states, in one place so every page shows them the same way.
export function showState(container, kind, message, retry) {
  container.innerHTML = "";
  const el = document.createElement("div");
  el.className = `state ${kind}`;
  if (kind === "loading") el.innerHTML = `<span class="spinner" aria-hidden="true"></span> ${escapeHtml(message || t("state.loading"))}`;
  else el.textContent = kind === "error" ? t("state.error", { message }) : message;
  if (retry) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t("state.retry");
    button.style.marginLeft = "10px";
    button.addEventListener("click", retry);
    el.append(button);
  }
  container.append(el);
}

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(sec).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
