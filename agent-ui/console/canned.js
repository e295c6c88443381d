// Canned replies (常用语) in the chat card, and the chat transfer control.
// The picker: the 常用语 button, or "/" at the start of the reply box
// followed by part of a title or shortcut, lists the active replies;
// arrow keys choose, Enter or a click inserts the text into the reply box
// for editing (nothing is sent), Esc closes. The admins' view lists,
// adds, edits, deactivates and deletes replies.
import { $, h, option, toast, errorText } from "./dom.js";
import { api } from "./api.js";
import { state, on } from "./state.js";
import { request } from "./ws.js";
import { currentChat } from "./chats.js";

const FRESH_MS = 60_000; // replies are loaded again after this long
let replies = null;
let loadedAt = 0;
let shown = []; // the replies the open list shows
let active = -1; // the highlighted one
let slash = false; // opened by "/": insertion replaces the "/…" typed

export function initCanned() {
  const box = $("#chat-text");
  box.addEventListener("input", () => {
    const m = /^\/(\S*)$/.exec(box.value);
    if (m) openList(m[1], true);
    else if (slash) closeList();
  });
  // Capture on the form: these keys belong to the open list before the
  // reply box's own Enter-to-send.
  $("#chat-form").addEventListener("keydown", listKeys, true);
  box.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== box) closeList();
  }, 150));
  $("#canned-open").addEventListener("click", () => {
    if (!$("#canned-list").hidden) return closeList();
    openList("", false);
    box.focus();
  });
  $("#chat-transfer-to").addEventListener("focus", loadTargets);
  $("#chat-transfer-to").addEventListener("pointerdown", loadTargets);
  $("#chat-transfer").addEventListener("click", transfer);
  initAdmin();
}

async function load(force = false) {
  if (!force && replies && Date.now() - loadedAt < FRESH_MS) return replies;
  const res = await api("/canned-replies");
  replies = res.items || [];
  loadedAt = Date.now();
  return replies;
}

function matches(r, q) {
  if (!q) return true;
  q = q.toLowerCase();
  return [r.title, r.shortcut, r.category].some((s) => (s || "").toLowerCase().includes(q));
}

async function openList(q, bySlash) {
  slash = bySlash;
  let all;
  try {
    all = await load();
  } catch (err) {
    toast("常用语加载失败：" + errorText(err), "error");
    return;
  }
  shown = all.filter((r) => matches(r, q));
  const exact = shown.findIndex((r) => r.shortcut && r.shortcut.toLowerCase() === q.toLowerCase());
  if (exact > 0) shown.unshift(...shown.splice(exact, 1));
  active = shown.length ? 0 : -1;
  renderList();
}

function renderList() {
  const list = $("#canned-list");
  const box = $("#chat-text");
  list.replaceChildren(...(shown.length ? shown.map((r, i) => h("li", {
    id: `canned-${r.id}`, role: "option", "aria-selected": String(i === active), "data-canned": r.id,
    onmousedown: (ev) => ev.preventDefault(), // keep the reply box's focus and caret
    onclick: () => insert(r),
  }, h("strong", {}, r.title), r.shortcut ? h("kbd", {}, `/${r.shortcut}`) : null,
  r.category ? h("span", { class: "muted" }, ` ${r.category}`) : null,
  h("span", { class: "canned-text" }, r.text))) : [h("li", { class: "muted", role: "option", "aria-disabled": "true" }, "没有匹配的常用语")]));
  list.hidden = false;
  box.setAttribute("aria-expanded", "true");
  $("#canned-open").setAttribute("aria-expanded", "true");
  if (active >= 0) {
    box.setAttribute("aria-activedescendant", `canned-${shown[active].id}`);
    list.children[active].scrollIntoView({ block: "nearest" });
  } else box.removeAttribute("aria-activedescendant");
}

function closeList() {
  $("#canned-list").hidden = true;
  const box = $("#chat-text");
  box.setAttribute("aria-expanded", "false");
  box.removeAttribute("aria-activedescendant");
  $("#canned-open").setAttribute("aria-expanded", "false");
  shown = [];
  active = -1;
  slash = false;
}

function listKeys(ev) {
  if ($("#canned-list").hidden || ev.target !== $("#chat-text") || ev.isComposing) return;
  const move = { ArrowDown: 1, ArrowUp: -1 }[ev.key];
  if (move && shown.length) {
    active = (active + move + shown.length) % shown.length;
    renderList();
  } else if (ev.key === "Enter" && !ev.shiftKey) {
    if (active >= 0) insert(shown[active]);
    else closeList(); // nothing chosen: a second Enter sends what was typed
  } else if (ev.key === "Escape") {
    closeList();
  } else return;
  ev.preventDefault();
  ev.stopPropagation();
}

// insert puts the reply's text into the reply box: in place of the "/…"
// typed, else at the caret.
function insert(r) {
  const box = $("#chat-text");
  if (box.disabled) return closeList();
  if (slash) {
    box.value = r.text;
    box.setSelectionRange(r.text.length, r.text.length);
  } else {
    const at = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? at;
    box.setRangeText(r.text, at, end, "end");
  }
  closeList();
  box.focus();
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

// ---------------------------------------------------------------- transfer

async function loadTargets() {
  const select = $("#chat-transfer-to");
  if (Date.now() - (select.loadedAt || 0) < 3000) return;
  select.loadedAt = Date.now();
  let t;
  try {
    t = await api("/routing/chat-targets");
  } catch (err) {
    toast("转接目标加载失败：" + errorText(err), "error");
    return;
  }
  const keep = select.value;
  const me = state.me?.username;
  const queues = h("optgroup", { label: "队列" }, t.queues.map((q) =>
    option(`queue:${q.name}`, `${q.title || q.name}（排队 ${q.waiting}）`, keep === `queue:${q.name}`)));
  const agents = h("optgroup", { label: "坐席" }, t.agents.filter((a) => a.id !== me).map((a) => {
    const o = option(`agent:${a.id}`, `${a.name || a.id}（${a.id}，会话 ${a.chats}/${a.chat_capacity}${a.free ? "" : "，暂不可接"}）`, keep === `agent:${a.id}`);
    o.disabled = !a.free;
    if (a.why) o.title = a.why;
    return o;
  }));
  select.replaceChildren(option("", "（选择队列或坐席）"), queues, agents);
}

async function transfer() {
  const chat = currentChat();
  const to = $("#chat-transfer-to").value;
  if (!chat || !chat.open) return toast("没有进行中的会话可转接", "error");
  if (!to) return toast("请先选择转接的队列或坐席", "error");
  const [kind, name] = [to.slice(0, to.indexOf(":")), to.slice(to.indexOf(":") + 1)];
  try {
    await request("chat.transfer", { chat_id: chat.id, [kind]: name });
    toast(`会话 ${chat.id} 已转接`);
    $("#chat-transfer-to").value = "";
  } catch (err) {
    toast("转接失败：" + errorText(err), "error");
  }
}

// ---------------------------------------------------------------- admin view

function initAdmin() {
  on("view:shown", (name) => name === "canned" && loadAdmin());
  $("#canned-form").addEventListener("submit", save);
  $("#cf-cancel").addEventListener("click", () => edit(null));
}

async function loadAdmin() {
  let res;
  try {
    res = await api("/canned-replies?include_inactive=true");
  } catch (err) {
    toast("常用语加载失败：" + errorText(err), "error");
    return;
  }
  const items = res.items || [];
  $("#canned-empty").hidden = items.length > 0;
  $("#canned-rows").replaceChildren(...items.map((r) => h("tr", { dataset: { canned: r.id, active: String(r.active) } },
    h("td", {}, String(r.sort_order)), h("td", {}, r.title), h("td", {}, r.category), h("td", {}, r.shortcut),
    h("td", { class: "canned-text" }, r.text), h("td", {}, r.active ? "启用" : "已停用"),
    h("td", {},
      h("button", { type: "button", onclick: () => edit(r), "aria-label": `编辑 ${r.title}` }, "编辑"), " ",
      h("button", { type: "button", onclick: () => setActive(r, !r.active), "aria-label": `${r.active ? "停用" : "启用"} ${r.title}` }, r.active ? "停用" : "启用"), " ",
      h("button", { type: "button", onclick: () => remove(r), "aria-label": `删除 ${r.title}` }, "删除")))));
}

function edit(r) {
  $("#canned-form-title").textContent = r ? `编辑常用语：${r.title}` : "新增常用语";
  $("#cf-id").value = r ? r.id : "";
  $("#cf-title").value = r?.title || "";
  $("#cf-category").value = r?.category || "";
  $("#cf-shortcut").value = r?.shortcut || "";
  $("#cf-sort").value = r?.sort_order ?? 0;
  $("#cf-text").value = r?.text || "";
  $("#cf-active").checked = r ? r.active : true;
  $("#cf-error").textContent = "";
  if (r) $("#cf-title").focus();
}

async function save(ev) {
  ev.preventDefault();
  const id = $("#cf-id").value;
  const body = {
    title: $("#cf-title").value.trim(), category: $("#cf-category").value.trim(), shortcut: $("#cf-shortcut").value.trim(),
    sort_order: Number($("#cf-sort").value || 0), text: $("#cf-text").value, active: $("#cf-active").checked,
  };
  try {
    await api(id ? `/canned-replies/${id}` : "/canned-replies", { method: id ? "PUT" : "POST", body });
    toast(id ? "常用语已保存" : "常用语已添加");
    edit(null);
    changed();
  } catch (err) {
    $("#cf-error").textContent = errorText(err);
  }
}

async function setActive(r, on) {
  try {
    await api(`/canned-replies/${r.id}`, { method: "PUT", body: { active: on } });
    toast(on ? `已启用“${r.title}”` : `已停用“${r.title}”`);
  } catch (err) {
    toast("操作失败：" + errorText(err), "error");
  }
  changed();
}

async function remove(r) {
  if (!confirm(`删除常用语“${r.title}”？停用可保留记录。`)) return;
  try {
    await api(`/canned-replies/${r.id}`, { method: "DELETE", body: {} }); // JSON: the cookie's CSRF rule
    toast(`已删除“${r.title}”`);
  } catch (err) {
    toast("删除失败：" + errorText(err), "error");
  }
  changed();
}

function changed() {
  replies = null; // the picker loads them again
  loadAdmin();
}
