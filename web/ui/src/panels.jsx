// The tab panels shared by the live UI and the HTML report. Every value is
// rendered as a text node: nothing from the data is ever parsed as HTML.
import { useEffect, useMemo, useState } from "preact/hooks";
import { DataTable } from "./table.jsx";
import {
  INTENDED_HELP,
  INTENDED_PERCENTILE_COLUMNS,
  LIVE_COLUMNS,
  LIVE_COLUMNS_INTENDED,
  PERCENTILE_COLUMNS,
  REPORT_COLUMNS,
  REPORT_COLUMNS_INTENDED,
  hasIntended,
  rowKey,
} from "./columns.js";
import { fmtInt, fmtMemory, fmtPct, fmtPercent, fmtShare } from "./format.js";
import { getJSON, probe } from "./api.js";
import { LongText, titleOf } from "./longtext.jsx";

const EMPTY = [];

export function Segmented({ value, options, onChange, label }) {
  return (
    <div class="segmented" role="group" aria-label={label}>
      {options.map(([v, text]) => (
        <button key={v} type="button" class={v === value ? "on" : ""} aria-pressed={v === value} onClick={() => onChange(v)}>
          {text}
        </button>
      ))}
    </div>
  );
}

/**
 * The open model's iterations: started, and dropped (due while every user
 * of the pool was busy), in the warning style when any was dropped.
 */
export function IterationsNote({ stats, maxUsers }) {
  const started = (stats && stats.iterations) || 0;
  const dropped = (stats && stats.dropped_iterations) || 0;
  const due = started + dropped;
  const warn = dropped > 0;
  const cap = maxUsers > 0 ? ` (now ${fmtInt(maxUsers)})` : "";
  return (
    <span
      id="iterations"
      class={warn ? "iterations warn" : "iterations"}
      title={
        "Open model: iterations started at the arrival rate, and those dropped because no user of the pool was free when they were due" +
        (warn ? `. Raise --max-users${cap} so that more users can run iterations at once, or lower the arrival rate.` : ".")
      }
    >
      Iterations {fmtInt(started)} · dropped {fmtInt(dropped)} ({fmtPct(due > 0 ? dropped / due : 0)})
      {warn && <span class="hint"> · no free user when due: raise --max-users{cap}</span>}
    </span>
  );
}

/**
 * Request statistics: every console column, or the percentiles. In the
 * open model (open), the iterations; with response times from the
 * intended start, their columns and a view of their percentiles.
 */
export function StatsPanel({ stats, live, fill, only, id, open, maxUsers, onView }) {
  const [chosen, setView] = useState("requests");
  const [filter, setFilter] = useState("");
  const entries = (stats && stats.stats) || EMPTY;
  const intended = useMemo(() => hasIntended(stats), [stats]);
  const view = only || (chosen === "intended" && !intended ? "requests" : chosen);
  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    if (!f) return entries;
    return entries.filter((e) => `${e.method} ${e.name}`.toLowerCase().includes(f));
  }, [entries, filter]);
  // The rows in view, as [method, name] (the live UI follows them).
  const tellView = useMemo(() => onView && ((shown) => onView(shown.map((r) => [r.method, r.name]))), [onView]);
  let columns;
  if (view === "percentiles") columns = PERCENTILE_COLUMNS;
  else if (view === "intended") columns = INTENDED_PERCENTILE_COLUMNS;
  else if (intended) columns = live ? LIVE_COLUMNS_INTENDED : REPORT_COLUMNS_INTENDED;
  else columns = live ? LIVE_COLUMNS : REPORT_COLUMNS;
  const options = [
    ["requests", "Requests"],
    ["percentiles", "Response time percentiles (ms)"],
  ];
  if (intended) options.push(["intended", "From intended start (ms)"]);
  return (
    <div class={fill ? "stats-panel fill" : "stats-panel"}>
      <div class="toolbar">
        {!only && <Segmented label="Table" value={view} onChange={setView} options={options} />}
        <input
          type="search"
          class="filter"
          placeholder="Filter by name or type"
          aria-label="Filter endpoints"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        {open && <IterationsNote stats={stats} maxUsers={maxUsers} />}
        <span class="muted count">
          {filter ? `${fmtInt(rows.length)} of ${fmtInt(entries.length)}` : fmtInt(entries.length)}{" "}
          {entries.length === 1 ? "endpoint" : "endpoints"}
        </span>
      </div>
      {view === "intended" && (
        <p class="muted intended-help" id="intended-help">
          {INTENDED_HELP}
        </p>
      )}
      <DataTable
        key={view}
        id={id || "stats-table"}
        columns={columns}
        rows={rows}
        total={stats && stats.total}
        rowKey={rowKey}
        label={view === "percentiles" ? "Response time percentiles" : view === "intended" ? "Response time percentiles from the intended start" : "Request statistics"}
        class={fill ? "fill" : "bounded"}
        empty={filter ? "No endpoint matches the filter." : "No requests yet."}
        onView={tellView}
      />
    </div>
  );
}

/** Failed requests by (method, name, error), most frequent first. */
export function FailuresPanel({ failures }) {
  const list = failures || EMPTY;
  if (list.length === 0) return <p class="empty-state">No failures. 🎉</p>;
  return (
    <div class="table-scroll auto" id="failures">
      <table class="data wrap">
        <colgroup>
          <col style={{ width: "96px" }} />
          <col style={{ width: "70px" }} />
          <col style={{ width: "30%" }} />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th class="num"># Fails</th>
            <th class="txt">Type</th>
            <th class="txt">Name</th>
            <th class="txt">Message</th>
          </tr>
        </thead>
        <tbody>
          {list.map((f, i) => (
            <tr key={i} class="row">
              <td class="num bad">{fmtInt(f.occurrences)}</td>
              <td class="txt">
                <LongText text={f.method} label="Type" />
              </td>
              <td class="txt name">
                <LongText text={f.name} label="Name" />
              </td>
              <td class="txt msg">
                <LongText text={f.error} label="Message" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// An error card has room for a longer message than a table cell.
const ERROR_CLIP = 1000;

/** Errors and panics raised by user code (Locust's exceptions). */
export function ErrorsPanel({ errors }) {
  const list = errors || EMPTY;
  if (list.length === 0) return <p class="empty-state">No errors raised by user code.</p>;
  return (
    <ul class="errors" id="errors">
      {list.map((e, i) => (
        <li key={i} class="error-card">
          <div class="error-head">
            <span class="count-badge" title="Occurrences">
              {fmtInt(e.count)}×
            </span>
            <div class="error-msg">
              <LongText text={e.message} label="Error" max={ERROR_CLIP} />
            </div>
          </div>
          {e.traceback && (
            <details>
              <summary>Stack trace</summary>
              <pre>{e.traceback}</pre>
            </details>
          )}
          {e.nodes && e.nodes.length > 0 && <div class="muted nodes">
              Seen on: <LongText text={e.nodes.join(", ")} label="Nodes" />
            </div>}
        </li>
      ))}
    </ul>
  );
}

function RatioTree({ node, depth }) {
  const items = Object.entries(node || {}).sort((a, b) => b[1].ratio - a[1].ratio || (a[0] < b[0] ? -1 : 1));
  return (
    <ul class={depth ? "ratio-tree sub" : "ratio-tree"}>
      {items.map(([name, r]) => (
        <li key={name}>
          <div class="ratio-row">
            <span class="ratio-val">{fmtShare(r.ratio)}</span>
            <span class="ratio-bar" aria-hidden="true">
              <span style={{ width: `${Math.max(0, Math.min(1, r.ratio)) * 100}%` }} />
            </span>
            <span class="ratio-name" title={titleOf(name)}>
              <LongText text={name} label="Name" />
            </span>
          </div>
          {r.tasks && Object.keys(r.tasks).length > 0 && <RatioTree node={r.tasks} depth={(depth || 0) + 1} />}
        </li>
      ))}
    </ul>
  );
}

/** How often each task runs, per user class and in total (/tasks). */
export function TasksPanel({ refresh }) {
  const [data, setData] = useState(null);
  const [err, setErr] = useState("");
  const [view, setView] = useState("per_class");
  useEffect(() => {
    let live = true;
    getJSON("tasks")
      .then((d) => live && (setData(d), setErr("")))
      .catch((e) => live && setErr(e.message));
    return () => {
      live = false;
    };
  }, [refresh]);
  return (
    <div class="tasks" id="tasks">
      <div class="toolbar">
        <Segmented
          label="Ratio"
          value={view}
          onChange={setView}
          options={[
            ["per_class", "Per user class"],
            ["total", "Total"],
          ]}
        />
        <span class="muted">Share of task executions: per class, the class's share of users and each task's share within it.</span>
      </div>
      {err && <p class="error-text">Cannot load the task ratio: {err}</p>}
      {!data && !err && <p class="muted">Loading…</p>}
      {data && <RatioTree node={view === "total" ? data.total : data.per_class} depth={0} />}
    </div>
  );
}

// A worker's CPU use above this percentage is shown as a warning (Locust
// warns at 90% too: the worker's response times may be inflated).
export const WORKER_CPU_WARN = 90;
const WORKER_STATES = new Set(["ready", "spawning", "running", "stopped", "missing"]);

/** A master's workers, by index: state (missing highlighted), users, CPU, memory. */
export function WorkersPanel({ workers, empty }) {
  const list = useMemo(() => (workers || EMPTY).slice().sort((a, b) => a.index - b.index), [workers]);
  if (list.length === 0) return <p class="empty-state" id="workers-empty">{empty || "No worker has connected yet."}</p>;
  const missing = list.filter((w) => w.state === "missing").length;
  const hot = list.filter((w) => w.cpu_usage > WORKER_CPU_WARN).length;
  return (
    <div class="workers" id="workers">
      <p class="muted workers-summary">
        {fmtInt(list.length - missing)} of {fmtInt(list.length)} {list.length === 1 ? "worker" : "workers"} connected
        {missing > 0 && <span class="bad"> · {fmtInt(missing)} missing</span>}
        {hot > 0 && (
          <span class="warn">
            {" "}
            · {fmtInt(hot)} above {WORKER_CPU_WARN}% CPU: {hot === 1 ? "its" : "their"} response times may be inflated
          </span>
        )}
      </p>
      <div class="table-scroll auto">
        <table class="data workers-table">
          <colgroup>
            <col style={{ width: "64px" }} />
            <col />
            <col style={{ width: "130px" }} />
            <col style={{ width: "110px" }} />
            <col style={{ width: "110px" }} />
            <col style={{ width: "120px" }} />
          </colgroup>
          <thead>
            <tr>
              <th class="num">#</th>
              <th class="txt">Worker</th>
              <th class="txt">State</th>
              <th class="num">Users</th>
              <th class="num">CPU</th>
              <th class="num">Memory</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => {
              const state = WORKER_STATES.has(w.state) ? w.state : "unknown";
              const gone = w.state === "missing";
              const cpuHot = w.cpu_usage > WORKER_CPU_WARN;
              return (
                <tr key={`${w.index}:${w.id}`} class={gone ? "row missing" : "row"} data-state={state}>
                  <td class="num">{fmtInt(w.index)}</td>
                  <td class="txt name worker-id" title={titleOf(w.id)}>
                    <LongText text={w.id} label="Worker" />
                  </td>
                  <td class="txt">
                    <span class={`badge worker-state state-${state}`}>{w.state}</span>
                  </td>
                  <td class="num">{fmtInt(w.user_count)}</td>
                  <td class={cpuHot ? "num cpu warn" : "num cpu"} title={cpuHot ? `above ${WORKER_CPU_WARN}%: this worker is overloaded` : undefined}>
                    {fmtPercent(w.cpu_usage)}
                  </td>
                  <td class="num">{fmtMemory(w.memory_usage)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The download links; the full-history CSV only when it exists. */
export function DownloadsPanel({ status }) {
  const known = status && typeof status.full_history_csv === "boolean" ? status.full_history_csv : null;
  const [probed, setProbed] = useState(null);
  useEffect(() => {
    if (known !== null) return;
    let live = true;
    probe("stats/requests_full_history/csv").then((ok) => live && setProbed(ok));
    return () => {
      live = false;
    };
  }, [known]);
  const full = known !== null ? known : probed;
  const links = [
    ["stats/requests/csv", "Request statistics", "CSV: one row per endpoint and the total (_stats.csv)"],
    ["stats/history/csv", "Statistics history", "CSV: the total, once a second (_stats_history.csv)"],
    full && ["stats/requests_full_history/csv", "Full statistics history", "CSV: every endpoint, once a second (--csv-full-history)"],
    ["stats/failures/csv", "Failures", "CSV: failed requests by type, name and message (_failures.csv)"],
    ["exceptions/csv", "Errors", "CSV: errors raised by user code (_exceptions.csv)"],
    ["api/report.json", "JSON report", "Everything above in one JSON document, with the history"],
    ["stats/report?download=1", "HTML report", "One self-contained page with tables and charts; opens offline"],
  ].filter(Boolean);
  return (
    <div class="downloads" id="downloads">
      <ul>
        {links.map(([href, title, desc]) => (
          <li key={href}>
            <a href={href} download>
              {title}
            </a>
            <span class="muted">{desc}</span>
          </li>
        ))}
      </ul>
      <p class="muted">
        <a href="stats/report" target="_blank" rel="noopener">
          Open the HTML report
        </a>{" "}
        in a new tab.
      </p>
    </div>
  );
}
