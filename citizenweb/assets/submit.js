// The web form: a phone proven by an SMS code, then the ticket.
import { call, explain, normalizePhone, isMobile } from "./common.js";

const $ = (sel) => document.querySelector(sel);
const form = $("#form");
const error = $("#error");
const sendCode = $("#send-code");

// newKey draws a random key (crypto.randomUUID needs HTTPS; this does not).
function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// One key per filled-in form: a retry after a lost answer returns the
// same ticket instead of a second one.
let idempotencyKey = newKey();

function fail(msg, field) {
  error.textContent = msg;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

function clearErrors() {
  error.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

$("#content").addEventListener("input", () => {
  $("#content-count").textContent = String($("#content").value.length);
});

// countdown keeps the code button off until another code may be sent.
function countdown(seconds) {
  sendCode.disabled = true;
  const tick = () => {
    if (seconds <= 0) {
      sendCode.disabled = false;
      sendCode.textContent = "获取验证码";
      return;
    }
    sendCode.textContent = `${seconds} 秒后重发`;
    seconds--;
    setTimeout(tick, 1000);
  };
  tick();
}

sendCode.addEventListener("click", async () => {
  clearErrors();
  const phone = normalizePhone($("#phone").value);
  if (!isMobile(phone)) return fail("请填写 11 位手机号码，验证码将通过短信发送。", $("#phone"));
  sendCode.disabled = true;
  try {
    await call("/verify", { method: "POST", body: { phone } });
    error.textContent = "";
    $("#code").focus();
    countdown(60);
  } catch (err) {
    sendCode.disabled = false;
    fail(explain(err), err.status === 400 ? $("#phone") : null);
  }
});

function check() {
  const required = [
    ["#title", "请填写标题。"],
    ["#content", "请填写详细内容。"],
    ["#name", "请填写姓名。"],
  ];
  for (const [sel, msg] of required) {
    if (!$(sel).value.trim()) return fail(msg, $(sel)), false;
  }
  if (!isMobile(normalizePhone($("#phone").value))) return fail("请填写正确的 11 位手机号码。", $("#phone")), false;
  if (!/^\d{6}$/.test($("#code").value.trim())) return fail("请填写短信中的 6 位验证码。", $("#code")), false;
  return true;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearErrors();
  if (!check()) return;
  const submit = $("#submit");
  submit.disabled = true;
  submit.textContent = "正在提交…";
  const body = {
    kind: $("#kind").value,
    title: $("#title").value.trim(),
    content: $("#content").value.trim(),
    citizen: { name: $("#name").value.trim(), phone: normalizePhone($("#phone").value), address: $("#address").value.trim() },
    region: $("#region").value.trim(),
    confidential: $("#confidential").checked,
    code: $("#code").value.trim(),
  };
  try {
    const out = await call("/tickets", { method: "POST", body, headers: { "Idempotency-Key": idempotencyKey } });
    $("#number").textContent = out.number;
    $("#progress-link").href = "/progress?number=" + encodeURIComponent(out.number);
    form.hidden = true;
    $("#done").hidden = false;
    $("#done").focus();
  } catch (err) {
    fail(explain(err), /verification code/i.test(err.message) ? $("#code") : null);
  } finally {
    submit.disabled = false;
    submit.textContent = "提交";
  }
});

$("#again").addEventListener("click", () => {
  form.reset();
  idempotencyKey = newKey();
  $("#content-count").textContent = "0";
  $("#done").hidden = true;
  form.hidden = false;
  $("#kind").focus();
});
