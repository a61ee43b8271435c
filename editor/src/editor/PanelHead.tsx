// The title row of the editor's right-hand panels (test chat, runs, versions).

/** The title row of a right-hand panel, with its close button. */
export function PanelHead(props: { title: string; closeLabel: string; onClose: () => void }) {
  return (
    <div className="testchat-head">
      <h2>{props.title}</h2>
      <button className="quiet" onClick={props.onClose} aria-label={props.closeLabel}>
        ×
      </button>
    </div>
  );
}
