// The reports (报表) of supervisors and admins: a period's summary by any
// grouping with its totals, charts of the same period, the rows behind any
// count, and the CSV and Excel downloads. The period form, the value
// formats, the charts and the drill-down panel serve the scorecards too
// (scorecard.js). Every chart is inline SVG drawn here.
import { $, h, fillSelect, percent, duration, day, errorText } from "./dom.js";
import { api, query } from "./api.js";
import { on, emit, now } from "./state.js";

const GROUPS = [["day", "按日"], ["week", "按周"], ["month", "按月"], ["channel", "渠道"], ["kind", "类型"],
  ["department", "部门"], ["agent", "坐席"], ["queue", "队列"], ["category", "分类"], ["region", "区域"]];
const groupName = (g) => GROUPS.find(([k]) => k === g)[1];
const FIRST_COLUMN = { day: "日期", week: "周", month: "月份" };
const TEMPORAL = ["day", "week", "month"];

// The summary table's columns: [field, header, format]; counts open the
// rows behind them.
const COLUMNS = [
  ["tickets_created", "工单量", "count"], ["direct_resolution_rate", "直接办结率", "rate"],
  ["dispatched", "派单量", "count"], ["signed_on_time_rate", "按时签收率", "rate"],
  ["completed_on_time_rate", "按时办结率", "rate"], ["return_rate", "退单率", "rate"],
  ["reopen_rate", "重办率", "rate"], ["overdue", "超期", "count"], ["satisfaction_rate", "满意率", "rate"],
  ["calls_offered", "呼入量", "count"], ["answer_rate", "接通率", "rate"],
  ["answer_15s_rate", "15秒接通率", "rate"], ["service_level", "服务水平", "rate"],
  ["calls_abandoned", "放弃量", "count"], ["avg_wait_seconds", "平均等待", "seconds"],
  ["chats_offered", "在线咨询量", "count"], ["chats_handed_off", "转人工", "count"],
];

// The groupings the charts read, whatever the table shows.
const CHART_GROUPS = ["day", "kind", "channel", "department"];

let seq = 0; // the latest load; older answers are dropped
let charted = ""; // the period the charts show, "from/to"
let behind = null;

export function initReports() {
  fillSelect($("#report-group"), GROUPS);
  const form = $("#report-filters");
  const period = initPeriod(form, (from, to) => load(from, to, true));
  $("#report-group").addEventListener("change", () => {
    if (form.reportValidity()) load(form.elements.from.value, form.elements.to.value, false);
  });
  behind = behindPanel("report-behind");
  $("#report-table-wrap").after(behind.el);
  on("view:shown", (name) => name === "reports" && period.start());
}

// ---------------------------------------------------------------- period

const isoDay = (d) => d.toISOString().slice(0, 10);
// today is the hotline's date.
const today = () => day(new Date(now()).toISOString());

const PRESETS = {
  "this-month": (t) => [t.slice(0, 8) + "01", t],
  "last-month": (t) => {
    const [y, m] = t.split("-").map(Number);
    return [isoDay(new Date(Date.UTC(y, m - 2, 1))), isoDay(new Date(Date.UTC(y, m - 1, 0)))];
  },
};

// initPeriod wires a form of presets ([data-preset]) and from/to date
// inputs: a preset fills the dates and submits, a date typed by hand
// unpresses the presets; load(from, to) runs on each submit. start()
// loads this month the first time.
export function initPeriod(form, load) {
  const { from, to } = form.elements;
  const presets = [...form.querySelectorAll("[data-preset]")];
  const press = (name) => presets.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.preset === name)));
  for (const b of presets) {
    b.addEventListener("click", () => {
      [from.value, to.value] = PRESETS[b.dataset.preset](today());
      press(b.dataset.preset);
      form.requestSubmit();
    });
  }
  for (const input of [from, to]) input.addEventListener("input", () => press(""));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load(from.value, to.value);
  });
  return { start: () => from.value || presets.find((b) => b.dataset.preset === "this-month").click() };
}

// ---------------------------------------------------------------- values

// show formats a report value: counts, rates (— where nothing was
// measured, never 0%), seconds as mm:ss and working days.
export function show(format, v) {
  if (format === "count") return (v ?? 0).toLocaleString("zh-CN");
  if (v === null || v === undefined) return "—";
  if (format === "rate") return percent(v);
  if (format === "seconds") return duration(v);
  return v.toFixed(1);
}

// countButton is a count that opens the rows behind it, or the bare
// number when there are none.
export function countButton(n, what, open) {
  if (!n) return "0";
  return h("button", { type: "button", class: "link count", "aria-label": `${what} ${n}，查看明细`, onclick: open }, show("count", n));
}

// ---------------------------------------------------------------- summary

async function load(from, to, all) {
  const group = $("#report-group").value;
  const n = ++seq;
  const charts = all || charted !== `${from}/${to}`;
  const groups = [...new Set([group, ...(charts ? CHART_GROUPS : [])])];
  $("#report-error").textContent = "";
  $("#report-results").setAttribute("aria-busy", "true");
  let got;
  try {
    got = await Promise.all(groups.map((g) => api("/reports/summary" + query({ from, to, group_by: g }))));
  } catch (err) {
    if (n !== seq) return;
    $("#report-error").textContent = "报表加载失败：" + errorText(err);
    $("#report-results").hidden = true;
    charted = "";
    return;
  } finally {
    if (n === seq) $("#report-results").removeAttribute("aria-busy");
  }
  if (n !== seq) return;
  const by = Object.fromEntries(groups.map((g, i) => [g, got[i]]));
  const sum = by[group];
  $("#report-results").hidden = false;
  $("#report-period").textContent = `${sum.from} 至 ${sum.to} · ${groupName(group)}`;
  const params = query({ from: sum.from, to: sum.to, group_by: group });
  $("#report-csv").href = `/api/v1/reports/summary${params}&format=csv`;
  $("#report-xlsx").href = `/api/v1/reports/summary${params}&format=xlsx`;
  showTable(sum);
  behind.hide();
  if (charts) {
    showCharts(by);
    charted = `${from}/${to}`;
  }
}

function showTable(sum) {
  const table = $("#report-table");
  table.querySelector("thead").replaceChildren(h("tr", {},
    h("th", { scope: "col" }, FIRST_COLUMN[sum.group_by] || groupName(sum.group_by)),
    ...COLUMNS.map(([, header]) => h("th", { scope: "col" }, header))));
  table.querySelector("tbody").replaceChildren(...sum.rows.map((r) => summaryRow(sum, r, behindOf(sum, r))));
  table.querySelector("tfoot").replaceChildren(summaryRow(sum, sum.totals, { from: sum.from, to: sum.to }));
  $("#report-empty").hidden = sum.rows.length > 0;
  table.dataset.loaded = `${sum.from}/${sum.to}/${sum.group_by}`;
}

function summaryRow(sum, r, params) {
  const name = r === sum.totals ? "合计" : r.label;
  return h("tr", { "data-key": r === sum.totals ? null : r.key, class: r === sum.totals ? "total" : null },
    h("th", { scope: "row" }, name),
    ...COLUMNS.map(([field, header, format]) => h("td", { "data-col": field, class: "num" },
      format === "count"
        ? countButton(r[field], `${name}的${header}`, () => behind.open(`${header} · ${name}`, field, params))
        : show(format, r[field]))));
}

// behindOf is how the rows behind a row's counts are asked for: by its
// grouping and key, or, for a run of days, as the totals of those days.
function behindOf(sum, r) {
  if (!TEMPORAL.includes(sum.group_by)) return { group_by: sum.group_by, key: r.key, from: sum.from, to: sum.to };
  const [from, to] = span(sum.group_by, r.key);
  return { from: from > sum.from ? from : sum.from, to: to < sum.to ? to : sum.to };
}

// span is the first and last day of a row key: 2026-03-09, 2026-W11
// (ISO week) or 2026-03.
function span(group, key) {
  if (group === "day") return [key, key];
  const [y, n] = key.split(/-W?/).map(Number);
  if (group === "month") return [isoDay(new Date(Date.UTC(y, n - 1, 1))), isoDay(new Date(Date.UTC(y, n, 0)))];
  const jan4 = new Date(Date.UTC(y, 0, 4));
  const monday = Date.UTC(y, 0, 4 - ((jan4.getUTCDay() + 6) % 7) + (n - 1) * 7);
  return [isoDay(new Date(monday)), isoDay(new Date(monday + 6 * 864e5))];
}

// ---------------------------------------------------------------- drill-down

const ENTITIES = { tickets: "工单", calls: "通话", chats: "在线会话", callbacks: "漏接回拨" };

// behindPanel is a panel listing the rows behind one count: tickets open
// their detail, calls, chats and callbacks are listed by id.
export function behindPanel(id) {
  const title = h("h3", { id: `${id}-title`, tabindex: "-1" });
  const total = h("p", { class: "behind-total", "aria-live": "polite" });
  const list = h("ul", { class: "behind-ids" });
  const el = h("section", { id, class: "card behind", "aria-labelledby": `${id}-title`, hidden: true },
    h("div", { class: "detail-head" }, title, h("button", { type: "button", onclick: () => hide() }, "关闭明细")),
    total, list);
  let n = 0;
  const hide = () => {
    n++;
    el.hidden = true;
  };
  async function open(what, counter, params) {
    const mine = ++n;
    el.hidden = false;
    el.dataset.counter = counter;
    delete el.dataset.loaded;
    title.textContent = `${what}（${params.from === params.to ? params.from : `${params.from} 至 ${params.to}`}）`;
    total.textContent = "加载中…";
    list.replaceChildren();
    title.focus();
    el.scrollIntoView({ block: "nearest" });
    let b;
    try {
      b = await api("/reports/behind" + query({ counter, ...params }));
    } catch (err) {
      if (mine === n) total.textContent = "明细加载失败：" + errorText(err);
      return;
    }
    if (mine !== n) return;
    const noun = ENTITIES[b.entity] || b.entity;
    total.textContent = `共 ${b.total} 条${noun}` + (b.ids.length < b.total ? `，列出前 ${b.ids.length} 条` : "");
    list.replaceChildren(...b.ids.map((x) => h("li", {}, b.entity === "tickets"
      ? h("button", { type: "button", class: "link", "data-ticket": x, onclick: () => emit("ticket:open", x) }, `工单 #${x}`)
      : h("span", { [`data-${b.entity.replace(/s$/, "")}`]: x }, `${noun} #${x}`))));
    el.dataset.loaded = b.entity;
  }
  return { el, open, hide };
}

// ---------------------------------------------------------------- charts

function showCharts(by) {
  const days = by.day.rows;
  $("#report-trend").replaceChildren(lineChart("每日趋势", days.map((r) => r.key), [
    { name: "工单量", values: days.map((r) => r.tickets_created) },
    { name: "呼入量", values: days.map((r) => r.calls_offered) },
    { name: "接通量", values: days.map((r) => r.calls_answered) },
  ]));
  const tickets = (rows) => rows.filter((r) => r.tickets_created > 0)
    .map((r) => ({ key: r.key, label: r.label, value: r.tickets_created }));
  $("#report-kinds").replaceChildren(barChart("各类型工单量", tickets(by.kind.rows)));
  $("#report-channels").replaceChildren(barChart("各渠道工单量", tickets(by.channel.rows)));
  const ranked = (field) => by.department.rows.filter((r) => r.key && r[field] !== null)
    .map((r) => ({ key: r.key, label: r.label, value: r[field] }))
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label, "zh-CN"));
  const rate = { max: 1, format: (v) => percent(v) };
  $("#report-dept-completion").replaceChildren(hbarChart("各部门按时办结率", ranked("completed_on_time_rate"), rate));
  $("#report-dept-satisfaction").replaceChildren(hbarChart("各部门满意率", ranked("satisfaction_rate"), rate));
  const hot = by.day.top_categories.map((c) => ({ key: c.category, label: c.label, value: c.tickets,
    note: c.change > 0 ? `↑${c.change}` : c.change < 0 ? `↓${-c.change}` : "持平",
    tone: c.change > 0 ? "up" : c.change < 0 ? "down" : null }));
  $("#report-hot").replaceChildren(hbarChart("热点诉求（较上一同长周期）", hot, { wide: true }));
}

const NS = "http://www.w3.org/2000/svg";

// svg builds an SVG element as h() builds HTML ones.
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + "…" : s);

// frame is a chart's <svg>: its title, and an aria-label that reads out
// the figures, for those who cannot see the bars.
function frame(title, figures, width, height, ...body) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart-svg", role: "img",
    "aria-label": figures ? `${title}：${figures}` : `${title}：暂无数据` },
  svg("title", {}, title), ...body,
  figures ? null : svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "chart-empty" }, "暂无数据"));
}

// ceiling is a round maximum for an axis of whole numbers, and its step.
function ceiling(max) {
  const raw = Math.max(1, max) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw));
  return [Math.ceil(Math.max(1, max) / step) * step, step];
}

// lineChart draws series ({name, values}) over days (YYYY-MM-DD).
export function lineChart(title, days, series) {
  const W = 960, H = 260, L = 48, R = 16, T = 34, B = 28;
  const [top, step] = ceiling(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i) => L + (days.length > 1 ? (i * (W - L - R)) / (days.length - 1) : (W - L - R) / 2);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "chart-grid" }),
      svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "chart-axis" }, v));
  }
  const every = Math.ceil(days.length / 12);
  const ticks = days.map((d, i) => (i % every ? null
    : svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "chart-axis" }, d.slice(5))));
  const legend = series.map((s, k) => svg("g", { class: `series-${k}` },
    svg("rect", { x: L + k * 110, y: 6, width: 14, height: 14, class: "chart-key" }),
    svg("text", { x: L + k * 110 + 20, y: 18 }, s.name)));
  const lines = series.map((s, k) => svg("g", { class: `series-${k}`, "data-series": s.name },
    svg("path", { class: "chart-line", d: s.values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("") }),
    // Points to hover while there are few enough to tell apart.
    days.length > 62 ? null : s.values.map((v, i) => svg("circle", { cx: x(i), cy: y(v), r: 3, class: "chart-point" },
      svg("title", {}, `${days[i]} ${s.name} ${v}`)))));
  const figures = days.length ? series.map((s) => `${s.name}合计 ${s.values.reduce((a, b) => a + b, 0)}`).join("，") : "";
  return frame(title, figures, W, H, grid, ticks, legend, lines);
}

// barChart draws items ({key, label, value}) as upright bars.
export function barChart(title, items) {
  const W = 480, H = 230, L = 40, R = 10, T = 22, B = 40;
  const [top, step] = ceiling(Math.max(0, ...items.map((i) => i.value)));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const slot = (W - L - R) / Math.max(1, items.length);
  const bw = Math.min(56, slot * 0.7);
  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "chart-grid" }),
      svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "chart-axis" }, v));
  }
  const bars = items.map((it, i) => {
    const cx = L + slot * (i + 0.5);
    return svg("g", { "data-key": it.key },
      svg("rect", { class: "bar", x: cx - bw / 2, y: y(it.value), width: bw, height: y(0) - y(it.value) },
        svg("title", {}, `${it.label}：${it.value}`)),
      svg("text", { x: cx, y: y(it.value) - 4, "text-anchor": "middle", class: "chart-value" }, it.value),
      svg("text", { x: cx, y: H - B + 16, "text-anchor": "middle" }, clip(it.label, Math.max(2, Math.floor(slot / 13)))));
  });
  return frame(title, items.map((i) => `${i.label} ${i.value}`).join("，"), W, H, grid, bars);
}

// hbarChart draws items ({key, label, value, note, tone}) as ranked
// horizontal bars; max is the full bar (the largest value by default),
// wide a chart across the view, with room for longer labels.
export function hbarChart(title, items, { max, format = String, wide = false } = {}) {
  const W = wide ? 960 : 480, row = 24, T = 6, labelW = wide ? 300 : 150, valueW = 90;
  const H = T * 2 + Math.max(3, items.length) * row;
  const full = max ?? Math.max(1, ...items.map((i) => i.value));
  const bars = items.map((it, i) => {
    const top = T + i * row;
    const w = ((W - labelW - valueW) * it.value) / full;
    return svg("g", { "data-key": it.key },
      svg("text", { x: labelW - 8, y: top + 16, "text-anchor": "end" }, svg("title", {}, it.label), clip(it.label, wide ? 23 : 11)),
      svg("rect", { class: "bar", x: labelW, y: top + 4, width: Math.max(w, 1), height: row - 8 },
        svg("title", {}, `${it.label}：${format(it.value)}${it.note ? " " + it.note : ""}`)),
      svg("text", { x: labelW + w + 6, y: top + 16, class: "chart-value" }, format(it.value),
        it.note ? svg("tspan", { dx: 6, class: it.tone ? `chart-${it.tone}` : null }, it.note) : null));
  });
  const figures = items.map((i) => `${i.label} ${format(i.value)}${i.note ? " " + i.note : ""}`).join("，");
  return frame(title, figures, W, H, bars);
}
