// Choose knowledge bases: checkboxes (or radio buttons) in a fieldset; the choice is remembered per page.
import { api } from "./api.js";
import { applyI18n, t } from "./i18n.js";
import { escapeHtml, showState } from "./shell.js";

// Returns {selected(), kbs} at once; both read the current state, so they stay right after a retry.
export async function mountKbPicker(container, { storageKey, onChange = () => {}, single = false } = {}) {
  const state = { kbs: [] };
  const picker = {
    selected: () => [...container.querySelectorAll("input:checked")].map((input) => input.value),
    get kbs() { return state.kbs; },
  };
  container.addEventListener("change", () => {
    localStorage.setItem(storageKey, JSON.stringify(picker.selected()));
    onChange(picker.selected());
  });
  async function load() {
    showState(container, "loading");
    try {
      state.kbs = await api("/knowledge-bases");
    } catch (err) {
      showState(container, "error", err.message, load);
      return;
    }
    const kbs = state.kbs;
    if (!kbs.length) {
      showState(container, "empty", t("state.noKbs"));
      return;
    }
    const saved = JSON.parse(localStorage.getItem(storageKey) || "null") || [];
    const known = saved.filter((id) => kbs.some((kb) => kb.id === id));
    // Multiple choice: the saved choice, else every knowledge base; single choice: the saved one, else the first.
    const initial = new Set(single ? [known[0] || kbs[0].id] : (known.length ? known : kbs.map((kb) => kb.id)));
    const type = single ? "radio" : "checkbox";
    container.innerHTML = `<fieldset class="kb-picker"><legend data-i18n="kb.label"></legend>${kbs.map((kb) => `
        <label class="inline"><input type="${type}" name="kb-${storageKey}" value="${escapeHtml(kb.id)}"
          ${initial.has(kb.id) ? "checked" : ""}>
          <span>${escapeHtml(kb.name)}</span> <span class="muted small">(${kb.document_count})</span></label>`).join("")}</fieldset>`;
    applyI18n(container);
  }
  await load();
  return picker;
}
