// The forms' validator works without `eval` and does what RJSF asks of it: errors by field,
// custom checks, and picking the option of a `oneOf` that matches the data. (The errors a
// console shortcut form shows on submit are tested with the console.)

import { createSchemaUtils, type RJSFSchema } from "@rjsf/utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InterpretingValidator, validator } from "./validator";

// A trigger as the server's schema (schemars, JSON Schema 2020-12) describes it: a `oneOf` of
// types, a `$ref` into `$defs`, formats the validator does not know (`uint32`).
const triggers: RJSFSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  oneOf: [
    {
      type: "object",
      properties: { type: { type: "string", const: "message_received" }, keywords: { type: "array", items: { type: "string" } } },
      required: ["type"],
    },
    {
      type: "object",
      properties: {
        type: { type: "string", const: "conversation_closed" },
        delay: { $ref: "#/$defs/Duration" },
        max: { type: ["integer", "null"], format: "uint32", minimum: 0 },
      },
      required: ["type"],
    },
  ],
  $defs: { Duration: { type: "string", pattern: "^[0-9]+(s|m|h|d)$", title: "Delay" } },
};

/** A form with one required text, as a console shortcut form has it. */
function requiredText(id: string, title: string): RJSFSchema {
  return { type: "object", properties: { [id]: { title, type: "string", minLength: 1 } }, required: [id] };
}

afterEach(() => vi.unstubAllGlobals());

describe("the forms' validator", () => {
  it("never compiles code (the editor's Content-Security-Policy has no 'unsafe-eval')", () => {
    const refuse = () => {
      throw new Error("code generation is not allowed");
    };
    vi.stubGlobal("Function", refuse);
    vi.stubGlobal("eval", refuse);
    const schema = requiredText("reason", "Reason");
    expect(validator.rawValidation(schema, {}).validationError).toBeUndefined();
    expect(validator.validateFormData({}, schema).errors.map((e) => e.stack)).toEqual(["'Reason' is required"]);
    expect(validator.isValid(triggers.oneOf![1] as RJSFSchema, { type: "conversation_closed", delay: "2h" }, triggers)).toBe(true);
  });

  it("lets a custom check add its errors", () => {
    type Order = { order?: string };
    const schema: RJSFSchema = { type: "object", properties: { order: { title: "Order", type: "string" } }, required: [] };
    const orders = new InterpretingValidator<Order>();
    const result = orders.validateFormData({ order: "x" }, schema, (data, errors) => {
      if (data?.order === "x") errors.order?.addError("is not an order");
      return errors;
    });
    expect(result.errorSchema.order).toEqual({ __errors: ["is not an order"] });
    expect(result.errors.map((e) => e.stack)).toEqual([".order is not an order"]);
  });

  it("says once that a value matches none of a oneOf's options", () => {
    const result = validator.validateFormData({ type: "cron" }, triggers);
    expect(result.errors.map((e) => [e.property, e.message])).toEqual([["", "must match one of the allowed forms"]]);
  });

  it("follows $refs into the root's $defs, also from copies RJSF makes", () => {
    const closed = triggers.oneOf![1] as RJSFSchema;
    expect(validator.isValid(closed, { type: "conversation_closed", delay: "2h", max: 3 }, triggers)).toBe(true);
    expect(validator.isValid(closed, { type: "conversation_closed", delay: "soon" }, triggers)).toBe(false);
    const copy = JSON.parse(JSON.stringify(closed)) as RJSFSchema;
    expect(validator.isValid(copy, { type: "conversation_closed", delay: "soon" }, triggers)).toBe(false);
    expect(validator.isValid(copy, { type: "conversation_closed", delay: "5m" }, triggers)).toBe(true);
    const late = validator.validateFormData({ type: "conversation_closed", delay: "soon" }, closed);
    expect(late.errors).toEqual([expect.objectContaining({ stack: expect.stringContaining("Unresolved $ref") })]);
  });

  it("picks the oneOf option that matches the data, as the trigger form needs", () => {
    const utils = createSchemaUtils(validator, triggers);
    const options = triggers.oneOf as RJSFSchema[];
    expect(utils.getClosestMatchingOption({ type: "conversation_closed" }, options, 0)).toBe(1);
    expect(utils.getClosestMatchingOption({ type: "message_received", keywords: ["hi"] }, options, 1)).toBe(0);
    expect(utils.getDefaultFormState({ type: "object", properties: { on: { type: "boolean", default: true } } }, {})).toEqual({
      on: true,
    });
  });

  it("reads fields nobody filled in as absent", () => {
    const schema: RJSFSchema = { type: "object", properties: { a: { type: "string" } } };
    expect(validator.isValid(schema, { a: undefined }, schema)).toBe(true);
    expect(validator.validateFormData(undefined, schema).errors.map((e) => e.message)).toEqual(["must be an object"]);
  });
});
