// The agent console at `/console`: the inbox (mine, unassigned, everything I may see) with the
// contacts queued for an agent, a conversation (transcript with system lines and notes,
// reply, close with category and summary, assign), the contact panel (fields, tags, the runs
// under way and why they wait, shortcut buttons whose forms are rendered from their schema),
// and online/offline. It follows the server live over `/api/live` (`useConsoleData`); its
// state lives in the console store's slices (`store.ts`).

import { useEffect } from "react";
import { api } from "../api";
import { errorText, SignOut } from "../shared/ui";
import { ConversationView } from "./ConversationView";
import { Inbox } from "./Inbox";
import { useConsole } from "./store";
import { useConsoleData } from "./useConsoleData";

export function Console({ onSignOut }: { onSignOut: () => void }) {
  useConsoleData();
  // The state is this sign-in's: the next one starts afresh.
  useEffect(() => () => useConsole.getState().reset(), []);
  const me = useConsole((s) => s.me);
  const selected = useConsole((s) => s.selected);

  if (me && me.role !== "agent" && me.role !== "admin") {
    return (
      <div className="signin">
        <p className="error">The console is for agents: this is an `{me.role}` token.</p>
        <button onClick={onSignOut}>Sign in with another token</button>
      </div>
    );
  }

  return (
    <div className="console">
      <ConsoleHeader onSignOut={onSignOut} />
      <NoticeLines />
      <div className="console-body">
        <Inbox />
        {selected === null ? (
          <main className="conversation-view muted">Pick a conversation.</main>
        ) : (
          <ConversationView key={selected} contactId={selected} />
        )}
      </div>
    </div>
  );
}

/** The header: my name and teams, online/offline, sign out. */
function ConsoleHeader({ onSignOut }: { onSignOut: () => void }) {
  const self = useConsole((s) => s.me?.agent ?? null);
  const { peopleChanged, setError } = useConsole.getState();
  const toggleOnline = async () => {
    if (!self) return;
    try {
      await api.setOnline(self.id, !self.online);
      peopleChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <header className="toolbar">
      <h1>Inbox</h1>
      {self && (
        <>
          <span>{self.name}</span>
          <span className="muted small">{self.teams.join(", ")}</span>
          <button onClick={toggleOnline} aria-pressed={self.online} className={self.online ? "online" : "offline"}>
            {self.online ? "Online" : "Offline"}
          </button>
        </>
      )}
      <span className="spacer" />
      <SignOut onSignOut={onSignOut} />
    </header>
  );
}

/** An error (from any action) and an info line, each dismissable. */
function NoticeLines() {
  const error = useConsole((s) => s.error);
  const notice = useConsole((s) => s.notice);
  const { setError, setNotice } = useConsole.getState();
  return (
    <>
      {error && (
        <div className="notice error" role="alert">
          <span>{error}</span>
          <button className="quiet" onClick={() => setError(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {notice && (
        <div className="notice info" role="status">
          <span>{notice}</span>
          <button className="quiet" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
    </>
  );
}
