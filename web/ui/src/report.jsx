// The self-contained HTML report: the data is embedded in the page
// (<script type="application/json" id="herd-report">), so it renders with
// no network request and no controls.
import { Charts } from "./charts.jsx";
import { ErrorsPanel, FailuresPanel, StatsPanel, WorkersPanel } from "./panels.jsx";
import { ThresholdsPanel, thresholdSummary, thresholdVerdict } from "./thresholds.jsx";
import { fmtBytes, fmtDateTime, fmtDuration, fmtInt, fmtMs, fmtNum, fmtPct, fmtRate } from "./format.js";
import { useTheme } from "./theme.js";
import { ThemeToggle } from "./common.jsx";
import { LongText } from "./longtext.jsx";

function Tile({ label, value, sub, cls }) {
  return (
    <div class={"tile" + (cls ? " " + cls : "")}>
      <span class="tile-label">{label}</span>
      <span class="tile-value">{value}</span>
      {sub && <span class="tile-sub">{sub}</span>}
    </div>
  );
}

function Param({ label, children }) {
  return (
    <div class="param">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function ReportApp({ data }) {
  const theme = useTheme();
  if (!data || typeof data !== "object") {
    return <p class="empty-state">This report's data could not be read.</p>;
  }
  const rep = data.report || {};
  const total = rep.total || null;
  const stats = { stats: rep.stats || [], total, iterations: rep.iterations, dropped_iterations: rep.dropped_iterations };
  const history = rep.history || [];
  const failures = rep.failures || [];
  const errors = rep.errors || [];
  const start = data.start_time || rep.start_time;
  const end = data.end_time || rep.end_time;
  const t = total || {};
  const pct = (k) => (t.percentiles && typeof t.percentiles[k] === "number" ? t.percentiles[k] : NaN);
  const failRatio = t.num_requests > 0 ? t.num_failures / t.num_requests : 0;
  const classes = data.user_classes || [];
  // Present only when the report comes from a master.
  const workers = Array.isArray(data.workers) ? data.workers : null;
  // Present only when thresholds were configured.
  const thresholds = Array.isArray(data.thresholds) && data.thresholds.length > 0 ? data.thresholds : null;
  const verdict = thresholdVerdict(thresholds);
  const arrival = data.arrival_rate || "";
  const open = !!arrival || typeof rep.iterations === "number" || typeof rep.dropped_iterations === "number";
  const it = t.intended || null;
  const ipct = (k) => (it && it.percentiles && typeof it.percentiles[k] === "number" ? it.percentiles[k] : NaN);
  const started = rep.iterations || 0;
  const dropped = rep.dropped_iterations || 0;
  const title = data.title || "herd load test report";
  document.title = title;

  return (
    <div class="app report" id="report">
      <header class="report-head">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          herd
        </div>
        <div class="report-title">
          <h1>{title}</h1>
          <p class="muted">
            {fmtDateTime(start)}
            {end ? ` – ${fmtDateTime(end)}` : ""}
            {typeof rep.duration_s === "number" ? ` · ${fmtDuration(rep.duration_s)}` : ""}
          </p>
        </div>
        <ThemeToggle theme={theme} />
      </header>

      {rep.names_overflow && (
        <div class="banner warn" role="alert" id="names-overflow">
          {rep.names_overflow.message || `More distinct request names than --max-names: the others share the row ${rep.names_overflow.name}.`}
        </div>
      )}

      <section class="card params" aria-label="Run parameters">
        <dl>
          <Param label="Host">{data.host || "–"}</Param>
          {arrival && <Param label="Arrival rate">{arrival}</Param>}
          <Param label={arrival ? "Pool of users" : "Users"}>
            {fmtInt(data.users)}
            {arrival && data.max_users > 0 ? ` (up to ${fmtInt(data.max_users)})` : ""}
          </Param>
          {!arrival && <Param label="Spawn rate">{fmtNum(data.spawn_rate)} users/s</Param>}
          {data.shape && <Param label="Load shape">{data.shape}</Param>}
          <Param label="Run time">{data.run_time_s > 0 ? fmtDuration(data.run_time_s) : "until stopped"}</Param>
          <Param label="Duration">{typeof rep.duration_s === "number" ? fmtDuration(rep.duration_s) : "–"}</Param>
          <Param label="User classes">{classes.length ? <LongText text={classes.join(", ")} label="User classes" /> : "all"}</Param>
          {workers && <Param label="Workers">{fmtInt(workers.length)}</Param>}
        </dl>
      </section>

      <section class="tiles" aria-label="Summary">
        <Tile label="Requests" value={fmtInt(t.num_requests)} sub={`${fmtRate(t.total_rps)} req/s`} />
        <Tile
          label="Failures"
          value={fmtInt(t.num_failures)}
          sub={fmtPct(failRatio)}
          cls={t.num_failures > 0 ? "bad" : ""}
        />
        <Tile label="Median" value={`${fmtMs(pct("50"))} ms`} />
        <Tile label="95%ile" value={`${fmtMs(pct("95"))} ms`} />
        <Tile label="99%ile" value={`${fmtMs(pct("99"))} ms`} />
        {it && <Tile label="99%ile from intended start" value={`${fmtMs(ipct("99"))} ms`} sub={`95%ile ${fmtMs(ipct("95"))} ms`} cls="intended" />}
        {open && (
          <Tile
            label="Iterations"
            value={fmtInt(started)}
            sub={`dropped ${fmtInt(dropped)} (${fmtPct(started + dropped > 0 ? dropped / (started + dropped) : 0)})`}
            cls={dropped > 0 ? "warn" : ""}
          />
        )}
        {verdict && <Tile label="Thresholds" value={verdict === "pass" ? "passed" : verdict === "fail" ? "failed" : "pending"} sub={thresholdSummary(thresholds)} cls={`thr-${verdict}`} />}
        <Tile label="Max" value={`${fmtMs(t.max_response_time)} ms`} />
        <Tile label="Avg size" value={fmtBytes(t.avg_content_length)} />
      </section>

      <nav class="report-nav" aria-label="Sections">
        {thresholds && <a href="#thresholds-section">Thresholds ({fmtInt(thresholds.length)})</a>}
        <a href="#stats">Statistics</a>
        <a href="#percentiles">Percentiles</a>
        <a href="#charts-section">Charts</a>
        <a href="#failures-section">Failures ({fmtInt(failures.length)})</a>
        <a href="#errors-section">Errors ({fmtInt(errors.length)})</a>
        {workers && <a href="#workers-section">Workers ({fmtInt(workers.length)})</a>}
      </nav>

      {thresholds && (
        <section class="report-section" id="thresholds-section">
          <h2>Thresholds</h2>
          <ThresholdsPanel thresholds={thresholds} start={start} note="as of this report (at the end of a run: its verdict)" />
        </section>
      )}
      <section class="report-section" id="stats">
        <h2>Request statistics</h2>
        <StatsPanel stats={stats} only="requests" id="stats-table" open={open} maxUsers={data.max_users} />
      </section>
      <section class="report-section" id="percentiles">
        <h2>Response time percentiles (ms)</h2>
        <StatsPanel stats={stats} only="percentiles" id="percentiles-table" />
      </section>
      {it && (
        <section class="report-section" id="intended-section">
          <h2>Response time percentiles from the intended start (ms)</h2>
          <StatsPanel stats={stats} only="intended" id="intended-table" />
        </section>
      )}
      <section class="report-section" id="charts-section">
        <h2>Charts</h2>
        <Charts history={history} version={0} theme={theme.theme} />
      </section>
      <section class="report-section" id="failures-section">
        <h2>Failures</h2>
        <FailuresPanel failures={failures} />
      </section>
      <section class="report-section" id="errors-section">
        <h2>Errors</h2>
        <ErrorsPanel errors={errors} />
      </section>
      {workers && (
        <section class="report-section" id="workers-section">
          <h2>Workers</h2>
          <WorkersPanel workers={workers} empty="No worker was connected when the report was written." />
        </section>
      )}
      <footer class="muted report-foot">Generated by herd.</footer>
    </div>
  );
}
