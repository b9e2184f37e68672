// Entry point. The page is either the live UI (index.html, served by herd)
// or the HTML report (the same bundle inlined, with its data embedded in
// <script type="application/json" id="herd-report">).
import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { initTheme } from "./theme.js";
import { LiveApp } from "./live.jsx";
import { ReportApp } from "./report.jsx";

function mount() {
  initTheme();
  let root = document.getElementById("app");
  if (!root) {
    root = document.createElement("div");
    root.id = "app";
    document.body.appendChild(root);
  }
  const embedded = document.getElementById("herd-report");
  if (embedded) {
    let data = null;
    try {
      data = JSON.parse(embedded.textContent);
    } catch {
      data = null;
    }
    document.documentElement.classList.add("is-report");
    render(<ReportApp data={data} />, root);
  } else {
    render(<LiveApp />, root);
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
