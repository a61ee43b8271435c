// Settings → Channels: the workspace's WhatsApp, LINE and Telegram connections. Lists each
// with the webhook URL to paste into the channel's console, which secrets are set (never
// their values: the API does not return them) and this month's usage against a LINE quota;
// adds and changes connections (admins only; secrets left empty keep their value).

import { useState } from "react";
import { api } from "../api";
import type { ChannelKind } from "../shared/channelKind";
import { Alert, SignOut, errorText, useLoaded } from "../shared/ui";
import { type Connection, CONNECTION_FIELDS } from "./connections";

const LABELS: Record<string, string> = {
  app_secret: "App secret",
  access_token: "Access token",
  verify_token: "Verify token",
  channel_secret: "Channel secret",
  bot_token: "Bot token",
  secret_token: "Webhook secret token",
  phone_number_id: "Phone number id",
  plan: "Plan",
};

function ConnectionForm({ existing, onSaved }: { existing: Connection | null; onSaved: () => void }) {
  const [kind, setKind] = useState<ChannelKind>(existing?.kind ?? "whatsapp");
  const [id, setId] = useState(existing?.id ?? "");
  const [name, setName] = useState(existing?.name ?? "");
  const [apiBase, setApiBase] = useState(existing?.api_base ?? "");
  const [settings, setSettings] = useState<Record<string, string>>(
    Object.fromEntries(Object.entries(existing?.settings ?? {}).map(([k, v]) => [k, String(v)])),
  );
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const fields = CONNECTION_FIELDS[kind];
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    // Only this kind's secrets (the form keeps what was typed under another kind).
    const filled = Object.fromEntries(
      Object.entries(secrets).filter(([k, v]) => fields.secrets.includes(k) && v.trim() !== ""),
    );
    const body: Record<string, unknown> = { kind, name: name || undefined, secrets: filled };
    if (apiBase.trim()) body.api_base = apiBase.trim();
    // Settings the form does not show (an API version, a quota set through the API) are kept.
    const shown = Object.fromEntries(Object.entries(settings).filter(([k, v]) => fields.settings.includes(k) && v !== ""));
    const kept = Object.fromEntries(Object.entries(existing?.settings ?? {}).filter(([k]) => !fields.settings.includes(k)));
    body.settings = { ...kept, ...shown };
    try {
      await api.putChannel((existing?.id ?? id).trim() || kind, body);
      setSecrets({});
      setError(null);
      onSaved();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="connection-form" onSubmit={save} aria-label={existing ? `Edit ${existing.id}` : "New connection"}>
      {!existing && (
        <>
          <label>
            Channel
            <select aria-label="Channel" value={kind} onChange={(e) => setKind(e.target.value as ChannelKind)}>
              {(Object.keys(CONNECTION_FIELDS) as ChannelKind[]).map((k) => (
                <option key={k} value={k}>
                  {CONNECTION_FIELDS[k].title}
                </option>
              ))}
            </select>
          </label>
          <label>
            Connection id (the channel name steps use)
            <input value={id} placeholder={kind} onChange={(e) => setId(e.target.value)} />
          </label>
        </>
      )}
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      {fields.settings.map((s) =>
        s === "plan" ? (
          <label key={s}>
            {LABELS[s]}
            <select value={settings[s] ?? ""} onChange={(e) => setSettings({ ...settings, [s]: e.target.value })}>
              <option value="">no monthly cap</option>
              <option value="free">Communication (200 a month)</option>
              <option value="light">Light (5,000 a month)</option>
              <option value="standard">Standard (30,000 a month)</option>
            </select>
          </label>
        ) : (
          <label key={s}>
            {LABELS[s] ?? s}
            <input value={settings[s] ?? ""} onChange={(e) => setSettings({ ...settings, [s]: e.target.value })} />
          </label>
        ),
      )}
      {fields.secrets.map((s) => (
        <label key={s}>
          {LABELS[s] ?? s}
          <input
            type="password"
            autoComplete="off"
            value={secrets[s] ?? ""}
            placeholder={existing?.secrets_set.includes(s) ? "set — leave empty to keep" : "required"}
            onChange={(e) => setSecrets({ ...secrets, [s]: e.target.value })}
          />
        </label>
      ))}
      <label>
        API base URL (leave empty for the channel's own)
        <input value={apiBase} onChange={(e) => setApiBase(e.target.value)} />
      </label>
      <button type="submit">{existing ? "Save" : "Connect"}</button>
      <Alert error={error} />
    </form>
  );
}

export function Channels({ onSignOut }: { onSignOut: () => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const { data, error, setError, reload } = useLoaded(api.channels);
  const connections = data?.connections ?? null;
  const remove = async (c: Connection) => {
    if (!window.confirm(`Remove the connection ${c.id}? Messages to its contacts will fail until it is connected again.`)) return;
    try {
      await api.deleteChannel(c.id);
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="list">
      <header className="toolbar">
        <a href="#/">← Workflows</a>
        <h1>Channels</h1>
        <span className="spacer" />
        <button onClick={() => setEditing("new")}>Connect a channel</button>
        <SignOut onSignOut={onSignOut} />
      </header>
      <Alert error={error} onDismiss={() => setError(null)} />
      {editing === "new" && (
        <ConnectionForm
          existing={null}
          onSaved={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
      <table>
        <thead>
          <tr>
            <th>Connection</th>
            <th>Webhook URL</th>
            <th>Secrets</th>
            <th>This month</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connections?.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No channel connected yet: contacts reach flows only through the API and the simulator.
              </td>
            </tr>
          )}
          {connections?.map((c) => (
            <tr key={c.id} data-connection={c.id}>
              <td>
                <strong>{c.name}</strong>
                <div className="muted small">
                  {CONNECTION_FIELDS[c.kind]?.title} · <code>{c.id}</code>
                </div>
                {editing === c.id && (
                  <ConnectionForm
                    existing={c}
                    onSaved={() => {
                      setEditing(null);
                      reload();
                    }}
                  />
                )}
              </td>
              <td>
                <code className="small">{`${window.location.origin}${c.webhook_path}`}</code>
              </td>
              <td className="small">{c.secrets_set.map((s) => `${LABELS[s] ?? s} ✓`).join(", ")}</td>
              <td className="small">
                {c.used_this_month}
                {c.monthly_quota !== null ? ` of ${c.monthly_quota}` : ""} messages
              </td>
              <td className="actions">
                <button className="quiet" onClick={() => setEditing(editing === c.id ? null : c.id)}>
                  Edit
                </button>
                <button className="quiet danger" onClick={() => remove(c)}>
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
