// The console's left column: the tabs (mine, unassigned, everything I may see), their open
// conversations, and the contacts queued for an agent with how long they have waited.

import { queuedFor, waitedFor } from "./queue";
import { TABS, useConsole } from "./store";

export function Inbox() {
  const me = useConsole((s) => s.me);
  const tab = useConsole((s) => s.tab);
  const inbox = useConsole((s) => s.inbox);
  const queue = useConsole((s) => s.queue);
  const selected = useConsole((s) => s.selected);
  const { setTab, pick } = useConsole.getState();
  return (
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
              onClick={() => pick(c.contact_id)}
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
                onClick={() => pick(q.contact_id)}
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
  );
}
