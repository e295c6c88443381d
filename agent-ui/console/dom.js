// Small DOM helpers and the Chinese labels of the API's codes. Server data
// always goes in as text (textContent); the one exception, search snippets,
// goes through snippet(), which keeps only <em>.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h builds an element: h("td", {class: "x", dataset: {id: 1}}, "text", child).
// Strings become text nodes; null and false children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function option(value, text, selected = false) {
  const o = h("option", { value }, text);
  o.selected = selected;
  return o;
}

export function fillSelect(select, entries, { blank } = {}) {
  select.replaceChildren();
  if (blank !== undefined) select.append(option("", blank));
  for (const [value, text] of entries) select.append(option(value, text));
}

// snippet turns a search snippet (HTML-escaped text with <em> marks) into
// DOM nodes. It parses in an inert document, so nothing loads or runs, and
// copies only text and <em> elements.
export function snippet(html) {
  const doc = new DOMParser().parseFromString(`<body>${html ?? ""}</body>`, "text/html");
  const frag = document.createDocumentFragment();
  const walk = (node, into) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) into.append(document.createTextNode(child.textContent));
      else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.tagName === "EM") {
          const em = document.createElement("em");
          em.textContent = child.textContent;
          into.append(em);
        } else walk(child, into);
      }
    }
  };
  walk(doc.body, frag);
  return frag;
}

export const labels = {
  status: { accepted: "已受理", dispatched: "已派单", in_progress: "办理中", returned: "已退单",
    replied: "已答复", closed: "已办结", merged: "已并单", rejected: "不予受理" },
  kind: { consultation: "咨询", help: "求助", complaint: "投诉", report: "举报", suggestion: "建议", praise: "表扬" },
  channel: { phone: "电话", webchat: "网上聊天", web: "网站", api: "接口" },
  urgency: { normal: "一般", utility: "水电气热", urgent: "紧急" },
  state: { ready: "就绪", not_ready: "未就绪", busy: "通话中", wrap_up: "话后处理", offline: "离线" },
  reason: { break: "小休", meal: "用餐", training: "培训", meeting: "会议", missed: "未接" },
  contactChannel: { voice: "语音", chat: "在线" },
  contactStatus: { waiting: "排队中", offered: "振铃中", connected: "通话中", ended: "已结束",
    abandoned: "已放弃", timed_out: "等待超时" },
  withdrawn: { accepted: "已接听", taken: "已被其他坐席接听", declined: "已拒绝", timeout: "超时未接",
    gone: "市民已挂断", max_wait: "等待超时", offline: "坐席已离线" },
  action: { create: "受理", close_directly: "直接办结", dispatch: "派单", sign: "签收", return: "退单",
    request_extension: "申请延期", approve_extension: "批准延期", deny_extension: "驳回延期", reply: "答复",
    urge: "督办", callback: "回访", reopen: "重办", close: "办结", merge: "并单", reject: "不予受理",
    note: "备注", contribute: "协办意见", merged_in: "并入工单", warn: "预警", callback_due: "回访到期",
    notify: "短信通知", call_rated: "话务评价" },
  outcome: { ivr: "自助语音", abandoned: "放弃", answered: "已接听", voicemail: "留言",
    callback_requested: "要求回拨", failed: "失败" },
};

export const label = (group, code) => (code ? labels[group][code] ?? code : "");

// The hotline's UTC offset in minutes, learnt from a time the API gives in
// the hotline's zone (the user's created_at). Times are shown in it, as
// wall-clock times of the hotline, whatever zone the browser or a message
// that sends UTC uses. (No DST in China, so one offset is enough.)
let zoneOffset = null;

export function setZoneFrom(iso) {
  const m = /([+-])(\d\d):?(\d\d)$/.exec(iso || "");
  if (m) zoneOffset = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  else if (/Z$/.test(iso || "")) zoneOffset = 0;
}

// zoned is an RFC 3339 time as "YYYY-MM-DDTHH:MM:SS" in the hotline's zone.
function zoned(iso) {
  const t = Date.parse(iso);
  if (zoneOffset === null || Number.isNaN(t)) return iso;
  return new Date(t + zoneOffset * 60000).toISOString();
}

// when shows a time as "YYYY-MM-DD HH:MM" of the hotline.
export function when(iso) {
  return iso ? zoned(iso).slice(0, 16).replace("T", " ") : "";
}

export function day(iso) {
  return iso ? zoned(iso).slice(0, 10) : "";
}

export function clock(iso) {
  return iso ? zoned(iso).slice(11, 19) : "";
}

// duration formats seconds as mm:ss or h:mm:ss.
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

export function percent(ratio) {
  return ratio === undefined || ratio === null ? "—" : `${Math.round(ratio * 1000) / 10}%`;
}

// deadlineClass says how close a deadline is: "over" when passed, "soon"
// within 24 hours, "" otherwise.
export function deadlineClass(iso, now = Date.now()) {
  if (!iso) return "";
  const left = Date.parse(iso) - now;
  if (left < 0) return "over";
  if (left < 24 * 3600 * 1000) return "soon";
  return "";
}

let toastTimer;
// toast shows a short message in the header, where it covers nothing:
// information for 5 seconds, errors for 15; the × button or Esc dismisses it.
export function toast(message, kind = "info") {
  const el = $("#toast");
  $("#toast-text").textContent = message;
  $("#toast-text").title = message; // the whole text where it is cut short
  el.dataset.kind = kind;
  el.classList.add("shown");
  $("#toast-close").hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(dismissToast, kind === "error" ? 15000 : 5000);
}

// dismissToast hides the message at once.
export function dismissToast() {
  clearTimeout(toastTimer);
  $("#toast").classList.remove("shown");
  $("#toast-text").textContent = "";
  $("#toast-close").hidden = true;
}

// errorText is a user-facing message for an API or websocket error.
export function errorText(err) {
  if (!err) return "";
  if (err.status === 0 || err.code === "network") return "网络错误，请稍后重试";
  return err.message || String(err);
}
