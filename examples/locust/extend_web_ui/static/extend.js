// Fetches the content length per endpoint every 2 seconds and renders the
// table, sortable by a click on a column's title. URLs are relative to this
// page (…/extend/), so the page works under any --web-base-path. Names are
// set as text, never as markup.
"use strict";

let report = { stats: [] };
let sortKey = "name";
let desc = false;

function render() {
  const rows = [...report.stats].sort((a, b) => {
    const x = a[sortKey], y = b[sortKey];
    const c = x < y ? -1 : x > y ? 1 : 0;
    return desc ? -c : c;
  });
  const body = document.querySelector("#content-length tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.className = "name";
    name.title = r.name;
    name.textContent = r.name;
    const n = document.createElement("td");
    n.className = "numeric";
    n.textContent = r.content_length.toLocaleString();
    tr.append(name, n);
    return tr;
  }));
  document.body.dataset.rows = String(rows.length);
}

for (const b of document.querySelectorAll("#content-length button[data-sortkey]")) {
  b.addEventListener("click", () => {
    desc = sortKey === b.dataset.sortkey ? !desc : false;
    sortKey = b.dataset.sortkey;
    render();
  });
}

async function update() {
  try {
    const res = await fetch("../content-length", { cache: "no-store" });
    if (res.ok) {
      report = await res.json();
      render();
    }
  } finally {
    setTimeout(update, 2000);
  }
}

update();
