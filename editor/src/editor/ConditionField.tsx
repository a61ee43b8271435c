// The condition editor (a react-jsonschema-form field for every schema marked
// `x-switchboard-condition`): rows of field, operator and value matched by all or any, with
// variable suggestions for the field; or, as the advanced form, a Rhai expression.

import type { FieldProps } from "@rjsf/utils";
import { useId, useState } from "react";
import { asGroup, fromGroup, isRow, OPS, parseValue, takesValue, toRhai, valueText, type Condition, type Op } from "./condition";

export function ConditionField(props: FieldProps) {
  const condition = (props.formData ?? null) as Condition | null;
  const variables: string[] = (props.registry.formContext as { variables?: string[] } | undefined)?.variables ?? [];
  const listId = useId();
  const set = (c: Condition) => props.onChange(c, props.fieldPathId.path, undefined, props.fieldPathId.$id);

  if (condition && "expression" in condition) {
    return (
      <div className="condition">
        <label>
          Rhai expression
          <textarea
            aria-label="Condition expression"
            rows={3}
            value={condition.expression}
            onChange={(e) => set({ expression: e.target.value })}
          />
        </label>
        <button type="button" className="quiet" onClick={() => set({ all: [] })} title="Start over with rows (the expression is dropped)">
          Use rows instead
        </button>
      </div>
    );
  }

  const { match, items } = asGroup(condition);
  const update = (i: number, item: Condition) => set(fromGroup(match, items.map((x, j) => (j === i ? item : x))));
  const remove = (i: number) => set(fromGroup(match, items.filter((_, j) => j !== i)));
  return (
    <div className="condition">
      <datalist id={listId}>
        {variables.map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
      <label className="inline">
        Match
        <select aria-label="Match" value={match} onChange={(e) => set({ [e.target.value]: items } as Condition)}>
          <option value="all">all of</option>
          <option value="any">any of</option>
        </select>
      </label>
      {items.map((item, i) =>
        isRow(item) ? (
          <div className="condition-row" key={i} data-row={i}>
            <input
              aria-label="Field"
              list={listId}
              placeholder="contact.fields.plan"
              value={item.field}
              onChange={(e) => update(i, { ...item, field: e.target.value })}
            />
            <select aria-label="Operator" value={item.op} onChange={(e) => update(i, { ...item, op: e.target.value as Op })}>
              {OPS.map(([op, label]) => (
                <option key={op} value={op}>
                  {label}
                </option>
              ))}
            </select>
            {takesValue(item.op) && <ValueInput op={item.op} value={item.value} onChange={(value) => update(i, { ...item, value })} />}
            <button type="button" className="quiet" aria-label="Remove row" onClick={() => remove(i)}>
              ×
            </button>
          </div>
        ) : (
          <div className="condition-row nested" key={i}>
            <code title="Nested groups and expressions are edited in the YAML or as an expression">{toRhai(item)}</code>
            <button type="button" className="quiet" aria-label="Remove row" onClick={() => remove(i)}>
              ×
            </button>
          </div>
        ),
      )}
      <div>
        <button type="button" className="quiet" onClick={() => set(fromGroup(match, [...items, { field: "", op: "eq", value: "" }]))}>
          + Add row
        </button>
        <button
          type="button"
          className="quiet"
          onClick={() => set({ expression: items.length ? toRhai(fromGroup(match, items)) : "" })}
          title="Edit as a Rhai expression (the rows become its text)"
        >
          Advanced: expression
        </button>
      </div>
    </div>
  );
}

/**
 * A row's value: what the user types is kept as typed (spaces, a trailing comma or dot) and
 * the parsed value is what the condition stores.
 */
function ValueInput(props: { op: Op; value: unknown; onChange: (value: unknown) => void }) {
  const [text, setText] = useState(valueText(props.value));
  // Follow outside changes (undo, another row removed), not our own echo.
  const shown = JSON.stringify(parseValue(props.op, text)) === JSON.stringify(props.value) ? text : valueText(props.value);
  return (
    <input
      aria-label="Value"
      placeholder={props.op === "in" || props.op === "not_in" ? "a, b, c" : "value"}
      value={shown}
      onChange={(e) => {
        setText(e.target.value);
        props.onChange(parseValue(props.op, e.target.value));
      }}
    />
  );
}
