// The agent's side of routing: the presence bar, the ringing offer with its
// screen pop, and the connected contacts. Everything goes over the
// websocket; the server's presence message is the truth we show.
import { $, h, label, when, day, duration, toast, errorText } from "./dom.js";
import { state, on, emit, now } from "./state.js";
import { request } from "./ws.js";
import { api, query } from "./api.js";

let presence = null; // the last presence message
let offer = null; // the ringing offer
let ringTimer = null;
const pops = new Map(); // contact id -> the offer that brought it (screen pop)
const TITLE = document.title;

export function initAgent() {
  $("#btn-ready").addEventListener("click", () => setPresence("ready"));
  $("#btn-wrap-up").addEventListener("click", () => setPresence("wrap_up"));
  $("#btn-not-ready").addEventListener("click", () => toggleMenu());
  $("#offer-accept").addEventListener("click", accept);
  $("#offer-decline").addEventListener("click", decline);
  $("#not-ready-menu").addEventListener("keydown", menuKeys);
  $("#not-ready-menu").addEventListener("focusout", (ev) => {
    if (!ev.relatedTarget || !ev.relatedTarget.closest(".menu-wrap")) closeMenu(false);
  });
  document.addEventListener("click", (ev) => {
    if (!ev.target.closest(".menu-wrap")) closeMenu(false);
  });

  on("ws:session", () => buildMenu());
  on("ws:presence", showPresence);
  on("ws:offer", showOffer);
  on("ws:offer.withdrawn", withdrawn);
  on("ws:closed", () => setButtonsEnabled(false));
  on("ws:state", (s) => setButtonsEnabled(s === "open"));
  setInterval(tick, 1000);
}

// Keyboard shortcuts handled here; app.js routes Alt+key to these.
export const shortcuts = {
  KeyA: () => offer && accept(),
  KeyD: () => offer && decline(),
  KeyR: () => setPresence("ready"),
  KeyN: () => toggleMenu(true),
  KeyW: () => setPresence("wrap_up"),
};

function setButtonsEnabled(enabled) {
  for (const id of ["#btn-ready", "#btn-not-ready", "#btn-wrap-up"]) $(id).disabled = !enabled;
}

async function setPresence(stateName, reason = "") {
  closeMenu(false);
  try {
    const view = await request("presence.set", { state: stateName, reason });
    showPresence(view);
  } catch (err) {
    toast("切换状态失败：" + errorText(err), "error");
  }
}

// ---------------------------------------------------------------- presence

function showPresence(view) {
  presence = view;
  $("#presence").hidden = false;
  const st = $("#presence-state");
  st.textContent = label("state", view.state) || view.state;
  st.dataset.state = view.state;
  $("#presence-reason").textContent = view.reason ? `（${label("reason", view.reason)}）` : "";
  // Calls are offered only while a phone can ring; chats do not need one.
  $("#presence-phone").hidden = view.voice_reachable !== false;
  $("#presence-answered").textContent = `今日接听 ${view.answered ?? 0}`;
  $("#btn-ready").setAttribute("aria-pressed", String(view.state === "ready"));
  $("#btn-wrap-up").setAttribute("aria-pressed", String(view.state === "wrap_up"));
  $("#btn-not-ready").setAttribute("aria-pressed", String(view.state === "not_ready"));
  showContacts(view.contacts || []);
  if (!view.offer && offer) hideOffer();
  tick();
}

function tick() {
  if (presence?.since) {
    let text = duration((now() - Date.parse(presence.since)) / 1000);
    if (presence.state === "wrap_up" && presence.wrap_up_until) {
      text += `（剩余 ${duration((Date.parse(presence.wrap_up_until) - now()) / 1000)}）`;
    }
    $("#presence-timer").textContent = text;
  }
  for (const li of document.querySelectorAll("#contacts li[data-answered]")) {
    const t = li.querySelector(".timer");
    if (t) t.textContent = duration((now() - Date.parse(li.dataset.answered)) / 1000);
  }
}

// ---------------------------------------------------------------- not-ready menu

function buildMenu() {
  const menu = $("#not-ready-menu");
  menu.replaceChildren();
  state.reasons.forEach((r, i) => {
    menu.append(h("button", { type: "button", role: "menuitem", id: `reason-${r}`, "data-reason": r,
      onclick: () => setPresence("not_ready", r) }, `${label("reason", r)}`, h("kbd", {}, String(i + 1))));
  });
}

function toggleMenu(open) {
  const menu = $("#not-ready-menu");
  const show = open ?? menu.hidden;
  if (!show) return closeMenu(true);
  if (!menu.children.length) buildMenu();
  menu.hidden = false;
  $("#btn-not-ready").setAttribute("aria-expanded", "true");
  menu.querySelector("button")?.focus();
}

function closeMenu(refocus) {
  const menu = $("#not-ready-menu");
  if (menu.hidden) return;
  menu.hidden = true;
  $("#btn-not-ready").setAttribute("aria-expanded", "false");
  if (refocus) $("#btn-not-ready").focus();
}

function menuKeys(ev) {
  const items = [...$("#not-ready-menu").querySelectorAll("button")];
  const i = items.indexOf(document.activeElement);
  if (ev.key === "Escape") {
    ev.preventDefault();
    closeMenu(true);
  } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    const next = (i + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items[next].focus();
  } else if (/^[1-9]$/.test(ev.key) && items[Number(ev.key) - 1]) {
    ev.preventDefault();
    items[Number(ev.key) - 1].click();
  }
}

// ---------------------------------------------------------------- offers

function showOffer(o) {
  // The same offer may come twice (a tab connecting as it starts to ring).
  const again = offer && offer.offer_id === o.offer_id;
  offer = o;
  $("#offer-notice").hidden = true;
  $("#offer-channel").textContent = label("contactChannel", o.channel) || o.channel;
  $("#offer-caller").textContent = o.caller || "未知号码";
  $("#offer-queue").textContent = o.queue_title || o.queue || "";
  $("#offer-accept").disabled = false;
  $("#offer-accept").hidden = !!o.answer_on_phone;
  $("#offer-phone").hidden = !o.answer_on_phone;
  $("#offer-decline").disabled = false;
  const pop = $("#screen-pop");
  pop.replaceChildren(screenPop(o.citizen_history));
  $("#offer").hidden = false;
  clearInterval(ringTimer);
  ringTimer = setInterval(ring, 250);
  ring();
  // Take the focus only from nothing in particular: a space typed into the
  // ticket form must not answer the call. Alt+A answers from anywhere.
  const active = document.activeElement;
  if (!active || active === document.body) $("#offer-accept").focus();
  document.title = `【来电】${o.caller || ""} - ${TITLE}`;
  if (again) return;
  toast(`来电振铃：${o.caller || "未知号码"}（${o.queue_title || o.queue || ""}）`);
  emit("offer:ringing", o);
}

function ring() {
  if (!offer) return;
  const total = (offer.ring_seconds || 15) * 1000;
  const left = Math.max(0, Date.parse(offer.expires_at) - now());
  $("#offer-countdown").textContent = String(Math.ceil(left / 1000));
  $("#offer-progress").value = Math.round((left / total) * 100);
}

function hideOffer() {
  offer = null;
  document.title = TITLE;
  clearInterval(ringTimer);
  $("#offer").hidden = true;
}

function withdrawn(d) {
  if (!offer || d.offer_id !== offer.offer_id) return;
  const o = offer;
  hideOffer();
  if (d.reason === "accepted" && o.answer_on_phone) {
    // Answered on the phone: the console follows as if accepted here.
    pops.set(o.contact_id, o);
    emit("contact:accepted", { contact: { ...o.contact, status: "connected" }, offer: o });
  }
  if (d.reason !== "accepted" && d.reason !== "declined") {
    const note = $("#offer-notice");
    note.textContent = `来电已撤回：${label("withdrawn", d.reason)}`;
    note.hidden = false;
  }
}

async function accept() {
  const o = offer;
  if (!o) return;
  if (o.answer_on_phone) {
    toast("请在话机上接听", "info");
    return;
  }
  $("#offer-accept").disabled = true;
  try {
    const contact = await request("offer.accept", { offer_id: o.offer_id });
    pops.set(contact.id || o.contact_id, o);
    hideOffer();
    emit("contact:accepted", { contact, offer: o });
    if (presence) showContacts(presence.contacts?.some((c) => c.id === contact.id) ? presence.contacts : [...(presence.contacts || []), contact]);
  } catch (err) {
    $("#offer-accept").disabled = false;
    toast("接听失败：" + errorText(err), "error");
  }
}

async function decline() {
  const o = offer;
  if (!o) return;
  $("#offer-decline").disabled = true;
  try {
    await request("offer.decline", { offer_id: o.offer_id });
    hideOffer();
  } catch (err) {
    $("#offer-decline").disabled = false;
    toast("拒绝失败：" + errorText(err), "error");
  }
}

// screenPop shows the caller's past tickets and calls.
export function screenPop(history) {
  const box = h("div", { class: "history", "data-test": "citizen-history" });
  if (history === null || history === undefined) {
    box.append(h("p", { class: "muted" }, "历史记录查询失败"));
    return box;
  }
  const tickets = history.tickets || [];
  const calls = history.calls || [];
  const chats = history.chats || [];
  box.append(h("h4", {}, `历史记录（${history.phone || ""}）`));
  if (!tickets.length && !calls.length && !chats.length) {
    box.append(h("p", { class: "muted" }, "新来电，无历史工单"));
    return box;
  }
  if (tickets.length) {
    const rows = tickets.map((t) => h("tr", { "data-test": "history-ticket", "data-number": t.number },
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => emit("ticket:open", t.id) }, t.number)),
      h("td", {}, label("kind", t.kind)), h("td", {}, label("status", t.status)),
      h("td", {}, t.title), h("td", {}, day(t.created_at))));
    box.append(h("table", { class: "list compact" },
      h("caption", {}, `历史工单 ${tickets.length} 张`),
      h("thead", {}, h("tr", {}, ["工单号", "类型", "状态", "标题", "日期"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
  }
  if (calls.length) {
    const rows = calls.map((c) => h("tr", { "data-test": "history-call" },
      h("td", {}, when(c.started_at)), h("td", {}, label("outcome", c.outcome) || c.outcome || ""),
      h("td", {}, c.queue || ""), h("td", {}, c.agent || ""),
      h("td", {}, c.talk_seconds ? duration(c.talk_seconds) : "")));
    box.append(h("table", { class: "list compact" },
      h("caption", {}, `历史来电 ${calls.length} 次`),
      h("thead", {}, h("tr", {}, ["时间", "结果", "队列", "坐席", "通话"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
  }
  if (chats.length) {
    const outcomes = { bot_only: "智能助手解答", answered: "人工已接待", abandoned: "排队时离开", left_message: "留言" };
    const rows = chats.map((c) => h("tr", { "data-test": "history-chat" },
      h("td", {}, when(c.started_at)), h("td", {}, outcomes[c.outcome] || (c.outcome ? c.outcome : "进行中")),
      h("td", {}, c.agent || ""), h("td", {}, c.ticket || "")));
    box.append(h("table", { class: "list compact" },
      h("caption", {}, `历史网上咨询 ${chats.length} 次`),
      h("thead", {}, h("tr", {}, ["时间", "结果", "坐席", "工单"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
  }
  return box;
}

// ---------------------------------------------------------------- contacts

// outbound are the agent's placed calls (回拨, 电话回访) now shown: when
// one leaves, its missed-call entry has settled (calls.js reloads).
const outbound = new Set();

function showContacts(contacts) {
  const list = $("#contacts");
  list.replaceChildren();
  $("#contacts-card").hidden = contacts.length === 0;
  const ids = new Set(contacts.map((c) => c.id));
  for (const id of outbound) {
    if (ids.has(id)) continue;
    outbound.delete(id);
    pops.delete(id);
    emit("outbound:ended", id);
  }
  for (const c of contacts) {
    if (c.outbound && !outbound.has(c.id)) {
      outbound.add(c.id);
      popOutbound(c);
    }
    const pop = pops.get(c.id);
    // A placed call reads as 外呼 to the number it calls; the citizen's
    // history pops as for a call that rang.
    const li = h("li", { "data-test": "contact", "data-contact": c.id, "data-answered": c.answered_at || null,
      "data-outbound": c.outbound ? "true" : null },
      h("span", { class: c.outbound ? "badge outbound" : "badge" }, c.outbound ? "外呼" : label("contactChannel", c.channel)),
      h("strong", {}, c.caller || "未知"),
      h("span", { class: "muted" }, c.outbound && c.status === "connected" ? "回拨通话" : label("contactStatus", c.status) || c.status),
      h("span", { class: "timer" }, ""),
      h("button", { type: "button", class: "end", "data-test": "contact-end", onclick: () => endContact(c.id) }, "结束"),
      h("button", { type: "button", onclick: () => emit("contact:fill", { contact: c, offer: pop }) }, "填入工单"));
    if (c.channel === "voice" && c.status === "connected") li.append(holdButton(c), transferControl(c), conferenceControl(c), consultControl(c));
    if (pop) li.append(h("details", { open: c.outbound || null }, h("summary", {}, c.outbound ? "市民历史" : "来电历史"), screenPop(pop.citizen_history)));
    list.append(li);
  }
  tick();
}

// popOutbound loads the screen pop of a placed call: the citizen's past
// tickets and calls by the number called.
async function popOutbound(c) {
  let history = null;
  try {
    history = await api("/citizens/history" + query({ phone: c.caller }));
  } catch {
    // shown as 历史记录查询失败
  }
  if (!outbound.has(c.id)) return;
  pops.set(c.id, { citizen_history: history, caller: c.caller, queue: c.queue, ticket_channel: c.ticket_channel || "phone" });
  if (presence) showContacts(presence.contacts || []);
}

// held are the calls this console put on hold (保持): the caller hears
// music and the agent nothing until 恢复.
const held = new Set();

function holdButton(c) {
  const b = h("button", { type: "button", "data-test": "call-hold", "data-held": held.has(c.id) ? "true" : "false" },
    held.has(c.id) ? "恢复" : "保持");
  b.addEventListener("click", async () => {
    const on = !held.has(c.id);
    b.disabled = true;
    try {
      await request("call.hold", { contact_id: c.id, hold: on });
      if (on) held.add(c.id); else held.delete(c.id);
      b.textContent = on ? "恢复" : "保持";
      b.dataset.held = String(on);
      toast(on ? "已保持，来电方听到等待音乐" : "已恢复通话");
    } catch (err) {
      toast((on ? "保持" : "恢复") + "失败：" + errorText(err), "error");
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// transferControl passes a call on to a queue (转接, a blind transfer):
// the phone is hung up and the caller waits there for the next agent.
function transferControl(c) {
  const sel = h("select", { "aria-label": "转接到队列", "data-test": "call-transfer-queue" },
    ...state.queues.filter((q) => q.name !== c.queue && !q.name.startsWith("webchat"))
      .map((q) => h("option", { value: q.name }, q.title || q.name)));
  const go = h("button", { type: "button", "data-test": "call-transfer", onclick: async () => {
    if (!sel.value) return;
    go.disabled = true;
    try {
      await request("call.transfer", { contact_id: c.id, queue: sel.value });
      pops.delete(c.id);
      toast("已转接");
    } catch (err) {
      toast("转接失败：" + errorText(err), "error");
    } finally {
      go.disabled = false;
    }
  } }, "转接");
  return h("span", { class: "transfer" }, sel, go);
}

// conferenceControl rings a colleague's registered phone (by user name)
// or a department's duty phone through the trunk into the call (三方通话);
// the agent may then hang up and leave the two talking.
function conferenceControl(c) {
  const who = h("input", { type: "text", maxlength: "64", size: "10", placeholder: "用户名", "aria-label": "三方通话：对方用户名", "data-test": "call-conference-user" });
  const dept = h("select", { "aria-label": "三方通话：部门值班电话", "data-test": "call-conference-department" },
    h("option", { value: "" }, "或选部门"),
    ...state.departments.filter((d) => d.phone).map((d) => h("option", { value: d.code }, d.name)));
  const go = h("button", { type: "button", "data-test": "call-conference", onclick: async () => {
    const user = who.value.trim();
    const department = dept.value;
    if (!user && !department) return;
    go.disabled = true;
    try {
      await request("call.conference", department ? { contact_id: c.id, department } : { contact_id: c.id, user });
      toast(`正在呼叫 ${department ? dept.selectedOptions[0].textContent : user}，接通后三方通话`);
    } catch (err) {
      toast("三方通话失败：" + errorText(err), "error");
    } finally {
      go.disabled = false;
    }
  } }, "三方");
  return h("span", { class: "conference" }, who, dept, go);
}

// consulting are the calls whose agent is consulting a colleague, the
// caller on hold.
const consulting = new Set();

// consultControl is the consultative transfer (咨询转接): 咨询 holds the
// caller and rings a colleague; then 完成转接 hands the caller over, or
// 取消咨询 gives the caller back.
function consultControl(c) {
  const box = h("span", { class: "consult", "data-test": "call-consult-box" });
  const step = async (type, data, done) => {
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    try {
      await request(type, { contact_id: c.id, ...data });
      done();
    } catch (err) {
      toast("咨询转接失败：" + errorText(err), "error");
    } finally {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      draw();
    }
  };
  const draw = () => {
    if (consulting.has(c.id)) {
      box.replaceChildren(
        h("button", { type: "button", "data-test": "call-consult-complete", onclick: () => step("call.consult.complete", {}, () => {
          consulting.delete(c.id);
          toast("已转接给同事");
        }) }, "完成转接"),
        h("button", { type: "button", "data-test": "call-consult-cancel", onclick: () => step("call.consult.cancel", {}, () => {
          consulting.delete(c.id);
          toast("已取消咨询，恢复与来电方通话");
        }) }, "取消咨询"));
      return;
    }
    const who = h("input", { type: "text", maxlength: "64", size: "10", placeholder: "同事用户名", "aria-label": "咨询转接：同事用户名", "data-test": "call-consult-agent" });
    box.replaceChildren(who, h("button", { type: "button", "data-test": "call-consult", onclick: () => {
      const agent = who.value.trim();
      if (agent) step("call.consult", { agent }, () => {
        consulting.add(c.id);
        toast(`来电方已保持，正在呼叫 ${agent}`);
      });
    } }, "咨询"));
  };
  draw();
  return box;
}

async function endContact(id) {
  try {
    await request("contact.end", { contact_id: id });
    pops.delete(id);
    toast("已结束");
  } catch (err) {
    toast("结束失败：" + errorText(err), "error");
  }
}
