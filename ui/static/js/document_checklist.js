// A knowledge base's documents as a checklist (the scenario pages pick their materials with it). Documents that
// are not indexed yet are shown, disabled, with their status.
import { t } from "./i18n.js";
import { escapeHtml } from "./shell.js";

export function renderDocumentChecklist(box, documents, checked) {
  const ids = new Set(checked || []);
  box.innerHTML = `<ul class="doc-list">${documents.map((doc) => {
    const ready = doc.status === "done";
    const id = escapeHtml(doc.id);
    return `<li><label class="inline doc${ready ? "" : " not-ready"}">
        <input type="checkbox" value="${id}" ${ready ? "" : `disabled aria-describedby="why-${id}"`} ${ids.has(doc.id) && ready ? "checked" : ""}>
        <span class="doc-name">${escapeHtml(doc.name)}</span>
        <span class="badge type">${escapeHtml(doc.file_type || "")}</span>
        ${ready ? "" : `<span class="badge ${escapeHtml(doc.status)}">${escapeHtml(t("status." + doc.status))}</span>
          <span id="why-${id}" class="visually-hidden">${escapeHtml(t(doc.status === "failed" ? "docs.failed" : "docs.notReady"))}</span>`}
      </label></li>`;
  }).join("")}</ul>`;
}

export function documentCheckboxes(box) { return [...box.querySelectorAll("input[type=checkbox]")]; }

export function checkedDocumentIds(box) { return documentCheckboxes(box).filter((c) => c.checked).map((c) => c.value); }

export function checkAllDocuments(box, on) {
  for (const input of documentCheckboxes(box)) if (!input.disabled) input.checked = on;
}

// "已选 n / m 个" — empty when there is no list.
export function checkedCountText(box) {
  const boxes = documentCheckboxes(box);
  return boxes.length ? t("docs.count", { n: boxes.filter((c) => c.checked).length, total: boxes.length }) : "";
}
