// The HTTP API (docs/web-api.md). Every URL is relative to the page, so the
// UI works under any --web-base-path as long as the page URL ends in "/".

export const HISTORY_POINTS = 1200;

export async function getJSON(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

/**
 * POSTs fields (a URLSearchParams, form-urlencoded) to path and returns
 * {ok, status, message, data}. A non-2xx answer is not an exception: its
 * message (Locust's {"success": false, "message": …}, or the plain text) is
 * returned to be shown to the user.
 */
export async function post(path, fields) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      body: fields || new URLSearchParams(),
      headers: { Accept: "application/json" },
    });
  } catch (e) {
    return { ok: false, status: 0, message: `Cannot reach herd: ${e.message}`, data: null };
  }
  const text = await res.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON ("ok" from stats/reset, or a plain-text error).
  }
  const ok = res.ok && !(data && data.success === false);
  let message = data && typeof data.message === "string" ? data.message : text.trim();
  if (!ok && !message) message = `HTTP ${res.status}`;
  return { ok, status: res.status, message, data };
}

/** POSTs v as JSON to path; resolves to whether it was accepted. */
export async function postJSON(path, v) {
  try {
    const res = await fetch(path, { method: "POST", body: JSON.stringify(v), headers: { "Content-Type": "application/json" } });
    return res.ok;
  } catch {
    return false;
  }
}

/** Whether the --csv-full-history download exists (404 without it). */
export async function probe(path) {
  try {
    const res = await fetch(path, { method: "HEAD", cache: "no-store" });
    return res.ok;
  } catch {
    return false;
  }
}
