// The workflow list: every registered workflow with its step count and live run counters.
import { api } from "../api.js";
import { href } from "../config.js";
import { h } from "../dom.js";
import { icon } from "../icons.js";
import { pageError } from "./page-states.js";

const REFRESH_MS = 5000;

function counter(value, kind, label) {
  const count = Number(value) || 0;
  return h(
    "span",
    {
      class: ["count", count ? `count-${kind}` : "count-zero"],
      "data-testid": `count-${kind}`,
      "data-count": String(count),
      title: `${count} ${label}`,
    },
    count && kind === "running" ? h("span", { class: "live-dot", "aria-hidden": "true" }) : null,
    String(count),
    h("span", { class: "sr-only" }, ` ${label}`),
  );
}

export async function workflowListPage({ navigate }) {
  let workflows;
  try {
    workflows = (await api.listWorkflows()) || {};
  } catch (error) {
    return pageError(error);
  }
  document.title = "Workflows · Treadle Studio";
  const entries = Object.entries(workflows).sort(([a], [b]) => a.localeCompare(b));
  const counts = new Map();
  const body = h("tbody", {});
  const search = h("input", {
    type: "search",
    class: "input search",
    placeholder: "Filter workflows",
    "aria-label": "Filter workflows",
    "data-testid": "workflow-filter",
  });
  const updated = h("span", { class: "muted small", "aria-live": "off" });

  const render = () => {
    const query = search.value.trim().toLowerCase();
    const shown = entries.filter(
      ([key, wf]) =>
        !query || `${key} ${wf.name ?? ""} ${wf.description ?? ""}`.toLowerCase().includes(query),
    );
    body.replaceChildren(
      ...shown.map(([key, wf]) => {
        const link = `/workflows/${encodeURIComponent(key)}`;
        const stepCount = wf.stepCount ?? Object.keys(wf.steps || {}).length;
        const count = counts.get(key) || {};
        return h(
          "tr",
          {
            class: "wf-row",
            "data-workflow": key,
            onclick: (event) => {
              if (!event.target.closest("a")) navigate(link);
            },
          },
          h(
            "td",
            {},
            h(
              "div",
              { class: "wf-name" },
              h("a", { href: href(link), "data-link": "" }, wf.name ?? key),
              wf.name && wf.name !== key ? h("span", { class: "muted small mono" }, key) : null,
            ),
          ),
          h("td", { class: "wf-description" }, wf.description ?? h("span", { class: "muted" }, "—")),
          h("td", { class: "num", "data-testid": "step-count" }, String(stepCount)),
          h("td", { class: "num" }, counter(count.running, "running", "running")),
          h("td", { class: "num" }, counter(count.suspended, "suspended", "waiting for input")),
        );
      }),
    );
    if (!shown.length) {
      body.append(
        h(
          "tr",
          {},
          h(
            "td",
            { colspan: "5", class: "empty-hint" },
            entries.length
              ? "No workflow matches the filter."
              : "No workflows are registered on this server.",
          ),
        ),
      );
    }
  };
  search.addEventListener("input", render);

  const refreshCounts = async () => {
    try {
      const data = (await api.runCounts()) || {};
      counts.clear();
      for (const [key, value] of Object.entries(data)) counts.set(key, value);
      updated.textContent = `Counts updated ${new Date().toLocaleTimeString()}`;
      render();
    } catch {
      updated.textContent = "Run counts unavailable";
    }
  };
  render();
  refreshCounts();
  const timer = setInterval(() => {
    if (document.visibilityState === "visible") refreshCounts();
  }, REFRESH_MS);

  const el = h(
    "div",
    { class: "list-page", "data-testid": "workflow-list" },
    h(
      "header",
      { class: "page-header" },
      h(
        "div",
        {},
        h("h1", { class: "page-title" }, "Workflows"),
        h("p", { class: "page-subtitle" }, `${entries.length} registered on this server`),
      ),
      h(
        "div",
        { class: "page-tools" },
        h("label", { class: "search-wrap" }, icon("search", { size: 16 }), search),
      ),
    ),
    h(
      "div",
      { class: "panel table-wrap" },
      h(
        "table",
        { class: "table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Workflow"),
            h("th", { scope: "col", class: "wf-description" }, "Description"),
            h("th", { scope: "col", class: "num" }, "Steps"),
            h("th", { scope: "col", class: "num" }, "Running"),
            h("th", { scope: "col", class: "num" }, "Waiting for input"),
          ),
        ),
        body,
      ),
    ),
    h("p", { class: "footnote" }, updated),
  );
  return { el, dispose: () => clearInterval(timer) };
}
