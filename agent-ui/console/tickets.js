// The ticket list (filters, cursor paging) and the ticket detail with its
// timeline and the actions the user's role allows.
import { $, h, fillSelect, labels, label, when, deadlineClass, toast, errorText } from "./dom.js";
import { api, action, query, upload } from "./api.js";
import { on, emit, departmentName, categoryName, isAgent } from "./state.js";
import { placeCall } from "./outbound.js";
import { available, formFields, body, actionLabel, callbackText, answerOf, MAX_FILES } from "./actions.js";
import { setReplyTarget } from "./knowledge.js";

const DONE = ["closed", "merged", "rejected", "replied"];
let cursor = "";
let current = null; // the ticket in the detail panel
let detailView = ""; // the view the detail was opened in; it shows only there
let viewNow = "";
let listLoaded = false;

export function initTickets() {
  fillSelect($("#filter-status"), Object.entries(labels.status), { blank: "全部状态" });
  fillSelect($("#filter-kind"), Object.entries(labels.kind), { blank: "全部类型" });
  $("#filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    loadTickets(false);
  });
  $("#more").addEventListener("click", () => loadTickets(true));
  $("#detail-close").addEventListener("click", closeDetail);
  $("#detail").addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && !$("#action-form").hidden) {
      ev.preventDefault();
      hideActionForm();
    }
  });
  on("ticket:open", (id) => showTicket(id));
  // Open a ticket with one action's form ready (the inbox's 答复).
  on("ticket:act", async ({ id, action: name }) => {
    await showTicket(id);
    const a = current && available(current).find((x) => x.name === name);
    if (a) openAction(a);
  });
  on("ticket:changed", (id) => refreshSoon(id, true));
  on("outbound:ended", watchCallback);
  on("ws:ticket.updated", (d) => refreshSoon(d.ticket_id));
  on("view:shown", (name) => {
    viewNow = name;
    $("#detail").hidden = !current || detailView !== name;
    if (name === "tickets" && (!listLoaded || listStale)) loadTickets(false);
  });
}

let detailTimer = null;
let listTimer = null;
let listStale = false;
let pages = 0; // pages of the list on screen

// refreshSoon reloads the ticket on screen when it changed, and the list
// at most every few seconds for notices (many arrive in a busy hotline),
// sooner for the user's own actions; a list paged further is left alone.
function refreshSoon(id, own = false) {
  if (current && id === current.id) {
    clearTimeout(detailTimer);
    detailTimer = setTimeout(() => {
      if (current && current.id === id && $("#action-form").hidden) showTicket(id, { keepFocus: true });
    }, 300);
  }
  if (!listLoaded) return;
  if ($("#view-tickets").hidden || pages > 1) {
    listStale = true;
    return;
  }
  if (listTimer) return;
  listTimer = setTimeout(() => {
    listTimer = null;
    loadTickets(false);
  }, own ? 300 : 5000);
}

function cell(text, cls) {
  return h("td", { class: cls || null }, text ?? "");
}

export async function loadTickets(append) {
  const f = new FormData($("#filters"));
  const params = { limit: 30, status: f.get("status"), kind: f.get("kind"), q: String(f.get("q") || "").trim() };
  if (append && cursor) params.cursor = cursor;
  let pg;
  try {
    pg = await api("/tickets" + query(params));
  } catch (err) {
    toast("加载工单失败：" + errorText(err), "error");
    return;
  }
  listLoaded = true;
  listStale = false;
  pages = append ? pages + 1 : 1;
  const rows = $("#rows");
  if (!append) rows.replaceChildren();
  for (const t of pg.items) {
    const late = !DONE.includes(t.status) ? deadlineClass(t.due_at) : "";
    rows.append(h("tr", { "data-test": "ticket-row", "data-id": t.id, "data-number": t.number },
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => showTicket(t.id) }, t.number)),
      cell(when(t.created_at)), cell(label("kind", t.kind)), cell(label("status", t.status)), cell(t.title),
      h("td", { "data-field": "citizen" }, citizenText(t)),
      cell(departmentName(t.department)), cell(when(t.due_at), late ? `warn-${late}` : "")));
  }
  $("#rows-empty").hidden = rows.children.length > 0;
  cursor = pg.next_cursor;
  $("#more").hidden = !cursor;
}

// citizenText is the citizen as the server shows them to this user (the
// phone masked for departments, no name on confidential tickets).
function citizenText(t) {
  const c = t.citizen || {};
  return [c.name || (t.confidential ? "（保密）" : ""), c.phone].filter(Boolean).join(" ");
}

function closeDetail() {
  current = null;
  $("#detail").hidden = true;
  emit("detail:closed");
}

// historyOf loads a ticket's history page by page (at most 20 pages).
async function historyOf(id) {
  const items = [];
  let cursor = "";
  for (let pages = 0; pages < 20; pages++) {
    const p = await api(`/tickets/${id}/events` + query({ limit: 500, cursor }));
    items.push(...(p.items || []));
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return { items };
}

// showTicket loads a ticket and its history into the detail panel.
export async function showTicket(id, { keepFocus = false } = {}) {
  let t, history, files;
  try {
    [t, history, files] = await Promise.all([api(`/tickets/${id}`), historyOf(id), api(`/tickets/${id}/attachments`)]);
  } catch (err) {
    toast("打开工单失败：" + errorText(err), "error");
    return;
  }
  if (!keepFocus) detailView = viewNow;
  current = t;
  const panel = $("#detail");
  panel.dataset.id = t.id;
  panel.dataset.status = t.status;
  $("#detail-title").textContent = `工单 ${t.number}`;
  renderFields(t);
  renderActions(t);
  renderAttachments(t, files?.items || []);
  renderTimeline(history.items || []);
  hideActionForm();
  $("#action-error").textContent = "";
  panel.hidden = detailView !== viewNow;
  if (!keepFocus) {
    panel.scrollIntoView({ block: "nearest" });
    $("#detail-title").setAttribute("tabindex", "-1");
    $("#detail-title").focus();
  }
}

function renderFields(t) {
  const c = t.citizen || {};
  const fields = [
    ["标题", t.title], ["状态", label("status", t.status)], ["类型", label("kind", t.kind)],
    ["紧急程度", label("urgency", t.urgency)], ["渠道", label("channel", t.channel)],
    ["分类", categoryName(t.category)], ["区域", t.region],
    ["内容", t.content],
    ["市民", [citizenText(t), c.id_number].filter(Boolean).join("　")],
    ["地址", c.address], ["保密", t.confidential ? "是" : ""],
    ["承办单位", departmentName(t.department)],
    ["协办单位", (t.co_departments || []).map(departmentName).join("、")],
    ["签收时限", when(t.sign_due_at), t.status === "dispatched" ? deadlineClass(t.sign_due_at) : ""],
    ["办结时限", when(t.due_at), ["dispatched", "in_progress"].includes(t.status) ? deadlineClass(t.due_at) : ""],
    ["延期申请", t.pending_extension ? `${t.pending_extension.days} 个工作日：${t.pending_extension.reason || ""}` : ""],
    ["答复", t.reply], ["办事指南", t.guide_code],
    ["回访结果", t.satisfaction ? `${answerOf(t.satisfaction)}（${t.satisfaction} 分）` : ""],
    ["关联通话", t.call_id], ["关联会话", t.chat_id],
    ["派单次数", t.dispatch_count ? String(t.dispatch_count) : ""],
    ["受理时间", when(t.created_at)],
  ];
  const dl = $("#detail-fields");
  dl.replaceChildren();
  for (const [k, v, warn] of fields) {
    if (!v) continue;
    dl.append(h("dt", {}, k), h("dd", { class: warn ? `warn-${warn}` : null, "data-field": k }, v));
  }
}

function renderActions(t) {
  const box = $("#detail-actions");
  box.replaceChildren();
  // A replied ticket waits for its callback: an agent may call the
  // citizen (电话回访); the citizen's key after the call records the
  // result, else the agent records it with 回访 as before.
  if (isAgent() && t.status === "replied" && !t.callback_at && t.citizen?.phone) {
    box.append(h("button", { type: "button", class: "primary", "data-action": "call-back", "data-test": "ticket-call",
      onclick: (ev) => callCitizen(t, ev.currentTarget) }, "电话回访"));
  }
  for (const a of available(t)) {
    box.append(h("button", { type: "button", class: a.primary ? "primary" : null, "data-action": a.name,
      onclick: () => openAction(a) }, actionLabel(a.name)));
  }
}

// callCitizen places the 回访 call; refusals show on the action's line.
// The desk then shows the call, and the ticket beside it, so that the
// agent can record the result by hand (回访) if the citizen keys none.
async function callCitizen(t, button) {
  if (!(await placeCall({ ticket_id: t.id }, button, $("#action-error")))) return;
  calling = t.id;
  emit("ticket:open", t.id);
}

// calling is the ticket of the agent's 回访 call in progress. The
// citizen keys a rating after the agent hangs up, and the server records
// it as the ticket's callback some seconds later; no notice says so to
// agents, so the ticket on screen is looked at again for a minute.
let calling = 0;
let watchTimer = null;

function watchCallback() {
  const id = calling;
  calling = 0;
  clearInterval(watchTimer);
  if (!id) return;
  let left = 20;
  watchTimer = setInterval(() => {
    const here = current && current.id === id;
    if (!here || current.callback_at || --left < 0) {
      clearInterval(watchTimer);
      return;
    }
    if ($("#action-form").hidden) showTicket(id, { keepFocus: true });
  }, 3000);
}

function openAction(a) {
  const t = current;
  if (!a.fields.length) return run(a, {}); // sign, approve_extension
  const form = $("#action-form");
  form.replaceChildren(h("h4", {}, actionLabel(a.name)), ...formFields(a, t),
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "primary", "data-submit": a.name }, `确认${actionLabel(a.name)}`),
      h("button", { type: "button", onclick: hideActionForm }, "取消")));
  form.dataset.action = a.name;
  form.uploaded = new Map(); // files of this form already attached
  form.onsubmit = (ev) => {
    ev.preventDefault();
    run(a, body(a, form));
  };
  form.hidden = false;
  const reply = form.querySelector("textarea.reply-box");
  if (reply) setReplyTarget(reply);
  form.querySelector("input:not([type=hidden]),select,textarea")?.focus();
}

function hideActionForm() {
  const form = $("#action-form");
  form.hidden = true;
  form.replaceChildren();
  delete form.dataset.action;
}

// renderAttachments lists the ticket's files, each a download link.
function renderAttachments(t, items) {
  const box = $("#detail-files");
  box.hidden = items.length === 0;
  $("#detail-files-list").replaceChildren(...items.map((f) => h("li", { "data-test": "attachment" },
    h("a", { href: `/api/v1/tickets/${t.id}/attachments/${f.id}`, download: f.name }, f.name),
    h("span", { class: "muted" }, ` ${Math.max(1, Math.round(f.size / 1024))} KB · ${actorName(f.uploaded_by)} · ${when(f.created_at)}`))));
}

// uploadFiles attaches the files chosen in the form and returns their IDs.
// Files already uploaded by an earlier try of the same form are not sent
// again.
async function uploadFiles(form, ticketID) {
  const input = form.querySelector("input[type=file]");
  const chosen = [...(input?.files || [])];
  if (chosen.length > MAX_FILES) throw new Error(`最多附加 ${MAX_FILES} 个文件`);
  form.uploaded ??= new Map();
  const ids = [];
  for (const f of chosen) {
    const key = `${f.name}|${f.size}|${f.lastModified}`;
    if (!form.uploaded.has(key)) {
      try {
        form.uploaded.set(key, (await upload(ticketID, f)).id);
      } catch (err) {
        throw new Error(`附件 ${f.name} 上传失败：${errorText(err)}`);
      }
    }
    ids.push(form.uploaded.get(key));
  }
  return ids;
}

async function run(a, data) {
  $("#action-error").textContent = "";
  const buttons = [...$("#detail").querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    const form = $("#action-form");
    if (a.fields.some(([, , kind]) => kind === "files")) {
      const ids = await uploadFiles(form, current.id);
      if (ids.length) data.attachments = ids;
    }
    const t = await action(current.id, a.name, data);
    toast(`${t.number} ${actionLabel(a.name)}成功`);
    hideActionForm();
    emit("ticket:changed", t.id);
    await showTicket(t.id, { keepFocus: true });
    $("#detail-actions button")?.focus();
  } catch (err) {
    $("#action-error").textContent = `${actionLabel(a.name)}失败：${errorText(err)}`;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

function renderTimeline(events) {
  const ol = $("#timeline");
  ol.replaceChildren();
  for (const e of events) {
    const who = actorName(e.actor);
    const change = e.to && e.from !== e.to ? ` → ${label("status", e.to)}` : "";
    const li = h("li", { "data-action": e.action },
      h("time", { datetime: e.at }, when(e.at)), " ",
      h("strong", {}, actionLabel(e.action)), ` ${who}${change}`);
    const detail = eventDetail(e);
    if (detail) li.append(h("p", { class: "event-detail" }, detail));
    ol.append(li);
  }
}

// actorName is who took a step, as people know them: the display name,
// the department of department staff, "系统" for the hotline itself and
// "市民" for the citizen's own steps.
function actorName(a = {}) {
  if (a.username === "system") return "系统";
  if (a.username === "citizen") return "市民"; // reserved names: no account is called so
  const name = a.display_name || a.username || "";
  const dept = departmentName(a.department);
  return dept && dept !== name ? `${name}（${dept}）` : name;
}

const filesNote = (p) => (p.attachments?.length ? `\n（附件 ${p.attachments.length} 个）` : "");

// eventDetail is the human part of an event's payload.
function eventDetail(e) {
  const p = e.payload || {};
  switch (e.action) {
    case "dispatch": return `承办：${departmentName(p.department)}${p.due_at ? `，办结时限 ${when(p.due_at)}` : ""}`;
    case "return": case "reject": case "reopen": case "deny_extension": return p.reason || "";
    case "request_extension": return `${p.days} 个工作日：${p.reason || ""}`;
    case "reply": case "close_directly": return (p.reply || "") + filesNote(p);
    case "note": case "contribute": return (p.text || "") + filesNote(p);
    case "urge": return p.auto ? (p.reason === "sign_overdue" ? "超时未签收，自动督办" : "超期未办结，自动督办") : p.note || "";
    case "callback": return callbackText(p);
    case "sign": return p.late ? "超时签收" : "";
    case "call_rated": return `${p.score} 分（满分 5 分）`;
    case "notify": return `短信 ${p.to || ""} ${p.state === "sent" ? "已发送" : p.state === "not_sent" ? `未发送：${p.reason || "原因不明"}` : "发送失败"}`;
    default: return "";
  }
}
