// The console's shortcut forms come from the shortcut's fields as a JSON Schema.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ShortcutField } from "./api";
import { shortcutSchema } from "./Console";
import { parseWorkflow } from "./workflow";

describe("shortcut forms", () => {
  it("turn the escalation shortcut's fields into a schema with selects, a textarea and required fields", () => {
    const parsed = parseWorkflow(readFileSync(join(import.meta.dirname, "../../workflows/escalation-shortcut.yaml"), "utf8"));
    if ("error" in parsed) throw new Error(parsed.error);
    const fields = parsed.file.trigger?.form as ShortcutField[];
    const { schema, uiSchema } = shortcutSchema(fields);
    expect(schema.required).toEqual(["reason", "priority"]);
    expect(schema.properties?.reason).toEqual({
      title: "Reason",
      type: "string",
      enum: ["Billing dispute", "Angry customer", "Technical problem", "Other"],
    });
    expect(uiSchema.details).toEqual({ "ui:widget": "textarea" });
  });
  it("make a required text non-empty and a number a number", () => {
    const { schema } = shortcutSchema([
      { id: "order", label: "Order", required: true },
      { id: "amount", label: "Amount", type: "number" },
    ]);
    expect(schema.properties?.order).toMatchObject({ type: "string", minLength: 1 });
    expect(schema.properties?.amount).toMatchObject({ type: "number" });
  });
});
