// The knowledge-graph explorer: search an entity, see its neighbourhood as a radial node-link drawing (SVG, drawn
// here), expand neighbours by clicking them, and open the passages that support an entity or a relation.
// The relations table beside the drawing offers the same moves to keyboard and screen-reader users.
import { api } from "./api.js";
import { registerStrings, t } from "./i18n.js";
import { escapeHtml, showState, toast } from "./shell.js";
import { highlight, openSource } from "./source_panel.js";

registerStrings({
  zh: {
    "graph.search": "查找实体", "graph.searchLabel": "实体名称", "graph.placeholder": "例如：银行、公司或产品名称",
    "graph.searchHint": "输入实体名称（机构、人物、产品等）查找，再点选一个查看它的关系网络。",
    "graph.noResults": "没有找到名称包含“{q}”的实体。", "graph.results": "找到的实体",
    "graph.reset": "清空图", "graph.drawing": "“{name}”的关系网络图", "graph.nodeLabel": "{name}（{type}）",
    "graph.nodeExpand": "，按 Enter 展开", "graph.nodeFocus": "，当前中心，按 Enter 查看提及段落",
    "graph.hidden": "另有 {n} 个已载入的实体离中心较远，未画出；以它们为中心即可看到。",
    "graph.legendExpanded": "实线：已展开", "graph.legendUnexpanded": "虚线：未展开，点击展开",
    "graph.mentions": "提及 {n} 次", "graph.aliases": "别名：{list}", "graph.documents": "{n} 个文档",
    "graph.entityPassages": "查看提及段落", "graph.relations": "关系（{n}）", "graph.noRelations": "这个实体没有记录到关系。",
    "graph.col.relation": "关系", "graph.col.support": "支持", "graph.col.actions": "操作",
    "graph.expand": "展开 {name}", "graph.expandShort": "展开", "graph.passages": "出处", "graph.passagesFor": "查看“{what}”的出处段落",
    "graph.trail": "浏览路径：",
    "graph.chunksTitle": "出处段落：{what}", "graph.chunksCount": "显示 {shown} 条，图谱记录共 {total} 条支持分块。",
    "graph.chunksMissing": "另有 {n} 条支持分块已不在知识库中，可打开原文件查看：",
    "graph.chunksNone": "这些支持分块已不在知识库中，可打开原文件查看：",
    "graph.chunksHow": "按图谱记录的分块编号取回。",
    "graph.openSource": "查看出处：{label}", "graph.openFile": "打开原文件",
    "graph.type.organization": "机构", "graph.type.person": "人物", "graph.type.product": "产品", "graph.type.policy": "制度政策",
    "graph.type.account_type": "账户类型", "graph.type.loan_type": "贷款品种", "graph.type.amount": "金额", "graph.type.date": "日期",
    "graph.type.location": "地点", "graph.type.entity": "其他",
    "graph.rel.born_in": "出生于", "graph.rel.branch_of": "分支机构", "graph.rel.controls": "实际控制", "graph.rel.created_by": "创建者", "graph.rel.executive_of": "任职高管",
    "graph.rel.governs": "规范", "graph.rel.guarantees": "担保", "graph.rel.issued_by": "发布方", "graph.rel.legal_representative": "法定代表人",
    "graph.rel.lends_to": "贷款给", "graph.rel.located_in": "位于", "graph.rel.overdue_loan_of": "逾期贷款", "graph.rel.penalized_by": "被处罚",
    "graph.rel.related_to": "相关", "graph.rel.shareholder_of": "股东", "graph.rel.subsidiary_of": "子公司",
    "graph.noKb": "请先选择一个知识库。",
  },
  en: {
    "graph.search": "Find entity", "graph.searchLabel": "Entity name", "graph.placeholder": "e.g. a bank, company or product name",
    "graph.searchHint": "Search an entity (organisation, person, product…) by name, then choose one to see its neighbourhood.",
    "graph.noResults": "No entity name contains “{q}”.", "graph.results": "Entities found",
    "graph.reset": "Clear", "graph.drawing": "Neighbourhood of “{name}”", "graph.nodeLabel": "{name} ({type})",
    "graph.nodeExpand": "; press Enter to expand", "graph.nodeFocus": "; the centre: press Enter for the passages that mention it",
    "graph.hidden": "{n} more loaded entities are too far from the centre to draw; make one of them the centre to see them.",
    "graph.legendExpanded": "solid: expanded", "graph.legendUnexpanded": "dashed: not expanded yet, click to expand",
    "graph.mentions": "mentions: {n}", "graph.aliases": "Aliases: {list}", "graph.documents": "documents: {n}",
    "graph.entityPassages": "Passages that mention it", "graph.relations": "Relations ({n})", "graph.noRelations": "No relations recorded for this entity.",
    "graph.col.relation": "Relation", "graph.col.support": "Support", "graph.col.actions": "Actions",
    "graph.expand": "Expand {name}", "graph.expandShort": "Expand", "graph.passages": "Sources", "graph.passagesFor": "Passages supporting “{what}”",
    "graph.trail": "Visited:",
    "graph.chunksTitle": "Supporting passages: {what}", "graph.chunksCount": "Showing {shown}; the graph records {total} supporting chunks.",
    "graph.chunksMissing": "{n} more supporting chunks are no longer in the knowledge base; open the original files:",
    "graph.chunksNone": "These supporting chunks are no longer in the knowledge base; open the original files:",
    "graph.chunksHow": "Fetched by the chunk ids the graph records.",
    "graph.openSource": "Open the source: {label}", "graph.openFile": "Open the original file",
    "graph.type.organization": "organisation", "graph.type.person": "person", "graph.type.product": "product", "graph.type.policy": "policy",
    "graph.type.account_type": "account type", "graph.type.loan_type": "loan type", "graph.type.amount": "amount", "graph.type.date": "date",
    "graph.type.location": "place", "graph.type.entity": "other",
    "graph.rel.born_in": "born in", "graph.rel.branch_of": "branch of", "graph.rel.controls": "controls", "graph.rel.created_by": "created by", "graph.rel.executive_of": "executive of",
    "graph.rel.governs": "governs", "graph.rel.guarantees": "guarantees", "graph.rel.issued_by": "issued by", "graph.rel.legal_representative": "legal representative",
    "graph.rel.lends_to": "lends to", "graph.rel.located_in": "located in", "graph.rel.overdue_loan_of": "overdue loan of", "graph.rel.penalized_by": "penalised by",
    "graph.rel.related_to": "related to", "graph.rel.shareholder_of": "shareholder of", "graph.rel.subsidiary_of": "subsidiary of",
    "graph.noKb": "Choose a knowledge base first.",
  },
});

const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = { organization: "#1f5fbf", person: "#c2571a", product: "#7b3fb8", policy: "#1c7c4a", account_type: "#0f7d8c",
  loan_type: "#a86200", amount: "#6b7280", date: "#6b7280", location: "#b3261e", entity: "#5d6676" };
const RING1_MAX = 20, RING2_MAX = 28;

function translated(prefix, value) {
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value || "").replaceAll("_", " ") : text;
}
const typeName = (type) => translated("graph.type", type);
const relName = (type) => translated("graph.rel", type);
const short = (name, n = 9) => (name.length > n ? `${name.slice(0, n - 1)}…` : name);

export function mountGraphExplorer(container, { documentName = () => null } = {}) {
  const s = { kb: null, query: "", results: null, resultsError: null, nodes: new Map(), edges: new Map(),
    details: new Map(), focus: null, trail: [], loading: false, error: null, chunks: null, chunkToken: 0 };

  container.innerHTML = `
    <div class="panel stack">
      <form class="graph-search" role="search">
        <input type="search" name="q" required maxlength="200" autocomplete="off">
        <button type="submit" class="primary"></button>
      </form>
      <div class="graph-results" aria-live="polite"></div>
    </div>
    <div class="graph-body"></div>`;
  const form = container.querySelector(".graph-search");
  const resultsBox = container.querySelector(".graph-results");
  const body = container.querySelector(".graph-body");

  form.addEventListener("submit", (event) => { event.preventDefault(); search(form.elements.q.value.trim()); });
  resultsBox.addEventListener("click", (event) => {
    const button = event.target.closest("[data-key]");
    if (button) { reset(); expand(button.dataset.key); }
  });
  body.addEventListener("click", onBodyClick);
  body.addEventListener("keydown", (event) => {
    const node = event.target.closest?.("g.node");
    if (node && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      onNode(node.dataset.key);
    }
  });

  // -- data ------------------------------------------------------------------------------------
  async function search(q) {
    if (!s.kb) return;
    s.query = q;
    if (!q) { s.results = null; renderResults(); form.elements.q.focus(); return; }
    showState(resultsBox, "loading");
    try {
      s.results = await api(`/graph/entities?q=${encodeURIComponent(q)}&kb=${encodeURIComponent(s.kb)}&limit=20`);
      s.resultsError = null;
    } catch (err) {
      s.results = null;
      s.resultsError = err.message;
    }
    renderResults();
  }

  function reset() {
    s.nodes.clear(); s.edges.clear(); s.details.clear();
    s.focus = null; s.trail = []; s.chunks = null; s.error = null;
  }

  async function expand(key) {
    if (!s.kb) return;
    if (!s.details.has(key)) {
      s.loading = true;
      renderBody();
      const kb = s.kb;
      try {
        const detail = await api(`/graph/entities/${encodeURIComponent(key)}?kb=${encodeURIComponent(kb)}`);
        if (kb !== s.kb) return;
        s.details.set(key, detail);
        s.nodes.set(detail.entity.key, detail.entity);
        for (const n of detail.neighbours) if (!s.nodes.has(n.key)) s.nodes.set(n.key, n);
        for (const r of detail.relations) s.edges.set(r.key, r);
        s.error = null;
      } catch (err) {
        s.loading = false;
        if (!s.focus) { s.error = err.message; renderBody(); } else { toast(err.message, "error"); renderBody(); }
        return;
      }
      s.loading = false;
    }
    s.focus = key;
    const at = s.trail.indexOf(key);
    s.trail = at >= 0 ? s.trail.slice(0, at + 1) : [...s.trail, key];
    s.chunks = null;
    renderBody({ focusNode: key });
  }

  function onNode(key) {
    if (key === s.focus) {
      const entity = s.nodes.get(key);
      showChunks({ what: entity.name, provenance: entity.provenance, names: [entity.name] });
    } else {
      expand(key);
    }
  }

  // Supporting chunks: the graph records their ids, and /chunks returns them with text and citation. Ids the
  // index no longer holds (a document deleted since) are offered as the original files instead.
  async function showChunks({ what, provenance, names }) {
    const token = ++s.chunkToken;
    s.chunks = { what, names, status: "loading", provenance };
    renderChunks();
    try {
      const query = new URLSearchParams([["knowledge_bases", s.kb], ...provenance.chunk_ids.map((id) => ["ids", id])]);
      const reply = provenance.chunk_ids.length ? await api(`/chunks?${query}`) : { hits: [], missing: [] };
      if (token !== s.chunkToken) return;
      s.chunks = { ...s.chunks, status: "ready", hits: reply.hits, missing: reply.missing.length };
    } catch (err) {
      if (token !== s.chunkToken) return;
      s.chunks = { ...s.chunks, status: "error", message: err.message };
    }
    renderChunks();
    container.querySelector(".graph-chunks h3")?.focus();
  }

  function onBodyClick(event) {
    const target = event.target.closest("[data-act], g.node");
    if (!target) return;
    if (target.matches("g.node")) return onNode(target.dataset.key);
    const act = target.dataset.act;
    if (act === "expand") expand(target.dataset.key);
    else if (act === "reset") { reset(); renderBody(); form.elements.q.focus(); }
    else if (act === "entity-chunks") {
      const entity = s.nodes.get(s.focus);
      showChunks({ what: entity.name, provenance: entity.provenance, names: [entity.name] });
    } else if (act === "relation-chunks") {
      const relation = s.edges.get(target.dataset.key);
      const a = s.nodes.get(relation.subject_key)?.name || "", b = s.nodes.get(relation.object_key)?.name || "";
      showChunks({ what: `${a} —${relName(relation.type)}→ ${b}`, provenance: relation.provenance, names: [a, b].filter(Boolean) });
    } else if (act === "open" && s.chunks?.hits) {
      openSource(s.chunks.hits[Number(target.dataset.index)], { query: s.chunks.names.join(" ") });
    }
  }

  // -- drawing ---------------------------------------------------------------------------------
  // Who is drawn: the centre, its neighbours (first ring), their other neighbours (second ring).
  function membership() {
    const adjacency = new Map();
    for (const e of s.edges.values()) {
      if (!s.nodes.has(e.subject_key) || !s.nodes.has(e.object_key) || e.subject_key === e.object_key) continue;
      for (const [a, b] of [[e.subject_key, e.object_key], [e.object_key, e.subject_key]]) {
        if (!adjacency.has(a)) adjacency.set(a, new Set());
        adjacency.get(a).add(b);
      }
    }
    const seen = new Set([s.focus]);
    const ring1 = [], children = new Map();
    for (const key of [...(adjacency.get(s.focus) || [])].sort(byName)) {
      if (ring1.length >= RING1_MAX) break;
      seen.add(key);
      ring1.push(key);
    }
    let ring2 = 0;
    for (const p of ring1) {
      children.set(p, []);
      for (const key of [...(adjacency.get(p) || [])].sort(byName)) {
        if (seen.has(key) || ring2 >= RING2_MAX) continue;
        seen.add(key);
        children.get(p).push(key);
        ring2 += 1;
      }
    }
    return { ring1, children, ring2, drawn: seen.size, hidden: s.nodes.size - seen.size };
  }

  // Positions in pixels for a w × h drawing centred on 0,0: elliptical rings that fill the box, each
  // neighbour's own neighbours fanned out in its sector so that no line crosses the centre.
  function layout({ ring1, children, ring2 }, w, h) {
    const rx2 = Math.max(60, w / 2 - 58), ry2 = Math.max(60, h / 2 - 30);
    const share = ring2 ? 0.5 : ring1.length === 1 ? 0.55 : 0.8;
    // The first ring keeps clear of the centre's label (up to 12 characters wide).
    const rx1 = Math.max(rx2 * share, Math.min(rx2 - 30, 125)), ry1 = Math.max(ry2 * share, Math.min(ry2 - 30, 85));
    const pos = new Map([[s.focus, { x: 0, y: 0, ring: 0 }]]);
    const sector = ring1.length ? Math.min((2 * Math.PI) / ring1.length, Math.PI * 0.8) : 0;
    ring1.forEach((key, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / ring1.length;
      pos.set(key, { x: rx1 * Math.cos(angle), y: ry1 * Math.sin(angle), ring: 1, angle });
      const kids = children.get(key) || [];
      const spread = Math.min(sector * 0.9, (kids.length - 1) * 0.42);
      kids.forEach((kid, j) => {
        const a = angle + (kids.length === 1 ? 0 : spread * (j / (kids.length - 1) - 0.5));
        pos.set(kid, { x: rx2 * Math.cos(a), y: ry2 * Math.sin(a), ring: 2, angle: a });
      });
    });
    // Centre what is drawn (a lone neighbour above the centre would leave the lower half empty).
    const xs = [...pos.values()].map((p) => p.x), ys = [...pos.values()].map((p) => p.y);
    const dx = (Math.min(...xs) + Math.max(...xs)) / 2, dy = (Math.min(...ys) + Math.max(...ys)) / 2;
    for (const p of pos.values()) { p.x -= dx; p.y -= dy; }
    return pos;
  }

  function byName(a, b) {
    return (s.nodes.get(a)?.name || a).localeCompare(s.nodes.get(b)?.name || b);
  }

  function svgEl(name, attrs = {}) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  function drawSvg(pos, w, h) {
    const focus = s.nodes.get(s.focus);
    const svg = svgEl("svg", { viewBox: `${-w / 2} ${-h / 2} ${w} ${h}`, width: w, height: h, role: "group",
      "aria-label": t("graph.drawing", { name: focus.name }) });
    const edgesLayer = svgEl("g", { class: "edges" });
    const nodesLayer = svgEl("g", { class: "nodes" });
    // One line per pair of entities, labelled with every relation type between them.
    const pairs = new Map();
    for (const e of s.edges.values()) {
      if (!pos.has(e.subject_key) || !pos.has(e.object_key) || e.subject_key === e.object_key) continue;
      const id = [e.subject_key, e.object_key].sort().join("|");
      if (!pairs.has(id)) pairs.set(id, { a: e.subject_key, b: e.object_key, relations: [] });
      pairs.get(id).relations.push(e);
    }
    for (const { a, b, relations } of pairs.values()) {
      const pa = pos.get(a), pb = pos.get(b);
      const touchesFocus = a === s.focus || b === s.focus;
      const g = svgEl("g", { class: `edge${touchesFocus ? " focus-edge" : ""}` });
      g.append(svgEl("line", { x1: pa.x, y1: pa.y, x2: pb.x, y2: pb.y }));
      const statement = relations.map((r) => `${s.nodes.get(r.subject_key).name} —${relName(r.type)}→ ${s.nodes.get(r.object_key).name}`).join("\n");
      const title = svgEl("title");
      title.textContent = statement;
      g.append(title);
      if (touchesFocus) {
        // The label sits nearer the neighbour, away from the centre's own label.
        const [near, far] = a === s.focus ? [pa, pb] : [pb, pa];
        const label = svgEl("text", { x: near.x + (far.x - near.x) * 0.6, y: near.y + (far.y - near.y) * 0.6 - 4, "text-anchor": "middle" });
        label.textContent = short([...new Set(relations.map((r) => relName(r.type)))].join(" · "), 12);
        g.append(label);
      }
      edgesLayer.append(g);
    }
    for (const [key, p] of pos) {
      const entity = s.nodes.get(key);
      const isFocus = key === s.focus;
      const expanded = s.details.has(key);
      const g = svgEl("g", { class: `node${isFocus ? " focus" : ""}${expanded ? "" : " unexpanded"}`, tabindex: 0, role: "button",
        "data-key": key, transform: `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`,
        "aria-label": t("graph.nodeLabel", { name: entity.name, type: typeName(entity.type) }) + (isFocus ? t("graph.nodeFocus") : t("graph.nodeExpand")) });
      const r = isFocus ? 24 : Math.min(18, 10 + Math.log2(1 + (entity.mentions || 1)) * 2);
      g.append(svgEl("circle", { r, class: "under", fill: "#fbfcfe" }));  // hides the lines under a pale node
      g.append(svgEl("circle", { r, fill: COLORS[entity.type] || COLORS.entity }));
      const below = p.ring === 0 || p.y >= -1;
      const text = svgEl("text", { y: below ? r + 15 : -r - 7, "text-anchor": "middle" });
      text.textContent = isFocus ? short(entity.name, 12) : short(entity.name);
      const title = svgEl("title");
      title.textContent = `${entity.name} · ${typeName(entity.type)}`;
      g.append(text, title);
      nodesLayer.append(g);
    }
    svg.append(edgesLayer, nodesLayer);
    return svg;
  }

  // The drawing is in real pixels (text stays readable at any width): drawn again when its box changes size.
  function redraw() {
    // Colours through the style object: the Content-Security-Policy refuses inline style attributes.
    for (const swatch of body.querySelectorAll(".graph-legend i[data-type]")) {
      swatch.style.background = COLORS[swatch.dataset.type] || COLORS.entity;
    }
    const slot = body.querySelector(".svg-slot");
    if (!slot || !s.focus) return;
    const w = Math.round(slot.clientWidth);
    if (!w) return;  // the tab is hidden: drawn when shown
    const h = Math.round(Math.min(520, Math.max(300, w * 0.7)));
    const focused = slot.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    slot.dataset.width = String(w);
    slot.replaceChildren(drawSvg(layout(membership(), w, h), w, h));
    if (focused) slot.querySelector(`g.node[data-key="${CSS.escape(focused)}"]`)?.focus();
  }
  const resizer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      if (Math.round(entry.contentRect.width) !== Number(entry.target.dataset.width || 0)) requestAnimationFrame(redraw);
    }
  });

  // -- rendering -------------------------------------------------------------------------------
  function renderResults() {
    if (s.resultsError) return showState(resultsBox, "error", s.resultsError, () => search(s.query));
    if (!s.results) { resultsBox.innerHTML = ""; return; }
    if (!s.results.length) return showState(resultsBox, "empty", t("graph.noResults", { q: s.query }));
    resultsBox.innerHTML = `<span class="muted small">${escapeHtml(t("graph.results"))}:</span>` + s.results.map((e) =>
      `<button type="button" class="chip" data-key="${escapeHtml(e.key)}" aria-pressed="${e.key === s.focus}">${escapeHtml(e.name)}
        <span class="muted">${escapeHtml(typeName(e.type))} · ${escapeHtml(t("graph.mentions", { n: e.mentions }))}</span></button>`).join("");
  }

  function renderBody({ focusNode } = {}) {
    const active = document.activeElement;
    const restore = focusNode || (body.contains(active) ? active.dataset?.key && active.matches("g.node") && active.dataset.key : null);
    if (!s.kb) return showState(body, "empty", t("graph.noKb"));
    if (s.error) return showState(body, "error", s.error, () => { s.error = null; renderBody(); });
    if (!s.focus) {
      if (s.loading) return showState(body, "loading");
      return showState(body, "empty", t("graph.searchHint"));
    }
    const focus = s.nodes.get(s.focus);
    const detail = s.details.get(s.focus);
    const members = membership();
    const { hidden } = members;
    const legendTypes = [...new Set([s.focus, ...members.ring1, ...[...members.children.values()].flat()].map((k) => s.nodes.get(k).type))];
    body.innerHTML = `
      <div class="graph-layout">
        <div class="stack">
          <div class="graph-crumbs"><span class="muted">${escapeHtml(t("graph.trail"))}</span>${s.trail.map((key) => {
            const e = s.nodes.get(key);
            return `<button type="button" data-act="expand" data-key="${escapeHtml(key)}" ${key === s.focus ? 'aria-current="true" disabled' : ""}>${escapeHtml(short(e.name, 14))}</button>`;
          }).join(`<span aria-hidden="true">›</span>`)}</div>
          <div class="graph-canvas">
            <div class="toolbar">${s.loading ? '<span class="spinner" aria-hidden="true"></span>' : ""}
              <button type="button" data-act="reset">${escapeHtml(t("graph.reset"))}</button></div>
            <div class="svg-slot"></div>
            <div class="graph-legend">${legendTypes.map((type) => `<span><i data-type="${escapeHtml(type)}"></i>${escapeHtml(typeName(type))}</span>`).join("")}
              <span>${escapeHtml(t("graph.legendExpanded"))}</span><span>${escapeHtml(t("graph.legendUnexpanded"))}</span>
              ${hidden > 0 ? `<span>${escapeHtml(t("graph.hidden", { n: hidden }))}</span>` : ""}</div>
          </div>
        </div>
        <div class="graph-side">
          <div class="panel entity-card">
            <h3 tabindex="-1">${escapeHtml(focus.name)}</h3>
            <div class="facts"><span class="badge">${escapeHtml(typeName(focus.type))}</span>
              <span>${escapeHtml(t("graph.mentions", { n: focus.mentions }))}</span>
              <span>${escapeHtml(t("graph.documents", { n: focus.provenance.document_ids.length }))}</span>
              ${focus.aliases?.length ? `<span>${escapeHtml(t("graph.aliases", { list: focus.aliases.join("、") }))}</span>` : ""}</div>
            <button type="button" data-act="entity-chunks">${escapeHtml(t("graph.entityPassages"))}</button>
          </div>
          <div class="panel stack">
            <h3>${escapeHtml(t("graph.relations", { n: detail.relations.length }))}</h3>
            ${relationsTable(detail)}
          </div>
          <div class="panel graph-chunks" hidden></div>
        </div>
      </div>`;
    // Colours through the style object: the Content-Security-Policy refuses inline style attributes.
    for (const swatch of body.querySelectorAll(".graph-legend i[data-type]")) {
      swatch.style.background = COLORS[swatch.dataset.type] || COLORS.entity;
    }
    const slot = body.querySelector(".svg-slot");
    resizer.disconnect();
    resizer.observe(slot);
    redraw();
    renderChunks();
    renderResults();
    if (restore) body.querySelector(`g.node[data-key="${CSS.escape(restore)}"]`)?.focus();
  }

  function relationsTable(detail) {
    if (!detail.relations.length) return `<p class="muted small">${escapeHtml(t("graph.noRelations"))}</p>`;
    const rows = detail.relations.map((r) => {
      const subject = s.nodes.get(r.subject_key), object = s.nodes.get(r.object_key);
      if (!subject || !object) return "";
      const other = r.subject_key === s.focus ? object : subject;
      const statement = `${subject.name} —${relName(r.type)}→ ${object.name}`;
      const name = (e) => (e.key === s.focus ? `<strong>${escapeHtml(e.name)}</strong>` : escapeHtml(e.name));
      return `<tr data-relation="${escapeHtml(r.key)}">
        <td>${name(subject)} <span class="muted">—${escapeHtml(relName(r.type))}→</span> ${name(object)}</td>
        <td class="num">${r.support}</td>
        <td class="actions"><div class="row tight">
          ${other.key === s.focus ? "" : `<button type="button" data-act="expand" data-key="${escapeHtml(other.key)}" aria-label="${escapeHtml(t("graph.expand", { name: other.name }))}">${escapeHtml(t("graph.expandShort"))}</button>`}
          <button type="button" data-act="relation-chunks" data-key="${escapeHtml(r.key)}" aria-label="${escapeHtml(t("graph.passagesFor", { what: statement }))}">${escapeHtml(t("graph.passages"))}</button>
        </div></td></tr>`;
    }).join("");
    return `<div class="table-wrap"><table class="relations-table">
      <thead><tr><th scope="col">${escapeHtml(t("graph.col.relation"))}</th><th scope="col" class="num">${escapeHtml(t("graph.col.support"))}</th>
      <th scope="col">${escapeHtml(t("graph.col.actions"))}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  function fileLinks(ids) {
    return `<ul class="small">${ids.map((id) => `<li><a href="/documents/${encodeURIComponent(id)}/file" target="_blank" rel="noopener">${escapeHtml(documentName(id) || id)}</a></li>`).join("")}</ul>`;
  }

  function renderChunks() {
    const box = body.querySelector(".graph-chunks");
    if (!box) return;
    const c = s.chunks;
    box.hidden = !c;
    if (!c) { box.innerHTML = ""; return; }
    const head = `<h3 tabindex="-1">${escapeHtml(t("graph.chunksTitle", { what: c.what }))}</h3>`;
    if (c.status === "loading") { box.innerHTML = head; const slot = document.createElement("div"); box.append(slot); showState(slot, "loading"); return; }
    if (c.status === "error") { box.innerHTML = head; const slot = document.createElement("div"); box.append(slot); showState(slot, "error", c.message); return; }
    const terms = c.names.map((n) => n.toLowerCase());
    const items = c.hits.map((hit, i) => `<li>
      <button type="button" class="chip" data-act="open" data-index="${i}" aria-label="${escapeHtml(t("graph.openSource", { label: hit.citation.label }))}">${escapeHtml(hit.citation.label)}</button>
      <div class="text">${highlight(hit.text, terms)}</div></li>`).join("");
    let missing = "";
    if (!c.hits.length) missing = `<p class="small">${escapeHtml(t("graph.chunksNone"))}</p>${fileLinks(c.provenance.document_ids)}`;
    else if (c.missing > 0) missing = `<p class="small">${escapeHtml(t("graph.chunksMissing", { n: c.missing }))}</p>${fileLinks(c.provenance.document_ids)}`;
    box.innerHTML = `${head}
      <p class="muted small">${escapeHtml(t("graph.chunksCount", { shown: c.hits.length, total: c.provenance.total }))} ${escapeHtml(t("graph.chunksHow"))}</p>
      ${items ? `<ul class="chunk-list">${items}</ul>` : ""}${missing}`;
  }

  function applyStaticText() {
    form.elements.q.placeholder = t("graph.placeholder");
    form.elements.q.setAttribute("aria-label", t("graph.searchLabel"));
    form.querySelector("button").textContent = t("graph.search");
    resultsBox.setAttribute("aria-label", t("graph.results"));
  }

  applyStaticText();
  renderBody();

  return {
    setKb(kb) {
      s.kb = kb;
      s.results = null; s.resultsError = null; s.query = "";
      form.elements.q.value = "";
      reset();
      renderResults();
      renderBody();
    },
    openEntity(key) { reset(); expand(key); },
    shown() { redraw(); },
    render() { applyStaticText(); renderResults(); renderBody(); },
  };
}
