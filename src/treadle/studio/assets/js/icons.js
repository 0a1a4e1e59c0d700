// Line icons drawn for the Studio (24x24, stroked with currentColor).
import { s } from "./dom.js";

const PATHS = {
  play: ["M7 5v14l12-7z"],
  stop: ["M7 7h10v10H7z"],
  refresh: ["M20 11a8 8 0 1 0-2.3 5.7", "M20 5v6h-6"],
  zoomIn: ["M11 4a7 7 0 1 1 0 14a7 7 0 0 1 0-14z", "M20 20l-4-4", "M11 8v6", "M8 11h6"],
  search: ["M11 4a7 7 0 1 1 0 14a7 7 0 0 1 0-14z", "M20 20l-4-4"],
  zoomOut: ["M11 4a7 7 0 1 1 0 14a7 7 0 0 1 0-14z", "M20 20l-4-4", "M8 11h6"],
  fit: ["M4 9V4h5", "M20 9V4h-5", "M4 15v5h5", "M20 15v5h-5"],
  download: ["M12 4v11", "M7 10l5 5l5-5", "M5 20h14"],
  copy: ["M9 9h10v11H9z", "M5 15V4h10"],
  trash: ["M5 7h14", "M10 7V4h4v3", "M7 7l1 13h8l1-13"],
  check: ["M5 12l5 5l9-10"],
  x: ["M6 6l12 12", "M18 6L6 18"],
  pause: ["M8 5v14", "M16 5v14"],
  clock: ["M12 3a9 9 0 1 1 0 18a9 9 0 0 1 0-18z", "M12 7v5l3 2"],
  alert: ["M12 3l10 18H2z", "M12 10v4", "M12 17v.5"],
  hand: [
    "M8 12V6a1.5 1.5 0 0 1 3 0v5",
    "M11 11V4.5a1.5 1.5 0 0 1 3 0V11",
    "M14 11V6a1.5 1.5 0 0 1 3 0v7a7 7 0 0 1-7 7h-.5A6.5 6.5 0 0 1 4 14.5V12a1.5 1.5 0 0 1 3 0",
  ],
  rewind: ["M11 6l-7 6l7 6z", "M20 6l-7 6l7 6z"],
  expand: ["M4 4h6", "M4 4v6", "M20 20h-6", "M20 20v-6", "M4 4l6 6", "M20 20l-6-6"],
  collapse: ["M10 4v6H4", "M14 20v-6h6", "M4 4l6 6", "M20 20l-6-6"],
  chevronLeft: ["M15 5l-7 7l7 7"],
  chevronRight: ["M9 5l7 7l-7 7"],
  plus: ["M12 5v14", "M5 12h14"],
  minus: ["M5 12h14"],
  key: ["M8 14a4 4 0 1 1 0-8a4 4 0 0 1 0 8z", "M11 11l9 9", "M17 17l2-2", "M15 15l2-2"],
  code: ["M9 7l-5 5l5 5", "M15 7l5 5l-5 5"],
  form: ["M5 5h14v4H5z", "M5 13h14v6H5z"],
  workflow: ["M5 4h6v5H5z", "M13 15h6v5h-6z", "M8 9v3h8v3"],
  history: ["M4 12a8 8 0 1 0 2.3-5.7", "M4 4v5h5", "M12 8v4l3 2"],
  book: ["M5 4h10a4 4 0 0 1 4 4v12H9a4 4 0 0 1-4-4z", "M5 16a4 4 0 0 1 4-4h10"],
  logout: ["M15 4h4v16h-4", "M10 8l-4 4l4 4", "M6 12h10"],
  sun: ["M12 8a4 4 0 1 1 0 8a4 4 0 0 1 0-8z", "M12 2v2", "M12 20v2", "M2 12h2", "M20 12h2"],
  dot: ["M12 10a2 2 0 1 1 0 4a2 2 0 0 1 0-4z"],
  skip: ["M6 12h12"],
};

/** An inline SVG icon, hidden from assistive technology (the button carries the label). */
export function icon(name, { size = 16, className = "" } = {}) {
  const paths = PATHS[name] || PATHS.dot;
  return s(
    "svg",
    {
      class: ["icon", className],
      width: size,
      height: size,
      viewBox: "0 0 24 24",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 1.8,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    paths.map((d) => s("path", { d })),
  );
}

/** The icon that goes with a run or step status. */
export function statusIcon(status, size = 14) {
  const byStatus = {
    success: "check",
    failed: "x",
    running: "refresh",
    suspended: "hand",
    waiting: "clock",
    canceled: "stop",
    paused: "pause",
    pending: "dot",
    skipped: "skip",
  };
  return icon(byStatus[status] || "dot", { size, className: status === "running" ? "spin" : "" });
}
