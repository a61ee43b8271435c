// The side panel's channel preview, the pure part: what a send or ask step would send (the
// body of `POST /api/channels/preview`, whose answer is the adapters' own rendering), and how
// a rendered message reads in each channel's bubble (text, buttons, the native form).

import type { Preview, PreviewBody, Rendered } from "../api";
import type { ChannelKind } from "../shared/channelKind";

export type { Preview, PreviewBody, Rendered };

/** A choice's port when it has no id, as the engine names it (`Talk to a person` → `talk_to_a_person`). */
function slug(label: string): string {
  const folded = label.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  return folded.replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 56).replace(/_+$/, "");
}

/**
 * What a step would send, channel-neutral; `null` for steps that send nothing. Mirrors the
 * engine: a question's buttons are its options (or a rating's stars) unless `buttons: false`.
 */
export function previewBodyOf(step: Record<string, unknown>): PreviewBody | null {
  const text = typeof step.text === "string" ? step.text : "";
  const attachments = Array.isArray(step.attachments) ? (step.attachments as PreviewBody["attachments"]) : [];
  if (step.kind === "send_message") {
    const replies = Array.isArray(step.quick_replies) ? (step.quick_replies as { title: string; payload?: string }[]) : [];
    return {
      text,
      options: replies.map((q) => ({ title: q.title ?? "", payload: q.payload ?? q.title ?? "" })),
      attachments,
      template: (step.template as PreviewBody["template"]) ?? null,
    };
  }
  if (step.kind === "ask") {
    let options: PreviewBody["options"] = [];
    if (step.buttons !== false) {
      if (step.type === "choice" && Array.isArray(step.options)) {
        options = (step.options as { id?: string; label?: string }[]).map((o) => ({
          title: o.label ?? "",
          payload: o.id ?? slug(o.label ?? ""),
        }));
      } else if (step.type === "rating") {
        const scale = typeof step.scale === "number" ? step.scale : 5;
        options = Array.from({ length: scale }, (_, i) => ({ title: "★".repeat(i + 1), payload: String(i + 1) }));
      }
    }
    return { text, options, attachments: [], template: null };
  }
  return null;
}

/** The native form, in words. */
export function formatLabel(format: string, options: number): string {
  switch (format) {
    case "buttons":
      return `Reply buttons (${options})`;
    case "list":
      return `List message (${options} rows)`;
    case "quick_replies":
      return `Quick replies (${options})`;
    case "inline_keyboard":
      return `Inline keyboard (${options} buttons)`;
    case "numbered_text":
      return "Text with numbered options";
    case "template":
      return "Approved template";
    default:
      return "Text";
  }
}

export interface Bubble {
  text: string;
  buttons: string[];
  /** A WhatsApp list opens from one button. */
  listButton?: string;
  attachments: string[];
}

const get = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string | number, unknown>)[k] : undefined), v);

/** How a rendered message shows in the contact's app. */
export function bubbleOf(kind: ChannelKind, rendered: Rendered): Bubble {
  const bubble: Bubble = { text: "", buttons: [], attachments: [] };
  for (const call of rendered.calls) {
    const b = call.body;
    if (kind === "whatsapp") {
      const type = b.type as string;
      if (type === "text") bubble.text = String(get(b, "text", "body") ?? "");
      else if (type === "interactive") {
        bubble.text = String(get(b, "interactive", "body", "text") ?? "");
        const buttons = get(b, "interactive", "action", "buttons");
        if (Array.isArray(buttons)) bubble.buttons = buttons.map((x) => String(get(x, "reply", "title") ?? ""));
        const rows = get(b, "interactive", "action", "sections", 0, "rows");
        if (Array.isArray(rows)) {
          bubble.buttons = rows.map((r) => String(get(r, "title") ?? ""));
          bubble.listButton = String(get(b, "interactive", "action", "button") ?? "Choose");
        }
      } else if (type === "template") {
        const params = get(b, "template", "components", 0, "parameters");
        const values = Array.isArray(params) ? params.map((p) => String(get(p, "text") ?? "")) : [];
        bubble.text = `Template “${String(get(b, "template", "name"))}”${values.length ? ` (${values.join(", ")})` : ""}`;
      } else bubble.attachments.push(`${type}: ${String(get(b, type, "link") ?? "")}`);
    } else if (kind === "line") {
      const messages = Array.isArray(b.messages) ? b.messages : [];
      for (const m of messages) {
        if (get(m, "type") === "text") {
          bubble.text = String(get(m, "text") ?? "");
          const items = get(m, "quickReply", "items");
          if (Array.isArray(items)) bubble.buttons = items.map((i) => String(get(i, "action", "label") ?? ""));
        } else bubble.attachments.push(`${String(get(m, "type"))}: ${String(get(m, "originalContentUrl") ?? "")}`);
      }
    } else {
      if (call.path === "/sendMessage") {
        bubble.text = String(b.text ?? "");
        const rows = get(b, "reply_markup", "inline_keyboard");
        if (Array.isArray(rows)) bubble.buttons = rows.flat().map((x) => String(get(x, "text") ?? ""));
      } else bubble.attachments.push(`${call.path.replace("/send", "").toLowerCase()}: ${Object.values(b)[1] ?? ""}`);
    }
  }
  return bubble;
}
