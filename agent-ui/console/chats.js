// The agent's web chats: one tab per chat routing connected to this agent,
// with an unread count, the transcript (the bot's part included) and a
// reply box. Messages come as chat.message over the websocket, each with
// its seq, and are shown once each, in order.
import { $, h, when, toast, errorText, snippet } from "./dom.js";
import { on } from "./state.js";
import { request } from "./ws.js";
import { chatImage, imageId, initChatImages } from "./chat_images.js";

const chats = new Map(); // chat id -> {messages: Map(seq -> message), unread, open}
let current = null; // the chat shown

const who = { citizen: "市民", bot: "智能助手", agent: "我", system: "系统" };

export function initChats() {
  on("ws:chat.message", received);
  on("ws:chat.typing", (d) => {
    const c = chats.get(d.chat_id);
    if (!c) return;
    c.typingUntil = Date.now() + 4000;
    render();
    setTimeout(render, 4100);
  });
  let typingSent = 0;
  $("#chat-text").addEventListener("input", () => {
    if (current === null || Date.now() - typingSent < 2000) return;
    typingSent = Date.now();
    request("chat.typing", { chat_id: current }).catch(() => {}); // a lost typing signal matters to nobody
  });
  $("#chat-form").addEventListener("submit", send);
  $("#chat-text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $("#chat-form").requestSubmit();
    }
  });
  $("#chat-end").addEventListener("click", end);
  on("ws:chat.closed", closed);
  initChatImages(() => current, received);
}

// currentChat is the chat on screen: {id, open}, or null.
export function currentChat() {
  const c = chats.get(current);
  return c ? { id: current, open: c.open } : null;
}

// closed drops the card of a chat that left this agent (transferred).
function closed(d) {
  if (!chats.delete(d.chat_id)) return;
  if (current === d.chat_id) current = chats.size ? chats.keys().next().value : null;
  if (d.reason === "transferred") toast(`会话 ${d.chat_id} 已转接`);
  render();
}

function chat(id) {
  let c = chats.get(id);
  if (!c) {
    c = { messages: new Map(), unread: 0, open: true };
    chats.set(id, c);
  }
  return c;
}

function received(m) {
  const c = chat(m.chat_id);
  if (c.messages.has(m.seq)) return;
  c.messages.set(m.seq, m);
  if (m.from === "system" && /本次会话已结束/.test(m.text)) c.open = false;
  if (current === null) current = m.chat_id;
  if (m.chat_id !== current && m.from === "citizen") c.unread++;
  render();
}

function render() {
  const card = $("#chats-card");
  card.hidden = chats.size === 0;
  const tabs = $("#chat-tabs");
  tabs.replaceChildren(...[...chats].map(([id, c]) => h("button", {
    type: "button", role: "tab", "aria-selected": String(id === current), "data-chat": id,
    onclick: () => { current = id; c.unread = 0; render(); $("#chat-text").focus(); },
  }, `会话 ${id}`, c.open ? "" : "（已结束）", c.unread ? h("span", { class: "badge", "aria-label": `${c.unread} 条未读` }, String(c.unread)) : null)));
  const c = chats.get(current);
  const log = $("#chat-log");
  if (!c) return log.replaceChildren();
  c.unread = 0;
  const ordered = [...c.messages.values()].sort((a, b) => a.seq - b.seq);
  log.replaceChildren(...ordered.map((m) => h("li", { class: `msg ${m.from}`, "data-seq": m.seq },
    h("span", { class: "who" }, who[m.from] || m.from, " · ", when(m.at)),
    imageId(m.attachment) ? chatImage(m.chat_id, m.attachment, m.from === "citizen" ? "市民发送的图片" : "发送的图片")
      : h("span", { class: "text" }, m.text),
    m.guides?.length ? h("ul", { class: "guides" }, m.guides.map((g) =>
      h("li", {}, h("strong", {}, g.name), " ", h("span", { class: "muted" }, snippet(g.snippet))))) : null)));
  log.lastElementChild?.scrollIntoView({ block: "end" });
  $("#chat-typing").hidden = !(c.typingUntil > Date.now());
  $("#chat-text").disabled = !c.open;
  $("#chat-send").disabled = !c.open;
  $("#chat-end").disabled = !c.open;
}

function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

async function send(ev) {
  ev.preventDefault();
  const text = $("#chat-text").value.trim();
  if (!text || current === null) return;
  try {
    const m = await request("chat.send", { chat_id: current, text, client_id: newClientId() });
    $("#chat-text").value = "";
    received(m);
  } catch (err) {
    toast("发送失败：" + errorText(err), "error");
  }
}

async function end() {
  if (current === null) return;
  try {
    await request("chat.close", { chat_id: current });
  } catch (err) {
    toast("结束会话失败：" + errorText(err), "error");
  }
}
