// A console shortcut's form: its fields (from the shortcut workflow's trigger) as the JSON
// Schema and uiSchema react-jsonschema-form renders.

import type { RJSFSchema, UiSchema } from "@rjsf/utils";
import type { ShortcutField } from "../api";

/** A shortcut's form fields as a JSON Schema (and the uiSchema for long texts). */
export function shortcutSchema(fields: ShortcutField[]): { schema: RJSFSchema; uiSchema: UiSchema } {
  const properties: Record<string, RJSFSchema> = {};
  const uiSchema: UiSchema = { "ui:submitButtonOptions": { submitText: "Start" } };
  for (const f of fields) {
    const base: RJSFSchema = { title: f.label || f.id };
    if (f.type === "number") properties[f.id] = { ...base, type: "number" };
    else if (f.type === "select") properties[f.id] = { ...base, type: "string", enum: f.options ?? [] };
    else properties[f.id] = { ...base, type: "string", ...(f.required ? { minLength: 1 } : {}) };
    if (f.type === "textarea") uiSchema[f.id] = { "ui:widget": "textarea" };
  }
  return { schema: { type: "object", properties, required: fields.filter((f) => f.required).map((f) => f.id) }, uiSchema };
}
