// The console's right column: the contact (fields, tags, the workflows under way and why
// they wait) and my shortcut buttons; a shortcut's form is rendered from its fields and
// starts the shortcut's workflow for this contact.

import Form from "@rjsf/core";
import { useState } from "react";
import { api, type ContactView, type Shortcut } from "../api";
import { validator } from "../shared/validator";
import { shortcutSchema } from "./shortcuts";
import { useConsole } from "./store";

export function ContactPanel({ contactId, name, contact, onAct }: {
  contactId: number;
  name: string;
  contact: ContactView | null;
  /** Do something to the conversation (then it reloads). */
  onAct: (what: () => Promise<unknown>) => void;
}) {
  const shortcuts = useConsole((s) => s.shortcuts);
  const [pressing, setPressing] = useState<Shortcut | null>(null);
  return (
    <aside className="side contact-panel" aria-label="Contact">
      <h2>{name}</h2>
      <dl className="small">
        {contact?.email && (
          <>
            <dt>Email</dt>
            <dd>{contact.email}</dd>
          </>
        )}
        {contact?.phone && (
          <>
            <dt>Phone</dt>
            <dd>{contact.phone}</dd>
          </>
        )}
        <dt>Channel</dt>
        <dd>{contact?.channel ?? "—"}</dd>
        {Object.entries(contact?.fields ?? {}).map(([k, v]) => (
          <span key={k}>
            <dt>{k}</dt>
            <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
          </span>
        ))}
      </dl>
      <h3>Tags</h3>
      <p className="small" data-testid="tags">
        {contact?.tags.length ? contact.tags.join(", ") : "none"}
      </p>
      <h3>Workflows under way</h3>
      <ul className="runs small" aria-label="Runs under way">
        {(contact?.active_runs ?? []).map((r) => (
          <li key={r.id}>
            <strong>{r.workflow_id}</strong> at <code>{r.step}</code>
            {r.waiting ? ` — ${r.waiting.reason}` : ""}
          </li>
        ))}
        {(contact?.active_runs ?? []).length === 0 && <li className="muted">none</li>}
      </ul>
      <h3>Shortcuts</h3>
      <div className="shortcuts">
        {shortcuts.map((s) => (
          <button key={s.workflow_id} onClick={() => setPressing(s)} data-shortcut={s.workflow_id}>
            {s.label}
          </button>
        ))}
        {shortcuts.length === 0 && <p className="muted small">No shortcuts for you.</p>}
      </div>
      {pressing && (
        <div className="shortcut-form" role="dialog" aria-label={pressing.label}>
          <h3>{pressing.label}</h3>
          <ShortcutForm
            shortcut={pressing}
            onCancel={() => setPressing(null)}
            onSubmit={(form) => {
              const s = pressing;
              setPressing(null);
              onAct(() => api.press(s.workflow_id, contactId, form));
            }}
          />
        </div>
      )}
    </aside>
  );
}

function ShortcutForm(props: { shortcut: Shortcut; onSubmit: (form: Record<string, unknown>) => void; onCancel: () => void }) {
  const { schema, uiSchema } = shortcutSchema(props.shortcut.form);
  return (
    <Form schema={schema} uiSchema={uiSchema} validator={validator} onSubmit={(e) => props.onSubmit((e.formData ?? {}) as Record<string, unknown>)}>
      <div className="form-actions">
        <button type="submit" className="primary">
          Start
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}
