// The progress lookup: a ticket's public steps, by number and phone.
import { call, explain, normalizePhone, localTime } from "./common.js";

const $ = (sel) => document.querySelector(sel);
const form = $("#form");
const error = $("#error");

const kinds = { consultation: "咨询", help: "求助", complaint: "投诉", report: "举报", suggestion: "建议", praise: "表扬" };
const statuses = {
  accepted: "已受理", dispatched: "已派单，等待承办单位签收", in_progress: "办理中", returned: "正在重新派单",
  replied: "已答复，等待回访", closed: "已办结", merged: "已合并办理", rejected: "不予受理",
};

// stepText says one step of the timeline.
function stepText(s, p) {
  switch (s.step) {
    case "accepted": return "12345 热线已受理";
    case "dispatched": return `已派发至${s.department || "承办单位"}`;
    case "signed": return `${s.department || "承办单位"}已签收，正在办理`;
    case "extended": return "办理时限已延长";
    case "replied": return `${s.department || "承办单位"}已答复`;
    case "rated": return "已回访";
    case "reopened": return "重新办理";
    case "closed": return "已办结";
    case "rejected": return s.text ? `不予受理：${s.text}` : "不予受理";
    case "merged": return p.merged_into ? `已并入工单 ${p.merged_into} 一并办理` : "已与相同诉求合并办理";
  }
  return s.step;
}

function fact(id, value) {
  $("#" + id).textContent = value;
  $("#" + id).hidden = !value;
  const label = $("#" + id + "-label");
  if (label) label.hidden = !value;
}

function show(p) {
  $("#r-number").textContent = p.number;
  $("#r-status").textContent = statuses[p.status] || p.status;
  $("#r-title").textContent = p.title;
  $("#r-kind").textContent = kinds[p.kind] || p.kind;
  $("#r-created").textContent = localTime(p.created_at);
  fact("r-dept", p.department);
  fact("r-due", p.due_at && !p.closed_at ? localTime(p.due_at) + " 前" : "");
  fact("r-rating", p.satisfaction ? "★".repeat(p.satisfaction) + "☆".repeat(5 - p.satisfaction) : "");
  $("#r-reply-box").hidden = !p.reply;
  $("#r-reply").textContent = p.reply || "";
  const ol = $("#r-timeline");
  ol.replaceChildren();
  for (const s of p.timeline) {
    const li = document.createElement("li");
    const t = document.createElement("time");
    t.dateTime = s.at;
    t.textContent = localTime(s.at);
    li.append(t, document.createTextNode(stepText(s, p)));
    ol.append(li);
  }
  $("#result").hidden = false;
  $("#result").focus();
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  error.textContent = "";
  $("#result").hidden = true;
  const number = $("#number").value.trim();
  const phone = normalizePhone($("#phone").value);
  if (!/^\d{14,20}$/.test(number)) {
    error.textContent = "请填写受理短信中的工单编号（14 位以上数字）。";
    return $("#number").focus();
  }
  if (phone.length < 7) {
    error.textContent = "请填写提交诉求时留下的手机号码。";
    return $("#phone").focus();
  }
  const button = $("#query");
  button.disabled = true;
  try {
    show(await call(`/tickets/${encodeURIComponent(number)}?phone=${encodeURIComponent(phone)}`));
  } catch (err) {
    error.textContent = explain(err, "没有找到这件工单，请核对工单编号和手机号码。");
  } finally {
    button.disabled = false;
  }
});

const given = new URLSearchParams(location.search).get("number");
if (given) {
  $("#number").value = given;
  $("#phone").focus();
}
