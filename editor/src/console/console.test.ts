// The console's shortcut forms come from the shortcut's fields as a JSON Schema, and the
// forms' validator puts their errors on the fields; the queue says how long each contact has
// waited and for whom.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { QueuedContact, ShortcutField } from "../api";
import { parse } from "yaml";
import { validator } from "../shared/validator";
import { queuedFor, waitedFor } from "./queue";
import { shortcutSchema } from "./shortcuts";

describe("shortcut forms", () => {
  it("turn the escalation shortcut's fields into a schema with selects, a textarea and required fields", () => {
    const workflow = parse(readFileSync(join(import.meta.dirname, "../../../workflows/escalation-shortcut.yaml"), "utf8"));
    const fields = workflow.trigger.form as ShortcutField[];
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
  it("puts a shortcut form's errors on the fields, by their titles", () => {
    const { schema, uiSchema } = shortcutSchema([
      { id: "reason", label: "Reason", type: "select", options: ["Billing", "Other"], required: true },
      { id: "order", label: "Order number", required: true },
      { id: "amount", label: "Amount", type: "number" },
    ]);
    const empty = validator.validateFormData({ order: "", amount: undefined }, schema, undefined, undefined, uiSchema);
    expect(empty.errors.map((e) => [e.property, e.message])).toEqual([
      [".reason", "is required"],
      [".order", "must not be empty"],
    ]);
    expect(empty.errors.map((e) => e.stack)).toEqual(["'Reason' is required", "'Order number' must not be empty"]);
    expect(empty.errorSchema).toEqual({ order: { __errors: ["must not be empty"] }, reason: { __errors: ["is required"] } });

    const wrong = validator.validateFormData({ reason: "Angry", order: "A-1", amount: "ten" }, schema);
    expect(wrong.errors.map((e) => [e.property, e.message])).toEqual([
      [".reason", "must be one of the listed values"],
      [".amount", "must be a number"],
    ]);
    expect(validator.validateFormData({ reason: "Other", order: "A-1", amount: 10 }, schema).errors).toEqual([]);
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
