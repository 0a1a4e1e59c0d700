// Leaf controls of generated forms: text, numbers, booleans, enums, constants and raw JSON.
import { h, uid } from "./dom.js";

/** "items[1].qty" from ["items", 1, "qty"]; "(input)" for the root. */
export function pathText(path) {
  if (!path.length) return "(input)";
  return path.reduce(
    (text, part) => (typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    "",
  );
}

/**
 * The label/help/error frame around a control. Returns {el, setError(message|null)} and wires
 * aria-describedby and aria-invalid on `input`.
 */
export function fieldFrame(ctx, input, { inline = false, extra = null } = {}) {
  const id = input.id || uid("f");
  input.id = id;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const description = ctx.schema?.description;
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  input.setAttribute("aria-describedby", [description ? helpId : "", errorId].filter(Boolean).join(" "));
  const label = h(
    "label",
    { class: ["field-label", ctx.hideLabel ? "sr-only" : ""], for: id },
    ctx.label,
    ctx.required && !ctx.isItem
      ? h("span", { class: "required", "aria-hidden": "true", title: "required" }, "*")
      : null,
  );
  const help = description ? h("p", { class: "field-help", id: helpId }, description) : null;
  // A hidden label (the optional toggle above already names the field) takes no row.
  const head = ctx.hideLabel ? label : h("div", { class: "field-row" }, label, extra);
  const el = inline
    ? h(
        "div",
        { class: "field field-inline", "data-path": pathText(ctx.path) },
        h("div", { class: "field-row" }, input, label, extra),
        help,
        error,
      )
    : h("div", { class: "field", "data-path": pathText(ctx.path) }, head, help, input, error);
  const setError = (message) => {
    error.hidden = !message;
    error.textContent = message || "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  return { el, setError };
}

function report(errors, ctx, frame, message) {
  frame.setError(message);
  if (message) errors.push({ path: pathText(ctx.path), message, element: frame.el });
}

function stringInputType(schema) {
  switch (schema.format) {
    case "date":
      return "date";
    case "time":
      return "time";
    case "date-time":
      return "datetime-local";
    case "email":
      return "email";
    case "uri":
    case "url":
      return "url";
    case "password":
      return "password";
    default:
      return schema.writeOnly ? "password" : "text";
  }
}

/** datetime-local shows local time without a zone; the API wants ISO 8601 with one. */
function toDateTimeLocal(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 19);
}

export function stringControl(ctx) {
  const { schema } = ctx;
  const type = stringInputType(schema);
  const long = (schema.maxLength ?? 0) > 200 || schema.format === "textarea";
  const input = long
    ? h("textarea", { class: "input", rows: 3, name: pathText(ctx.path) })
    : h("input", {
        class: "input",
        type,
        name: pathText(ctx.path),
        autocomplete: "off",
        spellcheck: type === "text" ? "true" : "false",
      });
  if (schema.maxLength !== undefined) input.maxLength = schema.maxLength;
  if (Array.isArray(schema.examples) && schema.examples.length)
    input.placeholder = String(schema.examples[0]);
  const frame = fieldFrame(ctx, input);
  const set = (value) => {
    if (value === undefined || value === null) value = schema.default ?? "";
    input.value = type === "datetime-local" && value ? toDateTimeLocal(value) : String(value);
  };
  set(ctx.initial);
  return {
    el: frame.el,
    set,
    read(errors) {
      const raw = input.value;
      if (raw === "") {
        report(errors, ctx, frame, ctx.required ? "Required" : null);
        return undefined;
      }
      const value = type === "datetime-local" ? new Date(raw).toISOString() : raw;
      let message = null;
      if (schema.minLength !== undefined && raw.length < schema.minLength)
        message = `At least ${schema.minLength} characters`;
      else if (schema.maxLength !== undefined && raw.length > schema.maxLength)
        message = `At most ${schema.maxLength} characters`;
      else if (schema.pattern && !safePatternTest(schema.pattern, raw))
        message = `Must match the pattern ${schema.pattern}`;
      else if (!input.checkValidity()) message = input.validationMessage;
      report(errors, ctx, frame, message);
      return value;
    },
  };
}

function safePatternTest(pattern, value) {
  try {
    return new RegExp(pattern, "u").test(value);
  } catch {
    return true; // a pattern JavaScript cannot compile is left to the server
  }
}

export function numberControl(ctx) {
  const { schema } = ctx;
  const integer = ctx.kind === "integer";
  const input = h("input", {
    class: "input input-number",
    type: "number",
    inputmode: integer ? "numeric" : "decimal",
    name: pathText(ctx.path),
    step: integer ? "1" : "any",
  });
  if (schema.minimum !== undefined) input.min = String(schema.minimum);
  if (schema.maximum !== undefined) input.max = String(schema.maximum);
  const frame = fieldFrame(ctx, input);
  const set = (value) => {
    if (value === undefined || value === null) value = schema.default ?? "";
    input.value = String(value);
  };
  set(ctx.initial);
  return {
    el: frame.el,
    set,
    read(errors) {
      const raw = input.value.trim();
      if (raw === "") {
        // A number input reports "" for text it cannot parse: say so rather than "Required".
        const message = input.validity.badInput ? "Must be a number" : ctx.required ? "Required" : null;
        report(errors, ctx, frame, message);
        return undefined;
      }
      const value = Number(raw);
      let message = null;
      if (!Number.isFinite(value)) message = "Must be a number";
      else if (integer && !Number.isInteger(value)) message = "Must be a whole number";
      else if (schema.minimum !== undefined && value < schema.minimum)
        message = `Must be ≥ ${schema.minimum}`;
      else if (schema.maximum !== undefined && value > schema.maximum)
        message = `Must be ≤ ${schema.maximum}`;
      else if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
        message = `Must be > ${schema.exclusiveMinimum}`;
      else if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
        message = `Must be < ${schema.exclusiveMaximum}`;
      else if (
        schema.multipleOf &&
        Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9
      )
        message = `Must be a multiple of ${schema.multipleOf}`;
      report(errors, ctx, frame, message);
      return value;
    },
  };
}

export function booleanControl(ctx) {
  const input = h("input", { class: "switch", type: "checkbox", role: "switch", name: pathText(ctx.path) });
  const frame = fieldFrame(ctx, input, { inline: true });
  const set = (value) => {
    input.checked = Boolean(value ?? ctx.schema.default ?? false);
  };
  set(ctx.initial);
  return { el: frame.el, set, read: () => input.checked };
}

export function enumControl(ctx, options) {
  const select = h("select", { class: "input", name: pathText(ctx.path) });
  const allowEmpty = !ctx.required && ctx.schema.default === undefined;
  if (allowEmpty) select.append(h("option", { value: "" }, "—"));
  options.forEach((option, index) => {
    select.append(
      h("option", { value: String(index) }, typeof option === "string" ? option : JSON.stringify(option)),
    );
  });
  const frame = fieldFrame(ctx, select);
  const set = (value) => {
    const wanted = JSON.stringify(value === undefined ? ctx.schema.default : value);
    const index = options.findIndex((option) => JSON.stringify(option) === wanted);
    select.value = index >= 0 ? String(index) : allowEmpty ? "" : "0";
  };
  set(ctx.initial);
  return {
    el: frame.el,
    set,
    read(errors) {
      if (select.value === "") {
        report(errors, ctx, frame, ctx.required ? "Required" : null);
        return undefined;
      }
      report(errors, ctx, frame, null);
      return options[Number(select.value)];
    },
  };
}

export function constControl(ctx, value) {
  const output = h("output", { class: "const-value" }, JSON.stringify(value));
  const frame = fieldFrame(ctx, output);
  return { el: frame.el, set() {}, read: () => value };
}

/** Free JSON (schemas that say "anything" or "a dict of anything"). */
export function jsonControl(ctx, { jsonType } = {}) {
  const textarea = h("textarea", {
    class: "input input-code",
    rows: 3,
    name: pathText(ctx.path),
    spellcheck: "false",
  });
  const frame = fieldFrame(ctx, textarea, { extra: h("span", { class: "field-hint" }, "JSON") });
  const set = (value) => {
    if (value === undefined) value = ctx.schema.default;
    textarea.value = value === undefined ? "" : JSON.stringify(value, null, 2);
  };
  set(ctx.initial);
  return {
    el: frame.el,
    set,
    read(errors) {
      const raw = textarea.value.trim();
      if (!raw) {
        report(errors, ctx, frame, ctx.required ? "Required" : null);
        return undefined;
      }
      try {
        const value = JSON.parse(raw);
        const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
        report(errors, ctx, frame, jsonType === "object" && !isObject ? "Must be a JSON object" : null);
        return value;
      } catch (error) {
        report(errors, ctx, frame, `Invalid JSON: ${error.message}`);
        return undefined;
      }
    },
  };
}
