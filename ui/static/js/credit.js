// The credit report writer: choose a knowledge base, name the company, tick its materials, draft a cited report
// (POST /reports/credit), read it with its citations, gaps and warnings, and download it as DOCX or Markdown.
import { DocumentChecklist } from "./document_checklist.js";
import { api } from "./api.js";
import { applyI18n, getLang, registerStrings, t } from "./i18n.js";
import { mountKbPicker } from "./kb_picker.js";
import { escapeHtml, mountShell, showState, toast } from "./shell.js";
import { openSource } from "./source_panel.js";

registerStrings({
  zh: {
    "credit.pageTitle": "知库 · 授信报告", "credit.title": "授信调查报告撰写",
    "credit.intro": "选择知识库与企业的材料，一键生成对公授信调查报告草稿：每条陈述都注明出处，财务数据照原文复制，材料中没有的内容列为信息缺口。",
    "credit.setup": "选择材料", "credit.result": "报告草稿",
    "credit.company": "企业名称", "credit.companyPlaceholder": "例如：江南恒泰精密制造有限公司",
    "credit.companyHint": "输入企业全称；名称中含企业简称（去掉“有限公司”等）的文档会被自动勾选。",
    "credit.suggest": "文档中出现的企业：", "credit.documents": "材料",
    "docs.selectAll": "全选", "docs.selectNone": "全不选", "docs.count": "已选 {n} / {total} 个", "docs.chosen": "已选：{names}",
    "docs.none": "该知识库还没有文档。请先在“知识管理”上传企业材料。", "docs.pickKb": "请先选择一个知识库。",
    "docs.notReady": "处理中，暂不可用", "docs.failed": "处理失败",
    "status.done": "已就绪", "status.processing": "处理中", "status.pending": "排队中", "status.failed": "失败",
    "credit.draft": "生成草稿", "credit.drafting": "正在起草报告…已用 {s} 秒（检索、抽取与核对需要一些时间）",
    "credit.draftingShort": "起草中…", "credit.done": "草稿已生成，用时 {s} 秒。",
    "credit.autoPick": "未勾选材料：将按企业名称自动选择文档。",
    "credit.needCompany": "请输入企业名称。", "credit.needKb": "请选择一个知识库。",
    "credit.empty": "在左侧选择知识库、输入企业名称并勾选材料，然后点击“生成草稿”。",
    "err.noDocs": "没有文档的名称包含“{key}”。请检查企业名称，或在左侧勾选该企业的材料。",
    "err.notReady": "所选材料还在处理中（{names}），请等待处理完成后再试。",
    "err.docsMissing": "部分所选文档已不在该知识库中，请刷新文档列表后重试。",
    "err.template": "报告模板不可用：{message}",
    "report.subject": "授信对象", "report.materials": "使用的材料（{n}）", "report.created": "生成时间",
    "report.download": "下载", "report.docx": "下载 DOCX", "report.md": "Markdown", "report.json": "JSON",
    "report.summary": "{sections} 个章节 · {citations} 处出处 · {gaps} 个信息缺口 · {warnings} 条核对提示 · {unsupported} 条未被支持的陈述",
    "report.warnings": "数据核对提示", "report.warningsHint": "不同材料中的同一数据不一致，请人工核对：",
    "report.gaps": "信息缺口", "report.gapsHint": "以下内容在材料中没有找到，草稿中未填写，需补充材料：",
    "report.noGaps": "没有信息缺口。", "report.gap": "缺口",
    "report.nothing": "材料中未找到本章节的内容。", "report.unsupported": "未被出处支持",
    "report.unsupportedTitle": "出处不能支持这句话，请核对后再使用。",
    "report.item": "项目", "report.unit": "单位：{unit}", "report.source": "出处",
    "report.computed": "计算", "report.formula": "计算公式：{formula}",
    "report.sources": "出处列表（{n}）", "report.cite": "出处 {n}：{label}",
    "report.draftNote": "这是自动生成的草稿：请逐条核对出处，补充缺口材料，结论须经客户经理审核。",
    "report.modeLabel": "生成方式", "mode.extractive": "摘录（离线）", "mode.llm": "大模型生成（逐句核对）",
  },
  en: {
    "credit.pageTitle": "Zhiku · Credit report", "credit.title": "Credit report writer",
    "credit.intro": "Choose a knowledge base and the company's materials to draft a corporate credit report: every statement is cited, figures are copied exactly, and whatever the materials lack is listed as a gap.",
    "credit.setup": "Materials", "credit.result": "Draft report",
    "credit.company": "Company name", "credit.companyPlaceholder": "e.g. 江南恒泰精密制造有限公司",
    "credit.companyHint": "Type the full name; documents whose name contains its short name (without 有限公司 etc.) are ticked for you.",
    "credit.suggest": "Companies in the documents:", "credit.documents": "Materials",
    "docs.selectAll": "Select all", "docs.selectNone": "Select none", "docs.count": "{n} of {total} selected", "docs.chosen": "Chosen: {names}",
    "docs.none": "This knowledge base has no documents yet. Upload the company's materials in Knowledge admin.",
    "docs.pickKb": "Choose a knowledge base first.",
    "docs.notReady": "still processing", "docs.failed": "ingestion failed",
    "status.done": "ready", "status.processing": "processing", "status.pending": "queued", "status.failed": "failed",
    "credit.draft": "Draft report", "credit.drafting": "Drafting the report… {s} s (searching, extracting and checking take a while)",
    "credit.draftingShort": "Drafting…", "credit.done": "Draft ready in {s} s.",
    "credit.autoPick": "No materials ticked: documents are chosen by the company's name.",
    "credit.needCompany": "Type the company's name.", "credit.needKb": "Choose a knowledge base.",
    "credit.empty": "Choose a knowledge base, type the company's name, tick its materials and press “Draft report”.",
    "err.noDocs": "No document's name contains “{key}”. Check the company's name, or tick its materials on the left.",
    "err.notReady": "The chosen materials are still being processed ({names}); try again when they are done.",
    "err.docsMissing": "Some chosen documents are no longer in this knowledge base; reload the list and try again.",
    "err.template": "The report template is not available: {message}",
    "report.subject": "Borrower", "report.materials": "Materials used ({n})", "report.created": "Created",
    "report.download": "Download", "report.docx": "Download DOCX", "report.md": "Markdown", "report.json": "JSON",
    "report.summary": "{sections} sections · {citations} sources · {gaps} gaps · {warnings} consistency warnings · {unsupported} unsupported statements",
    "report.warnings": "Consistency warnings", "report.warningsHint": "The same figure differs between materials; check it:",
    "report.gaps": "Gaps", "report.gapsHint": "Not found in the materials and left blank in the draft; these need more materials:",
    "report.noGaps": "No gaps.", "report.gap": "Gap",
    "report.nothing": "Nothing for this section was found in the materials.", "report.unsupported": "not supported",
    "report.unsupportedTitle": "The sources do not support this sentence; check it before use.",
    "report.item": "Item", "report.unit": "Unit: {unit}", "report.source": "Sources",
    "report.computed": "computed", "report.formula": "Formula: {formula}",
    "report.sources": "Sources ({n})", "report.cite": "Source {n}: {label}",
    "report.draftNote": "An automatic draft: check each source, add materials for the gaps; conclusions need review.",
    "report.modeLabel": "Mode", "mode.extractive": "extractive (offline)", "mode.llm": "LLM (each sentence checked)",
  },
});

const LEGAL_FORM = /(股份有限公司|有限责任公司|有限公司|集团公司|公司|Co\.?,? ?Ltd\.?|Limited|Inc\.?)$/i;
const COMPANY_IN_NAME = /(股份有限公司|有限责任公司|有限公司|集团公司)$/;

// The server's rule (scenarios/report_service.short_name): the name without its legal form.
export function shortName(company) {
  const name = company.trim();
  return name.replace(LEGAL_FORM, "").trim() || name;
}

// Company names in document names: "江南恒泰精密制造有限公司_财务报表.xlsx" → 江南恒泰精密制造有限公司.
function companiesIn(documents) {
  const names = new Map();
  for (const doc of documents) {
    const stem = doc.name.replace(/\.[^.]+$/, "");
    for (const part of stem.split(/[_\s·—-]+/)) {
      if (part.length > 4 && COMPANY_IN_NAME.test(part)) names.set(part, (names.get(part) || 0) + 1);
    }
  }
  return [...names.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
}

// A gap reason or other server text written "中文 / English": the half in the interface language.
export function localText(text) {
  const parts = String(text || "").split(" / ");
  if (parts.length !== 2) return text;
  return getLang() === "zh" ? parts[0] : parts[1];
}

const KB_KEY = "zhiku.credit.kb";
const state = { kbId: null, documents: [], report: null, drafting: false, picker: null, seconds: 0 };
const $ = (id) => document.getElementById(id);
const checklist = new DocumentChecklist($("documents"), $("docs-count"));

mountShell("credit");
init();

async function init() {
  applyI18n(document);
  showState($("report-body"), "empty", t("credit.empty"));
  // With nothing saved, kb_picker in single mode would tick every radio (the last one wins): start from "[]"
  // so that it picks the first knowledge base.
  if (localStorage.getItem(KB_KEY) === null) localStorage.setItem(KB_KEY, "[]");
  state.picker = await mountKbPicker($("kb-picker"), { storageKey: KB_KEY, single: true, onChange: (ids) => loadDocuments(ids[0]) });
  loadDocuments(state.picker.selected()[0]);
  $("company").addEventListener("input", debounce(() => { tickForCompany(); renderSuggestions(); }, 200));
  $("company").addEventListener("change", () => { tickForCompany(); renderSuggestions(); });
  $("company").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); draft(); } });
  $("docs-all").addEventListener("click", () => checklist.setAll(true));
  $("docs-none").addEventListener("click", () => checklist.setAll(false));
  $("documents").addEventListener("change", () => checklist.updateCount());
  $("draft").addEventListener("click", draft);
  $("report-body").addEventListener("click", onReportClick);
  window.addEventListener("langchange", () => {
    checklist.render(state.kbId, state.documents, checklist.selectedIds());
    renderSuggestions();
    if (state.report) renderReport(state.report);
    else if (!state.drafting && !$("report-body").querySelector(".state.error")) showState($("report-body"), "empty", t("credit.empty"));
    if (state.drafting) $("draft-status").textContent = t("credit.drafting", { s: state.seconds });
  });
}

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// -- documents ----------------------------------------------------------------------------------
async function loadDocuments(kbId) {
  state.kbId = kbId || null;
  state.documents = [];
  if (!kbId) { checklist.render(null, []); return; }
  checklist.showState("loading");
  try {
    state.documents = await api(`/knowledge-bases/${encodeURIComponent(kbId)}/documents`);
  } catch (err) {
    checklist.showState("error", err.message, () => loadDocuments(kbId));
    return;
  }
  if (kbId !== state.kbId) return;  // another knowledge base was chosen meanwhile
  checklist.render(state.kbId, state.documents, null);
  tickForCompany();
  renderSuggestions();
}

// Tick the documents whose name contains the company's short name (the server's own rule).
function tickForCompany() {
  const company = $("company").value.trim();
  if (!company) return;
  const key = shortName(company);
  for (const box of checklist.checkboxes()) {
    const doc = state.documents.find((d) => d.id === box.value);
    box.checked = !box.disabled && !!doc && doc.name.includes(key);
  }
  checklist.updateCount();
}

function renderSuggestions() {
  const names = companiesIn(state.documents);
  $("company-list").innerHTML = names.map((n) => `<option value="${escapeHtml(n)}"></option>`).join("");
  const box = $("company-suggestions");
  const current = $("company").value.trim();
  const shown = names.filter((n) => n !== current).slice(0, 6);
  box.hidden = !shown.length;
  box.innerHTML = shown.length ? `<span class="muted small">${escapeHtml(t("credit.suggest"))}</span>
    ${shown.map((n) => `<button type="button" class="suggestion" data-name="${escapeHtml(n)}">${escapeHtml(n)}</button>`).join("")}` : "";
  for (const button of box.querySelectorAll("button")) {
    button.addEventListener("click", () => {
      $("company").value = button.dataset.name;
      tickForCompany();
      renderSuggestions();
      $("company").focus();
    });
  }
}

// -- drafting -----------------------------------------------------------------------------------
async function draft() {
  if (state.drafting) return;
  const company = $("company").value.trim();
  if (!state.kbId) { toast(t("credit.needKb"), "error"); return; }
  if (!company) { toast(t("credit.needCompany"), "error"); $("company").focus(); return; }
  const ids = checklist.selectedIds();
  const body = { company, knowledge_bases: [state.kbId] };
  if (ids.length) body.document_ids = ids;
  else toast(t("credit.autoPick"));
  state.drafting = true;
  state.seconds = 0;
  const button = $("draft"), status = $("draft-status"), result = $("report");
  button.disabled = true;
  button.innerHTML = `<span class="spinner" aria-hidden="true"></span> ${escapeHtml(t("credit.draftingShort"))}`;
  result.setAttribute("aria-busy", "true");
  status.textContent = t("credit.drafting", { s: 0 });
  showState($("report-body"), "loading", t("credit.drafting", { s: 0 }));
  const started = performance.now();
  const timer = setInterval(() => {
    state.seconds = Math.round((performance.now() - started) / 1000);
    const text = t("credit.drafting", { s: state.seconds });
    const loading = $("report-body").querySelector(".state.loading");
    if (loading) loading.lastChild.textContent = " " + text;
    status.textContent = text;
  }, 1000);
  try {
    const report = await api("/reports/credit", { method: "POST", json: body });
    state.report = report;
    renderReport(report);
    const seconds = Math.round((performance.now() - started) / 1000);
    status.textContent = t("credit.done", { s: seconds });
    $("report-heading")?.focus();
  } catch (err) {
    state.report = null;
    status.textContent = "";
    showState($("report-body"), "error", readableError(err), draft);
  } finally {
    clearInterval(timer);
    state.drafting = false;
    button.disabled = false;
    button.textContent = t("credit.draft");
    result.setAttribute("aria-busy", "false");
  }
}

// The service's refusals in words a user can act on (the raw message otherwise).
export function readableError(err) {
  const message = String(err.message || err);
  let m = message.match(/no document name contains '(.+?)'/) || message.match(/no document name contains "(.+?)"/);
  if (m) return t("err.noDocs", { key: m[1] });
  m = message.match(/none of the materials is indexed yet \((.*)\)/);
  if (m) return t("err.notReady", { names: m[1] });
  if (/documents not found in these knowledge bases/.test(message)) return t("err.docsMissing");
  if (err.status === 404 && /template/i.test(message)) return t("err.template", { message });
  return message;
}

// -- the report ---------------------------------------------------------------------------------
function chips(numbers, query) {
  return (numbers || []).map((n) => {
    const c = state.report?.citations?.[n - 1];
    const label = c ? c.label : "";
    return `<button type="button" class="chip cite" data-n="${n}" data-query="${escapeHtml(query)}"
      aria-label="${escapeHtml(t("report.cite", { n, label }))}" title="${escapeHtml(label)}">[${n}]</button>`;
  }).join("");
}

function renderReport(report) {
  const body = $("report-body");
  const statements = report.sections.flatMap((s) => s.statements);
  const unsupported = statements.filter((s) => !s.supported).length;
  const gapsBySection = new Map();
  for (const gap of report.gaps) {
    if (!gapsBySection.has(gap.section)) gapsBySection.set(gap.section, []);
    gapsBySection.get(gap.section).push(gap);
  }
  const links = report.downloads || {};
  body.innerHTML = `
    <article class="report" aria-labelledby="report-heading">
      <header class="report-head">
        <h2 id="report-heading" tabindex="-1">${escapeHtml(report.title)}</h2>
        <div class="downloads" role="group" aria-label="${escapeHtml(t("report.download"))}">
          <a class="button primary" id="download-docx" href="${escapeHtml(links.docx)}" download>${escapeHtml(t("report.docx"))}</a>
          <a class="button" id="download-md" href="${escapeHtml(links.md)}" download>${escapeHtml(t("report.md"))}</a>
          <a class="button" id="download-json" href="${escapeHtml(links.json)}" download>${escapeHtml(t("report.json"))}</a>
        </div>
      </header>
      <p class="muted small draft-note">${escapeHtml(t("report.draftNote"))}</p>
      <dl class="meta">
        <div><dt>${escapeHtml(t("report.subject"))}</dt><dd>${escapeHtml(report.subject)}</dd></div>
        <div><dt>${escapeHtml(t("report.created"))}</dt><dd>${escapeHtml(formatTime(report.created_at))}</dd></div>
        <div><dt>${escapeHtml(t("report.modeLabel"))}</dt><dd>${escapeHtml(t("mode." + (report.mode || "extractive")))}</dd></div>
      </dl>
      <details class="materials"><summary>${escapeHtml(t("report.materials", { n: report.documents.length }))}</summary>
        <ul>${report.documents.map((d) => `<li>${escapeHtml(d.name)}</li>`).join("")}</ul></details>
      <p class="summary" id="report-summary">${escapeHtml(t("report.summary", { sections: report.sections.length,
        citations: report.citations.length, gaps: report.gaps.length, warnings: report.warnings.length, unsupported }))}</p>
      ${report.warnings.length ? `<section class="callout warn" id="report-warnings" aria-labelledby="warn-title">
        <h3 id="warn-title">⚠ ${escapeHtml(t("report.warnings"))}</h3><p class="small">${escapeHtml(t("report.warningsHint"))}</p>
        <ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul></section>` : ""}
      ${report.sections.map((section) => renderSection(section, gapsBySection.get(section.title) || [])).join("")}
      <section class="callout gaps" id="report-gaps" aria-labelledby="gaps-title">
        <h3 id="gaps-title">${escapeHtml(t("report.gaps"))} (${report.gaps.length})</h3>
        ${report.gaps.length ? `<p class="small">${escapeHtml(t("report.gapsHint"))}</p><ul>${report.gaps.map((g) =>
          `<li class="gap-item"><strong>${escapeHtml(g.section)}</strong> · ${escapeHtml(g.item)}：<span class="reason">${escapeHtml(localText(g.reason))}</span></li>`).join("")}</ul>`
          : `<p class="small">${escapeHtml(t("report.noGaps"))}</p>`}
      </section>
      <details class="sources" id="report-sources"><summary>${escapeHtml(t("report.sources", { n: report.citations.length }))}</summary>
        <ol>${report.citations.map((c, i) => `<li><button type="button" class="chip cite" data-n="${i + 1}" data-query=""
          aria-label="${escapeHtml(t("report.cite", { n: i + 1, label: c.label }))}">[${i + 1}]</button>
          <span class="source-label">${escapeHtml(c.label)}</span></li>`).join("")}</ol></details>
    </article>`;
}

function renderSection(section, gaps) {
  const statements = section.statements.map((s) => `
    <li class="statement${s.supported ? "" : " unsupported"}">${escapeHtml(s.text)}${chips(s.citations, s.text)}${s.supported ? ""
      : ` <span class="badge err" title="${escapeHtml(t("report.unsupportedTitle"))}">⚠ ${escapeHtml(t("report.unsupported"))}</span>`}</li>`).join("");
  const periods = section.periods || [];
  const table = section.figures.length ? `
    <div class="table-wrap"><table class="figures">
      <caption class="muted small">${section.unit ? escapeHtml(t("report.unit", { unit: section.unit })) : ""}</caption>
      <thead><tr><th scope="col">${escapeHtml(t("report.item"))}</th>${periods.map((p) => `<th scope="col" class="num">${escapeHtml(p)}</th>`).join("")}
        <th scope="col">${escapeHtml(t("report.source"))}</th></tr></thead>
      <tbody>${section.figures.map((f) => `<tr class="${f.computed ? "computed" : ""}" data-item="${escapeHtml(f.id)}">
        <th scope="row">${escapeHtml(f.label)}${f.computed ? ` <span class="badge calc">${escapeHtml(t("report.computed"))}</span>
          <span class="formula small">${escapeHtml(t("report.formula", { formula: f.formula || "" }))}</span>` : ""}</th>
        ${periods.map((p) => `<td class="num">${escapeHtml(f.values[p] ?? "—")}</td>`).join("")}
        <td class="cites">${chips(f.citations, `${f.label} ${Object.values(f.values).join(" ")}`)}</td></tr>`).join("")}
      </tbody></table></div>` : "";
  const gapList = gaps.length ? `<ul class="section-gaps">${gaps.map((g) => `<li><span class="badge warn">${escapeHtml(t("report.gap"))}</span>
      ${escapeHtml(g.item)}：${escapeHtml(localText(g.reason))}</li>`).join("")}</ul>` : "";
  const nothing = !section.statements.length && !section.figures.length ? `<p class="muted small">${escapeHtml(t("report.nothing"))}</p>` : "";
  return `<section class="report-section" data-section="${escapeHtml(section.id)}">
    <h3>${escapeHtml(section.title)}</h3>
    ${statements ? `<ul class="statements">${statements}</ul>` : ""}${table}${gapList}${nothing}</section>`;
}

function onReportClick(event) {
  const chip = event.target.closest("button.cite");
  if (!chip || !state.report) return;
  const record = state.report.citations[Number(chip.dataset.n) - 1];
  if (record) openSource(record, { query: chip.dataset.query || "" });
}

function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(document.documentElement.lang || undefined);
}
