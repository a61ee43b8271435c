// Dead letters as the Dead letters page shows them: who an event was about and what it was,
// in a line, from its payload (the event as it was queued), and how long ago it failed.

import type { DeadLetter } from "../api";

export type { DeadLetter };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Who the event is about: `contact 12`, `+1555 on whatsapp`, or null (a webhook, a status). */
export function contactOf(payload: unknown): string | null {
  if (!isObj(payload) || !isObj(payload.contact)) return null;
  const c = payload.contact;
  if (typeof c.id === "number") return `contact ${c.id}`;
  if (isObj(c.address) && typeof c.address.address === "string") {
    return `${c.address.address} on ${String(c.address.channel ?? "?")}`;
  }
  return null;
}

/** The event in a line: its type, who it is about, and a message's text (shortened). */
export function summary(payload: unknown): string {
  if (!isObj(payload)) return "unreadable event";
  const type = typeof payload.type === "string" ? payload.type.replace(/_/g, " ") : "event";
  const who = contactOf(payload);
  const workflow = typeof payload.workflow === "string" ? ` (${payload.workflow})` : "";
  const text = isObj(payload.message) && typeof payload.message.text === "string" ? payload.message.text : null;
  const quoted = text === null ? "" : `: “${text.length > 60 ? `${text.slice(0, 59)}…` : text}”`;
  return `${type}${workflow}${who ? ` for ${who}` : ""}${quoted}`;
}

/** How long before `now` the dead letter failed, in the largest whole unit. */
export function ago(failedAt: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(failedAt).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}
