// The agent console at `/console`: the inbox (mine, unassigned, everything I may see), the
// contacts queued for an agent with how long they have waited, a
// conversation (transcript with system lines and notes, reply, close with category and
// summary, assign), the contact panel (fields, tags, the runs under way and why they wait),
// shortcut buttons whose forms are rendered from their schema, and online/offline. It
// follows the server live over `/api/live`.

import Form from "@rjsf/core";
import { validator } from "../shared/validator";
import { useCallback, useEffect, useState } from "react";
import {
  ApiError,
  api,
  type Agent,
  type ContactView,
  type ConversationRow,
  type Me,
  type QueuedContact,
  type Shortcut,
  type TimelineLine,
} from "../api";
import { SignOut } from "../shared/ui";
import { queuedFor, waitedFor } from "./queue";
import { shortcutSchema } from "./shortcuts";
import { subscribeBatched } from "../shared/live";

const TABS = [
  ["mine", "Mine"],
  ["unassigned", "Unassigned"],
  ["all", "All I can see"],
] as const;

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function Console({ onSignOut }: { onSignOut: () => void }) {
  const [me, setMe] = useState<Me | null>(null);
  const [tab, setTab] = useState<(typeof TABS)[number][0]>("mine");
  const [inbox, setInbox] = useState<ConversationRow[]>([]);
  const [queue, setQueue] = useState<QueuedContact[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [shortcuts, setShortcuts] = useState<Shortcut[]>([]);
  const [error, setError] = useState<string | null>(null);
  // Bumped by live updates: whatever is on screen reloads.
  const [tick, setTick] = useState(0);

  // Who I am, the agents to assign to and my shortcuts: on sign-in and after my own actions
  // (`people`), not on every live event.
  const [people, setPeople] = useState(0);
  useEffect(() => {
    api.me().then((m) => {
      setMe(m);
      // An admin acts as no agent: nothing is "mine".
      if (!m.agent_id) setTab((t) => (t === "mine" ? "all" : t));
    }, (e) => setError(message(e)));
    api.agents().then(setAgents, () => undefined);
    api.shortcuts().then(setShortcuts, () => undefined);
  }, [people]);

  useEffect(() => {
    if (!me) return;
    const assignee = tab === "all" ? undefined : tab === "mine" ? "me" : "unassigned";
    api.conversations(assignee).then(setInbox, (e) => setError(message(e)));
    api.queue().then(setQueue, () => undefined);
  }, [tab, tick, me]);

  // Waits grow without any change to announce: the queue is read again every minute.
  useEffect(() => {
    const timer = setInterval(() => api.queue().then(setQueue, () => undefined), 60_000);
    return () => clearInterval(timer);
  }, []);

  // Live: the inbox reloads on any change (coalesced); the open conversation only when the
  // change is about its contact (or events were missed).
  const [changed, setChanged] = useState<Set<number> | null>(null);
  useEffect(
    () =>
      subscribeBatched({}, 150, (events) => {
        const missed = events.some((e) => e.type === "lagged");
        const ids = events.map((e) => e.data.contact_id).filter((id): id is number => typeof id === "number");
        setChanged(missed ? null : new Set(ids));
        setTick((t) => t + 1);
      }),
    [],
  );

  const [notice, setNotice] = useState<string | null>(null);
  const gone = useCallback(() => {
    setSelected(null);
    setNotice("That conversation was handed to another agent or team.");
  }, []);
  const self = me?.agent ?? null;
  const toggleOnline = async () => {
    if (!self) return;
    try {
      await api.setOnline(self.id, !self.online);
      setPeople((n) => n + 1);
    } catch (e) {
      setError(message(e));
    }
  };

  if (me && me.role !== "agent" && me.role !== "admin") {
    return (
      <div className="signin">
        <p className="error">The console is for agents: this is an `{me.role}` token.</p>
        <button onClick={onSignOut}>Sign in with another token</button>
      </div>
    );
  }

  return (
    <div className="console">
      <header className="toolbar">
        <h1>Inbox</h1>
        {self && (
          <>
            <span>{self.name}</span>
            <span className="muted small">{self.teams.join(", ")}</span>
            <button onClick={toggleOnline} aria-pressed={self.online} className={self.online ? "online" : "offline"}>
              {self.online ? "Online" : "Offline"}
            </button>
          </>
        )}
        <span className="spacer" />
        <SignOut onSignOut={onSignOut} />
      </header>
      {error && (
        <div className="notice error" role="alert">
          <span>{error}</span>
          <button className="quiet" onClick={() => setError(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {notice && (
        <div className="notice info" role="status">
          <span>{notice}</span>
          <button className="quiet" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      <div className="console-body">
        <nav className="inbox" aria-label="Conversations">
          <div className="tabs" role="tablist">
            {TABS.filter(([key]) => key !== "mine" || me?.agent_id).map(([key, label]) => (
              <button key={key} role="tab" aria-selected={tab === key} className={tab === key ? "active" : ""} onClick={() => setTab(key)}>
                {label}
              </button>
            ))}
          </div>
          <ul>
            {inbox.map((c) => (
              <li key={c.id}>
                <button
                  className={`conversation${selected === c.contact_id ? " picked" : ""} priority-${c.priority}`}
                  onClick={() => {
                    setNotice(null);
                    setSelected(c.contact_id);
                  }}
                  data-contact={c.contact_id}
                >
                  <strong>{c.contact_name ?? `Contact ${c.contact_id}`}</strong>
                  {c.priority !== "normal" && <span className={`priority ${c.priority}`}>{c.priority}</span>}
                  <span className="muted small">{c.last_text ?? ""}</span>
                  <span className="muted small">{c.assignee_id ? `→ ${c.assignee_id}` : c.team ? `queue: ${c.team}` : "unassigned"}</span>
                </button>
              </li>
            ))}
            {inbox.length === 0 && <li className="muted small">No open conversations here.</li>}
          </ul>
          <section className="queued" aria-label="Queued">
            <h2>Queued</h2>
            <ul>
              {queue.map((q) => (
                <li key={q.run_id}>
                  <button
                    className={`conversation${selected === q.contact_id ? " picked" : ""}`}
                    onClick={() => {
                      setNotice(null);
                      setSelected(q.contact_id);
                    }}
                    data-queued={q.contact_id}
                    title={`Waiting since ${new Date(q.waiting_since).toLocaleString()} in ${q.workflow_id}${q.step ? ` (${q.step})` : ""}`}
                  >
                    <strong>{q.contact_name ?? `Contact ${q.contact_id}`}</strong>
                    <span className="small">waiting {waitedFor(q.waited_seconds)}</span>
                    <span className="muted small">for {queuedFor(q)}</span>
                  </button>
                </li>
              ))}
              {queue.length === 0 && <li className="muted small">Nobody is waiting for an agent.</li>}
            </ul>
          </section>
        </nav>
        {selected === null ? (
          <main className="conversation-view muted">Pick a conversation.</main>
        ) : (
          <ConversationView
            key={selected}
            contactId={selected}
            tick={tick}
            changed={changed}
            agents={agents}
            shortcuts={shortcuts}
            onChanged={() => {
              setTick((t) => t + 1);
              setPeople((n) => n + 1);
            }}
            onError={setError}
            onGone={gone}
          />
        )}
      </div>
    </div>
  );
}

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

function ConversationView(props: {
  contactId: number;
  tick: number;
  /** Contacts the latest live events were about (`null`: reload anyway). */
  changed: Set<number> | null;
  agents: Agent[];
  shortcuts: Shortcut[];
  onChanged: () => void;
  onError: (e: string) => void;
  /** The conversation is no longer this agent's to see (escalated, reassigned). */
  onGone: () => void;
}) {
  const { contactId, tick, onChanged, onError, onGone } = props;
  const [contact, setContact] = useState<ContactView | null>(null);
  const [lines, setLines] = useState<TimelineLine[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [reply, setReply] = useState("");
  const [closing, setClosing] = useState(false);
  const [category, setCategory] = useState("resolved");
  const [summary, setSummary] = useState("");
  const [pressing, setPressing] = useState<Shortcut | null>(null);

  const load = useCallback(async () => {
    try {
      const [c, t, open] = await Promise.all([api.contact(contactId), api.transcript(contactId), api.conversations()]);
      setContact(c);
      setLines(t);
      const mine = open.find((x) => x.contact_id === contactId);
      setStatus(mine ? `${mine.assignee_id ? `assigned to ${mine.assignee_id}` : mine.team ? `in the ${mine.team} queue` : "unassigned"}` : "closed");
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) onGone();
      else onError(message(e));
    }
  }, [contactId, onError, onGone]);

  useEffect(() => {
    load();
  }, [load]);
  const changed = props.changed;
  useEffect(() => {
    if (tick > 0 && (changed === null || changed.has(contactId))) load();
  }, [tick, changed, contactId, load]);

  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      onChanged();
      await load();
    } catch (e) {
      onError(message(e));
    }
  };

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
              {props.agents.map((a) => (
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
          <form
            className="close-form"
            aria-label="Close the conversation"
            onSubmit={(e) => {
              e.preventDefault();
              setClosing(false);
              act(() => api.close(contactId, category, summary));
            }}
          >
            <label>
              Category
              <input list="close-categories" value={category} onChange={(e) => setCategory(e.target.value)} />
              <datalist id="close-categories">
                <option value="resolved" />
                <option value="no_response" />
                <option value="spam" />
                <option value="other" />
              </datalist>
            </label>
            <label>
              Summary
              <textarea value={summary} onChange={(e) => setSummary(e.target.value)} />
            </label>
            <button type="submit" className="primary">
              Close conversation
            </button>
          </form>
        )}
        <div className="transcript" aria-live="polite">
          {lines.map((l, i) => (
            <Line key={i} line={l} />
          ))}
        </div>
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            if (!reply.trim()) return;
            const text = reply;
            setReply("");
            act(() => api.reply(contactId, text));
          }}
        >
          <input aria-label="Reply" placeholder="Write a reply…" value={reply} onChange={(e) => setReply(e.target.value)} />
          <button type="submit" className="primary">
            Send
          </button>
        </form>
      </main>
      <aside className="side contact-panel" aria-label="Contact">
        <h2>{name}</h2>
        <dl className="small">
          {contact?.email && (
            <>
              <dt>Email</dt>
              <dd>{contact.email}</dd>
            </>
          )}
          {contact?.phone && (
            <>
              <dt>Phone</dt>
              <dd>{contact.phone}</dd>
            </>
          )}
          <dt>Channel</dt>
          <dd>{contact?.channel ?? "—"}</dd>
          {Object.entries(contact?.fields ?? {}).map(([k, v]) => (
            <span key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
            </span>
          ))}
        </dl>
        <h3>Tags</h3>
        <p className="small" data-testid="tags">
          {contact?.tags.length ? contact.tags.join(", ") : "none"}
        </p>
        <h3>Workflows under way</h3>
        <ul className="runs small" aria-label="Runs under way">
          {(contact?.active_runs ?? []).map((r) => (
            <li key={r.id}>
              <strong>{r.workflow_id}</strong> at <code>{r.step}</code>
              {r.waiting ? ` — ${r.waiting.reason}` : ""}
            </li>
          ))}
          {(contact?.active_runs ?? []).length === 0 && <li className="muted">none</li>}
        </ul>
        <h3>Shortcuts</h3>
        <div className="shortcuts">
          {props.shortcuts.map((s) => (
            <button key={s.workflow_id} onClick={() => setPressing(s)} data-shortcut={s.workflow_id}>
              {s.label}
            </button>
          ))}
          {props.shortcuts.length === 0 && <p className="muted small">No shortcuts for you.</p>}
        </div>
        {pressing && (
          <div className="shortcut-form" role="dialog" aria-label={pressing.label}>
            <h3>{pressing.label}</h3>
            <ShortcutForm
              shortcut={pressing}
              onCancel={() => setPressing(null)}
              onSubmit={(form) => {
                const s = pressing;
                setPressing(null);
                act(() => api.press(s.workflow_id, contactId, form));
              }}
            />
          </div>
        )}
      </aside>
    </>
  );
}

function ShortcutForm(props: { shortcut: Shortcut; onSubmit: (form: Record<string, unknown>) => void; onCancel: () => void }) {
  const { schema, uiSchema } = shortcutSchema(props.shortcut.form);
  return (
    <Form schema={schema} uiSchema={uiSchema} validator={validator} onSubmit={(e) => props.onSubmit((e.formData ?? {}) as Record<string, unknown>)}>
      <div className="form-actions">
        <button type="submit" className="primary">
          Start
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}
