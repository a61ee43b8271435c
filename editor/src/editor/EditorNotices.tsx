// The lines under the editor's toolbar: the notice (saved, published, an error, or a save
// conflict with "reload theirs" / "overwrite with mine"), and the banner of a version shown
// read-only.

import { useEditor } from "./store";

export function NoticeLine({ onOverwrite }: { onOverwrite: () => void }) {
  const notice = useEditor((s) => s.notice);
  const { setNotice, reloadDraft } = useEditor.getState();
  if (!notice) return null;
  return (
    <div className={`notice ${notice.kind}`} role={notice.kind === "info" ? "status" : "alert"}>
      <span>{notice.text}</span>
      {notice.kind === "conflict" && (
        <>
          <button onClick={reloadDraft}>Reload theirs</button>
          <button onClick={onOverwrite}>Overwrite with mine</button>
        </>
      )}
      <button className="quiet" onClick={() => setNotice(null)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

export function PreviewBanner() {
  const preview = useEditor((s) => s.preview);
  if (!preview) return null;
  return (
    <div className="notice preview-banner" role="status">
      <span>Showing version {preview.version} read-only{preview.diff ? `, changes since v${preview.diff.base} marked` : ""}.</span>
    </div>
  );
}
