// Light and dark themes. "auto" follows prefers-color-scheme; an explicit
// choice is remembered in localStorage (when the page may use it).
import { useEffect, useState } from "preact/hooks";

const KEY = "herd.theme";
const PREFS = ["auto", "light", "dark"];
const media = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

function stored() {
  try {
    const v = localStorage.getItem(KEY);
    return PREFS.includes(v) ? v : "auto";
  } catch {
    return "auto";
  }
}

function apply(pref) {
  const root = document.documentElement;
  if (pref === "auto") delete root.dataset.theme;
  else root.dataset.theme = pref;
}

function effective(pref) {
  if (pref !== "auto") return pref;
  return media && media.matches ? "dark" : "light";
}

/** Applies the remembered theme before the first render (no flash). */
export function initTheme() {
  apply(stored());
}

/** Returns {pref, theme, cycle}: theme is the effective "light" or "dark". */
export function useTheme() {
  const [pref, setPref] = useState(stored);
  const [system, setSystem] = useState(() => effective("auto"));
  useEffect(() => {
    if (!media) return undefined;
    const on = () => setSystem(effective("auto"));
    media.addEventListener("change", on);
    return () => media.removeEventListener("change", on);
  }, []);
  const cycle = () => {
    const next = PREFS[(PREFS.indexOf(pref) + 1) % PREFS.length];
    apply(next);
    try {
      if (next === "auto") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
    } catch {
      // file:// or private mode: the choice lasts for this page only.
    }
    setPref(next);
  };
  return { pref, theme: pref === "auto" ? system : pref, cycle };
}

/** Reads a CSS custom property of the document (chart colours). */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
