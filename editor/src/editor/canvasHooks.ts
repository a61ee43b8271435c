// The canvas's hooks over the editor store: the nodes and edges to draw (the draft, or a
// version under review; with drags in progress, the sizes React Flow measured, the
// selection, a highlighted path and the runs' figures), and React Flow's change events
// turned into edits of the file.

import {
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useMemo } from "react";
import type { KindInfo } from "../api";
import { overlay, paint, toFlow } from "./graph";
import { useEditor } from "./store";
import { connect, disconnect, removeStep, setPosition, TRIGGER } from "./workflow";

/** What the canvas draws, from the store. */
export function useFlowElements(kinds: Map<string, KindInfo>) {
  const file = useEditor((s) => s.file);
  const compiled = useEditor((s) => s.compiled);
  const selected = useEditor((s) => s.selected);
  const dragging = useEditor((s) => s.dragging);
  const measured = useEditor((s) => s.measured);
  const highlight = useEditor((s) => s.highlight);
  const figures = useEditor((s) => s.figures);
  const preview = useEditor((s) => s.preview);
  return useMemo(() => {
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
}

/** React Flow's handlers: drags, sizes, selection, deletes and connections become edits. */
export function useCanvasGestures() {
  const flow = useReactFlow();
  const { edit, select, setDragging, setMeasured, setPending } = useEditor.getState();

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      for (const c of changes) {
        if (c.type === "position") {
          if (c.dragging && c.position) {
            const at = c.position;
            setDragging((d) => ({ ...d, [c.id]: at }));
          } else if (!c.dragging) {
            // Dropped: the position goes into the file (one undo step per drag).
            const at = useEditor.getState().dragging[c.id];
            if (at) edit((f) => setPosition(f, c.id, at));
            setDragging(({ [c.id]: _done, ...rest }) => rest);
          }
        } else if (c.type === "dimensions" && c.dimensions) {
          setMeasured(c.id, c.dimensions);
        } else if (c.type === "select" && c.selected) {
          select(c.id);
        } else if (c.type === "remove" && c.id !== TRIGGER) {
          edit((f) => removeStep(f, c.id));
          if (useEditor.getState().selected === c.id) select(null);
        }
      }
    },
    [edit, select, setDragging, setMeasured],
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
    [flow, setPending],
  );

  return { onNodesChange, onEdgesChange, onConnect, onReconnect, onConnectEnd };
}
