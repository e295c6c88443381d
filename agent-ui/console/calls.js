// The calls view: the missed-call list (漏接回拨: callers who hung up
// waiting, or whose agent's phone rang out) and the call records, with
// each answered call's recording for those who may hear it.
import { $, h, label, labels, when, duration, deadlineClass, errorText, toast } from "./dom.js";
import { api, query } from "./api.js";
import { on, now } from "./state.js";

Object.assign(labels, {
  callbackReason: { abandoned: "排队放弃", missed: "振铃未接", requested: "要求回拨", voicemail: "留言" },
  hangupBy: { caller: "市民", agent: "坐席", system: "系统" },
});

export function initCalls() {
  $("#calls-filter").addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  on("view:shown", (name) => name === "calls" && load());
}

async function load() {
  const caller = $("#calls-caller").value.trim();
  try {
    const [cbs, calls] = await Promise.all([api("/callbacks" + query({ state: "open" })), api("/calls" + query({ caller }))]);
    showCallbacks(cbs.items || []);
    showCalls(calls.items || []);
  } catch (err) {
    toast("通话记录加载失败：" + errorText(err), "error");
  }
}

function showCallbacks(items) {
  $("#callback-rows").replaceChildren(...items.map((c) =>
    h("tr", { dataset: { phone: c.phone, reason: c.reason } },
      h("td", {}, c.phone),
      h("td", {}, label("callbackReason", c.reason)),
      h("td", {}, when(c.created_at)),
      h("td", { class: deadlineClass(c.due_at, now()) === "over" ? "warn-over" : "" }, when(c.due_at)),
      h("td", {}, String(c.attempts)))));
  $("#callbacks-empty").hidden = items.length > 0;
}

function showCalls(items) {
  $("#call-rows").replaceChildren(...items.map((c) =>
    h("tr", { dataset: { call: c.id, outcome: c.outcome || "" } },
      h("td", {}, when(c.started_at)),
      h("td", {}, c.caller),
      h("td", {}, c.ivr_path),
      h("td", {}, c.queue),
      h("td", {}, c.agent),
      h("td", {}, label("outcome", c.outcome) || "进行中"),
      h("td", {}, duration(c.wait_seconds)),
      h("td", {}, duration(c.talk_seconds)),
      h("td", {}, label("hangupBy", c.hangup_by)),
      h("td", { dataset: { field: "satisfaction" } }, c.satisfaction ? `${c.satisfaction} 分` : ""),
      h("td", {}, c.recording_url ? h("audio", { controls: true, preload: "none", src: c.recording_url }) : ""))));
  $("#calls-empty").hidden = items.length > 0;
}
