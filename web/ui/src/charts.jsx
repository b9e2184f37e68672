// Charts over time (uPlot): total req/s and failures/s, response time
// percentiles over the last ~10 s, and users. The same component serves the
// live UI and the HTML report.
import uPlot from "uplot";
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { cssVar } from "./theme.js";
import { fmtInt, fmtMs, fmtRate } from "./format.js";

export const PICKABLE = ["66", "75", "80", "90", "98", "99", "99.9", "99.99", "100"];
const PICK_KEY = "herd.percentile";
const LEGEND_H = 26;

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const axisFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const minuteFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

// The x axis: local times, with seconds only when ticks are < 1 min apart.
function timeTicks(u, splits, axisIdx, space, incr) {
  const fmt = incr < 60 ? timeFmt : minuteFmt;
  return splits.map((v) => fmt.format(new Date(v * 1000)));
}

// Without a hovered point the legend shows the latest value.
function latest(u, v, sidx, idx) {
  if (idx == null) {
    const d = u.data[sidx];
    return d && d.length ? d[d.length - 1] : null;
  }
  return v;
}

function alpha(color, a) {
  // #rrggbb → rgba; anything else is returned unchanged.
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${a})`;
}

/**
 * One uPlot time chart. series: [{label, color (CSS variable name), fill?,
 * dash? (uPlot's dash pattern)}].
 * data: [timestamps (s), ...one array per series]. height: fixed plot
 * height, or undefined to fill the parent box.
 */
export function TimeChart({ series, data, fmtY, height, theme, label }) {
  const host = useRef(null);
  const plot = useRef(null);
  const shown = useRef(null);
  const zoomed = useRef(false);

  useLayoutEffect(() => {
    const el = host.current;
    const size = () => ({
      width: Math.max(200, Math.floor(el.clientWidth)),
      height: height || Math.max(100, Math.floor(el.clientHeight) - LEGEND_H),
    });
    const axis = cssVar("--muted") || "#666";
    const grid = cssVar("--grid") || "#ddd";
    const font = `12px ${cssVar("--font") || "sans-serif"}`;
    const axisOpts = { stroke: axis, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts = {
      ...size(),
      pxAlign: 0,
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { ...axisOpts, size: 30, values: timeTicks },
        { ...axisOpts, size: 58, values: (u, splits) => splits.map((v) => axisFmt.format(v)) },
      ],
      series: [
        {
          label: "Time",
          value: (u, v, sidx, idx) => {
            const t = latest(u, v, sidx, idx);
            return t == null ? "–" : timeFmt.format(new Date(t * 1000));
          },
        },
        ...series.map((s) => {
          const stroke = cssVar(s.color) || "#888";
          return {
            label: s.label,
            stroke,
            width: 1.75,
            fill: s.fill ? alpha(stroke, 0.12) : undefined,
            dash: s.dash,
            spanGaps: false,
            points: { show: false },
            value: (u, v, sidx, idx) => {
              const x = latest(u, v, sidx, idx);
              return x == null ? "–" : fmtY(x);
            },
          };
        }),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 0) zoomed.current = true;
          },
        ],
      },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    shown.current = data;
    const ro = new ResizeObserver(() => u.setSize(size()));
    ro.observe(el);
    const unzoom = () => {
      zoomed.current = false;
    };
    el.addEventListener("dblclick", unzoom);
    return () => {
      ro.disconnect();
      el.removeEventListener("dblclick", unzoom);
      u.destroy();
      plot.current = null;
    };
    // data is applied by the effect below; a new series list or theme
    // rebuilds the chart.
  }, [series, theme, height]);

  useLayoutEffect(() => {
    if (plot.current && shown.current !== data) {
      shown.current = data;
      const u = plot.current;
      u.setData(data, !zoomed.current);
      if (u.cursor.idx == null) u.setLegend({ idx: null }, false);
    }
  }, [data]);

  return <div class={height ? "chart-host fixed" : "chart-host"} ref={host} role="img" aria-label={label} title="Drag to zoom in, double-click to zoom out" />;
}

function buildColumns(history) {
  const n = history.length;
  const ts = new Array(n);
  const rps = new Array(n);
  const fps = new Array(n);
  const users = new Array(n);
  const p = {};
  const ip = {}; // from the intended start (open model)
  for (const k of ["50", "95", ...PICKABLE]) {
    p[k] = new Array(n);
    ip[k] = new Array(n);
  }
  const keys = Object.keys(p);
  let intended = false;
  for (let i = 0; i < n; i++) {
    const r = history[i];
    ts[i] = r.timestamp;
    rps[i] = r.current_rps;
    fps[i] = r.current_fail_per_sec;
    users[i] = r.user_count;
    const ps = r.percentiles || {};
    const ips = r.intended_percentiles;
    if (ips) intended = true;
    for (const k of keys) {
      const v = ps[k];
      p[k][i] = typeof v === "number" ? v : null;
      const iv = ips && ips[k];
      ip[k][i] = typeof iv === "number" ? iv : null;
    }
  }
  return { ts, rps, fps, users, p, ip, intended };
}

const RPS_SERIES = [
  { label: "Requests/s", color: "--c-rps", fill: true },
  { label: "Failures/s", color: "--c-fail", fill: true },
];
const USERS_SERIES = [{ label: "Users", color: "--c-users", fill: true }];

function storedPick() {
  try {
    const v = localStorage.getItem(PICK_KEY);
    if (PICKABLE.includes(v)) return v;
  } catch {
    // no storage on this page
  }
  return "99";
}

function ChartCard({ title, controls, children, fill }) {
  return (
    <section class={fill ? "chart-card fill" : "chart-card"}>
      <header class="chart-head">
        <h3>{title}</h3>
        {controls}
      </header>
      {children}
    </section>
  );
}

/**
 * The three charts. history: rows oldest first; version changes whenever
 * rows were added (the array may be mutated in place). fill: share the
 * parent's height (live UI); otherwise each chart has a fixed height.
 */
export function Charts({ history, version, theme, fill }) {
  const [pick, setPick] = useState(storedPick);
  const cols = useMemo(() => buildColumns(history), [history, version]);
  const intended = cols.intended;
  const rtSeries = useMemo(() => {
    const picked = pick === "100" ? "Max" : `${pick}%ile`;
    const s = [
      { label: "Median", color: "--c-p50" },
      { label: "95%ile", color: "--c-p95" },
      { label: picked, color: "--c-px" },
    ];
    // Open model: the picked percentile from the intended start, dashed.
    if (intended) s.push({ label: `${picked} from intended start`, color: "--c-intended", dash: [6, 4] });
    return s;
  }, [pick, intended]);
  const rpsData = useMemo(() => [cols.ts, cols.rps, cols.fps], [cols]);
  const rtData = useMemo(() => {
    const d = [cols.ts, cols.p["50"], cols.p["95"], cols.p[pick]];
    if (cols.intended) d.push(cols.ip[pick]);
    return d;
  }, [cols, pick]);
  const usersData = useMemo(() => [cols.ts, cols.users], [cols]);
  const h = fill ? undefined : 220;

  const onPick = (e) => {
    const v = e.currentTarget.value;
    try {
      localStorage.setItem(PICK_KEY, v);
    } catch {
      // ignore
    }
    setPick(v);
  };

  const picker = (
    <label class="pick">
      <span>Also show</span>
      <select value={pick} onChange={onPick} aria-label="Percentile to chart">
        {PICKABLE.map((k) => (
          <option key={k} value={k}>
            {k === "100" ? "max (100%)" : `${k}%ile`}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div class={fill ? "charts fill" : "charts"} id="charts">
      <ChartCard
        title="Total requests per second"
        fill={fill}
        controls={cols.ts.length === 0 ? <span class="muted">No data yet: the charts fill in once requests are made.</span> : null}
      >
        <TimeChart label="Requests and failures per second" series={RPS_SERIES} data={rpsData} fmtY={fmtRate} height={h} theme={theme} />
      </ChartCard>
      <ChartCard
        title={intended ? "Response times (ms), last 10 s: service time and from the intended start" : "Response times (ms), last 10 s"}
        controls={picker}
        fill={fill}
      >
        <TimeChart label="Response time percentiles" series={rtSeries} data={rtData} fmtY={fmtMs} height={h} theme={theme} />
      </ChartCard>
      <ChartCard title="Number of users" fill={fill}>
        <TimeChart label="Users" series={USERS_SERIES} data={usersData} fmtY={fmtInt} height={h} theme={theme} />
      </ChartCard>
    </div>
  );
}
