// The workspace's warnings (an assignment nobody could take) show on their step like the
// compiler's diagnostics.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Compiled, Diagnostic } from "../api";
import { problemsIn, toFlow } from "./graph";
import { parseWorkflow } from "./workflow";

function csat() {
  const parsed = parseWorkflow(readFileSync(join(import.meta.dirname, "../../../workflows/csat.yaml"), "utf8"));
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.file;
}

const nobody: Diagnostic = {
  code: "assignment",
  severity: "warning",
  message: "team `supervisors` has no agents: runs will wait in the queue until the timeout",
  pos: { line: 41, col: 11 },
  path: "/steps/escalate/team",
  step: "escalate",
};

describe("assignment warnings", () => {
  it("come after the compiler's diagnostics and land on their step", () => {
    const window: Diagnostic = { code: "W0500", severity: "warning", message: "24-hour window", path: "/steps/ask_rating", step: "ask_rating" };
    const compiled: Compiled = { diagnostics: [window], ports: {}, warnings: [nobody] };
    expect(problemsIn(compiled)).toEqual([window, nobody]);
    const { nodes } = toFlow(csat(), new Map(), compiled);
    const problems = (id: string) => (nodes.find((n) => n.id === id)?.data.problems ?? []) as Diagnostic[];
    expect(problems("escalate")).toEqual([nobody]);
    expect(problems("ask_rating")).toEqual([window]);
    expect(problems("thanks")).toEqual([]);
  });
  it("are optional: an older server sends none", () => {
    expect(problemsIn({ diagnostics: [], ports: {} })).toEqual([]);
    expect(problemsIn(null)).toEqual([]);
  });
});
