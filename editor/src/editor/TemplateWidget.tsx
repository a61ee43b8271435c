// Template texts (`Hi {{contact.first_name}}`): a text box whose `{{` opens a list of the
// variables this step may use (arrows and Enter or a click insert one), and a { } button
// that inserts a variable at the caret.

import type { WidgetProps } from "@rjsf/utils";
import { useRef, useState } from "react";
import { complete, completions } from "./condition";

export function TemplateWidget(props: WidgetProps) {
  const variables: string[] = (props.registry.formContext as { variables?: string[] } | undefined)?.variables ?? [];
  const box = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [picker, setPicker] = useState(false);
  // Escape closes the list until the text changes; it shows only while the box has focus.
  const [dismissed, setDismissed] = useState(false);
  const [focused, setFocused] = useState(false);
  const value = typeof props.value === "string" ? props.value : "";
  const open = completions(value, caret, variables);
  const shown = picker ? { from: caret, items: variables } : focused && !dismissed ? open : null;

  const insert = (variable: string) => {
    const result = picker
      ? complete(`${value.slice(0, caret)}{{${value.slice(caret)}`, caret + 2, caret + 2, variable)
      : complete(value, caret, shown?.from ?? caret, variable);
    props.onChange(result.text);
    setPicker(false);
    setActive(0);
    requestAnimationFrame(() => {
      box.current?.focus();
      box.current?.setSelectionRange(result.caret, result.caret);
      setCaret(result.caret);
    });
  };

  return (
    <div className="template">
      <div className="template-input">
        <textarea
          ref={box}
          id={props.id}
          rows={value.length > 60 ? 3 : 1}
          value={value}
          disabled={props.disabled || props.readonly}
          onChange={(e) => {
            props.onChange(e.target.value);
            setCaret(e.target.selectionStart);
            setActive(0);
            setDismissed(false);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onFocus={() => setFocused(true)}
          onBlur={() => {
            setFocused(false);
            setTimeout(() => setPicker(false), 150);
          }}
          onKeyDown={(e) => {
            if (!shown || shown.items.length === 0) return;
            if (e.key === "ArrowDown") setActive((a) => Math.min(a + 1, shown.items.length - 1));
            else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
            else if (e.key === "Enter" || e.key === "Tab") insert(shown.items[active]);
            else if (e.key === "Escape") {
              setPicker(false);
              setDismissed(true);
            }
            else return;
            e.preventDefault();
          }}
        />
        <button type="button" className="quiet" title="Insert a variable" aria-label="Insert a variable" onClick={() => setPicker((p) => !p)}>
          {"{ }"}
        </button>
      </div>
      {shown && shown.items.length > 0 && (
        <ul className="completions" role="listbox" aria-label="Variables">
          {shown.items.map((v, i) => (
            <li
              key={v}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                insert(v);
              }}
            >
              {v}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
