// The workflows list: status, live version, runs; create, open, duplicate, import and export.

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type WorkflowSummary } from "../api";
import { Alert, SignOut } from "../shared/ui";
import { blankWorkflow, parseWorkflow, toYaml } from "./workflow";

export function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** `base`, or `base-2`, `base-3`, ... whichever is free. */
function freeId(base: string, workflows: WorkflowSummary[] | null): string {
  const taken = new Set((workflows ?? []).map((w) => w.id));
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

function describe(e: unknown): string {
  if (e instanceof ApiError) {
    const diagnostics = (e.details as { diagnostics?: { message: string; pos?: { line: number; col: number } }[] })
      ?.diagnostics;
    if (diagnostics?.length) {
      return `${e.message}: ${diagnostics.map((d) => (d.pos ? `${d.pos.line}:${d.pos.col} ` : "") + d.message).join("; ")}`;
    }
    return e.message;
  }
  return String(e);
}

export function WorkflowList({ onSignOut }: { onSignOut: () => void }) {
  const [workflows, setWorkflows] = useState<WorkflowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const reload = useCallback(() => {
    api.workflows().then(setWorkflows, (e) => setError(describe(e)));
  }, []);
  useEffect(reload, [reload]);

  const create = async () => {
    const name = window.prompt("Name of the new workflow", "New workflow");
    if (!name) return;
    const base = name.toLowerCase().normalize("NFD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "workflow";
    const id = freeId(base, workflows);
    try {
      await api.create(toYaml(blankWorkflow(id, name)));
      window.location.hash = `#/w/${encodeURIComponent(id)}`;
    } catch (e) {
      setError(describe(e));
    }
  };

  const duplicate = async (w: WorkflowSummary) => {
    try {
      const detail = await api.workflow(w.id);
      const parsed = parseWorkflow(detail.draft);
      if ("error" in parsed) throw new Error(parsed.error);
      const id = freeId(`${w.id}-copy`, workflows);
      await api.create(toYaml({ ...parsed.file, id, name: `${parsed.file.name ?? w.id} (copy)` }));
      reload();
    } catch (e) {
      setError(describe(e));
    }
  };

  const importFile = async (file: File) => {
    try {
      const saved = await api.importYaml(await file.text());
      window.location.hash = `#/w/${encodeURIComponent(saved.draft.id)}`;
    } catch (e) {
      setError(`${file.name}: ${describe(e)}`);
    }
  };

  const exportFile = async (w: WorkflowSummary) => {
    try {
      download(`${w.id}.yaml`, await api.exportYaml(w.id));
    } catch (e) {
      setError(describe(e));
    }
  };

  return (
    <div className="list">
      <header className="toolbar">
        <h1>Workflows</h1>
        <span className="spacer" />
        <button onClick={create}>New workflow</button>
        <button onClick={() => fileInput.current?.click()}>Import YAML</button>
        <a href="#/channels">Channels</a>
        <a href="#/secrets">Secrets</a>
        <a href="#/dead-letters">Dead letters</a>
        <input
          ref={fileInput}
          type="file"
          accept=".yaml,.yml,.json"
          hidden
          aria-label="Import a workflow file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) importFile(f);
            e.target.value = "";
          }}
        />
        <SignOut onSignOut={onSignOut} />
      </header>
      <Alert error={error} onDismiss={() => setError(null)} />
      {workflows === null ? (
        <p>Loading…</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Trigger</th>
              <th>Status</th>
              <th>Version</th>
              <th>Runs (active / done)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {workflows.map((w) => {
              const active = (w.runs.running ?? 0) + (w.runs.waiting ?? 0);
              const done = w.runs.completed ?? 0;
              return (
                <tr key={w.id} data-workflow={w.id}>
                  <td>
                    <a href={`#/w/${encodeURIComponent(w.id)}`}>{w.name}</a>
                    <div className="muted">{w.id}</div>
                  </td>
                  <td>{w.trigger_type ?? "—"}</td>
                  <td>
                    <span className={`status ${w.status}`}>{w.status}</span>
                  </td>
                  <td>{w.current_version ? `v${w.current_version}` : "—"}</td>
                  <td>
                    {active} / {done}
                  </td>
                  <td className="actions">
                    <button className="quiet" onClick={() => duplicate(w)}>
                      Duplicate
                    </button>
                    <button className="quiet" onClick={() => exportFile(w)}>
                      Export
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {workflows?.length === 0 && <p>No workflows yet: create one, or import a YAML file.</p>}
    </div>
  );
}
