// Operations → Dead letters: events the engine could not process, newest first, each with
// its reason and the event as it was queued. Retry queues the event again (once the cause is
// fixed: the workflow published again, the conversation opened); Discard removes it.

import { useState } from "react";
import { api } from "../api";
import { Alert, SignOut, errorText, useLoaded } from "../shared/ui";
import { type DeadLetter, ago, summary } from "./deadletters";

export function DeadLetters({ onSignOut }: { onSignOut: () => void }) {
  const { data, error, setError, reload } = useLoaded(() => api.deadLetters());
  // Further pages, loaded on demand; a reload starts from the first page again.
  const [more, setMore] = useState<{ items: DeadLetter[]; next: string | null } | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const items = [...(data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.next : (data?.next ?? null);
  const refresh = () => {
    setMore(null);
    reload();
  };
  const loadMore = async () => {
    try {
      const page = await api.deadLetters(next);
      setMore({ items: [...(more?.items ?? []), ...page.items], next: page.next });
    } catch (e) {
      setError(errorText(e));
    }
  };
  const act = async (d: DeadLetter, what: "retry" | "discard") => {
    if (what === "discard" && !window.confirm(`Discard dead letter ${d.id}? The event is lost for good.`)) return;
    try {
      if (what === "retry") await api.retryDeadLetter(d.id);
      else await api.discardDeadLetter(d.id);
      setNotice(what === "retry" ? `Dead letter ${d.id} was queued again.` : `Dead letter ${d.id} was discarded.`);
      refresh();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const now = new Date();
  return (
    <div className="list">
      <header className="toolbar">
        <a href="#/">← Workflows</a>
        <h1>Dead letters</h1>
        <span className="spacer" />
        <button onClick={refresh}>Refresh</button>
        <SignOut onSignOut={onSignOut} />
      </header>
      <Alert error={error} onDismiss={() => setError(null)} />
      {notice && (
        <p className="muted small" role="status">
          {notice}
        </p>
      )}
      <p className="muted small">
        Events the engine could not process: refused (a conversation that was not open, a stopped workflow), data
        the database would not take, or a failure that repeated. Each waits here with its reason. Retry queues it again
        as it came once the cause is fixed; Discard drops it.
      </p>
      <table>
        <thead>
          <tr>
            <th>Event</th>
            <th>Reason</th>
            <th>Failed</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data && items.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No dead letter.
              </td>
            </tr>
          )}
          {items.map((d) => (
            <tr key={d.id} data-dead-letter={d.id}>
              <td>
                <strong>{summary(d.payload)}</strong>
                <div className="muted small">
                  #{d.id} from <code>{d.source}</code>
                  {d.event_id && (
                    <>
                      {" "}
                      id <code>{d.event_id}</code>
                    </>
                  )}
                </div>
                <button className="quiet small" onClick={() => setOpen(open === d.id ? null : d.id)}>
                  {open === d.id ? "Hide payload" : "Show payload"}
                </button>
                {open === d.id && (
                  <pre className="small" aria-label={`Payload of dead letter ${d.id}`}>
                    {typeof d.payload === "string" ? d.payload : JSON.stringify(d.payload, null, 2)}
                  </pre>
                )}
              </td>
              <td className="small">
                {d.reason}
                {d.attempts > 0 && <div className="muted">after {d.attempts} tries</div>}
              </td>
              <td className="small" title={new Date(d.failed_at).toLocaleString()}>
                {ago(d.failed_at, now)}
              </td>
              <td className="actions">
                <button className="quiet" onClick={() => act(d, "retry")}>
                  Retry
                </button>
                <button className="quiet danger" onClick={() => act(d, "discard")}>
                  Discard
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && <button onClick={loadMore}>Load more</button>}
    </div>
  );
}
