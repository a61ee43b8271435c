// Runs on the canvas: for a published version, per-step figures drawn on the nodes (and
// edge thickness by port), the recent runs, and one picked run's path and journal. Follows
// the workflow live over `/api/live` (at most one reload every 3 seconds: the figures are
// computed from the version's journal).

import { useCallback, useEffect, useState } from "react";
import { ApiError, api, type JournalEntry, type RunDetail, type RunRow, type VersionFigures, type VersionInfo } from "../api";
import { PanelHead } from "./PanelHead";
import type { Highlight } from "./graph";
import { subscribeBatched } from "../shared/live";

const ACTIVE = new Set(["running", "waiting"]);

/** One journal entry in a line: what the step decided or what happened to the run. */
export function describeEntry(e: JournalEntry): string {
  const data = e.data as Record<string, any>;
  switch (e.kind) {
    case "start":
      return `started by ${data.trigger?.type ?? "a trigger"}`;
    case "transition": {
      const input = data.input?.input as string | undefined;
      const effects = ((data.effects ?? []) as { effect: string }[]).map((x) => x.effect.replace(/_/g, " "));
      const next = data.next ?? {};
      const where =
        next.next === "port" ? `left by ${next.port}` : next.next === "wait" ? `waits (${next.wait?.wait ?? "input"})` : `failed: ${next.reason ?? ""}`;
      const got = input === "reply" ? `reply “${data.input.message?.text ?? ""}”, ` : input === "outcome" ? `${data.input.outcome?.outcome?.replace(/_/g, " ")}, ` : input === "timer_fired" ? "timer, " : "";
      return `${got}${effects.length ? `${effects.join(", ")}; ` : ""}${where}`;
    }
    case "end":
      return `${data.status}${data.reason ? `: ${data.reason}` : ""}`;
    default:
      return e.kind;
  }
}

export function RunsPanel(props: {
  id: string;
  liveVersion: number | null;
  onFigures: (f: VersionFigures | null) => void;
  onHighlight: (h: Highlight | null) => void;
  onClose: () => void;
}) {
  const { id, onFigures, onHighlight } = props;
  const [versions, setVersions] = useState<VersionInfo[]>([]);
  const [version, setVersion] = useState<number | null>(props.liveVersion);
  const [figures, setFigures] = useState<VersionFigures | null>(null);
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [picked, setPicked] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.versions(id).then((v) => {
      setVersions(v);
      setVersion((current) => current ?? v[0]?.version ?? null);
    }, (e) => setError(String(e)));
  }, [id]);

  const reload = useCallback(async () => {
    if (version === null) return;
    try {
      const [f, r] = await Promise.all([api.figures(id, version), api.runs(id, version)]);
      setFigures(f);
      setRuns(r);
      onFigures(f);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, [id, version, onFigures]);

  useEffect(() => {
    reload();
    return subscribeBatched({ workflow: id }, 3000, reload);
  }, [id, reload]);

  useEffect(
    () => () => {
      onFigures(null);
      onHighlight(null);
    },
    [onFigures, onHighlight],
  );

  const pick = async (run: RunRow) => {
    try {
      const detail = await api.run(run.id);
      setPicked(detail);
      onHighlight({ path: detail.path, current: ACTIVE.has(detail.run.status) && detail.run.step ? [detail.run.step] : [] });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const total = figures ? Object.values(figures.runs).reduce((a, b) => a + b, 0) : 0;
  return (
    <aside className="side runs-panel" aria-label="Runs">
      <PanelHead title="Runs" closeLabel="Close runs" onClose={props.onClose} />
      {versions.length === 0 ? (
        <p className="muted">Publish this workflow to see how contacts go through it.</p>
      ) : (
        <label>
          Version
          <select aria-label="Version" value={version ?? ""} onChange={(e) => { setVersion(Number(e.target.value)); setPicked(null); onHighlight(null); }}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} · {new Date(v.published_at).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
      )}
      {error && <p className="error small">{error}</p>}
      {figures && (
        <p className="small" data-testid="run-totals">
          {total} run{total === 1 ? "" : "s"}
          {Object.entries(figures.runs).map(([status, n]) => ` · ${n} ${status}`)}
        </p>
      )}
      {runs.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Run</th>
              <th>Contact</th>
              <th>Status</th>
              <th>Step</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className={picked?.run.id === r.id ? "picked" : ""} onClick={() => pick(r)} data-run={r.id}>
                <td>#{r.id}</td>
                <td>{r.contact_id}</td>
                <td>{r.status}</td>
                <td>{r.step}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {picked && (
        <>
          <h3>
            Run #{picked.run.id}: {picked.run.status}
            {picked.run.waiting ? ` — ${picked.run.waiting.reason}` : ""}
          </h3>
          {picked.run.last_error && <p className="error small">{picked.run.last_error}</p>}
          <ol className="journal" aria-label="Journal">
            {picked.journal.map((e) => (
              <li key={e.seq}>
                <span className="muted">{new Date(e.at).toLocaleTimeString()}</span> {e.step && <code>{e.step}</code>} {describeEntry(e)}
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
