// What the citizens' pages share: calls to the public API, and its errors
// said in Chinese.

// PublicError is an API error with its HTTP status and the wait it asked for.
export class PublicError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// call sends a request to /api/v1/public and returns the decoded answer.
export async function call(path, { method = "GET", body, headers = {} } = {}) {
  let resp;
  try {
    resp = await fetch("/api/v1/public" + path, {
      method,
      credentials: "omit",
      headers: body !== undefined ? { "Content-Type": "application/json", ...headers } : headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new PublicError(0, "network", "网络连接失败，请检查网络后重试。");
  }
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const e = (data && data.error) || {};
    throw new PublicError(resp.status, e.code || "internal", e.message || "", Number(resp.headers.get("Retry-After")) || 0);
  }
  return data;
}

// waitText says a wait in seconds the way people read it.
function waitText(seconds) {
  if (seconds <= 0) return "稍后";
  if (seconds < 60) return `${seconds} 秒后`;
  return `${Math.ceil(seconds / 60)} 分钟后`;
}

// explain turns an API error into a sentence for the citizen; notFound is
// what a 404 means on the page.
export function explain(err, notFound = "未找到。") {
  switch (err.status) {
    case 0:
      return err.message;
    case 404:
      return notFound;
    case 429:
      return `操作太频繁，请${waitText(err.retryAfter)}再试。`;
    case 503:
      return "服务暂时繁忙，请稍后再试，或拨打 12345 热线。";
    case 400:
    case 413:
      if (/verification code/i.test(err.message)) return "验证码不正确或已过期，请重新获取。";
      if (/phone|mobile/i.test(err.message)) return "请填写正确的手机号码。";
      return "填写的内容有误，请检查后再提交。";
  }
  return "服务出错了，请稍后再试，或拨打 12345 热线。";
}

// normalizePhone keeps the digits of a phone as typed, full-width ones too,
// and drops a leading 86 of an 11-digit mobile number.
export function normalizePhone(s) {
  let d = s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\D/g, "");
  if (d.length === 13 && d.startsWith("86")) d = d.slice(2);
  return d;
}

// isMobile tells whether digits are a mainland mobile number.
export const isMobile = (d) => /^1[3-9]\d{9}$/.test(d);

// localTime shows an RFC 3339 time as the hotline wrote it (its own zone).
export function localTime(s) {
  if (!s) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s);
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}` : s;
}
