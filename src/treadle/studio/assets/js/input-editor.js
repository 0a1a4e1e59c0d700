// A value editor with two modes: the form generated from a schema, or raw JSON.
import { h } from "./dom.js";
import { createSchemaForm } from "./form.js";
import { icon } from "./icons.js";

/** Parse JSON text; "" is `undefined`. Returns {value} or {error}. */
export function parseJsonText(text) {
  const trimmed = text.trim();
  if (!trimmed) return { value: undefined };
  try {
    return { value: JSON.parse(trimmed) };
  } catch (error) {
    return { error: `Invalid JSON: ${error.message}` };
  }
}

/**
 * `schema` may be null (no declared input: JSON only). Returns
 * {el, getValue() -> {ok, value, errors}, setValue(value), mode()}.
 */
export function createInputEditor({ schema, title, initial, testId, emptyHint = "Optional JSON" }) {
  const hasForm = Boolean(schema);
  const form = hasForm ? createSchemaForm(schema, { initial, label: title }) : null;
  const textarea = h("textarea", {
    class: "input input-code json-editor",
    rows: 8,
    spellcheck: "false",
    "aria-label": `${title} as JSON`,
    placeholder: emptyHint,
    "data-testid": testId ? `${testId}-json` : undefined,
  });
  const jsonError = h("p", { class: "field-error", role: "alert", hidden: true });
  const jsonPane = h("div", { class: "json-pane" }, textarea, jsonError);
  const body = h("div", { class: "editor-body" });
  const summary = h("p", { class: "field-error editor-summary", role: "alert", hidden: true });
  let mode = hasForm ? "form" : "json";

  const formButton = h(
    "button",
    { type: "button", class: "seg", "data-mode": "form" },
    icon("form", { size: 14 }),
    "Form",
  );
  const jsonButton = h(
    "button",
    { type: "button", class: "seg", "data-mode": "json" },
    icon("code", { size: 14 }),
    "JSON",
  );
  const switcher = hasForm
    ? h(
        "div",
        { class: "segmented", role: "group", "aria-label": `${title} editor mode` },
        formButton,
        jsonButton,
      )
    : h("span", { class: "field-hint" }, "JSON");

  const showJsonError = (message) => {
    jsonError.hidden = !message;
    jsonError.textContent = message || "";
    if (message) textarea.setAttribute("aria-invalid", "true");
    else textarea.removeAttribute("aria-invalid");
  };

  const render = () => {
    body.replaceChildren(mode === "form" ? form.el : jsonPane);
    formButton.setAttribute("aria-pressed", String(mode === "form"));
    jsonButton.setAttribute("aria-pressed", String(mode === "json"));
    el.dataset.mode = mode;
  };

  const setMode = (next) => {
    if (next === mode) return;
    if (next === "json") {
      const { value } = form.read();
      textarea.value = value === undefined ? "" : JSON.stringify(value, null, 2);
      showJsonError(null);
      summary.hidden = true;
    } else {
      const parsed = parseJsonText(textarea.value);
      if (parsed.error) {
        showJsonError(`${parsed.error}. Fix it to switch back to the form.`);
        textarea.focus();
        return;
      }
      form.set(parsed.value);
    }
    mode = next;
    render();
  };
  formButton.addEventListener("click", () => setMode("form"));
  jsonButton.addEventListener("click", () => setMode("json"));
  textarea.addEventListener("input", () => showJsonError(null));
  if (!hasForm && initial !== undefined) textarea.value = JSON.stringify(initial, null, 2);

  const examples = Array.isArray(schema?.examples) ? schema.examples : [];
  const exampleButton = examples.length
    ? h(
        "button",
        {
          type: "button",
          class: "btn btn-ghost btn-xs",
          title: "Fill in the example the schema gives",
          onclick: () => setValue(examples[0]),
        },
        "Use example",
      )
    : null;
  const setValue = (value) => {
    if (mode === "form") form.set(value);
    else textarea.value = value === undefined ? "" : JSON.stringify(value, null, 2);
  };

  const el = h(
    "section",
    { class: "input-editor", "data-testid": testId, "data-mode": mode },
    h(
      "div",
      { class: "editor-head" },
      h("h3", { class: "editor-title" }, title),
      h("div", { class: "editor-tools" }, exampleButton, switcher),
    ),
    body,
    summary,
  );
  render();

  return {
    el,
    mode: () => mode,
    setMode,
    getValue() {
      if (mode === "json") {
        const parsed = parseJsonText(textarea.value);
        showJsonError(parsed.error ?? null);
        return parsed.error
          ? { ok: false, errors: [{ path: "(JSON)", message: parsed.error }] }
          : { ok: true, value: parsed.value, errors: [] };
      }
      const { value, errors } = form.read();
      summary.hidden = !errors.length;
      summary.textContent = errors.length
        ? `Fix ${errors.length === 1 ? "1 field" : `${errors.length} fields`}: ${errors.map((e) => `${e.path} (${e.message})`).join(", ")}`
        : "";
      if (errors.length) errors[0].element?.querySelector("input, select, textarea")?.focus();
      return { ok: !errors.length, value, errors };
    },
    setValue,
  };
}
