// The department's inbox (部门待办): its tickets still to sign or handle,
// with their deadlines (yellow within 24 hours, red when overdue), the next
// step of each (签收, then 答复), and the full detail for the rest.
// It reloads when a ticket.updated notice arrives.
import { $, h, label, when, deadlineClass, toast, errorText } from "./dom.js";
import { api, action, query } from "./api.js";
import { state, on, emit, isDepartment } from "./state.js";

const INBOX = "dispatched,in_progress";

// What the department's notices (ticket.updated) say.
const NOTICES = {
  "ticket.dispatched": "新派单", "ticket.reopened": "重办", "ticket.urged": "督办",
  "ticket.extension_approved": "延期已批准", "ticket.extension_denied": "延期被驳回",
  "ticket.contributed": "协办单位提交了意见", "ticket.rated": "市民回访结果", "ticket.closed": "已办结",
  "ticket.sign_overdue": "超时未签收", "ticket.warning": "即将到期", "ticket.overdue": "已超期",
};
let loaded = false;
let timer = null;

export function initDepartment() {
  on("view:shown", (name) => {
    if (name === "inbox") loadInbox();
  });
  on("ws:ticket.updated", (d) => {
    if (!isDepartment()) return;
    toast(`工单 ${d.number}：${NOTICES[d.event] || "有更新"}`);
    reloadSoon();
  });
  on("ticket:changed", reloadSoon);
  on("ws:session", () => loaded && reloadSoon()); // after a reconnect: catch up
  setInterval(recolour, 60 * 1000);
}

function reloadSoon() {
  if (!isDepartment()) return;
  clearTimeout(timer);
  timer = setTimeout(loadInbox, 200);
}

// loadInbox fetches every open ticket of the department (all pages).
export async function loadInbox() {
  const items = [];
  let cursor = "";
  try {
    do {
      const pg = await api("/tickets" + query({ status: INBOX, limit: 100, cursor }));
      items.push(...pg.items);
      cursor = pg.next_cursor;
    } while (cursor && items.length < 500);
  } catch (err) {
    toast("加载待办失败：" + errorText(err), "error");
    return;
  }
  loaded = true;
  // The nearest deadline first.
  items.sort((a, b) => deadlineOf(a) - deadlineOf(b));
  const rows = $("#inbox-rows");
  rows.replaceChildren(...items.map(row));
  $("#inbox-empty").hidden = items.length > 0;
  $("#inbox-title").textContent = `部门待办（${items.length}）`;
}

function deadlineOf(t) {
  const iso = t.status === "dispatched" ? t.sign_due_at || t.due_at : t.due_at;
  return iso ? Date.parse(iso) : Infinity;
}

function row(t) {
  const signWarn = t.status === "dispatched" ? deadlineClass(t.sign_due_at) : "";
  const dueWarn = deadlineClass(t.due_at);
  const worst = [signWarn, dueWarn].includes("over") ? "over" : [signWarn, dueWarn].includes("soon") ? "soon" : "";
  // Only the next step of the work: sign what was dispatched, then answer.
  // Returning and extensions are in the ticket's detail.
  const actions = h("td", { class: "row-actions" });
  const act = (name, text) => h("button", { type: "button", class: "primary", "data-action": name,
    onclick: () => emit("ticket:act", { id: t.id, action: name }) }, text);
  if (t.department !== state.me.department) actions.append(act("contribute", "协办意见"));
  else if (t.status === "dispatched") {
    actions.append(h("button", { type: "button", class: "primary", "data-action": "sign",
      onclick: (ev) => sign(t, ev.currentTarget) }, "签收"));
  } else if (t.status === "in_progress") actions.append(act("reply", "答复"));
  return h("tr", { "data-test": "inbox-row", "data-id": t.id, "data-number": t.number, "data-warn": worst || null,
    class: worst ? `row-${worst}` : null },
  h("td", {}, h("button", { type: "button", class: "link", onclick: () => emit("ticket:open", t.id) }, t.number)),
  h("td", {}, label("kind", t.kind)), h("td", {}, label("urgency", t.urgency)),
  h("td", {}, label("status", t.status) + (t.pending_extension ? "（延期审批中）" : "")),
  h("td", {}, t.title),
  h("td", { class: signWarn ? `warn-${signWarn}` : null, "data-due": t.status === "dispatched" ? t.sign_due_at : null },
    t.status === "dispatched" ? when(t.sign_due_at) : "已签收"),
  h("td", { class: dueWarn ? `warn-${dueWarn}` : null, "data-due": t.due_at }, when(t.due_at)),
  actions);
}

async function sign(t, button) {
  button.disabled = true;
  try {
    await action(t.id, "sign");
    toast(`${t.number} 已签收`);
    emit("ticket:changed", t.id);
    emit("ticket:open", t.id);
  } catch (err) {
    button.disabled = false;
    toast("签收失败：" + errorText(err), "error");
  }
}

// recolour updates the warnings as time passes, without a reload.
function recolour() {
  for (const td of document.querySelectorAll("#inbox-rows td[data-due]")) {
    const w = deadlineClass(td.dataset.due);
    td.className = w ? `warn-${w}` : "";
  }
}
