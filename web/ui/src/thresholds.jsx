// Pass/fail thresholds (--threshold): the list of results and the overall
// verdict, shared by the live UI and the HTML report. Expressions name
// endpoints, which are user data: rendered as text only.
import { fmtDuration, parseTime } from "./format.js";

const STATUSES = new Set(["pass", "fail", "pending"]);
const STATUS_TEXT = { pass: "pass", fail: "fail", pending: "pending" };

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** A result's status, "pending" for anything unknown. */
export function thresholdStatus(r) {
  return r && STATUSES.has(r.status) ? r.status : "pending";
}

/**
 * The verdict over every threshold: "fail" if any fails, else "pending" if
 * any has no verdict yet, else "pass"; null without thresholds.
 */
export function thresholdVerdict(list) {
  if (!list || list.length === 0) return null;
  const st = list.map(thresholdStatus);
  if (st.includes("fail")) return "fail";
  if (st.includes("pending")) return "pending";
  return "pass";
}

/** The status badge of one threshold, or of the verdict. */
export function ThresholdBadge({ status, id, children }) {
  const s = STATUSES.has(status) ? status : "pending";
  return (
    <span class={`badge thr thr-${s}`} id={id}>
      {children || STATUS_TEXT[s]}
    </span>
  );
}

/** "12:00:05 (+1m 05s)": when a threshold first failed, and since the start. */
function firstFailed(at, start) {
  const t = parseTime(at);
  if (Number.isNaN(t)) return "";
  const s = parseTime(start);
  const since = Number.isNaN(s) ? "" : ` (+${fmtDuration(Math.max(0, (t - s) / 1000))})`;
  return clock.format(new Date(t)) + since;
}

/**
 * The verdict in words: "passing"/"failing" while the test runs (ongoing),
 * "passed"/"failed" otherwise; "pending" while any has no data.
 */
export function verdictText(verdict, ongoing) {
  if (verdict === "pass") return ongoing ? "passing" : "passed";
  if (verdict === "fail") return ongoing ? "failing" : "failed";
  return "pending";
}

/** How many thresholds pass, e.g. "2 of 3 pass". */
export function thresholdSummary(list) {
  const n = list.length;
  const pass = list.filter((r) => thresholdStatus(r) === "pass").length;
  const fail = list.filter((r) => thresholdStatus(r) === "fail").length;
  const pending = n - pass - fail;
  const parts = [`${pass} of ${n} pass`];
  if (fail) parts.push(`${fail} ${fail === 1 ? "fails" : "fail"}`);
  if (pending) parts.push(`${pending} pending`);
  return parts.join(" · ");
}

/**
 * Every threshold: status, expression, observed value, what it wants, and
 * when it first failed. note: what the results are as of.
 */
export function ThresholdsPanel({ thresholds, start, note, ongoing }) {
  const list = thresholds || [];
  if (list.length === 0) return <p class="empty-state">{"No thresholds: add them with --threshold, e.g. --threshold 'p95<300ms'."}</p>;
  const verdict = thresholdVerdict(list);
  return (
    <div class="thresholds" id="thresholds">
      <p class="thresholds-summary">
        <ThresholdBadge status={verdict} id="thresholds-verdict">
          {verdictText(verdict, ongoing)}
        </ThresholdBadge>
        <span class="muted">
          {thresholdSummary(list)}
          {" · "}
          {note || "live, as of the last second; the verdict is taken at the end of the run"}
        </span>
      </p>
      <div class="table-scroll auto">
        <table class="data wrap thresholds-table">
          <colgroup>
            <col style={{ width: "116px" }} />
            <col />
            <col style={{ width: "120px" }} />
            <col style={{ width: "32%" }} />
            <col style={{ width: "150px" }} />
          </colgroup>
          <thead>
            <tr>
              <th class="txt">Status</th>
              <th class="txt">Threshold</th>
              <th class="num">Observed</th>
              <th class="txt">Detail</th>
              <th class="txt">First failed</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r, i) => {
              const s = thresholdStatus(r);
              return (
                <tr key={i} class={`row thr-row thr-${s}`} data-status={s}>
                  <td class="txt">
                    <ThresholdBadge status={s} />
                  </td>
                  <td class="txt expr">
                    {r.expr}
                    {r.abort && <span class="abort-note"> aborting the run</span>}
                  </td>
                  <td class={s === "fail" ? "num observed bad" : "num observed"}>{r.observed}</td>
                  <td class="txt muted">{r.message}</td>
                  <td class="txt first-failed">{firstFailed(r.first_failed, start)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
