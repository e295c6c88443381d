// Images in the citizens' chat. A photo is sent with fetch, the chat's
// resume token as a bearer token (never in the URL); images are shown by
// fetching them the same way into a blob and an object URL, since an
// <img src> cannot carry the token.

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const TYPES = ["image/jpeg", "image/png", "image/webp"];

// imageId returns the image a message's attachment names ("image:42"), or null.
export function imageId(ref) {
  const m = /^image:([1-9][0-9]{0,17})$/.exec(ref || "");
  return m ? m[1] : null;
}

// checkFile says in Chinese why a file cannot be sent, or "" when it can.
// The server checks again, by the content.
export function checkFile(file) {
  if (!TYPES.includes(file.type)) return "只能发送 JPEG、PNG 或 WebP 格式的图片。";
  if (file.size > MAX_IMAGE_BYTES) return "图片不能超过 5 MB，请压缩或截图后再发送。";
  if (file.size === 0) return "图片是空的，请重新选择。";
  return "";
}

const urls = new Map(); // image id → object URL, fetched once per page

// imageElement shows image id of the chat, loading it with the token.
export function imageElement(id, token, alt) {
  const img = document.createElement("img");
  img.className = "photo";
  img.alt = alt;
  img.dataset.image = id;
  img.addEventListener("load", () => {
    const li = img.closest("li"); // the newest message stays in view as its image grows
    if (li && !li.nextElementSibling) li.scrollIntoView({ block: "end" });
  }, { once: true });
  if (urls.has(id)) {
    img.src = urls.get(id);
    return img;
  }
  fetch(`/public/chat/images/${id}`, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" })
    .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
    .then((blob) => {
      const url = URL.createObjectURL(blob);
      urls.set(id, url);
      img.src = url;
    })
    .catch(() => {
      img.alt = `${alt}（无法显示）`;
      img.classList.add("broken");
    });
  return img;
}

// uploadError says in Chinese why the server refused an image.
function uploadError(status) {
  switch (status) {
    case 413:
      return "图片不能超过 5 MB，请压缩或截图后再发送。";
    case 415:
      return "只能发送 JPEG、PNG 或 WebP 格式的图片。";
    case 400:
      return "图片已损坏或不完整，请重新选择。";
    case 401:
      return "原会话已失效，请刷新页面后重试。";
    case 409:
      return "本次会话已结束，无法发送图片。";
    case 429:
      return "发送太频繁，请稍候再试。";
    default:
      return "图片发送失败，请稍后再试。";
  }
}

// uploadImage sends a file into the token's chat; a resend with the same
// clientId is stored once. It returns {seq, attachment} or throws an
// Error whose message is meant for the citizen.
export async function uploadImage(file, token, clientId) {
  let r;
  try {
    r = await fetch("/public/chat/images", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "X-Client-Id": clientId, "Content-Type": file.type },
      body: file,
    });
  } catch {
    throw new Error("网络连接失败，图片未发送。");
  }
  if (!r.ok) throw new Error(uploadError(r.status));
  return r.json();
}
