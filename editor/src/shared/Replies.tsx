// A question's answers as the contact sees them: stars for a rating, buttons for choices
// (the editor's test chat and the simulator's contact page).

import { useState } from "react";
import type { TimelineLine } from "../api";

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
