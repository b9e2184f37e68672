// A sortable table that renders only the rows in view (windowing), so a
// run with thousands of endpoints stays fluid while it updates every second.
// The header sticks to the top and the total row to the bottom of the
// scrolling box.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { LongText, titleOf } from "./longtext.jsx";

const OVERSCAN = 8; // rows rendered above and below the visible ones
const WINDOW_FROM = 60; // fewer rows than this are all rendered

function compareValues(a, b) {
  const an = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
  const bn = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (an || bn) return an === bn ? 0 : an ? -1 : 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  const as = String(a);
  const bs = String(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

/** Sorts rows by column col in direction dir ("asc" | "desc"); stable. */
export function sortRows(rows, col, dir) {
  if (!col) return rows;
  const sign = dir === "asc" ? 1 : -1;
  const tmp = rows.map((r, i) => ({ v: col.value(r), i, r }));
  tmp.sort((x, y) => compareValues(x.v, y.v) * sign || x.i - y.i);
  return tmp.map((t) => t.r);
}

function Cell({ col, row }) {
  const v = col.value(row);
  const text = col.fmt ? col.fmt(v, row) : v === null || v === undefined ? "" : String(v);
  let cls = col.num ? "num" : "txt";
  if (col.cls) cls += " " + col.cls(row, v);
  return (
    <td class={cls} title={col.long ? titleOf(text) : undefined}>
      {col.long ? <LongText text={text} label={col.label} /> : text}
    </td>
  );
}

function Row({ row, columns, cls }) {
  return (
    <tr class={cls || "row"}>
      {columns.map((c) => (
        <Cell key={c.key} col={c} row={row} />
      ))}
    </tr>
  );
}

/**
 * columns: [{key, label, title?, width?, num?, long?, value(row), fmt?(v,row), cls?(row,v), head? (header class)}]
 * (long: user data of any length, e.g. names: the text is the cell's
 * tooltip, and a long one is clipped with a "more" button, see longtext.jsx)
 * rows: the data rows; total: the pinned total row (optional).
 * onView(rows), optional: called after each render with the rows in view.
 */
export function DataTable({ columns, rows, total, rowKey, initialSort, label, class: extra, empty, id, onView }) {
  const [sort, setSort] = useState(initialSort || null);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    return sortRows(
      rows,
      columns.find((c) => c.key === sort.key),
      sort.dir,
    );
  }, [rows, sort, columns]);

  const scroller = useRef(null);
  const body = useRef(null);
  const [vp, setVp] = useState({ top: 0, height: 900 });
  const [rowH, setRowH] = useState(29);

  useLayoutEffect(() => {
    const el = scroller.current;
    const update = () => {
      const top = el.scrollTop;
      const height = el.clientHeight;
      setVp((v) => (v.top === top && v.height === height ? v : { top, height }));
    };
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    el.addEventListener("scroll", update, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener("scroll", update);
    };
  }, []);

  // Measure the real row height once rows exist (fonts, zoom).
  useLayoutEffect(() => {
    const tr = body.current && body.current.querySelector("tr.row");
    if (!tr) return;
    const h = tr.getBoundingClientRect().height;
    if (h > 0 && Math.abs(h - rowH) > 0.5) setRowH(h);
  });

  const n = sorted.length;
  let start = 0;
  let end = n;
  if (n > WINDOW_FROM) {
    start = Math.max(0, Math.floor(vp.top / rowH) - OVERSCAN);
    end = Math.min(n, Math.ceil((vp.top + vp.height) / rowH) + OVERSCAN);
    if (start > end) start = Math.max(0, end - OVERSCAN);
  }
  const visible = sorted.slice(start, end);
  useEffect(() => {
    if (onView) onView(visible);
  });

  const toggle = (c) => {
    setSort((s) =>
      s && s.key === c.key ? { key: c.key, dir: s.dir === "asc" ? "desc" : "asc" } : { key: c.key, dir: c.num ? "desc" : "asc" },
    );
  };

  return (
    <div class={"table-scroll" + (extra ? " " + extra : "")} ref={scroller} tabIndex={0} role="region" aria-label={label} id={id}>
      <table class="data" aria-rowcount={n + (total ? 2 : 1)}>
        <colgroup>
          {columns.map((c) => (
            <col key={c.key} style={c.width ? { width: c.width } : undefined} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort && sort.key === c.key;
              return (
                <th
                  key={c.key}
                  class={(c.num ? "num" : "txt") + (c.head ? " " + c.head : "") + (active ? " sorted" : "")}
                  aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
                  data-key={c.key}
                >
                  <button type="button" title={c.title || `Sort by ${c.label}`} onClick={() => toggle(c)}>
                    <span class="th-label">{c.label}</span>
                    <span class="sort-ind" aria-hidden="true">
                      {active ? (sort.dir === "asc" ? "▲" : "▼") : ""}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody ref={body}>
          {start > 0 && (
            <tr key="spacer-top" class="spacer" style={{ height: `${start * rowH}px` }}>
              <td colSpan={columns.length} />
            </tr>
          )}
          {visible.map((r) => (
            <Row key={rowKey(r)} row={r} columns={columns} />
          ))}
          {end < n && (
            <tr key="spacer-bottom" class="spacer" style={{ height: `${(n - end) * rowH}px` }}>
              <td colSpan={columns.length} />
            </tr>
          )}
          {n === 0 && (
            <tr key="empty" class="empty">
              <td colSpan={columns.length}>{empty || "No data yet."}</td>
            </tr>
          )}
        </tbody>
        {total && (
          <tfoot>
            <Row row={total} columns={columns} cls="total" />
          </tfoot>
        )}
      </table>
    </div>
  );
}
