// Finding a step (Ctrl+K): by id first, then by kind and text.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findSteps } from "./Finder";
import { parseWorkflow } from "./workflow";

const parsed = parseWorkflow(readFileSync(join(import.meta.dirname, "../../../workflows/csat.yaml"), "utf8"));
if ("error" in parsed) throw new Error(parsed.error);
const csat = parsed.file;

describe("find a step", () => {
  it("lists every step for an empty query", () => {
    expect(findSteps(csat, new Map(), "").length).toBe(7);
  });
  it("puts ids that start with the query first, then matches in kind or text", () => {
    expect(findSteps(csat, new Map(), "esc").map((f) => f.id)).toEqual(["escalate"]);
    expect(findSteps(csat, new Map(), "feedback").map((f) => f.id)).toEqual(["thanks"]);
    expect(findSteps(csat, new Map(), "nothing like this")).toEqual([]);
  });
});
