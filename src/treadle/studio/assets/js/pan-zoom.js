// Pan and zoom of an SVG inside a viewport element, on the SVG's viewBox (the drawing stays crisp).
import { h } from "./dom.js";

const MIN_SCALE = 0.2;
const MAX_SCALE = 3;
const PAD = 24;
const READABLE_SCALE = 0.65; // below this, node titles get hard to read
const DRAG_THRESHOLD_PX = 4;

export class PanZoom {
  /** `viewport`: the element the SVG fills; it gets the pointer, wheel and key handlers. */
  constructor(viewport) {
    this.viewport = viewport;
    this.svg = null;
    this.natural = { width: 1, height: 1 };
    this.view = null; // the current viewBox {x, y, w, h}
    this.scale = 1;
    this.userZoomed = false;
    this.dragged = false; // true while (and just after) a drag, so it does not count as a click
    this.label = h("span", { class: "zoom-label", "aria-live": "polite" }, "100%");
    this.bindPointer();
    this.bindKeys();
    new ResizeObserver(() => {
      if (!this.svg) return;
      if (this.userZoomed) this.apply();
      else this.fit();
    }).observe(viewport);
  }

  /** Take over a freshly mounted SVG of `natural` size, keeping the user's zoom if any. */
  attach(svg, natural) {
    this.svg = svg;
    this.natural = natural;
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    if (this.userZoomed && this.view) this.apply();
    else this.fit();
  }

  size() {
    const rect = this.viewport.getBoundingClientRect();
    return { width: Math.max(rect.width, 1), height: Math.max(rect.height, 1) };
  }

  /**
   * Show the whole graph, never enlarged past 100%. A graph too tall to fit at a readable size
   * fits its width instead and starts at the top (pan down for the rest).
   */
  fit() {
    const { width, height } = this.size();
    const byWidth = (width - PAD * 2) / this.natural.width;
    const byHeight = (height - PAD * 2) / this.natural.height;
    this.scale = Math.max(MIN_SCALE, Math.min(1, byWidth, Math.max(byHeight, READABLE_SCALE)));
    const w = width / this.scale;
    const hgt = height / this.scale;
    const tall = this.natural.height * this.scale > height - PAD * 2;
    this.view = {
      x: (this.natural.width - w) / 2,
      y: tall ? -PAD / this.scale : (this.natural.height - hgt) / 2,
      w,
      h: hgt,
    };
    this.userZoomed = false;
    this.apply();
  }

  zoomBy(factor) {
    const { width, height } = this.size();
    this.zoomAt(this.scale * factor, width / 2, height / 2);
  }

  /** Zoom to `nextScale` keeping the point (px, py) of the viewport where it is. */
  zoomAt(nextScale, px, py) {
    if (!this.view) return;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, nextScale));
    const gx = this.view.x + px / this.scale;
    const gy = this.view.y + py / this.scale;
    this.scale = scale;
    this.view = { ...this.view, x: gx - px / scale, y: gy - py / scale };
    this.userZoomed = true;
    this.apply();
  }

  panBy(dx, dy) {
    if (!this.view) return;
    this.view = { ...this.view, x: this.view.x + dx, y: this.view.y + dy };
    this.userZoomed = true;
    this.apply();
  }

  apply() {
    if (!this.svg || !this.view) return;
    const { width, height } = this.size();
    this.view.w = width / this.scale;
    this.view.h = height / this.scale;
    const { x, y, w, h: hgt } = this.view;
    this.svg.setAttribute("viewBox", `${x} ${y} ${w} ${hgt}`);
    this.label.textContent = `${Math.round(this.scale * 100)}%`;
  }

  bindPointer() {
    const el = this.viewport;
    let start = null;
    el.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || !this.view) return;
      start = { x: event.clientX, y: event.clientY, view: { ...this.view }, id: event.pointerId };
      this.dragged = false;
    });
    el.addEventListener("pointermove", (event) => {
      if (!start || event.pointerId !== start.id) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      if (!this.dragged) el.setPointerCapture(event.pointerId);
      this.dragged = true;
      el.classList.add("is-panning");
      this.view = { ...start.view, x: start.view.x - dx / this.scale, y: start.view.y - dy / this.scale };
      this.userZoomed = true;
      this.apply();
    });
    const end = () => {
      start = null;
      el.classList.remove("is-panning");
      // The click that ends a drag still sees `dragged`; reset it after that.
      setTimeout(() => {
        this.dragged = false;
      }, 0);
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
    el.addEventListener(
      "wheel",
      (event) => {
        if (!this.view) return;
        event.preventDefault();
        const rect = el.getBoundingClientRect();
        const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
        this.zoomAt(this.scale * factor, event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
  }

  bindKeys() {
    this.viewport.addEventListener("keydown", (event) => {
      if (event.target !== this.viewport) return; // keys on a focused node are the node's
      const step = 40 / this.scale;
      const actions = {
        "+": () => this.zoomBy(1.2),
        "=": () => this.zoomBy(1.2),
        "-": () => this.zoomBy(1 / 1.2),
        0: () => this.fit(),
        ArrowLeft: () => this.panBy(-step, 0),
        ArrowRight: () => this.panBy(step, 0),
        ArrowUp: () => this.panBy(0, -step),
        ArrowDown: () => this.panBy(0, step),
      };
      if (actions[event.key]) {
        event.preventDefault();
        actions[event.key]();
      }
    });
  }
}
