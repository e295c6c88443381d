// The voice menu view (admins): the IVR's keys, what each says on the
// console, what each does (wait in a queue, or the ticket progress
// lookup, after which 0 waits in the queue) and which queue it leads to, the fallback queue, and the
// prompts, each built in or replaced by the city's own recording. Saves
// apply from the next call on.
import { $, h, option, errorText, toast } from "./dom.js";
import { api } from "./api.js";
import { on } from "./state.js";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "0", "*", "#"];
const ACTIONS = [["queue", "转队列"], ["progress", "进度查询"]];
let queues = [];
let prompts = [];

export function initIVR() {
  $("#ivr-add").addEventListener("click", () => $("#ivr-rows").append(row({ key: "", label: "", prompt: "", queue: "", action: "queue" })));
  $("#ivr-form").addEventListener("submit", save);
  on("view:shown", (name) => name === "ivr" && load());
}

async function load() {
  try {
    const [menu, qs, ps] = await Promise.all([api("/ivr/menu"), api("/routing/queues"), api("/ivr/prompts")]);
    queues = (Array.isArray(qs) ? qs : qs?.items || []).map((q) => [q.name, q.title || q.name]);
    prompts = ps.items || [];
    $("#ivr-rows").replaceChildren(...menu.choices.map(row));
    fill($("#ivr-fallback"), queues, menu.fallback);
    showPrompts();
    $("#ivr-error").textContent = "";
  } catch (err) {
    toast("语音导航加载失败：" + errorText(err), "error");
  }
}

function fill(select, entries, value, blank) {
  select.replaceChildren(...(blank !== undefined ? [option("", blank)] : []), ...entries.map(([v, t]) => option(v, t, v === value)));
}

function row(c) {
  const key = h("select", { "aria-label": "按键", dataset: { field: "key" } });
  fill(key, KEYS.map((k) => [k, k]), c.key, "（按键）");
  const action = h("select", { "aria-label": "动作", dataset: { field: "action" } });
  fill(action, ACTIONS, c.action || "queue");
  const queue = h("select", { "aria-label": "队列", dataset: { field: "queue" } });
  fill(queue, queues, c.queue, "（队列）");
  const prompt = h("select", { "aria-label": "提示音", dataset: { field: "prompt" } });
  fill(prompt, prompts.map((p) => [p.name, p.name]), c.prompt || "", "（无）");
  const label = h("input", { "aria-label": "说明", maxlength: "40", value: c.label || "", dataset: { field: "label" } });
  const tr = h("tr", { dataset: { key: c.key } },
    h("td", {}, key), h("td", {}, label), h("td", {}, action), h("td", {}, queue), h("td", {}, prompt),
    h("td", {}, h("button", { type: "button", onclick: () => tr.remove() }, "删除")));
  return tr;
}

async function save(ev) {
  ev.preventDefault();
  const field = (tr, name) => tr.querySelector(`[data-field="${name}"]`).value;
  const choices = [...$("#ivr-rows").children].map((tr) =>
    ({ key: field(tr, "key"), label: field(tr, "label").trim(), action: field(tr, "action"), queue: field(tr, "queue"),
      prompt: field(tr, "prompt") }));
  try {
    const menu = await api("/ivr/menu", { method: "PUT", body: { choices, fallback: $("#ivr-fallback").value } });
    $("#ivr-rows").replaceChildren(...menu.choices.map(row));
    $("#ivr-error").textContent = "";
    toast("语音导航已保存，下一通来电起生效");
  } catch (err) {
    $("#ivr-error").textContent = errorText(err);
  }
}

function showPrompts() {
  $("#prompt-rows").replaceChildren(...prompts.map((p) => {
    const file = h("input", { type: "file", accept: "audio/wav,.wav", "aria-label": `上传 ${p.name}` });
    file.addEventListener("change", () => file.files[0] && upload(p.name, file.files[0]));
    return h("tr", { dataset: { prompt: p.name, recorded: String(!!p.recorded) } },
      h("td", {}, p.name),
      h("td", {}, p.recorded ? "自录" : "内置", p.problem ? h("span", { class: "error" }, `（${p.problem}）`) : ""),
      h("td", {}, file, p.recorded ? h("button", { type: "button", onclick: () => remove(p.name) }, "恢复内置") : ""));
  }));
}

async function upload(name, f) {
  try {
    const resp = await fetch(`/api/v1/ivr/prompts/${encodeURIComponent(name)}`,
      { method: "PUT", credentials: "same-origin", headers: { "Content-Type": "audio/wav" }, body: f });
    if (!resp.ok) {
      const e = await resp.json().catch(() => ({}));
      throw new Error(e?.error?.message || `服务器错误（${resp.status}）`);
    }
    toast(`提示音 ${name} 已更新`);
  } catch (err) {
    toast(`上传失败：${err.message}`, "error");
  }
  load();
}

async function remove(name) {
  try {
    await api(`/ivr/prompts/${encodeURIComponent(name)}`, { method: "DELETE", body: {} }); // JSON: the cookie's CSRF rule
    toast(`提示音 ${name} 已恢复内置`);
  } catch (err) {
    toast("恢复失败：" + errorText(err), "error");
  }
  load();
}
