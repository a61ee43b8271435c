// The queue in words: how long a contact has waited and whom it waits for.

import type { QueuedContact } from "../api";

/** How long a queued contact has waited, in words ("just now", "12 min", "2 h 5 min", "3 d 4 h"). */
export function waitedFor(seconds: number): string {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Whom a queued contact waits for, as the queue list says it. */
export function queuedFor(q: QueuedContact): string {
  const whom = q.agent ? `agent ${q.agent}` : q.team ? `team ${q.team}` : "anyone";
  return q.online_only ? `${whom}, online` : whom;
}
