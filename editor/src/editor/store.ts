// The editor's state: the workflow file being edited, with an undo history of its snapshots
// (zundo over zustand), and what is selected. Every change goes through `edit`, so undo and
// redo cover moves, settings, adds, deletes and connections alike. What the server says
// about the file (ports, diagnostics) is derived and kept out of the history.

import { create } from "zustand";
import { temporal } from "zundo";
import type { Compiled } from "../api";
import type { WorkflowFile } from "./workflow";

export interface EditorState {
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

export const useEditor = create<EditorState>()(
  temporal(
    (set, get) => ({
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
    }),
    {
      // Only the file is history; selection and server answers are not undone.
      partialize: (state) => ({ file: state.file }),
      equality: (a, b) => a.file === b.file,
      limit: 200,
    },
  ),
);

export const undo = () => useEditor.temporal.getState().undo();
export const redo = () => useEditor.temporal.getState().redo();
