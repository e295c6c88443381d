// The workflow actions a ticket offers: which role may take each in which
// status (as docs/openapi.yaml says the server enforces), and the fields
// of each action's body.
import { h, option, labels } from "./dom.js";
import { state } from "./state.js";

const STAFF = ["admin", "supervisor", "agent"];
const OVERSEERS = ["admin", "supervisor"];
const DEPT = ["department"];
const ALL = [...STAFF, ...DEPT];

// What the server accepts as an attachment (it checks the content itself).
const ATTACHABLE = "image/jpeg,image/png,image/webp,image/gif,application/pdf";
export const MAX_FILES = 20;

// The citizen's answer at callback (回访), one choice: the server stores
// the score it maps to and counts 满意 and 基本满意 as satisfied
// (docs/indicators.md). [value, label, what it records]
const CALLBACK_RESULTS = [["satisfied", "满意", "5 分"], ["basically_satisfied", "基本满意", "3 分"],
  ["unsatisfied", "不满意", "1 分，可重办"]];

// A field is [name, label, kind, options]; kind is text, textarea,
// reply (a textarea the knowledge panel can fill), number, choice (one of
// options.choices, as radio buttons), department, guide (the hidden
// guide_code) or files (uploaded before the action, which then names them
// in "attachments").
export const ACTIONS = [
  { name: "dispatch", roles: STAFF, from: ["accepted", "returned"], primary: true,
    fields: [["department", "承办单位", "department", { required: true }]] },
  { name: "close_directly", roles: STAFF, from: ["accepted"],
    fields: [["reply", "答复内容", "reply", { required: true, max: 5000 }], ["guide_code", "", "guide"]] },
  { name: "sign", roles: DEPT, from: ["dispatched"], lead: true, primary: true, fields: [] },
  { name: "reply", roles: DEPT, from: ["in_progress"], lead: true, primary: true,
    fields: [["reply", "答复内容", "reply", { required: true, max: 5000 }], ["attachments", "附件", "files"]] },
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
    fields: [["result", "回访结果", "choice", { required: true, choices: CALLBACK_RESULTS }],
      ["note", "回访记录", "textarea", { max: 2000 }]] },
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
    if (kind === "files") {
      out.push(h("label", { for: id }, text),
        h("input", { id, name, type: "file", multiple: true, accept: ATTACHABLE, "aria-describedby": `${id}-hint` }),
        h("p", { class: "muted", id: `${id}-hint` }, `图片（JPEG、PNG、WebP、GIF）或 PDF，每个不超过 10 MB，最多 ${MAX_FILES} 个`));
      continue;
    }
    if (kind === "choice") {
      out.push(h("fieldset", { id, class: "cb-choice" }, h("legend", {}, text),
        ...opt.choices.map(([value, choice, hint]) => h("label", { class: "check" },
          h("input", { type: "radio", name, value, required: opt.required, "data-choice": value }), " ", choice,
          hint ? h("span", { class: "muted" }, `（${hint}）`) : null))));
      continue;
    }
    out.push(h("label", { for: id }, text));
    if (kind === "textarea" || kind === "reply") {
      out.push(h("textarea", { id, name, rows: kind === "reply" ? 6 : 3, required: opt.required,
        maxlength: opt.max, class: kind === "reply" ? "reply-box" : null }));
    } else if (kind === "number") {
      out.push(h("input", { id, name, type: "number", required: opt.required, min: opt.min, max: opt.max, value: opt.min }));
    } else if (kind === "department") {
      const sel = h("select", { id, name, required: true }, option("", "（请选择承办单位）"));
      // Nothing is pre-selected: a returned ticket usually goes elsewhere.
      for (const d of state.departments) sel.append(option(d.code, d.code === t.department ? `${d.name}（原承办单位）` : d.name));
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
    if (kind === "files") continue; // uploaded by the caller first
    if (kind === "number") out[name] = Number(el.value);
    else {
      const v = el.value.trim();
      if (v || a.fields.find((f) => f[0] === name)?.[3]?.required) out[name] = v;
    }
  }
  return out;
}

export const actionLabel = (name) => labels.action[name] || name;

// answerOf is the callback answer a score stands for (docs/indicators.md):
// 4–5 满意, 3 基本满意, 1–2 不满意; "" without a score.
export function answerOf(score) {
  if (!score) return "";
  return score >= 4 ? "满意" : score === 3 ? "基本满意" : "不满意";
}

// callbackText is a callback event's detail in the history: the answer
// and the score it recorded, then the note ("基本满意（3 分）：…"). Events
// from before the answer was recorded name the answer of their score.
export function callbackText(p) {
  const answer = CALLBACK_RESULTS.find(([value]) => value === p.result)?.[1] || answerOf(p.satisfaction);
  const head = answer ? `${answer}（${p.satisfaction} 分）` : "";
  return p.note ? `${head}：${p.note}` : head;
}
