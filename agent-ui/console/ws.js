// The staff websocket /ws/agent (see docs/websocket.md): one connection per
// tab, authenticated by the session cookie, reconnecting with backoff.
// Server messages are emitted on the bus as "ws:<type>"; requests carry an
// id and resolve with the ack's data or reject with the error's.
import { emit, state } from "./state.js";
import { $ } from "./dom.js";

const REQUEST_TIMEOUT = 10000;
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 15000;

let socket = null;
let wanted = false; // false after logout: no reconnect
let attempt = 0;
let retryTimer = null;
let seq = 0;
const pending = new Map(); // id -> {resolve, reject, timer}

// WsError is an error answer ({code, message}) or a lost connection.
export class WsError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function indicate(stateName, text) {
  const el = $("#conn");
  el.hidden = false;
  el.dataset.state = stateName;
  el.textContent = text;
  emit("ws:state", stateName);
}

function url() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/agent`;
}

// connect opens the websocket (once; later calls are no-ops while open).
export function connect() {
  wanted = true;
  if (socket && socket.readyState <= WebSocket.OPEN) return;
  clearTimeout(retryTimer);
  indicate("connecting", attempt ? "重连中…" : "连接中…");
  let ws;
  try {
    ws = new WebSocket(url());
  } catch {
    scheduleReconnect();
    return;
  }
  socket = ws;
  ws.addEventListener("message", (ev) => onMessage(ws, ev));
  ws.addEventListener("close", (ev) => onClose(ws, ev));
}

// disconnect closes the websocket for good (logout).
export function disconnect() {
  wanted = false;
  clearTimeout(retryTimer);
  if (socket) socket.close(1000, "logout");
  socket = null;
  failPending("closed", "连接已关闭");
  $("#conn").hidden = true;
}

export function connected() {
  return socket !== null && socket.readyState === WebSocket.OPEN;
}

// request sends {type, id, data} and resolves with the ack's data.
export function request(type, data = {}) {
  if (!connected()) return Promise.reject(new WsError("unavailable", "未连接到服务器，请稍候"));
  const id = "c" + ++seq;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new WsError("timeout", "服务器未响应"));
    }, REQUEST_TIMEOUT);
    pending.set(id, { resolve, reject, timer });
    socket.send(JSON.stringify({ type, id, data }));
  });
}

function onMessage(ws, ev) {
  if (ws !== socket) return;
  let msg;
  try {
    msg = JSON.parse(ev.data);
  } catch {
    return;
  }
  const { type, id, data } = msg;
  if ((type === "ack" || type === "error") && id && pending.has(id)) {
    const p = pending.get(id);
    pending.delete(id);
    clearTimeout(p.timer);
    if (type === "ack") p.resolve(data ?? {});
    else p.reject(new WsError(data?.code || "internal", data?.message || "请求失败"));
    return;
  }
  if (type === "session") {
    attempt = 0;
    if (data?.server_time) state.skew = Date.parse(data.server_time) - Date.now();
    if (Array.isArray(data?.queues)) state.queues = data.queues;
    if (Array.isArray(data?.reasons) && data.reasons.length) state.reasons = data.reasons;
    indicate("open", "已连接");
  }
  if (type === "error" && !id) emit("ws:error", data);
  emit("ws:" + type, data ?? {});
}

function onClose(ws, ev) {
  if (ws !== socket) return;
  socket = null;
  failPending("closed", "连接已断开");
  emit("ws:closed", ev.code);
  if (ev.code === 4001) {
    // The session ended (logout elsewhere, expiry, disabled user).
    wanted = false;
    indicate("closed", "会话已结束");
    emit("session:ended");
    return;
  }
  if (wanted) scheduleReconnect();
}

function scheduleReconnect() {
  attempt++;
  const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** Math.min(attempt - 1, 5));
  const delay = base / 2 + Math.random() * base / 2;
  indicate("reconnecting", `重连中…（${Math.ceil(delay / 1000)} 秒后第 ${attempt} 次）`);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(async () => {
    // A refused upgrade looks like any other failure: ask whether the
    // session still stands before trying again.
    try {
      const r = await fetch("/api/v1/me", { credentials: "same-origin" });
      if (r.status === 401) {
        wanted = false;
        indicate("closed", "会话已结束");
        emit("session:ended");
        return;
      }
    } catch {
      // the network is down: keep trying
    }
    if (wanted) connect();
  }, delay);
}

function failPending(code, message) {
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(new WsError(code, message));
    pending.delete(id);
  }
}
