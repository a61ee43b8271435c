// One workflow: the toolbar, the notice lines, the palette and canvas, and the right-hand
// panel. The file in the store is the truth; the canvas is drawn from it, and every gesture
// becomes an edit of it. The parts: `useDraftSync` (load, save, conflicts, publish),
// `useEditorShortcuts` (the keyboard), `Canvas` (React Flow and the palette), `RightPanel`;
// their page state lives in the editor store's slices (`uiSlices.ts`).

import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect } from "react";
import { Canvas } from "./Canvas";
import { EditorToolbar } from "./EditorToolbar";
import { NoticeLine, PreviewBanner } from "./EditorNotices";
import { Finder } from "./Finder";
import { NODE_WIDTH } from "./graph";
import { RightPanel } from "./RightPanel";
import { useEditor } from "./store";
import { useDraftSync } from "./useDraftSync";
import { useEditorShortcuts } from "./useEditorShortcuts";
import { useKinds } from "./useKinds";

export function Editor(props: { id: string; onSignOut: () => void }) {
  return (
    <ReactFlowProvider>
      <EditorPage {...props} />
    </ReactFlowProvider>
  );
}

function EditorPage({ id }: { id: string; onSignOut: () => void }) {
  const kinds = useKinds();
  const draft = useDraftSync(id, kinds);
  useEditorShortcuts(draft.save);
  // The page state is this page's: the next editor opens without it.
  useEffect(() => () => useEditor.getState().resetUi(), []);
  const file = useEditor((s) => s.file);
  const finding = useEditor((s) => s.finding);
  const goTo = useGoTo();

  return (
    <div className="editor">
      <EditorToolbar id={id} kinds={kinds} draft={draft} />
      <NoticeLine onOverwrite={draft.overwrite} />
      <PreviewBanner />
      {finding && file && <Finder file={file} kinds={kinds} onPick={goTo} onClose={() => useEditor.getState().setFinding(false)} />}
      <div className="workspace">
        <Canvas kinds={kinds} />
        <RightPanel id={id} kinds={kinds} />
      </div>
    </div>
  );
}

/** Find a step: select it, show its settings and bring it to the middle of the view. */
function useGoTo() {
  const flow = useReactFlow();
  return useCallback(
    (stepId: string) => {
      const { setFinding, select, setPanel } = useEditor.getState();
      setFinding(false);
      select(stepId);
      setPanel("settings");
      const n = flow.getNode(stepId);
      if (n) flow.setCenter(n.position.x + NODE_WIDTH / 2, n.position.y + 60, { zoom: Math.max(flow.getZoom(), 0.8) });
    },
    [flow],
  );
}
