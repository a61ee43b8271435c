// The test chat's pure parts: the inputs it starts with for each trigger, and the canvas
// highlight it derives from a session (paths taken, steps runs stand at).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TestSession } from "../api";
import { paint, toFlow } from "./graph";
import { defaultTrigger, highlightOf } from "./testSession";
import { parseWorkflow, TRIGGER, type WorkflowFile } from "./workflow";

function reference(name: string): WorkflowFile {
  const parsed = parseWorkflow(readFileSync(join(import.meta.dirname, "../../../workflows", `${name}.yaml`), "utf8"));
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.file;
}

describe("the test chat starts", () => {
  it("with the trigger's first keyword as the contact's first message", () => {
    expect(defaultTrigger(reference("faq-menu"))).toEqual({ type: "message_received", text: "menu" });
  });
  it("with a close for conversation-closed flows and an empty form for shortcuts", () => {
    expect(defaultTrigger(reference("csat"))).toEqual({ type: "conversation_closed" });
    expect(defaultTrigger(reference("escalation-shortcut"))).toEqual({ type: "shortcut", form: {} });
  });
});

const session: TestSession = {
  session: 7,
  workflow_id: "csat",
  next_timer: null,
  timeline: [],
  runs: [
    {
      id: 1, workflow_id: "csat", version: -7, status: "waiting", step: "escalate", last_error: null, test: true,
      waiting: { kind: "agent", reason: "waiting in the assignment queue", due_at: null },
      path: [
        { step: "ask_rating", port: "answered" },
        { step: "thanks", port: "next" },
        { step: "check_score", port: "low" },
        { step: "reopen", port: "next" },
      ],
    },
    // A run of another (published) workflow the flow triggered is not this canvas's.
    { id: 2, workflow_id: "other", version: 3, status: "waiting", step: "x", last_error: null, test: false, waiting: null, path: [{ step: "x", port: "next" }] },
  ],
};

describe("the canvas highlight", () => {
  it("covers this workflow's test runs only", () => {
    expect(highlightOf(session)).toEqual({ path: session.runs[0].path, current: ["escalate"] });
  });

  it("marks the steps and edges taken and the step the run is at", () => {
    const { nodes, edges } = toFlow(reference("csat"), new Map(), null);
    paint(nodes, edges, highlightOf(session));
    const cls = (id: string) => nodes.find((n) => n.id === id)?.className ?? "";
    expect(cls("ask_rating")).toBe("on-path");
    expect(cls("escalate")).toBe("current");
    expect(cls("tag_followup")).toBe("");
    expect(cls(TRIGGER)).toBe("on-path");
    const taken = edges.filter((e) => e.className === "on-path").map((e) => e.id).sort();
    expect(taken).toEqual([`${TRIGGER}:start`, "ask_rating:answered", "check_score:low", "reopen:next", "thanks:next"].sort());
  });
});
