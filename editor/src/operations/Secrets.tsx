// Settings → Secrets: the workspace secrets HTTP steps read as `{{ secrets.NAME }}`. Lists
// names and when each was last set (the API never returns a value); admins set a value
// through a write-only input and remove secrets.

import { useState } from "react";
import { api } from "../api";
import { Alert, SignOut, errorText, useLoaded } from "../shared/ui";
import { placeholderOf, secretNameProblem } from "./secrets";

function SecretForm({ name: fixed, onSaved }: { name: string | null; onSaved: () => void }) {
  const [name, setName] = useState(fixed ?? "");
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const problem = secretNameProblem(name.trim());
    if (problem) return setError(`Name: ${problem}`);
    if (value === "") return setError("Value: type the secret's value");
    try {
      await api.putSecret(name.trim(), value);
      // The value leaves the page as soon as the server has it.
      setValue("");
      setError(null);
      onSaved();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="connection-form" onSubmit={save} aria-label={fixed ? `Set ${fixed}` : "New secret"}>
      {!fixed && (
        <label>
          Name
          <input value={name} placeholder="crm_key" onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      <label>
        Value (write-only: it cannot be shown again)
        <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit">{fixed ? "Replace" : "Add"}</button>
      <Alert error={error} />
    </form>
  );
}

export function Secrets({ onSignOut }: { onSignOut: () => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const { data, error, setError, reload } = useLoaded(api.secrets);
  const secrets = data?.secrets ?? null;
  const saved = () => {
    setEditing(null);
    reload();
  };
  const remove = async (name: string) => {
    if (!window.confirm(`Remove the secret ${name}? HTTP steps that use it will fail until it is set again.`)) return;
    try {
      await api.deleteSecret(name);
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="list">
      <header className="toolbar">
        <a href="#/">← Workflows</a>
        <h1>Secrets</h1>
        <span className="spacer" />
        <button onClick={() => setEditing("new")}>Add a secret</button>
        <SignOut onSignOut={onSignOut} />
      </header>
      <Alert error={error} onDismiss={() => setError(null)} />
      <p className="muted small">
        An HTTP step uses a secret in its URL, headers or body as <code>{placeholderOf("name")}</code>. The value is filled
        in only when the call is made: it is never shown, exported or kept in a run.
      </p>
      {editing === "new" && <SecretForm name={null} onSaved={saved} />}
      <table>
        <thead>
          <tr>
            <th>Secret</th>
            <th>Use it as</th>
            <th>Last set</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {secrets?.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No secret yet.
              </td>
            </tr>
          )}
          {secrets?.map((s) => (
            <tr key={s.name} data-secret={s.name}>
              <td>
                <strong>{s.name}</strong>
                {editing === s.name && <SecretForm name={s.name} onSaved={saved} />}
              </td>
              <td>
                <code className="small">{placeholderOf(s.name)}</code>
              </td>
              <td className="small">{new Date(s.updated_at).toLocaleString()}</td>
              <td className="actions">
                <button className="quiet" onClick={() => setEditing(editing === s.name ? null : s.name)}>
                  Replace
                </button>
                <button className="quiet danger" onClick={() => remove(s.name)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
