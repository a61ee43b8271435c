// The editor's page state beside the file, as slices of the editor store (`store.ts`): the
// draft's sync with the server (status, the notice line, a load to redo), the right-hand
// panel and what it paints on the canvas, and the canvas's gestures in progress. None of it
// is undo history; `resetUi` clears it when the editor page closes.

import type { StateCreator } from "zustand";
import type { VersionFigures } from "../api";
import type { Highlight } from "./graph";
import type { EditorState } from "./store";
import type { Preview } from "./VersionsPanel";
import type { Position } from "./workflow";

/** The slices' creator type: the editor store wraps them in zundo's `temporal`. */
export type Slice<T> = StateCreator<EditorState, [["temporal", unknown]], [], T>;

export interface Notice {
  kind: "error" | "info" | "conflict";
  text: string;
}

export interface DraftSlice {
  /** The workflow's status and live version, as the server last said. */
  status: { status: string; version: number | null } | null;
  notice: Notice | null;
  /** A publish is under way. */
  busy: boolean;
  /** Bumped to load the draft again (after a conflict, "reload theirs", a rollback). */
  loads: number;
  setStatus: (status: DraftSlice["status"]) => void;
  setNotice: (notice: Notice | null) => void;
  setBusy: (busy: boolean) => void;
  /** Load the draft again, dropping the notice and any drag in progress. */
  reloadDraft: () => void;
}

export type PanelName = "settings" | "test" | "runs" | "versions";

export interface PanelSlice {
  /** The right-hand panel: step settings, or the test chat, runs or versions. */
  panel: PanelName;
  /** The path the test chat or a picked run highlights. */
  highlight: Highlight | null;
  /** Runs on the canvas: the figures of the version the runs panel shows. */
  figures: VersionFigures | null;
  /** A version shown read-only on the canvas instead of the draft. */
  preview: Preview | null;
  /** The step finder (Ctrl+K) is open. */
  finding: boolean;
  /** Open `which`, or go back to the settings when it is open already. */
  togglePanel: (which: PanelName) => void;
  setPanel: (panel: PanelName) => void;
  setHighlight: (highlight: Highlight | null) => void;
  setFigures: (figures: VersionFigures | null) => void;
  setPreview: (preview: Preview | null) => void;
  setFinding: (finding: boolean) => void;
}

/** An edge dropped on empty canvas, or "+" on a free port: the step picked next connects there. */
export interface PendingConnection {
  source: string;
  port: string;
  at: Position;
}

export interface CanvasSlice {
  /** Nodes being dragged, where they are now (the file gets the position on release). */
  dragging: Record<string, Position>;
  /** Sizes React Flow measured; the canvas needs them back on the nodes it is given. */
  measured: Record<string, { width: number; height: number }>;
  /** The view was fitted once after opening. */
  fitted: boolean;
  pending: PendingConnection | null;
  setDragging: (change: (dragging: Record<string, Position>) => Record<string, Position>) => void;
  setMeasured: (id: string, size: { width: number; height: number }) => void;
  setFitted: (fitted: boolean) => void;
  setPending: (pending: PendingConnection | null) => void;
}

type Data<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: T[K] };

const INITIAL_DRAFT: Data<DraftSlice> = { status: null, notice: null, busy: false, loads: 0 };
const INITIAL_PANEL: Data<PanelSlice> = { panel: "settings", highlight: null, figures: null, preview: null, finding: false };
const INITIAL_CANVAS: Data<CanvasSlice> = { dragging: {}, measured: {}, fitted: false, pending: null };

/** The page state when an editor opens. */
export const INITIAL_UI = { ...INITIAL_DRAFT, ...INITIAL_PANEL, ...INITIAL_CANVAS };

export const createDraftSlice: Slice<DraftSlice> = (set) => ({
  ...INITIAL_DRAFT,
  setStatus: (status) => set({ status }),
  setNotice: (notice) => set({ notice }),
  setBusy: (busy) => set({ busy }),
  reloadDraft: () => set((s) => ({ notice: null, dragging: {}, loads: s.loads + 1 })),
});

export const createPanelSlice: Slice<PanelSlice> = (set) => ({
  ...INITIAL_PANEL,
  togglePanel: (which) => set((s) => ({ panel: s.panel === which ? "settings" : which })),
  setPanel: (panel) => set({ panel }),
  setHighlight: (highlight) => set({ highlight }),
  setFigures: (figures) => set({ figures }),
  setPreview: (preview) => set({ preview }),
  setFinding: (finding) => set({ finding }),
});

export const createCanvasSlice: Slice<CanvasSlice> = (set) => ({
  ...INITIAL_CANVAS,
  setDragging: (change) => set((s) => ({ dragging: change(s.dragging) })),
  setMeasured: (id, size) => set((s) => ({ measured: { ...s.measured, [id]: size } })),
  setFitted: (fitted) => set({ fitted }),
  setPending: (pending) => set({ pending }),
});
