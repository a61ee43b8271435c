// Undo and redo cover every edit of the file, and loading a workflow starts a new history.

import { beforeEach, describe, expect, it } from "vitest";
import { redo, undo, useEditor } from "./store";
import { addStep, blankWorkflow, connect, TRIGGER } from "./workflow";

describe("the editor store", () => {
  beforeEach(() => useEditor.getState().load(blankWorkflow("x", "X"), 1, ""));

  it("undoes and redoes edits in order", () => {
    const { edit } = useEditor.getState();
    edit((f) => addStep(f, "send_message", { text: "a" }).file);
    edit((f) => addStep(f, "wait", { duration: "1h" }).file);
    edit((f) => connect(f, "send_message", "next", "wait"));
    expect(useEditor.getState().file?.steps?.send_message.next).toEqual({ next: "wait" });
    undo();
    expect(useEditor.getState().file?.steps?.send_message.next).toBeUndefined();
    undo();
    expect(Object.keys(useEditor.getState().file?.steps ?? {})).toEqual(["send_message"]);
    redo();
    redo();
    expect(useEditor.getState().file?.steps?.send_message.next).toEqual({ next: "wait" });
  });

  it("keeps selection and server answers out of the history", () => {
    const { edit, select, setCompiled } = useEditor.getState();
    edit((f) => addStep(f, "send_message", { text: "a" }).file);
    select(TRIGGER);
    setCompiled({ diagnostics: [], ports: {} });
    undo();
    expect(useEditor.getState().selected).toBe(TRIGGER);
    expect(useEditor.getState().compiled).not.toBeNull();
    expect(useEditor.getState().file?.steps).toEqual({});
  });

  it("records nothing for an edit that changes nothing, and starts over on load", () => {
    const { edit, load } = useEditor.getState();
    edit((f) => f);
    expect(useEditor.temporal.getState().pastStates).toHaveLength(0);
    edit((f) => addStep(f, "send_message", { text: "a" }).file);
    load(blankWorkflow("y", "Y"), 3, "");
    expect(useEditor.temporal.getState().pastStates).toHaveLength(0);
    expect(useEditor.getState().revision).toBe(3);
  });
});

describe("the editor page's slices", () => {
  beforeEach(() => {
    useEditor.getState().resetUi();
    useEditor.getState().load(blankWorkflow("x", "X"), 1, "");
  });

  it("keep the page out of the history", () => {
    const { togglePanel, setNotice, setDragging } = useEditor.getState();
    togglePanel("test");
    setNotice({ kind: "info", text: "Saved." });
    setDragging(() => ({ [TRIGGER]: { x: 1, y: 2 } }));
    expect(useEditor.temporal.getState().pastStates).toHaveLength(0);
    togglePanel("test");
    expect(useEditor.getState().panel).toBe("settings");
  });

  it("reload the draft without the notice or a drag in progress, and reset when the page closes", () => {
    const { setNotice, setDragging, reloadDraft, setFinding, resetUi } = useEditor.getState();
    setNotice({ kind: "conflict", text: "Someone else saved." });
    setDragging(() => ({ [TRIGGER]: { x: 1, y: 2 } }));
    reloadDraft();
    expect(useEditor.getState()).toMatchObject({ notice: null, dragging: {}, loads: 1 });
    setFinding(true);
    resetUi();
    expect(useEditor.getState()).toMatchObject({ finding: false, loads: 0, panel: "settings" });
    expect(useEditor.getState().file?.id).toBe("x");
  });
});
