// Outbound calls (回拨, 电话回访): the agent asks the hotline to call a
// citizen back about a missed call, a call record or a ticket. The
// hotline rings the agent's registered phone first, then the citizen's;
// the console then shows the call as a connected 外呼 contact (agent.js).
import { toast, errorText } from "./dom.js";
import { post } from "./api.js";
import { emit } from "./state.js";

// outboundReason is what a refusal of POST /calls/outbound means, in the
// agent's words; the server's own message follows it in the notice.
export function outboundReason(err) {
  const msg = String(err?.message || "");
  switch (err?.code) {
    case "rate_limited": return "今日已达上限：该号码今日呼叫次数已满，请明日再拨";
    case "forbidden": return "只有坐席可以外呼";
    case "not_found": return "要回拨的记录不存在";
    case "unavailable": return "暂无可用的外呼线路";
    case "invalid": return /phone number/i.test(msg) ? "没有可回拨的号码" : "回拨请求无效";
    case "conflict":
      if (/hour/i.test(msg)) return "不在回访时段";
      if (/not waiting/i.test(msg)) return "该来电已不在等待回拨（可能已有坐席在处理）";
      if (/no phone/i.test(msg)) return "未注册话机，无法外呼";
      if (/busy|ringing/i.test(msg)) return "坐席正在通话或有来电振铃，请稍后再拨";
      if (/not logged in/i.test(msg)) return "坐席未签入";
      return "当前无法外呼";
    default: return "";
  }
}

// outboundError is the whole notice: the reason, then the server's text.
export function outboundError(err) {
  const reason = outboundReason(err);
  const text = errorText(err);
  return reason && text && text !== reason ? `${reason}（${text}）` : reason || text;
}

// placeCall posts the request with button disabled meanwhile; it returns
// the call's record, or null after showing the refusal as an error (in
// the header's notice, and in errorEl, the view's error line, if given).
export async function placeCall(body, button, errorEl) {
  if (button) button.disabled = true;
  if (errorEl) errorEl.textContent = "";
  try {
    const call = await post("/calls/outbound", body);
    toast(`正在外呼 ${call.callee}：请先接起话机，接通后拨打市民电话`);
    emit("outbound:placed", call); // the desk shows the call (app.js)
    return call;
  } catch (err) {
    const text = "外呼失败：" + outboundError(err);
    toast(text, "error");
    if (errorEl) errorEl.textContent = text;
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}
