// The knowledge panel: search the matter guides (办事指南) as you type, read
// one, and insert its summary into the reply being written, remembering
// its code as the reply's guide_code.
import { $, h, snippet, toast, errorText } from "./dom.js";
import { api, query } from "./api.js";
import { departmentName } from "./state.js";

const DEBOUNCE = 200;
let timer = null;
let seq = 0; // answers to older queries are dropped
let guide = null; // the guide on screen
let replyTarget = null; // the reply box the last insert goes to

export function initKnowledge() {
  const input = $("#kb-search");
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value), DEBOUNCE);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      clearTimeout(timer);
      search(input.value);
    } else if (ev.key === "ArrowDown") {
      ev.preventDefault();
      $("#kb-results button")?.focus();
    } else if (ev.key === "Escape") {
      input.blur();
    }
  });
  $("#kb-results").addEventListener("keydown", listKeys);
  $("#guide-insert").addEventListener("click", insert);
  $("#guide-close").addEventListener("click", () => {
    $("#guide").hidden = true;
    $("#kb-results").hidden = false;
    $("#kb-results button")?.focus();
  });
  // The reply box the agent worked in last is where a guide goes.
  document.addEventListener("focusin", (ev) => {
    if (ev.target.matches?.("textarea.reply-box")) replyTarget = ev.target;
  });
}

// focusSearch is the "/" shortcut.
export function focusSearch() {
  const input = $("#kb-search");
  input.focus();
  input.select();
}

// setReplyTarget names the reply box a guide is inserted into.
export function setReplyTarget(textarea) {
  replyTarget = textarea;
}

async function search(text) {
  const q = text.trim();
  const mine = ++seq;
  const status = $("#kb-status");
  if (!q) {
    $("#kb-results").replaceChildren();
    status.textContent = "";
    return;
  }
  status.textContent = "搜索中…";
  try {
    const res = await api("/guides/search" + query({ q, limit: 10 }));
    if (mine !== seq) return;
    showResults(res);
  } catch (err) {
    if (mine !== seq) return;
    status.textContent = "搜索失败：" + errorText(err);
  }
}

function showResults(res) {
  const hits = res.hits || [];
  $("#kb-status").textContent = hits.length ? `共 ${res.total ?? hits.length} 条（${res.took_ms ?? 0} 毫秒）` : "没有找到相关指南";
  $("#guide").hidden = true;
  const list = $("#kb-results");
  list.hidden = false;
  list.replaceChildren(...hits.map((hit) => h("li", { "data-test": "kb-hit", "data-code": hit.code },
    h("button", { type: "button", class: "hit", onclick: () => openGuide(hit.code) },
      h("strong", {}, hit.name),
      h("span", { class: "muted" }, ` ${departmentName(hit.department)}`)),
    h("p", { class: "snippet" }, snippet(hit.snippet)))));
}

function listKeys(ev) {
  const items = [...$("#kb-results").querySelectorAll("button.hit")];
  const i = items.indexOf(document.activeElement);
  if (ev.key === "ArrowDown" && i < items.length - 1) {
    ev.preventDefault();
    items[i + 1].focus();
  } else if (ev.key === "ArrowUp") {
    ev.preventDefault();
    if (i > 0) items[i - 1].focus();
    else $("#kb-search").focus();
  }
}

// openGuide shows every field of one guide.
export async function openGuide(code) {
  let g;
  try {
    g = await api(`/guides/${encodeURIComponent(code)}`);
  } catch (err) {
    toast("打开指南失败：" + errorText(err), "error");
    return;
  }
  guide = g;
  $("#guide-name").textContent = g.name;
  const dl = $("#guide-fields");
  dl.replaceChildren();
  const materials = (g.materials || []).map((m) => `${m.name}${m.form ? `（${m.form}）` : ""}${m.copies > 1 ? ` ×${m.copies}` : ""}`);
  const fields = [
    ["事项编码", g.code], ["主管部门", departmentName(g.department)], ["分类", g.category],
    ["受理范围", g.scope], ["受理条件", g.conditions], ["申请材料", materials],
    ["办理流程", g.process], ["办理时限", g.time_limit], ["收费", g.fee], ["办理地点", g.location],
    ["办公时间", g.hours], ["咨询电话", g.phone], ["法律依据", g.legal_basis], ["网上办理", g.online_url],
    ["关键词", (g.keywords || []).join("、")], ["更新时间", (g.updated_at || "").slice(0, 10)],
  ];
  for (const [k, v] of fields) {
    if (!v || (Array.isArray(v) && !v.length)) continue;
    const dd = h("dd", { "data-field": k });
    if (Array.isArray(v)) dd.append(h("ul", {}, v.map((x) => h("li", {}, x))));
    else dd.textContent = v; // online_url stays text: a guide is data, not markup
    dl.append(h("dt", {}, k), dd);
  }
  $("#kb-results").hidden = true;
  $("#guide").hidden = false;
  // The search box and the guide's title stay in view while it is read.
  const panel = $("#knowledge");
  panel.style.setProperty("--kb-head", `${$(".kb-head").offsetHeight}px`);
  panel.scrollTop = 0;
  $("#guide-insert").focus({ preventScroll: true });
}

// summary is what "插入答复" writes: the essentials a citizen needs.
function summary(g) {
  const lines = [`【${g.name}】`];
  const add = (k, v) => v && lines.push(`${k}：${v}`);
  add("受理条件", g.conditions);
  const mats = (g.materials || []).map((m, i) => `${i + 1}. ${m.name}${m.copies > 1 ? ` ${m.copies}份` : ""}`);
  if (mats.length) lines.push("所需材料：", ...mats);
  add("办理时限", g.time_limit);
  add("办理地点", g.location);
  add("咨询电话", g.phone);
  return lines.join("\n");
}

function visible(el) {
  return el && el.isConnected && el.getClientRects().length > 0;
}

function insert() {
  if (!guide) return;
  let box = visible(replyTarget) ? replyTarget : [...document.querySelectorAll("textarea.reply-box")].find(visible);
  if (!box) {
    toast("没有可插入的答复框：请在坐席工作台新建工单，或打开工单的答复表单", "error");
    return;
  }
  // A chat gets the guide's name and its public page; tickets the summary.
  const text = box.dataset.insert === "link" ? `《${guide.name}》${location.origin}/guides/${encodeURIComponent(guide.code)}` : summary(guide);
  box.value = box.value.trim() ? `${box.value.trimEnd()}\n\n${text}` : text;
  const code = box.form?.querySelector("input[name=guide_code]");
  if (code) {
    code.value = guide.code;
    const lbl = box.form.querySelector("[data-guide-label]");
    if (lbl) lbl.textContent = `${guide.name}（${guide.code}）`;
  }
  box.dispatchEvent(new Event("input", { bubbles: true }));
  box.focus();
  toast(`已插入《${guide.name}》`);
}
