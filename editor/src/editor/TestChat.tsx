// The test chat beside the canvas: pick how the flow starts, then play the contact. It
// drives the real engine through `/api/test-sessions` (a sandboxed contact on the simulator
// channel, against the draft as it is on the canvas), follows it live over `/api/live`,
// and tells the canvas which steps the runs went through and where they stand now.

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type TestSession, type TestTrigger, type TimelineLine } from "../api";
import { Replies } from "../shared/Replies";
import { PanelHead } from "./PanelHead";
import type { Highlight } from "./graph";
import { defaultTimeZone, pretendAt, showClock } from "./clock";
import { subscribeBatched } from "../shared/live";
import { toYaml, type WorkflowFile } from "./workflow";


interface FormField {
  id: string;
  label?: string;
  type?: string;
  options?: string[];
  required?: boolean;
}

/** The trigger inputs the tester fills in, for the workflow's trigger type. */
function TriggerInputs(props: { file: WorkflowFile; value: TestTrigger; onChange: (t: TestTrigger) => void }) {
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
                <select value={String(value.form[f.id] ?? "")} onChange={(e) => onChange({ ...value, form: { ...value.form, [f.id]: e.target.value } })}>
                  <option value="" />
                  {(f.options ?? []).map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : f.type === "textarea" ? (
                <textarea value={String(value.form[f.id] ?? "")} onChange={(e) => onChange({ ...value, form: { ...value.form, [f.id]: e.target.value } })} />
              ) : (
                <input
                  type={f.type === "number" ? "number" : "text"}
                  value={String(value.form[f.id] ?? "")}
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
function PretendClock(props: {
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

function Bubble(props: { line: TimelineLine; live: boolean; onPick: (payload: string, title: string) => void }) {
  const { line } = props;
  if (line.direction === "system" || line.direction === "note") {
    const cls = line.kind === "note" ? "note" : line.status === "failed" ? "system failed" : "system";
    return (
      <div className={`line ${cls}`} data-kind={line.kind ?? line.direction}>
        {line.kind === "note" ? "Internal note: " : ""}
        {line.text}
      </div>
    );
  }
  return (
    <div className={`bubble ${line.direction}`} data-direction={line.direction}>
      <div className="text">{line.text}</div>
      {line.status === "failed" && <div className="error small">Not delivered: {line.error}</div>}
      {line.direction === "out" && <Replies line={line} live={props.live} onPick={props.onPick} />}
    </div>
  );
}

export function TestChat(props: { file: WorkflowFile; onHighlight: (h: Highlight | null) => void; onClose: () => void }) {
  const { file, onHighlight } = props;
  const [trigger, setTrigger] = useState<TestTrigger>(() => defaultTrigger(file));
  const [session, setSession] = useState<TestSession | null>(null);
  const [sessionId, setSessionId] = useState<number | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState("");
  // The time the next session starts at ("Pretend it is…"); null: the real time.
  const [pretend, setPretend] = useState<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  // The trigger type follows the workflow's.
  const triggerType = String(file.trigger?.type ?? "");
  const fileRef = useRef(file);
  fileRef.current = file;
  useEffect(() => setTrigger(defaultTrigger(fileRef.current)), [triggerType]);

  const refresh = useCallback(
    async (id: number) => {
      try {
        const s = await api.testSession(id);
        setSession(s);
        onHighlight(highlightOf(s));
      } catch (e) {
        setError(e instanceof ApiError ? e.message : String(e));
      }
    },
    [onHighlight],
  );

  // Follow the session live; coalesce bursts of events into one reload.
  useEffect(() => {
    if (sessionId === null) return;
    refresh(sessionId);
    return subscribeBatched({ contact_id: sessionId }, 50, () => refresh(sessionId));
  }, [sessionId, refresh]);

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "end" });
  }, [session?.timeline.length, notes.length]);

  // Clear the canvas highlight when the chat closes.
  useEffect(() => () => onHighlight(null), [onHighlight]);
  // Closing the chat ends its session: runs cancelled, an agent it assigned freed.
  const current = useRef<number | null>(null);
  current.current = sessionId;
  useEffect(
    () => () => {
      if (current.current !== null) api.endTest(current.current).catch(() => undefined);
    },
    [],
  );

  const act = async (what: () => Promise<{ notes?: string[] } | unknown>) => {
    setError(null);
    try {
      const reply = (await what()) as { notes?: string[] };
      if (reply?.notes?.length) setNotes((n) => [...n, ...reply.notes!]);
      if (sessionId !== null) await refresh(sessionId);
    } catch (e) {
      if (e instanceof ApiError && e.code === "invalid_workflow") setError("Fix the errors on the canvas to test this workflow.");
      else setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const start = async () => {
    setError(null);
    const previous = sessionId;
    setSessionId(null);
    if (previous !== null) await api.endTest(previous).catch(() => undefined);
    setSession(null);
    setNotes([]);
    onHighlight(null);
    try {
      const started = await api.startTest(toYaml(file), trigger, pretend ?? undefined);
      setNotes(started.notes);
      setSessionId(started.session);
    } catch (e) {
      if (e instanceof ApiError && e.code === "invalid_workflow") setError("Fix the errors on the canvas to test this workflow.");
      else setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const setClock = (at: string | null) => {
    setPretend(at);
    if (sessionId !== null) act(() => api.testClock(sessionId, at));
  };

  const say = (message: { text?: string; payload?: string }) => {
    if (sessionId === null) return;
    act(() => api.testSay(sessionId, message));
  };

  const active = session?.runs.filter((r) => r.test && (r.status === "running" || r.status === "waiting")) ?? [];
  const waitingReply = active.some((r) => r.waiting?.kind === "reply");
  const lastOut = session ? [...session.timeline].reverse().find((l) => l.direction === "out") : undefined;
  const ended = session ? session.runs.filter((r) => r.test && !active.includes(r)) : [];

  return (
    <aside className="side testchat" aria-label="Test chat">
      <PanelHead title="Test chat" closeLabel="Close the test chat" onClose={props.onClose} />
      <p className="muted small">
        Plays the draft on the canvas with a sandboxed test contact; nothing is published and no other workflow runs for it.
      </p>
      <div className="testchat-start">
        <TriggerInputs file={file} value={trigger} onChange={setTrigger} />
        <PretendClock file={file} pending={pretend} clock={sessionId !== null ? session?.clock : undefined} onSet={setClock} />
        <button className="primary" onClick={start}>
          {sessionId === null ? "Start test" : "Restart"}
        </button>
      </div>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      <div className="chat" aria-live="polite">
        {session?.timeline.map((line, i) => (
          <Bubble key={i} line={line} live={waitingReply && line === lastOut} onPick={(payload, title) => say({ payload, text: title })} />
        ))}
        {notes.map((n, i) => (
          <div className="line system" key={`note-${i}`}>
            {n}
          </div>
        ))}
        {active.map((r) => (
          <div className="line status" key={r.id} data-run-status={r.status}>
            {r.waiting ? `At \`${r.step}\`: ${r.waiting.reason}` : `Running \`${r.step}\``}
          </div>
        ))}
        {ended.length > 0 && active.length === 0 && (
          <div className="line status" data-run-status={ended[ended.length - 1].status}>
            {ended[ended.length - 1].status === "failed"
              ? `The run failed at \`${ended[ended.length - 1].step}\`: ${ended[ended.length - 1].last_error}`
              : `The run ${ended[ended.length - 1].status}.`}
          </div>
        )}
        <div ref={bottom} />
      </div>
      {sessionId !== null && (
        <div className="composer">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!text.trim()) return;
              say({ text });
              setText("");
            }}
          >
            <input aria-label="Message as the contact" placeholder="Write as the contact…" value={text} onChange={(e) => setText(e.target.value)} />
            <button type="submit">Send</button>
          </form>
          <div className="composer-actions">
            <button
              onClick={() => act(() => api.testFastForward(sessionId))}
              disabled={!session?.next_timer}
              title={
                session?.next_timer
                  ? `The next wait ends at ${new Date(session.next_timer).toLocaleString()} (the session's time)`
                  : "Nothing is waiting on a timer"
              }
            >
              Fast-forward
            </button>
            <button onClick={() => act(() => api.testClose(sessionId))}>Close conversation</button>
          </div>
        </div>
      )}
    </aside>
  );
}
