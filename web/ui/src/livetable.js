// The live statistics as the updates of api/events build them
// (docs/web-api.md): a stream's first update, and any with "full": true,
// holds the whole table; the others hold the total and only the items
// that changed: rows ("stats"), failures and errors. An update without
// "full" (an older server) is whole.
import { rowKey } from "./columns.js";

const failureKey = (f) => `${f.method}\u0000${f.name}\u0000${f.error}`;
const errorKey = (e) => `${e.message}\u0000${e.traceback}`;

const str = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// The server's orders.
const LISTS = {
  stats: { key: rowKey, order: (a, b) => str(a.name, b.name) || str(a.method, b.method) },
  failures: {
    key: failureKey,
    order: (a, b) => b.occurrences - a.occurrences || str(a.name, b.name) || str(a.method, b.method) || str(a.error, b.error),
  },
  errors: { key: errorKey, order: (a, b) => b.count - a.count || str(a.message, b.message) || str(a.traceback, b.traceback) },
};

export function newLiveTable() {
  const t = {};
  for (const k in LISTS) t[k] = { items: [], at: new Map() };
  return t;
}

function index(list, key) {
  list.at = new Map();
  list.items.forEach((r, i) => list.at.set(key(r), i));
}

// merge applies changed items to list; a new array when any changed, so
// tables re-render. Rows keep their place; failures and errors, ordered by
// their counts, are sorted again.
function merge(list, got, { key, order }, resort) {
  if (got.length === 0) return;
  const items = list.items.slice();
  let added = false;
  for (const r of got) {
    const i = list.at.get(key(r));
    if (i === undefined) {
      items.push(r);
      added = true;
    } else items[i] = r;
  }
  list.items = items;
  if (added || resort) {
    items.sort(order);
    index(list, key);
  }
}

/**
 * Applies update d to table t and returns the statistics to show: the
 * update's document with every item known so far. ok is false when the
 * table lost track of the server's (its row count differs although
 * nothing is pending): the stream should start over.
 */
export function applyUpdate(t, d) {
  const s = d.stats || {};
  const full = d.full !== false;
  for (const k in LISTS) {
    const got = Array.isArray(s[k]) ? s[k] : [];
    if (full) {
      t[k].items = got.slice();
      index(t[k], LISTS[k].key);
    } else merge(t[k], got, LISTS[k], k !== "stats");
  }
  const rows = t.stats.items;
  const ok = full || d.pending > 0 || typeof d.rows !== "number" || d.rows === rows.length;
  return { stats: { ...s, stats: rows, failures: t.failures.items, errors: t.errors.items }, ok };
}
