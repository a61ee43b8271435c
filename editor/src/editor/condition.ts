// Conditions as ops edit them: a group of rows (field, operator, value) matched by all or
// any, or a Rhai expression for the advanced form. `toRhai` is the same translation the
// server applies (steps/src/condition.rs), so switching to the advanced form shows what
// the rows mean.

export const OPS = [
  ["eq", "is"],
  ["neq", "is not"],
  ["contains", "contains"],
  ["not_contains", "does not contain"],
  ["starts_with", "starts with"],
  ["ends_with", "ends with"],
  ["gt", ">"],
  ["gte", "≥"],
  ["lt", "<"],
  ["lte", "≤"],
  ["is_set", "is set"],
  ["is_not_set", "is not set"],
  ["in", "is one of"],
  ["not_in", "is none of"],
] as const;

export type Op = (typeof OPS)[number][0];

export interface Row {
  field: string;
  op: Op;
  value?: unknown;
}

export type Condition = Row | { all: Condition[] } | { any: Condition[] } | { expression: string };

export function takesValue(op: Op): boolean {
  return op !== "is_set" && op !== "is_not_set";
}

export function isRow(c: unknown): c is Row {
  return !!c && typeof c === "object" && "field" in c && "op" in c;
}

/** A condition as one group: its match (all/any) and items. A lone row is a group of one. */
export function asGroup(c: Condition | null | undefined): { match: "all" | "any"; items: Condition[] } {
  if (!c || typeof c !== "object") return { match: "all", items: [] };
  if ("all" in c && Array.isArray(c.all)) return { match: "all", items: c.all };
  if ("any" in c && Array.isArray(c.any)) return { match: "any", items: c.any };
  // A new, empty condition (a form's `{}`) is an empty group.
  if (!isRow(c) && !("expression" in c)) return { match: "all", items: [] };
  return { match: "all", items: [c] };
}

/** The group back as a condition (one item stands alone). */
export function fromGroup(match: "all" | "any", items: Condition[]): Condition {
  if (items.length === 1 && match === "all") return items[0];
  return match === "all" ? { all: items } : { any: items };
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "()";
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (typeof value === "object") {
    return `#{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${literal(v)}`).join(", ")}}`;
  }
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The Rhai text a condition means. */
export function toRhai(c: Condition): string {
  if ("expression" in c) return `(${c.expression})`;
  if (isRow(c)) {
    const field = c.field.split(".").join("?.");
    return takesValue(c.op) ? `op_${c.op}(${field}, ${literal(c.value)})` : `op_${c.op}(${field})`;
  }
  const all = "all" in c;
  const items = (all ? c.all : "any" in c ? c.any : []) ?? [];
  if (items.length === 0) return all ? "true" : "false";
  const inner = items.map(toRhai);
  return items.length === 1 ? inner[0] : `(${inner.join(all ? " && " : " || ")})`;
}

/** What a user typed as a value: a number stays a number, `in` takes a comma list. */
export function parseValue(op: Op, text: string): unknown {
  const one = (t: string): unknown => {
    const s = t.trim();
    if (s !== "" && !Number.isNaN(Number(s))) return Number(s);
    if (s === "true" || s === "false") return s === "true";
    return s;
  };
  if (op === "in" || op === "not_in") return text.split(",").map(one).filter((v) => v !== "");
  return one(text);
}

export function valueText(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  return value === undefined || value === null ? "" : String(value);
}

/**
 * The uiSchema for a kind's schema: conditions get the rows editor, template texts the
 * variable autocomplete (the server marks both with `x-switchboard-*`).
 */
export function conditionUiSchema(schema: Record<string, any>): Record<string, unknown> {
  const defs: Record<string, any> = schema.$defs ?? schema.definitions ?? {};
  const resolve = (s: any): any => {
    const ref = s?.$ref as string | undefined;
    return ref ? defs[ref.split("/").pop() ?? ""] : s;
  };
  const walk = (s: any, depth: number): Record<string, unknown> | null => {
    const r = resolve(s);
    if (!r || depth > 6) return null;
    if (r["x-switchboard-condition"]) return { "ui:field": "condition" };
    if (r["x-switchboard-template"]) return { "ui:widget": "template" };
    const out: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(r.properties ?? {})) {
      const ui = walk(prop, depth + 1);
      if (ui) out[name] = ui;
    }
    if (r.items) {
      const ui = walk(r.items, depth + 1);
      if (ui) out.items = ui;
    }
    return Object.keys(out).length ? out : null;
  };
  return walk(schema, 0) ?? {};
}

/** Autocomplete in a template: after an unclosed `{{` before the caret, the variables
 *  that start with (or contain) what was typed since, and where the completion goes. */
export function completions(text: string, caret: number, variables: string[]): { from: number; items: string[] } | null {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf("{{");
  if (open < 0 || before.indexOf("}}", open) >= 0) return null;
  const typed = before.slice(open + 2).trimStart();
  if (/[^\w.]/.test(typed)) return null;
  const q = typed.toLowerCase();
  const starts = variables.filter((v) => v.toLowerCase().startsWith(q));
  const contains = variables.filter((v) => !v.toLowerCase().startsWith(q) && v.toLowerCase().includes(q));
  return { from: caret - typed.length, items: [...starts, ...contains].slice(0, 12) };
}

/** The text with the completion inserted (and the braces closed), and the caret after it. */
export function complete(text: string, caret: number, from: number, variable: string): { text: string; caret: number } {
  const after = text.slice(caret);
  const closing = after.trimStart().startsWith("}}") ? "" : "}}";
  const inserted = `${variable}${closing}`;
  return { text: text.slice(0, from) + inserted + after, caret: from + inserted.length };
}
