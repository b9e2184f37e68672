// Number and time formatting. Formatters are built once: creating an
// Intl.NumberFormat is far more expensive than using one.

const nf = (min, max) =>
  new Intl.NumberFormat(undefined, { minimumFractionDigits: min, maximumFractionDigits: max });

const int0 = nf(0, 0);
const dec1 = nf(1, 1);
const dec2 = nf(2, 2);
const upTo2 = nf(0, 2);
const upTo3 = nf(0, 3);

const DASH = "–";

const finite = (v) => typeof v === "number" && Number.isFinite(v);

/** An integer with thousands separators: 12,345. */
export function fmtInt(v) {
  return finite(v) ? int0.format(v) : DASH;
}

/** Milliseconds: 1,234 · 56.7 · 3.45 (more decimals for small values). */
export function fmtMs(v) {
  if (!finite(v)) return DASH;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 100) return int0.format(v);
  if (a >= 10) return dec1.format(v);
  if (a >= 1) return dec2.format(v);
  return upTo3.format(v);
}

/** A rate per second (req/s, failures/s). */
export function fmtRate(v) {
  if (!finite(v)) return DASH;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1000) return int0.format(v);
  if (a >= 10) return dec1.format(v);
  if (a >= 0.01) return dec2.format(v);
  return `<${dec2.format(0.01)}`;
}

/** A plain number with at most two decimals: 2.5, 10, 1,234.56. */
export function fmtNum(v) {
  return finite(v) ? upTo2.format(v) : DASH;
}

/** Bytes as B, KB, MB, GB (powers of 1024). */
export function fmtBytes(v) {
  if (!finite(v)) return DASH;
  const a = Math.abs(v);
  if (a < 1024) return `${int0.format(v)} B`;
  if (a < 1024 * 1024) return `${dec1.format(v / 1024)} KB`;
  if (a < 1024 * 1024 * 1024) return `${dec1.format(v / 1024 / 1024)} MB`;
  return `${dec1.format(v / 1024 / 1024 / 1024)} GB`;
}

/** Memory in bytes as MB below 1 GB, else GB (powers of 1024): 412.3 MB, 1.8 GB. */
export function fmtMemory(v) {
  if (!finite(v)) return DASH;
  const mb = v / 1024 / 1024;
  if (Math.abs(mb) < 1024) return `${dec1.format(mb)} MB`;
  return `${dec2.format(mb / 1024)} GB`;
}

/** A percentage (0–100) with one decimal: 93.4%. */
export function fmtPercent(v) {
  return finite(v) ? `${dec1.format(v)}%` : DASH;
}

/** A ratio (0–1) as a percentage: 1.5%. */
export function fmtPct(ratio) {
  if (!finite(ratio)) return DASH;
  const p = ratio * 100;
  if (p === 0) return "0%";
  if (p < 0.1) return `${dec2.format(p)}%`;
  return `${dec1.format(p)}%`;
}

/** A share (0–1) with at most two decimals of a percent: 33.33%. */
export function fmtShare(ratio) {
  if (!finite(ratio)) return DASH;
  return `${upTo2.format(ratio * 100)}%`;
}

/** Seconds as a compact duration: 45s · 2m 05s · 1h 02m 03s. */
export function fmtDuration(sec) {
  if (!finite(sec) || sec < 0) return DASH;
  const s = Math.floor(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const p2 = (n) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${p2(m)}m ${p2(r)}s`;
  if (m > 0) return `${m}m ${p2(r)}s`;
  return `${r}s`;
}

/** Seconds as a run-time value the swarm form accepts: 1h30m, 90s. */
export function fmtRunTime(sec) {
  if (!finite(sec) || sec <= 0) return "";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h ? h + "h" : ""}${m ? m + "m" : ""}${r || (!h && !m) ? r + "s" : ""}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** An RFC 3339 time as a local date and time, "" when absent. */
export function fmtDateTime(s) {
  if (!s) return "";
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 1971) return "";
  return dateTime.format(d);
}

/** Parses an RFC 3339 time into milliseconds, NaN when absent. */
export function parseTime(s) {
  if (!s) return NaN;
  const t = Date.parse(s);
  return Number.isNaN(t) || t < 31536000000 ? NaN : t;
}
