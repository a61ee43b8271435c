// Find a step (Ctrl+K): type part of an id, a kind or a text; arrows move, Enter goes there.

import { useEffect, useRef, useState } from "react";
import type { KindInfo } from "../api";
import type { WorkflowFile } from "./workflow";

export interface Found {
  id: string;
  title: string;
  text: string;
}

/** Steps matching `query` (id, kind, label or text), ids that start with it first. */
export function findSteps(file: WorkflowFile, kinds: Map<string, KindInfo>, query: string): Found[] {
  const q = query.trim().toLowerCase();
  const all = Object.entries(file.steps ?? {}).map(([id, step]) => ({
    id,
    title: kinds.get(step.kind)?.title ?? step.kind,
    text: [step.label, step.text, step.note, step.url].filter((v) => typeof v === "string").join(" · "),
  }));
  if (!q) return all;
  const score = (f: Found) => (f.id.startsWith(q) ? 0 : f.id.includes(q) ? 1 : 2);
  return all
    .filter((f) => `${f.id} ${f.title} ${f.text}`.toLowerCase().includes(q))
    .sort((a, b) => score(a) - score(b));
}

export function Finder(props: { file: WorkflowFile; kinds: Map<string, KindInfo>; onPick: (id: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, []);
  const found = findSteps(props.file, props.kinds, query);
  const pick = (i: number) => found[i] && props.onPick(found[i].id);
  return (
    <div className="finder-backdrop" onClick={props.onClose}>
      <div className="finder" role="dialog" aria-label="Find a step" onClick={(e) => e.stopPropagation()}>
        <input
          ref={input}
          aria-label="Find a step"
          placeholder="Find a step by id, kind or text…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") setActive((a) => Math.min(a + 1, found.length - 1));
            else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
            else if (e.key === "Enter") pick(active);
            else if (e.key === "Escape") props.onClose();
            else return;
            e.preventDefault();
          }}
        />
        <ul role="listbox">
          {found.map((f, i) => (
            <li key={f.id} role="option" aria-selected={i === active} className={i === active ? "active" : ""} onClick={() => pick(i)}>
              <code>{f.id}</code> <strong>{f.title}</strong> <span className="muted small">{f.text}</span>
            </li>
          ))}
          {found.length === 0 && <li className="muted">No step matches.</li>}
        </ul>
      </div>
    </div>
  );
}
