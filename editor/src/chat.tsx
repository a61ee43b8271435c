// Pieces the chat-like views share: a question's answers as the contact sees them (stars for
// a rating, buttons for choices) in the test chat and on the contact page, the head of
// the editor's right-hand panels, and what the Channels and Secrets pages share (sign-out,
// the error line, data loaded on mount).

import { useCallback, useEffect, useState } from "react";
import { ApiError, type TimelineLine } from "./api";

/** A question's quick replies: stars for a rating, buttons otherwise; `live` enables them. */
export function Replies(props: { line: TimelineLine; live: boolean; onPick: (payload: string, title: string) => void }) {
  const [hover, setHover] = useState(0);
  const options = props.line.quick_replies ?? [];
  if (options.length === 0) return null;
  if (props.line.expects !== "rating") {
    return (
      <div className="quick-replies">
        {options.map((q) => (
          <button key={q.payload} disabled={!props.live} onClick={() => props.onPick(q.payload, q.title)}>
            {q.title}
          </button>
        ))}
      </div>
    );
  }
  return (
    <div className="stars" role="group" aria-label="Rating" onMouseLeave={() => setHover(0)}>
      {options.map((o, i) => (
        <button
          key={o.payload}
          className={`star${i < hover ? " lit" : ""}`}
          disabled={!props.live}
          aria-label={`${i + 1} star${i ? "s" : ""}`}
          onMouseEnter={() => setHover(i + 1)}
          onClick={() => props.onPick(o.payload, o.title)}
        >
          ★
        </button>
      ))}
    </div>
  );
}

/** The title row of a right-hand panel, with its close button. */
export function PanelHead(props: { title: string; closeLabel: string; onClose: () => void }) {
  return (
    <div className="testchat-head">
      <h2>{props.title}</h2>
      <button className="quiet" onClick={props.onClose} aria-label={props.closeLabel}>
        ×
      </button>
    </div>
  );
}

/** The "Sign out" button at the end of a page's header. */
export function SignOut({ onSignOut }: { onSignOut: () => void }) {
  return (
    <button className="quiet" onClick={onSignOut}>
      Sign out
    </button>
  );
}

/** A page's error line, with "dismiss" when the page lets it go. */
export function Alert({ error, onDismiss }: { error: string | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}{" "}
      {onDismiss && (
        <button className="quiet" onClick={onDismiss}>
          dismiss
        </button>
      )}
    </p>
  );
}

/** What an API call's failure says, for an error line. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/**
 * Data a page loads on mount and again on `reload()`, with the error line the page shows
 * (its setter too, for the page's own actions).
 */
export function useLoaded<T>(load: () => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    // `load` is a module-level API call: loaded once per mount and on `reload()`.
    load().then(setData, (e) => setError(errorText(e)));
  }, []);
  useEffect(reload, [reload]);
  return { data, error, setError, reload };
}
