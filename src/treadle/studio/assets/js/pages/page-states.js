// Whole-page states: loading, not found, and errors.
import { h } from "../dom.js";
import { href } from "../config.js";
import { icon } from "../icons.js";

export function loading(label = "Loading…") {
  return {
    el: h(
      "div",
      { class: "page-state", role: "status" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      label,
    ),
  };
}

export function notFound(message) {
  return {
    el: h(
      "div",
      { class: "page-state" },
      h("h1", { class: "page-title" }, "Not found"),
      h("p", { class: "muted" }, message),
      h(
        "a",
        { class: "btn btn-secondary", href: href("/"), "data-link": "" },
        icon("chevronLeft", { size: 14 }),
        "All workflows",
      ),
    ),
  };
}

export function pageError(error) {
  return {
    el: h(
      "div",
      { class: "page-state", role: "alert" },
      h("h1", { class: "page-title" }, icon("alert", { size: 22 }), "Something went wrong"),
      h("p", { class: "muted" }, error?.message ?? String(error)),
      h(
        "button",
        { type: "button", class: "btn btn-secondary", onclick: () => window.location.reload() },
        icon("refresh", { size: 14 }),
        "Reload",
      ),
    ),
  };
}
