// The side panel's forms come from each kind's JSON Schema: ports follow the config, new
// steps get the defaults their schema states, and opening a form changes nothing in the file.

import { describe, expect, it } from "vitest";
import type { KindInfo } from "../api";
import { defaultConfig, formSchema, normalize, portsOf, staticPorts } from "./catalog";
import { tidy } from "./SidePanel";

const ask: KindInfo = {
  name: "ask",
  title: "Ask a question",
  description: "",
  category: "messages",
  ports: [
    { name: "<option>", description: "one per option" },
    { name: "answered", description: "" },
    { name: "failure", description: "" },
  ],
  outputs: [{ name: "answer", description: "" }],
  schema: {
    type: "object",
    required: ["kind", "type", "text"],
    properties: {
      kind: { const: "ask" },
      label: { type: "string" },
      next: {},
      type: { type: "string", default: "text" },
      text: { type: "string" },
      buttons: { type: "boolean", default: true },
      retries: { type: "integer" },
    },
  },
};

describe("schema-driven forms", () => {
  it("hide what the canvas edits", () => {
    const schema = formSchema(ask);
    expect(Object.keys(schema.properties ?? {})).toEqual(["type", "text", "buttons", "retries"]);
    expect(schema.required).toEqual(["type", "text"]);
  });

  it("turn constants into selects and nullable fields into optional ones", () => {
    const strategy = { oneOf: [{ type: "string", const: "round_robin" }, { type: "string", const: "fewest_open" }] };
    expect(normalize({ properties: { strategy } })).toEqual({
      properties: { strategy: { type: "string", enum: ["round_robin", "fewest_open"] } },
    });
    const team = { anyOf: [{ $ref: "#/$defs/Template" }, { type: "null" }], description: "team" };
    expect(normalize(team)).toEqual({ $ref: "#/$defs/Template", description: "team" });
    expect(normalize({ type: ["string", "null"] })).toEqual({ type: "string" });
  });

  it("give a new step its required settings", () => {
    expect(defaultConfig(ask)).toEqual({ type: "text", text: "" });
  });

  it("draw the server's ports, else the catalogue's, plus ports edges still use", () => {
    expect(staticPorts(ask).map((p) => p.name)).toEqual(["answered", "failure"]);
    const step = { kind: "ask", next: { sales: "a", gone: "b" } };
    const computed = [{ name: "sales", label: "Sales", required: true }];
    expect(portsOf(step, ask, computed).map((p) => p.name)).toEqual(["sales", "gone"]);
    expect(portsOf({ kind: "ask" }, ask, null).map((p) => p.name)).toEqual(["answered", "failure"]);
  });

  it("leave the file alone when the form only fills in defaults", () => {
    const before = { type: "rating", text: "How did we do?" };
    const filled = { ...before, buttons: true, retries: undefined, options: [] };
    expect(tidy(filled, before, formSchema(ask))).toEqual(before);
    expect(tidy({ ...before, buttons: false }, before, formSchema(ask))).toEqual({ ...before, buttons: false });
    expect(tidy({ type: "rating", text: "" }, before, formSchema(ask))).toEqual({ type: "rating", text: "" });
  });

  it("drop an optional object the form filled with defaults but nobody wrote (a template's language)", () => {
    const schema = {
      properties: { text: {}, template: { $ref: "#/$defs/TemplateMessage" } },
      $defs: { TemplateMessage: { required: ["name"] } },
    };
    const before = { text: "Hi" };
    expect(tidy({ text: "Hi", template: { language: "en" } }, before, schema)).toEqual(before);
    const written = { text: "Hi", template: { name: "hello", language: "en" } };
    expect(tidy(written, before, schema)).toEqual(written);
  });
});
