// A test session's pure parts: the trigger inputs a workflow starts with by default, and the
// path its test runs highlight on the canvas.

import type { TestSession, TestTrigger } from "../api";
import type { Highlight } from "./graph";
import type { WorkflowFile } from "./workflow";

/** The default inputs for a trigger (the first keyword as the first message, ...). */
export function defaultTrigger(file: WorkflowFile): TestTrigger {
  const trigger = file.trigger ?? {};
  switch (trigger.type) {
    case "message_received": {
      const keywords = Array.isArray(trigger.keywords) ? (trigger.keywords as string[]) : [];
      return { type: "message_received", text: keywords[0] ?? "Hi" };
    }
    case "conversation_opened":
      return { type: "conversation_opened" };
    case "conversation_closed":
      return { type: "conversation_closed" };
    case "tag_updated":
      return { type: "tag_updated", removed: trigger.action === "removed" };
    case "field_updated":
      return { type: "field_updated", value: "" };
    case "shortcut":
      return { type: "shortcut", form: {} };
    case "webhook":
      return { type: "webhook", payload: {} };
    case "schedule":
      return { type: "schedule" };
    default:
      return { type: "manual", vars: {} };
  }
}

/** The highlight for a session: every test run's path, and where the active ones stand. */
export function highlightOf(session: TestSession): Highlight {
  const runs = session.runs.filter((r) => r.test && r.workflow_id === session.workflow_id);
  return {
    path: runs.flatMap((r) => r.path),
    current: runs.filter((r) => r.status === "running" || r.status === "waiting").flatMap((r) => (r.step ? [r.step] : [])),
  };
}
