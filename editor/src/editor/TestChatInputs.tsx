// The test chat's inputs before a session starts: the trigger's inputs for the workflow's
// trigger type (the first message, a shortcut's form, a webhook's payload, ...) and
// "Pretend it is…", the time the session's runs see.

import { useState } from "react";
import type { TestSession, TestTrigger } from "../api";
import { defaultTimeZone, pretendAt, showClock } from "./clock";
import type { WorkflowFile } from "./workflow";

interface FormField {
  id: string;
  label?: string;
  type?: string;
  options?: string[];
  required?: boolean;
}

/** The trigger inputs the tester fills in, for the workflow's trigger type. */
export function TriggerInputs(props: { file: WorkflowFile; value: TestTrigger; onChange: (t: TestTrigger) => void }) {
  const { value, onChange } = props;
  const trigger = props.file.trigger ?? {};
  switch (value.type) {
    case "message_received":
      return (
        <label>
          The contact writes
          <input aria-label="First message" value={value.text} onChange={(e) => onChange({ ...value, text: e.target.value })} />
        </label>
      );
    case "conversation_closed":
      return (
        <label>
          Closing category (optional)
          <input aria-label="Closing category" value={value.category ?? ""} onChange={(e) => onChange({ ...value, category: e.target.value || undefined })} />
        </label>
      );
    case "shortcut": {
      const fields = (Array.isArray(trigger.form) ? trigger.form : []) as FormField[];
      return (
        <>
          {fields.map((f) => (
            <label key={f.id}>
              {f.label ?? f.id}
              {f.required ? " *" : ""}
              {f.type === "select" ? (
                <select value={String(value.form?.[f.id] ?? "")} onChange={(e) => onChange({ ...value, form: { ...value.form, [f.id]: e.target.value } })}>
                  <option value="" />
                  {(f.options ?? []).map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : f.type === "textarea" ? (
                <textarea value={String(value.form?.[f.id] ?? "")} onChange={(e) => onChange({ ...value, form: { ...value.form, [f.id]: e.target.value } })} />
              ) : (
                <input
                  type={f.type === "number" ? "number" : "text"}
                  value={String(value.form?.[f.id] ?? "")}
                  onChange={(e) =>
                    onChange({ ...value, form: { ...value.form, [f.id]: f.type === "number" ? Number(e.target.value) : e.target.value } })
                  }
                />
              )}
            </label>
          ))}
        </>
      );
    }
    case "tag_updated":
      return (
        <label>
          Tag {value.removed ? "removed" : "added"}
          <input value={value.tag ?? String(trigger.tag ?? "")} onChange={(e) => onChange({ ...value, tag: e.target.value })} />
        </label>
      );
    case "field_updated":
      return (
        <label>
          New value of {String(trigger.field ?? "the field")}
          <input value={String(value.value ?? "")} onChange={(e) => onChange({ ...value, value: e.target.value })} />
        </label>
      );
    case "webhook":
    case "manual":
      return <JsonInput label={value.type === "webhook" ? "Webhook payload (JSON)" : "Variables (JSON)"} value={value} onChange={onChange} />;
    default:
      return null;
  }
}

function JsonInput(props: { label: string; value: TestTrigger; onChange: (t: TestTrigger) => void }) {
  const current = props.value.type === "webhook" ? props.value.payload : props.value.type === "manual" ? props.value.vars : {};
  const [text, setText] = useState(JSON.stringify(current, null, 2));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <label>
      {props.label}
      <textarea
        rows={4}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed = JSON.parse(e.target.value || "{}");
            setBad(null);
            props.onChange(props.value.type === "webhook" ? { type: "webhook", payload: parsed } : { type: "manual", vars: parsed });
          } catch (err) {
            setBad(String(err));
          }
        }}
      />
      {bad && <span className="error small">{bad}</span>}
    </label>
  );
}

/**
 * "Pretend it is…": the time the session's runs see (business hours, `system.now`, waits).
 * Before a session starts it is kept for the start; during one it moves the session's clock.
 */
export function PretendClock(props: {
  file: WorkflowFile;
  pending: string | null;
  clock: TestSession["clock"];
  onSet: (at: string | null) => void;
}) {
  const [local, setLocal] = useState("");
  const [zone, setZone] = useState(() => defaultTimeZone(props.file));
  const [bad, setBad] = useState<string | null>(null);
  const set = () => {
    const result = pretendAt(local, zone);
    if ("error" in result) {
      setBad(result.error);
      return;
    }
    setBad(null);
    props.onSet(result.at);
  };
  const pretending = props.clock ? props.clock.offset_ms !== 0 : props.pending !== null;
  const shown = props.clock ? props.clock.now : props.pending;
  return (
    <details className="testchat-clock" open={pretending || undefined}>
      <summary>Pretend it is…</summary>
      <div className="row">
        <input type="datetime-local" aria-label="Pretend date and time" value={local} onChange={(e) => setLocal(e.target.value)} />
        <input aria-label="Timezone" placeholder="Asia/Tokyo" value={zone} onChange={(e) => setZone(e.target.value)} />
        <button onClick={set}>Set</button>
        <button onClick={() => props.onSet(null)} disabled={!pretending}>
          Real time
        </button>
      </div>
      {bad && <span className="error small">{bad}</span>}
      <p className="muted small" data-testid="session-clock">
        {pretending && shown ? `${props.clock ? "The session's time" : "Starts at"}: ${showClock(shown, zone)}` : "The session runs on the real time."}
      </p>
    </details>
  );
}
