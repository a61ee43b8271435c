// The editor's state, one zustand store in slices: the workflow file being edited, with an
// undo history of its snapshots (zundo), and what is selected (this file); the page around
// it (`uiSlices.ts`: the draft's sync, the right-hand panel, gestures on the canvas). Every
// change of the file goes through `edit`, so undo and redo cover moves, settings, adds,
// deletes and connections alike. What the server says about the file (ports, diagnostics)
// and the page state are kept out of the history.

import { create } from "zustand";
import { temporal } from "zundo";
import type { Compiled } from "../api";
import {
  createCanvasSlice,
  createDraftSlice,
  createPanelSlice,
  INITIAL_UI,
  type CanvasSlice,
  type DraftSlice,
  type PanelSlice,
  type Slice,
} from "./uiSlices";
import type { WorkflowFile } from "./workflow";

export interface DocumentSlice {
  file: WorkflowFile | null;
  /** The draft revision the file was loaded from or last saved as. */
  revision: number;
  /** The file as last saved, to tell whether there are unsaved changes. */
  savedYaml: string;
  selected: string | null;
  compiled: Compiled | null;
  load: (file: WorkflowFile, revision: number, savedYaml: string) => void;
  edit: (change: (file: WorkflowFile) => WorkflowFile) => void;
  select: (id: string | null) => void;
  saved: (revision: number, yaml: string) => void;
  setCompiled: (compiled: Compiled | null) => void;
}

export type EditorState = DocumentSlice &
  DraftSlice &
  PanelSlice &
  CanvasSlice & {
    /** Forget the page state (the editor page closed); the file stays until the next load. */
    resetUi: () => void;
  };

const createDocumentSlice: Slice<DocumentSlice> = (set, get) => ({
  file: null,
  revision: 0,
  savedYaml: "",
  selected: null,
  compiled: null,
  load: (file, revision, savedYaml) => {
    set({ file, revision, savedYaml, selected: null, compiled: null });
    useEditor.temporal.getState().clear();
  },
  edit: (change) => {
    const file = get().file;
    if (!file) return;
    const next = change(file);
    if (next !== file) set({ file: next });
  },
  select: (selected) => set({ selected }),
  saved: (revision, savedYaml) => set({ revision, savedYaml }),
  setCompiled: (compiled) => set({ compiled }),
});

export const useEditor = create<EditorState>()(
  temporal(
    (...a) => ({
      ...createDocumentSlice(...a),
      ...createDraftSlice(...a),
      ...createPanelSlice(...a),
      ...createCanvasSlice(...a),
      resetUi: () => a[0](INITIAL_UI),
    }),
    {
      // Only the file is history; selection, server answers and the page are not undone.
      partialize: (state) => ({ file: state.file }),
      equality: (a, b) => a.file === b.file,
      limit: 200,
    },
  ),
);

export const undo = () => useEditor.temporal.getState().undo();
export const redo = () => useEditor.temporal.getState().redo();
