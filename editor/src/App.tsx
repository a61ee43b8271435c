// The editor's pages, by the URL's hash: `#/` the workflows list, `#/w/<id>` one workflow.
// Without a token (or with one the server refuses) it asks for one first.

import { useEffect, useState } from "react";
import { ApiError, api, savedToken, saveToken } from "./api";
import { Editor } from "./Editor";
import { WorkflowList } from "./WorkflowList";

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
  const [token, setToken] = useState(savedToken());
  const hash = useHash();
  if (!token) return <SignIn onSignedIn={setToken} />;
  const signOut = () => {
    saveToken(null);
    setToken(null);
  };
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

function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    saveToken(value.trim());
    try {
      await api.workflows();
      onSignedIn(value.trim());
    } catch (err) {
      saveToken(null);
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form className="signin" onSubmit={submit}>
      <h1>Switchboard</h1>
      <p>Paste an admin or ops token (the first admin token is printed when the server first starts).</p>
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
