// The live UI: status bar, start/edit forms, and the tabs, fed by the
// Server-Sent Events of api/events (one update a second: the whole table
// first, then what changed; livetable.js).
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { HISTORY_POINTS, getJSON, post, postJSON } from "./api.js";
import { applyUpdate, newLiveTable } from "./livetable.js";
import { Charts } from "./charts.jsx";
import { DownloadsPanel, ErrorsPanel, FailuresPanel, StatsPanel, TasksPanel, WORKER_CPU_WARN, WorkersPanel } from "./panels.jsx";
import { fmtDuration, fmtInt, fmtNum, fmtPct, fmtRate, fmtRunTime, parseTime } from "./format.js";
import { useTheme } from "./theme.js";
import { ThemeToggle } from "./common.jsx";
import { LongText, titleOf } from "./longtext.jsx";
import { ThresholdBadge, ThresholdsPanel, thresholdStatus, thresholdSummary, thresholdVerdict, verdictText } from "./thresholds.jsx";

const TABS = [
  ["stats", "Statistics"],
  ["thresholds", "Thresholds"], // only with thresholds
  ["charts", "Charts"],
  ["failures", "Failures"],
  ["errors", "Errors"],
  ["tasks", "Tasks"],
  ["workers", "Workers"], // only on a master (status.is_master)
  ["download", "Download"],
];
const IDLE = new Set(["ready", "stopped"]);
const ACTIVE = new Set(["spawning", "running"]);

// The test's own tabs (status.tabs: Test.WebUI) are "ext-0", "ext-1", …
// in the order given; each shows its page in a frame.
const EXT_TAB = /^ext-\d+$/;

function useHashTab() {
  const read = () => {
    const h = location.hash.replace(/^#/, "");
    return TABS.some(([k]) => k === h) || EXT_TAB.test(h) ? h : "stats";
  };
  const [tab, setTab] = useState(read);
  useEffect(() => {
    const on = () => setTab(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  const select = (k) => {
    history.replaceState(null, "", k === "stats" ? location.pathname + location.search : "#" + k);
    setTab(k);
  };
  return [tab, select];
}

/** Each percentile's maximum of a and b (objects or undefined). */
function maxPercentiles(a, b) {
  const ps = {};
  for (const src of [a || {}, b || {}]) {
    for (const k in src) ps[k] = ps[k] === undefined ? src[k] : Math.max(ps[k], src[k]);
  }
  return ps;
}

/** Merges neighbouring history points pairwise (as the server does). */
function halve(h) {
  const out = [];
  let i = 0;
  for (; i + 1 < h.length; i += 2) {
    const a = h[i];
    const b = h[i + 1];
    const p = {
      ...b,
      current_rps: (a.current_rps + b.current_rps) / 2,
      current_fail_per_sec: (a.current_fail_per_sec + b.current_fail_per_sec) / 2,
      percentiles: maxPercentiles(a.percentiles, b.percentiles),
    };
    if (a.intended_percentiles || b.intended_percentiles) p.intended_percentiles = maxPercentiles(a.intended_percentiles, b.intended_percentiles);
    out.push(p);
  }
  if (i < h.length) out.push(h[i]);
  return out;
}

function Dialog({ title, onClose, children }) {
  useEffect(() => {
    const on = (e) => e.key === "Escape" && onClose();
    addEventListener("keydown", on);
    return () => removeEventListener("keydown", on);
  }, [onClose]);
  return (
    <div class="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <header>
          <h2 id="dialog-title">{title}</h2>
          <button type="button" class="icon-btn" aria-label="Close" title="Close (Esc)" onClick={onClose}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

/** The start form (mode "start") or the edit form of a running test. */
function SwarmForm({ status, mode, onDone, onCancel }) {
  const init = useMemo(
    () => ({
      users: status.target_users || status.user_count || 1,
      rate: status.spawn_rate || 1,
      host: status.host || "",
      runTime: fmtRunTime(status.run_time_s),
    }),
    [], // the form keeps what the user types: its defaults are taken once
  );
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const classes = (status.class_picker && status.user_classes) || [];
  // The test's own options (Locust's custom parameters): each field is
  // named as /swarm reads it; a switch sends "false" when unchecked.
  const options = status.extra_options || [];
  const noneSelected = !classes.some((c) => c.selected);
  const shape = status.shape || "";
  const arrival = status.arrival_rate || "";
  const first = useRef(null);
  useEffect(() => {
    if (first.current) {
      first.current.focus();
      first.current.select();
    }
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    const body = new URLSearchParams();
    for (const [k, v] of new FormData(e.currentTarget)) body.append(k, String(v).trim());
    setBusy(true);
    setMessage("");
    const r = await post("swarm", body);
    setBusy(false);
    if (r.ok) onDone(r);
    else setMessage(r.message || "The test could not be started.");
  };

  const start = mode === "start";
  // A load shape drives the user count and spawn rate: the form still
  // sends them (the API requires them), but they are not the user's to set.
  // In the open model the pool starts at once: no spawn rate to set.
  let counts;
  if (shape) {
    counts = (
      <div class="form-note" id="shape-note">
        <input type="hidden" name="user_count" value={String(init.users)} />
        <input type="hidden" name="spawn_rate" value={String(init.rate > 0 ? init.rate : 1)} />
        Load shape: <code class="spec">{shape}</code> drives the user count
        {arrival ? " (the pool of users)" : ""} and the spawn rate.
      </div>
    );
  } else {
    counts = (
      <div class="field-row">
        <label class="field">
          <span>{arrival ? "Pool of users" : "Number of users"}</span>
          <input ref={first} name="user_count" type="number" inputMode="numeric" min="0" step="1" defaultValue={String(init.users)} required />
          <small>
            {arrival
              ? `started at once; they run the iterations${status.max_users > 0 ? `, up to ${fmtInt(status.max_users)} users (--max-users)` : ""}`
              : "peak concurrency"}
          </small>
        </label>
        {arrival ? (
          <label class="field">
            <span>Arrival rate</span>
            <input type="text" id="arrival-rate" value={arrival} readOnly aria-readonly="true" title="--arrival-rate: set on the command line" />
            <input type="hidden" name="spawn_rate" value={String(init.rate > 0 ? init.rate : 1)} />
            <small>iterations started per second (--arrival-rate), whatever the response times</small>
          </label>
        ) : (
          <label class="field">
            <span>Spawn rate</span>
            <input name="spawn_rate" type="number" inputMode="decimal" min="0" step="any" defaultValue={String(init.rate)} required />
            <small>users {start ? "started" : "started or stopped"} per second</small>
          </label>
        )}
      </div>
    );
  }
  return (
    <form class="swarm-form" id={start ? "start-form" : "edit-form"} onSubmit={submit} noValidate>
      {counts}
      {start && (
        <>
          <label class="field">
            <span>Host</span>
            <input name="host" type="text" autoCapitalize="off" autoCorrect="off" spellCheck={false} placeholder="http://localhost:8080" defaultValue={init.host} />
            <small>base URL of the system under test; empty keeps each user class's own host</small>
          </label>
          <label class="field">
            <span>Run time</span>
            <input name="run_time" type="text" autoCapitalize="off" spellCheck={false} placeholder="e.g. 90s, 20m, 1h30m" defaultValue={init.runTime} />
            <small>empty: until you stop it</small>
          </label>
          {classes.length > 0 && (
            <fieldset class="classes">
              <legend>User classes</legend>
              {classes.map((c) => (
                <label key={c.name} class="check">
                  <input type="checkbox" name="user_classes" value={c.name} defaultChecked={noneSelected || c.selected} />
                  <span class="class-name" title={titleOf(c.name)}>
                    <LongText text={c.name} label="User class" />
                  </span>
                  <span class="muted">{c.fixed_count > 0 ? `fixed ${fmtInt(c.fixed_count)}` : `weight ${fmtInt(c.weight)}`}</span>
                </label>
              ))}
            </fieldset>
          )}
          {options.length > 0 && (
            <fieldset class="classes custom-options" id="custom-options">
              <legend>Custom parameters</legend>
              {options.map((o) =>
                o.type === "bool" ? (
                  <label key={o.name} class="check">
                    <input type="checkbox" name={o.name} value="true" defaultChecked={o.value === "true"} />
                    <input type="hidden" name={o.name} value="false" />
                    <span>{o.flag}</span>
                    {o.help && <span class="muted">{o.help}</span>}
                  </label>
                ) : (
                  <label key={o.name} class="field">
                    <span>{o.flag}</span>
                    <input name={o.name} type="text" autoCapitalize="off" spellCheck={false} defaultValue={o.value} />
                    {o.help && <small>{o.help}</small>}
                  </label>
                ),
              )}
            </fieldset>
          )}
        </>
      )}
      {message && (
        <p class="form-error" role="alert" id="form-error">
          {message}
        </p>
      )}
      <div class="form-actions">
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? "Sending…" : start ? "Start" : "Apply"}
        </button>
      </div>
    </form>
  );
}

function Metric({ label, children, title, cls }) {
  return (
    <div class={"metric" + (cls ? " " + cls : "")} title={title}>
      <span class="metric-label">{label}</span>
      <span class="metric-value">{children}</span>
    </div>
  );
}

function timeMetric(status) {
  if (!status) return ["Time", "–"];
  const started = parseTime(status.started_at);
  if (Number.isNaN(started)) return ["Time", "–"];
  if (ACTIVE.has(status.state) && typeof status.run_time_left_s === "number") {
    return ["Time left", fmtDuration(status.run_time_left_s)];
  }
  const stopped = parseTime(status.stopped_at);
  const now = parseTime(status.server_time);
  const end = !Number.isNaN(stopped) ? stopped : !Number.isNaN(now) ? now : Date.now();
  return [IDLE.has(status.state) ? "Ran for" : "Elapsed", fmtDuration((end - started) / 1000)];
}

/** A master's worker count: workers not missing, and how many are missing. */
function WorkersMetric({ status }) {
  const workers = status.workers || [];
  const n = typeof status.worker_count === "number" ? status.worker_count : workers.filter((w) => w.state !== "missing").length;
  const missing = workers.filter((w) => w.state === "missing").length;
  const title = `${fmtInt(n)} ${n === 1 ? "worker" : "workers"} connected` + (missing > 0 ? `, ${fmtInt(missing)} missing` : "");
  return (
    <Metric label="Master" cls={n === 0 ? "bad" : ""} title={title}>
      <span id="worker-count">
        {fmtInt(n)} {n === 1 ? "worker" : "workers"}
      </span>
      {missing > 0 && <span class="sub bad"> ({fmtInt(missing)} missing)</span>}
    </Metric>
  );
}

/** The thresholds' verdict in the status bar; a click opens their tab. */
function ThresholdsMetric({ thresholds, onOpen, ongoing }) {
  const verdict = thresholdVerdict(thresholds);
  return (
    <Metric label="Thresholds" cls={verdict === "fail" ? "bad" : ""} title={thresholdSummary(thresholds)}>
      <button type="button" class="link-badge" id="thresholds-badge" data-verdict={verdict} onClick={onOpen}>
        <ThresholdBadge status={verdict}>{verdictText(verdict, ongoing)}</ThresholdBadge>
      </button>
    </Metric>
  );
}

/** The Users metric's tooltip: spawn rate, or the open model, or the shape. */
function usersTitle(status) {
  if (!status) return "";
  const parts = [];
  if (status.arrival_rate) {
    parts.push(`open model: iterations start at ${status.arrival_rate}; users are the pool that runs them`);
    if (status.max_users > 0) parts.push(`up to ${fmtInt(status.max_users)} users (--max-users)`);
  } else {
    parts.push(`spawn rate ${fmtNum(status.spawn_rate)} users/s`);
  }
  if (status.shape) parts.push(`load shape ${status.shape} drives the user count`);
  return parts.join("; ");
}

function StatusBar({ status, stats, theme, actions, thresholds, onThresholds }) {
  const state = (status && status.state) || "connecting";
  const total = stats && stats.total;
  const failRatio = total && total.num_requests > 0 ? total.num_failures / total.num_requests : 0;
  const [timeLabel, timeValue] = timeMetric(status);
  return (
    <header class="topbar">
      <div class="brand" aria-label="herd">
        <span class="logo" aria-hidden="true" />
        herd
      </div>
      <span class={`badge state-${state}`} id="state-badge">
        {state}
      </span>
      <div class="metrics">
        <Metric label="Host" cls="host" title={status ? status.host : ""}>
          {(status && status.host) || "–"}
        </Metric>
        <Metric label={status && status.arrival_rate ? "Pool" : "Users"} title={usersTitle(status)}>
          <span id="users-now">{fmtInt(status ? status.user_count : NaN)}</span>
          {status && status.target_users !== status.user_count && <span class="sub"> / {fmtInt(status.target_users)}</span>}
        </Metric>
        <Metric label="RPS" title="Requests per second, last ~10 s">
          <span id="total-rps">{fmtRate(total ? total.current_rps : NaN)}</span>
        </Metric>
        <Metric label="Failures" cls={failRatio > 0 ? "bad" : ""} title="Failed requests over all requests">
          <span id="fail-ratio">{fmtPct(failRatio)}</span>
        </Metric>
        {status && status.is_master && <WorkersMetric status={status} />}
        {thresholds.length > 0 && <ThresholdsMetric thresholds={thresholds} onOpen={onThresholds} ongoing={!IDLE.has(state)} />}
        <Metric label={timeLabel}>{timeValue}</Metric>
      </div>
      <div class="actions">
        {actions}
        <ThemeToggle theme={theme} />
      </div>
    </header>
  );
}

export function LiveApp() {
  const theme = useTheme();
  const [status, setStatus] = useState(null);
  const [stats, setStats] = useState(null);
  const [thresholds, setThresholds] = useState([]);
  const history = useRef([]);
  const [histVersion, setHistVersion] = useState(0);
  const [conn, setConn] = useState("connecting");
  const [tab, setTab] = useHashTab();
  const [dialog, setDialog] = useState(null);
  const [notice, setNotice] = useState("");
  const [tasksKey, setTasksKey] = useState(0);
  const gotUpdate = useRef(false);
  const lastState = useRef(null);
  const decided = useRef(false);
  const perfMark = useRef(null);
  const histReq = useRef(0);
  const table = useRef(newLiveTable());
  // The stream's id, and the rows shown that its updates carry first.
  const client = useRef("");
  const view = useRef({ keys: null, posted: "", timer: 0 });

  const loadHistory = useCallback(() => {
    const id = ++histReq.current;
    getJSON(`api/history?points=${HISTORY_POINTS}`)
      .then((d) => {
        if (id !== histReq.current) return;
        const pts = (d && d.points) || [];
        const lastTs = pts.length ? pts[pts.length - 1].timestamp : -Infinity;
        history.current = pts.concat(history.current.filter((p) => p.timestamp > lastTs));
        setHistVersion((v) => v + 1);
      })
      .catch(() => {});
  }, []);

  const appendPoint = (p) => {
    const h = history.current;
    const last = h[h.length - 1];
    if (last && p.timestamp < last.timestamp) {
      history.current = [p];
      loadHistory();
    } else if (last && p.timestamp === last.timestamp) {
      h[h.length - 1] = p;
    } else {
      h.push(p);
      if (h.length > 2 * HISTORY_POINTS) history.current = halve(h);
    }
    setHistVersion((v) => v + 1);
  };

  const applyStatus = (st) => {
    const prev = lastState.current;
    lastState.current = st.state;
    if (!decided.current) {
      decided.current = true;
      if (IDLE.has(st.state)) setDialog("start");
    }
    if (prev && IDLE.has(prev) && ACTIVE.has(st.state)) {
      // A new test: its history starts afresh.
      history.current = [];
      loadHistory();
      setTasksKey((k) => k + 1);
    }
    setStatus(st);
  };

  useEffect(() => {
    let es = null;
    let retry = 0;
    let closed = false;
    let lost = false;
    let resyncAt = 0;
    // The table lost track of the server's: a new stream starts with the
    // whole table (at most every 5 s).
    const resync = () => {
      if (closed || Date.now() - resyncAt < 5000) return;
      resyncAt = Date.now();
      if (es) es.close();
      connect();
    };
    const onUpdate = (ev) => {
      const t0 = performance.now();
      let d;
      try {
        d = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (window.__herdPerf) perfMark.current = { t0, parse: performance.now() - t0, bytes: ev.data.length };
      gotUpdate.current = true;
      if (d.state) applyStatus(d.state);
      if (typeof d.client === "string" && d.client !== client.current) {
        client.current = d.client;
        view.current.posted = ""; // a new stream: tell it the rows shown
      }
      if (d.stats) {
        const { stats: st, ok } = applyUpdate(table.current, d);
        setStats(st);
        if (!ok) resync();
      }
      if (Array.isArray(d.thresholds)) setThresholds(d.thresholds);
      if (d.point) appendPoint(d.point);
    };
    const connect = () => {
      if (closed) return;
      es = new EventSource("api/events");
      es.addEventListener("update", onUpdate);
      es.onmessage = onUpdate;
      es.onopen = () => {
        if (lost) loadHistory();
        lost = false;
        setConn("live");
      };
      es.onerror = () => {
        lost = true;
        client.current = ""; // the stream's id ends with it
        setConn("lost");
        if (es.readyState === EventSource.CLOSED) {
          // The browser gave up (e.g. an HTTP error): try again later.
          es.close();
          retry = setTimeout(connect, 3000);
        }
      };
    };
    // The stream's first update brings the statistics.
    Promise.all([getJSON("api/state"), getJSON("api/thresholds").catch(() => [])])
      .then(([st, th]) => {
        if (gotUpdate.current) return;
        applyStatus(st);
        if (Array.isArray(th)) setThresholds(th);
      })
      .catch(() => {});
    loadHistory();
    connect();
    return () => {
      closed = true;
      clearTimeout(retry);
      clearTimeout(view.current.timer);
      if (es) es.close();
    };
  }, []);

  // The rows the statistics table shows, told to the stream (at most four
  // times a second, and only when they changed) so that its updates
  // bring them first.
  const onView = useCallback((keys) => {
    const v = view.current;
    v.keys = keys;
    if (v.timer) return;
    v.timer = setTimeout(() => {
      v.timer = 0;
      const body = JSON.stringify(v.keys);
      if (!client.current || body === v.posted) return;
      v.posted = body;
      postJSON("api/view", { client: client.current, rows: v.keys });
    }, 250);
  }, []);

  // In-page timing of one update (tests and README figures): set
  // window.__herdPerf = {} before the page loads to collect it.
  useLayoutEffect(() => {
    const m = perfMark.current;
    const perf = window.__herdPerf;
    if (!m || !perf) return;
    perfMark.current = null;
    const commit = performance.now() - m.t0;
    requestAnimationFrame(() =>
      setTimeout(() => {
        (perf.updates = perf.updates || []).push({ ...m, commit, frame: performance.now() - m.t0, tab });
      }, 0),
    );
  });

  const state = status ? status.state : "";
  useEffect(() => {
    document.title = state ? `herd · ${state}` : "herd";
  }, [state]);

  const act = async (path, done) => {
    const r = await post(path);
    if (!r.ok) setNotice(`${path}: ${r.message}`);
    else {
      setNotice("");
      if (done) done();
    }
  };
  // The next update brings the emptied table.
  const onReset = () =>
    act("stats/reset", () => {
      history.current = [];
      loadHistory();
    });
  const closeDialog = useCallback(() => setDialog(null), []);

  let actions;
  if (!status) actions = null;
  else if (IDLE.has(state)) {
    actions = (
      <>
        <button type="button" class="btn primary" id="new-test" onClick={() => setDialog("start")}>
          New test
        </button>
        <button type="button" class="btn" id="reset-stats" onClick={onReset}>
          Reset stats
        </button>
      </>
    );
  } else {
    const stopping = state === "stopping";
    actions = (
      <>
        <button
          type="button"
          class="btn"
          id="edit-test"
          disabled={stopping || !!status.shape}
          title={status.shape ? `The load shape ${status.shape} drives the user count` : undefined}
          onClick={() => setDialog("edit")}
        >
          Edit
        </button>
        <button type="button" class="btn danger" id="stop-test" disabled={stopping} onClick={() => act("stop")}>
          {stopping ? "Stopping…" : "Stop"}
        </button>
        <button type="button" class="btn" id="reset-stats" onClick={onReset}>
          Reset stats
        </button>
      </>
    );
  }

  const failures = (stats && stats.failures) || [];
  const errors = (stats && stats.errors) || [];
  const isMaster = !!(status && status.is_master);
  const workers = (isMaster && status.workers) || [];
  const hasThresholds = thresholds.length > 0;
  const failing = thresholds.filter((r) => thresholdStatus(r) === "fail").length;
  const counts = { failures: failures.length, errors: errors.length, workers: workers.length, thresholds: failing || thresholds.length };
  const workersBad = workers.some((w) => w.state === "missing" || w.cpu_usage > WORKER_CPU_WARN);
  const bad = { failures: true, errors: true, workers: workersBad, thresholds: failing > 0 };
  const extTabs = ((status && status.tabs) || []).map((t, i) => [`ext-${i}`, t.title, t.url]);
  const tabs = TABS.filter(([k]) => (k !== "workers" || isMaster) && (k !== "thresholds" || hasThresholds)).concat(extTabs);
  const ext = extTabs.find(([k]) => k === tab);
  // #workers on a process that is not a master (or no longer one), and
  // #thresholds without thresholds, show the statistics; until the first
  // status arrives nothing is decided.
  let shown = tab;
  if (status && ((tab === "workers" && !isMaster) || (tab === "thresholds" && !hasThresholds) || (EXT_TAB.test(tab) && !ext))) shown = "stats";

  return (
    <div class="app live">
      <StatusBar status={status} stats={stats} theme={theme} actions={actions} thresholds={thresholds} onThresholds={() => setTab("thresholds")} />
      {status && status.cpu_warning && (
        <div class="banner warn" role="alert" id="cpu-warning">
          herd is using {Math.round((status.cpu_percent > 1 ? status.cpu_percent : status.cpu_percent * 100) || 90)}% of its CPU: response times
          may be inflated by the load generator itself. Use fewer users or more workers.
        </div>
      )}
      {stats && stats.names_overflow && (
        <div class="banner warn" role="alert" id="names-overflow">
          {stats.names_overflow.message || `More distinct request names than --max-names: the others share the row ${stats.names_overflow.name}.`}
        </div>
      )}
      {conn === "lost" && (
        <div class="banner bad" role="status">
          Lost the connection to herd; reconnecting…
        </div>
      )}
      {notice && (
        <div class="banner bad" role="alert">
          {notice}
          <button type="button" class="link" onClick={() => setNotice("")}>
            Dismiss
          </button>
        </div>
      )}
      <nav class="tabs" role="tablist" aria-label="Views">
        {tabs.map(([k, label]) => (
          <button
            key={k}
            type="button"
            role="tab"
            id={`tab-${k}`}
            aria-selected={shown === k}
            class={shown === k ? "tab on" : "tab"}
            onClick={() => setTab(k)}
          >
            {label}
            {counts[k] > 0 && (
              <span class={bad[k] ? "tab-count bad" : "tab-count"} title={k === "thresholds" ? thresholdSummary(thresholds) : undefined}>
                {fmtInt(counts[k])}
              </span>
            )}
          </button>
        ))}
      </nav>
      <main class={`pane pane-${shown}`} role="tabpanel" aria-labelledby={`tab-${shown}`}>
        {shown === "stats" && <StatsPanel stats={stats} live fill open={!!(status && status.arrival_rate)} maxUsers={status ? status.max_users : 0} onView={onView} />}
        {shown === "thresholds" && hasThresholds && (
          <ThresholdsPanel
            thresholds={thresholds}
            start={status && status.started_at}
            ongoing={!IDLE.has(state)}
            note={IDLE.has(state) ? "as of the end of the last run" : undefined}
          />
        )}
        {shown === "charts" && <Charts history={history.current} version={histVersion} theme={theme.theme} fill />}
        {shown === "failures" && <FailuresPanel failures={failures} />}
        {shown === "errors" && <ErrorsPanel errors={errors} />}
        {shown === "tasks" && <TasksPanel refresh={tasksKey} />}
        {shown === "workers" && isMaster && <WorkersPanel workers={workers} />}
        {shown === "download" && <DownloadsPanel status={status} />}
        {ext && shown === ext[0] && <iframe key={ext[0]} class="ext-frame" src={ext[2]} title={ext[1]} />}
      </main>
      {dialog && status && (
        <Dialog title={dialog === "start" ? "Start a new load test" : "Change the running test"} onClose={closeDialog}>
          <SwarmForm
            status={status}
            mode={dialog}
            onCancel={closeDialog}
            onDone={() => {
              if (dialog === "start") {
                history.current = [];
                setHistVersion((v) => v + 1);
                setTab("stats");
              }
              setDialog(null);
            }}
          />
        </Dialog>
      )}
    </div>
  );
}
