// Interface text in Chinese and English. Pages register their strings; elements name them with
// data-i18n (text), data-i18n-placeholder, data-i18n-title and data-i18n-aria-label.
const strings = { zh: {}, en: {} };
const STORAGE_KEY = "zhiku.lang";

export function registerStrings(table) {
  for (const lang of Object.keys(strings)) Object.assign(strings[lang], table[lang] || {});
}

export function getLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function setLang(lang) {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  applyI18n(document);
  window.dispatchEvent(new CustomEvent("langchange", { detail: lang }));
}

export function t(key, vars = {}) {
  const lang = getLang();
  let text = strings[lang][key] ?? strings.en[key] ?? strings.zh[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
}

registerStrings({
  zh: {
    "app.name": "知库", "shell.skip": "跳到正文", "nav.chat": "问答", "nav.admin": "知识管理", "nav.credit": "授信报告", "nav.research": "投研",
    "lang.switch": "English", "lang.label": "切换界面语言",
    "state.loading": "加载中…", "state.error": "出错了：{message}", "state.retry": "重试",
    "state.noKbs": "还没有知识库。请到“知识管理”创建并上传文档。",
    "kb.label": "知识库", "kb.all": "全部知识库", "kb.none": "未选择",
    "source.title": "出处", "source.close": "关闭", "source.open": "打开原文件", "source.page": "第 {page} 页",
    "source.time": "{start} – {end}", "source.text": "引用原文", "source.preview": "原文预览", "source.noPreview": "该类型没有页面预览，请看引用原文或打开原文件。",
    "error.network": "无法连接服务，请检查网络或稍后重试。",
  },
  en: {
    "app.name": "Zhiku", "shell.skip": "Skip to content", "nav.chat": "Ask", "nav.admin": "Knowledge admin", "nav.credit": "Credit report", "nav.research": "Research",
    "lang.switch": "中文", "lang.label": "Switch interface language",
    "state.loading": "Loading…", "state.error": "Something went wrong: {message}", "state.retry": "Retry",
    "state.noKbs": "There are no knowledge bases yet. Create one and upload documents in Knowledge admin.",
    "kb.label": "Knowledge bases", "kb.all": "All knowledge bases", "kb.none": "None selected",
    "source.title": "Source", "source.close": "Close", "source.open": "Open the original file", "source.page": "Page {page}",
    "source.time": "{start} – {end}", "source.text": "Cited text", "source.preview": "Document preview", "source.noPreview": "No page preview for this type: see the cited text or open the original file.",
    "error.network": "Cannot reach the service; check the network and try again.",
  },
});
