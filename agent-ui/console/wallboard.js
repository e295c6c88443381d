// The supervisors' wallboard (监控大屏): big figures to read from across
// the room, per queue figures, and every agent expected on the floor with
// their state, live from `wallboard` messages; "—" wherever there was
// nothing to measure. And the training form that injects a test contact
// into routing.
import { $, h, option, label, duration, percent, clock, toast, errorText } from "./dom.js";
import { api, post } from "./api.js";
import { state, on, now, isOverseer } from "./state.js";

// What the floor calls agents' states.
const STATES = { ready: "空闲", busy: "通话中", wrap_up: "话后", not_ready: "小休", offline: "离线" };

let board = null; // the last wallboard
const injected = new Map(); // contact id -> contact, from the test form
// Every agent expected on the floor (id -> {id, name}): the active agent
// accounts from GET /routing/wallboard, and whoever a message showed in
// routing. The websocket lists only agents in routing; the rest are offline.
const roster = new Map();
const offlineSince = new Map(); // agent id -> when the agent left routing, where known
let liveIds = new Set(); // agents in routing in the last wallboard

export function initWallboard() {
  buildBoard();
  on("ws:wallboard", show);
  on("ws:session", () => {
    fillQueues(state.queues);
    fetchBoard(); // after a reconnect: accounts may have changed meanwhile
  });
  on("view:shown", (name) => {
    if (name === "wallboard") fetchBoard();
  });
  $("#test-call").addEventListener("submit", inject);
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement) setWall(false);
  });
  setInterval(tick, 1000);
}

// ---------------------------------------------------------------- layout

// FIGURES are the big tiles: [key, label].
const FIGURES = [["waiting", "排队"], ["longest", "最长等待"], ["answered", "已接听"],
  ["service", "服务水平"], ["ready", "空闲坐席"], ["busy", "通话坐席"]];

// buildBoard adds the big figures and the wall display button to the
// wallboard's section.
function buildBoard() {
  const section = $("#view-wallboard");
  section.classList.add("wb-board");
  const title = $("#wallboard-title");
  const head = h("div", { class: "wb-head" });
  title.before(head);
  head.append(title, h("button", { type: "button", id: "wb-wall", "aria-pressed": "false", onclick: () => setWall(!document.body.classList.contains("wb-wall")) }, "大屏模式"));
  head.after(h("div", { id: "wb-figures", class: "wb-figures", role: "group", "aria-label": "实时总览" },
    ...FIGURES.map(([key, text]) => h("div", { class: "wb-figure", "data-figure": key },
      h("span", { class: "wb-label" }, text),
      h("strong", { class: "wb-value" }, "—"),
      h("span", { class: "wb-sub" }, "")))));
  $("#wb-queues").classList.add("wb-table");
  $("#wb-agents").classList.add("wb-table");
}

// setWall switches the wall display mode: the wallboard alone, full width,
// in type sized for the screen, full screen where the browser allows.
function setWall(on) {
  document.body.classList.toggle("wb-wall", on);
  $("#wb-wall").setAttribute("aria-pressed", String(on));
  $("#wb-wall").textContent = on ? "退出大屏" : "大屏模式";
  if (on && !document.fullscreenElement) {
    document.documentElement.requestFullscreen?.().catch(() => {}); // a kiosk browser is full screen already
  } else if (!on && document.fullscreenElement) {
    document.exitFullscreen().catch(() => {}); // already left (Esc): nothing to undo
  }
}

// ---------------------------------------------------------------- data

// fetchBoard reads the wallboard over HTTP: the figures before the
// socket's first message, and the expected agents the socket leaves out.
async function fetchBoard() {
  if (!isOverseer()) return;
  try {
    const [wb, queues] = await Promise.all([api("/routing/wallboard"), api("/routing/queues")]);
    for (const a of wb?.agents || []) {
      roster.set(a.id, { id: a.id, name: a.name });
      if (a.state === "offline" && a.since) offlineSince.set(a.id, a.since);
    }
    if (!board && wb) show(wb);
    else if (board) render();
    const list = Array.isArray(queues) ? queues : queues?.items;
    if (list?.length && !state.queues.length) fillQueues(list);
  } catch {
    // the websocket brings the figures; the offline agents come on the next view
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
  render();
}

// thresholds are the service level thresholds in seconds, as strings, ascending.
function thresholds(queues) {
  const keys = new Set();
  for (const q of queues) for (const k of Object.keys(q.service_level || {})) keys.add(k);
  return [...keys].sort((a, b) => Number(a) - Number(b));
}

// totals adds the queues up; rates are null when nothing ended today.
function totals(queues, sls) {
  const t = { waiting: 0, longest: 0, answered: 0, abandoned: 0, ended: 0, within: {} };
  for (const q of queues) {
    t.waiting += q.waiting || 0;
    if (q.waiting) t.longest = Math.max(t.longest, q.longest_wait_seconds || 0);
    t.answered += q.answered || 0;
    t.abandoned += (q.abandoned || 0) + (q.timed_out || 0);
    t.ended += (q.answered || 0) + (q.abandoned || 0) + (q.timed_out || 0);
    for (const k of sls) t.within[k] = (t.within[k] || 0) + (q.answered_within?.[k] || 0);
  }
  const rate = (n) => (t.ended ? n / t.ended : null);
  t.answerRate = rate(t.answered);
  t.sl = Object.fromEntries(sls.map((k) => [k, rate(t.within[k])]));
  return t;
}

function render() {
  const wb = board;
  const queues = wb.queues || [];
  const sls = thresholds(queues);
  $("#wb-at").textContent = wb.at ? `更新于 ${clock(wb.at)}` : "";
  renderQueueHead(sls);
  $("#wb-queue-rows").replaceChildren(...queues.map((q) => queueRow(q, sls)));
  const t = totals(queues, sls);
  $("#wb-queues").dataset.waiting = String(t.waiting);
  $("#wb-queues").dataset.answered = String(t.answered);
  // Agents see how many citizens wait, beside their presence.
  $("#presence-queue").textContent = `排队 ${t.waiting}`;
  $("#presence-queue").classList.toggle("hot", t.waiting > 0);
  const lines = Array.isArray(wb.agents) ? agentLines(wb.agents, wb.at) : null;
  if (lines) {
    $("#wb-agent-rows").replaceChildren(...lines.map(agentRow));
    $("#wb-agents").hidden = false;
  }
  renderFigures(t, sls, lines);
  tick();
}

let shownThresholds = "";

function renderQueueHead(sls) {
  if (sls.join() === shownThresholds) return;
  shownThresholds = sls.join();
  $("#wb-queues thead").replaceChildren(h("tr", {},
    ...["队列", "排队", "最长等待", ...sls.map((k) => `${k}秒服务水平`), "接通率", "接听", "放弃", "超时", "空闲/通话/在线"]
      .map((text) => h("th", { scope: "col" }, text))));
}

function queueRow(q, sls) {
  const waiting = q.waiting ?? 0;
  return h("tr", { "data-test": "wb-queue", "data-queue": q.queue },
    h("th", { scope: "row" }, q.title || q.queue),
    h("td", { "data-stat": "waiting", class: waiting ? "hot" : null }, String(waiting)),
    h("td", { "data-stat": "longest_wait", "data-base": String(q.longest_wait_seconds ?? 0), "data-waiting": String(waiting) },
      waiting ? duration(q.longest_wait_seconds ?? 0) : "—"),
    ...sls.map((k) => h("td", { "data-stat": `sl${k}` }, percent(q.service_level?.[k]))),
    h("td", { "data-stat": "answer_rate" }, percent(q.answer_rate)),
    h("td", { "data-stat": "answered" }, String(q.answered ?? 0)),
    h("td", { "data-stat": "abandoned" }, String(q.abandoned ?? 0)),
    h("td", { "data-stat": "timed_out" }, String(q.timed_out ?? 0)),
    h("td", { "data-stat": "agents" }, `${q.ready_agents ?? 0} / ${q.busy_agents ?? 0} / ${q.agents_online ?? 0}`));
}

// agentLines merges the agents in routing with the expected ones: those
// in routing first, then the offline ones, each by id.
function agentLines(agents, at) {
  const live = new Map(agents.filter((a) => a.state !== "offline").map((a) => [a.id, a]));
  for (const id of liveIds) if (!live.has(id) && at) offlineSince.set(id, at);
  for (const a of live.values()) {
    roster.set(a.id, { id: a.id, name: a.name });
    offlineSince.delete(a.id);
  }
  liveIds = new Set(live.keys());
  const offline = [...roster.values()].filter((r) => !live.has(r.id))
    .map((r) => ({ id: r.id, name: r.name, state: "offline", since: offlineSince.get(r.id) }));
  const byId = (a, b) => a.id.localeCompare(b.id);
  return [...[...live.values()].sort(byId), ...offline.sort(byId)];
}

function stateText(a) {
  const base = STATES[a.state] || label("state", a.state);
  return a.state === "not_ready" && a.reason && a.reason !== "break" ? `${base}（${label("reason", a.reason)}）` : base;
}

function agentRow(a) {
  const offline = a.state === "offline";
  return h("tr", { "data-test": "wb-agent", "data-agent": a.id, "data-state": a.state, class: offline ? "wb-offline" : null },
    h("th", { scope: "row" }, a.name || a.id),
    h("td", {}, h("span", { class: "wb-state", "data-state": a.state }, stateText(a)),
      // Calls ring only agents with a registered phone: a ready agent
      // whose phone has gone (unplugged, expired) is shown, not hidden.
      !offline && a.voice_reachable === false
        ? h("span", { class: "wb-phone", "data-phone": "unregistered", title: "话机未注册，电话不会分配给该坐席" }, "未注册话机") : null),
    h("td", { class: "timer", "data-since": a.since || null }, a.since ? duration((now() - Date.parse(a.since)) / 1000) : "—"),
    h("td", {}, offline ? "—" : String(a.voice ?? 0)),
    h("td", {}, offline ? "—" : String(a.chats ?? 0)));
}

function figure(key, value, sub = "", tone = null) {
  const el = $(`#wb-figures [data-figure="${key}"]`);
  el.querySelector(".wb-value").textContent = value;
  el.querySelector(".wb-sub").textContent = sub;
  if (tone) el.dataset.tone = tone;
  else delete el.dataset.tone;
}

function renderFigures(t, sls, lines) {
  const first = sls[0];
  figure("waiting", String(t.waiting), t.waiting ? "位市民在等待" : "无人等待", t.waiting ? "hot" : null);
  const longest = $('#wb-figures [data-figure="longest"]');
  longest.dataset.base = String(t.longest);
  longest.dataset.waiting = String(t.waiting);
  figure("longest", t.waiting ? duration(t.longest) : "—", first ? `目标 ${first} 秒内接听` : "", longestTone(t.longest, t.waiting, first));
  figure("answered", String(t.answered), `接通率 ${percent(t.answerRate)} · 放弃 ${t.abandoned}`);
  $('#wb-figures [data-figure="service"] .wb-label').textContent = first ? `${first}秒服务水平` : "服务水平";
  figure("service", percent(first ? t.sl[first] : null),
    sls.slice(1).map((k) => `${k}秒 ${percent(t.sl[k])}`).join(" · ") || (t.ended ? "" : "今日尚无来电"));
  if (!lines) {
    figure("ready", "—");
    figure("busy", "—");
    return;
  }
  const count = (s) => lines.filter((a) => a.state === s).length;
  const ready = count("ready"), online = lines.filter((a) => a.state !== "offline").length;
  figure("ready", String(ready), `在线 ${online} / 共 ${lines.length} 人`, ready ? "good" : t.waiting ? "hot" : null);
  figure("busy", String(count("busy")), `话后 ${count("wrap_up")} · 小休 ${count("not_ready")}`);
}

// longestTone marks a wait past the first service level threshold.
function longestTone(seconds, waiting, first) {
  return waiting && first && seconds >= Number(first) ? "hot" : null;
}

// tick keeps times in state and the longest waits running between messages.
function tick() {
  for (const td of document.querySelectorAll("#wb-agent-rows td[data-since]")) {
    td.textContent = duration((now() - Date.parse(td.dataset.since)) / 1000);
  }
  if (!board?.at) return;
  const since = (now() - Date.parse(board.at)) / 1000;
  for (const td of document.querySelectorAll("#wb-queue-rows td[data-stat=longest_wait]")) {
    if (Number(td.dataset.waiting) > 0) td.textContent = duration(Number(td.dataset.base) + since);
  }
  const longest = $('#wb-figures [data-figure="longest"]');
  if (longest && Number(longest.dataset.waiting) > 0) {
    const seconds = Number(longest.dataset.base) + since;
    longest.querySelector(".wb-value").textContent = duration(seconds);
    const first = thresholds(board.queues || [])[0];
    const tone = longestTone(seconds, 1, first);
    if (tone) longest.dataset.tone = tone;
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
