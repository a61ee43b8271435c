// Auto-layout with ELK's layered algorithm: left to right, ports in a fixed order, so the
// branches of a branch step and the options of a question stay in the order they are written;
// `layoutOf` lays out a whole workflow file as the canvas draws it.

import type { ELK } from "elkjs/lib/elk-api";
import type { Compiled, KindInfo } from "../api";
import { NODE_WIDTH, nodeHeight, toFlow } from "./graph";
import type { Position, WorkflowFile } from "./workflow";

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
  ports: string[];
}

export interface LayoutEdge {
  source: string;
  port: string;
  target: string;
}

// ELK is large; it is loaded the first time a layout is asked for.
let elk: Promise<ELK> | null = null;

function loadElk(): Promise<ELK> {
  elk ??= import("elkjs/lib/elk.bundled.js").then((m) => new m.default() as ELK);
  return elk;
}

export async function autoLayout(nodes: LayoutNode[], edges: LayoutEdge[]): Promise<Record<string, Position>> {
  const graph = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "40",
      "elk.layered.spacing.nodeNodeBetweenLayers": "80",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: n.width,
      height: n.height,
      layoutOptions: { "elk.portConstraints": "FIXED_ORDER" },
      ports: n.ports.map((p, i) => ({
        id: `${n.id}::${p}`,
        layoutOptions: { "elk.port.side": "EAST", "elk.port.index": String(i) },
      })),
    })),
    edges: edges.map((e, i) => ({ id: `e${i}`, sources: [`${e.source}::${e.port}`], targets: [e.target] })),
  };
  const laid = await (await loadElk()).layout(graph);
  const out: Record<string, Position> = {};
  for (const child of laid.children ?? []) out[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  return out;
}

/** Positions for every node of `file` (the trigger and each step), from ELK, in one go. */
export async function layoutOf(file: WorkflowFile, kinds: Map<string, KindInfo>, compiled: Compiled | null): Promise<Record<string, Position>> {
  const { nodes, edges } = toFlow(file, kinds, compiled);
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
