// The chat composer, one for every chat: a text box and Send (Enter sends; a blank text is not
// sent; the box empties as the text goes), with room for the chat's own buttons below
// (the test chat's fast-forward and close). Used by the editor's test chat, the console's
// reply box and the simulator's contact page. Each send is one action: the API gives it one
// idempotency key (`api.ts`), so a retried send is delivered once.

import { useState, type ReactNode } from "react";

export function Composer(props: {
  /** The text box's accessible name ("Reply", "Message", ...). */
  label: string;
  placeholder: string;
  onSend: (text: string) => void;
  /** The chat's own buttons, in a row under the text box. */
  actions?: ReactNode;
}) {
  const [text, setText] = useState("");
  return (
    <div className="composer">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!text.trim()) return;
          setText("");
          props.onSend(text);
        }}
      >
        <input aria-label={props.label} placeholder={props.placeholder} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="primary">
          Send
        </button>
      </form>
      {props.actions && <div className="composer-actions">{props.actions}</div>}
    </div>
  );
}
