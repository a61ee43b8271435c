// The side panel: the selected step's settings as a form rendered from its kind's JSON Schema
// (react-jsonschema-form; nothing is written per kind), its id (renaming updates every
// reference) and label, and its problems; the trigger's settings; or, with nothing
// selected, the workflow's name and every problem in the file.

import Form from "@rjsf/core";
import type { RJSFSchema, UiSchema } from "@rjsf/utils";
import { validator } from "../shared/validator";
import { useEffect, useState } from "react";
import { api, type Diagnostic, type KindInfo } from "../api";
import { formSchema, variablesOf } from "./catalog";
import { conditionUiSchema } from "./condition";
import { ConditionField } from "./ConditionField";
import { ChannelPreview } from "./ChannelPreview";
import { TemplateWidget } from "./TemplateWidget";
import { problemsIn, problemsOf } from "./graph";
import { useEditor } from "./store";
import {
  configure,
  removeStep,
  renameProblem,
  renameStep,
  setLabel,
  setTrigger,
  settingsOf,
  TRIGGER,
  type WorkflowFile,
} from "./workflow";

const HIDE_SUBMIT: UiSchema = { "ui:submitButtonOptions": { norender: true } };

/** Conditions (branches, trigger conditions) get the rows editor instead of a generic form,
 *  template texts the variable autocomplete. */
const FIELDS = { condition: ConditionField };
/** Template texts get the variable autocomplete. */
const WIDGETS = { template: TemplateWidget };

function uiSchemaFor(schema: object): UiSchema {
  return { ...HIDE_SUBMIT, ...conditionUiSchema(schema as Record<string, unknown>) };
}

/**
 * Drops what the form fills in but the file did not say: empty values, and defaults the
 * schema states (the engine applies those itself), so opening a step changes nothing.
 */
type PropertySchema = { default?: unknown; $ref?: string; required?: string[] };

export function tidy(
  settings: Record<string, unknown>,
  before: Record<string, unknown>,
  schema: { properties?: Record<string, PropertySchema>; $defs?: Record<string, PropertySchema> },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!(key in before)) {
      const empty = value === null || value === "" || (Array.isArray(value) && value.length === 0);
      const property = schema.properties?.[key];
      const fallback = property?.default;
      if (empty || (fallback !== undefined && JSON.stringify(fallback) === JSON.stringify(value))) continue;
      // An optional object the form filled with its fields' defaults (a template's
      // language) while its required fields are still empty was not written by anyone.
      const target = property?.$ref ? schema.$defs?.[property.$ref.split("/").pop() ?? ""] : property;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        const fields = value as Record<string, unknown>;
        if ((target?.required ?? []).some((r) => fields[r] === undefined || fields[r] === "")) continue;
      }
    }
    out[key] = value;
  }
  return out;
}

function ProblemList({ problems, file }: { problems: Diagnostic[]; file?: WorkflowFile }) {
  if (problems.length === 0) return <p className="muted small">No problems.</p>;
  return (
    <ul className="problems">
      {problems.map((d, i) => (
        <li key={i} className={d.severity} data-code={d.code}>
          <button
            className="quiet"
            onClick={() => file && d.step && file.steps?.[d.step] && useEditor.getState().select(d.step)}
          >
            <strong>{d.code}</strong> {d.pos ? `${d.pos.line}:${d.pos.col} ` : ""}
            {d.message}
            {d.help ? ` — ${d.help}` : ""}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function SidePanel({ kinds }: { kinds: Map<string, KindInfo> }) {
  const file = useEditor((s) => s.file);
  const selected = useEditor((s) => s.selected);
  const compiled = useEditor((s) => s.compiled);
  const diagnostics = problemsIn(compiled);
  if (!file) return <aside className="side" />;
  if (selected === TRIGGER) return <TriggerPanel file={file} diagnostics={diagnostics} />;
  const step = selected ? file.steps?.[selected] : undefined;
  if (!selected || !step) {
    return (
      <aside className="side" aria-label="Workflow">
        <h2>Workflow</h2>
        <label>
          Name
          <input
            value={file.name ?? ""}
            onChange={(e) => useEditor.getState().edit((f) => ({ ...f, name: e.target.value }))}
          />
        </label>
        <label>
          Description
          <textarea
            value={file.description ?? ""}
            onChange={(e) => useEditor.getState().edit((f) => ({ ...f, description: e.target.value }))}
          />
        </label>
        <h3>Problems</h3>
        <ProblemList problems={diagnostics} file={file} />
      </aside>
    );
  }
  const kind = kinds.get(step.kind);
  const schema = kind ? formSchema(kind) : {};
  return (
    <aside className="side" aria-label="Step settings">
      <h2>{kind?.title ?? step.kind}</h2>
      <p className="muted small">{kind?.description}</p>
      <StepId id={selected} file={file} />
      <label>
        Label on the canvas
        <input
          value={step.label ?? ""}
          onChange={(e) => useEditor.getState().edit((f) => setLabel(f, selected, e.target.value))}
        />
      </label>
      {kind ? (
        <Form
          key={selected}
          schema={schema as RJSFSchema}
          uiSchema={uiSchemaFor(schema)}
          fields={FIELDS}
          widgets={WIDGETS}
          formContext={{ variables: variablesOf(file.steps ?? {}, kinds) }}
          formData={settingsOf(step)}
          validator={validator}
          onChange={(e) => {
            const before = settingsOf(step);
            const next = tidy((e.formData ?? {}) as Record<string, unknown>, before, schema);
            if (JSON.stringify(next) !== JSON.stringify(before)) {
              useEditor.getState().edit((f) => configure(f, selected, next));
            }
          }}
        />
      ) : (
        <p className="error">Unknown step kind `{step.kind}`.</p>
      )}
      <details>
        <summary>Variables you can use in texts</summary>
        <ul className="variables">
          {variablesOf(file.steps ?? {}, kinds)
            .filter((v) => !v.startsWith(`steps.${selected}.`))
            .map((v) => (
              <li key={v}>
                <code>{`{{${v}}}`}</code>
              </li>
            ))}
        </ul>
      </details>
      <h3>Problems</h3>
      <ProblemList problems={problemsOf(diagnostics, selected)} />
      {(step.kind === "send_message" || step.kind === "ask") && <ChannelPreview step={step as Record<string, unknown>} />}
      <button
        className="danger"
        onClick={() => {
          useEditor.getState().edit((f) => removeStep(f, selected));
          useEditor.getState().select(null);
        }}
      >
        Delete step
      </button>
    </aside>
  );
}

function StepId({ id, file }: { id: string; file: WorkflowFile }) {
  const [value, setValue] = useState(id);
  useEffect(() => setValue(id), [id]);
  const problem = renameProblem(file, id, value);
  const commit = () => {
    if (value !== id && !problem) {
      useEditor.getState().edit((f) => renameStep(f, id, value));
      useEditor.getState().select(value);
    }
  };
  return (
    <label>
      Step id
      <input
        aria-label="Step id"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === "Enter" && commit()}
        aria-invalid={problem !== null}
      />
      {problem && <span className="error small">{problem}</span>}
    </label>
  );
}

function TriggerPanel({ file, diagnostics }: { file: WorkflowFile; diagnostics: Diagnostic[] }) {
  const [schema, setSchema] = useState<RJSFSchema | null>(null);
  useEffect(() => {
    api.fileSchema().then((s) => {
      const whole = s as { properties: { trigger: RJSFSchema }; $defs: Record<string, RJSFSchema> };
      // Each kind of trigger is titled by its type, so the picker reads "conversation_closed".
      const options = (whole.properties.trigger.oneOf ?? []).map((o) => {
        const option = o as RJSFSchema & { properties?: { type?: { const?: string } } };
        return { ...option, title: option.properties?.type?.const ?? option.title };
      });
      setSchema({ ...whole.properties.trigger, oneOf: options, $defs: whole.$defs } as RJSFSchema);
    });
  }, []);
  return (
    <aside className="side" aria-label="Trigger settings">
      <h2>Trigger</h2>
      <p className="muted small">What starts this workflow for a contact.</p>
      {schema && (
        <Form
          schema={schema}
          uiSchema={uiSchemaFor(schema)}
          fields={FIELDS}
          widgets={WIDGETS}
          formContext={{ variables: variablesOf(file.steps ?? {}, new Map()) }}
          formData={file.trigger ?? {}}
          validator={validator}
          onChange={(e) => {
            const next = tidy((e.formData ?? {}) as Record<string, unknown>, file.trigger ?? {}, {});
            if (JSON.stringify(next) !== JSON.stringify(file.trigger ?? {})) {
              useEditor.getState().edit((f) => setTrigger(f, next));
            }
          }}
        />
      )}
      <h3>Problems</h3>
      <ProblemList problems={problemsOf(diagnostics, TRIGGER)} />
    </aside>
  );
}
