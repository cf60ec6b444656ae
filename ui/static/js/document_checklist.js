// A knowledge base's documents as a checklist with an "n / m selected" counter (the scenario pages pick their
// materials with it). Documents that are not indexed yet are shown, disabled, with their status.
import { t } from "./i18n.js";
import { escapeHtml, showState } from "./shell.js";

export class DocumentChecklist {
  constructor(box, counter) {
    this.box = box;
    this.counter = counter;
    // The ticked documents by name, above the list: the list scrolls in its box, so a tick can be out of sight.
    this.chosen = document.createElement("p");
    this.chosen.className = "doc-chosen muted small";
    this.chosen.setAttribute("aria-live", "polite");
    box.before(this.chosen);
  }

  // kbId null: no knowledge base chosen yet; `checked`: ids to tick (those not ready stay unticked).
  render(kbId, documents, checked) {
    if (!kbId) return this.showState("empty", t("docs.pickKb"));
    if (!documents.length) return this.showState("empty", t("docs.none"));
    const ids = new Set(checked || []);
    this.box.innerHTML = `<ul class="doc-list">${documents.map((doc) => {
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
    this.updateCount();
  }

  // Loading, empty or error in place of the list (see shell.showState).
  showState(kind, message, retry) {
    showState(this.box, kind, message, retry);
    this.updateCount();
  }

  checkboxes() { return [...this.box.querySelectorAll("input[type=checkbox]")]; }

  selectedIds() { return this.checkboxes().filter((c) => c.checked).map((c) => c.value); }

  setAll(on) {
    for (const input of this.checkboxes()) if (!input.disabled) input.checked = on;
    this.updateCount();
  }

  // "已选 n / m 个" — empty when there is no list.
  updateCount() {
    const boxes = this.checkboxes();
    const ticked = boxes.filter((c) => c.checked);
    this.counter.textContent = boxes.length ? t("docs.count", { n: ticked.length, total: boxes.length }) : "";
    const names = ticked.map((c) => c.closest("label").querySelector(".doc-name").textContent);
    this.chosen.textContent = names.length ? t("docs.chosen", { names: names.join("、") }) : "";
    this.chosen.hidden = !names.length;
  }
}
