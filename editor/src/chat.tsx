// Pieces the chat-like views share: a question's answers as the contact sees them (stars for
// a rating, buttons for choices) in the test chat and on the contact page, and the head of
// the editor's right-hand panels.

import { useState } from "react";
import type { TimelineLine } from "./api";

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
