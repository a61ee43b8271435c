// One workflow: the canvas (React Flow), the palette of step kinds, the side panel, and the
// toolbar (save, publish, undo, redo, layout, export). The file in the store is the truth;
// the canvas is drawn from it, and every gesture becomes an edit of it.

import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useStore } from "zustand";
import { ApiError, api, type KindInfo } from "../api";
import { defaultConfig } from "./catalog";
import { isPlaced, NODE_WIDTH, nodeHeight, overlay, paint, toFlow, type Highlight } from "./graph";
import type { VersionFigures } from "../api";
import { autoLayout } from "./layout";
import { Finder } from "./Finder";
import { nodeTypes, PortActions } from "./nodes";
import { SidePanel } from "./SidePanel";
import { RunsPanel } from "./RunsPanel";
import { TestChat } from "./TestChat";
import { VersionsPanel, type Preview } from "./VersionsPanel";
import { redo, undo, useEditor } from "./store";
import {
  addStep,
  connect,
  copySteps,
  disconnect,
  parseWorkflow,
  pasteSteps,
  removeStep,
  setPosition,
  setPositions,
  toYaml,
  TRIGGER,
  type Position,
  type WorkflowFile,
} from "./workflow";
import { download } from "./WorkflowList";

export function useKinds(): Map<string, KindInfo> {
  const [kinds, setKinds] = useState<Map<string, KindInfo>>(new Map());
  useEffect(() => {
    api.kinds().then((list) => setKinds(new Map(list.map((k) => [k.name, k]))));
  }, []);
  return kinds;
}

/** Where copied steps wait to be pasted (in this workflow or another). */
const CLIPBOARD = "switchboard.clipboard";

/** Positions for every node, from ELK, in one edit. */
async function layoutOf(file: WorkflowFile, kinds: Map<string, KindInfo>): Promise<Record<string, Position>> {
  const { nodes, edges } = toFlow(file, kinds, useEditor.getState().compiled);
  return autoLayout(
    nodes.map((n) => ({
      id: n.id,
      width: NODE_WIDTH,
      height: nodeHeight(n.type === "step" ? n.data.ports.length : 1),
      ports: n.type === "step" ? n.data.ports.map((p) => p.name) : ["start"],
    })),
    edges.map((e) => ({ source: e.source, port: e.sourceHandle ?? "next", target: e.target })),
  );
}

export function Editor(props: { id: string; onSignOut: () => void }) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

interface Notice {
  kind: "error" | "info" | "conflict";
  text: string;
}

function EditorInner({ id }: { id: string; onSignOut: () => void }) {
  const kinds = useKinds();
  const file = useEditor((s) => s.file);
  const compiled = useEditor((s) => s.compiled);
  const selected = useEditor((s) => s.selected);
  const revision = useEditor((s) => s.revision);
  const savedYaml = useEditor((s) => s.savedYaml);
  const { edit, select, load, saved, setCompiled } = useEditor.getState();
  const canUndo = useStore(useEditor.temporal, (s) => s.pastStates.length > 0);
  const canRedo = useStore(useEditor.temporal, (s) => s.futureStates.length > 0);
  const [status, setStatus] = useState<{ status: string; version: number | null } | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [dragging, setDragging] = useState<Record<string, Position>>({});
  // Sizes React Flow measured; the canvas needs them back on the nodes it is given.
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const [fitted, setFitted] = useState(false);
  const [pending, setPending] = useState<{ source: string; port: string; at: Position } | null>(null);
  const [busy, setBusy] = useState(false);
  const flow = useReactFlow();
  // The right-hand panel: step settings, or the test chat, runs or versions.
  const [panel, setPanel] = useState<"settings" | "test" | "runs" | "versions">("settings");
  const testing = panel === "test";
  const toggle = (which: typeof panel) => setPanel((p) => (p === which ? "settings" : which));
  const [highlight, setHighlight] = useState<Highlight | null>(null);
  const [figures, setFigures] = useState<VersionFigures | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const previewRef = useRef<Preview | null>(null);
  previewRef.current = preview;
  const [finding, setFinding] = useState(false);
  // A version without positions is laid out like a draft opened for the first time.
  const previewRequest = useRef(0);
  const showPreview = useCallback(
    (p: Preview | null) => {
      // Only the latest request counts (a layout finishing after "back to the draft" is dropped).
      const request = ++previewRequest.current;
      if (!p || isPlaced(p.file)) setPreview(p);
      else
        layoutOf(p.file, kinds).then((at) => {
          if (request === previewRequest.current) setPreview({ ...p, file: setPositions(p.file, at) });
        });
    },
    [kinds],
  );
  // Bumped to load the draft again (after a conflict, "reload theirs").
  const [loads, setLoads] = useState(0);

  // Load the draft (and lay it out if it has no positions yet).
  useEffect(() => {
    if (kinds.size === 0) return;
    api.workflow(id).then(
      async (detail) => {
        setStatus({ status: detail.status, version: detail.current_version });
        const parsed = parseWorkflow(detail.draft);
        if ("error" in parsed) {
          setNotice({ kind: "error", text: `The saved draft does not parse: ${parsed.error}` });
          return;
        }
        let loaded = parsed.file;
        if (!isPlaced(loaded)) {
          // Lay out what has no position; positions the file gives are kept.
          const given: Record<string, Position> = { ...(loaded.layout?.steps ?? {}) };
          if (loaded.layout?.trigger) given[TRIGGER] = loaded.layout.trigger;
          loaded = setPositions(loaded, { ...(await layoutOf(loaded, kinds)), ...given });
        }
        // A layout computed here is not a change to save; it is saved with the first edit.
        load(loaded, detail.revision, toYaml(loaded));
      },
      (e) => setNotice({ kind: "error", text: e instanceof ApiError ? e.message : String(e) }),
    );
  }, [id, kinds, load, loads]);

  // Ask the server about the file as it changes: diagnostics and each step's ports.
  const yaml = useMemo(() => (file ? toYaml(file) : ""), [file]);
  useEffect(() => {
    if (!file) return;
    const timer = setTimeout(() => {
      api.compile(yaml).then(setCompiled, () => undefined);
    }, 250);
    return () => clearTimeout(timer);
  }, [yaml, file, setCompiled]);

  const { nodes, edges } = useMemo(() => {
    if (!file) return { nodes: [], edges: [] };
    // A version under review is drawn read-only instead of the draft.
    const drawn = toFlow(preview?.file ?? file, kinds, preview ? preview.compiled : compiled);
    for (const n of drawn.nodes) {
      if (!preview && dragging[n.id]) n.position = dragging[n.id];
      if (measured[n.id]) n.measured = measured[n.id];
      n.selected = !preview && n.id === selected;
      if (preview?.diff?.added.includes(n.id)) n.className = "diff-added";
      if (preview?.diff?.changed.includes(n.id)) n.className = "diff-changed";
    }
    if (figures && !preview) overlay(drawn.nodes, drawn.edges, figures);
    if (highlight && !preview) paint(drawn.nodes, drawn.edges, highlight);
    return drawn;
  }, [file, kinds, compiled, dragging, measured, selected, highlight, figures, preview]);

  // Fit the view once after opening (nodes not yet measured count with their initial size;
  // only the nodes in view are drawn, so the others are never measured before).
  useEffect(() => {
    if (fitted || nodes.length === 0) return;
    setFitted(true);
    requestAnimationFrame(() => flow.fitView({ padding: 0.15, maxZoom: 1 }));
  }, [nodes, fitted, flow]);

  // The canvas changes width when the test chat opens or closes: keep the flow in view.
  useEffect(() => {
    if (fitted) requestAnimationFrame(() => flow.fitView({ padding: 0.15, maxZoom: 1 }));
  }, [panel, preview, flow]); // not on `fitted`: only when the panel or the version shown changes

  const errors = (compiled?.diagnostics ?? []).filter((d) => d.severity === "error");
  const dirty = file !== null && yaml !== savedYaml;

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      for (const c of changes) {
        if (c.type === "position") {
          if (c.dragging && c.position) {
            const at = c.position;
            setDragging((d) => ({ ...d, [c.id]: at }));
          } else if (!c.dragging) {
            setDragging((d) => {
              const at = d[c.id];
              if (at) edit((f) => setPosition(f, c.id, at));
              const { [c.id]: _done, ...rest } = d;
              return rest;
            });
          }
        } else if (c.type === "dimensions" && c.dimensions) {
          const size = c.dimensions;
          setMeasured((m) => ({ ...m, [c.id]: size }));
        } else if (c.type === "select" && c.selected) {
          select(c.id);
        } else if (c.type === "remove" && c.id !== TRIGGER) {
          edit((f) => removeStep(f, c.id));
          if (useEditor.getState().selected === c.id) select(null);
        }
      }
    },
    [edit, select],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      for (const c of changes) {
        if (c.type === "remove") {
          const [source, port] = c.id.split(":");
          edit((f) => disconnect(f, source, port));
        }
      }
    },
    [edit],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (c.source && c.target && c.source !== c.target) edit((f) => connect(f, c.source, c.sourceHandle ?? "next", c.target));
    },
    [edit],
  );

  const onReconnect = useCallback(
    (old: Edge, c: Connection) => {
      edit((f) => connect(disconnect(f, old.source, old.sourceHandle ?? "next"), c.source, c.sourceHandle ?? "next", c.target));
    },
    [edit],
  );

  // An edge dropped on empty canvas opens the palette there; the step picked is connected.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.fromNode || !state.fromHandle) return;
      const point = "changedTouches" in event ? event.changedTouches[0] : event;
      const at = flow.screenToFlowPosition({ x: point.clientX, y: point.clientY });
      setPending({ source: state.fromNode.id, port: state.fromHandle.id ?? "next", at });
    },
    [flow],
  );

  // "+" on a free port: the palette opens, and the step picked is connected to that port.
  const addFrom = useCallback(
    (source: string, port: string) => {
      const from = nodes.find((n) => n.id === source);
      const index = from?.type === "step" ? Math.max(0, from.data.ports.findIndex((p) => p.name === port)) : 0;
      const at = { x: (from?.position.x ?? 0) + 300, y: (from?.position.y ?? 0) + 60 * index };
      setPending({ source, port, at });
    },
    [nodes],
  );
  const portActions = useMemo(() => ({ addFrom: preview ? undefined : addFrom }), [addFrom, preview]);

  // Find a step: select it and bring it to the middle of the view.
  const goTo = useCallback(
    (stepId: string) => {
      setFinding(false);
      select(stepId);
      setPanel("settings");
      const n = nodes.find((x) => x.id === stepId);
      if (n) flow.setCenter(n.position.x + NODE_WIDTH / 2, n.position.y + 60, { zoom: Math.max(flow.getZoom(), 0.8) });
    },
    [nodes, flow, select],
  );

  const add = useCallback(
    (kind: KindInfo) => {
      // A new step goes where the dropped edge ended, else right of the selected step (or
      // of the rightmost one), so it never lands on top of another.
      const anchor = nodes.find((n) => n.id === selected) ?? nodes.reduce((a, b) => (b.position.x > a.position.x ? b : a), nodes[0]);
      const at = pending?.at ?? { x: (anchor?.position.x ?? 0) + 300, y: anchor?.position.y ?? 0 };
      edit((f) => {
        const added = addStep(f, kind.name, defaultConfig(kind), at);
        const withEdge = pending ? connect(added.file, pending.source, pending.port, added.id) : added.file;
        select(added.id);
        return withEdge;
      });
      setPending(null);
      // Bring the new step into view.
      requestAnimationFrame(() => flow.setCenter(at.x + NODE_WIDTH / 2, at.y + 60, { zoom: flow.getZoom() }));
    },
    [edit, flow, nodes, selected, pending, select],
  );

  const save = useCallback(async (): Promise<number | null> => {
    const state = useEditor.getState();
    if (!state.file) return null;
    const text = toYaml(state.file);
    try {
      const result = await api.saveDraft(id, text, state.revision);
      saved(result.revision, text);
      setNotice({ kind: "info", text: `Saved (revision ${result.revision}).` });
      return result.revision;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const details = e.details as { current_revision?: number; saved_by?: string };
        setNotice({
          kind: "conflict",
          text: `${details.saved_by ?? "Someone else"} saved this workflow since you opened it (now revision ${details.current_revision}). Reload to see their changes, or overwrite them with yours.`,
        });
      } else {
        setNotice({ kind: "error", text: e instanceof ApiError ? e.message : String(e) });
      }
      return null;
    }
  }, [id, saved]);

  const overwrite = async () => {
    const detail = await api.workflow(id);
    saved(detail.revision, useEditor.getState().savedYaml);
    await save();
  };

  const reload = () => {
    setNotice(null);
    setDragging({});
    setLoads((n) => n + 1);
  };

  const publish = async () => {
    setBusy(true);
    try {
      const rev = dirty ? await save() : revision;
      if (rev === null) return;
      const result = await api.publish(id, rev);
      setStatus({ status: "published", version: result.version });
      setNotice({
        kind: "info",
        text: result.unchanged
          ? `Nothing changed since version ${result.version}; it stays the live version.`
          : `Published version ${result.version}.`,
      });
    } catch (e) {
      setNotice({ kind: "error", text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const relayout = async () => {
    const f = useEditor.getState().file;
    if (!f) return;
    const positions = await layoutOf(f, kinds);
    edit((current) => setPositions(current, positions));
    requestAnimationFrame(() => flow.fitView({ padding: 0.15, maxZoom: 1 }));
  };

  // Keyboard: undo, redo, save.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const key = e.key.toLowerCase();
      // Text selected on the page (the test chat, a journal, a diff) copies as text.
      const selecting = !(window.getSelection()?.isCollapsed ?? true);
      // A version shown read-only takes no edits.
      if (previewRef.current && ["z", "y", "v"].includes(key)) return;
      if (key === "s") {
        e.preventDefault();
        save();
      } else if (key === "k") {
        e.preventDefault();
        setFinding(true);
      } else if (!typing && !selecting && key === "c") {
        const state = useEditor.getState();
        if (!state.file || !state.selected || state.selected === TRIGGER) return;
        e.preventDefault();
        // The clipboard is this browser's storage, so steps paste into other workflows too.
        localStorage.setItem(CLIPBOARD, JSON.stringify(copySteps(state.file, [state.selected])));
        setNotice({ kind: "info", text: `Copied step ${state.selected}.` });
      } else if (!typing && key === "v") {
        const text = localStorage.getItem(CLIPBOARD);
        if (!text) return;
        e.preventDefault();
        let pastedIds: string[] = [];
        edit((f) => {
          const pasted = pasteSteps(f, JSON.parse(text), { x: 40, y: 40 });
          pastedIds = pasted.ids;
          return pasted.file;
        });
        if (pastedIds[0]) select(pastedIds[0]);
      } else if (!typing && key === "z" && e.shiftKey) {
        e.preventDefault();
        redo();
      } else if (!typing && key === "z") {
        e.preventDefault();
        undo();
      } else if (!typing && key === "y") {
        e.preventDefault();
        redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [save, edit, select]);

  return (
    <div className="editor">
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
        <button onClick={() => toggle("test")} aria-pressed={testing} title="Play this draft in a test chat">
          Test
        </button>
        <button onClick={() => toggle("runs")} aria-pressed={panel === "runs"} title="How contacts go through a published version">
          Runs
        </button>
        <button onClick={() => toggle("versions")} aria-pressed={panel === "versions"} title="Version history, diff and rollback">
          Versions
        </button>
        <button onClick={() => save()} disabled={!dirty} title="Save the draft (Ctrl+S)">
          Save
        </button>
        <button
          className="primary"
          onClick={publish}
          disabled={busy || errors.length > 0}
          title={errors.length ? `Fix ${errors.length} error(s) to publish` : "Publish a new version"}
        >
          Publish
        </button>
      </header>
      {notice && (
        <div className={`notice ${notice.kind}`} role={notice.kind === "info" ? "status" : "alert"}>
          <span>{notice.text}</span>
          {notice.kind === "conflict" && (
            <>
              <button onClick={reload}>Reload theirs</button>
              <button onClick={overwrite}>Overwrite with mine</button>
            </>
          )}
          <button className="quiet" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {preview && (
        <div className="notice preview-banner" role="status">
          <span>Showing version {preview.version} read-only{preview.diff ? `, changes since v${preview.diff.base} marked` : ""}.</span>
        </div>
      )}
      {finding && file && <Finder file={file} kinds={kinds} onPick={goTo} onClose={() => setFinding(false)} />}
      <div className="workspace">
        <Palette kinds={kinds} onPick={add} pending={pending !== null} onCancel={() => setPending(null)} />
        <div className="canvas">
          <PortActions.Provider value={portActions}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onReconnect={onReconnect}
            onConnectEnd={onConnectEnd}
            onPaneClick={() => select(null)}
            deleteKeyCode={preview ? null : ["Delete", "Backspace"]}
            nodesDraggable={!preview}
            nodesConnectable={!preview}
            edgesReconnectable={!preview}
            minZoom={0.1}
            onlyRenderVisibleElements
          >
            <Background />
            <MiniMap pannable zoomable />
            <Controls />
          </ReactFlow>
          </PortActions.Provider>
        </div>
        {panel === "test" && file ? (
          <TestChat file={file} onHighlight={setHighlight} onClose={() => setPanel("settings")} />
        ) : panel === "runs" ? (
          <RunsPanel id={id} liveVersion={status?.version ?? null} onFigures={setFigures} onHighlight={setHighlight} onClose={() => setPanel("settings")} />
        ) : panel === "versions" ? (
          <VersionsPanel
            id={id}
            liveVersion={status?.version ?? null}
            onPreview={showPreview}
            onRolledBack={(version) => {
              reload();
              setStatus({ status: "published", version });
              setNotice({ kind: "info", text: `Published version ${version} from an earlier one; the draft is now that version.` });
            }}
            onClose={() => setPanel("settings")}
          />
        ) : (
          <SidePanel kinds={kinds} />
        )}
      </div>
    </div>
  );
}

function Palette(props: {
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
