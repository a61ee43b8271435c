// The console's shortcut forms come from the shortcut's fields as a JSON Schema; the queue
// says how long each contact has waited and for whom.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { QueuedContact, ShortcutField } from "./api";
import { queuedFor, shortcutSchema, waitedFor } from "./Console";
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

describe("the queue", () => {
  it("says how long a contact has waited", () => {
    expect([0, 59, 60, 900, 3600, 3900, 86_400, 90_000, -5].map(waitedFor)).toEqual([
      "just now",
      "just now",
      "1 min",
      "15 min",
      "1 h",
      "1 h 5 min",
      "1 d",
      "1 d 1 h",
      "just now",
    ]);
  });
  it("says whom a contact waits for", () => {
    const row: QueuedContact = {
      run_id: 1,
      contact_id: 2,
      contact_name: "Ana",
      workflow_id: "faq-menu",
      step: "assign_agent",
      team: null,
      agent: null,
      online_only: true,
      waiting_since: "2026-11-23T10:00:00+00:00",
      waited_seconds: 60,
      due_at: null,
    };
    expect(queuedFor(row)).toBe("anyone, online");
    expect(queuedFor({ ...row, team: "supervisors", online_only: false })).toBe("team supervisors");
    expect(queuedFor({ ...row, agent: "sam@example.com" })).toBe("agent sam@example.com, online");
  });
});
