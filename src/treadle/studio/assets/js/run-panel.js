// The "Run" tab: the input form and Run button, the current run's status, result and resume form.
import { h, replace } from "./dom.js";
import { copyText, formatDuration, jsonBlock, statusPill, timeElement } from "./format.js";
import { icon } from "./icons.js";
import { createInputEditor } from "./input-editor.js";
import { isActive } from "./run-state.js";
import { errorBanner, errorView, publicPayload } from "./steps-panel.js";

export class RunPanel {
  /**
   * `inputSchema`/`stateSchema`: parsed JSON Schemas (or null). `resumeSchemaOf(path)` gives a
   * step's parsed resume schema. Callbacks: onStart({inputData, initialState}), onResume(path,
   * data), onCancel(), onNewRun().
   */
  constructor({ inputSchema, stateSchema, resumeSchemaOf, onStart, onResume, onCancel, onNewRun }) {
    this.resumeSchemaOf = resumeSchemaOf;
    this.onResume = onResume;
    this.onCancel = onCancel;
    this.onNewRun = onNewRun;
    this.controller = null;
    this.resumeKey = "";
    this.resumeEditors = new Map();

    this.inputEditor = createInputEditor({ schema: inputSchema, title: "Input", testId: "input-editor" });
    this.stateEditor = stateSchema
      ? createInputEditor({ schema: stateSchema, title: "Initial state", testId: "state-editor" })
      : null;
    this.startError = h("div", { class: "start-error" });
    this.runButton = h(
      "button",
      { type: "submit", class: "btn btn-primary btn-block", "data-testid": "run-button" },
      icon("play", { size: 16 }),
      "Run workflow",
    );
    this.form = h(
      "form",
      {
        class: "run-form",
        novalidate: true,
        "aria-label": "Start a run",
        onsubmit: (event) => {
          event.preventDefault();
          const input = this.inputEditor.getValue();
          const state = this.stateEditor?.getValue() ?? { ok: true, value: undefined };
          if (!input.ok || !state.ok) return;
          this.showStartError(null);
          onStart({ inputData: input.value, initialState: state.value });
        },
      },
      h(
        "div",
        { class: "card-header" },
        h("h2", { class: "card-title" }, "New run"),
        inputSchema ? null : h("span", { class: "muted small" }, "No input schema"),
      ),
      this.inputEditor.el,
      this.stateEditor?.el,
      this.startError,
      this.runButton,
    );
    this.runCard = h("section", {
      class: "card run-card",
      "aria-label": "Current run",
      "data-testid": "run-card",
      hidden: true,
    });
    this.resumeArea = h("div", { class: "resume-area" });
    this.el = h("div", { class: "run-panel" }, this.runCard, this.resumeArea, this.form);
  }

  /** Follow `controller` (its state may change run by run). */
  attach(controller) {
    this.controller = controller;
    controller.subscribe(() => this.schedule());
    this.render();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  /** Show why the server refused to start a run (null clears it). */
  showStartError(error) {
    replace(this.startError, error ? errorBanner(error, "start-error") : null);
  }

  /** Put a run's input back into the form. */
  useInput(value) {
    this.inputEditor.setValue(value);
    this.form.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  render() {
    const controller = this.controller;
    const state = controller?.state;
    this.runButton.disabled = Boolean(state && controller.streaming && isActive(state.status));
    if (!state) {
      this.shownRunId = null;
      this.runCard.hidden = true;
      this.resumeArea.replaceChildren();
      this.resumeKey = "";
      return;
    }
    this.runCard.hidden = false;
    if (state.runId !== this.shownRunId) {
      // A new run shows its card at the top of the tab.
      this.shownRunId = state.runId;
      this.el.parentElement?.scrollTo({ top: 0, behavior: "smooth" });
    }
    const active = isActive(state.status);
    const timing = state.timing();
    const live = controller.streaming
      ? h(
          "span",
          { class: "live-dot", title: "Following the run live" },
          h("span", { class: "sr-only" }, "live"),
        )
      : null;
    const error = state.status === "failed" ? state.firstError() : undefined;
    replace(
      this.runCard,
      h(
        "div",
        { class: "card-header" },
        h("h2", { class: "card-title" }, "Run", live),
        statusPill(state.status, { testId: "run-status" }),
      ),
      h(
        "dl",
        { class: "run-meta" },
        h("dt", {}, "Run id"),
        h(
          "dd",
          { class: "mono run-id" },
          h("span", { "data-testid": "run-id", title: state.runId }, state.runId),
          h(
            "button",
            {
              type: "button",
              class: "btn btn-ghost btn-icon btn-xs",
              "aria-label": "Copy run id",
              onclick: () => copyText(state.runId, "Run id copied"),
            },
            icon("copy", { size: 12 }),
          ),
        ),
        state.createdAt ? [h("dt", {}, "Created"), h("dd", {}, timeElement(state.createdAt))] : null,
        timing
          ? [
              h("dt", {}, "Duration"),
              h("dd", {}, formatDuration((active ? Date.now() : timing.end) - timing.start) || "—"),
            ]
          : null,
      ),
      controller.lastError ? errorBanner(controller.lastError, "run-error") : null,
      error !== undefined ? errorView(error) : null,
      state.status === "success" && state.result !== undefined
        ? h(
            "div",
            { class: "run-result" },
            h("h3", { class: "section-title" }, "Result"),
            jsonBlock(state.result, { filename: `${state.runId}-result.json`, testId: "run-result" }),
          )
        : null,
      h(
        "div",
        { class: "card-actions" },
        active && state.status !== "pending"
          ? h(
              "button",
              {
                type: "button",
                class: "btn btn-danger btn-sm",
                "data-testid": "cancel-run",
                onclick: () => this.onCancel(),
              },
              icon("stop", { size: 14 }),
              "Cancel run",
            )
          : null,
        state.input !== undefined
          ? h(
              "button",
              {
                type: "button",
                class: "btn btn-secondary btn-sm",
                onclick: () => this.useInput(state.input),
              },
              icon("refresh", { size: 14 }),
              "Reuse input",
            )
          : null,
        h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost btn-sm",
            "data-testid": "new-run",
            onclick: () => this.onNewRun(),
          },
          icon("plus", { size: 14 }),
          "New run",
        ),
      ),
    );
    this.renderResume(state, controller);
  }

  /** One resume form per suspended step; kept across renders so typing is never lost. */
  renderResume(state, controller) {
    const paths = state.status === "suspended" ? state.suspendedPaths() : [];
    const key = `${state.runId}|${paths.join(",")}`;
    const busy = controller.streaming;
    if (key === this.resumeKey) {
      for (const button of this.resumeArea.querySelectorAll("[data-resume-submit]")) button.disabled = busy;
      return;
    }
    this.resumeKey = key;
    this.resumeEditors.clear();
    this.resumeArea.replaceChildren(
      ...paths.map((path) => {
        const record = state.steps.get(path) || {};
        const editor = createInputEditor({
          schema: this.resumeSchemaOf(path),
          title: "Resume data",
          testId: "resume-editor",
          emptyHint: "{ }",
        });
        this.resumeEditors.set(path, editor);
        const submit = h(
          "button",
          {
            type: "submit",
            class: "btn btn-primary btn-block",
            "data-testid": "resume-submit",
            "data-resume-submit": path,
            disabled: busy,
          },
          icon("play", { size: 16 }),
          "Resume",
        );
        return h(
          "form",
          {
            class: "card resume-card",
            "data-testid": "resume-form",
            novalidate: true,
            "data-step": path,
            "aria-label": `Resume ${path}`,
            onsubmit: (event) => {
              event.preventDefault();
              const value = editor.getValue();
              if (value.ok) this.onResume(path, value.value);
            },
          },
          h(
            "div",
            { class: "card-header" },
            h("h2", { class: "card-title" }, icon("hand", { size: 16 }), "Waiting for input"),
            h("span", { class: "badge badge-suspended mono" }, path),
          ),
          record.suspendPayload !== undefined
            ? [
                h("h3", { class: "section-title" }, "Suspended with"),
                jsonBlock(publicPayload(record.suspendPayload), { testId: "suspend-payload" }),
              ]
            : null,
          editor.el,
          submit,
        );
      }),
    );
    if (paths.length)
      this.resumeArea.firstElementChild.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}
