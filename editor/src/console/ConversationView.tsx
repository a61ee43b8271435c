// One conversation in the console: its head (where it stands, assign, open or close), the
// close form (category and summary), the transcript with system lines and notes, the reply
// composer; beside it, the contact panel.

import { useState } from "react";
import { api, type TimelineLine } from "../api";
import { Composer } from "../shared/Composer";
import { ContactPanel } from "./ContactPanel";
import { useConsole } from "./store";
import { useConversation } from "./useConversation";

interface CloseDraft {
  category: string;
  summary: string;
}

export function ConversationView({ contactId }: { contactId: number }) {
  const { contact, lines, status, act } = useConversation(contactId);
  const agents = useConsole((s) => s.agents);
  const [closing, setClosing] = useState(false);
  const [closeDraft, setCloseDraft] = useState<CloseDraft>({ category: "resolved", summary: "" });

  const name = contact?.name ?? contact?.first_name ?? `Contact ${contactId}`;
  return (
    <>
      <main className="conversation-view" aria-label="Conversation">
        <div className="conversation-head">
          <h2>{name}</h2>
          <span className="muted small" data-testid="conversation-status">
            {status}
          </span>
          <span className="spacer" />
          <label className="inline small">
            Assign
            <select
              aria-label="Assign to"
              value=""
              onChange={(e) => act(() => api.assign(contactId, e.target.value === "-" ? null : e.target.value))}
            >
              <option value="">…</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                  {a.online ? "" : " (offline)"}
                </option>
              ))}
              <option value="-">Unassign</option>
            </select>
          </label>
          {status === "closed" ? (
            <button onClick={() => act(() => api.open(contactId))}>Open</button>
          ) : (
            <button onClick={() => setClosing((c) => !c)}>Close…</button>
          )}
        </div>
        {closing && (
          <CloseForm
            value={closeDraft}
            onChange={setCloseDraft}
            onSubmit={() => {
              setClosing(false);
              act(() => api.close(contactId, closeDraft.category, closeDraft.summary));
            }}
          />
        )}
        <div className="transcript" aria-live="polite">
          {lines.map((l, i) => (
            <Line key={i} line={l} />
          ))}
        </div>
        <Composer label="Reply" placeholder="Write a reply…" onSend={(text) => act(() => api.reply(contactId, text))} />
      </main>
      <ContactPanel contactId={contactId} name={name} contact={contact} onAct={act} />
    </>
  );
}

/** Closing the conversation: a category (suggested ones, or any) and a summary. */
function CloseForm(props: { value: CloseDraft; onChange: (value: CloseDraft) => void; onSubmit: () => void }) {
  const { value, onChange } = props;
  return (
    <form
      className="close-form"
      aria-label="Close the conversation"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <label>
        Category
        <input list="close-categories" value={value.category} onChange={(e) => onChange({ ...value, category: e.target.value })} />
        <datalist id="close-categories">
          <option value="resolved" />
          <option value="no_response" />
          <option value="spam" />
          <option value="other" />
        </datalist>
      </label>
      <label>
        Summary
        <textarea value={value.summary} onChange={(e) => onChange({ ...value, summary: e.target.value })} />
      </label>
      <button type="submit" className="primary">
        Close conversation
      </button>
    </form>
  );
}

/** A transcript line: a system line, an internal note or notification, or a bubble (who sent
 * it, its buttons, whether it was delivered). */
function Line({ line }: { line: TimelineLine }) {
  if (line.direction === "system") return <div className="line system">{line.text}</div>;
  if (line.direction === "note") {
    return <div className="line note">{line.kind === "notify" ? "Notification" : "Internal note"}: {line.text}</div>;
  }
  const who = line.direction === "in" ? "Contact" : line.sender.startsWith("agent:") ? line.sender.slice(6) : "Workflow";
  return (
    <div className={`bubble ${line.direction === "in" ? "their" : "ours"}`} data-sender={line.sender}>
      <div className="who small">{who}</div>
      <div className="text">{line.text}</div>
      {(line.quick_replies ?? []).length > 0 && (
        <div className="muted small">buttons: {(line.quick_replies ?? []).map((q) => q.title).join(" · ")}</div>
      )}
      {line.status === "failed" && <div className="error small">Not delivered: {line.error}</div>}
      {line.status === "unknown" && (
        <div className="muted small">May not have been delivered (not sent again): {line.error}</div>
      )}
    </div>
  );
}
