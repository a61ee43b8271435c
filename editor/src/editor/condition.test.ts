// Conditions edited as rows: groups, values as typed, the Rhai the rows mean (the same
// text the server's translation gives), and which form fields get the rows editor.

import { describe, expect, it } from "vitest";
import { asGroup, complete, completions, conditionUiSchema, fromGroup, parseValue, toRhai } from "./condition";

describe("condition rows", () => {
  it("treat a lone row as a group of one and give it back alone", () => {
    const row = { field: "steps.ask_rating.answer", op: "lte" as const, value: 2 };
    expect(asGroup(row)).toEqual({ match: "all", items: [row] });
    expect(fromGroup("all", [row])).toEqual(row);
    expect(fromGroup("any", [row])).toEqual({ any: [row] });
    // A branch just added by the form starts with `{}`: an empty group.
    expect(asGroup({} as never)).toEqual({ match: "all", items: [] });
  });

  it("read typed values as numbers, booleans, text or lists", () => {
    expect(parseValue("lte", " 2 ")).toBe(2);
    expect(parseValue("eq", "gold")).toBe("gold");
    expect(parseValue("eq", "true")).toBe(true);
    expect(parseValue("in", "gold, silver, 3")).toEqual(["gold", "silver", 3]);
  });

  it("translate to the Rhai the server evaluates", () => {
    // As steps/src/condition.rs writes it for the CSAT workflow's `low` branch.
    expect(toRhai({ field: "steps.ask_rating.answer", op: "lte", value: 2 })).toBe("op_lte(steps?.ask_rating?.answer, 2)");
    expect(
      toRhai({ any: [{ field: "contact.tags", op: "contains", value: "vip" }, { field: "contact.email", op: "is_set" }, { expression: "true" }] }),
    ).toBe('(op_contains(contact?.tags, "vip") || op_is_set(contact?.email) || (true))');
    expect(toRhai({ all: [] })).toBe("true");
  });

  it("find every condition in a kind's schema, inside arrays too", () => {
    const schema = {
      type: "object",
      properties: {
        branches: { type: "array", items: { $ref: "#/$defs/Branch" } },
        text: { type: "string" },
      },
      $defs: {
        Branch: { type: "object", properties: { name: { type: "string" }, when: { $ref: "#/$defs/Condition" } } },
        Condition: { "x-switchboard-condition": true, oneOf: [] },
      },
    };
    expect(conditionUiSchema(schema)).toEqual({ branches: { items: { when: { "ui:field": "condition" } } } });
  });
});

describe("template autocomplete", () => {
  const vars = ["contact.first_name", "contact.email", "steps.ask.answer", "trigger.category"];
  it("offers variables after an unclosed {{, matching what was typed", () => {
    expect(completions("Hi {{con", 8, vars)).toEqual({ from: 5, items: ["contact.first_name", "contact.email"] });
    expect(completions("Hi {{ ans", 9, vars)).toEqual({ from: 6, items: ["steps.ask.answer"] });
    expect(completions("Hi {{contact.name}} ok", 22, vars)).toBeNull();
    expect(completions("no braces", 9, vars)).toBeNull();
  });
  it("inserts the variable and closes the braces", () => {
    expect(complete("Hi {{con", 8, 5, "contact.first_name")).toEqual({ text: "Hi {{contact.first_name}}", caret: 25 });
    expect(complete("Hi {{con}}!", 8, 5, "contact.email")).toEqual({ text: "Hi {{contact.email}}!", caret: 18 });
  });
});
