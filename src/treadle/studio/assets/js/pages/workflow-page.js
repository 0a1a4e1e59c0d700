// The workflow page: graph, run form and history, step list and details, for one workflow.
import { api, ApiError } from "../api.js";
import { href } from "../config.js";
import { h } from "../dom.js";
import { downloadText } from "../format.js";
import { GraphView } from "../graph-view.js";
import { HistoryPanel } from "../history-panel.js";
import { icon } from "../icons.js";
import { mermaidDialog, timeTravelDialog } from "../run-dialogs.js";
import { RunController } from "../run-controller.js";
import { RunPanel } from "../run-panel.js";
import { isActive } from "../run-state.js";
import { parseSchema } from "../schema.js";
import { StepsPanel } from "../steps-panel.js";
import { toast } from "../toast.js";
import { notFound, pageError } from "./page-states.js";

const LEGEND = ["running", "success", "failed", "suspended", "waiting", "canceled"];

function toolButton(label, iconName, onClick, extra = {}) {
  return h(
    "button",
    {
      type: "button",
      class: "btn btn-ghost btn-icon btn-sm",
      "aria-label": label,
      title: label,
      onclick: onClick,
      ...extra,
    },
    icon(iconName, { size: 16 }),
  );
}

/** Side tabs ("Run", "History") with keyboard support; returns {el, show(key)}. */
function sideTabs(tabs, onShow) {
  const buttons = new Map();
  const panels = new Map();
  const bar = h("div", { class: "tabs tabs-full", role: "tablist", "aria-label": "Run and history" });
  const show = (key) => {
    for (const [name, button] of buttons) {
      const on = name === key;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      panels.get(name).hidden = !on;
    }
    onShow(key);
  };
  for (const [key, label, iconName, content] of tabs) {
    const button = h(
      "button",
      {
        type: "button",
        role: "tab",
        class: "tab",
        id: `tab-${key}`,
        "aria-controls": `panel-${key}`,
        "data-testid": `tab-${key}`,
        onclick: () => show(key),
      },
      icon(iconName, { size: 14 }),
      label,
    );
    button.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const keys = tabs.map((t) => t[0]);
      const next =
        keys[(keys.indexOf(key) + (event.key === "ArrowRight" ? 1 : keys.length - 1)) % keys.length];
      show(next);
      buttons.get(next).focus();
    });
    buttons.set(key, button);
    bar.append(button);
    panels.set(
      key,
      h(
        "div",
        { class: "side-panel-body", role: "tabpanel", id: `panel-${key}`, "aria-labelledby": `tab-${key}` },
        content,
      ),
    );
  }
  return { el: h("div", { class: "side-tabs" }, bar, ...panels.values()), show };
}

export async function workflowPage({ workflowId, runId, navigate }) {
  let info;
  try {
    info = await api.getWorkflow(workflowId);
  } catch (error) {
    return error instanceof ApiError && error.status === 404
      ? notFound(`No workflow “${workflowId}” on this server.`)
      : pageError(error);
  }
  document.title = `${info.name ?? workflowId} · Treadle Studio`;
  const base = `/workflows/${encodeURIComponent(workflowId)}`;
  const allSteps = info.allSteps && Object.keys(info.allSteps).length ? info.allSteps : info.steps || {};
  const stepInfo = (path) => allSteps[path] ?? info.steps?.[path];
  const nested = new Set(
    Object.entries(allSteps)
      .filter(([, s]) => s.isWorkflow || s.component === "WORKFLOW")
      .map(([path]) => path),
  );
  const controller = new RunController(workflowId);
  let lastStatus = null;

  const graph = new GraphView({
    workflowId,
    onSelect: (path) => steps.select(path),
    onExpandChange: (paths) => {
      steps.setExpandedNested(paths);
      syncExpandButton(paths);
    },
  });
  const steps = new StepsPanel({
    stepOrder: Object.keys(allSteps),
    nested,
    onSelect: (path) => {
      graph.select(path, { silent: true });
      steps.select(path);
    },
    onToggleNested: (path) => (graph.isExpanded(path) ? graph.collapse(path) : graph.expand(path)),
    onTimeTravel: async (path) => {
      const chosen = await timeTravelDialog({
        path,
        record: controller.state?.step(path),
        inputSchema: parseSchema(stepInfo(path)?.inputSchema),
      });
      if (chosen)
        controller.timeTravel(path, chosen.inputData).catch((error) => toast(error.message, "error"));
    },
  });
  const runPanel = new RunPanel({
    inputSchema: parseSchema(info.inputSchema),
    stateSchema: parseSchema(info.stateSchema),
    resumeSchemaOf: (path) => parseSchema(stepInfo(path)?.resumeSchema),
    onStart: async (body) => {
      try {
        await controller.start(body);
      } catch (error) {
        const runId = controller.runId;
        if (
          error instanceof ApiError &&
          error.status === 400 &&
          runId &&
          controller.state?.status === "pending"
        ) {
          // The server refused the input: drop the run it never started, show why by the form.
          controller.adopt(null);
          api.deleteRun(workflowId, runId).catch(() => {});
          runPanel.showStartError(error);
        } else {
          toast(`Could not start the run: ${error.message}`, "error");
        }
      }
    },
    onResume: (path, data) => controller.resume(path, data).catch((error) => toast(error.message, "error")),
    onCancel: () =>
      controller
        .cancel()
        .then(() => toast("Cancel requested"))
        .catch((error) => toast(`Could not cancel: ${error.message}`, "error")),
    onNewRun: () => navigate(base),
  });
  const history = new HistoryPanel({
    workflowId,
    onOpen: (id) => navigate(`${base}/runs/${encodeURIComponent(id)}`),
    onDeleted: (id) => {
      if (id === controller.runId) navigate(base, { replace: true });
    },
  });
  let historyVisible = false;
  const tabs = sideTabs(
    [
      ["run", "Run", "play", runPanel.el],
      ["history", "History", "history", history.el],
    ],
    (key) => {
      historyVisible = key === "history";
      if (historyVisible) history.load();
    },
  );

  const expandButton = toolButton(
    "Expand all nested workflows",
    "expand",
    () => {
      if (graph.expanded.size) graph.setExpanded([]);
      else graph.setExpanded(graph.nestedPaths());
    },
    { "data-testid": "expand-all", hidden: !nested.size },
  );
  function syncExpandButton(paths) {
    const expanded = paths.length > 0;
    expandButton.replaceChildren(icon(expanded ? "collapse" : "expand", { size: 16 }));
    expandButton.setAttribute(
      "aria-label",
      expanded ? "Collapse nested workflows" : "Expand all nested workflows",
    );
    expandButton.title = expandButton.getAttribute("aria-label");
  }
  const exportSvg = async () => {
    try {
      downloadText(`${workflowId}.svg`, await api.graphSvg(workflowId, graph.expandParam()), "image/svg+xml");
    } catch (error) {
      toast(`Export failed: ${error.message}`, "error");
    }
  };
  const toolbar = h(
    "div",
    { class: "graph-toolbar", role: "toolbar", "aria-label": "Graph" },
    h("h2", { class: "panel-title" }, "Graph"),
    h(
      "div",
      { class: "toolbar-group" },
      toolButton("Zoom out", "zoomOut", () => graph.zoomBy(1 / 1.2)),
      graph.zoomLabel,
      toolButton("Zoom in", "zoomIn", () => graph.zoomBy(1.2)),
      toolButton("Fit to view", "fit", () => graph.fit(), { "data-testid": "zoom-fit" }),
      expandButton,
      h("span", { class: "toolbar-sep", "aria-hidden": "true" }),
      h(
        "button",
        { type: "button", class: "btn btn-ghost btn-sm", "data-testid": "export-svg", onclick: exportSvg },
        icon("download", { size: 14 }),
        "SVG",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-ghost btn-sm",
          "data-testid": "export-mermaid",
          onclick: () =>
            mermaidDialog({ workflowId, expand: graph.expandParam() }).catch((e) =>
              toast(e.message, "error"),
            ),
        },
        icon("code", { size: 14 }),
        "Mermaid",
      ),
    ),
  );

  graph.el.append(
    h(
      "div",
      { class: "legend", "aria-hidden": "true" },
      LEGEND.map((status) =>
        h("span", { class: ["legend-item", `status-${status}`] }, h("span", { class: "legend-dot" }), status),
      ),
    ),
  );

  const stepCount = info.stepCount ?? Object.keys(info.steps || {}).length;
  const el = h(
    "div",
    { class: "wf-page", "data-testid": "workflow-page" },
    h(
      "header",
      { class: "wf-header" },
      h(
        "div",
        { class: "wf-heading" },
        h("h1", { class: "page-title" }, icon("workflow", { size: 22 }), info.name ?? workflowId),
        info.name && info.name !== workflowId ? h("span", { class: "chip mono" }, workflowId) : null,
        h("span", { class: "chip" }, `${stepCount} ${stepCount === 1 ? "step" : "steps"}`),
        nested.size ? h("span", { class: "chip" }, `${nested.size} nested`) : null,
      ),
      info.description ? h("p", { class: "page-subtitle" }, info.description) : null,
    ),
    h(
      "div",
      { class: "wf-grid" },
      h("aside", { class: "panel wf-side", "aria-label": "Run" }, tabs.el),
      h("section", { class: "panel wf-graph", "aria-label": "Graph" }, toolbar, graph.el),
      h("aside", { class: "wf-steps" }, steps.el),
    ),
  );

  runPanel.attach(controller);
  controller.subscribe(() => {
    const state = controller.state;
    graph.paint(state?.steps ?? new Map(), state?.status ?? null);
    steps.setState(state);
    history.setCurrent(controller.runId);
    // The URL follows the run shown (a new run gets its address as soon as it exists).
    const wanted = controller.runId ? `${base}/runs/${encodeURIComponent(controller.runId)}` : base;
    if (window.location.pathname !== href(wanted)) navigate(wanted, { silent: true });
    const status = state?.status ?? null;
    if (status !== lastStatus) {
      lastStatus = status;
      if (historyVisible) history.load();
      // Point at what needs attention, unless the user is already looking at a step.
      const focus =
        status === "suspended"
          ? state.suspendedPaths()[0]
          : status === "failed"
            ? [...state.steps].find(([, r]) => r.status === "failed")?.[0]
            : undefined;
      if (focus && !steps.selected) {
        graph.select(focus, { silent: true });
        steps.select(focus);
      }
    }
  });
  const historyTicker = setInterval(() => {
    if (historyVisible && document.visibilityState === "visible") history.load();
  }, 5000);
  // Durations of running steps count up.
  const clockTicker = setInterval(() => {
    if (controller.state && isActive(controller.state.status)) {
      steps.render();
      runPanel.schedule();
    }
  }, 1000);

  const showRun = (id) => {
    if (id === controller.runId) return;
    if (!id) {
      controller.adopt(null);
      return;
    }
    controller.attach(id).catch((error) => toast(`Could not load run ${id}: ${error.message}`, "error"));
  };

  tabs.show("run");
  graph.load();
  showRun(runId);

  return {
    el,
    title: info.name ?? workflowId,
    update: ({ runId: next }) => showRun(next ?? null),
    dispose() {
      clearInterval(historyTicker);
      clearInterval(clockTicker);
      controller.dispose();
    },
  };
}
