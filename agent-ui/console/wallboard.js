// The supervisors' wallboard (监控大屏): per queue figures and every
// agent's state, live from `wallboard` messages; and the training form
// that injects a test contact into routing.
import { $, h, option, label, duration, percent, clock, toast, errorText } from "./dom.js";
import { api, post } from "./api.js";
import { state, on, now, isOverseer } from "./state.js";

let board = null; // the last wallboard
const injected = new Map(); // contact id -> contact, from the test form

export function initWallboard() {
  on("ws:wallboard", show);
  on("ws:session", () => fillQueues(state.queues));
  on("view:shown", (name) => {
    if (name === "wallboard" && !board) fetchOnce();
  });
  $("#test-call").addEventListener("submit", inject);
  setInterval(tick, 1000);
}

// fetchOnce reads the wallboard over HTTP, for before the socket's first.
async function fetchOnce() {
  if (!isOverseer()) return;
  try {
    const [wb, queues] = await Promise.all([api("/routing/wallboard"), api("/routing/queues")]);
    if (!board && wb) show(wb);
    const list = Array.isArray(queues) ? queues : queues?.items;
    if (list?.length && !state.queues.length) fillQueues(list);
  } catch {
    // the websocket will bring it
  }
}

function fillQueues(queues) {
  const sel = $("#tc-queue");
  const keep = sel.value;
  sel.replaceChildren(...(queues || []).map((q) => option(q.name, q.title ? `${q.title}（${q.name}）` : q.name)));
  if (keep) sel.value = keep;
}

function show(wb) {
  if (board && wb.seq && board.seq && wb.seq < board.seq && wb.seq > 1) return; // out of order
  board = wb;
  $("#wb-at").textContent = wb.at ? `更新于 ${clock(wb.at)}` : "";
  const rows = (wb.queues || []).map((q) => h("tr", { "data-test": "wb-queue", "data-queue": q.queue },
    h("th", { scope: "row" }, q.title || q.queue),
    h("td", { "data-stat": "waiting", class: q.waiting ? "hot" : null }, String(q.waiting ?? 0)),
    h("td", { "data-stat": "longest_wait", "data-base": String(q.longest_wait_seconds ?? 0), "data-waiting": String(q.waiting ?? 0) },
      duration(q.longest_wait_seconds ?? 0)),
    h("td", { "data-stat": "sl15" }, percent(q.service_level?.["15"])),
    h("td", { "data-stat": "sl20" }, percent(q.service_level?.["20"])),
    h("td", { "data-stat": "answered" }, String(q.answered ?? 0)),
    h("td", { "data-stat": "abandoned" }, String(q.abandoned ?? 0)),
    h("td", { "data-stat": "timed_out" }, String(q.timed_out ?? 0)),
    h("td", { "data-stat": "agents" }, `${q.ready_agents ?? 0} / ${q.busy_agents ?? 0} / ${q.agents_online ?? 0}`)));
  $("#wb-queue-rows").replaceChildren(...rows);
  const totals = (wb.queues || []).reduce((s, q) => ({ waiting: s.waiting + (q.waiting || 0), answered: s.answered + (q.answered || 0) }),
    { waiting: 0, answered: 0 });
  $("#wb-queues").dataset.waiting = String(totals.waiting);
  $("#wb-queues").dataset.answered = String(totals.answered);
  // Agents see how many citizens wait, beside their presence.
  $("#presence-queue").textContent = `排队 ${totals.waiting}`;
  $("#presence-queue").classList.toggle("hot", totals.waiting > 0);
  if (Array.isArray(wb.agents)) {
    const agents = [...wb.agents].sort((a, b) => a.id.localeCompare(b.id));
    $("#wb-agent-rows").replaceChildren(...agents.map((a) => h("tr", { "data-test": "wb-agent", "data-agent": a.id, "data-state": a.state },
      h("th", { scope: "row" }, a.name || a.id),
      h("td", { class: `state-${a.state}` }, label("state", a.state) + (a.reason ? `（${label("reason", a.reason)}）` : "")),
      h("td", { class: "timer", "data-since": a.since }, duration((now() - Date.parse(a.since)) / 1000)),
      h("td", {}, String(a.voice ?? 0)), h("td", {}, String(a.chats ?? 0)))));
    $("#wb-agents").hidden = false;
  }
  tick();
}

// tick keeps times in state and the longest wait running between messages.
function tick() {
  for (const td of document.querySelectorAll("#wb-agent-rows td[data-since]")) {
    td.textContent = duration((now() - Date.parse(td.dataset.since)) / 1000);
  }
  if (!board?.at) return;
  const since = (now() - Date.parse(board.at)) / 1000;
  for (const td of document.querySelectorAll("#wb-queue-rows td[data-stat=longest_wait]")) {
    const base = Number(td.dataset.base);
    td.textContent = duration(Number(td.dataset.waiting) > 0 ? base + since : base);
  }
}

// ---------------------------------------------------------------- test contacts

async function inject(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $("#tc-error").textContent = "";
  const body = {
    channel: String(f.get("channel")), queue: String(f.get("queue")),
    caller: String(f.get("caller") || "").trim(), priority: Number(f.get("priority") || 0),
  };
  try {
    const c = await post("/routing/contacts", body);
    injected.set(c.id, c);
    toast(`测试来电已进入队列（${c.id}）`);
    showInjected();
  } catch (err) {
    $("#tc-error").textContent = "发起失败：" + errorText(err);
  }
}

function showInjected() {
  const list = $("#tc-contacts");
  list.replaceChildren(...[...injected.values()].map((c) => h("li", { "data-test": "test-contact", "data-contact": c.id },
    h("span", { class: "badge" }, label("contactChannel", c.channel)), ` ${c.caller} → ${c.queue} `,
    h("button", { type: "button", onclick: () => hangUp(c.id) }, "挂断（模拟市民）"))));
}

async function hangUp(id) {
  try {
    await post(`/routing/contacts/${encodeURIComponent(id)}/end`);
  } catch (err) {
    if (err.status !== 404) {
      toast("挂断失败：" + errorText(err), "error");
      return;
    }
  }
  injected.delete(id);
  showInjected();
}
