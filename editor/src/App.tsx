// The pages, by path: `/console` the agent console, `/console/contact` the simulator's
// contact page, anything else the editor (by hash: `#/` the workflows list, `#/w/<id>` one
// workflow, `#/channels` the channel connections, `#/secrets` the workspace secrets, `#/dead-letters` events that could not be processed). Each asks for its own token first (or again when the server refuses it).

import { useEffect, useState } from "react";
import { ApiError, api, savedToken, saveToken, selectTokenFor } from "./api";
import { Channels } from "./channels/Channels";
import { Secrets } from "./operations/Secrets";
import { DeadLetters } from "./operations/DeadLetters";
import { Console } from "./console/Console";
import { ContactPage } from "./console/ContactPage";
import { Editor } from "./editor/Editor";
import { WorkflowList } from "./editor/WorkflowList";

type Page = "editor" | "console" | "contact";

function pageOf(path: string): Page {
  if (path.startsWith("/console/contact")) return "contact";
  if (path.startsWith("/console")) return "console";
  return "editor";
}

const SIGN_IN_HINT: Record<Page, string> = {
  editor: "Paste an admin or ops token (the first admin token is printed when the server first starts).",
  console: "Paste your agent token (an admin creates it under /api/tokens with role `agent`).",
  contact: "Paste an integration token: this page plays a contact on the simulator channel.",
};

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

export function App() {
  const page = pageOf(window.location.pathname);
  selectTokenFor(page);
  const [token, setToken] = useState(savedToken());
  const hash = useHash();
  if (!token) return <SignIn page={page} onSignedIn={setToken} />;
  const signOut = () => {
    saveToken(null);
    setToken(null);
  };
  if (page === "console") return <Console onSignOut={signOut} />;
  if (page === "contact") return <ContactPage onSignOut={signOut} />;
  if (hash === "#/channels") return <Channels onSignOut={signOut} />;
  if (hash === "#/secrets") return <Secrets onSignOut={signOut} />;
  if (hash === "#/dead-letters") return <DeadLetters onSignOut={signOut} />;
  const match = /^#\/w\/([^/]+)$/.exec(hash);
  return (
    <div className="app">
      {match ? (
        <Editor id={decodeURIComponent(match[1])} onSignOut={signOut} />
      ) : (
        <WorkflowList onSignOut={signOut} />
      )}
    </div>
  );
}

function SignIn({ page, onSignedIn }: { page: Page; onSignedIn: (token: string) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    saveToken(value.trim());
    try {
      // The editor needs ops rights; the other pages say who the token is.
      if (page === "editor") await api.workflows();
      else await api.me();
      onSignedIn(value.trim());
    } catch (err) {
      saveToken(null);
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form className="signin" onSubmit={submit}>
      <h1>Switchboard{page === "console" ? " console" : page === "contact" ? " contact" : ""}</h1>
      <p>{SIGN_IN_HINT[page]}</p>
      <input
        aria-label="API token"
        type="password"
        autoFocus
        value={value}
        onChange={(e) => setValue(e.target.value)}
        placeholder="sb_…"
      />
      <button type="submit" disabled={!value.trim()}>
        Sign in
      </button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}
