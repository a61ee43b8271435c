// Versions: the published history, one version shown read-only on the canvas, a visual
// diff between two versions (steps added and changed are marked on the canvas, removed
// ones listed, the YAML diff below), and rollback (publishing an earlier version again).

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type Compiled, type VersionDiff, type VersionInfo } from "../api";
import { PanelHead } from "./PanelHead";
import { parseWorkflow, type WorkflowFile } from "./workflow";

export interface Preview {
  version: number;
  file: WorkflowFile;
  /** The server's view of that version (ports configured per step). */
  compiled: Compiled | null;
  /** Against `base`: steps added and changed since it. */
  diff?: { base: number; added: string[]; changed: string[]; removed: string[] };
}

export function VersionsPanel(props: {
  id: string;
  liveVersion: number | null;
  onPreview: (p: Preview | null) => void;
  onRolledBack: (version: number) => void;
  onClose: () => void;
}) {
  const { id, onPreview } = props;
  const [versions, setVersions] = useState<VersionInfo[]>([]);
  const [shown, setShown] = useState<number | null>(null);
  const [base, setBase] = useState<number | null>(null);
  const [diff, setDiff] = useState<VersionDiff | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => api.versions(id).then(setVersions, (e) => setError(String(e))), [id]);
  useEffect(() => {
    refresh();
  }, [refresh]);
  useEffect(() => () => onPreview(null), [onPreview]);

  const latest = useRef(0);
  const show = async (version: number, against: number | null) => {
    setError(null);
    const request = ++latest.current;
    try {
      const v = await api.version(id, version);
      const parsed = parseWorkflow(v.source ?? "");
      if ("error" in parsed) throw new Error(parsed.error);
      const compiled = await api.compile(v.source ?? "").catch(() => null);
      if (request !== latest.current) return;
      setShown(version);
      setBase(against);
      if (against === null) {
        setDiff(null);
        onPreview({ version, file: parsed.file, compiled });
        return;
      }
      const d = await api.diff(id, against, version);
      if (request !== latest.current) return;
      setDiff(d);
      onPreview({ version, file: parsed.file, compiled, diff: { base: against, ...d.steps } });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const rollback = async (version: number) => {
    if (!window.confirm(`Publish version ${version} again as a new version? The draft becomes that version.`)) return;
    try {
      const r = await api.rollback(id, version);
      onPreview(null);
      setShown(null);
      await refresh();
      props.onRolledBack(r.version);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <aside className="side versions-panel" aria-label="Versions">
      <PanelHead title="Versions" closeLabel="Close versions" onClose={props.onClose} />
      {versions.length === 0 && <p className="muted">Nothing published yet.</p>}
      {error && <p className="error small">{error}</p>}
      <ul className="problems">
        {versions.map((v, i) => {
          const previous = versions[i + 1]?.version ?? null;
          return (
            <li key={v.version} data-version={v.version} className={shown === v.version ? "picked" : ""}>
              <strong>v{v.version}</strong>
              {v.version === props.liveVersion && <span className="status published"> live</span>}{" "}
              <span className="muted small">{new Date(v.published_at).toLocaleString()}</span>
              <div>
                <button className="quiet" onClick={() => show(v.version, null)}>
                  View
                </button>
                {previous !== null && (
                  <button className="quiet" onClick={() => show(v.version, previous)}>
                    Compare with v{previous}
                  </button>
                )}
                {v.version !== props.liveVersion && (
                  <button className="quiet" onClick={() => rollback(v.version)}>
                    Roll back to this
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {shown !== null && (
        <p className="small">
          The canvas shows v{shown} (read-only){base !== null ? `, marked against v${base}` : ""}.{" "}
          <button
            className="quiet"
            onClick={() => {
              latest.current++;
              setShown(null);
              setDiff(null);
              onPreview(null);
            }}
          >
            Back to the draft
          </button>
        </p>
      )}
      {diff && (
        <>
          <h3>Changes from v{base} to v{shown}</h3>
          <p className="small" data-testid="diff-summary">
            {diff.steps.added.length} added · {diff.steps.changed.length} changed · {diff.steps.removed.length} removed
            {diff.steps.removed.length ? ` (${diff.steps.removed.join(", ")})` : ""}
          </p>
          <pre className="diff">
            {diff.unified.split("\n").map((line, i) => (
              <div key={i} className={line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : ""}>
                {line}
              </div>
            ))}
          </pre>
        </>
      )}
    </aside>
  );
}
