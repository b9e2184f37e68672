// Column definitions of the statistics tables (the console's columns).
import { fmtBytes, fmtInt, fmtMs, fmtRate } from "./format.js";

export const PERCENTILES = ["50", "66", "75", "80", "90", "95", "98", "99", "99.9", "99.99", "100"];

const W_NUM = "86px";
const text = (v) => (v === null || v === undefined ? "" : String(v));
const hasReq = (r) => r.num_requests > 0;
const ms = (field) => (r) => (hasReq(r) ? r[field] : null);
const pct = (k) => (r) => (r.percentiles && typeof r.percentiles[k] === "number" ? r.percentiles[k] : null);
const failCls = (r) => (r.num_failures > 0 ? "bad" : "");

export const typeCol = { key: "method", label: "Type", width: "80px", value: (r) => r.method, fmt: text };
export const nameCol = { key: "name", label: "Name", value: (r) => r.name, fmt: text, long: true, cls: () => "name" };
const requestsCol = {
  key: "num_requests",
  label: "#\u00a0Requests",
  title: "Number of requests",
  num: true,
  width: "92px",
  value: (r) => r.num_requests,
  fmt: fmtInt,
};
const failsCol = {
  key: "num_failures",
  label: "#\u00a0Fails",
  title: "Number of failed requests",
  num: true,
  width: "80px",
  value: (r) => r.num_failures,
  fmt: fmtInt,
  cls: failCls,
};

const timing = [
  { key: "median", label: "Median (ms)", title: "Median response time", value: ms("median_response_time") },
  { key: "p90", label: "90%ile (ms)", title: "90th percentile response time", value: pct("90") },
  { key: "p99", label: "99%ile (ms)", title: "99th percentile response time", value: pct("99") },
  { key: "avg", label: "Average (ms)", title: "Mean response time", value: ms("avg_response_time") },
  { key: "min", label: "Min (ms)", title: "Fastest response", value: ms("min_response_time") },
  { key: "max", label: "Max (ms)", title: "Slowest response", value: ms("max_response_time") },
].map((c) => ({ ...c, num: true, width: W_NUM, fmt: fmtMs }));

const sizeCol = {
  key: "size",
  label: "Average size",
  title: "Mean response body size",
  num: true,
  width: "92px",
  value: (r) => r.avg_content_length,
  fmt: fmtBytes,
};

/** The live table: current (last ~10 s) rates. */
export const LIVE_COLUMNS = [
  typeCol,
  nameCol,
  requestsCol,
  failsCol,
  ...timing,
  sizeCol,
  {
    key: "rps",
    label: "Current RPS",
    title: "Requests per second, last ~10 s",
    num: true,
    width: W_NUM,
    value: (r) => r.current_rps,
    fmt: fmtRate,
  },
  {
    key: "fps",
    label: "Current failures/s",
    title: "Failures per second, last ~10 s",
    num: true,
    width: "96px",
    value: (r) => r.current_fail_per_sec,
    fmt: fmtRate,
    cls: (r) => (r.current_fail_per_sec > 0 ? "bad" : ""),
  },
];

/** The report's table: whole-run rates. */
export const REPORT_COLUMNS = [
  typeCol,
  nameCol,
  requestsCol,
  failsCol,
  ...timing,
  sizeCol,
  {
    key: "rps",
    label: "RPS",
    title: "Requests per second over the whole run",
    num: true,
    width: W_NUM,
    value: (r) => r.total_rps,
    fmt: fmtRate,
  },
  {
    key: "fps",
    label: "Failures/s",
    title: "Failures per second over the whole run",
    num: true,
    width: W_NUM,
    value: (r) => r.total_fail_per_sec,
    fmt: fmtRate,
    cls: (r) => (r.total_fail_per_sec > 0 ? "bad" : ""),
  },
];

/** Response time percentiles over the whole run. */
export const PERCENTILE_COLUMNS = [
  typeCol,
  nameCol,
  requestsCol,
  ...PERCENTILES.map((k) => ({
    key: "p" + k,
    label: k === "100" ? "Max" : `${k}%ile`,
    title: `${k}th percentile response time (ms)`,
    num: true,
    width: k.length > 3 ? "76px" : "68px",
    value: pct(k),
    fmt: fmtMs,
  })),
];

// ---------- open model: response times from the intended start ----------

/** Explains the open model's second timing (the columns' tooltips). */
export const INTENDED_HELP =
  "Response time from the intended start: measured from when the arrival rate scheduled the iteration, " +
  "not from when the request was actually sent. When the target stalls, iterations start late and service " +
  "times hide the wait (coordinated omission); these include it.";

const ipct = (k) => (r) => {
  const ps = r.intended && r.intended.percentiles;
  return ps && typeof ps[k] === "number" ? ps[k] : null;
};
const intendedCls = () => "intended";

const INTENDED_TIMING = ["95", "99"].map((k) => ({
  key: "ip" + k,
  label: `${k}%ile intended (ms)`,
  title: `${k}th percentile response time from the intended start (ms). ${INTENDED_HELP}`,
  num: true,
  width: "84px",
  value: ipct(k),
  fmt: fmtMs,
  cls: intendedCls,
  head: "intended",
}));

const SERVICE_NOTE = " (service time: from the actual send)";

// Narrower numeric columns leave the name room beside the two more.
const NARROW = { median: "74px", p90: "74px", p99: "74px", avg: "74px", min: "74px", max: "74px", size: "84px", rps: "76px", fps: "84px" };

/**
 * columns with the intended-start columns after the service-time 99th
 * percentile, whose tooltips then say they are service times.
 */
function addIntended(columns) {
  const out = [];
  for (const c of columns) {
    const timed = timing.includes(c);
    out.push({ ...c, width: NARROW[c.key] || c.width, title: timed ? c.title + SERVICE_NOTE : c.title });
    if (c.key === "p99") out.push(...INTENDED_TIMING);
  }
  return out;
}

export const LIVE_COLUMNS_INTENDED = addIntended(LIVE_COLUMNS);
export const REPORT_COLUMNS_INTENDED = addIntended(REPORT_COLUMNS);

/** Percentiles from the intended start over the whole run (open model). */
export const INTENDED_PERCENTILE_COLUMNS = [
  typeCol,
  nameCol,
  requestsCol,
  ...PERCENTILES.map((k) => ({
    key: "ip" + k,
    label: k === "100" ? "Max" : `${k}%ile`,
    title: `${k}th percentile response time from the intended start (ms). ${INTENDED_HELP}`,
    num: true,
    width: k.length > 3 ? "76px" : "68px",
    value: ipct(k),
    fmt: fmtMs,
  })),
];

/** Whether a statistics document holds response times from the intended start. */
export function hasIntended(stats) {
  if (!stats) return false;
  if (stats.total && stats.total.intended) return true;
  return (stats.stats || []).some((e) => e.intended);
}

export const rowKey = (r) => `${r.method}\u0000${r.name}`;
