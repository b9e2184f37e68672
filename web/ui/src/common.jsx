// Small pieces shared by the live UI and the report.

const THEME_TEXT = {
  auto: ["◐", "Theme: follows the system"],
  light: ["☀", "Theme: light"],
  dark: ["☾", "Theme: dark"],
};

/** Cycles auto → light → dark; the choice is remembered. */
export function ThemeToggle({ theme }) {
  const [icon, text] = THEME_TEXT[theme.pref] || THEME_TEXT.auto;
  return (
    <button type="button" class="icon-btn theme-toggle" id="theme-toggle" title={`${text} (click to change)`} aria-label={text} onClick={theme.cycle}>
      {icon}
    </button>
  );
}
