// The workflow actions a ticket offers: which role may take each in which
// status (as docs/openapi.yaml says the server enforces), and the fields
// of each action's body.
import { h, option, labels } from "./dom.js";
import { state } from "./state.js";

const STAFF = ["admin", "supervisor", "agent"];
const OVERSEERS = ["admin", "supervisor"];
const DEPT = ["department"];
const ALL = [...STAFF, ...DEPT];

// A field is [name, label, kind, options]; kind is text, textarea,
// reply (a textarea the knowledge panel can fill), number, bool, rating,
// department or guide (the hidden guide_code).
export const ACTIONS = [
  { name: "dispatch", roles: STAFF, from: ["accepted", "returned"], primary: true,
    fields: [["department", "承办单位", "department", { required: true }]] },
  { name: "close_directly", roles: STAFF, from: ["accepted"],
    fields: [["reply", "答复内容", "reply", { required: true, max: 5000 }], ["guide_code", "", "guide"]] },
  { name: "sign", roles: DEPT, from: ["dispatched"], lead: true, primary: true, fields: [] },
  { name: "reply", roles: DEPT, from: ["in_progress"], lead: true, primary: true,
    fields: [["reply", "答复内容", "reply", { required: true, max: 5000 }]] },
  { name: "return", roles: DEPT, from: ["dispatched", "in_progress"], lead: true,
    fields: [["reason", "退单理由", "textarea", { required: true, max: 1000 }]] },
  { name: "request_extension", roles: DEPT, from: ["dispatched", "in_progress"], lead: true,
    when: (t) => !t.pending_extension,
    fields: [["days", "延期天数（工作日）", "number", { required: true, min: 1, max: 60 }],
      ["reason", "延期理由", "textarea", { required: true, max: 1000 }]] },
  { name: "contribute", roles: DEPT, from: ["dispatched", "in_progress"], supporting: true,
    fields: [["text", "协办意见", "textarea", { required: true, max: 5000 }]] },
  { name: "approve_extension", roles: OVERSEERS, from: ["dispatched", "in_progress"],
    when: (t) => !!t.pending_extension, fields: [] },
  { name: "deny_extension", roles: OVERSEERS, from: ["dispatched", "in_progress"],
    when: (t) => !!t.pending_extension,
    fields: [["reason", "驳回理由", "textarea", { required: true, max: 1000 }]] },
  { name: "urge", roles: OVERSEERS, from: ["dispatched", "in_progress"],
    fields: [["note", "督办意见", "textarea", { max: 2000 }]] },
  { name: "callback", roles: STAFF, from: ["replied"],
    fields: [["satisfaction", "满意度（1–5）", "rating", { required: true }],
      ["satisfied", "市民表示满意", "bool"], ["note", "回访记录", "textarea", { max: 2000 }]] },
  { name: "close", roles: STAFF, from: ["replied"],
    when: (t) => t.satisfied !== false || state.me.role !== "agent",
    fields: [["note", "办结说明", "textarea", { max: 2000 }]] },
  { name: "reopen", roles: STAFF, from: ["replied"], when: (t) => t.satisfied === false,
    fields: [["reason", "重办理由", "textarea", { required: true, max: 1000 }]] },
  { name: "merge", roles: STAFF, from: ["accepted", "returned"],
    fields: [["into", "并入工单（工单号）", "text", { required: true }]] },
  { name: "reject", roles: STAFF, from: ["accepted", "returned"],
    fields: [["reason", "不予受理理由", "textarea", { required: true, max: 1000 }]] },
  { name: "note", roles: ALL, from: null, fields: [["text", "备注内容", "textarea", { required: true, max: 2000 }]] },
];

// available lists the actions the current user may take on ticket t now.
export function available(t) {
  const me = state.me;
  return ACTIONS.filter((a) => {
    if (!a.roles.includes(me.role)) return false;
    if (a.from && !a.from.includes(t.status)) return false;
    if (a.lead && t.department !== me.department) return false;
    if (a.supporting && !(t.co_departments || []).includes(me.department)) return false;
    if (a.when && !a.when(t)) return false;
    return true;
  });
}

// formFields builds the inputs of an action's form.
export function formFields(a, t) {
  const out = [];
  for (const [name, text, kind, opt = {}] of a.fields) {
    const id = `af-${name}`;
    if (kind === "guide") {
      out.push(h("input", { type: "hidden", name, id }),
        h("p", { class: "muted" }, "引用办事指南：", h("span", { "data-guide-label": true }, "无")));
      continue;
    }
    if (kind === "bool") {
      out.push(h("label", { class: "check" }, h("input", { type: "checkbox", name, id, checked: true }), " ", text));
      continue;
    }
    out.push(h("label", { for: id }, text));
    if (kind === "textarea" || kind === "reply") {
      out.push(h("textarea", { id, name, rows: kind === "reply" ? 6 : 3, required: opt.required,
        maxlength: opt.max, class: kind === "reply" ? "reply-box" : null }));
    } else if (kind === "number") {
      out.push(h("input", { id, name, type: "number", required: opt.required, min: opt.min, max: opt.max, value: opt.min }));
    } else if (kind === "rating") {
      const sel = h("select", { id, name, required: true });
      for (let i = 5; i >= 1; i--) sel.append(option(String(i), `${i} 分`));
      out.push(sel);
    } else if (kind === "department") {
      const sel = h("select", { id, name, required: true }, option("", "（请选择承办单位）"));
      for (const d of state.departments) sel.append(option(d.code, d.name, d.code === t.department));
      out.push(sel);
    } else {
      out.push(h("input", { id, name, required: opt.required, maxlength: opt.max }));
    }
  }
  return out;
}

// body reads an action's form into the JSON body.
export function body(a, form) {
  const out = {};
  for (const [name, , kind] of a.fields) {
    const el = form.elements[name];
    if (!el) continue;
    if (kind === "bool") out[name] = el.checked;
    else if (kind === "number" || kind === "rating") out[name] = Number(el.value);
    else {
      const v = el.value.trim();
      if (v || a.fields.find((f) => f[0] === name)?.[3]?.required) out[name] = v;
    }
  }
  return out;
}

export const actionLabel = (name) => labels.action[name] || name;
