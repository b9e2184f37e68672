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
export const nameCol = { key: "name", label: "Name", value: (r) => r.name, fmt: text, titled: true, cls: () => "name" };
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

export const rowKey = (r) => `${r.method}\u0000${r.name}`;
