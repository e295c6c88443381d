// The citizens' chat over /ws/chat. The page keeps the chat's resume
// token and the messages not yet acknowledged in sessionStorage (never in
// the URL), so a reload resumes the same chat with its whole transcript,
// and a lost connection asks for what came after the last message shown:
// nothing is lost or shown twice.

import { imageId, imageElement, checkFile, uploadImage } from "./chat_images.js";

const store = sessionStore();
const KEY = "hotline.chat";
const $ = (id) => document.getElementById(id);
const log = $("log");

let state = load();
let ws = null;
let retry = 0;

// sessionStore is the tab's sessionStorage, or none where the browser
// refuses it (an embedded chat with third-party storage blocked): the
// chat then lasts as long as the page.
function sessionStore() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function load() {
  try {
    const s = JSON.parse((store && store.getItem(KEY)) || "{}");
    return { token: s.token || "", lastSeq: 0, pending: s.pending || {} }; // a fresh page shows everything
  } catch {
    return { token: "", lastSeq: 0, pending: {} };
  }
}

function save() {
  try {
    if (store) store.setItem(KEY, JSON.stringify({ token: state.token, pending: state.pending }));
  } catch {
    // private mode without storage: the chat still works until the page closes
  }
}

function say(text) {
  $("state").textContent = text;
}

function showError(text) {
  $("error").textContent = text;
}

// errorText says an error frame in Chinese.
function errorText(e) {
  switch (e.code) {
    case "rate_limited":
      return "发送太频繁，请稍候再试。";
    case "unauthorized":
      return "原会话已失效，已为您开始新的会话。";
    case "conflict":
      return "本次会话已结束。如需继续咨询，请刷新页面开始新的会话。";
    case "invalid":
    case "too_large":
      return "消息无法发送：请检查内容，每条不超过 2000 字。";
    default:
      return "服务暂时繁忙，请稍后再试，或拨打 12345 热线。";
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${location.host}/ws/chat`);
  ws.onopen = () => {
    retry = 0;
    ws.send(JSON.stringify({ type: "hello", data: { resume_token: state.token || undefined, last_seq: state.lastSeq } }));
  };
  ws.onmessage = (ev) => {
    let f;
    try {
      f = JSON.parse(ev.data);
    } catch {
      return;
    }
    receive(f.type, f.data || {});
  };
  ws.onclose = () => {
    ws = null;
    say("连接已断开，正在重新连接…");
    retry = Math.min(retry + 1, 10);
    setTimeout(connect, retry * 1000);
  };
}

function receive(type, d) {
  switch (type) {
    case "welcome":
      if (state.token !== d.resume_token) {
        state = { token: d.resume_token, lastSeq: 0, pending: state.pending };
        log.replaceChildren();
      }
      save();
      say("已连接");
      for (const [clientId, text] of Object.entries(state.pending)) {
        send("message", { text, client_id: clientId });
      }
      break;
    case "bot":
      show({ seq: d.seq, from: "bot", text: d.text, guides: d.guides });
      break;
    case "message":
      show(d);
      break;
    case "ack": {
      delete state.pending[d.client_id];
      save();
      const mine = log.querySelector(`li[data-client="${CSS.escape(d.client_id)}"]`);
      if (mine) {
        if (log.querySelector(`li[data-seq="${d.seq}"]`)) mine.remove();
        else {
          mine.dataset.seq = d.seq;
          mine.classList.remove("pending");
        }
      }
      break;
    }
    case "typing":
      if (d.from === "agent") typingShown();
      break;
    case "queue":
      say(`正在排队，您前面还有 ${Math.max(0, d.position - 1)} 位`);
      break;
    case "leave_message.offer":
      openLeave();
      break;
    case "ticket":
      ticketNumber = d.number;
      leaving = false;
      if (!$("leave").hidden) closeLeave();
      say(`已受理，编号 ${d.number}`);
      break;
    case "agent.joined":
      say("人工客服已接入");
      break;
    case "closed":
      if (d.reason === "left_message") leaving = false; // no rating: nobody served it yet
      else if (d.reason !== "reconnect") ended();
      break;
    case "error":
      if (leaving) {
        leaving = false;
        $("leave-submit").disabled = false;
        $("leave-error").textContent = leaveErrorText(d);
        break;
      }
      if (d.code === "unauthorized") {
        state = { token: "", lastSeq: 0, pending: {} };
        save();
      }
      showError(errorText(d));
      break;
  }
}

const names = { bot: "智能助手", agent: "人工客服", system: "" };

// show adds a transcript message once, by its seq.
function show(m) {
  if (log.querySelector(`li[data-seq="${m.seq}"]`)) return;
  state.lastSeq = Math.max(state.lastSeq, m.seq);
  if (m.from === "system" && m.text.includes("评分")) $("rating").hidden = false;
  const image = imageId(m.attachment);
  const li = line(m.from, image ? "" : m.text, m.guides, m.seq);
  if (image) li.append(imageElement(image, state.token, m.from === "citizen" ? "您发送的图片" : "客服发送的图片"));
  log.append(li);
  log.lastElementChild.scrollIntoView({ block: "end" });
}

function line(from, text, guides, seq) {
  const li = document.createElement("li");
  li.className = from;
  if (seq) li.dataset.seq = seq;
  if (names[from]) {
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = names[from];
    li.append(who);
  }
  li.append(document.createTextNode(text));
  if (guides && guides.length) {
    const ul = document.createElement("ul");
    ul.className = "guides";
    for (const g of guides) {
      const item = document.createElement("li");
      const a = document.createElement("a");
      a.textContent = g.name;
      a.href = /^\/guides\/[A-Za-z0-9._-]+$/.test(g.url) ? g.url : "#";
      a.target = "_blank";
      a.rel = "noopener";
      item.append(a);
      const snippet = document.createElement("span");
      snippet.className = "snippet";
      snippet.append(...marked(g.snippet || ""));
      item.append(snippet);
      ul.append(item);
    }
    li.append(ul);
  }
  return li;
}

// marked turns a snippet (escaped text with <em> marks) into nodes,
// keeping nothing but text and the marks.
function marked(html) {
  const t = document.createElement("template");
  t.innerHTML = html;
  const out = [];
  for (const n of t.content.childNodes) {
    if (n.nodeType === Node.TEXT_NODE) out.push(document.createTextNode(n.textContent));
    else if (n.nodeName === "EM") {
      const em = document.createElement("em");
      em.textContent = n.textContent;
      out.push(em);
    }
  }
  return out;
}

function send(type, data) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify({ type, data }));
  return true;
}

function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

$("compose").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  showError("");
  const clientId = newClientId();
  state.pending[clientId] = text;
  save();
  const li = line("citizen", text);
  li.dataset.client = clientId;
  li.classList.add("pending");
  log.append(li);
  li.scrollIntoView({ block: "end" });
  $("text").value = "";
  send("message", { text, client_id: clientId }); // when offline, sent on reconnecting
});

// typingShown says the agent is typing, for a few seconds.
let typingTimer = null;
function typingShown() {
  $("typing").hidden = false;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => ($("typing").hidden = true), 4000);
}

// The agent sees the citizen typing; at most one signal every 2 s.
let typingSent = 0;
$("text").addEventListener("input", () => {
  if (Date.now() - typingSent > 2000 && send("typing")) typingSent = Date.now();
});

$("text").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $("compose").requestSubmit();
  }
});

// A photo: checked here for its type and size (the server checks its
// content again), shown as sending until the server has stored it.
$("image").addEventListener("click", () => $("image-file").click());
$("image-file").addEventListener("change", async () => {
  const file = $("image-file").files[0];
  $("image-file").value = "";
  if (!file) return;
  const problem = checkFile(file);
  if (problem) return showError(problem);
  if (!state.token) return showError("正在连接，请稍候再发送图片。");
  showError("");
  const clientId = newClientId();
  const li = line("citizen", "正在发送图片…");
  li.dataset.client = clientId;
  li.classList.add("pending");
  log.append(li);
  li.scrollIntoView({ block: "end" });
  try {
    const m = await uploadImage(file, state.token, clientId);
    li.remove();
    show({ seq: m.seq, from: "citizen", text: "[图片]", attachment: m.attachment }); // once, whether or not the socket told it first
  } catch (err) {
    li.remove();
    showError(err.message);
  }
});

$("handoff").addEventListener("click", () => send("handoff"));
$("end").addEventListener("click", () => send("close"));

function ended() {
  $("rating").hidden = false;
}

$("rating").addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-score]");
  if (!b) return;
  if (send("rate", { score: Number(b.dataset.score) })) {
    $("rating").replaceChildren(Object.assign(document.createElement("p"), { textContent: "感谢您的评价！" }));
  }
});

// The leave-a-message form (留言): offered when no agent can come, and
// open to the citizen at any time before an agent joins.
let leaving = false; // a leave_message frame is out, its answer not in
let ticketNumber = "";

// While the form is open it takes the compose bar's place.
function openLeave() {
  if (ticketNumber) return;
  $("leave").hidden = false;
  $("compose").hidden = true;
  $("leave-error").textContent = "";
  $("leave").scrollIntoView({ block: "end" });
  $("leave-phone").focus();
}

function closeLeave() {
  $("leave").hidden = true;
  $("compose").hidden = false;
  $("leave-open").focus();
}

function leaveErrorText(e) {
  switch (e.code) {
    case "invalid":
      return /mobile|phone/.test(e.message) ? "请填写正确的手机号码（11 位），受理编号将以短信发送。" : "请填写您的问题，不超过 2000 字。";
    case "rate_limited":
      return "今天的留言次数已达上限，请拨打 12345 热线。";
    case "conflict":
      return "人工客服正在为您服务，请直接告诉客服；或本次会话已结束。";
    default:
      return errorText(e);
  }
}

$("leave-open").addEventListener("click", openLeave);
$("leave-cancel").addEventListener("click", closeLeave);
$("leave").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const phone = $("leave-phone").value.trim();
  const text = $("leave-text").value.trim();
  if (!/^(\+?86)?[\s-]*1[3-9](\d[\s-]*){9}$/.test(phone)) {
    $("leave-error").textContent = "请填写正确的手机号码（11 位），受理编号将以短信发送。";
    $("leave-phone").focus();
    return;
  }
  if (!text) {
    $("leave-error").textContent = "请填写您的问题。";
    $("leave-text").focus();
    return;
  }
  $("leave-error").textContent = "";
  if (send("leave_message", { phone, text })) {
    leaving = true;
    $("leave-submit").disabled = true;
  } else {
    $("leave-error").textContent = "连接已断开，请稍候再提交。";
  }
});

// Inside the portal's widget (/chat?embed=1) the widget has the title
// bar; Escape asks it to close the panel.
if (new URLSearchParams(location.search).has("embed") && window.parent !== window) {
  document.body.classList.add("embedded");
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") window.parent.postMessage("hotline.chat.close", "*"); // no data: any parent may hear it
  });
}

connect();
