// The scorecards: a department's own figures (考核) and an agent's own
// (我的数据): the period's totals as figure tiles, a daily trend and the
// days' table, whose counts open the rows behind them.
import { $, h, errorText } from "./dom.js";
import { api, query } from "./api.js";
import { state, on } from "./state.js";
import { initPeriod, show, countButton, behindPanel, lineChart } from "./reports.js";

// What each role's scorecard shows: [field, label, format] for the tiles
// and the days' columns, and the trend's counts.
const CARDS = {
  department: {
    title: "考核",
    group: "department",
    key: () => state.me.department,
    path: (key) => `/reports/departments/${encodeURIComponent(key)}`,
    tiles: [["dispatched", "派单量", "count"], ["signed_on_time_rate", "按时签收率", "rate"],
      ["completed_on_time_rate", "按时办结率", "rate"], ["return_rate", "退单率", "rate"],
      ["extension_rate", "延期率", "rate"], ["reopen_rate", "重办率", "rate"],
      ["satisfaction_rate", "满意率", "rate"], ["overdue", "超期", "count"],
      ["avg_reply_working_days", "平均答复工作日", "days"]],
    columns: [["dispatched", "派单量", "count"], ["signed_on_time_rate", "按时签收率", "rate"],
      ["completed_on_time_rate", "按时办结率", "rate"], ["returns", "退单量", "count"],
      ["return_rate", "退单率", "rate"], ["extensions", "延期量", "count"], ["replies", "答复量", "count"],
      ["avg_reply_working_days", "平均答复工作日", "days"], ["overdue", "超期", "count"],
      ["callbacks_rated", "回访量", "count"], ["satisfaction_rate", "满意率", "rate"]],
    trend: [["dispatched", "派单量"], ["replies", "答复量"], ["overdue", "超期"]],
  },
  agent: {
    title: "我的数据",
    group: "agent",
    key: () => state.me.username,
    path: (key) => `/reports/agents/${encodeURIComponent(key)}`,
    tiles: [["tickets_created", "工单量", "count"], ["direct_resolution_rate", "直接办结率", "rate"],
      ["dispatched", "派单量", "count"], ["calls_answered", "接听量", "count"],
      ["avg_talk_seconds", "平均通话", "seconds"], ["chats_answered", "人工接待", "count"],
      ["avg_first_response_seconds", "平均首次响应", "seconds"], ["outbound_calls", "外呼量", "count"]],
    columns: [["tickets_created", "工单量", "count"], ["closed_directly", "直接办结", "count"],
      ["dispatched", "派单量", "count"], ["calls_answered", "接听量", "count"],
      ["avg_talk_seconds", "平均通话", "seconds"], ["outbound_calls", "外呼量", "count"],
      ["chats_answered", "人工接待", "count"], ["avg_first_response_seconds", "平均首次响应", "seconds"]],
    trend: [["tickets_created", "工单量"], ["calls_answered", "接听量"], ["chats_answered", "人工接待"]],
  },
};

let card = null; // CARDS of the user's role
let seq = 0;
let behind = null;

export function initScorecard() {
  const period = initPeriod($("#scorecard-filters"), load);
  behind = behindPanel("scorecard-behind");
  $("#scorecard-table-wrap").after(behind.el);
  on("view:shown", (name) => {
    if (name !== "scorecard") return;
    card = CARDS[state.me.role];
    $("#scorecard-title").textContent = card.title;
    period.start();
  });
}

async function load(from, to) {
  const n = ++seq;
  const key = card.key();
  $("#scorecard-error").textContent = "";
  let sc;
  try {
    sc = await api(card.path(key) + query({ from, to }));
  } catch (err) {
    if (n === seq) {
      $("#scorecard-error").textContent = "加载失败：" + errorText(err);
      $("#scorecard").hidden = true;
    }
    return;
  }
  if (n !== seq) return;
  // The rows behind a count: this key's, over the whole period or one day.
  const open = (what, field, from, to) => behind.open(what, field, { group_by: card.group, key, from, to });
  $("#scorecard").hidden = false;
  $("#scorecard-name").textContent = `${sc.label || sc.key} · ${sc.from} 至 ${sc.to}`;
  $("#scorecard-figures").replaceChildren(...card.tiles.map(([field, text, format]) =>
    h("div", { class: "figure", "data-figure": field },
      h("span", { class: "figure-label" }, text),
      h("strong", { class: "figure-value" }, format === "count"
        ? countButton(sc.total[field], text, () => open(text, field, sc.from, sc.to))
        : show(format, sc.total[field])))));
  $("#scorecard-trend").replaceChildren(lineChart(`${card.title}每日趋势`, sc.days.map((r) => r.key),
    card.trend.map(([field, name]) => ({ name, values: sc.days.map((r) => r[field]) }))));
  const table = $("#scorecard-days");
  table.querySelector("thead").replaceChildren(h("tr", {}, h("th", { scope: "col" }, "日期"),
    ...card.columns.map(([, text]) => h("th", { scope: "col" }, text))));
  table.querySelector("tbody").replaceChildren(...sc.days.map((r) => h("tr", { "data-key": r.key },
    h("th", { scope: "row" }, r.key),
    ...card.columns.map(([field, text, format]) => h("td", { "data-col": field, class: "num" }, format === "count"
      ? countButton(r[field], `${r.key}的${text}`, () => open(`${text} · ${r.key}`, field, r.key, r.key))
      : show(format, r[field]))))));
  behind.hide();
  $("#scorecard").dataset.loaded = `${sc.from}/${sc.to}/${sc.key}`;
}
