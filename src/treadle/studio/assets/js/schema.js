// JSON Schema as the API sends it (superjson-wrapped) and a normalized view for form building.

/** Parse a schema field: a superjson string `{"json": schema}`, a plain JSON string, or an object. */
export function parseSchema(raw) {
  if (raw === undefined || raw === null || raw === "") return null;
  let value = raw;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (
    value &&
    typeof value === "object" &&
    "json" in value &&
    Object.keys(value).every((k) => k === "json" || k === "meta")
  ) {
    value = value.json;
  }
  return value && typeof value === "object" ? value : null;
}

/** Follow a local `$ref` ("#/$defs/Name", "#/definitions/Name", JSON pointer) in `root`. */
function deref(schema, root, seen = new Set()) {
  let current = schema;
  while (current && typeof current === "object" && typeof current.$ref === "string") {
    const ref = current.$ref;
    if (seen.has(ref) || !ref.startsWith("#")) return { ...current, $ref: undefined, __unresolved: ref };
    seen.add(ref);
    let target = root;
    for (const part of ref.slice(1).split("/").filter(Boolean)) {
      target = target?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    const { $ref: _ignored, ...siblings } = current;
    current = target ? { ...target, ...siblings } : { __unresolved: ref };
  }
  return current ?? {};
}

/** Merge an `allOf` list (pydantic wraps a referenced type with a description this way). */
function mergeAllOf(schema, root) {
  if (!Array.isArray(schema.allOf)) return schema;
  const { allOf, ...rest } = schema;
  let merged = {};
  for (const part of allOf) {
    const resolved = resolve(part, root);
    merged = {
      ...merged,
      ...resolved,
      properties: { ...(merged.properties || {}), ...(resolved.properties || {}) },
      required: [...(merged.required || []), ...(resolved.required || [])],
    };
  }
  if (!Object.keys(merged.properties).length) delete merged.properties;
  if (!merged.required.length) delete merged.required;
  return { ...merged, ...rest };
}

/** A schema with its `$ref` and `allOf` resolved (one level; children resolve lazily). */
export function resolve(schema, root) {
  if (schema === true || schema === undefined || schema === null) return {};
  if (schema === false) return { not: {} };
  return mergeAllOf(deref(schema, root), root);
}

function isNullSchema(schema) {
  return (
    schema.type === "null" ||
    (schema.const === null && schema.type === undefined) ||
    (Array.isArray(schema.enum) && schema.enum.length === 1 && schema.enum[0] === null)
  );
}

/**
 * Classify a resolved schema for the form builder. Returns {kind, schema, ...}:
 * object | array | string | number | integer | boolean | enum | const | nullable | union | null | json.
 */
export function classify(schema, root) {
  const resolved = resolve(schema, root);
  const variants = resolved.anyOf || resolved.oneOf;
  if (Array.isArray(variants)) {
    const nonNull = variants.map((v) => resolve(v, root)).filter((v) => !isNullSchema(v));
    const hasNull = nonNull.length < variants.length;
    const base = { title: resolved.title, description: resolved.description, default: resolved.default };
    if (hasNull) {
      const inner =
        nonNull.length === 1 ? { ...nonNull[0], ...stripUndefined(base) } : { ...base, anyOf: nonNull };
      return { kind: "nullable", schema: resolved, inner };
    }
    if (nonNull.every((v) => v.const !== undefined)) {
      return { kind: "enum", schema: resolved, options: nonNull.map((v) => v.const) };
    }
    return { kind: "union", schema: resolved, variants: nonNull };
  }
  let type = resolved.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== "null");
    if (nonNull.length < type.length) {
      return {
        kind: "nullable",
        schema: resolved,
        inner: { ...resolved, type: nonNull.length === 1 ? nonNull[0] : nonNull },
      };
    }
    if (nonNull.length !== 1) return { kind: "json", schema: resolved };
    type = nonNull[0];
  }
  if (Array.isArray(resolved.enum)) return { kind: "enum", schema: resolved, options: resolved.enum };
  if (resolved.const !== undefined) return { kind: "const", schema: resolved, value: resolved.const };
  if (type === "object" || (!type && resolved.properties)) {
    if (resolved.properties && Object.keys(resolved.properties).length)
      return { kind: "object", schema: resolved };
    return { kind: "json", schema: resolved, jsonType: "object" };
  }
  if (type === "array") return { kind: "array", schema: resolved };
  if (type === "string" || type === "number" || type === "integer" || type === "boolean" || type === "null") {
    return { kind: type, schema: resolved };
  }
  return { kind: "json", schema: resolved };
}

function stripUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** A human label for a property: its title, else the key made readable. */
export function labelFor(key, schema) {
  if (schema && typeof schema.title === "string" && schema.title.trim()) return schema.title;
  const text = String(key)
    .replace(/[_-]+/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether a schema takes no input at all (no schema, or an object with no properties). */
export function isEmptyInput(schema) {
  if (!schema) return true;
  const resolved = resolve(schema, schema);
  return resolved.type === "object" && !resolved.properties && resolved.additionalProperties === false;
}
