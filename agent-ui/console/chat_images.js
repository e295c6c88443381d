// Images in the agent's web chats: each is fetched once with the session
// cookie into a blob and shown from its object URL (a click opens it full
// size); the agent sends one from the chat's image button.
import { $, h, toast, errorText } from "./dom.js";

const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const TYPES = ["image/jpeg", "image/png", "image/webp"];
const urls = new Map(); // "chat/image" → Promise of the object URL

// imageId returns the image a message's attachment names ("image:42"), or null.
export function imageId(ref) {
  const m = /^image:([1-9][0-9]{0,17})$/.exec(ref || "");
  return m ? m[1] : null;
}

function imageURL(chatId, id) {
  const key = `${chatId}/${id}`;
  if (!urls.has(key)) {
    const p = fetch(`/api/v1/chats/${encodeURIComponent(chatId)}/images/${id}`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(`图片无法显示（${r.status}）`))))
      .then((blob) => URL.createObjectURL(blob));
    p.catch(() => urls.delete(key)); // tried again at the next render
    urls.set(key, p);
  }
  return urls.get(key);
}

// chatImage shows image ref of a chat as a thumbnail linking to itself.
export function chatImage(chatId, ref, alt) {
  const id = imageId(ref);
  const img = h("img", { class: "chat-photo", alt, "data-image": id });
  const link = h("a", { class: "chat-photo-link", href: "#", target: "_blank", rel: "noopener", title: "点击查看原图" }, img);
  imageURL(chatId, id).then((url) => {
    img.src = url;
    link.href = url;
  }, (err) => {
    img.alt = `${alt}（${err.message}）`;
  });
  return link;
}

// initChatImages wires the image button: the file goes to the chat
// current() names, and sent(message) shows it at once.
export function initChatImages(current, sent) {
  $("#chat-image").addEventListener("click", () => $("#chat-image-file").click());
  $("#chat-image-file").addEventListener("change", async () => {
    const file = $("#chat-image-file").files[0];
    $("#chat-image-file").value = "";
    const chatId = current();
    if (!file || chatId === null) return;
    if (!TYPES.includes(file.type)) return toast("只能发送 JPEG、PNG 或 WebP 格式的图片", "error");
    if (file.size > MAX_IMAGE_BYTES) return toast("图片不能超过 5 MB", "error");
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const r = await fetch(`/api/v1/chats/${encodeURIComponent(chatId)}/images`, { method: "POST", credentials: "same-origin", body: form });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) throw Object.assign(new Error(data?.error?.message || `服务器错误（${r.status}）`), { status: r.status });
      sent({ chat_id: chatId, seq: data.seq, from: "agent", text: "[图片]", attachment: data.attachment, at: new Date().toISOString() });
    } catch (err) {
      toast("图片发送失败：" + errorText(err), "error");
    }
  });
}
