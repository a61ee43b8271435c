// The test chat beside the canvas: pick how the flow starts, then play the contact. It
// drives the real engine through `/api/test-sessions` (a sandboxed contact on the simulator
// channel, against the draft as it is on the canvas), follows it live over `/api/live`,
// and tells the canvas which steps the runs went through and where they stand now.

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type TestSession, type TestTrigger, type TimelineLine } from "../api";
import { Composer } from "../shared/Composer";
import { subscribeBatched } from "../shared/live";
import { Replies } from "../shared/Replies";
import type { Highlight } from "./graph";
import { PanelHead } from "./PanelHead";
import { PretendClock, TriggerInputs } from "./TestChatInputs";
import { defaultTrigger, highlightOf } from "./testSession";
import { toYaml, type WorkflowFile } from "./workflow";

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
        <Composer
          label="Message as the contact"
          placeholder="Write as the contact…"
          onSend={(text) => say({ text })}
          actions={
            <>
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
            </>
          }
        />
      )}
    </aside>
  );
}
