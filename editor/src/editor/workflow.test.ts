// The file model: every reference workflow survives a parse → YAML → parse round trip with
// its meaning intact, and each edit changes exactly what it says.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  addStep,
  configure,
  connect,
  connections,
  copySteps,
  disconnect,
  parseWorkflow,
  pasteSteps,
  removeStep,
  renameProblem,
  renameStep,
  setPosition,
  toYaml,
  TRIGGER,
  type WorkflowFile,
} from "./workflow";

const dir = join(import.meta.dirname, "../../../workflows");
const references = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

function load(name: string): WorkflowFile {
  const parsed = parseWorkflow(readFileSync(join(dir, name), "utf8"));
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.file;
}

describe("round trip", () => {
  it("finds the reference workflows", () => {
    expect(references.length).toBeGreaterThanOrEqual(5);
  });
  for (const name of references) {
    it(`keeps the meaning of ${name}`, () => {
      const file = load(name);
      const again = parseWorkflow(toYaml(file));
      expect(again).toEqual({ file });
    });
  }
  it("reports a syntax error with its line and column", () => {
    const parsed = parseWorkflow("id: x\nsteps: [\n");
    expect("error" in parsed && parsed.error).toMatch(/^line \d+, column \d+/);
    expect(parseWorkflow("- a list")).toHaveProperty("error");
    expect(parseWorkflow("id: a\nid: b\n")).toHaveProperty("error");
  });
});

describe("edits", () => {
  const csat = () => load("csat.yaml");

  it("connects and disconnects ports, and the trigger to the first step", () => {
    let f = connect(csat(), "thanks", "failure", "unhandled");
    expect(connections(f)).toContainEqual({ source: "thanks", port: "failure", target: "unhandled" });
    f = disconnect(f, "thanks", "failure");
    expect(connections(f)).not.toContainEqual(expect.objectContaining({ source: "thanks", port: "failure" }));
    f = connect(f, TRIGGER, "start", "thanks");
    expect(f.start).toBe("thanks");
    expect(connect(f, "thanks", "next", "nowhere")).toBe(f);
  });

  it("adds steps with fresh ids; the first step of an empty flow becomes start", () => {
    const empty: WorkflowFile = { schema: 1, id: "x", trigger: { type: "message_received" }, steps: {} };
    const one = addStep(empty, "send_message", { text: "hi" }, { x: 10.4, y: 20.6 });
    expect(one.id).toBe("send_message");
    expect(one.file.start).toBe("send_message");
    expect(one.file.layout?.steps?.send_message).toEqual({ x: 10, y: 21 });
    const two = addStep(one.file, "send_message", { text: "again" });
    expect(two.id).toBe("send_message_2");
    expect(two.file.start).toBe("send_message");
  });

  it("removes a step with every edge into it", () => {
    const f = removeStep(csat(), "reopen");
    expect(f.steps?.reopen).toBeUndefined();
    expect(connections(f).some((c) => c.target === "reopen")).toBe(false);
    expect(removeStep(csat(), "ask_rating").start).toBeUndefined();
  });

  it("renames a step and every reference: edges, start, texts and conditions", () => {
    const f = renameStep(csat(), "ask_rating", "rating");
    expect(Object.keys(f.steps ?? {})[0]).toBe("rating");
    expect(f.start).toBe("rating");
    const yaml = toYaml(f);
    expect(yaml).not.toMatch(/ask_rating/);
    expect(yaml).toMatch(/steps\.rating\.answer/);
    expect(renameProblem(f, "rating", "thanks")).toMatch(/exists/);
    expect(renameProblem(f, "rating", "Bad Id")).toMatch(/lowercase/);
    expect(renameStep(f, "rating", "thanks")).toBe(f);
  });

  it("configures a step without touching its kind, label or edges", () => {
    const f = configure(csat(), "thanks", { text: "Merci !", kind: "wait", next: { next: "x" } });
    expect(f.steps?.thanks).toEqual({ kind: "send_message", text: "Merci !", next: { next: "check_score" } });
  });

  it("keeps positions in the file's layout", () => {
    const f = setPosition(setPosition(csat(), TRIGGER, { x: 1, y: 2 }), "thanks", { x: 3, y: 4 });
    expect(f.layout).toEqual({ trigger: { x: 1, y: 2 }, steps: { thanks: { x: 3, y: 4 } } });
    expect(parseWorkflow(toYaml(f))).toEqual({ file: f });
  });
});

describe("copy and paste", () => {
  it("pastes into the same workflow under fresh ids, keeping edges and references among the copies", () => {
    const csat = load("csat.yaml");
    const clip = copySteps(csat, ["ask_rating", "thanks", "check_score"]);
    const { file, ids } = pasteSteps(csat, clip, { x: 40, y: 40 });
    expect(ids).toEqual(["ask_rating_2", "thanks_2", "check_score_2"]);
    expect(file.steps?.ask_rating_2.next).toEqual({ answered: "thanks_2" });
    expect(file.steps?.thanks_2.next).toEqual({ next: "check_score_2" });
    // `low` led to `reopen`, which was not copied: that edge is dropped.
    expect(file.steps?.check_score_2.next).toBeUndefined();
    expect(JSON.stringify(file.steps?.check_score_2)).toContain("steps.ask_rating_2.answer");
    // The originals are untouched, and the file still round-trips.
    expect(file.steps?.check_score.next).toEqual({ low: "reopen" });
    expect(parseWorkflow(toYaml(file))).toEqual({ file });
  });

  it("pastes into another workflow under the same ids when they are free", () => {
    const clip = copySteps(load("csat.yaml"), ["thanks"]);
    const { file, ids } = pasteSteps({ schema: 1, id: "other", steps: {} }, clip, { x: 0, y: 0 });
    expect(ids).toEqual(["thanks"]);
    expect(file.start).toBe("thanks");
    expect(file.steps?.thanks.text).toBe("Thank you for your feedback!");
  });
});
