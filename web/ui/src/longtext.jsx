// Long texts from the data (endpoint names, failure messages, user errors,
// class names): a cell shows at most a few hundred characters, and the
// full text opens on demand in a viewer. A 100,000-character name laid out
// in a cell costs the browser hundreds of milliseconds on every update;
// clipped, it costs nothing, whatever its length.
import { render } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { fmtInt } from "./format.js";

/** Characters of a text shown in place; longer texts are clipped. */
export const CLIP = 300;
/** Characters of a text in a tooltip (browsers cut longer ones anyway). */
export const TITLE_MAX = 1000;

/**
 * s cut to at most n UTF-16 units, without splitting a surrogate pair,
 * with "…" when anything was cut.
 */
export function clip(s, n) {
  if (s.length <= n) return s;
  let end = n;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // a high surrogate: keep the pair whole
  return s.slice(0, end) + "…";
}

/** The tooltip of a text: the text, clipped at TITLE_MAX. */
export function titleOf(s) {
  return clip(s, TITLE_MAX);
}

/**
 * text, clipped at max (CLIP) characters; a longer one gets a "more" button
 * that shows it whole. label names the text in the viewer ("Name").
 * A short text is a bare text node, so a cell's DOM stays as small as it was.
 */
export function LongText({ text, label, max }) {
  const s = text === null || text === undefined ? "" : String(text);
  const n = max || CLIP;
  if (s.length <= n) return s;
  return (
    <span class="long">
      <span class="long-text">{clip(s, n)}</span>
      <button
        type="button"
        class="more"
        title={`Show the whole ${label ? label.toLowerCase() : "text"} (${fmtInt(s.length)} characters)`}
        onClick={(e) => {
          e.preventDefault(); // inside a <label>: do not toggle its checkbox
          e.stopPropagation();
          showFullText(label || "Text", s);
        }}
      >
        more
      </button>
    </span>
  );
}

// The viewer is rendered into a root of its own under <body>, not inside
// the cell: the table may drop the row (windowing, a live update) while the
// viewer is open, and a click inside it must not reach a <label> around the
// cell.
let host = null;

/** Opens the viewer on text (the text as it is now: updates do not change it). */
export function showFullText(label, text) {
  if (!host) {
    host = document.createElement("div");
    host.id = "full-text-host";
    document.body.appendChild(host);
  }
  render(<TextViewer label={label} text={text} onClose={() => render(null, host)} />, host);
}

/** A modal dialog showing text whole in a scrolling <pre>. */
function TextViewer({ label, text, onClose }) {
  const ref = useRef(null);
  useLayoutEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  });
  const close = () => ref.current && ref.current.close(); // fires "close"
  const copy = navigator.clipboard && navigator.clipboard.writeText ? () => navigator.clipboard.writeText(text).catch(() => {}) : null;
  return (
    <dialog
      ref={ref}
      class="text-viewer"
      id="full-text"
      aria-label={label}
      onClose={onClose}
      // Escape closes this dialog only, not a form dialog under it (which
      // listens on window).
      onKeyDown={(e) => e.key === "Escape" && e.stopPropagation()}
      // A click on the backdrop targets the dialog itself; its content
      // fills it, so clicks inside never do.
      onClick={(e) => e.target === e.currentTarget && close()}
    >
      <div class="text-viewer-body">
        <header>
          <h2>{label}</h2>
          <span class="muted">{fmtInt(text.length)} characters</span>
          <span class="spacer" />
          {copy && (
            <button type="button" class="btn" onClick={copy}>
              Copy
            </button>
          )}
          <button type="button" class="icon-btn" aria-label="Close" title="Close (Esc)" onClick={close}>
            ×
          </button>
        </header>
        <pre class="full-text">{text}</pre>
      </div>
    </dialog>
  );
}
