// The JSON API under /api/v1. The session lives in an HttpOnly cookie, so
// requests only need to be same-origin.

// ApiError carries the API's error code and the HTTP status.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api calls path (relative to /api/v1) and returns the decoded body, or null
// for 204. Errors are ApiError; status 0 means the network failed.
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const json = body !== undefined;
  return send(path, {
    method,
    headers: json ? { "Content-Type": "application/json", ...headers } : headers,
    body: json ? JSON.stringify(body) : undefined,
  });
}

// upload attaches one file to a ticket and returns the attachment.
export function upload(ticketID, file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return send(`/tickets/${encodeURIComponent(ticketID)}/attachments`, { method: "POST", body: form });
}

async function send(path, init) {
  let resp;
  try {
    resp = await fetch("/api/v1" + path, { credentials: "same-origin", ...init });
  } catch (err) {
    throw new ApiError(0, "network", "网络错误：" + err.message);
  }
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    if (!resp.ok) throw new ApiError(resp.status, "internal", `服务器错误（${resp.status}）`);
    return null;
  }
  if (!resp.ok) {
    const e = data?.error || {};
    throw new ApiError(resp.status, e.code || "internal", e.message || `服务器错误（${resp.status}）`);
  }
  return data;
}

export const post = (path, body = {}, headers = {}) => api(path, { method: "POST", body, headers });

// query builds "?a=1&b=2" from the non-empty entries of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// action posts one workflow action on a ticket and returns the ticket after it.
export const action = (id, name, body = {}) => post(`/tickets/${encodeURIComponent(id)}/actions/${name}`, body);
