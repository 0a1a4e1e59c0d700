// Forms generated from JSON Schema: objects, arrays, optionals and unions around the leaf controls.
import { h, uid } from "./dom.js";
import {
  booleanControl,
  constControl,
  enumControl,
  fieldFrame,
  jsonControl,
  numberControl,
  pathText,
  stringControl,
} from "./form-fields.js";
import { icon } from "./icons.js";
import { classify, labelFor, resolve } from "./schema.js";

/**
 * Build the control for `schema`. `ctx`: {root, path, label, required, initial, hideLabel}.
 * A control is {el, read(errors) -> value | undefined (= leave out), set(value)}.
 */
export function buildControl(schema, ctx) {
  const info = classify(schema, ctx.root);
  const full = { ...ctx, schema: info.schema, kind: info.kind };
  switch (info.kind) {
    case "object":
      return objectControl(full);
    case "array":
      return arrayControl(full);
    case "nullable":
      return nullableControl(full, info.inner);
    case "union":
      return unionControl(full, info.variants);
    case "enum":
      return enumControl(full, info.options);
    case "const":
      return constControl(full, info.value);
    case "string":
      return stringControl(full);
    case "number":
    case "integer":
      return numberControl(full);
    case "boolean":
      return booleanControl(full);
    case "null":
      return constControl(full, null);
    default:
      return jsonControl(full, { jsonType: info.jsonType });
  }
}

function initialOf(ctx) {
  return ctx.initial !== undefined ? ctx.initial : ctx.schema.default;
}

function groupHeader(ctx, extra) {
  return h(
    "legend",
    { class: ["group-legend", ctx.hideLabel ? "sr-only" : ""] },
    h("span", { class: "group-title" }, ctx.label),
    ctx.required && !ctx.isItem ? h("span", { class: "required", "aria-hidden": "true" }, "*") : null,
    extra,
  );
}

/** The fields of an object; `bare` (the form's root) draws no frame around them. */
function objectControl(ctx, { bare = false } = {}) {
  const { schema } = ctx;
  const required = new Set(schema.required || []);
  const initial = initialOf(ctx) ?? {};
  const children = Object.entries(schema.properties || {}).map(([key, propSchema]) => [
    key,
    buildControl(propSchema, {
      root: ctx.root,
      path: [...ctx.path, key],
      label: labelFor(key, propSchema),
      required: required.has(key),
      initial: initial?.[key],
    }),
  ]);
  const body = h(
    "div",
    { class: "group-body" },
    children.map(([, control]) => control.el),
  );
  const el = bare
    ? h("div", { class: "form-root", "data-path": "" }, body)
    : h(
        "fieldset",
        { class: "group", "data-path": pathText(ctx.path) },
        groupHeader(ctx),
        schema.description ? h("p", { class: "field-help" }, schema.description) : null,
        body,
      );
  return {
    el,
    read(errors) {
      const out = {};
      for (const [key, control] of children) {
        const value = control.read(errors);
        if (value !== undefined) out[key] = value;
      }
      return out;
    },
    set(value) {
      const source = value && typeof value === "object" && !Array.isArray(value) ? value : {};
      for (const [key, control] of children) control.set(source[key]);
    },
  };
}

/** "Items" -> "Item", "Categories" -> "Category": labels for one element of a list. */
function singular(label) {
  const text = String(label || "Item");
  if (/ies$/i.test(text)) return `${text.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/i.test(text)) return text.slice(0, -2);
  if (/[^s]s$/i.test(text)) return text.slice(0, -1);
  return "Item";
}

function arrayControl(ctx) {
  const { schema } = ctx;
  const itemSchema = Array.isArray(schema.prefixItems) ? null : (schema.items ?? {});
  if (itemSchema === null) return jsonControl(ctx);
  const itemLabel = singular(ctx.label);
  const list = h("ol", { class: "array-items" });
  const count = h("span", { class: "badge badge-muted array-count" });
  const error = h("p", { class: "field-error", hidden: true, role: "alert" });
  let items = []; // controls, in order

  const addButton = h(
    "button",
    { type: "button", class: "btn btn-sm btn-secondary array-add", onclick: () => addItem(undefined, true) },
    icon("plus", { size: 14 }),
    `Add ${itemLabel.toLowerCase()}`,
  );
  addButton.setAttribute("aria-label", `Add an item to ${ctx.label}`);

  function render(values) {
    items = [];
    list.replaceChildren();
    values.forEach((value) => addItem(value, false));
    refresh();
  }

  function addItem(value, focus) {
    const index = items.length;
    const control = buildControl(itemSchema, {
      root: ctx.root,
      path: [...ctx.path, index],
      label: `${itemLabel} ${index + 1}`,
      required: true,
      isItem: true,
      initial: value,
    });
    items.push(control);
    const remove = h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-icon btn-sm array-remove",
        "aria-label": `Remove ${itemLabel.toLowerCase()} ${index + 1} of ${ctx.label}`,
        title: "Remove",
        onclick: () => removeItem(index),
      },
      icon("trash", { size: 14 }),
    );
    list.append(h("li", { class: "array-item" }, h("div", { class: "array-item-body" }, control.el), remove));
    refresh();
    if (focus) control.el.querySelector("input, select, textarea, button")?.focus();
  }

  function removeItem(index) {
    // Item paths and labels carry their index: rebuild the rest from the values read back.
    const values = items.map((control) => control.read([]));
    values.splice(index, 1);
    render(values);
    const next = list.children[Math.min(index, list.children.length - 1)];
    (next?.querySelector(".array-remove") ?? addButton).focus();
  }

  function refresh() {
    count.textContent = String(items.length);
    addButton.disabled = schema.maxItems !== undefined && items.length >= schema.maxItems;
  }

  const el = h(
    "fieldset",
    { class: "group group-array", "data-path": pathText(ctx.path) },
    groupHeader(ctx, count),
    schema.description ? h("p", { class: "field-help" }, schema.description) : null,
    list,
    h("div", { class: "array-footer" }, addButton),
    error,
  );

  const set = (value) => {
    const values = Array.isArray(value) ? value : Array.isArray(schema.default) ? schema.default : [];
    const padded = [...values];
    while (padded.length < (schema.minItems ?? 0)) padded.push(undefined);
    render(padded);
  };
  set(ctx.initial);

  return {
    el,
    set,
    read(errors) {
      const values = items.map((control) => control.read(errors));
      let message = null;
      if (schema.minItems !== undefined && values.length < schema.minItems)
        message = `At least ${schema.minItems} items`;
      else if (schema.maxItems !== undefined && values.length > schema.maxItems)
        message = `At most ${schema.maxItems} items`;
      else if (schema.uniqueItems && new Set(values.map((v) => JSON.stringify(v))).size !== values.length)
        message = "Items must be unique";
      error.hidden = !message;
      error.textContent = message || "";
      if (message) errors.push({ path: pathText(ctx.path), message, element: el });
      if (!values.length && !ctx.required && schema.default === undefined) return undefined;
      return values.map((value) => (value === undefined ? null : value));
    },
  };
}

/** `X | None`: a switch decides between null (or leaving the field out) and a value. */
function nullableControl(ctx, innerSchema) {
  const toggleId = uid("set");
  const toggle = h("input", { type: "checkbox", class: "switch", role: "switch", id: toggleId });
  const inner = buildControl(innerSchema, {
    ...ctx,
    hideLabel: true,
    required: true,
    initial: initialOf(ctx) ?? undefined,
  });
  const body = h("div", { class: "nullable-body" }, inner.el);
  const state = h("span", { class: "field-hint nullable-state" });
  const el = h(
    "div",
    { class: "field field-nullable", "data-path": pathText(ctx.path) },
    h(
      "div",
      { class: "field-row" },
      toggle,
      h("label", { class: "field-label", for: toggleId }, ctx.label),
      state,
    ),
    body,
  );
  const sync = () => {
    body.hidden = !toggle.checked;
    state.textContent = toggle.checked ? "" : "not set";
  };
  toggle.addEventListener("change", () => {
    sync();
    if (toggle.checked) body.querySelector("input, select, textarea")?.focus();
  });
  const set = (value) => {
    const effective = value === undefined ? ctx.schema.default : value;
    toggle.checked = effective !== undefined && effective !== null;
    if (toggle.checked) inner.set(effective);
    sync();
  };
  set(ctx.initial);
  return {
    el,
    set,
    read(errors) {
      if (toggle.checked) return inner.read(errors);
      // Off: leave the field out when the server's default is null anyway, else send null.
      const defaultIsNull = ctx.schema.default === undefined || ctx.schema.default === null;
      return ctx.required || !defaultIsNull ? null : undefined;
    },
  };
}

function variantLabel(variant, index) {
  if (variant.title) return variant.title;
  if (variant.type) return Array.isArray(variant.type) ? variant.type.join(" | ") : variant.type;
  return `Option ${index + 1}`;
}

function variantMatches(variant, value) {
  const type = variant.type ?? (variant.properties ? "object" : undefined);
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return type === "array";
  if (typeof value === "object") {
    if (type !== "object") return false;
    return (variant.required || []).every((key) => key in value);
  }
  if (typeof value === "number") return type === "number" || (type === "integer" && Number.isInteger(value));
  return type === typeof value;
}

/** A union of several non-null types: pick the variant, then fill its form. */
function unionControl(ctx, variants) {
  const resolved = variants.map((variant) => resolve(variant, ctx.root));
  const select = h(
    "select",
    { class: "input input-sm", "aria-label": `${ctx.label}: type` },
    resolved.map((variant, index) => h("option", { value: String(index) }, variantLabel(variant, index))),
  );
  const body = h("div", { class: "union-body" });
  let current = null;
  const show = (index, value) => {
    current = buildControl(variants[index], { ...ctx, hideLabel: true, initial: value });
    body.replaceChildren(current.el);
  };
  const frame = fieldFrame(ctx, select);
  frame.el.append(body);
  select.addEventListener("change", () => show(Number(select.value), undefined));
  const set = (value) => {
    const effective = value === undefined ? ctx.schema.default : value;
    const index = Math.max(
      0,
      resolved.findIndex((variant) => variantMatches(variant, effective)),
    );
    select.value = String(index);
    show(index, effective);
  };
  set(ctx.initial);
  return { el: frame.el, set, read: (errors) => current.read(errors) };
}

/**
 * A whole form for `schema` (already parsed). Returns {el, read() -> {value, errors}, set(value)}.
 * An object schema shows its fields directly; anything else shows one control.
 */
export function createSchemaForm(schema, { initial, label = "Input" } = {}) {
  const root = schema;
  const info = classify(schema, root);
  const ctx = { root, path: [], label, required: true, initial, schema: info.schema, kind: info.kind };
  const control = info.kind === "object" ? objectControl(ctx, { bare: true }) : buildControl(schema, ctx);
  const el = h("div", { class: "schema-form" }, control.el);
  return {
    el,
    set: (value) => control.set(value),
    read() {
      const errors = [];
      const value = control.read(errors);
      return { value, errors };
    },
  };
}
