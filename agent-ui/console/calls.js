// The calls view: the missed-call list (漏接回拨: callers who hung up
// waiting, or whose agent's phone rang out) with its 回拨 button for
// agents, and the call records, with each answered call's recording for
// those who may hear it and a 回拨 button on calls from a phone number.
import { $, h, label, labels, when, duration, deadlineClass, errorText, toast, fillSelect } from "./dom.js";
import { api, query } from "./api.js";
import { on, now, isAgent } from "./state.js";
import { placeCall } from "./outbound.js";

Object.assign(labels, {
  callbackReason: { abandoned: "排队放弃", missed: "振铃未接", requested: "要求回拨", voicemail: "留言" },
  callbackState: { waiting: "等待回拨", dialling: "拨打中", reached: "已接通", unreachable: "无法接通", cancelled: "已取消" },
  hangupBy: { caller: "市民", agent: "坐席", system: "系统" },
});

// A call back can go to a number of 3 to 20 digits (what the trunk dials).
const dialable = (phone) => /^\d{3,20}$/.test(phone || "");

let shown = false; // the view is on screen
let pollTimer = null;

export function initCalls() {
  fillSelect($("#callbacks-state"), [["open", "待处理（等待回拨、拨打中）"], ...Object.entries(labels.callbackState)],
    { blank: "全部状态" });
  $("#callbacks-state").addEventListener("change", () => load());
  $("#calls-filter").addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  on("view:shown", (name) => {
    shown = name === "calls";
    if (shown) load();
    else clearTimeout(pollTimer);
  });
  // An outbound call that ended settles its entry: show how.
  on("outbound:ended", () => shown && load());
}

async function load() {
  clearTimeout(pollTimer);
  const caller = $("#calls-caller").value.trim();
  try {
    const [cbs, calls] = await Promise.all([api("/callbacks" + query({ state: $("#callbacks-state").value })),
      api("/calls" + query({ caller }))]);
    showCallbacks(cbs.items || []);
    showCalls(calls.items || []);
    // An entry being dialled moves on when its call ends: look again soon.
    if (shown && (cbs.items || []).some((c) => c.state === "dialling")) pollTimer = setTimeout(load, 3000);
  } catch (err) {
    toast("通话记录加载失败：" + errorText(err), "error");
  }
}

// callBack places the call and refreshes the lists whatever came of it.
async function callBack(body, button) {
  await placeCall(body, button, $("#calls-error"));
  await load();
}

function showCallbacks(items) {
  const agent = isAgent();
  $("#callback-rows").replaceChildren(...items.map((c) => {
    const open = c.state === "waiting" || c.state === "dialling";
    return h("tr", { "data-test": "callback-row", dataset: { callback: c.id, phone: c.phone, reason: c.reason, state: c.state } },
      h("td", {}, c.phone),
      h("td", {}, label("callbackReason", c.reason)),
      h("td", {}, when(c.created_at)),
      h("td", { class: open && deadlineClass(c.due_at, now()) === "over" ? "warn-over" : "" }, when(c.due_at)),
      h("td", { dataset: { field: "calls" } }, String(c.calls ?? 1)),
      h("td", { dataset: { field: "state" }, class: `cb-state cb-${c.state}` }, label("callbackState", c.state)),
      h("td", { dataset: { field: "attempts" } }, String(c.attempts ?? 0)),
      h("td", {}, [c.agent, c.last_attempt_at ? when(c.last_attempt_at) : ""].filter(Boolean).join(" ")),
      h("td", {}, agent && c.state === "waiting"
        ? h("button", { type: "button", class: "primary", "data-test": "callback-dial",
          "aria-label": `回拨 ${c.phone}`, onclick: (ev) => callBack({ callback_id: c.id }, ev.currentTarget) }, "回拨")
        : ""));
  }));
  $("#callbacks-empty").hidden = items.length > 0;
}

function showCalls(items) {
  const agent = isAgent();
  $("#call-rows").replaceChildren(...items.map((c) => {
    const out = c.direction === "outbound";
    return h("tr", { dataset: { call: c.id, outcome: c.outcome || "", direction: c.direction || "inbound" } },
      h("td", {}, when(c.started_at)),
      h("td", {}, out ? h("span", {}, h("span", { class: "badge" }, "外呼"), " ", c.callee) : c.caller),
      h("td", {}, c.ivr_path),
      h("td", {}, c.queue),
      h("td", {}, c.agent),
      h("td", {}, label("outcome", c.outcome) || "进行中"),
      h("td", {}, duration(c.wait_seconds)),
      h("td", {}, duration(c.talk_seconds)),
      h("td", {}, label("hangupBy", c.hangup_by)),
      h("td", { dataset: { field: "satisfaction" } }, c.satisfaction ? `${c.satisfaction} 分` : ""),
      h("td", {}, c.recording_url ? h("audio", { controls: true, preload: "none", src: c.recording_url }) : ""),
      h("td", {}, agent && !out && dialable(c.caller)
        ? h("button", { type: "button", "data-test": "call-dial", "aria-label": `回拨 ${c.caller}`,
          onclick: (ev) => callBack({ call_id: c.id }, ev.currentTarget) }, "回拨")
        : ""));
  }));
  $("#calls-empty").hidden = items.length > 0;
}
