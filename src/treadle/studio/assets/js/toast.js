// Short-lived notifications in the corner (announced politely to screen readers).
import { h } from "./dom.js";
import { icon } from "./icons.js";

function region() {
  let el = document.getElementById("toasts");
  if (!el) {
    el = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(el);
  }
  return el;
}

/** kind: "info" | "success" | "error". Errors stay longer. */
export function toast(message, kind = "info") {
  const item = h(
    "div",
    { class: ["toast", `toast-${kind}`] },
    icon(kind === "error" ? "alert" : kind === "success" ? "check" : "dot", { size: 16 }),
    h("span", {}, message),
    h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-icon btn-xs",
        "aria-label": "Dismiss",
        onclick: () => item.remove(),
      },
      icon("x", { size: 12 }),
    ),
  );
  region().append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3500);
}
