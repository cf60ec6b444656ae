// The sign-in page: user name and password (local or directory); on success back to the page that sent us here.
import { api } from "./api.js";
import { applyI18n, getLang, registerStrings, setLang, t } from "./i18n.js";

registerStrings({
  zh: { "login.title": "登录知库", "login.username": "用户名", "login.password": "密码", "login.submit": "登录",
        "login.busy": "正在登录…", "login.hint": "忘记密码请联系系统管理员。", "login.missing": "请输入用户名和密码。" },
  en: { "login.title": "Sign in to Zhiku", "login.username": "User name", "login.password": "Password", "login.submit": "Sign in",
        "login.busy": "Signing in…", "login.hint": "Forgot your password? Ask a system administrator.",
        "login.missing": "Enter your user name and password." },
});

// Only a page of this UI may be the destination (never another site: open redirect).
function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return /^\/ui\/[\w./-]*(\?[^#]*)?(#.*)?$/.test(next) && !next.startsWith("/ui/login.html") ? next : "/ui/index.html";
}

document.documentElement.lang = getLang() === "zh" ? "zh-CN" : "en";
applyI18n(document);
document.getElementById("lang-switch").addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh"));

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) { error.textContent = t("login.missing"); return; }
  error.textContent = "";
  submit.disabled = true;
  submit.textContent = t("login.busy");
  try {
    await api("/auth/login", { method: "POST", json: { username, password } });
    location.assign(nextPage());
  } catch (err) {
    error.textContent = err.message;
    form.password.value = "";
    form.password.focus();
  } finally {
    submit.disabled = false;
    submit.textContent = t("login.submit");
  }
});
