// The canvas and its palette: the file (or a version under review, read-only) drawn with
// React Flow, every gesture an edit of the file (`canvasHooks.ts`), "+" on a free port and an
// edge dropped on empty canvas open the palette there, and a picked kind becomes a new step.
// The view is fitted once after opening, and again when the panel beside it changes width.

import { Background, Controls, MiniMap, ReactFlow, useReactFlow, type Node } from "@xyflow/react";
import { useCallback, useEffect, useMemo } from "react";
import type { KindInfo } from "../api";
import { defaultConfig } from "./catalog";
import { useCanvasGestures, useFlowElements } from "./canvasHooks";
import { NODE_WIDTH } from "./graph";
import { nodeTypes, PortActions } from "./nodes";
import { Palette } from "./Palette";
import { useEditor } from "./store";
import { addStep, connect } from "./workflow";

const FIT = { padding: 0.15, maxZoom: 1 };

export function Canvas({ kinds }: { kinds: Map<string, KindInfo> }) {
  const { nodes, edges } = useFlowElements(kinds);
  const gestures = useCanvasGestures();
  const preview = useEditor((s) => s.preview);
  const pending = useEditor((s) => s.pending);
  const { select, setPending } = useEditor.getState();
  useFitView(nodes);
  const add = useAddStep(nodes);

  // "+" on a free port: the palette opens, and the step picked is connected to that port.
  const addFrom = useCallback(
    (source: string, port: string) => {
      const from = nodes.find((n) => n.id === source);
      const index = from?.type === "step" ? Math.max(0, from.data.ports.findIndex((p) => p.name === port)) : 0;
      const at = { x: (from?.position.x ?? 0) + 300, y: (from?.position.y ?? 0) + 60 * index };
      setPending({ source, port, at });
    },
    [nodes, setPending],
  );
  const portActions = useMemo(() => ({ addFrom: preview ? undefined : addFrom }), [addFrom, preview]);

  return (
    <>
      <Palette kinds={kinds} onPick={add} pending={pending !== null} onCancel={() => setPending(null)} />
      <div className="canvas">
        <PortActions.Provider value={portActions}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            {...gestures}
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
    </>
  );
}

/** Fit the view once after opening, and whenever the panel or the version shown changes. */
function useFitView(nodes: Node[]) {
  const flow = useReactFlow();
  const fitted = useEditor((s) => s.fitted);
  const panel = useEditor((s) => s.panel);
  const preview = useEditor((s) => s.preview);
  const setFitted = useEditor((s) => s.setFitted);

  // Nodes not yet measured count with their initial size; only the nodes in view are drawn,
  // so the others are never measured before.
  useEffect(() => {
    if (fitted || nodes.length === 0) return;
    setFitted(true);
    requestAnimationFrame(() => flow.fitView(FIT));
  }, [nodes, fitted, flow, setFitted]);

  // The canvas changes width when the test chat opens or closes: keep the flow in view.
  useEffect(() => {
    if (fitted) requestAnimationFrame(() => flow.fitView(FIT));
  }, [panel, preview, flow]); // not on `fitted`: only when the panel or the version shown changes
}

/** A picked kind becomes a step: where the dropped edge ended, else right of the selected
 * step (or of the rightmost one), so it never lands on top of another; then in view. */
function useAddStep(nodes: Node[]) {
  const flow = useReactFlow();
  const selected = useEditor((s) => s.selected);
  const pending = useEditor((s) => s.pending);
  const { edit, select, setPending } = useEditor.getState();
  return useCallback(
    (kind: KindInfo) => {
      const anchor = nodes.find((n) => n.id === selected) ?? nodes.reduce((a, b) => (b.position.x > a.position.x ? b : a), nodes[0]);
      const at = pending?.at ?? { x: (anchor?.position.x ?? 0) + 300, y: anchor?.position.y ?? 0 };
      edit((f) => {
        const added = addStep(f, kind.name, defaultConfig(kind), at);
        const withEdge = pending ? connect(added.file, pending.source, pending.port, added.id) : added.file;
        select(added.id);
        return withEdge;
      });
      setPending(null);
      requestAnimationFrame(() => flow.setCenter(at.x + NODE_WIDTH / 2, at.y + 60, { zoom: flow.getZoom() }));
    },
    [edit, flow, nodes, selected, pending, select, setPending],
  );
}
