// The editor's right-hand panel, as the toolbar picked it: the test chat, runs or versions,
// else the side panel (the selected step's settings). The panels paint on the canvas
// through the store (a highlighted path, the runs' figures, a version shown read-only).

import { useCallback, useRef } from "react";
import type { KindInfo } from "../api";
import { isPlaced } from "./graph";
import { layoutOf } from "./layout";
import { RunsPanel } from "./RunsPanel";
import { SidePanel } from "./SidePanel";
import { useEditor } from "./store";
import { TestChat } from "./TestChat";
import { VersionsPanel, type Preview } from "./VersionsPanel";
import { setPositions } from "./workflow";

export function RightPanel({ id, kinds }: { id: string; kinds: Map<string, KindInfo> }) {
  const panel = useEditor((s) => s.panel);
  const file = useEditor((s) => s.file);
  const liveVersion = useEditor((s) => s.status?.version ?? null);
  const { setPanel, setHighlight, setFigures, setStatus, setNotice, reloadDraft } = useEditor.getState();
  const showPreview = usePreview(kinds);
  const close = () => setPanel("settings");

  if (panel === "test" && file) return <TestChat file={file} onHighlight={setHighlight} onClose={close} />;
  if (panel === "runs") {
    return <RunsPanel id={id} liveVersion={liveVersion} onFigures={setFigures} onHighlight={setHighlight} onClose={close} />;
  }
  if (panel === "versions") {
    return (
      <VersionsPanel
        id={id}
        liveVersion={liveVersion}
        onPreview={showPreview}
        onRolledBack={(version) => {
          reloadDraft();
          setStatus({ status: "published", version });
          setNotice({ kind: "info", text: `Published version ${version} from an earlier one; the draft is now that version.` });
        }}
        onClose={close}
      />
    );
  }
  return <SidePanel kinds={kinds} />;
}

/** Show a version read-only; one without positions is laid out like a draft opened for the first time. */
function usePreview(kinds: Map<string, KindInfo>) {
  const request = useRef(0);
  return useCallback(
    (p: Preview | null) => {
      const { setPreview, compiled } = useEditor.getState();
      // Only the latest request counts (a layout finishing after "back to the draft" is dropped).
      const mine = ++request.current;
      if (!p || isPlaced(p.file)) setPreview(p);
      else
        layoutOf(p.file, kinds, compiled).then((at) => {
          if (mine === request.current) setPreview({ ...p, file: setPositions(p.file, at) });
        });
    },
    [kinds],
  );
}
