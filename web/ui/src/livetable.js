// The live statistics as the updates of api/events build them
// (docs/web-api.md): a stream's first update, and any with "full": true,
// holds the whole table; the others hold the total and only the rows that
// changed ("stats"), and the failures and errors only when they changed.
// An update without "full" (an older server) is whole.
import { rowKey } from "./columns.js";

export function newLiveTable() {
  return { rows: [], at: new Map(), failures: [], errors: [] };
}

// The server's order: by name, then by method.
function byNameMethod(a, b) {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.method < b.method ? -1 : a.method > b.method ? 1 : 0;
}

function index(t) {
  t.at = new Map();
  t.rows.forEach((r, i) => t.at.set(rowKey(r), i));
}

/**
 * Applies update d to table t and returns the statistics to show: the
 * update's document with every row known so far (a new array when rows
 * changed, so the table re-renders) and the latest lists. ok is false when
 * the table lost track of the server's (its row count differs although
 * nothing is pending): the stream should start over.
 */
export function applyUpdate(t, d) {
  const s = d.stats || {};
  const got = s.stats || [];
  if (d.full !== false) {
    t.rows = got.slice();
    index(t);
  } else if (got.length > 0) {
    const rows = t.rows.slice();
    let added = false;
    for (const r of got) {
      const i = t.at.get(rowKey(r));
      if (i === undefined) {
        rows.push(r);
        added = true;
      } else rows[i] = r;
    }
    if (added) rows.sort(byNameMethod);
    t.rows = rows;
    if (added) index(t);
  }
  if (Array.isArray(s.failures)) t.failures = s.failures;
  if (Array.isArray(s.errors)) t.errors = s.errors;
  const ok = d.full !== false || d.pending > 0 || typeof d.rows !== "number" || d.rows === t.rows.length;
  return { stats: { ...s, stats: t.rows, failures: t.failures, errors: t.errors }, ok };
}
