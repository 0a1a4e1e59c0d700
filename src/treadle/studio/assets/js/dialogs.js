// Modal dialogs on the native <dialog> element (focus handling and Escape come with it).
import { h, uid } from "./dom.js";
import { icon } from "./icons.js";

/**
 * Open a modal. `actions`: [{label, variant, onClick?(close) | value}] rendered right-aligned;
 * an action with `submit: true` is the form's default (Enter). Resolves `closed` with the value
 * passed to `close(value)` (undefined when dismissed).
 */
export function openDialog({
  title,
  description,
  content,
  actions = [],
  size = "md",
  className = "",
  testId,
}) {
  const titleId = uid("dlg-title");
  const form = h("form", { method: "dialog", class: "dialog-form", novalidate: true });
  const dialog = h(
    "dialog",
    { class: ["dialog", `dialog-${size}`, className], "aria-labelledby": titleId, "data-testid": testId },
    form,
  );
  let result;
  let resolveClosed;
  const closed = new Promise((resolve) => {
    resolveClosed = resolve;
  });
  const close = (value) => {
    result = value;
    if (dialog.open) dialog.close();
  };
  const footer = h(
    "div",
    { class: "dialog-actions" },
    actions.map((action) =>
      h(
        "button",
        {
          type: action.submit ? "submit" : "button",
          class: ["btn", action.variant ? `btn-${action.variant}` : ""],
          "data-testid": action.testId,
          onclick: (event) => {
            if (action.submit) return; // handled by the form's submit event
            event.preventDefault();
            if (action.onClick) action.onClick(close);
            else close(action.value);
          },
        },
        action.icon ? icon(action.icon) : null,
        action.label,
      ),
    ),
  );
  const submitAction = actions.find((action) => action.submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!submitAction) return;
    if (submitAction.onClick) submitAction.onClick(close);
    else close(submitAction.value);
  });
  form.append(
    h(
      "header",
      { class: "dialog-header" },
      h(
        "div",
        {},
        h("h2", { id: titleId, class: "dialog-title" }, title),
        description ? h("p", { class: "dialog-description" }, description) : null,
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-ghost btn-icon",
          "aria-label": "Close",
          onclick: () => close(undefined),
        },
        icon("x"),
      ),
    ),
    h("div", { class: "dialog-body" }, content),
    actions.length ? footer : null,
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    resolveClosed(result);
  });
  // A click on the backdrop (outside the dialog box) dismisses it.
  dialog.addEventListener("mousedown", (event) => {
    if (event.target === dialog) close(undefined);
  });
  document.body.append(dialog);
  dialog.showModal();
  const autofocus = dialog.querySelector("[autofocus]");
  if (autofocus) autofocus.focus();
  return { dialog, close, closed };
}

/** Ask a yes/no question; resolves true when confirmed. */
export async function confirmDialog({ title, message, confirmLabel = "Confirm", danger = false }) {
  const { closed } = openDialog({
    title,
    size: "sm",
    testId: "confirm-dialog",
    content: h("p", { class: "dialog-message" }, message),
    actions: [
      { label: "Cancel", variant: "ghost", value: false },
      { label: confirmLabel, variant: danger ? "danger" : "primary", value: true, testId: "confirm-ok" },
    ],
  });
  return (await closed) === true;
}
