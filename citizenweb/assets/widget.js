// The hotline's chat widget for a portal page: one line,
//   <script src="https://hotline.example/chat/widget.js" defer></script>
// adds a floating "在线咨询" button; it opens the hotline's own /chat page
// in an iframe, so the chat and its resume token stay with the hotline's
// origin and the portal's scripts never see them. The portal's origin must
// be in the hotline's HOTLINE_CHAT_ORIGINS, or the browser refuses the frame.
// Everything lives in a shadow root, so the portal's styles and the
// widget's do not mix.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.__hotlineChatWidget) return;
  window.__hotlineChatWidget = true;
  const origin = new URL(script.src, location.href).origin;
  const label = script.dataset.label || "在线咨询";

  const host = document.createElement("div");
  host.setAttribute("data-hotline-chat", "");
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
    :host { all: initial; }
    .open { position: fixed; right: 16px; bottom: calc(16px + env(safe-area-inset-bottom)); z-index: 2147483000;
      display: flex; align-items: center; gap: 6px; padding: 12px 18px; border: 0; border-radius: 999px;
      background: #c8161d; color: #fff; font: 600 16px/1.2 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif;
      box-shadow: 0 4px 14px rgba(0,0,0,.25); cursor: pointer; }
    .open:focus-visible, .close:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
    .panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483001; width: 380px; height: min(640px, calc(100vh - 32px));
      display: flex; flex-direction: column; background: #fff; border-radius: 12px; overflow: hidden;
      box-shadow: 0 8px 30px rgba(0,0,0,.3); }
    .panel[hidden], .open[hidden] { display: none; }
    .bar { display: flex; justify-content: space-between; align-items: center; padding: 8px 12px; background: #c8161d; color: #fff;
      font: 600 15px/1.2 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; }
    .close { border: 0; background: transparent; color: #fff; font-size: 22px; line-height: 1; padding: 4px 8px; cursor: pointer; }
    iframe { flex: 1; width: 100%; border: 0; }
    @media (max-width: 480px) {
      .panel { inset: 0; width: auto; height: auto; border-radius: 0; }
    }
  </style>
  <button type="button" class="open" aria-haspopup="dialog" aria-expanded="false"></button>
  <div class="panel" role="dialog" aria-modal="false" hidden>
    <div class="bar"><span class="title"></span><button type="button" class="close" aria-label="关闭在线咨询">×</button></div>
  </div>`;
  const open = root.querySelector(".open");
  const panel = root.querySelector(".panel");
  const close = root.querySelector(".close");
  open.textContent = label;
  root.querySelector(".title").textContent = label;
  panel.setAttribute("aria-label", label);
  let frame = null;

  function show() {
    if (!frame) { // the chat starts when the citizen first opens it, not with every portal page
      frame = document.createElement("iframe");
      frame.title = label;
      frame.allow = "clipboard-write";
      frame.src = origin + "/chat?embed=1";
      panel.appendChild(frame);
    }
    panel.hidden = false;
    open.hidden = true;
    open.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function hide() {
    panel.hidden = true;
    open.hidden = false;
    open.setAttribute("aria-expanded", "false");
    open.focus();
  }

  open.addEventListener("click", show);
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") hide();
  });
  // The chat page asks to be closed (its own close button, or Escape inside it).
  window.addEventListener("message", (e) => {
    if (e.origin === origin && frame && e.source === frame.contentWindow && e.data === "hotline.chat.close") hide();
  });

  const mount = () => document.body.appendChild(host);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
