// The console for knowledge admins: knowledge bases (create, settings, delete), uploads with a progress bar and
// live job status per file, the document table (re-index, delete), a search test panel with each stage's score,
// and the graph explorer (graph_explorer.js).
import { api, uploadWithProgress } from "./api.js";
import { applyI18n, getLang, registerStrings, t } from "./i18n.js";
import { escapeHtml, formatBytes, mountShell, showState, toast } from "./shell.js";
import { highlight, openSource, queryTerms } from "./source_panel.js";
import { mountGraphExplorer } from "./graph_explorer.js";

registerStrings({
  zh: {
    "admin.pageTitle": "知库 · 知识管理",
    "admin.title": "知识管理", "admin.kbs": "知识库", "admin.kbNew": "新建", "admin.kbCreateTitle": "新建知识库",
    "admin.kbCreate": "创建", "admin.cancel": "取消", "admin.kbsEmpty": "还没有知识库。点“新建”创建第一个。", "admin.kbsNoneReadable": "还没有你可以查看的知识库。请联系管理员。",
    "admin.kbDocs": "{n} 个文档", "admin.kbDocsOne": "1 个文档", "admin.noKbSelected": "请在左侧选择一个知识库，或新建一个。",
    "admin.kbCreated": "已创建知识库“{name}”", "admin.kbMissing": "没有找到这个知识库，可能已被删除。",
    "admin.sections": "知识库功能",
    "admin.field.name": "名称", "admin.field.description": "说明", "admin.field.language": "文档主要语言",
    "admin.field.chunkSize": "分块大小（字符）", "admin.field.chunkOverlap": "分块重叠（字符）", "admin.field.default": "服务默认值",
    "admin.field.chunkHelp": "分块大小 64–4096，重叠须小于分块大小；留空则使用服务默认值。",
    "admin.err.nameRequired": "请填写名称。", "admin.err.chunkSize": "分块大小须为 64 到 4096 之间的整数。",
    "admin.err.chunkOverlap": "分块重叠须为 0 到 1024 之间的整数。", "admin.err.overlapTooBig": "分块重叠须小于分块大小。",
    "admin.err.duplicateName": "已有同名知识库，请换一个名称。",
    "admin.lang.auto": "自动检测", "admin.lang.inherit": "跟随知识库设置",
    "admin.meta": "语言：{language} · 分块：{size} / 重叠：{overlap} · 创建于 {date}",
    "admin.meta.default": "默认",
    "admin.tab.documents": "文档", "admin.tab.search": "检索测试", "admin.tab.graph": "知识图谱", "admin.tab.settings": "设置",
    "admin.upload.title": "上传文档", "admin.upload.drop": "拖放文件到这里，或点击选择文件",
    "admin.upload.hint": "可一次上传多个文件：PDF、Word、Excel、PPT、HTML、Markdown、文本、CSV、邮件、图片、录音和视频。按 Enter 或空格键打开文件选择。",
    "admin.upload.language": "录音/视频的语言", "admin.upload.clear": "清除已完成", "admin.upload.list": "上传进度",
    "admin.upload.bar": "上传", "admin.upload.job": "处理", "admin.upload.barLabel": "{name} 的上传进度", "admin.upload.jobLabel": "{name} 的处理进度",
    "admin.upload.noKb": "请先选择一个知识库。",
    "admin.phase.waiting": "等待上传", "admin.phase.uploading": "上传中", "admin.phase.processing": "处理中", "admin.phase.pending": "排队中",
    "admin.phase.done": "完成", "admin.phase.failed": "失败", "admin.phase.rejected": "已拒绝", "admin.phase.unchanged": "未变化",
    "admin.phase.duplicate": "重复",
    "admin.outcome.queued": "已加入处理队列。", "admin.outcome.replaced": "同名文件已更新：新版本索引完成后替换旧版本（在此之前旧版本仍可检索）。",
    "admin.outcome.unchanged": "与已有的同名文件完全相同，没有改动。", "admin.outcome.duplicate": "知识库里已有内容相同的文件：{name}。",
    "admin.job.pollError": "暂时无法获取处理状态，正在重试…",
    "admin.reason.empty_file": "文件是空的", "admin.reason.unsupported_file_type": "不支持这种文件类型",
    "admin.reason.file_too_large": "文件超过了大小上限", "admin.reason.corrupt_file": "文件已损坏，无法读取",
    "admin.reason.encrypted_file": "文件有密码保护，无法读取", "admin.reason.no_text": "文件里没有可读取的文字",
    "admin.reason.not_found": "知识库不存在", "admin.reason.withMessage": "{reason}（{message}）", "admin.reason.network": "网络连接失败", "admin.reason.other": "上传失败",
    "admin.stage.queued": "排队", "admin.stage.parsing": "解析", "admin.stage.ocr": "OCR 识别", "admin.stage.transcribing": "语音转写",
    "admin.stage.embedding": "向量化", "admin.stage.indexing": "写入索引", "admin.stage.graph": "构建知识图谱",
    "admin.stage.done": "完成", "admin.stage.failed": "失败",
    "admin.status.pending": "排队中", "admin.status.processing": "处理中", "admin.status.done": "已完成", "admin.status.failed": "失败",
    "admin.detail.ocrScanned": "已识别 {done}/{total} 个扫描页", "admin.detail.ocrPages": "已识别 {done}/{total} 页",
    "admin.detail.transcribed": "已转写 {done}/{total} 秒", "admin.detail.frames": "已读取画面 {done}/{total} 秒",
    "admin.detail.chunks": "{done}/{total} 个分块", "admin.detail.written": "已写入 {n} 个分块",
    "admin.detail.finished": "{n} 个分块，用时 {s} 秒", "admin.detail.graph": "；图谱：{e} 个实体，{r} 条关系",
    "admin.docs.title": "文档", "admin.docs.filter": "按名称筛选", "admin.docs.refresh": "刷新",
    "admin.docs.empty": "这个知识库还没有文档。把文件拖到上方即可上传。", "admin.docs.noMatch": "没有名称包含“{q}”的文档。",
    "admin.docs.uploaderNote": "“谁可以读”：* 表示知识库的所有读者；也可写 group:组名 或 user:用户编号，多个用逗号分隔。只有知识库管理员能上传和修改。",
    "admin.col.readers": "谁可以读", "admin.readers.all": "知识库的所有读者", "admin.readers.change": "修改",
    "admin.readers.changeLabel": "修改谁可以读 {name}", "admin.readers.title": "谁可以读“{name}”",
    "admin.readers.help": "修改立即生效，无需重新索引。* 表示知识库的所有读者。",
    "admin.readers.label": "读者（逗号分隔）", "admin.readers.placeholder": "* 或 group:credit, user:123",
    "admin.readers.save": "保存", "admin.readers.saved": "已更新“{name}”的读者",
    "admin.upload.readers": "谁可以读", "admin.upload.readersHelp": "留空：知识库的所有读者",
    "admin.access.title": "权限", "admin.access.help": "读者可以检索、问答和使用场景；管理员还可以上传、删除、重新索引和修改设置与权限。修改立即生效。",
    "admin.access.readers": "读者（逗号分隔；* 表示所有人）", "admin.access.admins": "管理员（逗号分隔）",
    "admin.access.adminsPlaceholder": "group:kb-admins, user:123", "admin.access.save": "保存权限",
    "admin.access.saved": "权限已保存",
    "admin.col.name": "名称", "admin.col.type": "类型", "admin.col.size": "大小", "admin.col.status": "状态", "admin.col.chunks": "分块数",
    "admin.col.pages": "页数", "admin.col.error": "错误", "admin.col.uploader": "上传者", "admin.col.date": "更新时间", "admin.col.actions": "操作",
    "admin.docs.open": "打开原文件：{name}", "admin.docs.reindex": "重新索引", "admin.docs.delete": "删除",
    "admin.docs.reindexLabel": "重新索引 {name}", "admin.docs.deleteLabel": "删除 {name}",
    "admin.docs.reindexStarted": "已开始重新索引“{name}”", "admin.docs.deleted": "已删除“{name}”",
    "admin.docs.uploaderNone": "未记录（登录启用之前上传）",
    "admin.confirm.docTitle": "删除文档？", "admin.confirm.docMessage": "“{name}”将从知识库、向量索引、知识图谱和文件存储中删除，无法恢复。",
    "admin.confirm.delete": "删除",
    "admin.confirm.kbTitle": "删除知识库？", "admin.confirm.kbMessage": "知识库“{name}”及其全部 {n} 个文档将被永久删除，无法恢复。",
    "admin.confirm.reindexTitle": "重新索引全部文档？", "admin.confirm.reindexMessage": "将按当前设置重新处理“{name}”中的 {n} 个文档，期间旧版本仍可检索。",
    "admin.confirm.reindex": "重新索引",
    "admin.search.query": "检索语句", "admin.search.placeholder": "例如：二套房最高贷款成数", "admin.search.mode": "检索方式",
    "admin.search.topK": "返回条数", "admin.search.includeGraph": "显示图谱扩展（实体链接与子图）", "admin.search.run": "检索",
    "admin.search.legend": "各阶段分数：稀疏 = 关键词 BM25；稠密 = 向量相似度；融合 = 两路结果融合；二阶段 = 重排序；图谱 = 经知识图谱找到的段落的路径分。“—”表示该方式未使用此阶段。",
    "admin.search.empty": "没有检索到内容。换个说法，或确认文档已处理完成。", "admin.search.summary": "{n} 条结果，用时 {ms} 毫秒",
    "admin.search.needQuery": "请输入检索语句。", "admin.search.linked": "识别出的实体：", "admin.search.subgraph": "图谱扩展：{e} 个实体，{r} 条关系，{p} 条路径",
    "admin.search.openSource": "查看出处：{label}", "admin.search.hint": "输入检索语句，查看排序后的分块和每个阶段的分数。",
    "admin.mode.graph": "混合 + 重排序 + 图谱", "admin.mode.rerank": "混合 + 重排序", "admin.mode.hybrid": "混合（稀疏 + 稠密）",
    "admin.mode.dense": "仅稠密向量", "admin.mode.sparse": "仅稀疏关键词",
    "admin.hcol.rank": "#", "admin.hcol.passage": "分块", "admin.hcol.sparse": "稀疏", "admin.hcol.dense": "稠密", "admin.hcol.fused": "融合",
    "admin.hcol.rerank": "二阶段", "admin.hcol.graph": "图谱", "admin.hcol.final": "最终",
    "admin.score.notUsed": "此方式未使用该阶段",
    "admin.how.exact": "精确", "admin.how.alias": "别名", "admin.how.fuzzy": "模糊",
    "admin.settings.title": "知识库设置", "admin.settings.nameFixed": "名称创建后不能修改。",
    "admin.settings.applies": "分块设置只对之后上传或重新索引的文档生效。修改后可点“重新索引全部文档”。",
    "admin.settings.save": "保存设置", "admin.settings.saved": "设置已保存", "admin.settings.reindexAll": "重新索引全部文档",
    "admin.settings.reindexDone": "已为 {n} 个文档开始重新索引", "admin.settings.reindexNone": "这个知识库没有文档。",
    "admin.settings.danger": "删除知识库", "admin.settings.deleteHelp": "删除知识库会同时删除其中所有文档、向量索引和知识图谱中的事实。",
    "admin.settings.delete": "删除这个知识库", "admin.kbDeleted": "已删除知识库“{name}”",
  },
  en: {
    "admin.pageTitle": "Zhiku · Knowledge admin",
    "admin.title": "Knowledge admin", "admin.kbs": "Knowledge bases", "admin.kbNew": "New", "admin.kbCreateTitle": "New knowledge base",
    "admin.kbCreate": "Create", "admin.cancel": "Cancel", "admin.kbsEmpty": "No knowledge bases yet. Press “New” to create the first one.", "admin.kbsNoneReadable": "No knowledge base you may read yet. Ask an administrator.",
    "admin.kbDocs": "{n} documents", "admin.kbDocsOne": "1 document", "admin.noKbSelected": "Choose a knowledge base on the left, or create one.",
    "admin.kbCreated": "Created knowledge base “{name}”", "admin.kbMissing": "This knowledge base was not found; it may have been deleted.",
    "admin.sections": "Knowledge base sections",
    "admin.field.name": "Name", "admin.field.description": "Description", "admin.field.language": "Main language of the documents",
    "admin.field.chunkSize": "Chunk size (characters)", "admin.field.chunkOverlap": "Chunk overlap (characters)", "admin.field.default": "service default",
    "admin.field.chunkHelp": "Chunk size 64–4096; the overlap must be smaller than the size. Leave empty for the service default.",
    "admin.err.nameRequired": "Enter a name.", "admin.err.chunkSize": "Chunk size must be a whole number from 64 to 4096.",
    "admin.err.chunkOverlap": "Chunk overlap must be a whole number from 0 to 1024.", "admin.err.overlapTooBig": "The overlap must be smaller than the chunk size.",
    "admin.err.duplicateName": "A knowledge base with this name exists; choose another name.",
    "admin.lang.auto": "Detect automatically", "admin.lang.inherit": "As the knowledge base",
    "admin.meta": "Language: {language} · chunks: {size} / overlap: {overlap} · created {date}",
    "admin.meta.default": "default",
    "admin.tab.documents": "Documents", "admin.tab.search": "Search test", "admin.tab.graph": "Knowledge graph", "admin.tab.settings": "Settings",
    "admin.upload.title": "Upload documents", "admin.upload.drop": "Drop files here, or click to choose files",
    "admin.upload.hint": "Many files at once: PDF, Word, Excel, PowerPoint, HTML, Markdown, text, CSV, e-mail, images, recordings and videos. Press Enter or Space to open the file picker.",
    "admin.upload.language": "Language of recordings and videos", "admin.upload.clear": "Clear finished", "admin.upload.list": "Upload progress",
    "admin.upload.bar": "Upload", "admin.upload.job": "Processing", "admin.upload.barLabel": "Upload progress of {name}", "admin.upload.jobLabel": "Processing progress of {name}",
    "admin.upload.noKb": "Choose a knowledge base first.",
    "admin.phase.waiting": "Waiting", "admin.phase.uploading": "Uploading", "admin.phase.processing": "Processing", "admin.phase.pending": "Queued",
    "admin.phase.done": "Done", "admin.phase.failed": "Failed", "admin.phase.rejected": "Rejected", "admin.phase.unchanged": "Unchanged",
    "admin.phase.duplicate": "Duplicate",
    "admin.outcome.queued": "Queued for processing.", "admin.outcome.replaced": "A changed version of a file with this name: it replaces the old one once indexed (the old one stays searchable until then).",
    "admin.outcome.unchanged": "Identical to the file already stored under this name; nothing changed.", "admin.outcome.duplicate": "The knowledge base already holds a file with the same content: {name}.",
    "admin.job.pollError": "Cannot get the processing status right now; retrying…",
    "admin.reason.empty_file": "The file is empty", "admin.reason.unsupported_file_type": "This file type is not supported",
    "admin.reason.file_too_large": "The file is over the size limit", "admin.reason.corrupt_file": "The file is damaged and cannot be read",
    "admin.reason.encrypted_file": "The file is password-protected", "admin.reason.no_text": "The file holds no readable text",
    "admin.reason.not_found": "The knowledge base does not exist", "admin.reason.withMessage": "{reason}: {message}", "admin.reason.network": "Network error", "admin.reason.other": "Upload failed",
    "admin.stage.queued": "Queued", "admin.stage.parsing": "Parsing", "admin.stage.ocr": "OCR", "admin.stage.transcribing": "Transcribing",
    "admin.stage.embedding": "Embedding", "admin.stage.indexing": "Indexing", "admin.stage.graph": "Knowledge graph",
    "admin.stage.done": "Done", "admin.stage.failed": "Failed",
    "admin.status.pending": "Queued", "admin.status.processing": "Processing", "admin.status.done": "Done", "admin.status.failed": "Failed",
    "admin.detail.ocrScanned": "{done}/{total} scanned pages", "admin.detail.ocrPages": "{done}/{total} pages",
    "admin.detail.transcribed": "transcribed {done}/{total} s", "admin.detail.frames": "frames read up to {done}/{total} s",
    "admin.detail.chunks": "{done}/{total} chunks", "admin.detail.written": "{n} chunks written",
    "admin.detail.finished": "{n} chunks in {s} s", "admin.detail.graph": "; graph: {e} entities, {r} relations",
    "admin.docs.title": "Documents", "admin.docs.filter": "Filter by name", "admin.docs.refresh": "Refresh",
    "admin.docs.empty": "This knowledge base has no documents yet. Drop files above to upload them.", "admin.docs.noMatch": "No document name contains “{q}”.",
    "admin.docs.uploaderNote": "“Who can read”: * means every reader of the knowledge base; or group:<name> and user:<id>, comma-separated. Only the knowledge base's admins upload and change it.",
    "admin.col.readers": "Who can read", "admin.readers.all": "All readers of the knowledge base", "admin.readers.change": "Change",
    "admin.readers.changeLabel": "Change who can read {name}", "admin.readers.title": "Who can read “{name}”",
    "admin.readers.help": "Applies at once, without re-indexing. * means every reader of the knowledge base.",
    "admin.readers.label": "Readers (comma-separated)", "admin.readers.placeholder": "* or group:credit, user:123",
    "admin.readers.save": "Save", "admin.readers.saved": "Readers of “{name}” updated",
    "admin.upload.readers": "Who can read", "admin.upload.readersHelp": "Empty: every reader of the knowledge base",
    "admin.access.title": "Permissions", "admin.access.help": "Readers search, ask and use the scenarios; admins also upload, delete, re-index and change settings and permissions. Changes apply at once.",
    "admin.access.readers": "Readers (comma-separated; * for everyone)", "admin.access.admins": "Admins (comma-separated)",
    "admin.access.adminsPlaceholder": "group:kb-admins, user:123", "admin.access.save": "Save permissions",
    "admin.access.saved": "Permissions saved",
    "admin.col.name": "Name", "admin.col.type": "Type", "admin.col.size": "Size", "admin.col.status": "Status", "admin.col.chunks": "Chunks",
    "admin.col.pages": "Pages", "admin.col.error": "Error", "admin.col.uploader": "Uploader", "admin.col.date": "Updated", "admin.col.actions": "Actions",
    "admin.docs.open": "Open the original file: {name}", "admin.docs.reindex": "Re-index", "admin.docs.delete": "Delete",
    "admin.docs.reindexLabel": "Re-index {name}", "admin.docs.deleteLabel": "Delete {name}",
    "admin.docs.reindexStarted": "Re-indexing “{name}”", "admin.docs.deleted": "Deleted “{name}”",
    "admin.docs.uploaderNone": "Not recorded (uploaded before sign-in)",
    "admin.confirm.docTitle": "Delete this document?", "admin.confirm.docMessage": "“{name}” will be removed from the knowledge base, the vector index, the knowledge graph and the file store. This cannot be undone.",
    "admin.confirm.delete": "Delete",
    "admin.confirm.kbTitle": "Delete this knowledge base?", "admin.confirm.kbMessage": "The knowledge base “{name}” and all its {n} documents will be deleted for good.",
    "admin.confirm.reindexTitle": "Re-index every document?", "admin.confirm.reindexMessage": "The {n} documents of “{name}” will be processed again with the current settings; the old versions stay searchable meanwhile.",
    "admin.confirm.reindex": "Re-index",
    "admin.search.query": "Query", "admin.search.placeholder": "e.g. maximum loan-to-value for a second home", "admin.search.mode": "Mode",
    "admin.search.topK": "Results", "admin.search.includeGraph": "Show the graph expansion (linked entities and subgraph)", "admin.search.run": "Search",
    "admin.search.legend": "Stage scores: sparse = keyword BM25; dense = vector similarity; fused = the two lists fused; second stage = the reranker; graph = path score of passages the knowledge graph led to. “—”: the mode does not use that stage.",
    "admin.search.empty": "Nothing found. Try other words, or check that the documents have finished processing.", "admin.search.summary": "{n} results in {ms} ms",
    "admin.search.needQuery": "Enter a query.", "admin.search.linked": "Entities recognised:", "admin.search.subgraph": "Graph expansion: {e} entities, {r} relations, {p} paths",
    "admin.search.openSource": "Open the source: {label}", "admin.search.hint": "Enter a query to see the ranked chunks and every stage's score.",
    "admin.mode.graph": "Hybrid + rerank + graph", "admin.mode.rerank": "Hybrid + rerank", "admin.mode.hybrid": "Hybrid (sparse + dense)",
    "admin.mode.dense": "Dense vectors only", "admin.mode.sparse": "Sparse keywords only",
    "admin.hcol.rank": "#", "admin.hcol.passage": "Chunk", "admin.hcol.sparse": "Sparse", "admin.hcol.dense": "Dense", "admin.hcol.fused": "Fused",
    "admin.hcol.rerank": "Second stage", "admin.hcol.graph": "Graph", "admin.hcol.final": "Final",
    "admin.score.notUsed": "This mode does not use the stage",
    "admin.how.exact": "exact", "admin.how.alias": "alias", "admin.how.fuzzy": "fuzzy",
    "admin.settings.title": "Knowledge base settings", "admin.settings.nameFixed": "The name cannot be changed after creation.",
    "admin.settings.applies": "Chunk settings apply to documents uploaded or re-indexed afterwards. After changing them, use “Re-index every document”.",
    "admin.settings.save": "Save settings", "admin.settings.saved": "Settings saved", "admin.settings.reindexAll": "Re-index every document",
    "admin.settings.reindexDone": "Re-indexing started for {n} documents", "admin.settings.reindexNone": "This knowledge base has no documents.",
    "admin.settings.danger": "Delete the knowledge base", "admin.settings.deleteHelp": "Deleting the knowledge base also deletes all its documents, their vectors and their facts in the knowledge graph.",
    "admin.settings.delete": "Delete this knowledge base", "admin.kbDeleted": "Deleted knowledge base “{name}”",
  },
});

const $ = (selector, root = document) => root.querySelector(selector);
const LANGUAGES = [["zh", "中文 (zh)"], ["en", "English (en)"], ["ja", "日本語 (ja)"], ["ko", "한국어 (ko)"],
  ["fr", "Français (fr)"], ["de", "Deutsch (de)"], ["es", "Español (es)"], ["ru", "Русский (ru)"]];
const TABS = ["documents", "search", "graph", "settings"];
const ACTIVE_JOB = new Set(["pending", "processing"]);
const UPLOAD_CONCURRENCY = 3;
const POLL_MS = 1000;

const state = {
  kbs: null, kbsError: null, kbId: null, tab: "documents",
  docs: null, docsError: null, docsKb: null, docsTimer: null, docsToken: 0,
  uploads: [], uploadQueue: [], activeUploads: 0, nextUploadId: 1,
  lastSearch: null,
};
let graph;

// -- small helpers ---------------------------------------------------------------------------------
function currentKb() { return (state.kbs || []).find((kb) => kb.id === state.kbId) || null; }

function parseDate(value) {
  if (!value) return null;
  // Some replies carry naive UTC timestamps (no offset): read them as UTC, not local time.
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function formatDate(value) {
  const date = parseDate(value);
  if (!date) return "—";
  return new Intl.DateTimeFormat(getLang() === "zh" ? "zh-CN" : "en-GB",
    { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(date);
}

function languageName(code) {
  if (!code) return t("admin.lang.auto");
  const known = LANGUAGES.find(([value]) => value === code);
  return known ? known[1] : code;
}

function percent(fraction) { return `${Math.round(Math.max(0, Math.min(1, fraction || 0)) * 100)}%`; }

// The job's detail is English text from the service; known shapes are shown in the interface language.
export function localizeDetail(detail) {
  if (!detail) return "";
  let m;
  if ((m = detail.match(/^OCR (\d+)\/(\d+) scanned pages$/))) return t("admin.detail.ocrScanned", { done: m[1], total: m[2] });
  if ((m = detail.match(/^OCR (\d+)\/(\d+) pages$/))) return t("admin.detail.ocrPages", { done: m[1], total: m[2] });
  if ((m = detail.match(/^transcribed (\d+)\/(\d+) s$/))) return t("admin.detail.transcribed", { done: m[1], total: m[2] });
  if ((m = detail.match(/^frames read up to (\d+)\/(\d+) s$/))) return t("admin.detail.frames", { done: m[1], total: m[2] });
  if ((m = detail.match(/^(\d+)\/(\d+) chunks$/))) return t("admin.detail.chunks", { done: m[1], total: m[2] });
  if ((m = detail.match(/^(\d+) chunks written$/))) return t("admin.detail.written", { n: m[1] });
  if ((m = detail.match(/^(\d+) chunks in ([\d.]+) s(?:; graph: (\d+) entities, (\d+) relations)?$/))) {
    return t("admin.detail.finished", { n: m[1], s: m[2] }) + (m[3] ? t("admin.detail.graph", { e: m[3], r: m[4] }) : "");
  }
  return detail;
}

function stageText(job) {
  if (!job) return "";
  if (job.status === "done") return localizeDetail(job.detail) || statusLabel("done");
  const stage = t(`admin.stage.${job.stage}`) === `admin.stage.${job.stage}` ? job.stage : t(`admin.stage.${job.stage}`);
  const detail = job.status === "failed" ? "" : localizeDetail(job.detail);
  return detail ? `${stage} · ${detail}` : stage;
}

function statusLabel(status) {
  const key = `admin.status.${status}`;
  return t(key) === key ? status : t(key);
}

function reasonText(error) {
  if (!error) return "";
  const key = `admin.reason.${error.error}`;
  const reason = t(key) === key ? t("admin.reason.other") : t(key);
  return error.message && error.message !== reason ? t("admin.reason.withMessage", { reason, message: error.message }) : reason;
}

function fillLanguageSelects(root = document) {
  for (const select of root.querySelectorAll("select[data-language-select]")) {
    const value = select.value;
    const first = select.hasAttribute("data-inherit") ? t("admin.lang.inherit") : t("admin.lang.auto");
    select.innerHTML = `<option value="">${escapeHtml(first)}</option>` +
      LANGUAGES.map(([code, name]) => `<option value="${code}">${escapeHtml(name)}</option>`).join("");
    select.value = value;
  }
}

// A modal confirmation (the native <dialog>: focus stays inside, Escape cancels).
function confirmAction({ title, message, confirmLabel }) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title", dialog).textContent = title;
  $("#confirm-message", dialog).textContent = message;
  $("#confirm-ok", dialog).textContent = confirmLabel;
  applyI18n(dialog);
  dialog.returnValue = "";
  const opener = document.activeElement;
  dialog.showModal();
  $('button[value="cancel"]', dialog).focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "confirm");
    }, { once: true });
  });
}

// -- location: #kb=<id>&tab=<tab> ------------------------------------------------------------------
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { kb: params.get("kb"), tab: TABS.includes(params.get("tab")) ? params.get("tab") : "documents" };
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.kbId) params.set("kb", state.kbId);
  if (state.kbId && state.tab !== "documents") params.set("tab", state.tab);
  const hash = params.toString();
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname);
}

// -- knowledge bases -------------------------------------------------------------------------------
async function loadKbs() {
  state.kbsError = null;
  if (!state.kbs) renderKbList();
  try {
    state.kbs = await api("/knowledge-bases");
  } catch (err) {
    state.kbsError = err.message;
  }
  renderKbList();
}

function renderKbList() {
  const list = $("#kb-list");
  if (state.kbsError) return showState(list, "error", state.kbsError, () => loadKbs().then(ensureSelection));
  if (!state.kbs) return showState(list, "loading");
  if (!state.kbs.length) return showState(list, "empty", t(state.mayCreateKb === false ? "admin.kbsNoneReadable" : "admin.kbsEmpty"));
  const focused = document.activeElement?.dataset?.kb;
  list.innerHTML = state.kbs.map((kb) => `
    <button type="button" data-kb="${escapeHtml(kb.id)}" aria-current="${kb.id === state.kbId}">
      <span class="kb-name">${escapeHtml(kb.name)}</span>
      <span class="kb-count muted small">${escapeHtml(t(kb.document_count === 1 ? "admin.kbDocsOne" : "admin.kbDocs", { n: kb.document_count }))}</span>
    </button>`).join("");
  if (focused) list.querySelector(`[data-kb="${CSS.escape(focused)}"]`)?.focus();
}

function selectKb(kbId, { tab } = {}) {
  const changed = kbId !== state.kbId;
  state.kbId = kbId;
  if (tab) state.tab = tab;
  renderKbList();
  renderWorkspace();
  if (changed) {
    state.docs = null;
    state.docsError = null;
    $("#docs-filter").value = "";
    $("#search-results").innerHTML = "";
    state.lastSearch = null;
    renderSearchHint();
    graph.setKb(kbId);
    if (kbId) loadDocs();
  }
  writeHash();
}

function renderWorkspace() {
  const kb = currentKb();
  $("#kb-view").hidden = !kb;
  const none = $("#kb-none");
  if (!kb) {
    if (state.kbs) showState(none, "empty", state.kbId ? t("admin.kbMissing") : t("admin.noKbSelected"));
    else none.innerHTML = "";
    return;
  }
  none.innerHTML = "";
  $("#kb-title").textContent = kb.name;
  const dflt = t("admin.meta.default");
  $("#kb-meta").textContent = [kb.description, t("admin.meta", {
    language: languageName(kb.language), size: kb.chunk_size ?? dflt, overlap: kb.chunk_overlap ?? dflt,
    date: formatDate(kb.created_at) })].filter(Boolean).join(" — ");
  // Upload, settings and deletion are for the knowledge base's admins (the API says who they are by showing
  // them its members); readers see the documents, the search test and the graph.
  for (const el of document.querySelectorAll("[data-admin-only]")) el.hidden = !kb.readers;
  fillSettingsForm(kb);
  fillAccessForm(kb);
  showTab(state.tab, { focus: false });
}

function showTab(tab, { focus = true } = {}) {
  state.tab = tab;
  for (const button of document.querySelectorAll('.tabs [role="tab"]')) {
    const selected = button.dataset.tab === tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    if (selected && focus) button.focus();
  }
  for (const name of TABS) $(`#panel-${name}`).hidden = name !== tab;
  if (tab === "graph") graph.shown();
  writeHash();
}

function readKbForm(form) {
  const errors = [];
  const value = (name) => form.elements[name].value.trim();
  const number = (name) => (value(name) === "" ? null : Number(value(name)));
  const body = { description: value("description"), language: value("language") || null,
    chunk_size: number("chunk_size"), chunk_overlap: number("chunk_overlap") };
  if (body.chunk_size !== null && !(Number.isInteger(body.chunk_size) && body.chunk_size >= 64 && body.chunk_size <= 4096)) errors.push(t("admin.err.chunkSize"));
  if (body.chunk_overlap !== null && !(Number.isInteger(body.chunk_overlap) && body.chunk_overlap >= 0 && body.chunk_overlap <= 1024)) errors.push(t("admin.err.chunkOverlap"));
  if (body.chunk_size !== null && body.chunk_overlap !== null && body.chunk_overlap >= body.chunk_size) errors.push(t("admin.err.overlapTooBig"));
  return { body, errors };
}

function showFormError(form, message) {
  const el = $(".form-error", form);
  el.textContent = message || "";
  el.hidden = !message;
}

function toggleCreateForm(open) {
  const form = $("#kb-create");
  form.hidden = !open;
  $("#kb-new-toggle").setAttribute("aria-expanded", String(open));
  if (open) {
    showFormError(form, "");
    form.elements.name.focus();
  } else {
    form.reset();
  }
}

async function createKb(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const { body, errors } = readKbForm(form);
  body.name = form.elements.name.value.trim();
  if (!body.name) errors.unshift(t("admin.err.nameRequired"));
  if (errors.length) return showFormError(form, errors.join(" "));
  if (body.chunk_size === null) delete body.chunk_size;
  if (body.chunk_overlap === null) delete body.chunk_overlap;
  const submit = $('button[type="submit"]', form);
  submit.disabled = true;
  try {
    const kb = await api("/knowledge-bases", { method: "POST", json: body });
    toggleCreateForm(false);
    toast(t("admin.kbCreated", { name: kb.name }), "ok");
    state.kbs = [...(state.kbs || []), kb];
    selectKb(kb.id, { tab: "documents" });
    loadKbs();
    $("#kb-title").focus();
  } catch (err) {
    showFormError(form, err.status === 409 ? t("admin.err.duplicateName") : err.message);
  } finally {
    submit.disabled = false;
  }
}

function fillSettingsForm(kb) {
  const form = $("#kb-settings");
  if (form.dataset.kb === kb.id && form.contains(document.activeElement)) return;  // do not overwrite typing
  form.dataset.kb = kb.id;
  form.elements.name.value = kb.name;
  form.elements.description.value = kb.description || "";
  form.elements.language.value = kb.language || "";
  form.elements.chunk_size.value = kb.chunk_size ?? "";
  form.elements.chunk_overlap.value = kb.chunk_overlap ?? "";
  showFormError(form, "");
}

async function saveSettings(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const kb = currentKb();
  if (!kb) return;
  const { body, errors } = readKbForm(form);
  if (errors.length) return showFormError(form, errors.join(" "));
  const submit = $('button[type="submit"]', form);
  submit.disabled = true;
  try {
    const updated = await api(`/knowledge-bases/${encodeURIComponent(kb.id)}`, { method: "PATCH", json: body });
    state.kbs = state.kbs.map((item) => (item.id === updated.id ? updated : item));
    showFormError(form, "");
    form.dataset.kb = "";
    renderWorkspace();
    renderKbList();
    toast(t("admin.settings.saved"), "ok");
  } catch (err) {
    showFormError(form, err.message);
  } finally {
    submit.disabled = false;
  }
}

async function deleteKb() {
  const kb = currentKb();
  if (!kb) return;
  const ok = await confirmAction({ title: t("admin.confirm.kbTitle"),
    message: t("admin.confirm.kbMessage", { name: kb.name, n: kb.document_count }), confirmLabel: t("admin.confirm.delete") });
  if (!ok) return;
  try {
    await api(`/knowledge-bases/${encodeURIComponent(kb.id)}`, { method: "DELETE" });
    toast(t("admin.kbDeleted", { name: kb.name }), "ok");
    state.kbs = state.kbs.filter((item) => item.id !== kb.id);
    selectKb(null, { tab: "documents" });
    await loadKbs();
    $("#kb-list button, #kb-new-toggle")?.focus();
  } catch (err) {
    toast(err.message, "error");
  }
}

async function reindexAll() {
  const kb = currentKb();
  if (!kb) return;
  let docs;
  try {
    docs = await api(`/knowledge-bases/${encodeURIComponent(kb.id)}/documents`);
  } catch (err) {
    return toast(err.message, "error");
  }
  if (!docs.length) return toast(t("admin.settings.reindexNone"));
  const ok = await confirmAction({ title: t("admin.confirm.reindexTitle"),
    message: t("admin.confirm.reindexMessage", { name: kb.name, n: docs.length }), confirmLabel: t("admin.confirm.reindex") });
  if (!ok) return;
  let started = 0;
  for (const doc of docs) {
    try {
      await api(`/documents/${encodeURIComponent(doc.id)}/reindex`, { method: "POST" });
      started += 1;
    } catch (err) {
      toast(`${doc.name}: ${err.message}`, "error");
    }
  }
  toast(t("admin.settings.reindexDone", { n: started }), "ok");
  loadDocs({ quiet: true });
}

// -- documents -------------------------------------------------------------------------------------
function docIsBusy(doc) {
  return ACTIVE_JOB.has(doc.status) || (doc.latest_job && ACTIVE_JOB.has(doc.latest_job.status));
}

async function loadDocs({ quiet = false } = {}) {
  const kbId = state.kbId;
  if (!kbId) return;
  clearTimeout(state.docsTimer);
  const token = ++state.docsToken;
  if (!quiet && !state.docs) renderDocs();
  try {
    const docs = await api(`/knowledge-bases/${encodeURIComponent(kbId)}/documents`);
    if (token !== state.docsToken || kbId !== state.kbId) return;
    state.docs = docs;
    state.docsError = null;
    const kb = currentKb();
    if (kb && kb.document_count !== docs.length) {
      kb.document_count = docs.length;
      renderKbList();
    }
  } catch (err) {
    if (token !== state.docsToken || kbId !== state.kbId) return;
    state.docsError = err.message;
  }
  renderDocs();
  // Documents still being processed: keep the table live.
  if (state.docs && state.docs.some(docIsBusy)) state.docsTimer = setTimeout(() => loadDocs({ quiet: true }), 2000);
}

function renderDocs() {
  const box = $("#docs");
  if (state.docsError && !state.docs) return showState(box, "error", state.docsError, () => loadDocs());
  if (!state.docs) return showState(box, "loading");
  if (!state.docs.length) return showState(box, "empty", t("admin.docs.empty"));
  const q = $("#docs-filter").value.trim().toLowerCase();
  const docs = q ? state.docs.filter((d) => d.name.toLowerCase().includes(q)) : state.docs;
  if (!docs.length) return showState(box, "empty", t("admin.docs.noMatch", { q }));
  const focusKey = box.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  const admin = Boolean(currentKb()?.readers);  // its admins change documents; readers only read them
  const rows = docs.map((doc) => {
    const job = doc.latest_job;
    const busy = docIsBusy(doc);
    const jobLine = job && job.status === "processing"
      ? `<span class="job-line">${escapeHtml(stageText(job))}</span>
         <progress max="1" value="${job.progress}" aria-label="${escapeHtml(t("admin.upload.jobLabel", { name: doc.name }))}"></progress>` : "";
    const error = doc.error || (job && job.status === "failed" ? job.error : "") || "";
    const name = escapeHtml(doc.name);
    return `<tr data-doc="${escapeHtml(doc.id)}">
      <td class="name"><a href="/documents/${encodeURIComponent(doc.id)}/file" target="_blank" rel="noopener"
          title="${escapeHtml(t("admin.docs.open", { name: doc.name }))}" data-focus-key="open-${escapeHtml(doc.id)}">${name}</a></td>
      <td><span class="type-tag">${escapeHtml((doc.file_type || "").toUpperCase())}</span></td>
      <td class="num">${escapeHtml(formatBytes(doc.size_bytes))}</td>
      <td class="status"><span class="badge ${escapeHtml(doc.status)}">${escapeHtml(statusLabel(doc.status))}</span>${jobLine}</td>
      <td class="num chunks">${doc.chunk_count}</td>
      <td class="num">${doc.page_count ?? "—"}</td>
      <td class="error">${escapeHtml(error)}</td>
      <td class="readers">${escapeHtml(readersText(doc.access_principals))}
        ${admin ? `<button type="button" data-action="readers" data-focus-key="readers-${escapeHtml(doc.id)}"
          aria-label="${escapeHtml(t("admin.readers.changeLabel", { name: doc.name }))}">${escapeHtml(t("admin.readers.change"))}</button>` : ""}</td>
      ${doc.uploaded_by ? `<td>${escapeHtml(doc.uploaded_by)}</td>`
        : `<td title="${escapeHtml(t("admin.docs.uploaderNone"))}"><span aria-label="${escapeHtml(t("admin.docs.uploaderNone"))}">—</span></td>`}
      <td class="date">${escapeHtml(formatDate(doc.updated_at))}</td>
      <td class="actions">${admin ? `<div class="actions-box">
        <button type="button" data-action="reindex" data-focus-key="reindex-${escapeHtml(doc.id)}" ${busy ? "disabled" : ""}
          aria-label="${escapeHtml(t("admin.docs.reindexLabel", { name: doc.name }))}">${escapeHtml(t("admin.docs.reindex"))}</button>
        <button type="button" class="danger" data-action="delete" data-focus-key="delete-${escapeHtml(doc.id)}"
          aria-label="${escapeHtml(t("admin.docs.deleteLabel", { name: doc.name }))}">${escapeHtml(t("admin.docs.delete"))}</button>
      </div>` : ""}</td></tr>`;
  }).join("");
  const cols = ["name", "type", "size", "status", "chunks", "pages", "error", "readers", "uploader", "date", "actions"];
  const numeric = new Set(["size", "chunks", "pages"]);
  box.innerHTML = `<div class="table-wrap"><table class="docs-table" aria-labelledby="docs-title">
    <thead><tr>${cols.map((c) => `<th scope="col" class="${numeric.has(c) ? "num" : ""}">${escapeHtml(t(`admin.col.${c}`))}</th>`).join("")}</tr></thead>
    <tbody>${rows}</tbody></table></div>`;
  if (focusKey) box.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

// -- who can read -------------------------------------------------------------------------------------
function principalList(text) {
  return text.split(/[,，\s]+/).map((p) => p.trim()).filter(Boolean);
}

function readersText(principals) {
  const list = principals && principals.length ? principals : ["*"];
  return list.includes("*") ? t("admin.readers.all") : list.join(", ");
}

function askReaders(doc) {
  const dialog = $("#readers-dialog");
  $("#readers-title", dialog).textContent = t("admin.readers.title", { name: doc.name });
  applyI18n(dialog);
  const input = $("#readers-input", dialog);
  input.value = (doc.access_principals || ["*"]).join(", ");
  dialog.returnValue = "";
  const opener = document.activeElement;
  dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener && opener.isConnected) opener.focus();
      const readers = principalList(input.value);
      resolve(dialog.returnValue === "confirm" ? (readers.length ? readers : ["*"]) : null);
    }, { once: true });
  });
}

async function fillAccessForm(kb) {
  const form = $("#kb-access");
  form.hidden = !kb.readers;  // the knowledge base's members are shown to its admins only
  if (!kb.readers || (form.dataset.kb === kb.id && form.contains(document.activeElement))) return;
  form.dataset.kb = kb.id;
  form.elements.readers.value = kb.readers.join(", ");
  form.elements.admins.value = (kb.admins || []).join(", ");
  showFormError(form, "");
}

async function saveAccess(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const kb = currentKb();
  if (!kb) return;
  const body = { readers: principalList(form.elements.readers.value), admins: principalList(form.elements.admins.value) };
  const submit = $('button[type="submit"]', form);
  submit.disabled = true;
  try {
    await api(`/knowledge-bases/${encodeURIComponent(kb.id)}/access`, { method: "PUT", json: body });
    showFormError(form, "");
    form.dataset.kb = "";
    toast(t("admin.access.saved"), "ok");
    await loadKbs();
  } catch (err) {
    showFormError(form, err.message);
  } finally {
    submit.disabled = false;
  }
}

async function onDocAction(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const id = button.closest("tr").dataset.doc;
  const doc = (state.docs || []).find((d) => d.id === id);
  if (!doc) return;
  if (button.dataset.action === "readers") {
    const readers = await askReaders(doc);
    if (readers === null) return;
    try {
      await api(`/documents/${encodeURIComponent(id)}/readers`, { method: "PATCH", json: { readers } });
      toast(t("admin.readers.saved", { name: doc.name }), "ok");
    } catch (err) {
      toast(err.message, "error");
    }
    await loadDocs({ quiet: true });
  } else if (button.dataset.action === "reindex") {
    button.disabled = true;
    try {
      await api(`/documents/${encodeURIComponent(id)}/reindex`, { method: "POST" });
      toast(t("admin.docs.reindexStarted", { name: doc.name }), "ok");
    } catch (err) {
      toast(err.message, "error");
    }
    loadDocs({ quiet: true });
  } else if (button.dataset.action === "delete") {
    const ok = await confirmAction({ title: t("admin.confirm.docTitle"), message: t("admin.confirm.docMessage", { name: doc.name }),
      confirmLabel: t("admin.confirm.delete") });
    if (!ok) return;
    try {
      await api(`/documents/${encodeURIComponent(id)}`, { method: "DELETE" });
      toast(t("admin.docs.deleted", { name: doc.name }), "ok");
      state.docs = state.docs.filter((d) => d.id !== id);
      renderDocs();
      $("#docs-title").setAttribute("tabindex", "-1");
      $("#docs-title").focus();
    } catch (err) {
      toast(err.message, "error");
    }
    await loadDocs({ quiet: true });
  }
}

// -- uploads ---------------------------------------------------------------------------------------
function addFiles(files) {
  const kb = currentKb();
  if (!kb) return toast(t("admin.upload.noKb"), "error");
  const language = $("#upload-language").value;
  const readers = principalList($("#upload-readers").value);
  for (const file of files) {
    const row = { id: state.nextUploadId++, file, kbId: kb.id, kbName: kb.name, language, readers, phase: "waiting",
      fraction: 0, outcome: null, job: null, error: null, note: "", pollFailures: 0 };
    state.uploads.push(row);
    state.uploadQueue.push(row);
    renderUploadRow(row);
  }
  pumpUploads();
}

function pumpUploads() {
  while (state.activeUploads < UPLOAD_CONCURRENCY && state.uploadQueue.length) {
    const row = state.uploadQueue.shift();
    state.activeUploads += 1;
    uploadOne(row).finally(() => { state.activeUploads -= 1; pumpUploads(); });
  }
}

async function uploadOne(row) {
  row.phase = "uploading";
  renderUploadRow(row);
  const form = new FormData();
  form.append("files", row.file, row.file.name);
  if (row.language) form.append("language", row.language);
  for (const reader of row.readers || []) form.append("readers", reader);
  let item;
  try {
    const reply = await uploadWithProgress(`/knowledge-bases/${encodeURIComponent(row.kbId)}/documents`, form, (fraction) => {
      row.fraction = fraction;
      renderUploadRow(row);
    });
    item = reply.items?.[0];
  } catch (err) {
    // Every file of the request was rejected (413/415/422): the reasons are in the body's items.
    item = err.body?.items?.[0] || { outcome: "rejected", error: { error: err.code, message: err.message } };
  }
  row.fraction = 1;
  row.outcome = item?.outcome || "rejected";
  row.documentName = item?.document?.name;
  if (row.outcome === "rejected") {
    row.phase = "rejected";
    row.error = item?.error || { error: "other", message: "" };
  } else if (row.outcome === "unchanged" || row.outcome === "duplicate") {
    row.phase = row.outcome;
  } else {
    row.phase = "processing";
    row.job = { status: "pending", stage: "queued", progress: 0, detail: "" };
    row.jobId = item.job_id;
    if (row.kbId === state.kbId) loadDocs({ quiet: true });
    pollJob(row);
  }
  renderUploadRow(row);
  updateClearButton();
}

async function pollJob(row) {
  if (!state.uploads.includes(row)) return;  // cleared from the list
  try {
    row.job = await api(`/jobs/${encodeURIComponent(row.jobId)}`);
    row.pollFailures = 0;
    row.pollError = false;
  } catch {
    row.pollFailures += 1;
    row.pollError = true;
  }
  if (row.job.status === "done" || row.job.status === "failed") {
    row.phase = row.job.status;
    if (row.job.status === "failed") row.error = { error: "job", message: row.job.error || "" };
    renderUploadRow(row);
    updateClearButton();
    if (row.kbId === state.kbId) loadDocs({ quiet: true });
    return;
  }
  renderUploadRow(row);
  setTimeout(() => pollJob(row), POLL_MS * Math.min(1 + row.pollFailures, 5));
}

function uploadBadge(row) {
  switch (row.phase) {
    case "waiting": return ["pending", t("admin.phase.waiting")];
    case "uploading": return ["processing", t("admin.phase.uploading")];
    case "processing": return ["processing", row.job?.status === "pending" ? t("admin.phase.pending") : t("admin.phase.processing")];
    case "done": return ["done", t("admin.phase.done")];
    case "failed": return ["failed", t("admin.phase.failed")];
    case "rejected": return ["failed", t("admin.phase.rejected")];
    case "unchanged": return ["ok", t("admin.phase.unchanged")];
    case "duplicate": return ["ok", t("admin.phase.duplicate")];
    default: return ["", row.phase];
  }
}

function renderUploadRow(row) {
  const list = $("#upload-list");
  let li = list.querySelector(`[data-upload="${row.id}"]`);
  if (!li) {
    li = document.createElement("li");
    li.dataset.upload = String(row.id);
    li.dataset.name = row.file.name;
    list.append(li);
  }
  const [badgeClass, badgeText] = uploadBadge(row);
  const finished = ["done", "failed", "rejected", "unchanged", "duplicate"].includes(row.phase);
  li.className = `upload-item ${badgeClass === "failed" ? "failed" : ""} ${row.phase === "done" ? "done" : ""}`;
  li.dataset.phase = row.phase;
  let status = "";
  if (row.phase === "rejected" || row.phase === "failed") {
    status = `<span class="reason">${escapeHtml(row.phase === "failed" ? row.error.message : reasonText(row.error))}</span>`;
  } else if (row.phase === "processing" || row.phase === "done") {
    status = `<span class="stage">${escapeHtml(stageText(row.job))}</span>`;
    if (row.outcome === "replaced" && row.phase === "processing") status += `<span class="muted">${escapeHtml(t("admin.outcome.replaced"))}</span>`;
    if (row.pollError) status += `<span class="muted">${escapeHtml(t("admin.job.pollError"))}</span>`;
  } else if (row.phase === "unchanged") {
    status = `<span class="muted">${escapeHtml(t("admin.outcome.unchanged"))}</span>`;
  } else if (row.phase === "duplicate") {
    status = `<span class="muted">${escapeHtml(t("admin.outcome.duplicate", { name: row.documentName || "" }))}</span>`;
  }
  const showJob = row.job && row.phase !== "rejected";
  const jobProgress = row.job ? (row.phase === "done" ? 1 : row.job.progress) : 0;
  const kbNote = row.kbId !== state.kbId ? ` · ${escapeHtml(row.kbName)}` : "";
  li.innerHTML = `
    <div class="file-name">${escapeHtml(row.file.name)}</div>
    <div class="file-meta muted small">${escapeHtml(formatBytes(row.file.size))}${kbNote}</div>
    <div class="bars">
      <span class="bar-label">${escapeHtml(t("admin.upload.bar"))}</span>
      <progress max="1" value="${row.fraction}" aria-label="${escapeHtml(t("admin.upload.barLabel", { name: row.file.name }))}"></progress>
      <span class="bar-value">${percent(row.fraction)}</span>
      ${showJob ? `<span class="bar-label">${escapeHtml(t("admin.upload.job"))}</span>
      <progress max="1" value="${jobProgress}" aria-label="${escapeHtml(t("admin.upload.jobLabel", { name: row.file.name }))}"></progress>
      <span class="bar-value">${percent(jobProgress)}</span>` : ""}
    </div>
    <div class="status-line"><span class="badge ${badgeClass}">${escapeHtml(badgeText)}</span>${status}</div>`;
  li.setAttribute("aria-busy", String(!finished));
}

function updateClearButton() {
  const finished = state.uploads.some((row) => ["done", "failed", "rejected", "unchanged", "duplicate"].includes(row.phase));
  $("#upload-clear").hidden = !finished;
}

function clearFinishedUploads() {
  const finished = (row) => ["done", "failed", "rejected", "unchanged", "duplicate"].includes(row.phase);
  for (const row of state.uploads.filter(finished)) $(`#upload-list [data-upload="${row.id}"]`)?.remove();
  state.uploads = state.uploads.filter((row) => !finished(row));
  updateClearButton();
  $("#drop-zone").focus();
}

function wireDropZone() {
  const zone = $("#drop-zone");
  const input = $("#file-input");
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  input.addEventListener("change", () => {
    addFiles([...input.files]);
    input.value = "";
  });
  let depth = 0;
  zone.addEventListener("dragenter", (event) => { event.preventDefault(); depth += 1; zone.classList.add("dragover"); });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); event.dataTransfer.dropEffect = "copy"; });
  zone.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) zone.classList.remove("dragover"); });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove("dragover");
    const files = [...(event.dataTransfer?.files || [])];
    if (files.length) addFiles(files);
  });
  // A file dropped beside the zone must not make the browser open it in place of the console.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
}

// -- search test -----------------------------------------------------------------------------------
function renderSearchHint() {
  const box = $("#search-results");
  if (!box.innerHTML) showState(box, "empty", t("admin.search.hint"));
}

async function runSearch(event) {
  event?.preventDefault();
  const form = $("#search-form");
  const query = form.elements.query.value.trim();
  const box = $("#search-results");
  if (!query) {
    showState(box, "error", t("admin.search.needQuery"));
    form.elements.query.focus();
    return;
  }
  const mode = form.elements.mode.value;
  const topK = Math.max(1, Math.min(100, parseInt(form.elements.top_k.value, 10) || 8));
  const body = { query, knowledge_bases: [state.kbId], top_k: topK, mode,
    include_graph: form.elements.include_graph.checked && mode === "hybrid+rerank+graph" };
  showState(box, "loading");
  const started = performance.now();
  try {
    const reply = await api("/search", { method: "POST", json: body });
    state.lastSearch = { reply, ms: Math.round(performance.now() - started) };
    renderSearchResults();
  } catch (err) {
    state.lastSearch = null;
    showState(box, "error", err.message, () => runSearch());
  }
}

function scoreCell(value, max, stage) {
  if (value === null || value === undefined) {
    return `<td class="score none" data-stage="${stage}" title="${escapeHtml(t("admin.score.notUsed"))}">—</td>`;
  }
  const width = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  return `<td class="score" data-stage="${stage}">${value.toFixed(3)}<span class="score-bar" aria-hidden="true"><span data-width="${width.toFixed(0)}"></span></span></td>`;
}

function renderSearchResults() {
  const box = $("#search-results");
  if (!state.lastSearch) return;
  const { reply, ms } = state.lastSearch;
  const terms = queryTerms(reply.query);
  const parts = [`<div class="search-summary"><span class="badge">${escapeHtml(t("admin.search.summary", { n: reply.hits.length, ms }))}</span></div>`];
  const g = reply.graph;
  if (g) {
    const linked = g.linked.map((e) => `<button type="button" class="chip" data-entity="${escapeHtml(e.key)}"
      title="${escapeHtml(e.type)}">${escapeHtml(e.name)} <span class="muted">${escapeHtml(t(`admin.how.${e.how}`))}</span></button>`).join("");
    parts.push(`<div class="search-summary small">${linked ? `<span>${escapeHtml(t("admin.search.linked"))}</span>${linked}` : ""}
      <span class="muted">${escapeHtml(t("admin.search.subgraph", { e: g.entities.length, r: g.relations.length, p: g.paths.length }))}</span></div>`);
  }
  if (!reply.hits.length) {
    box.innerHTML = parts.join("");
    const empty = document.createElement("div");
    box.append(empty);
    showState(empty, "empty", t("admin.search.empty"));
    return;
  }
  const stages = ["sparse", "dense", "fused", "rerank", "graph"];
  const max = Object.fromEntries(stages.map((s) => [s, Math.max(0, ...reply.hits.map((h) => h.scores[s] ?? 0))]));
  const maxFinal = Math.max(0, ...reply.hits.map((h) => h.score));
  const rows = reply.hits.map((hit, i) => `<tr data-hit="${i}">
      <td class="rank">${i + 1}</td>
      <td class="passage"><div class="text">${highlight(hit.text, terms)}</div>
        <button type="button" class="chip" data-open="${i}" aria-label="${escapeHtml(t("admin.search.openSource", { label: hit.citation.label }))}">${escapeHtml(hit.citation.label)}</button></td>
      ${stages.map((s) => scoreCell(hit.scores[s], max[s], s)).join("")}
      ${scoreCell(hit.score, maxFinal, "final").replace('class="score"', 'class="score final"')}</tr>`).join("");
  parts.push(`<div class="table-wrap panel flush"><table class="hits-table">
    <thead><tr><th scope="col">${t("admin.hcol.rank")}</th><th scope="col">${escapeHtml(t("admin.hcol.passage"))}</th>
    ${[...stages, "final"].map((s) => `<th scope="col" class="score">${escapeHtml(t(`admin.hcol.${s}`))}</th>`).join("")}</tr></thead>
    <tbody>${rows}</tbody></table></div>`);
  box.innerHTML = parts.join("");
  // Widths through the style object: the Content-Security-Policy refuses inline style attributes.
  for (const bar of box.querySelectorAll(".score-bar > span[data-width]")) bar.style.width = `${bar.dataset.width}%`;
}

function onSearchResultsClick(event) {
  const open = event.target.closest("[data-open]");
  if (open && state.lastSearch) {
    openSource(state.lastSearch.reply.hits[Number(open.dataset.open)], { query: state.lastSearch.reply.query });
    return;
  }
  const entity = event.target.closest("[data-entity]");
  if (entity) {
    showTab("graph", { focus: false });
    graph.openEntity(entity.dataset.entity);
  }
}

// -- start -----------------------------------------------------------------------------------------
function onTabKeydown(event) {
  const tabs = [...document.querySelectorAll('.tabs [role="tab"]')];
  const index = tabs.indexOf(event.target);
  if (index < 0) return;
  let next = null;
  if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
  else if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
  else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = tabs.length - 1;
  if (next === null) return;
  event.preventDefault();
  showTab(tabs[next].dataset.tab);
}

function rerenderForLanguage() {
  document.title = t("admin.pageTitle");
  fillLanguageSelects();
  renderKbList();
  renderWorkspace();
  if (state.kbId) renderDocs();
  for (const row of state.uploads) renderUploadRow(row);
  if (state.lastSearch) renderSearchResults();
  else { $("#search-results").innerHTML = ""; renderSearchHint(); }
  graph.render();
}

// Only system administrators create knowledge bases: the others get neither the button nor the form.
function applyCaller(me) {
  state.mayCreateKb = Boolean(me.system_admin);
  $("#kb-new-toggle").hidden = !state.mayCreateKb;
  if (!state.mayCreateKb && !$("#kb-create").hidden) toggleCreateForm(false);
  if (state.kbs) renderKbList();
}

async function start() {
  window.addEventListener("zhiku:caller", (event) => applyCaller(event.detail));
  mountShell("admin");
  document.title = t("admin.pageTitle");
  fillLanguageSelects();
  graph = mountGraphExplorer($("#panel-graph"), {
    documentName: (id) => (state.docs || []).find((d) => d.id === id)?.name,
  });
  wireDropZone();
  $("#kb-new-toggle").addEventListener("click", () => toggleCreateForm($("#kb-create").hidden));
  $("#kb-create").addEventListener("submit", createKb);
  $("#kb-create [data-cancel]").addEventListener("click", () => { toggleCreateForm(false); $("#kb-new-toggle").focus(); });
  $("#kb-create").addEventListener("keydown", (e) => { if (e.key === "Escape") { toggleCreateForm(false); $("#kb-new-toggle").focus(); } });
  $("#kb-list").addEventListener("click", (event) => {
    const button = event.target.closest("[data-kb]");
    if (button) selectKb(button.dataset.kb);
  });
  $(".tabs").addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) showTab(tab.dataset.tab);
  });
  $(".tabs").addEventListener("keydown", onTabKeydown);
  $("#kb-title").setAttribute("tabindex", "-1");
  $("#docs").addEventListener("click", onDocAction);
  $("#docs-filter").addEventListener("input", renderDocs);
  $("#docs-refresh").addEventListener("click", () => loadDocs());
  $("#upload-clear").addEventListener("click", clearFinishedUploads);
  $("#kb-settings").addEventListener("submit", saveSettings);
  $("#kb-access").addEventListener("submit", saveAccess);
  $("#kb-reindex-all").addEventListener("click", reindexAll);
  $("#kb-delete").addEventListener("click", deleteKb);
  $("#search-form").addEventListener("submit", runSearch);
  $("#search-form").elements.mode.addEventListener("change", (event) => {
    $("#search-form").elements.include_graph.disabled = event.target.value !== "hybrid+rerank+graph";
  });
  $("#search-results").addEventListener("click", onSearchResultsClick);
  window.addEventListener("langchange", rerenderForLanguage);
  renderSearchHint();

  state.tab = readHash().tab;
  await loadKbs();
  ensureSelection();
}

// After the list of knowledge bases arrives: the one named in the address, else the first.
function ensureSelection() {
  if (!state.kbs) return;
  const wanted = readHash();
  const kbId = wanted.kb && state.kbs.some((kb) => kb.id === wanted.kb) ? wanted.kb : state.kbs[0]?.id || null;
  selectKb(kbId, { tab: wanted.tab });
  if (!state.kbs.length && state.mayCreateKb !== false) toggleCreateForm(true);
}

start();
