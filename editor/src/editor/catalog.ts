// What the editor knows about step kinds comes from the server (`/api/kinds`): titles,
// ports, outputs and each kind's JSON Schema. Nothing here is written per kind.

import type { KindInfo, PortSpec } from "../api";
import type { Step } from "./workflow";
import { nextOf } from "./workflow";

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  type?: unknown;
};

/** Ports the catalogue lists for a kind, without placeholders such as `<branch name>`. */
export function staticPorts(kind: KindInfo | undefined): PortSpec[] {
  return (kind?.ports ?? [])
    .filter((p) => !p.name.startsWith("<"))
    .map((p) => ({ name: p.name, label: p.name, required: false }));
}

/**
 * The handles a step shows: the ports the server computed for its config (options of a
 * choice, branches) or, until it has, the catalogue's; plus any port an edge already uses
 * that the config no longer has, so the edge stays visible (the diagnostics flag it).
 */
export function portsOf(step: Step, kind: KindInfo | undefined, computed: PortSpec[] | null | undefined): PortSpec[] {
  const ports = computed ?? staticPorts(kind);
  const names = new Set(ports.map((p) => p.name));
  const dangling = Object.keys(nextOf(step))
    .filter((p) => !names.has(p))
    .map((p) => ({ name: p, label: `${p} (unknown)`, required: false }));
  return [...ports, ...dangling];
}

/**
 * Rewrites what react-jsonschema-form draws badly into what it draws well: a `oneOf` of
 * constants becomes an `enum` (a plain select), "X or null" becomes an optional X, and a
 * condition becomes one object for the rows editor.
 */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!value || typeof value !== "object") return value;
  // A condition is drawn by the rows editor, not as a oneOf of its shapes.
  const marked = value as Schema;
  if (marked["x-switchboard-condition"]) {
    return { type: "object", "x-switchboard-condition": true, description: marked.description };
  }
  const schema = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)])) as Schema;
  for (const key of ["oneOf", "anyOf"] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (!Array.isArray(options)) continue;
    if (options.length > 0 && options.every((o) => o && "const" in o)) {
      const { [key]: _options, ...rest } = schema;
      return { ...rest, type: "string", enum: options.map((o) => o.const) };
    }
    const nonNull = options.filter((o) => !(o && o.type === "null"));
    if (nonNull.length === 1 && nonNull.length < options.length) {
      const { [key]: _options, ...rest } = schema;
      return { ...nonNull[0], ...rest };
    }
  }
  if (Array.isArray(schema.type) && schema.type.includes("null")) {
    const types = schema.type.filter((t) => t !== "null");
    schema.type = types.length === 1 ? types[0] : types;
  }
  return schema;
}

/** A kind's schema without what the canvas edits (kind, label, next), for the side form. */
export function formSchema(kind: KindInfo): Schema {
  const schema = normalize(structuredClone(kind.schema)) as Schema;
  const properties = { ...(schema.properties ?? {}) };
  delete properties.kind;
  delete properties.label;
  delete properties.next;
  schema.properties = properties;
  schema.required = (schema.required ?? []).filter((r) => !["kind", "label", "next"].includes(r));
  delete schema.$schema;
  delete schema.title;
  delete schema.description;
  return schema;
}

/** Settings for a new step: each required setting's default, or an empty value of its type. */
export function defaultConfig(kind: KindInfo): Record<string, unknown> {
  const schema = kind.schema as Schema;
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    if (["kind", "label", "next"].includes(name)) continue;
    const property = schema.properties?.[name] ?? {};
    if (property.default !== undefined) out[name] = property.default;
    else if (property.type === "array") out[name] = [];
    else if (property.type === "object") out[name] = {};
    else if (property.type === "number" || property.type === "integer") out[name] = 0;
    else out[name] = "";
  }
  return out;
}

/** Variables a step makes available to later steps, as `steps.<id>.<output>`. */
export function variablesOf(steps: Record<string, Step>, kinds: Map<string, KindInfo>): string[] {
  const roots = ["contact.name", "contact.first_name", "contact.email", "contact.phone", "conversation.id", "trigger.text"];
  const fromSteps = Object.entries(steps).flatMap(([id, step]) =>
    (kinds.get(step.kind)?.outputs ?? []).map((o) => `steps.${id}.${o.name}`),
  );
  return [...roots, ...fromSteps];
}
