// The draft's sync with the server: load it (laying out a draft without positions), ask the
// server about the file as it changes (diagnostics, each step's ports), save it against the
// revision it was loaded at (a conflict offers "reload theirs" or "overwrite with mine"), and
// publish. What it says goes to the editor store's notice line and status.

import { useCallback, useEffect, useMemo } from "react";
import { ApiError, api, type Diagnostic, type KindInfo } from "../api";
import { errorText } from "../shared/ui";
import { isPlaced } from "./graph";
import { layoutOf } from "./layout";
import { useEditor } from "./store";
import { parseWorkflow, setPositions, toYaml, TRIGGER, type Position } from "./workflow";

export interface DraftSync {
  /** Save the draft; the new revision, or null when it was not saved (the notice says why). */
  save: () => Promise<number | null>;
  /** After a conflict: save mine over the revision someone else saved. */
  overwrite: () => Promise<void>;
  /** Save if needed, then publish a new version. */
  publish: () => Promise<void>;
  /** The file differs from what was last saved. */
  dirty: boolean;
  /** The server's errors about the file; publishing waits until there are none. */
  errors: Diagnostic[];
}

export function useDraftSync(id: string, kinds: Map<string, KindInfo>): DraftSync {
  const file = useEditor((s) => s.file);
  const savedYaml = useEditor((s) => s.savedYaml);
  const compiled = useEditor((s) => s.compiled);
  const loads = useEditor((s) => s.loads);
  const { load, saved, setCompiled, setStatus, setNotice, setBusy } = useEditor.getState();

  // Load the draft (and lay it out if it has no positions yet); again when `loads` is bumped.
  useEffect(() => {
    if (kinds.size === 0) return;
    api.workflow(id).then(
      async (detail) => {
        setStatus({ status: detail.status, version: detail.current_version });
        const parsed = parseWorkflow(detail.draft);
        if ("error" in parsed) {
          setNotice({ kind: "error", text: `The saved draft does not parse: ${parsed.error}` });
          return;
        }
        let loaded = parsed.file;
        if (!isPlaced(loaded)) {
          // Lay out what has no position; positions the file gives are kept.
          const given: Record<string, Position> = { ...(loaded.layout?.steps ?? {}) };
          if (loaded.layout?.trigger) given[TRIGGER] = loaded.layout.trigger;
          loaded = setPositions(loaded, { ...(await layoutOf(loaded, kinds, useEditor.getState().compiled)), ...given });
        }
        // A layout computed here is not a change to save; it is saved with the first edit.
        load(loaded, detail.revision, toYaml(loaded));
      },
      (e) => setNotice({ kind: "error", text: errorText(e) }),
    );
  }, [id, kinds, load, loads, setStatus, setNotice]);

  // Ask the server about the file as it changes: diagnostics and each step's ports.
  const yaml = useMemo(() => (file ? toYaml(file) : ""), [file]);
  useEffect(() => {
    if (!file) return;
    const timer = setTimeout(() => {
      api.compile(yaml).then(setCompiled, () => undefined);
    }, 250);
    return () => clearTimeout(timer);
  }, [yaml, file, setCompiled]);

  const save = useCallback(async (): Promise<number | null> => {
    const state = useEditor.getState();
    if (!state.file) return null;
    const text = toYaml(state.file);
    try {
      const result = await api.saveDraft(id, text, state.revision);
      saved(result.revision, text);
      setNotice({ kind: "info", text: `Saved (revision ${result.revision}).` });
      return result.revision;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const details = e.details as { current_revision?: number; saved_by?: string };
        setNotice({
          kind: "conflict",
          text: `${details.saved_by ?? "Someone else"} saved this workflow since you opened it (now revision ${details.current_revision}). Reload to see their changes, or overwrite them with yours.`,
        });
      } else {
        setNotice({ kind: "error", text: errorText(e) });
      }
      return null;
    }
  }, [id, saved, setNotice]);

  const dirty = file !== null && yaml !== savedYaml;

  const overwrite = async () => {
    const detail = await api.workflow(id);
    saved(detail.revision, useEditor.getState().savedYaml);
    await save();
  };

  const publish = async () => {
    setBusy(true);
    try {
      const rev = dirty ? await save() : useEditor.getState().revision;
      if (rev === null) return;
      const result = await api.publish(id, rev);
      setStatus({ status: "published", version: result.version });
      setNotice({
        kind: "info",
        text: result.unchanged
          ? `Nothing changed since version ${result.version}; it stays the live version.`
          : `Published version ${result.version}.`,
      });
    } catch (e) {
      setNotice({ kind: "error", text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const errors = (compiled?.diagnostics ?? []).filter((d) => d.severity === "error");
  return { save, overwrite, publish, dirty, errors };
}
