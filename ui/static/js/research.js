// Research: upload or choose reports (募集说明书、评级报告、研究报告), extract their fields with one citation each
// (POST /research/extract), ask questions answered only from them (POST /research/ask, streamed), and draft a
// cited report from the research template (POST /reports/draft) to download as DOCX.
import { DocumentChecklist } from "./document_checklist.js";
import { api, streamEvents, uploadWithProgress } from "./api.js";
import { applyI18n, getLang, registerStrings, t } from "./i18n.js";
import { mountKbPicker } from "./kb_picker.js";
import { escapeHtml, formatBytes, mountShell, showState, toast } from "./shell.js";
import { openSource } from "./source_panel.js";

registerStrings({
  zh: {
    "research.pageTitle": "知库 · 投研", "research.title": "投研：债券与研究报告",
    "research.intro": "上传或勾选募集说明书、评级报告、研究报告：提取发行人、债券要素、评级和财务指标（每项注明出处），只在所选报告中问答，并生成可下载的报告草稿。",
    "research.setup": "选择报告", "research.upload": "上传报告",
    "research.pick": "选择文件…", "research.noneChosen": "未选择文件", "research.chosen": "已选 {n} 个文件：{names}",
    "research.uploadHint": "PDF、Word、Excel 等；上传后自动解析入库，完成后自动勾选。",
    "research.uploadButton": "上传", "research.uploadNone": "请先选择要上传的文件。",
    "research.uploading": "上传中… {pct}%", "research.queued": "排队中", "research.ingesting": "{stage} · {pct}%",
    "research.ingested": "已入库，可以使用", "research.unchanged": "该文件已在知识库中", "research.uploadFailed": "上传失败：{message}",
    "research.jobFailed": "处理失败：{message}",
    "stage.queued": "排队中", "stage.parsing": "解析", "stage.ocr": "文字识别", "stage.transcribing": "语音转写",
    "stage.embedding": "向量化", "stage.indexing": "建立索引", "stage.done": "完成", "stage.failed": "失败",
    "research.documents": "报告",
    "docs.selectAll": "全选", "docs.selectNone": "全不选", "docs.count": "已选 {n} / {total} 个", "docs.chosen": "已选：{names}",
    "docs.none": "该知识库还没有文档。可以在上方上传报告。", "docs.pickKb": "请先选择一个知识库。",
    "docs.notReady": "处理中，暂不可用", "docs.failed": "处理失败",
    "status.done": "已就绪", "status.processing": "处理中", "status.pending": "排队中", "status.failed": "失败",
    "research.subject": "发行人 / 主题（可选）", "research.subjectPlaceholder": "默认取提取到的发行人",
    "research.subjectHint": "提取时不填则自动识别发行人；生成报告草稿时需要。",
    "research.extract": "提取要素", "research.extracting": "正在提取… {s} 秒", "research.extracted": "提取结果",
    "research.extractEmpty": "勾选报告后点击“提取要素”：发行人、债券要素、评级、财务指标、研究结论与风险提示，每项都附出处。",
    "research.needDocs": "请先勾选至少一份报告。", "research.needKb": "请选择一个知识库。",
    "research.subjectLabel": "发行人 / 主题", "research.docsUsed": "所用报告（{n}）",
    "research.fields": "发行人与债券要素", "research.field": "字段", "research.value": "内容", "research.source": "出处",
    "research.byLlm": "模型抽取（已逐字核对）",
    "research.missing": "未找到的字段", "research.noMissing": "所有字段都已在报告中找到。",
    "research.missingHint": "这些字段在所选报告中没有写明，未填写：",
    "research.metrics": "主要财务指标", "research.item": "项目", "research.unit": "单位：{unit}",
    "research.computed": "计算", "research.formula": "计算公式：{formula}", "research.noMetrics": "所选报告中没有找到财务报表数据。",
    "research.missingMetrics": "未找到或无法计算的指标：",
    "research.conclusions": "研究结论与投资建议", "research.risks": "风险提示", "research.none": "所选报告中没有相关内容。",
    "research.warnings": "数据核对提示", "research.unsupported": "未被出处支持",
    "research.sources": "出处列表（{n}）", "research.cite": "出处 {n}：{label}",
    "research.qa": "问答（仅依据所选报告）", "research.question": "问题",
    "research.questionPlaceholder": "例如：票面利率是多少？发行人的主要风险有哪些？", "research.ask": "提问",
    "research.needQuestion": "请输入问题。", "research.thinking": "正在检索所选报告…",
    "research.notFound": "所选报告中没有找到答案。", "research.unsupportedNote": "部分句子未被出处支持，请核对。",
    "research.draft": "生成报告草稿", "research.draftTitle": "报告草稿",
    "research.draftEmpty": "勾选报告并填写（或先提取出）发行人，然后点击“生成报告草稿”，即可下载 DOCX。",
    "research.drafting": "正在生成报告草稿… {s} 秒", "research.needSubject": "请填写发行人 / 主题，或先提取要素。",
    "research.draftSummary": "{sections} 个章节 · {citations} 处出处 · {gaps} 个信息缺口",
    "research.docx": "下载 DOCX", "research.md": "Markdown", "research.json": "JSON", "research.gaps": "信息缺口",
    "research.noGaps": "没有信息缺口。",
    "err.noDocs": "没有文档的名称包含“{key}”。请勾选报告。",
    "err.notReady": "所选报告还在处理中（{names}），请等待处理完成后再试。",
    "err.docsMissing": "部分所选报告已不在该知识库中，请刷新列表后重试。",
    "mode.extractive": "摘录（离线）", "mode.llm": "大模型生成（逐句核对）", "research.modeLabel": "生成方式",
  },
  en: {
    "research.pageTitle": "Zhiku · Research", "research.title": "Research: bonds and research reports",
    "research.intro": "Upload or choose prospectuses, rating reports and research reports: extract the issuer, bond terms, ratings and financial metrics (each with its source), ask questions answered only from them, and draft a report to download.",
    "research.setup": "Reports", "research.upload": "Upload reports",
    "research.pick": "Choose files…", "research.noneChosen": "No file chosen", "research.chosen": "{n} file(s) chosen: {names}",
    "research.uploadHint": "PDF, Word, Excel and more; they are ingested after upload and ticked when ready.",
    "research.uploadButton": "Upload", "research.uploadNone": "Choose a file to upload first.",
    "research.uploading": "Uploading… {pct}%", "research.queued": "queued", "research.ingesting": "{stage} · {pct}%",
    "research.ingested": "Ingested and ready", "research.unchanged": "Already in the knowledge base", "research.uploadFailed": "Upload failed: {message}",
    "research.jobFailed": "Ingestion failed: {message}",
    "stage.queued": "queued", "stage.parsing": "parsing", "stage.ocr": "OCR", "stage.transcribing": "transcribing",
    "stage.embedding": "embedding", "stage.indexing": "indexing", "stage.done": "done", "stage.failed": "failed",
    "research.documents": "Reports",
    "docs.selectAll": "Select all", "docs.selectNone": "Select none", "docs.count": "{n} of {total} selected", "docs.chosen": "Chosen: {names}",
    "docs.none": "This knowledge base has no documents yet. Upload a report above.", "docs.pickKb": "Choose a knowledge base first.",
    "docs.notReady": "still processing", "docs.failed": "ingestion failed",
    "status.done": "ready", "status.processing": "processing", "status.pending": "queued", "status.failed": "failed",
    "research.subject": "Issuer / subject (optional)", "research.subjectPlaceholder": "Default: the issuer found",
    "research.subjectHint": "Left empty, extraction finds the issuer; a draft needs it.",
    "research.extract": "Extract", "research.extracting": "Extracting… {s} s", "research.extracted": "Extracted fields",
    "research.extractEmpty": "Tick reports and press “Extract”: issuer, bond terms, ratings, financial metrics, conclusions and risks, each with its source.",
    "research.needDocs": "Tick at least one report first.", "research.needKb": "Choose a knowledge base.",
    "research.subjectLabel": "Issuer / subject", "research.docsUsed": "Reports used ({n})",
    "research.fields": "Issuer and bond terms", "research.field": "Field", "research.value": "Value", "research.source": "Source",
    "research.byLlm": "read by the model (checked verbatim)",
    "research.missing": "Fields not found", "research.noMissing": "Every field was found in the reports.",
    "research.missingHint": "The chosen reports do not state these fields; they are left blank:",
    "research.metrics": "Key financial metrics", "research.item": "Item", "research.unit": "Unit: {unit}",
    "research.computed": "computed", "research.formula": "Formula: {formula}", "research.noMetrics": "No financial statement figures were found in the chosen reports.",
    "research.missingMetrics": "Not found or not computable:",
    "research.conclusions": "Conclusions and recommendation", "research.risks": "Risks", "research.none": "Nothing on this in the chosen reports.",
    "research.warnings": "Consistency warnings", "research.unsupported": "not supported",
    "research.sources": "Sources ({n})", "research.cite": "Source {n}: {label}",
    "research.qa": "Questions (answered from the chosen reports only)", "research.question": "Question",
    "research.questionPlaceholder": "e.g. What is the coupon? What are the issuer's main risks?", "research.ask": "Ask",
    "research.needQuestion": "Type a question.", "research.thinking": "Searching the chosen reports…",
    "research.notFound": "The chosen reports do not answer this.", "research.unsupportedNote": "Some sentences are not supported by their sources; check them.",
    "research.draft": "Draft report", "research.draftTitle": "Report draft",
    "research.draftEmpty": "Tick reports and fill in (or extract) the issuer, then press “Draft report” to get a DOCX.",
    "research.drafting": "Drafting the report… {s} s", "research.needSubject": "Fill in the issuer / subject, or extract first.",
    "research.draftSummary": "{sections} sections · {citations} sources · {gaps} gaps",
    "research.docx": "Download DOCX", "research.md": "Markdown", "research.json": "JSON", "research.gaps": "Gaps",
    "research.noGaps": "No gaps.",
    "err.noDocs": "No document's name contains “{key}”. Tick the reports.",
    "err.notReady": "The chosen reports are still being processed ({names}); try again when they are done.",
    "err.docsMissing": "Some chosen reports are no longer in this knowledge base; reload the list and try again.",
    "mode.extractive": "extractive (offline)", "mode.llm": "LLM (each sentence checked)", "research.modeLabel": "Mode",
  },
});

// The research template's fields and metrics (scenarios/templates/research_report_zh.yaml), named in English too.
const FIELD_LABELS_EN = {
  issuer: "Issuer", bond_name: "Bond short name", bond_code: "Bond code", issuer_rating: "Issuer rating",
  bond_rating: "Bond rating", rating_agency: "Rating agency", coupon: "Coupon", issue_size: "Issue size",
  maturity_date: "Maturity date", term: "Tenor", interest_payment: "Interest payment", use_of_proceeds: "Use of proceeds",
};
const FIELD_LABELS_ZH = {
  issuer: "发行人", bond_name: "债券简称", bond_code: "债券代码", issuer_rating: "主体信用等级", bond_rating: "债项信用等级",
  rating_agency: "评级机构", coupon: "票面利率", issue_size: "发行规模", maturity_date: "到期日", term: "债券期限",
  interest_payment: "付息方式", use_of_proceeds: "募集资金用途",
};
const METRIC_LABELS_EN = {
  revenue: "Revenue", net_profit: "Net profit", total_assets: "Total assets", total_liabilities: "Total liabilities",
  equity: "Owners' equity", operating_cash_flow: "Net operating cash flow", debt_ratio: "Debt-to-asset ratio",
  net_margin: "Net profit margin", roe: "Return on equity (year-end)",
};
const METRIC_LABELS_ZH = {
  revenue: "营业收入", net_profit: "净利润", total_assets: "资产总计", total_liabilities: "负债合计", equity: "所有者权益合计",
  operating_cash_flow: "经营活动产生的现金流量净额", debt_ratio: "资产负债率", net_margin: "销售净利率", roe: "净资产收益率（期末）",
};
const TEMPLATE = "research_report_zh";
const KB_KEY = "zhiku.research.kb";
const COMPANY_IN_NAME = /(股份有限公司|有限责任公司|有限公司|集团公司)$/;

const fieldLabel = (id, fallback) => (getLang() === "en" ? FIELD_LABELS_EN[id] : fallback || FIELD_LABELS_ZH[id]) || fallback || id;
const metricLabel = (id, fallback) => (getLang() === "en" ? METRIC_LABELS_EN[id] : fallback || METRIC_LABELS_ZH[id]) || fallback || id;

const state = {
  kbId: null, documents: [], extraction: null, cites: [], draft: null, busy: { extract: false, draft: false },
  seconds: { extract: 0, draft: 0 }, answers: [],
};
const $ = (id) => document.getElementById(id);

const checklist = new DocumentChecklist($("documents"), $("docs-count"));
mountShell("research");
init();

async function init() {
  applyI18n(document);
  showState($("extract-body"), "empty", t("research.extractEmpty"));
  showState($("draft-body"), "empty", t("research.draftEmpty"));
  // With nothing saved, kb_picker in single mode would tick every radio (the last one wins): start from "[]"
  // so that it picks the first knowledge base.
  if (localStorage.getItem(KB_KEY) === null) localStorage.setItem(KB_KEY, "[]");
  const picker = await mountKbPicker($("kb-picker"), { storageKey: KB_KEY, single: true, onChange: (ids) => loadDocuments(ids[0]) });
  loadDocuments(picker.selected()[0]);
  $("docs-all").addEventListener("click", () => checklist.setAll(true));
  $("docs-none").addEventListener("click", () => checklist.setAll(false));
  $("documents").addEventListener("change", () => checklist.updateCount());
  $("upload-form").addEventListener("submit", (e) => { e.preventDefault(); upload(); });
  $("upload-pick").addEventListener("click", () => $("upload-file").click());
  $("upload-file").addEventListener("change", showChosenFiles);
  window.addEventListener("langchange", showChosenFiles);
  showChosenFiles();
  $("extract").addEventListener("click", extract);
  $("draft").addEventListener("click", draftReport);
  $("qa-form").addEventListener("submit", (e) => { e.preventDefault(); ask(); });
  $("extract-body").addEventListener("click", (e) => {
    const chip = e.target.closest("button.cite");
    if (chip) openSource(state.cites[Number(chip.dataset.n) - 1], { query: chip.dataset.query || "" });
  });
  window.addEventListener("langchange", () => {
    checklist.render(state.kbId, state.documents, checklist.selectedIds());
    if (state.extraction) renderExtraction(state.extraction);
    else if (!state.busy.extract && !$("extract-body").querySelector(".state.error")) showState($("extract-body"), "empty", t("research.extractEmpty"));
    if (state.draft) renderDraft(state.draft);
    else if (!state.busy.draft && !$("draft-body").querySelector(".state.error")) showState($("draft-body"), "empty", t("research.draftEmpty"));
  });
}

// -- documents ----------------------------------------------------------------------------------
async function loadDocuments(kbId, tick = null) {
  const keep = tick ? [...checklist.selectedIds(), ...tick] : null;
  state.kbId = kbId || null;
  if (!kbId) { state.documents = []; checklist.render(null, []); return; }
  if (!keep) { state.documents = []; checklist.showState("loading"); }
  let documents;
  try {
    documents = await api(`/knowledge-bases/${encodeURIComponent(kbId)}/documents`);
  } catch (err) {
    checklist.showState("error", err.message, () => loadDocuments(kbId));
    return;
  }
  if (kbId !== state.kbId) return;  // another knowledge base was chosen meanwhile
  state.documents = documents;
  checklist.render(state.kbId, state.documents, keep);
}


// -- upload -------------------------------------------------------------------------------------
// The chosen files in the page's language (the native input, hidden, would say it in the browser's).
function showChosenFiles() {
  const files = [...$("upload-file").files];
  $("upload-chosen").textContent = files.length
    ? t("research.chosen", { n: files.length, names: files.map((f) => f.name).join("、") }) : t("research.noneChosen");
}

async function upload() {
  const input = $("upload-file");
  if (!state.kbId) { toast(t("research.needKb"), "error"); return; }
  if (!input.files.length) { toast(t("research.uploadNone"), "error"); $("upload-pick").focus(); return; }
  const kbId = state.kbId;
  const files = [...input.files];
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const status = $("upload-status");
  const row = document.createElement("div");
  row.className = "upload-item";
  row.innerHTML = `<span>${escapeHtml(files.map((f) => `${f.name} (${formatBytes(f.size)})`).join("、"))}</span>
    <progress max="1" value="0"></progress><span class="muted" data-text>${escapeHtml(t("research.uploading", { pct: 0 }))}</span>`;
  status.prepend(row);
  const button = $("upload-button");
  button.disabled = true;
  let reply;
  try {
    reply = await uploadWithProgress(`/knowledge-bases/${encodeURIComponent(kbId)}/documents`, form, (fraction) => {
      row.querySelector("progress").value = fraction;
      row.querySelector("[data-text]").textContent = t("research.uploading", { pct: Math.round(fraction * 100) });
    });
  } catch (err) {
    const reasons = (err.body?.items || []).map((item) => `${item.filename}: ${item.error?.message || ""}`).join("; ");
    row.querySelector("progress").remove();
    row.querySelector("[data-text]").textContent = t("research.uploadFailed", { message: reasons || err.message });
    row.classList.add("failed");
    row.querySelector("[data-text]").className = "badge err";
    return;
  } finally {
    button.disabled = false;
    input.value = "";
    showChosenFiles();
  }
  row.remove();
  await loadDocuments(kbId, []);
  await Promise.all(reply.items.map((item) => follow(item, kbId)));
}

// One uploaded file: its outcome, then its ingestion job until it is done (the document is then ticked).
async function follow(item, kbId) {
  const row = document.createElement("div");
  row.className = "upload-item";
  row.innerHTML = `<span>${escapeHtml(item.filename)}</span><progress max="1" value="0"></progress><span class="muted" data-text></span>`;
  $("upload-status").prepend(row);
  const text = row.querySelector("[data-text]"), bar = row.querySelector("progress");
  const finish = (message, kind) => { bar.remove(); text.textContent = message; text.className = `badge ${kind}`; };
  if (item.outcome === "rejected") { finish(t("research.uploadFailed", { message: item.error?.message || "" }), "err"); return; }
  if (!item.job_id) {
    finish(t("research.unchanged"), "ok");
    if (item.document && kbId === state.kbId) tickDocument(item.document.id);
    return;
  }
  for (;;) {
    let job;
    try {
      job = await api(`/jobs/${encodeURIComponent(item.job_id)}`);
    } catch (err) {
      finish(t("research.jobFailed", { message: err.message }), "err");
      return;
    }
    bar.value = job.progress || 0;
    text.textContent = t("research.ingesting", { stage: t("stage." + job.stage), pct: Math.round((job.progress || 0) * 100) });
    if (job.status === "done") {
      finish(t("research.ingested"), "ok");
      if (kbId === state.kbId) await loadDocuments(kbId, [job.document_id]);
      return;
    }
    if (job.status === "failed") {
      finish(t("research.jobFailed", { message: job.error || job.detail || "" }), "err");
      if (kbId === state.kbId) await loadDocuments(kbId, []);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function tickDocument(id) {
  const box = checklist.checkboxes().find((c) => c.value === id);
  if (box && !box.disabled) box.checked = true;
  checklist.updateCount();
}

// -- errors and busy states -----------------------------------------------------------------------
function readableError(err) {
  const message = String(err.message || err);
  let m = message.match(/no document name contains ['"](.+?)['"]/);
  if (m) return t("err.noDocs", { key: m[1] });
  m = message.match(/none of the materials is indexed yet \((.*)\)/);
  if (m) return t("err.notReady", { names: m[1] });
  if (/documents not found in these knowledge bases/.test(message)) return t("err.docsMissing");
  return message;
}

// Run `work` with `button` disabled and a ticking loading state in `container`.
async function busy(kind, button, container, panel, textKey, work) {
  if (state.busy[kind]) return;
  state.busy[kind] = true;
  const label = button.textContent;
  button.disabled = true;
  button.innerHTML = `<span class="spinner" aria-hidden="true"></span> ${escapeHtml(label)}`;
  panel.setAttribute("aria-busy", "true");
  const started = performance.now();
  state.seconds[kind] = 0;
  showState(container, "loading", t(textKey, { s: 0 }));
  $("action-status").textContent = t(textKey, { s: 0 });
  const timer = setInterval(() => {
    state.seconds[kind] = Math.round((performance.now() - started) / 1000);
    const loading = container.querySelector(".state.loading");
    if (loading) loading.lastChild.textContent = " " + t(textKey, { s: state.seconds[kind] });
  }, 1000);
  try {
    await work();
    $("action-status").textContent = "";
  } catch (err) {
    $("action-status").textContent = "";
    showState(container, "error", readableError(err), () => { if (kind === "extract") extract(); else draftReport(); });
  } finally {
    clearInterval(timer);
    state.busy[kind] = false;
    button.disabled = false;
    button.textContent = t(kind === "extract" ? "research.extract" : "research.draft");
    panel.setAttribute("aria-busy", "false");
  }
}

function chosen() {
  if (!state.kbId) { toast(t("research.needKb"), "error"); return null; }
  const ids = checklist.selectedIds();
  if (!ids.length) { toast(t("research.needDocs"), "error"); $("documents").querySelector("input:not([disabled])")?.focus(); return null; }
  return ids;
}

// -- extraction -----------------------------------------------------------------------------------
async function extract() {
  const ids = chosen();
  if (!ids) return;
  const subject = $("subject").value.trim();
  const body = { knowledge_bases: [state.kbId], document_ids: ids };
  if (subject) body.subject = subject;
  state.extraction = null;
  await busy("extract", $("extract"), $("extract-body"), $("extract-panel"), "research.extracting", async () => {
    const result = await api("/research/extract", { method: "POST", json: body });
    state.extraction = result;
    if (!$("subject").value.trim() && result.fields.issuer) $("subject").value = result.fields.issuer.value;
    renderExtraction(result);
  });
}

// Number the extraction's citations once (by passage), so that chips read [1], [2], … as in a report.
function cite(record) {
  if (!record) return 0;
  const at = state.cites.findIndex((c) => c.chunk_id === record.chunk_id);
  if (at >= 0) return at + 1;
  state.cites.push(record);
  return state.cites.length;
}

function chip(n, query) {
  const record = state.cites[n - 1];
  return `<button type="button" class="chip cite" data-n="${n}" data-query="${escapeHtml(query)}"
    aria-label="${escapeHtml(t("research.cite", { n, label: record.label }))}" title="${escapeHtml(record.label)}">[${n}]</button>`;
}

function renderExtraction(result) {
  state.cites = [];
  const fieldRows = Object.entries(result.fields).map(([id, field]) => {
    const n = cite(field.citation);
    return `<tr data-field="${escapeHtml(id)}"><th scope="row">${escapeHtml(fieldLabel(id, field.label))}</th>
      <td class="value">${escapeHtml(field.value)}${field.how === "llm" ? ` <span class="badge calc">${escapeHtml(t("research.byLlm"))}</span>` : ""}</td>
      <td>${n ? chip(n, `${field.label} ${field.value}`) : ""}</td></tr>`;
  }).join("");
  const missing = result.missing.length
    ? `<p class="small">${escapeHtml(t("research.missingHint"))}</p><ul class="missing-list" id="missing-fields">${result.missing.map((id) =>
      `<li data-field="${escapeHtml(id)}">${escapeHtml(fieldLabel(id))}</li>`).join("")}</ul>`
    : `<p class="muted small">${escapeHtml(t("research.noMissing"))}</p>`;
  const periods = [...new Set(result.metrics.flatMap((m) => Object.keys(m.values)))].sort().reverse();
  const unit = result.metrics.find((m) => m.unit)?.unit;
  const metricRows = result.metrics.map((m) => {
    const numbers = m.citations.map(cite);
    return `<tr class="${m.computed ? "computed" : ""}" data-metric="${escapeHtml(m.id)}">
      <th scope="row">${escapeHtml(metricLabel(m.id, m.label))}${m.computed ? ` <span class="badge calc">${escapeHtml(t("research.computed"))}</span>
        <span class="formula small">${escapeHtml(t("research.formula", { formula: m.formula || "" }))}</span>` : ""}</th>
      ${periods.map((p) => `<td class="num">${escapeHtml(m.values[p] ?? "—")}</td>`).join("")}
      <td class="cites">${[...new Set(numbers)].filter(Boolean).map((n) => chip(n, `${m.label} ${Object.values(m.values).join(" ")}`)).join("")}</td></tr>`;
  }).join("");
  const metrics = result.metrics.length ? `<div class="table-wrap"><table class="figures">
      <caption class="muted small">${unit ? escapeHtml(t("research.unit", { unit })) : ""}</caption>
      <thead><tr><th scope="col">${escapeHtml(t("research.item"))}</th>${periods.map((p) => `<th scope="col" class="num">${escapeHtml(p)}</th>`).join("")}
      <th scope="col">${escapeHtml(t("research.source"))}</th></tr></thead><tbody>${metricRows}</tbody></table></div>`
    : `<p class="muted small">${escapeHtml(t("research.noMetrics"))}</p>`;
  const missingMetrics = result.missing_metrics.length ? `<p class="small">${escapeHtml(t("research.missingMetrics"))}</p>
    <ul class="missing-list">${result.missing_metrics.map((id) => `<li>${escapeHtml(metricLabel(id))}</li>`).join("")}</ul>` : "";
  const statements = (list, id) => list.length ? `<ol class="cited-list" id="${id}">${list.map((s) => {
    const numbers = [...new Set((s.citations.length ? s.citations : [s.citation]).map(cite))].filter(Boolean);
    return `<li class="statement${s.supported ? "" : " unsupported"}">${escapeHtml(s.text)}${numbers.map((n) => chip(n, s.text)).join("")}${s.supported ? ""
      : ` <span class="badge err">⚠ ${escapeHtml(t("research.unsupported"))}</span>`}</li>`;
  }).join("")}</ol>` : `<p class="muted small">${escapeHtml(t("research.none"))}</p>`;
  // Built in order so that the citation numbers follow the page from top to bottom.
  const parts = {
    fields: fieldRows, metrics, conclusions: statements(result.conclusions, "conclusions"), risks: statements(result.risks, "risks"),
  };
  $("extract-body").innerHTML = `
    <dl class="meta">
      <div><dt>${escapeHtml(t("research.subjectLabel"))}</dt><dd id="extract-subject">${escapeHtml(result.subject)}</dd></div>
      <div><dt>${escapeHtml(t("research.modeLabel"))}</dt><dd>${escapeHtml(t("mode." + result.mode))}</dd></div>
    </dl>
    <details class="materials"><summary>${escapeHtml(t("research.docsUsed", { n: result.documents.length }))}</summary>
      <ul>${result.documents.map((d) => `<li>${escapeHtml(d.name)}</li>`).join("")}</ul></details>
    ${result.warnings.length ? `<section class="callout warn"><h3>⚠ ${escapeHtml(t("research.warnings"))}</h3>
      <ul>${result.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul></section>` : ""}
    <section class="result-block" aria-labelledby="fields-title"><h3 id="fields-title">${escapeHtml(t("research.fields"))}</h3>
      ${fieldRows ? `<div class="table-wrap"><table class="fields" id="fields-table"><thead><tr><th scope="col">${escapeHtml(t("research.field"))}</th>
        <th scope="col">${escapeHtml(t("research.value"))}</th><th scope="col">${escapeHtml(t("research.source"))}</th></tr></thead>
        <tbody>${parts.fields}</tbody></table></div>` : ""}
      <h4 class="small">${escapeHtml(t("research.missing"))} (${result.missing.length})</h4>${missing}</section>
    <section class="result-block" aria-labelledby="metrics-title"><h3 id="metrics-title">${escapeHtml(t("research.metrics"))}</h3>
      ${parts.metrics}${missingMetrics}</section>
    <section class="result-block" aria-labelledby="conclusions-title"><h3 id="conclusions-title">${escapeHtml(t("research.conclusions"))}</h3>
      ${parts.conclusions}</section>
    <section class="result-block" aria-labelledby="risks-title"><h3 id="risks-title">${escapeHtml(t("research.risks"))}</h3>${parts.risks}</section>
    <details class="sources"><summary>${escapeHtml(t("research.sources", { n: state.cites.length }))}</summary>
      <ol>${state.cites.map((c, i) => `<li>${chip(i + 1, "")} <span class="source-label">${escapeHtml(c.label)}</span></li>`).join("")}</ol></details>`;
}

// -- questions ------------------------------------------------------------------------------------
async function ask() {
  const question = $("question").value.trim();
  if (!question) { toast(t("research.needQuestion"), "error"); $("question").focus(); return; }
  const ids = chosen();
  if (!ids) return;
  const item = document.createElement("article");
  item.className = "qa-item";
  item.innerHTML = `<div class="question"></div><div class="answer streaming" data-deltas="0"></div><div class="qa-meta muted small"></div>`;
  item.querySelector(".question").textContent = question;
  const answer = item.querySelector(".answer");
  answer.textContent = t("research.thinking");
  $("qa-log").prepend(item);
  $("question").value = "";
  const button = $("ask");
  button.disabled = true;
  let deltas = 0, finished = false;
  try {
    await streamEvents("/research/ask", { question, knowledge_bases: [state.kbId], document_ids: ids, stream: true }, (name, data) => {
      if (name === "delta") {
        if (!deltas) answer.textContent = "";
        deltas += 1;
        answer.dataset.deltas = String(deltas);
        answer.textContent += data.text;
      } else if (name === "done") {
        finished = true;
        renderAnswer(item, data);
      } else if (name === "error") {
        finished = true;
        throw Object.assign(new Error(data.message || data.error), { status: 500 });
      }
    });
    if (!finished) throw new Error(t("error.network"));
  } catch (err) {
    item.classList.add("failed");
    answer.classList.remove("streaming");
    answer.textContent = t("state.error", { message: readableError(err) });
  } finally {
    button.disabled = false;
  }
}

// The final answer: its [n] markers become chips that open citations[n-1].
function renderAnswer(item, data) {
  const answer = item.querySelector(".answer");
  answer.classList.remove("streaming");
  if (!data.found) {
    item.classList.add("not-found");
    answer.textContent = t("research.notFound");
    return;
  }
  const html = escapeHtml(data.answer).replace(/\[(\d+)\]/g, (whole, n) => {
    const hit = data.citations[Number(n) - 1];
    if (!hit) return whole;
    const label = hit.citation?.label || "";
    return `<button type="button" class="chip cite" data-n="${n}" aria-label="${escapeHtml(t("research.cite", { n, label }))}"
      title="${escapeHtml(label)}">[${n}]</button>`;
  });
  answer.innerHTML = html;
  for (const button of answer.querySelectorAll("button.cite")) {
    button.addEventListener("click", () => openSource(data.citations[Number(button.dataset.n) - 1], { query: data.question }));
  }
  const unsupported = (data.sentences || []).some((s) => !s.supported);
  const meta = item.querySelector(".qa-meta");
  meta.textContent = [t("mode." + data.mode), unsupported ? t("research.unsupportedNote") : ""].filter(Boolean).join(" · ");
}

// -- the draft ------------------------------------------------------------------------------------
function guessSubject(ids) {
  for (const doc of state.documents.filter((d) => ids.includes(d.id))) {
    const stem = doc.name.replace(/\.[^.]+$/, "");
    const found = stem.split(/[_\s·—-]+/).find((part) => part.length > 4 && COMPANY_IN_NAME.test(part));
    if (found) return found;
  }
  return "";
}

async function draftReport() {
  const ids = chosen();
  if (!ids) return;
  let subject = $("subject").value.trim() || state.extraction?.fields?.issuer?.value || guessSubject(ids);
  if (!subject) { toast(t("research.needSubject"), "error"); $("subject").focus(); return; }
  if (!$("subject").value.trim()) $("subject").value = subject;
  state.draft = null;
  await busy("draft", $("draft"), $("draft-body"), $("draft-panel"), "research.drafting", async () => {
    const report = await api("/reports/draft", { method: "POST",
      json: { template: TEMPLATE, subject, knowledge_bases: [state.kbId], document_ids: ids } });
    state.draft = report;
    renderDraft(report);
  });
}

function renderDraft(report) {
  const links = report.downloads || {};
  const local = (text) => { const parts = String(text).split(" / "); return parts.length === 2 ? parts[getLang() === "zh" ? 0 : 1] : text; };
  $("draft-body").innerHTML = `
    <div class="report-head"><h3 id="draft-heading">${escapeHtml(report.title)}</h3>
      <div class="downloads">
        <a class="button primary" id="draft-docx" href="${escapeHtml(links.docx)}" download>${escapeHtml(t("research.docx"))}</a>
        <a class="button" id="draft-md" href="${escapeHtml(links.md)}" download>${escapeHtml(t("research.md"))}</a>
        <a class="button" id="draft-json" href="${escapeHtml(links.json)}" download>${escapeHtml(t("research.json"))}</a>
      </div></div>
    <p class="summary">${escapeHtml(t("research.draftSummary", { sections: report.sections.length, citations: report.citations.length, gaps: report.gaps.length }))}</p>
    <ul class="statements">${report.sections.map((s) => `<li>${escapeHtml(s.title)} <span class="muted small">(${s.statements.length + s.figures.length})</span></li>`).join("")}</ul>
    ${report.gaps.length ? `<section class="callout gaps"><h4>${escapeHtml(t("research.gaps"))} (${report.gaps.length})</h4>
      <ul>${report.gaps.map((g) => `<li>${escapeHtml(g.section)} · ${escapeHtml(g.item)}：${escapeHtml(local(g.reason))}</li>`).join("")}</ul></section>`
      : `<p class="muted small">${escapeHtml(t("research.noGaps"))}</p>`}`;
}
