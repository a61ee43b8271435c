// How the selected send or ask step will look on WhatsApp, LINE and Telegram: the server
// renders it through the channel adapters (so the preview is what will be sent) and this
// draws each channel's bubble, its native form (a 5-option question is a list on WhatsApp)
// and what the channel's limits changed. WhatsApp also shows what goes out after the
// 24-hour window: the step's template, or that the message would be refused.

import { useEffect, useState } from "react";
import { api } from "../api";
import type { ChannelKind } from "../shared/channelKind";
import { bubbleOf, formatLabel, type Preview, previewBodyOf, type Rendered } from "./channelPreview";

const TITLES: Record<ChannelKind, string> = { whatsapp: "WhatsApp", line: "LINE", telegram: "Telegram" };

function BubbleView({ kind, rendered, options }: { kind: ChannelKind; rendered: Rendered; options: number }) {
  const bubble = bubbleOf(kind, rendered);
  return (
    <div className="bubble-preview" data-format={rendered.format}>
      <div className="format small">{formatLabel(rendered.format, options)}</div>
      {bubble.attachments.map((a) => (
        <div key={a} className="attachment small">
          📎 {a}
        </div>
      ))}
      <div className="text">{bubble.text}</div>
      {bubble.listButton ? (
        <details>
          <summary className="channel-button">☰ {bubble.listButton}</summary>
          {bubble.buttons.map((b, i) => (
            <div key={i} className="list-row">
              {b}
            </div>
          ))}
        </details>
      ) : (
        bubble.buttons.map((b, i) => (
          <div key={i} className="channel-button">
            {b}
          </div>
        ))
      )}
      {rendered.notes.map((n) => (
        <div key={n} className="note small">
          {n}
        </div>
      ))}
    </div>
  );
}

export function ChannelPreview({ step }: { step: Record<string, unknown> }) {
  const body = previewBodyOf(step);
  const key = JSON.stringify(body);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<ChannelKind>("whatsapp");
  useEffect(() => {
    if (!body) return;
    // An answer for a step (or text) no longer shown is dropped.
    let current = true;
    const timer = setTimeout(() => {
      api.channelPreview(body).then(
        (p) => {
          if (!current) return;
          setPreview(p);
          setError(null);
        },
        (e) => current && setError(String(e?.message ?? e)),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // The body is compared by its text, so an unchanged step asks once.
  }, [key]);
  if (!body) return null;
  const shown = preview?.[tab];
  const outside = shown?.outside_window;
  return (
    <section className="channel-preview" aria-label="Channel preview">
      <h3>On each channel</h3>
      <div role="tablist" className="tabs">
        {(Object.keys(TITLES) as ChannelKind[]).map((k) => (
          <button key={k} role="tab" aria-selected={tab === k} className={tab === k ? "active" : "quiet"} onClick={() => setTab(k)}>
            {TITLES[k]}
          </button>
        ))}
      </div>
      {error && <p className="error small">{error}</p>}
      {shown && (
        <div role="tabpanel" aria-label={`${TITLES[tab]} preview`}>
          <BubbleView kind={tab} rendered={shown.inside_window} options={body.options.length} />
          {outside && (
            <>
              <div className="small muted">More than 24 hours after the contact last wrote:</div>
              {"refused" in outside ? (
                <p className="warning small" role="note">
                  Not sent: {outside.refused}. Add a template or connect the failure port.
                </p>
              ) : (
                <BubbleView kind={tab} rendered={outside} options={body.options.length} />
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
