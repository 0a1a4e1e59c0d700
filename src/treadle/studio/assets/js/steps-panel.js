// The step list (status and duration per step) and the selected step's details.
import { issueText } from "./api.js";
import { h, uid } from "./dom.js";
import { formatDuration, formatTime, jsonBlock, STATUS_LABELS, statusPill } from "./format.js";
import { icon, statusIcon } from "./icons.js";
import { isActive, stepDuration } from "./run-state.js";

const TABS = [
  ["input", "Input", (r) => r.payload],
  ["output", "Output", (r) => r.output],
  ["error", "Error", (r) => r.error],
  ["suspend", "Suspended with", (r) => r.suspendPayload],
  ["resume", "Resumed with", (r) => r.resumePayload],
  ["writes", "Writes", (r) => r.writes],
];

function defaultTab(record) {
  if (!record) return "input";
  if (record.status === "failed" && record.error !== undefined) return "error";
  if (record.status === "suspended" && record.suspendPayload !== undefined) return "suspend";
  if (record.output !== undefined) return "output";
  return "input";
}

/** A suspend payload without the engine's bookkeeping (`__workflow_meta`). */
export function publicPayload(value) {
  if (!value || typeof value !== "object" || Array.isArray(value) || !("__workflow_meta" in value))
    return value;
  const { __workflow_meta: _meta, ...rest } = value;
  return rest;
}

export class StepsPanel {
  /**
   * `stepOrder`: step paths in graph order; `kinds`: path -> "workflow" for nested ones.
   * Callbacks: onSelect(path), onTimeTravel(path), onToggleNested(path).
   */
  constructor({ stepOrder, nested, onSelect, onTimeTravel, onToggleNested }) {
    this.stepOrder = stepOrder;
    this.nested = nested;
    this.onSelect = onSelect;
    this.onTimeTravel = onTimeTravel;
    this.onToggleNested = onToggleNested;
    this.state = null;
    this.selected = null;
    this.tab = null;
    this.expandedNested = new Set();
    this.list = h("ul", { class: "step-list", "aria-label": "Steps", "data-testid": "step-list" });
    this.summary = h("span", { class: "muted small" });
    this.detail = h("div", { class: "step-detail", "data-testid": "step-detail" });
    this.el = h(
      "section",
      { class: "panel steps-panel", "aria-label": "Steps" },
      h("header", { class: "panel-header" }, h("h2", { class: "panel-title" }, "Steps"), this.summary),
      h("div", { class: "panel-scroll step-list-wrap" }, this.list),
      this.detail,
    );
    this.render();
  }

  setState(state) {
    this.state = state;
    this.render();
  }

  select(path) {
    if (this.selected !== path) this.tab = null;
    this.selected = path;
    this.render();
  }

  setExpandedNested(paths) {
    this.expandedNested = new Set(paths);
    this.render();
  }

  paths() {
    const known = [...this.stepOrder];
    for (const path of this.state?.steps.keys() ?? []) if (!known.includes(path)) known.push(path);
    return known;
  }

  render() {
    const steps = this.state?.steps ?? new Map();
    const now = Date.now();
    // Once a run is over, a step it never reached was skipped (an untaken branch, say).
    const unreached =
      this.state && ["success", "failed", "canceled"].includes(this.state.status) ? "skipped" : "pending";
    const rows = this.paths().map((path) => {
      const record = steps.get(path);
      const status = record?.status ?? unreached;
      const depth = path.split(".").length - 1;
      const duration = formatDuration(stepDuration(record, now));
      const progress =
        record?.progress && record.progress.total
          ? `${record.progress.completed}/${record.progress.total}`
          : "";
      const selected = path === this.selected;
      return h(
        "li",
        {
          class: ["step-row", `status-${status}`, selected ? "is-selected" : ""],
          "data-step": path,
          "data-status": status,
          style: { "--depth": depth },
        },
        h(
          "button",
          {
            type: "button",
            class: "step-button",
            "aria-pressed": String(selected),
            onclick: () => this.onSelect(path),
          },
          h("span", { class: "step-status", title: STATUS_LABELS[status] ?? status }, statusIcon(status, 14)),
          h("span", { class: "step-name" }, path.split(".").pop()),
          this.nested.has(path) ? h("span", { class: "badge badge-muted" }, "workflow") : null,
          h(
            "span",
            { class: "step-meta" },
            progress ? h("span", { class: "step-progress" }, progress) : null,
            duration,
          ),
          h("span", { class: "sr-only" }, `, ${STATUS_LABELS[status] ?? status}`),
        ),
      );
    });
    this.list.replaceChildren(...rows);
    const done = [...steps.values()].filter((r) => r.status === "success").length;
    const total = this.paths().length;
    this.summary.textContent = steps.size
      ? `${done} of ${total} succeeded`
      : `${total} ${total === 1 ? "step" : "steps"}`;
    this.renderDetail(now);
  }

  renderDetail(now) {
    const path = this.selected;
    if (!path) {
      this.detail.replaceChildren(
        h(
          "p",
          { class: "empty-hint" },
          "Select a step in the graph or the list to see its input, output and errors.",
        ),
      );
      return;
    }
    const record = this.state?.steps.get(path);
    const status = record?.status ?? "pending";
    const runActive = this.state ? isActive(this.state.status) : false;
    const topLevel = !path.includes(".");
    const canTimeTravel = this.state && !runActive && topLevel && record && status !== "running";
    const timing = record
      ? [
          record.startedAt ? `started ${formatTime(record.startedAt)}` : null,
          record.endedAt ? `ended ${formatTime(record.endedAt)}` : null,
          formatDuration(stepDuration(record, now)) || null,
        ]
          .filter(Boolean)
          .join(" · ")
      : "Not run yet";
    const actions = h(
      "div",
      { class: "detail-actions" },
      this.nested.has(path)
        ? h(
            "button",
            { type: "button", class: "btn btn-sm btn-secondary", onclick: () => this.onToggleNested(path) },
            icon(this.expandedNested.has(path) ? "collapse" : "expand", { size: 14 }),
            this.expandedNested.has(path) ? "Collapse in graph" : "Expand in graph",
          )
        : null,
      canTimeTravel
        ? h(
            "button",
            {
              type: "button",
              class: "btn btn-sm btn-secondary",
              "data-testid": "time-travel",
              onclick: () => this.onTimeTravel(path),
            },
            icon("rewind", { size: 14 }),
            "Time travel from here",
          )
        : null,
    );
    const header = h(
      "header",
      { class: "detail-header" },
      h(
        "div",
        { class: "detail-title-row" },
        h("h3", { class: "detail-title" }, path),
        statusPill(status, { testId: "step-detail-status" }),
      ),
      h("p", { class: "muted small" }, timing),
      actions.childElementCount ? actions : null,
    );
    if (!record) {
      this.detail.replaceChildren(header);
      return;
    }
    const available = TABS.filter(([, , pick]) => pick(record) !== undefined);
    if (!available.length) {
      this.detail.replaceChildren(
        header,
        h("p", { class: "empty-hint" }, "No data recorded for this step yet."),
      );
      return;
    }
    const current = available.some(([key]) => key === this.tab) ? this.tab : defaultTab(record);
    const active = available.find(([key]) => key === current) ?? available[0];
    const panelId = uid("tabpanel");
    const tabs = h(
      "div",
      { class: "tabs", role: "tablist", "aria-label": `${path} data` },
      available.map(([key, label]) =>
        h(
          "button",
          {
            type: "button",
            role: "tab",
            class: ["tab", key === "error" ? "tab-error" : ""],
            "aria-selected": String(key === active[0]),
            "aria-controls": panelId,
            tabindex: key === active[0] ? "0" : "-1",
            "data-tab": key,
            onclick: () => {
              this.tab = key;
              this.renderDetail(Date.now());
              this.detail.querySelector(`[data-tab="${key}"]`)?.focus();
            },
            onkeydown: (event) => this.onTabKey(event, available),
          },
          label,
        ),
      ),
    );
    const value = active[2](record);
    const shown = active[0] === "suspend" ? publicPayload(value) : value;
    const body =
      active[0] === "error"
        ? errorView(shown)
        : jsonBlock(shown, { filename: `${path}-${active[0]}.json`, testId: `step-${active[0]}` });
    this.detail.replaceChildren(
      header,
      tabs,
      h("div", { class: "tab-panel", role: "tabpanel", id: panelId }, body),
    );
  }

  onTabKey(event, available) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const index = available.findIndex(([key]) => key === event.currentTarget.dataset.tab);
    const next =
      available[(index + (event.key === "ArrowRight" ? 1 : available.length - 1)) % available.length];
    this.tab = next[0];
    this.renderDetail(Date.now());
    this.detail.querySelector(`[data-tab="${next[0]}"]`)?.focus();
  }
}

/** An error: its message up front, the full object below. */
export function errorView(error) {
  const message = typeof error === "string" ? error : (error?.message ?? "Error");
  const name = typeof error === "object" && error?.name && error.name !== "Error" ? `${error.name}: ` : "";
  return h(
    "div",
    { class: "error-view", "data-testid": "step-error" },
    h("p", { class: "error-message" }, icon("alert", { size: 16 }), h("span", {}, `${name}${message}`)),
    typeof error === "object" ? jsonBlock(error, { filename: "error.json" }) : null,
  );
}

/** A request that failed: the server's message, then each bad field it names. */
export function errorBanner(error, testId) {
  const issues = error?.issues ?? [];
  // The server's message may repeat the issues ("…: - a: x - b: y"); the list says it better.
  const headline = issues.length
    ? String(error.message).split(/:\s*-\s/)[0]
    : (error?.message ?? String(error));
  return h(
    "div",
    { class: "banner banner-error", role: "alert", "data-testid": testId },
    icon("alert", { size: 16 }),
    h(
      "div",
      { class: "banner-body" },
      h("p", {}, headline),
      issues.length
        ? h(
            "ul",
            { class: "issue-list" },
            issues.map((issue) => h("li", {}, issueText(issue))),
          )
        : null,
    ),
  );
}
