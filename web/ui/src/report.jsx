// The self-contained HTML report: the data is embedded in the page
// (<script type="application/json" id="herd-report">), so it renders with
// no network request and no controls.
import { Charts } from "./charts.jsx";
import { ErrorsPanel, FailuresPanel, StatsPanel, WorkersPanel } from "./panels.jsx";
import { fmtBytes, fmtDateTime, fmtDuration, fmtInt, fmtMs, fmtNum, fmtPct, fmtRate } from "./format.js";
import { useTheme } from "./theme.js";
import { ThemeToggle } from "./common.jsx";

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
  const stats = { stats: rep.stats || [], total };
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

      <section class="card params" aria-label="Run parameters">
        <dl>
          <Param label="Host">{data.host || "–"}</Param>
          <Param label="Users">{fmtInt(data.users)}</Param>
          <Param label="Spawn rate">{fmtNum(data.spawn_rate)} users/s</Param>
          <Param label="Run time">{data.run_time_s > 0 ? fmtDuration(data.run_time_s) : "until stopped"}</Param>
          <Param label="Duration">{typeof rep.duration_s === "number" ? fmtDuration(rep.duration_s) : "–"}</Param>
          <Param label="User classes">{classes.length ? classes.join(", ") : "all"}</Param>
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
        <Tile label="Max" value={`${fmtMs(t.max_response_time)} ms`} />
        <Tile label="Avg size" value={fmtBytes(t.avg_content_length)} />
      </section>

      <nav class="report-nav" aria-label="Sections">
        <a href="#stats">Statistics</a>
        <a href="#percentiles">Percentiles</a>
        <a href="#charts-section">Charts</a>
        <a href="#failures-section">Failures ({fmtInt(failures.length)})</a>
        <a href="#errors-section">Errors ({fmtInt(errors.length)})</a>
        {workers && <a href="#workers-section">Workers ({fmtInt(workers.length)})</a>}
      </nav>

      <section class="report-section" id="stats">
        <h2>Request statistics</h2>
        <StatsPanel stats={stats} only="requests" id="stats-table" />
      </section>
      <section class="report-section" id="percentiles">
        <h2>Response time percentiles (ms)</h2>
        <StatsPanel stats={stats} only="percentiles" id="percentiles-table" />
      </section>
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
