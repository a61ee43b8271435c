// The editor's toolbar: back to the workflows, the name, status and revision, then undo,
// redo, find, auto-layout, export, the right-hand panels (test, runs, versions), save and
// publish.

import { useReactFlow } from "@xyflow/react";
import { useStore } from "zustand";
import type { KindInfo } from "../api";
import { layoutOf } from "./layout";
import { redo, undo, useEditor } from "./store";
import type { DraftSync } from "./useDraftSync";
import { setPositions, toYaml } from "./workflow";
import { download } from "./WorkflowList";

export function EditorToolbar({ id, kinds, draft }: { id: string; kinds: Map<string, KindInfo>; draft: DraftSync }) {
  const file = useEditor((s) => s.file);
  const status = useEditor((s) => s.status);
  const revision = useEditor((s) => s.revision);
  const panel = useEditor((s) => s.panel);
  const busy = useEditor((s) => s.busy);
  const { togglePanel, setFinding } = useEditor.getState();
  const canUndo = useStore(useEditor.temporal, (s) => s.pastStates.length > 0);
  const canRedo = useStore(useEditor.temporal, (s) => s.futureStates.length > 0);
  const flow = useReactFlow();
  const { dirty, errors } = draft;

  const relayout = async () => {
    const state = useEditor.getState();
    if (!state.file) return;
    const positions = await layoutOf(state.file, kinds, state.compiled);
    state.edit((current) => setPositions(current, positions));
    requestAnimationFrame(() => flow.fitView({ padding: 0.15, maxZoom: 1 }));
  };

  return (
    <header className="toolbar">
      <a href="#/" className="back" aria-label="Back to workflows">
        ← Workflows
      </a>
      <h1>{file?.name ?? id}</h1>
      {status && (
        <span className={`status ${status.status}`}>
          {status.status}
          {status.version ? ` · v${status.version}` : ""}
        </span>
      )}
      <span className="muted">{dirty ? "unsaved changes" : `revision ${revision}`}</span>
      <span className="spacer" />
      <button onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
      <button onClick={() => setFinding(true)} title="Find a step (Ctrl+K)">
        Find
      </button>
      <button onClick={relayout} title="Arrange the steps left to right">
        Auto-layout
      </button>
      <button onClick={() => file && download(`${file.id}.yaml`, toYaml(file))}>Export YAML</button>
      <button onClick={() => togglePanel("test")} aria-pressed={panel === "test"} title="Play this draft in a test chat">
        Test
      </button>
      <button onClick={() => togglePanel("runs")} aria-pressed={panel === "runs"} title="How contacts go through a published version">
        Runs
      </button>
      <button onClick={() => togglePanel("versions")} aria-pressed={panel === "versions"} title="Version history, diff and rollback">
        Versions
      </button>
      <button onClick={() => draft.save()} disabled={!dirty} title="Save the draft (Ctrl+S)">
        Save
      </button>
      <button
        className="primary"
        onClick={draft.publish}
        disabled={busy || errors.length > 0}
        title={errors.length ? `Fix ${errors.length} error(s) to publish` : "Publish a new version"}
      >
        Publish
      </button>
    </header>
  );
}
