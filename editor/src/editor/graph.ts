// From the workflow file (plus what the server computed) to React Flow's nodes and edges.
// Pure, so it is unit-tested without a browser.

import type { Edge } from "@xyflow/react";
import type { Compiled, Diagnostic, KindInfo, PathStep, VersionFigures } from "../api";
import { portsOf } from "./catalog";
import type { StepNode, TriggerNode } from "./nodes";
import { connections, nextOf, TRIGGER, type Position, type Step, type WorkflowFile } from "./workflow";

/** Everything to show as problems: the compiler's diagnostics, then the workspace's warnings. */
export function problemsIn(compiled: Compiled | null): Diagnostic[] {
  return [...(compiled?.diagnostics ?? []), ...(compiled?.warnings ?? [])];
}

/** The diagnostics that belong to a step (by its id or its path), or to the trigger. */
export function problemsOf(diagnostics: Diagnostic[], id: string): Diagnostic[] {
  if (id === TRIGGER) return diagnostics.filter((d) => d.path === "/trigger" || d.path.startsWith("/trigger/"));
  const prefix = `/steps/${id}`;
  return diagnostics.filter((d) => d.step === id || d.path === prefix || d.path.startsWith(`${prefix}/`));
}

function summaryOf(step: Step): string {
  const text = (step.text ?? step.note ?? step.url ?? step.to ?? "") as unknown;
  const s = typeof text === "string" ? text : "";
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function triggerSummary(trigger: Record<string, unknown> | undefined): string {
  if (!trigger) return "";
  const keywords = trigger.keywords;
  if (Array.isArray(keywords) && keywords.length) return `keywords: ${keywords.join(", ")}`;
  if (typeof trigger.expression === "string") return trigger.expression;
  return "";
}

/** A node's width on the canvas (styles.css draws it so), and its height by port count. */
export const NODE_WIDTH = 240;
export function nodeHeight(ports: number): number {
  return 70 + 22 * ports;
}

const COLUMN = 300;
const ROW = 160;

/** Where a node without a stored position goes: a grid, in file order. */
function fallbackPosition(index: number): Position {
  return { x: COLUMN * (1 + (index % 4)), y: ROW * Math.floor(index / 4) };
}

export function toFlow(
  file: WorkflowFile,
  kinds: Map<string, KindInfo>,
  compiled: Compiled | null,
): { nodes: (StepNode | TriggerNode)[]; edges: Edge[] } {
  const diagnostics = problemsIn(compiled);
  const trigger: TriggerNode = {
    id: TRIGGER,
    type: "trigger",
    position: file.layout?.trigger ?? { x: 0, y: 0 },
    initialWidth: NODE_WIDTH,
    initialHeight: nodeHeight(1),
    deletable: false,
    data: {
      title: String(file.trigger?.type ?? "no trigger"),
      summary: triggerSummary(file.trigger),
      problems: problemsOf(diagnostics, TRIGGER),
    },
  };
  const steps: StepNode[] = Object.entries(file.steps ?? {}).map(([id, step], index) => {
    const kind = kinds.get(step.kind);
    const ports = portsOf(step, kind, compiled?.ports[id]);
    return {
      id,
      type: "step",
      position: file.layout?.steps?.[id] ?? fallbackPosition(index),
      // Sizes before React Flow measures a node (it only draws what is in view).
      initialWidth: NODE_WIDTH,
      initialHeight: nodeHeight(ports.length),
      data: {
        id,
        kind: step.kind,
        title: kind?.title ?? step.kind,
        label: step.label,
        summary: summaryOf(step),
        ports,
        connected: Object.keys(nextOf(step)),
        problems: problemsOf(diagnostics, id),
      },
    };
  });
  const edges: Edge[] = connections(file)
    .filter((c) => c.source === TRIGGER || file.steps?.[c.target])
    .map((c) => ({
      id: `${c.source}:${c.port}`,
      source: c.source,
      sourceHandle: c.port,
      target: c.target,
      label: c.source === TRIGGER ? undefined : c.port,
      reconnectable: true,
    }));
  return { nodes: [trigger, ...steps], edges };
}

/** Whether a file has every node placed (else the editor lays it out on open). */
export function isPlaced(file: WorkflowFile): boolean {
  return !!file.layout?.trigger && Object.keys(file.steps ?? {}).every((id) => file.layout?.steps?.[id]);
}

/** What the canvas highlights: the steps and ports runs took, and the steps they are at. */
export interface Highlight {
  path: PathStep[];
  current: string[];
}

/** Marks the steps and edges a highlight covers (a test run's path, a picked run). */
export function paint(nodes: { id: string; className?: string }[], edges: Edge[], h: Highlight): void {
  const visited = new Set(h.path.map((p) => p.step));
  const taken = new Set(h.path.map((p) => `${p.step}:${p.port}`));
  if (h.path.length || h.current.length) visited.add(TRIGGER);
  for (const n of nodes) {
    const classes = [visited.has(n.id) ? "on-path" : "", h.current.includes(n.id) ? "current" : ""].filter(Boolean);
    if (classes.length) n.className = classes.join(" ");
  }
  for (const e of edges) {
    if (taken.has(e.id) || (e.source === TRIGGER && (visited.size > 1 || h.current.length))) {
      e.className = "on-path";
      e.animated = true;
    }
  }
}


/** Runs on the canvas: figures on each step, edge thickness (and a count) by port taken. */
export function overlay(nodes: (StepNode | TriggerNode)[], edges: Edge[], figures: VersionFigures): void {
  for (const n of nodes) {
    if (n.type === "step") n.data = { ...n.data, figures: figures.steps[n.id] ?? null };
  }
  const total = Object.values(figures.runs).reduce((a, b) => a + b, 0);
  const count = (e: Edge) =>
    e.source === TRIGGER ? total : (figures.steps[e.source]?.ports[e.sourceHandle ?? "next"] ?? 0);
  const max = Math.max(1, ...edges.map(count));
  for (const e of edges) {
    const n = count(e);
    e.style = { ...e.style, strokeWidth: 1.5 + (6 * n) / max };
    e.label = `${e.source === TRIGGER ? "runs" : (e.sourceHandle ?? "next")} · ${n}`;
    e.data = { ...e.data, count: n };
  }
}
