// The workflow file as the editor holds it: the same plain object the YAML parses to, and
// pure edits on it (connect, add, remove, rename, configure, move). Every edit returns a
// new object, so the store can keep an undo history of snapshots. Positions live under
// `layout` in the file (the engine ignores them), so a layout survives a save.

import YAML from "yaml";

export type Next = Record<string, string | null>;

export interface Step {
  kind: string;
  label?: string;
  next?: Next | string;
  [field: string]: unknown;
}

export interface Position {
  x: number;
  y: number;
}

export interface Layout {
  trigger?: Position;
  steps?: Record<string, Position>;
}

export interface WorkflowFile {
  schema?: number;
  id: string;
  name?: string;
  description?: string;
  trigger?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  start?: string;
  steps?: Record<string, Step>;
  layout?: Layout;
  [key: string]: unknown;
}

/** The id of the trigger node on the canvas; its one port leads to `start`. */
export const TRIGGER = "__trigger";
export const START_PORT = "start";

export type Parsed = { file: WorkflowFile } | { error: string };

/** Parses YAML or JSON text; a syntax error comes back with its line and column. */
export function parseWorkflow(text: string): Parsed {
  try {
    const value = YAML.parse(text, { uniqueKeys: true });
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "a workflow file is a mapping with `id`, `trigger` and `steps`" };
    }
    return { file: value as WorkflowFile };
  } catch (e) {
    if (e instanceof YAML.YAMLError) {
      const at = e.linePos?.[0];
      return { error: at ? `line ${at.line}, column ${at.col}: ${e.message.split("\n")[0]}` : e.message };
    }
    return { error: String(e) };
  }
}

/** The file as YAML, keys in their order; long lines are not folded. */
export function toYaml(file: WorkflowFile): string {
  return YAML.stringify(file, { lineWidth: 0, indent: 2 });
}

/** `next` as a map: a bare step id is short for `{next: id}`. */
export function nextOf(step: Step): Next {
  if (typeof step.next === "string") return { next: step.next };
  return step.next ?? {};
}

export interface Connection {
  source: string;
  port: string;
  target: string;
}

/** Every edge: the trigger to `start`, and each step's ports to their targets. */
export function connections(file: WorkflowFile): Connection[] {
  const out: Connection[] = [];
  if (file.start) out.push({ source: TRIGGER, port: START_PORT, target: file.start });
  for (const [id, step] of Object.entries(file.steps ?? {})) {
    for (const [port, target] of Object.entries(nextOf(step))) {
      if (target) out.push({ source: id, port, target });
    }
  }
  return out;
}

function withStep(file: WorkflowFile, id: string, step: Step): WorkflowFile {
  return { ...file, steps: { ...(file.steps ?? {}), [id]: step } };
}

/** Points `source`'s `port` at `target` (replacing what it pointed at). */
export function connect(file: WorkflowFile, source: string, port: string, target: string): WorkflowFile {
  if (source === TRIGGER) return { ...file, start: target };
  const step = file.steps?.[source];
  if (!step || !file.steps?.[target]) return file;
  return withStep(file, source, { ...step, next: { ...nextOf(step), [port]: target } });
}

/** Removes the edge leaving `source` by `port`. */
export function disconnect(file: WorkflowFile, source: string, port: string): WorkflowFile {
  if (source === TRIGGER) {
    const { start: _start, ...rest } = file;
    return rest as WorkflowFile;
  }
  const step = file.steps?.[source];
  if (!step) return file;
  const next = { ...nextOf(step) };
  delete next[port];
  const updated: Step = { ...step, next };
  if (Object.keys(next).length === 0) delete updated.next;
  return withStep(file, source, updated);
}

/** A fresh id for a step of `kind`: `kind`, `kind_2`, `kind_3`, ... */
export function freshId(file: WorkflowFile, kind: string): string {
  const taken = new Set(Object.keys(file.steps ?? {}));
  if (!taken.has(kind)) return kind;
  for (let n = 2; ; n++) if (!taken.has(`${kind}_${n}`)) return `${kind}_${n}`;
}

/** Adds a step; the first step becomes `start`. Returns the file and the new id. */
export function addStep(
  file: WorkflowFile,
  kind: string,
  config: Record<string, unknown>,
  at?: Position,
): { file: WorkflowFile; id: string } {
  const id = freshId(file, kind);
  let out = withStep(file, id, { kind, ...config });
  if (!out.start) out = { ...out, start: id };
  if (at) out = setPosition(out, id, at);
  return { file: out, id };
}

/** Removes a step and every edge into it. */
export function removeStep(file: WorkflowFile, id: string): WorkflowFile {
  const steps: Record<string, Step> = {};
  for (const [other, step] of Object.entries(file.steps ?? {})) {
    if (other === id) continue;
    const next = Object.fromEntries(Object.entries(nextOf(step)).filter(([, t]) => t !== id));
    const updated: Step = { ...step, next };
    if (Object.keys(next).length === 0) delete updated.next;
    steps[other] = updated;
  }
  let out: WorkflowFile = { ...file, steps };
  if (out.start === id) {
    const { start: _start, ...rest } = out;
    out = rest as WorkflowFile;
  }
  if (out.layout?.steps?.[id]) {
    const { [id]: _gone, ...positions } = out.layout.steps;
    out = { ...out, layout: { ...out.layout, steps: positions } };
  }
  return out;
}

export const STEP_ID = /^[a-z][a-z0-9_]{0,63}$/;

/** Why `newId` cannot be the new id of `oldId`, or null. */
export function renameProblem(file: WorkflowFile, oldId: string, newId: string): string | null {
  if (newId === oldId) return null;
  if (!STEP_ID.test(newId)) return "an id is lowercase letters, digits and _ and starts with a letter";
  if (file.steps?.[newId]) return `a step \`${newId}\` exists`;
  return null;
}

/** Replaces `steps.<old>` references inside every text of a value (templates, conditions). */
function renameReferences(value: unknown, oldId: string, newId: string): unknown {
  const pattern = new RegExp(`\\bsteps\\.${oldId}\\b`, "g");
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(pattern, `steps.${newId}`);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/** Renames a step and every reference to it: edges, `start`, jumps, `steps.<id>` in texts. */
export function renameStep(file: WorkflowFile, oldId: string, newId: string): WorkflowFile {
  if (renameProblem(file, oldId, newId) !== null || oldId === newId) return file;
  const steps: Record<string, Step> = {};
  for (const [id, step] of Object.entries(file.steps ?? {})) {
    const renamed = renameReferences(step, oldId, newId) as Step;
    const next = Object.fromEntries(Object.entries(nextOf(renamed)).map(([p, t]) => [p, t === oldId ? newId : t]));
    const updated: Step = { ...renamed, next };
    if (step.next === undefined) delete updated.next;
    if (updated.kind === "jump" && updated.to === oldId) updated.to = newId;
    steps[id === oldId ? newId : id] = updated;
  }
  let out: WorkflowFile = { ...file, steps, trigger: renameReferences(file.trigger, oldId, newId) as WorkflowFile["trigger"] };
  if (file.trigger === undefined) delete out.trigger;
  if (out.start === oldId) out = { ...out, start: newId };
  const positions = out.layout?.steps;
  if (positions?.[oldId]) {
    const { [oldId]: at, ...rest } = positions;
    out = { ...out, layout: { ...out.layout, steps: { ...rest, [newId]: at } } };
  }
  return out;
}

/** Replaces a step's settings, keeping its kind, label and edges. */
export function configure(file: WorkflowFile, id: string, config: Record<string, unknown>): WorkflowFile {
  const step = file.steps?.[id];
  if (!step) return file;
  const { kind: _k, label: _l, next: _n, ...settings } = config;
  const updated: Step = { kind: step.kind, ...(step.label ? { label: step.label } : {}), ...settings };
  if (step.next !== undefined) updated.next = step.next;
  return withStep(file, id, updated);
}

/** A step's settings without kind, label and edges (what its form edits). */
export function settingsOf(step: Step): Record<string, unknown> {
  const { kind: _k, label: _l, next: _n, ...settings } = step;
  return settings;
}

export function setLabel(file: WorkflowFile, id: string, label: string): WorkflowFile {
  const step = file.steps?.[id];
  if (!step) return file;
  const updated: Step = { ...step, label };
  if (!label) delete updated.label;
  return withStep(file, id, updated);
}

export function setTrigger(file: WorkflowFile, trigger: Record<string, unknown>): WorkflowFile {
  return { ...file, trigger };
}

/** Moves a node (rounded to whole pixels, so the file stays readable). */
export function setPosition(file: WorkflowFile, id: string, at: Position): WorkflowFile {
  const rounded = { x: Math.round(at.x), y: Math.round(at.y) };
  const layout: Layout = { ...(file.layout ?? {}) };
  if (id === TRIGGER) layout.trigger = rounded;
  else layout.steps = { ...(layout.steps ?? {}), [id]: rounded };
  return { ...file, layout };
}

/** Moves many nodes at once (auto-layout): one edit, one undo step. */
export function setPositions(file: WorkflowFile, positions: Record<string, Position>): WorkflowFile {
  let out = file;
  for (const [id, at] of Object.entries(positions)) out = setPosition(out, id, at);
  return out;
}

/** A new, empty workflow. */
export function blankWorkflow(id: string, name: string): WorkflowFile {
  return { schema: 1, id, name, trigger: { type: "message_received" }, steps: {} };
}

/** Steps on the clipboard, with their positions (edges among them survive a paste). */
export interface Clip {
  steps: Record<string, Step>;
  positions: Record<string, Position>;
}

/** Copies steps (unknown ids are skipped). */
export function copySteps(file: WorkflowFile, ids: string[]): Clip {
  const clip: Clip = { steps: {}, positions: {} };
  for (const id of ids) {
    const step = file.steps?.[id];
    if (!step) continue;
    clip.steps[id] = structuredClone(step);
    const at = file.layout?.steps?.[id];
    if (at) clip.positions[id] = at;
  }
  return clip;
}

/** Replaces `steps.<old>` with `steps.<new>` for every pair of `ids`, in one pass. */
function mapReferences(value: unknown, ids: Map<string, string>): unknown {
  if (ids.size === 0) return value;
  const names = [...ids.keys()].sort((a, b) => b.length - a.length).join("|");
  const pattern = new RegExp(`\\bsteps\\.(${names})\\b`, "g");
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(pattern, (_, id: string) => `steps.${ids.get(id)}`);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/**
 * Pastes steps, into this workflow or another: ids that are taken get a fresh one, edges and
 * references among the pasted steps follow the new ids, edges to steps that were not copied
 * are dropped, and positions move by `offset`. Returns the file and the new ids.
 */
export function pasteSteps(file: WorkflowFile, clip: Clip, offset: Position): { file: WorkflowFile; ids: string[] } {
  const renamed = new Map<string, string>();
  const taken = new Set(Object.keys(file.steps ?? {}));
  for (const id of Object.keys(clip.steps)) {
    let newId = id;
    if (taken.has(id)) {
      const base = id.replace(/_\d+$/, "");
      for (let n = 2; taken.has((newId = `${base}_${n}`)); n++);
    }
    taken.add(newId);
    renamed.set(id, newId);
  }
  let out = file;
  for (const [id, step] of Object.entries(clip.steps)) {
    const copy = mapReferences(structuredClone(step), renamed) as Step;
    const next = Object.fromEntries(
      Object.entries(nextOf(copy))
        .filter(([, target]) => target !== null && renamed.has(target))
        .map(([port, target]) => [port, renamed.get(target as string) as string]),
    );
    const pasted: Step = { ...copy, next };
    if (Object.keys(next).length === 0) delete pasted.next;
    if (pasted.kind === "jump" && typeof pasted.to === "string" && renamed.has(pasted.to)) pasted.to = renamed.get(pasted.to);
    const newId = renamed.get(id) as string;
    out = withStep(out, newId, pasted);
    const at = clip.positions[id];
    if (at) out = setPosition(out, newId, { x: at.x + offset.x, y: at.y + offset.y });
  }
  const ids = [...renamed.values()];
  if (!out.start && ids.length) out = { ...out, start: ids[0] };
  return { file: out, ids };
}
