// The workflow graph: the server's SVG inline, with selection, nested expansion and live step
// statuses (pan and zoom are PanZoom's).
import { api } from "./api.js";
import { h, s } from "./dom.js";
import { STATUS_LABELS } from "./format.js";
import { PanZoom } from "./pan-zoom.js";

const STATUSES = ["success", "failed", "running", "suspended", "waiting", "canceled", "skipped", "paused"];
const STATUS_CLASSES = STATUSES.map((status) => `tr-status-${status}`);
const TERMINAL = new Set(["success", "failed", "canceled"]);
const STRUCTURE = new Set(["start", "end", "parallel", "conditional", "join"]);

/** x, y, width, height of an SVG rect (null when absent). */
function box(rect) {
  if (!rect) return null;
  const read = (name) => Number(rect.getAttribute(name)) || 0;
  return { x: read("x"), y: read("y"), width: read("width"), height: read("height") };
}

/** Keep only the drawing: the SVG comes from our server, but scripts never belong in it. */
function sanitize(svg) {
  for (const el of svg.querySelectorAll("script, foreignObject")) el.remove();
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      if (/^on/i.test(attr.name) || /^\s*javascript:/i.test(attr.value)) el.removeAttribute(attr.name);
    }
  }
  return svg;
}

export class GraphView {
  /** `onSelect(path)` when a step is chosen; `onExpandChange(paths)` after expanding/collapsing. */
  constructor({ workflowId, onSelect, onExpandChange }) {
    this.workflowId = workflowId;
    this.onSelect = onSelect;
    this.onExpandChange = onExpandChange;
    this.expanded = new Set();
    this.svg = null;
    this.selected = null;
    this.lastStatus = { steps: new Map(), runStatus: null };
    this.loadToken = 0;

    this.canvas = h("div", { class: "graph-canvas" });
    this.message = h("div", { class: "graph-message", hidden: true });
    this.el = h(
      "div",
      {
        class: "graph-viewport",
        tabindex: "0",
        role: "region",
        "aria-label": "Workflow graph. Drag to pan, scroll or +/− to zoom, 0 to fit.",
        "data-testid": "graph",
      },
      this.canvas,
      this.message,
    );
    this.panZoom = new PanZoom(this.el);
    this.zoomLabel = this.panZoom.label;
  }

  fit() {
    this.panZoom.fit();
  }

  zoomBy(factor) {
    this.panZoom.zoomBy(factor);
  }

  expandParam() {
    return this.expanded.size ? [...this.expanded].join(",") : undefined;
  }

  /** Fetch and show the SVG for the current expansion. */
  async load() {
    const token = ++this.loadToken;
    this.el.setAttribute("aria-busy", "true");
    try {
      const text = await api.graphSvg(this.workflowId, this.expandParam());
      if (token !== this.loadToken) return;
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const svg = doc.documentElement;
      if (!svg || svg.nodeName !== "svg" || doc.querySelector("parsererror"))
        throw new Error("The graph route did not return an SVG");
      this.mount(sanitize(document.importNode(svg, true)));
      this.message.hidden = true;
    } catch (error) {
      if (token !== this.loadToken) return;
      this.message.hidden = false;
      this.message.textContent = `Could not draw the graph: ${error.message}`;
    } finally {
      if (token === this.loadToken) this.el.removeAttribute("aria-busy");
    }
  }

  mount(svg) {
    const box = svg.viewBox?.baseVal;
    const natural =
      box && box.width
        ? { width: box.width, height: box.height }
        : {
            width: Number(svg.getAttribute("width")) || 800,
            height: Number(svg.getAttribute("height")) || 600,
          };
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    // Interactive nodes live inside: a group, not an image (whose children would be hidden).
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", svg.querySelector(":scope > title")?.textContent || "Workflow graph");
    this.canvas.replaceChildren(svg);
    this.svg = svg;
    this.decorateNodes();
    this.panZoom.attach(svg, natural);
    this.paint(this.lastStatus.steps, this.lastStatus.runStatus);
    this.select(this.selected, { silent: true });
  }

  decorateNodes() {
    for (const node of this.svg.querySelectorAll(".tr-node[data-step-path]")) {
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
      node.classList.add("is-interactive");
    }
    for (const group of this.svg.querySelectorAll(".tr-group[data-nested]")) {
      const frame = box(group.querySelector(":scope > .tr-frame"));
      group.querySelector(":scope > text")?.classList.add("tr-group-title-text");
      if (!frame) continue;
      // A "−" button in the frame's corner collapses it (so does a click on its title).
      const size = 20;
      group.insertBefore(
        s(
          "g",
          {
            class: "tr-group-toggle",
            tabindex: "0",
            role: "button",
            "aria-label": `Collapse nested workflow ${group.dataset.nested}`,
          },
          s("title", {}, "Collapse"),
          s("rect", {
            x: frame.x + frame.width - size - 8,
            y: frame.y + 7,
            width: size,
            height: size,
            rx: 5,
          }),
          s("path", { d: `M${frame.x + frame.width - size + 6} ${frame.y + 17}h8` }),
        ),
        group.querySelector(":scope > .tr-group-body"),
      );
    }
    for (const node of this.svg.querySelectorAll(".tr-node[data-expandable]")) {
      const rect = box(node.querySelector(":scope > .tr-box"));
      if (!rect) continue;
      const cx = rect.x + rect.width - 12;
      const cy = rect.y + 12;
      node.append(
        s(
          "g",
          { class: "tr-expand-badge", "aria-hidden": "true" },
          s("circle", { cx, cy, r: 8 }),
          s("path", { d: `M${cx - 4} ${cy}h8M${cx} ${cy - 4}v8` }),
        ),
      );
    }
    this.labelNodes();
    this.svg.addEventListener("click", (event) => this.onClick(event));
    this.svg.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      if (!event.target.closest?.(".tr-node, .tr-group-toggle")) return;
      event.preventDefault();
      this.onClick(event);
    });
  }

  labelNodes() {
    if (!this.svg) return;
    for (const node of this.svg.querySelectorAll(".tr-node[data-step-path]")) {
      const status = STATUSES.find((s) => node.classList.contains(`tr-status-${s}`));
      const nested = node.dataset.expandable ? ", nested workflow (activate to expand)" : "";
      node.setAttribute(
        "aria-label",
        `Step ${node.dataset.stepPath}${nested}${status ? `: ${STATUS_LABELS[status] ?? status}` : ""}`,
      );
    }
  }

  onClick(event) {
    if (this.panZoom.dragged) return;
    const toggle = event.target.closest?.(".tr-group-toggle, .tr-group-title-text");
    if (toggle) {
      this.collapse(toggle.closest(".tr-group").dataset.nested);
      return;
    }
    const node = event.target.closest?.(".tr-node[data-step-path]");
    if (!node) return;
    const path = node.dataset.stepPath;
    this.select(path);
    if (node.dataset.expandable) this.expand(node.dataset.expandable);
  }

  async expand(path) {
    this.expanded.add(path);
    this.onExpandChange?.([...this.expanded]);
    await this.load();
  }

  async collapse(path) {
    for (const other of [...this.expanded]) {
      if (other === path || other.startsWith(`${path}.`)) this.expanded.delete(other);
    }
    this.onExpandChange?.([...this.expanded]);
    await this.load();
  }

  async setExpanded(paths) {
    this.expanded = new Set(paths);
    this.onExpandChange?.([...this.expanded]);
    await this.load();
  }

  isExpanded(path) {
    return this.expanded.has(path);
  }

  hasNested() {
    return Boolean(this.svg?.querySelector("[data-expandable], [data-nested]"));
  }

  /** Paths of every nested workflow currently drawn (collapsed or expanded). */
  nestedPaths() {
    if (!this.svg) return [];
    return [...this.svg.querySelectorAll("[data-expandable], [data-nested]")].map(
      (el) => el.dataset.expandable ?? el.dataset.nested,
    );
  }

  select(path, { silent = false } = {}) {
    this.selected = path;
    if (this.svg) {
      for (const el of this.svg.querySelectorAll(".is-selected")) el.classList.remove("is-selected");
      if (path) {
        for (const el of this.svg.querySelectorAll(`[data-step-path="${CSS.escape(path)}"]`))
          el.classList.add("is-selected");
      }
    }
    if (!silent) this.onSelect?.(path);
  }

  /** Color nodes, frames and edges from the run's step records. */
  paint(steps, runStatus) {
    this.lastStatus = { steps, runStatus };
    if (!this.svg) return;
    const terminal = TERMINAL.has(runStatus);
    const started = steps.size > 0 || (runStatus && runStatus !== "pending" && runStatus !== "idle");
    const statusById = new Map();
    for (const el of this.svg.querySelectorAll(".tr-node, .tr-group")) {
      el.classList.remove(...STATUS_CLASSES);
      const path = el.dataset.stepPath;
      if (!path) continue;
      let status = steps.get(path)?.status;
      if (!status && terminal && runStatus) status = "skipped";
      if (status) el.classList.add(`tr-status-${status}`);
      if (el.dataset.nodeId && status) statusById.set(el.dataset.nodeId, status);
    }
    this.paintStructure(statusById, started, runStatus);
    this.labelNodes();
  }

  /** Start/end/fork/join carry no step: derive their status from their neighbours. */
  paintStructure(statusById, started, runStatus) {
    const edges = [...this.svg.querySelectorAll(".tr-edge")];
    const structure = [...this.svg.querySelectorAll(".tr-node")].filter((el) =>
      STRUCTURE.has(el.dataset.kind),
    );
    const reached = (status) => status && status !== "skipped";
    for (let pass = 0; pass < 4; pass += 1) {
      for (const node of structure) {
        const id = node.dataset.nodeId;
        const incoming = edges.filter((e) => e.dataset.to === id).map((e) => statusById.get(e.dataset.from));
        const outgoing = edges.filter((e) => e.dataset.from === id).map((e) => statusById.get(e.dataset.to));
        let status;
        if (node.dataset.kind === "start" && started) status = "success";
        else if (node.dataset.kind === "end")
          status =
            incoming.length && incoming.every((s) => s === "success") && runStatus !== "running"
              ? "success"
              : undefined;
        else if (outgoing.some(reached) || (incoming.length && incoming.every((s) => s === "success")))
          status = "success";
        if (status) statusById.set(id, status);
      }
    }
    for (const node of structure) {
      const status = statusById.get(node.dataset.nodeId);
      if (status) node.classList.add(`tr-status-${status}`);
    }
    for (const edge of edges) {
      edge.classList.remove(...STATUS_CLASSES);
      const from = statusById.get(edge.dataset.from);
      const to = statusById.get(edge.dataset.to);
      if (from === "success" && reached(to))
        edge.classList.add(to === "running" ? "tr-status-running" : "tr-status-success");
    }
  }
}
