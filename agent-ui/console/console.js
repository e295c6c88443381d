// A minimal staff console on the JSON API: log in, list and search tickets,
// read a ticket and its history. The session lives in an HttpOnly cookie.
const $ = (sel) => document.querySelector(sel);
const labels = {
  status: { accepted: "已受理", dispatched: "已派单", in_progress: "办理中", returned: "已退单",
    replied: "已答复", closed: "已办结", merged: "已并单", rejected: "不予受理" },
  kind: { consultation: "咨询", help: "求助", complaint: "投诉", report: "举报", suggestion: "建议", praise: "表扬" },
};
let cursor = "";

async function api(path, options = {}) {
  const resp = await fetch("/api/v1" + path, {
    ...options, credentials: "same-origin",
    headers: options.body ? { "Content-Type": "application/json" } : {},
  });
  if (resp.status === 204) return null;
  const body = await resp.json();
  if (!resp.ok) throw Object.assign(new Error(body.error?.message || resp.statusText), { status: resp.status });
  return body;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

// when shows a time as the API gives it: already in the hotline's zone.
function when(iso) {
  return iso ? iso.slice(0, 19).replace("T", " ") : "";
}

async function loadTickets(append) {
  const form = new FormData($("#filters"));
  const params = new URLSearchParams({ limit: "50" });
  for (const key of ["status", "q"]) if (form.get(key)) params.set(key, form.get(key));
  if (append && cursor) params.set("cursor", cursor);
  const page = await api("/tickets?" + params);
  if (!append) $("#rows").replaceChildren();
  for (const t of page.items) {
    const tr = document.createElement("tr");
    const overdue = t.due_at && !["closed", "merged", "rejected", "replied"].includes(t.status) && new Date(t.due_at) < new Date();
    tr.append(cell(t.number), cell(labels.kind[t.kind]), cell(labels.status[t.status]), cell(t.title),
      cell(t.department), cell(when(t.due_at), overdue ? "overdue" : ""));
    tr.addEventListener("click", () => showTicket(t.id));
    $("#rows").append(tr);
  }
  cursor = page.next_cursor;
  $("#more").hidden = !cursor;
}

async function showTicket(id) {
  const [t, history] = await Promise.all([api(`/tickets/${id}`), api(`/tickets/${id}/events`)]);
  const detail = $("#detail");
  detail.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = `${t.number} ${t.title}`;
  const dl = document.createElement("dl");
  const fields = [["状态", labels.status[t.status]], ["类型", labels.kind[t.kind]], ["内容", t.content],
    ["市民", `${t.citizen.name} ${t.citizen.phone}`], ["承办单位", t.department], ["签收时限", when(t.sign_due_at)],
    ["办结时限", when(t.due_at)], ["答复", t.reply], ["满意度", t.satisfaction ?? ""]];
  for (const [k, v] of fields) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v ?? "";
    dl.append(dt, dd);
  }
  const ol = document.createElement("ol");
  ol.className = "history";
  for (const e of history.items) {
    const li = document.createElement("li");
    li.textContent = `${when(e.at)} ${e.actor.username} ${e.action}` + (e.to !== e.from ? ` → ${labels.status[e.to]}` : "");
    ol.append(li);
  }
  detail.append(h, dl, ol);
  detail.hidden = false;
}

async function start() {
  try {
    const me = await api("/me");
    $("#who").textContent = `${me.display_name}（${me.role}${me.department ? " " + me.department : ""}）`;
    $("#login").hidden = true;
    $("#tickets").hidden = false;
    $("#logout").hidden = false;
    await loadTickets(false);
  } catch (err) {
    if (err.status !== 401) throw err;
    $("#login").hidden = false;
  }
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    await api("/login", { method: "POST", body: JSON.stringify({ username: form.get("username"), password: form.get("password") }) });
    $("#login-error").textContent = "";
    await start();
  } catch (err) {
    $("#login-error").textContent = err.message;
  }
});
$("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadTickets(false); });
$("#more").addEventListener("click", () => loadTickets(true));
$("#logout").addEventListener("click", async () => { await api("/logout", { method: "POST" }); location.reload(); });
start();
