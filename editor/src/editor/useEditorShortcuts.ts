// The editor's keyboard shortcuts: Ctrl+S save, Ctrl+K find a step, Ctrl+C / Ctrl+V copy and
// paste steps (through this browser's storage, so they paste into other workflows too),
// Ctrl+Z undo, Ctrl+Shift+Z and Ctrl+Y redo. Typing in a field, or text selected on the
// page, keeps the browser's own meaning; a version shown read-only takes no edits.

import { useEffect } from "react";
import { redo, undo, useEditor } from "./store";
import { copySteps, pasteSteps, TRIGGER } from "./workflow";

/** Where copied steps wait to be pasted (in this workflow or another). */
const CLIPBOARD = "switchboard.clipboard";

export function useEditorShortcuts(save: () => unknown) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const key = e.key.toLowerCase();
      // Text selected on the page (the test chat, a journal, a diff) copies as text.
      const selecting = !(window.getSelection()?.isCollapsed ?? true);
      const state = useEditor.getState();
      if (state.preview && ["z", "y", "v"].includes(key)) return;
      if (key === "s") {
        e.preventDefault();
        save();
      } else if (key === "k") {
        e.preventDefault();
        state.setFinding(true);
      } else if (!typing && !selecting && key === "c") {
        if (!state.file || !state.selected || state.selected === TRIGGER) return;
        e.preventDefault();
        localStorage.setItem(CLIPBOARD, JSON.stringify(copySteps(state.file, [state.selected])));
        state.setNotice({ kind: "info", text: `Copied step ${state.selected}.` });
      } else if (!typing && key === "v") {
        const text = localStorage.getItem(CLIPBOARD);
        if (!text) return;
        e.preventDefault();
        let pastedIds: string[] = [];
        state.edit((f) => {
          const pasted = pasteSteps(f, JSON.parse(text), { x: 40, y: 40 });
          pastedIds = pasted.ids;
          return pasted.file;
        });
        if (pastedIds[0]) state.select(pastedIds[0]);
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
  }, [save]);
}
