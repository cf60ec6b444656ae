// Users & access (system administrators): users and their groups, groups, API keys (shown once) and the audit trail.
import { api } from "./api.js";
import { registerStrings, t } from "./i18n.js";
import { escapeHtml, mountShell, showState, toast } from "./shell.js";

registerStrings({
  zh: {
    "id.title": "用户与权限", "id.users": "用户", "id.groups": "用户组", "id.keys": "API 密钥", "id.audit": "审计日志",
    "id.username": "用户名", "id.displayName": "显示名", "id.password": "初始密码", "id.groupsField": "用户组",
    "id.groupsHint": "多个用逗号分隔", "id.admin": "系统管理员", "id.addUser": "添加用户", "id.role": "角色",
    "id.lastLogin": "上次登录", "id.actions": "操作", "id.disable": "停用", "id.enable": "启用", "id.disabled": "已停用",
    "id.employee": "员工", "id.setGroups": "设置用户组", "id.setPassword": "重设密码", "id.askGroups": "用户组（逗号分隔）：",
    "id.askPassword": "新密码：", "id.groupName": "组名", "id.description": "说明", "id.members": "成员",
    "id.addGroup": "添加用户组", "id.delete": "删除", "id.confirmDelete": "删除用户组“{name}”？",
    "id.keyName": "名称", "id.scopes": "范围", "id.expiresDays": "有效天数（0 为永久）", "id.addKey": "创建密钥",
    "id.scopesHint": "范围写作 知识库ID:操作，以逗号分隔；* 表示全部知识库；操作为 search、ask、upload、admin。",
    "id.keyOnce": "新密钥只显示这一次，请立即复制保存：", "id.state": "状态", "id.expires": "到期", "id.lastUsed": "上次使用",
    "id.revoke": "吊销", "id.confirmRevoke": "吊销密钥“{name}”？使用它的系统将立即失去访问。", "id.never": "—",
    "id.actor": "用户", "id.action": "动作", "id.actionHint": "如 auth. 或 access.denied", "id.kb": "知识库",
    "id.since": "从", "id.until": "到", "id.filter": "筛选", "id.exportJsonl": "导出 JSONL", "id.exportCsv": "导出 CSV",
    "id.verify": "校验完整性", "id.time": "时间", "id.outcome": "结果", "id.target": "对象", "id.details": "详情",
    "id.verifyOk": "校验通过：{n} 条记录，链尾哈希 {hash}", "id.verifyBad": "发现篡改：{problems}", "id.saved": "已保存",
    "id.count": "{n} 条记录", "id.state.active": "有效", "id.state.revoked": "已吊销", "id.state.expired": "已过期",
    "id.adminsOnly": "只有系统管理员可以管理用户、用户组、API 密钥和查看审计日志。",
  },
  en: {
    "id.title": "Users & access", "id.users": "Users", "id.groups": "Groups", "id.keys": "API keys", "id.audit": "Audit trail",
    "id.username": "User name", "id.displayName": "Display name", "id.password": "Initial password", "id.groupsField": "Groups",
    "id.groupsHint": "comma-separated", "id.admin": "System admin", "id.addUser": "Add user", "id.role": "Role",
    "id.lastLogin": "Last sign-in", "id.actions": "Actions", "id.disable": "Disable", "id.enable": "Enable", "id.disabled": "disabled",
    "id.employee": "Employee", "id.setGroups": "Set groups", "id.setPassword": "Reset password", "id.askGroups": "Groups (comma-separated):",
    "id.askPassword": "New password:", "id.groupName": "Group", "id.description": "Description", "id.members": "Members",
    "id.addGroup": "Add group", "id.delete": "Delete", "id.confirmDelete": "Delete the group “{name}”?",
    "id.keyName": "Name", "id.scopes": "Scopes", "id.expiresDays": "Valid for days (0: never expires)", "id.addKey": "Create key",
    "id.scopesHint": "Scopes are knowledge-base-id:operation, comma-separated; * means every knowledge base; operations are search, ask, upload, admin.",
    "id.keyOnce": "The new key is shown only this once; copy it now:", "id.state": "State", "id.expires": "Expires", "id.lastUsed": "Last used",
    "id.revoke": "Revoke", "id.confirmRevoke": "Revoke the key “{name}”? Systems using it lose access at once.", "id.never": "—",
    "id.actor": "User", "id.action": "Action", "id.actionHint": "e.g. auth. or access.denied", "id.kb": "Knowledge base",
    "id.since": "From", "id.until": "Until", "id.filter": "Filter", "id.exportJsonl": "Export JSONL", "id.exportCsv": "Export CSV",
    "id.verify": "Verify integrity", "id.time": "Time", "id.outcome": "Outcome", "id.target": "Target", "id.details": "Details",
    "id.verifyOk": "Intact: {n} records, head hash {hash}", "id.verifyBad": "Tampering found: {problems}", "id.saved": "Saved",
    "id.count": "{n} records", "id.state.active": "active", "id.state.revoked": "revoked", "id.state.expired": "expired",
    "id.adminsOnly": "Only system administrators manage users, groups and API keys and read the audit trail.",
  },
});

// Everyone else is refused by every route this page calls: they get one sentence saying so, not a page of errors.
window.addEventListener("zhiku:caller", (event) => {
  if (event.detail.system_admin) return;
  const main = document.getElementById("main");
  for (const el of main.querySelectorAll(".tabs, [role=tabpanel]")) el.remove();
  showState(main.appendChild(document.createElement("div")), "empty", t("id.adminsOnly"));
});
mountShell("identity");
const reportFailure = (err) => toast(err.message, "error");

const when = (value) => (value ? new Date(value).toLocaleString() : t("id.never"));
const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

function button(label, onClick, kind = "") {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = label;
  if (kind) el.className = kind;
  el.addEventListener("click", onClick);
  return el;
}

function showError(id, err) { document.getElementById(id).textContent = err ? err.message : ""; }

// -- tabs ----------------------------------------------------------------------------------------
const tabs = [...document.querySelectorAll('[role="tab"]')];
const loaders = { "tab-users": loadUsers, "tab-groups": loadGroups, "tab-keys": loadKeys, "tab-audit": loadAudit };
for (const tab of tabs) {
  tab.addEventListener("click", () => {
    for (const other of tabs) {
      other.setAttribute("aria-selected", String(other === tab));
      document.getElementById(other.getAttribute("aria-controls")).hidden = other !== tab;
    }
    loaders[tab.id]().catch(reportFailure);
  });
}

// -- users ---------------------------------------------------------------------------------------
async function loadUsers() {
  const rows = document.getElementById("user-rows");
  const users = await api("/users");
  rows.innerHTML = "";
  for (const user of users) {
    const tr = document.createElement("tr");
    tr.dataset.username = user.username;
    tr.innerHTML = `<td>${escapeHtml(user.username)}</td><td>${escapeHtml(user.display_name)}</td>
      <td>${escapeHtml(user.groups.join(", "))}</td>
      <td>${escapeHtml(user.system_admin ? t("id.admin") : t("id.employee"))}${user.disabled ? " · " + escapeHtml(t("id.disabled")) : ""}</td>
      <td>${escapeHtml(when(user.last_login_at))}</td><td class="row-actions"></td>`;
    const actions = tr.querySelector(".row-actions");
    actions.append(
      button(user.disabled ? t("id.enable") : t("id.disable"), () => change(`/users/${user.id}`, "PATCH", { disabled: !user.disabled })),
      button(t("id.setGroups"), () => {
        const answer = prompt(t("id.askGroups"), user.groups.join(", "));
        if (answer !== null) change(`/users/${user.id}/groups`, "PUT", { groups: list(answer) });
      }));
    if (user.source === "local") {
      actions.append(button(t("id.setPassword"), () => {
        const answer = prompt(t("id.askPassword"));
        if (answer) change(`/users/${user.id}/password`, "POST", { password: answer });
      }));
    }
    rows.append(tr);
  }
}

async function change(path, method, json) {
  try {
    await api(path, { method, json });
    toast(t("id.saved"));
  } catch (err) {
    toast(err.message, "error");
  }
  await loadUsers();
}

document.getElementById("user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await api("/users", { method: "POST", json: {
      username: form.username.value.trim(), display_name: form.display_name.value.trim(), password: form.password.value,
      groups: list(form.groups.value), system_admin: form.system_admin.checked } });
    form.reset();
    showError("user-error", null);
    await loadUsers();
  } catch (err) { showError("user-error", err); }
});

// -- groups --------------------------------------------------------------------------------------
async function loadGroups() {
  const rows = document.getElementById("group-rows");
  const groups = await api("/groups");
  rows.innerHTML = "";
  for (const group of groups) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${escapeHtml(group.name)}</td><td>${escapeHtml(group.description)}</td>
      <td>${escapeHtml(group.members.join(", "))}</td><td class="row-actions"></td>`;
    tr.querySelector(".row-actions").append(button(t("id.delete"), async () => {
      if (!confirm(t("id.confirmDelete", { name: group.name }))) return;
      try { await api(`/groups/${group.id}`, { method: "DELETE" }); } catch (err) { toast(err.message, "error"); }
      await loadGroups();
    }, "danger"));
    rows.append(tr);
  }
}

document.getElementById("group-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await api("/groups", { method: "POST", json: { name: form.name.value.trim(), description: form.description.value.trim() } });
    form.reset();
    showError("group-error", null);
    await loadGroups();
  } catch (err) { showError("group-error", err); }
});

// -- API keys ------------------------------------------------------------------------------------
function parseScopes(text) {
  const scopes = {};
  for (const item of list(text)) {
    const cut = item.lastIndexOf(":");
    const kb = cut > 0 ? item.slice(0, cut).trim() : "*";
    (scopes[kb] = scopes[kb] || []).push(item.slice(cut + 1).trim());
  }
  return scopes;
}

const scopesText = (scopes) => Object.entries(scopes).map(([kb, ops]) => `${kb}: ${ops.join("/")}`).join("; ");

async function loadKeys() {
  const rows = document.getElementById("key-rows");
  const keys = await api("/api-keys");
  rows.innerHTML = "";
  for (const key of keys) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${escapeHtml(key.name)}</td><td>${escapeHtml(key.system_admin ? t("id.admin") : scopesText(key.scopes))}</td>
      <td>${escapeHtml(t("id.state." + key.state))}</td><td>${escapeHtml(when(key.expires_at))}</td><td>${escapeHtml(when(key.last_used_at))}</td>
      <td class="row-actions"></td>`;
    if (key.state === "active") {
      tr.querySelector(".row-actions").append(button(t("id.revoke"), async () => {
        if (!confirm(t("id.confirmRevoke", { name: key.name }))) return;
        try { await api(`/api-keys/${key.id}`, { method: "DELETE" }); } catch (err) { toast(err.message, "error"); }
        await loadKeys();
      }, "danger"));
    }
    rows.append(tr);
  }
}

document.getElementById("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const created = await api("/api-keys", { method: "POST", json: {
      name: form.name.value.trim(), scopes: parseScopes(form.scopes.value), expires_in_days: Number(form.expires_in_days.value) } });
    document.getElementById("new-key-value").textContent = created.key;
    document.getElementById("new-key").hidden = false;
    showError("key-error", null);
    form.name.value = "";
    await loadKeys();
  } catch (err) { showError("key-error", err); }
});

// -- audit ---------------------------------------------------------------------------------------
function auditParams() {
  const form = document.getElementById("audit-form");
  const params = new URLSearchParams();
  for (const name of ["actor", "action", "kb_id"]) if (form[name].value.trim()) params.set(name, form[name].value.trim());
  for (const name of ["since", "until"]) if (form[name].value) params.set(name, new Date(form[name].value).toISOString());
  return params;
}

async function loadAudit() {
  const params = auditParams();
  document.getElementById("export-jsonl").href = `/audit/export?format=jsonl&${params}`;
  document.getElementById("export-csv").href = `/audit/export?format=csv&${params}`;
  params.set("limit", "200");
  const records = await api(`/audit?${params}`);
  const rows = document.getElementById("audit-rows");
  rows.innerHTML = "";
  for (const r of records) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${r.seq}</td><td>${escapeHtml(when(r.at))}</td><td>${escapeHtml(r.actor_name || r.actor)}</td>
      <td>${escapeHtml(r.action)}</td><td class="outcome-${escapeHtml(r.outcome)}">${escapeHtml(r.outcome)}</td>
      <td>${escapeHtml(r.kb_id || "")}</td><td>${escapeHtml(r.target || "")}</td>
      <td class="details">${escapeHtml(JSON.stringify(r.details))}</td>`;
    rows.append(tr);
  }
  document.getElementById("audit-status").textContent = t("id.count", { n: records.length });
}

document.getElementById("audit-form").addEventListener("submit", (event) => { event.preventDefault(); loadAudit().catch(reportFailure); });
document.getElementById("audit-verify").addEventListener("click", async () => {
  let verdict;
  try { verdict = await api("/audit/verify"); } catch (err) { reportFailure(err); return; }
  document.getElementById("audit-status").textContent = verdict.ok
    ? t("id.verifyOk", { n: verdict.records, hash: verdict.head_hash.slice(0, 16) + "…" })
    : t("id.verifyBad", { problems: verdict.problems.join("; ") });
});

loadUsers().catch(reportFailure);
