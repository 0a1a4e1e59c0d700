// The "History" tab: stored runs of the workflow with status/date filters, paging and delete.
import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { h } from "./dom.js";
import { statusPill, timeElement } from "./format.js";
import { icon } from "./icons.js";
import { toast } from "./toast.js";

const PER_PAGE = 15;
const STATUS_FILTERS = [
  ["", "All statuses"],
  ["running", "Running"],
  ["suspended", "Waiting for input"],
  ["waiting", "Waiting"],
  ["success", "Success"],
  ["failed", "Failed"],
  ["canceled", "Canceled"],
  ["pending", "Pending"],
];

function snapshotStatus(run) {
  let snapshot = run.snapshot;
  if (typeof snapshot === "string") {
    try {
      snapshot = JSON.parse(snapshot);
    } catch {
      snapshot = {};
    }
  }
  return run.status ?? snapshot?.status ?? "pending";
}

/** A date input's value as the start (or end) of that local day, in ISO 8601. */
function dayBound(value, end) {
  if (!value) return undefined;
  const [year, month, day] = value.split("-").map(Number);
  const date = end ? new Date(year, month - 1, day, 23, 59, 59, 999) : new Date(year, month - 1, day);
  return date.toISOString();
}

export class HistoryPanel {
  /** `onOpen(runId)`; `onDeleted(runId)` after a run is deleted. */
  constructor({ workflowId, onOpen, onDeleted }) {
    this.workflowId = workflowId;
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.page = 0;
    this.total = 0;
    this.currentRunId = null;
    this.loading = false;

    this.status = h(
      "select",
      { class: "input input-sm", "aria-label": "Filter by status", "data-testid": "history-status" },
      STATUS_FILTERS.map(([value, label]) => h("option", { value }, label)),
    );
    this.from = h("input", {
      type: "date",
      class: "input input-sm",
      "aria-label": "Created on or after",
      "data-testid": "history-from",
    });
    this.to = h("input", {
      type: "date",
      class: "input input-sm",
      "aria-label": "Created on or before",
      "data-testid": "history-to",
    });
    for (const input of [this.status, this.from, this.to]) {
      input.addEventListener("change", () => {
        this.page = 0;
        this.load();
      });
    }
    this.list = h("ul", { class: "run-list", "aria-label": "Runs", "data-testid": "run-list" });
    this.pager = h("div", { class: "pager" });
    this.el = h(
      "section",
      { class: "history-panel", "aria-label": "Run history" },
      h(
        "div",
        { class: "filters" },
        this.status,
        h(
          "div",
          { class: "date-range" },
          h("label", { class: "field-hint" }, "From", this.from),
          h("label", { class: "field-hint" }, "To", this.to),
        ),
      ),
      this.list,
      this.pager,
    );
  }

  setCurrent(runId) {
    this.currentRunId = runId;
    for (const row of this.list.querySelectorAll(".run-row"))
      row.classList.toggle("is-current", row.dataset.runId === runId);
  }

  async load() {
    if (this.loading) {
      this.reloadAfter = true;
      return;
    }
    this.loading = true;
    this.el.setAttribute("aria-busy", "true");
    try {
      const filters = {
        status: this.status.value || undefined,
        fromDate: dayBound(this.from.value, false),
        toDate: dayBound(this.to.value, true),
        page: this.page,
        perPage: PER_PAGE,
      };
      const { runs = [], total = 0 } = (await api.listRuns(this.workflowId, filters)) || {};
      this.total = total;
      this.renderRows(runs);
    } catch (error) {
      this.list.replaceChildren(h("li", { class: "empty-hint" }, `Could not load runs: ${error.message}`));
    } finally {
      this.loading = false;
      this.el.removeAttribute("aria-busy");
      if (this.reloadAfter) {
        this.reloadAfter = false;
        this.load();
      }
    }
  }

  renderRows(runs) {
    if (!runs.length) {
      const filtered = this.status.value || this.from.value || this.to.value;
      this.list.replaceChildren(
        h(
          "li",
          { class: "empty-hint" },
          filtered ? "No runs match these filters." : "No runs yet. Start one from the Run tab.",
        ),
      );
    } else {
      this.list.replaceChildren(
        ...runs.map((run) => {
          const status = snapshotStatus(run);
          return h(
            "li",
            {
              class: ["run-row", run.runId === this.currentRunId ? "is-current" : ""],
              "data-run-id": run.runId,
              "data-status": status,
            },
            h(
              "button",
              {
                type: "button",
                class: "run-open",
                onclick: () => this.onOpen(run.runId),
                "aria-label": `Open run ${run.runId}`,
              },
              statusPill(status),
              h("span", { class: "run-row-id mono", title: run.runId }, run.runId),
              h("span", { class: "run-row-time muted small" }, timeElement(run.createdAt)),
              run.resourceId ? h("span", { class: "muted small" }, run.resourceId) : null,
            ),
            h(
              "button",
              {
                type: "button",
                class: "btn btn-ghost btn-icon btn-sm run-delete",
                "aria-label": `Delete run ${run.runId}`,
                title: "Delete run",
                onclick: () => this.remove(run.runId),
              },
              icon("trash", { size: 14 }),
            ),
          );
        }),
      );
    }
    const first = this.total ? this.page * PER_PAGE + 1 : 0;
    const last = Math.min(this.total, (this.page + 1) * PER_PAGE);
    this.pager.replaceChildren(
      h(
        "span",
        { class: "muted small", "data-testid": "history-range" },
        `${first}–${last} of ${this.total}`,
      ),
      h(
        "div",
        { class: "pager-buttons" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost btn-icon btn-sm",
            "aria-label": "Previous page",
            disabled: this.page === 0,
            onclick: () => this.goto(this.page - 1),
          },
          icon("chevronLeft", { size: 14 }),
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost btn-icon btn-sm",
            "aria-label": "Next page",
            disabled: last >= this.total,
            onclick: () => this.goto(this.page + 1),
          },
          icon("chevronRight", { size: 14 }),
        ),
      ),
    );
  }

  goto(page) {
    this.page = Math.max(0, page);
    this.load();
  }

  async remove(runId) {
    const ok = await confirmDialog({
      title: "Delete this run?",
      message: `Run ${runId} and its event log will be removed from the store. This cannot be undone.`,
      confirmLabel: "Delete run",
      danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteRun(this.workflowId, runId);
      toast("Run deleted", "success");
      this.onDeleted?.(runId);
      await this.load();
    } catch (error) {
      toast(`Could not delete the run: ${error.message}`, "error");
    }
  }
}
