// The staff console: login, the screens each role gets, the websocket, and
// the keyboard shortcuts. Each screen lives in its own module.
import { $, $$, h, toast, dismissToast, errorText, setZoneFrom } from "./dom.js";
import { api, post } from "./api.js";
import { state, on, emit, loadReference, isAgent, isStaff, isOverseer } from "./state.js";
import { connect, disconnect } from "./ws.js";
import { initAgent, shortcuts as agentKeys } from "./agent.js";
import { initChats } from "./chats.js";
import { initTicketForm, newTicket } from "./ticketform.js";
import { initTickets } from "./tickets.js";
import { initKnowledge, focusSearch } from "./knowledge.js";
import { initDepartment } from "./department.js";
import { initWallboard } from "./wallboard.js";
import { initCalls } from "./calls.js";
import { initIVR } from "./ivr.js";
import { initCanned } from "./canned.js";
import { initReports } from "./reports.js";
import { initScorecard } from "./scorecard.js";

const ROLE_NAMES = { admin: "管理员", supervisor: "班长", agent: "坐席", department: "部门" };

// The views each role sees, the first being where it starts.
const VIEWS = {
  agent: [["desk", "坐席工作台"], ["tickets", "工单"], ["calls", "通话"], ["scorecard", "我的数据"]],
  supervisor: [["wallboard", "监控大屏"], ["desk", "登记工单"], ["tickets", "工单"], ["calls", "通话"], ["reports", "报表"]],
  admin: [["wallboard", "监控大屏"], ["desk", "登记工单"], ["tickets", "工单"], ["calls", "通话"], ["reports", "报表"], ["ivr", "语音导航"], ["canned", "常用语"]],
  department: [["inbox", "部门待办"], ["tickets", "工单"], ["scorecard", "考核"]],
};

let currentView = null;

function showView(name) {
  currentView = name;
  for (const s of $$(".view")) s.hidden = s.id !== `view-${name}`;
  for (const b of $$("#nav button")) b.setAttribute("aria-current", b.dataset.view === name ? "page" : "false");
  emit("view:shown", name);
}

function buildNav(role) {
  const nav = $("#nav");
  nav.replaceChildren(...VIEWS[role].map(([name, text]) =>
    h("button", { type: "button", "data-view": name, id: `nav-${name}`, onclick: () => showView(name) }, text)));
  nav.hidden = false;
}

async function start() {
  let me;
  try {
    me = await api("/me");
  } catch (err) {
    if (err.status === 401) return showLogin();
    $("#login-error").textContent = "无法连接服务器：" + errorText(err);
    return showLogin();
  }
  state.me = me;
  setZoneFrom(me.created_at);
  document.body.dataset.role = me.role;
  $("#who").textContent = `${me.display_name || me.username}（${ROLE_NAMES[me.role] || me.role}${me.department ? " · " + me.department : ""}）`;
  $("#login").hidden = true;
  $("#workspace").hidden = false;
  $("#logout").hidden = false;
  $("#shortcuts").hidden = false;
  for (const el of $$("[data-agent-only]")) el.hidden = !isAgent();
  for (const el of $$("[data-staff-only]")) el.hidden = !isStaff();
  $("#presence").hidden = true; // shown by the first presence message
  $("#test-call").hidden = !isOverseer();
  buildNav(me.role);
  await loadReference();
  emit("reference:loaded");
  showView(VIEWS[me.role][0][0]);
  connect();
}

function showLogin() {
  state.me = null;
  delete document.body.dataset.role;
  $("#workspace").hidden = true;
  $("#nav").hidden = true;
  $("#logout").hidden = true;
  $("#shortcuts").hidden = true;
  $("#who").textContent = "";
  $("#login").hidden = false;
  $("#login-username").focus();
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $("#login-submit").disabled = true;
  try {
    await post("/login", { username: String(f.get("username")).trim(), password: String(f.get("password")) });
    $("#login-error").textContent = "";
    $("#login-password").value = "";
    // A fresh page: no state of the previous user survives.
    location.reload();
  } catch (err) {
    $("#login-error").textContent = err.status === 401 ? "用户名或密码错误" : errorText(err);
  } finally {
    $("#login-submit").disabled = false;
  }
});

$("#logout").addEventListener("click", async () => {
  disconnect();
  try {
    await post("/logout");
  } catch {
    // the cookie is cleared either way on the next login
  }
  location.reload();
});

on("session:ended", () => {
  toast("登录已失效，请重新登录", "error");
  disconnect();
  showLogin();
});

// A ringing call matters more than whatever the agent is looking at.
on("offer:ringing", () => {
  if (currentView !== "desk") showView("desk");
});

// So does a call the agent places: the desk shows it with its controls.
on("outbound:placed", () => {
  if (currentView !== "desk") showView("desk");
});

on("ws:error", (e) => toast("服务器报告错误：" + (e?.message || e?.code || ""), "error"));

on("ticket:open", () => {
  // Open tickets where their detail shows: the desk, the inbox and the
  // reports' drill-downs keep theirs.
  if (!["tickets", "inbox", "desk", "reports", "scorecard"].includes(currentView)) showView("tickets");
});

// ---------------------------------------------------------------- keyboard

function typing(el) {
  return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

$("#toast-close").addEventListener("click", dismissToast);

document.addEventListener("keydown", (ev) => {
  // Esc dismisses a message unless something nearer takes it (menus, forms).
  if (ev.key === "Escape" && !ev.defaultPrevented && $("#toast").classList.contains("shown")) dismissToast();
  if (!state.me) return;
  if (ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    if (ev.code === "KeyT" && isStaff()) {
      ev.preventDefault();
      showView("desk");
      newTicket(true);
      return;
    }
    const fn = isAgent() && agentKeys[ev.code];
    if (fn) {
      ev.preventDefault();
      if (currentView !== "desk" && ev.code !== "KeyR" && ev.code !== "KeyW") showView("desk");
      fn();
    }
    return;
  }
  if (ev.key === "/" && !ev.ctrlKey && !ev.metaKey && !typing(ev.target)) {
    ev.preventDefault();
    focusSearch();
  }
});

initAgent();
initChats();
initTicketForm();
initTickets();
initKnowledge();
initDepartment();
initWallboard();
initCalls();
initIVR();
initCanned();
initReports();
initScorecard();
start();
