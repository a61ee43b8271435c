// The palette of step kinds beside the canvas: search, then pick one to add (Enter takes the
// first match). When an edge was dropped on empty canvas or "+" pressed on a port, the step
// picked is connected there ("pending").

import { useEffect, useRef, useState } from "react";
import type { KindInfo } from "../api";

export function Palette(props: {
  kinds: Map<string, KindInfo>;
  onPick: (kind: KindInfo) => void;
  pending: boolean;
  onCancel: () => void;
}) {
  const [query, setQuery] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (props.pending) input.current?.focus();
  }, [props.pending]);
  const q = query.trim().toLowerCase();
  const matches = [...props.kinds.values()].filter(
    (k) => !q || k.title.toLowerCase().includes(q) || k.name.includes(q) || k.description.toLowerCase().includes(q),
  );
  return (
    <aside className={`palette${props.pending ? " pending" : ""}`} aria-label="Steps">
      <input
        ref={input}
        placeholder={props.pending ? "Connect to a new step…" : "Add a step…"}
        aria-label="Search steps"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && matches[0]) props.onPick(matches[0]);
          if (e.key === "Escape") props.onCancel();
        }}
      />
      {props.pending && (
        <p className="muted small">
          Pick a step to connect to. <button className="quiet" onClick={props.onCancel}>cancel</button>
        </p>
      )}
      <ul>
        {matches.map((k) => (
          <li key={k.name}>
            <button className="kind" data-kind={k.name} onClick={() => props.onPick(k)} title={k.description}>
              <strong>{k.title}</strong>
              <span className="muted small">{k.description}</span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
