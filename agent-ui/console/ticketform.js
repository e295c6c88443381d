// Recording a ticket (受理): the form, the suggested department, and what
// follows at once: dispatch (派单) or closing directly with a reply (直接办结).
// A consultation answered on the spot is recorded and closed in one step,
// with the reply (often a guide inserted from the knowledge panel) written
// on the form itself.
import { $, h, option, fillSelect, labels, label, when, toast, errorText } from "./dom.js";
import { api, post, action, query } from "./api.js";
import { state, on, emit, departmentName } from "./state.js";
import { setReplyTarget } from "./knowledge.js";

let created = null; // the ticket just recorded
let suggestTimer = null;
let idempotencyKey = ""; // one per filled-in form: a retried submit records one ticket
let resetting = false; // newTicket is resetting the form itself

export function initTicketForm() {
  fillSelect($("#tf-kind"), Object.entries(labels.kind));
  fillSelect($("#tf-channel"), Object.entries(labels.channel));
  fillSelect($("#tf-urgency"), Object.entries(labels.urgency));
  $("#ticket-form").addEventListener("submit", submit);
  // The 清空 button: the fields are reset after the event, so clear the
  // rest after it too. newTicket clears at once, then may fill the form.
  $("#ticket-form").addEventListener("reset", () => resetting || setTimeout(afterReset));
  $("#tf-category").addEventListener("change", suggestSoon);
  $("#tf-region").addEventListener("input", suggestSoon);
  idempotencyKey = crypto.randomUUID();
  $("#dispatch-form").addEventListener("submit", dispatch);
  $("#close-form").addEventListener("submit", closeDirectly);
  $("#created-new").addEventListener("click", () => newTicket(true));
  on("contact:accepted", ({ contact, offer }) => fillFromContact(contact, offer, true));
  on("contact:fill", ({ contact, offer }) => fillFromContact(contact, offer, false));
  on("reference:loaded", loadChoices);
}

// loadChoices fills the category and region choices from the reference data.
function loadChoices() {
  const sel = $("#tf-category");
  sel.replaceChildren(option("", "（请选择分类）"));
  for (const c of state.catalogue) {
    const kids = c.children || [];
    if (!kids.length) {
      sel.append(option(c.code, c.name));
      continue;
    }
    const group = h("optgroup", { label: c.name });
    group.append(option(c.code, `${c.name}（其他）`));
    for (const s of kids) group.append(option(s.code, s.name));
    sel.append(group);
  }
  const regions = [...new Set(state.departments.map((d) => d.region).filter(Boolean))].sort();
  $("#tf-regions").replaceChildren(...regions.map((r) => option(r, r)));
}

// newTicket shows an empty form (Alt+T) and focuses its first field.
export function newTicket(clear) {
  if (clear) {
    resetting = true;
    $("#ticket-form").reset();
    resetting = false;
    afterReset();
  }
  created = null;
  $("#created").hidden = true;
  $("#ticket-form").hidden = false;
  $("#tf-kind").focus();
}

function afterReset() {
  idempotencyKey = crypto.randomUUID();
  $("#tf-call-id").value = "";
  $("#tf-chat-id").value = "";
  $("#tf-guide-code").value = "";
  $("#tf-guide-label").textContent = "无";
  $("#tf-link").textContent = "";
  $("#tf-suggest").replaceChildren();
  $("#tf-error").textContent = "";
}

// fillFromContact pre-fills the form for an accepted call or chat.
function fillFromContact(contact, offer, fresh) {
  if (fresh || !$("#created").hidden) newTicket(true);
  // The server maps routing's channel to the ticket's (ticket_channel).
  const channel = contact.ticket_channel || offer?.ticket_channel || "";
  const caller = contact.caller || offer?.caller || "";
  const ref = contact.ref || offer?.ref || "";
  $("#tf-channel").value = channel || "phone";
  if (channel === "phone" || /^[+\d][\d\s()-]{5,}$/.test(caller)) $("#tf-phone").value = caller;
  else if (!$("#tf-name").value) $("#tf-name").value = caller;
  $("#tf-call-id").value = channel === "phone" ? ref : "";
  $("#tf-chat-id").value = channel === "webchat" ? ref : "";
  $("#tf-link").textContent = ref ? `关联${channel === "webchat" ? "会话" : "通话"}：${ref}` : "";
  // The IVR's queues are named after the kinds they take (consultation, complaint, suggestion).
  const q = offer?.queue || contact.queue || "";
  if (Object.hasOwn(labels.kind, q)) $("#tf-kind").value = q;
  $("#tf-title").focus();
}

function formBody() {
  const f = new FormData($("#ticket-form"));
  const text = (k) => String(f.get(k) ?? "").trim();
  const body = {
    kind: text("kind"), channel: text("channel"), urgency: text("urgency") || "normal",
    title: text("title"), content: text("content"),
    citizen: { name: text("name"), phone: text("phone"), id_number: text("id_number"), address: text("address") },
    confidential: $("#tf-confidential").checked,
    category: text("category"), region: text("region"),
  };
  if (text("call_id")) body.call_id = text("call_id");
  if (text("chat_id")) body.chat_id = text("chat_id");
  return body;
}

// submit records the ticket; "登记并直接办结" then closes it with the reply.
async function submit(ev) {
  ev.preventDefault();
  const closing = ev.submitter?.id === "tf-submit-close";
  const reply = $("#tf-reply").value.trim();
  const guide = $("#tf-guide-code").value;
  $("#tf-error").textContent = "";
  if (closing && !reply) {
    $("#tf-error").textContent = "直接办结需要答复内容：请填写或从知识库插入答复";
    $("#tf-reply").focus();
    return;
  }
  const buttons = [$("#tf-submit"), $("#tf-submit-close")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    created = await post("/tickets", formBody(), { "Idempotency-Key": idempotencyKey });
  } catch (err) {
    $("#tf-error").textContent = "登记失败：" + errorText(err);
    buttons.forEach((b) => (b.disabled = false));
    return;
  }
  buttons.forEach((b) => (b.disabled = false));
  emit("ticket:changed", created.id);
  showCreated({ reply, guide, guideLabel: $("#tf-guide-label").textContent });
  if (closing) await closeWith(reply, guide);
}

// showCreated shows what may follow the recording: the reply typed on the
// form goes into the close form, so nothing written is lost.
function showCreated(carry) {
  $("#ticket-form").hidden = true;
  $("#created").hidden = false;
  $("#created-number").textContent = created.number;
  $("#created-status").textContent = label("status", created.status);
  $("#created-error").textContent = "";
  showWhere();
  const done = created.status !== "accepted";
  $("#dispatch-form").hidden = done;
  $("#close-form").hidden = done;
  if (done) {
    $("#created-new").focus();
    return;
  }
  if (carry) {
    $("#close-form").reset();
    $("#close-reply").value = carry.reply || "";
    $("#close-guide-code").value = carry.guide || "";
    $("#close-guide-label").textContent = carry.guide ? carry.guideLabel : "无";
  }
  setReplyTarget($("#close-reply"));
  fillDepartments(created.category, created.region);
  $("#dispatch-department").focus();
}

// showWhere says on the card where the ticket went, or how it ended.
function showWhere() {
  const where = $("#created-where");
  where.hidden = true;
  if (created.department) {
    where.textContent = `承办单位：${departmentName(created.department)}` +
      (created.sign_due_at ? `，签收时限 ${when(created.sign_due_at)}` : "") +
      (created.due_at ? `，办结时限 ${when(created.due_at)}` : "");
    where.hidden = false;
  } else if (created.status === "closed") {
    where.textContent = "已当场答复并办结" + (created.guide_code ? `（引用指南 ${created.guide_code}）` : "");
    where.hidden = false;
  }
}

// fillDepartments lists the suggested departments first, then every one.
// Only a single suggestion is pre-selected: where several could be
// responsible (the city's bureau or the district's), the agent chooses.
async function fillDepartments(category, region) {
  const sel = $("#dispatch-department");
  const suggested = category ? await suggest(category, region) : [];
  sel.replaceChildren(option("", "（请选择承办单位）"));
  if (suggested.length) {
    const g = h("optgroup", { label: "建议" });
    suggested.forEach((code) => g.append(option(code, departmentName(code))));
    sel.append(g);
  }
  const all = h("optgroup", { label: "全部单位" });
  for (const d of state.departments) if (!suggested.includes(d.code)) all.append(option(d.code, d.name));
  sel.append(all);
  sel.value = suggested.length === 1 ? suggested[0] : "";
}

async function suggest(category, region) {
  try {
    const r = await api("/catalogue/suggest" + query({ category, region }));
    return r.departments || [];
  } catch {
    return [];
  }
}

function suggestSoon() {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(async () => {
    const category = $("#tf-category").value;
    const out = $("#tf-suggest");
    if (!category) return out.replaceChildren();
    const codes = await suggest(category, $("#tf-region").value.trim());
    out.replaceChildren();
    if (!codes.length) return;
    out.append("建议承办单位：", ...codes.slice(0, 4).flatMap((c, i) => [i ? "、" : "", h("span", { "data-code": c }, departmentName(c))]));
  }, 250);
}

async function dispatch(ev) {
  ev.preventDefault();
  const department = $("#dispatch-department").value;
  if (!department) {
    $("#created-error").textContent = "请选择承办单位";
    $("#dispatch-department").focus();
    return;
  }
  await finish(() => action(created.id, "dispatch", { department }), `已派单至 ${departmentName(department)}`);
}

async function closeDirectly(ev) {
  ev.preventDefault();
  const reply = $("#close-reply").value.trim();
  if (!reply) return ($("#created-error").textContent = "请填写答复内容");
  await closeWith(reply, $("#close-guide-code").value);
}

function closeWith(reply, guide) {
  const body = { reply };
  if (guide) body.guide_code = guide;
  return finish(() => action(created.id, "close_directly", body), "已直接办结");
}

async function finish(run, message) {
  $("#created-error").textContent = "";
  for (const b of $("#created").querySelectorAll("button")) b.disabled = true;
  try {
    created = await run();
    toast(`${created.number} ${message}`);
    showCreated(null);
    emit("ticket:changed", created.id);
  } catch (err) {
    $("#created-error").textContent = "操作失败：" + errorText(err);
  } finally {
    for (const b of $("#created").querySelectorAll("button")) b.disabled = false;
  }
}
