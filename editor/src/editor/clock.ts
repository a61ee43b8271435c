// The test chat's "Pretend it is…" control, its pure parts: a wall-clock time in a timezone
// as the RFC 3339 instant the server takes (`at`, with that zone's offset then), the
// timezone to offer first, and a session's clock shown in that timezone.

import type { WorkflowFile } from "./workflow";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Is `timeZone` an IANA name this browser knows (`Asia/Tokyo`)? */
export function isTimeZone(timeZone: string): boolean {
  if (!timeZone.trim()) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The offset of `timeZone` from UTC at `instant` (ms since the epoch), in minutes. */
export function zoneOffsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * The instant a wall-clock time (`2026-12-05T10:00`, as a datetime-local input gives it) has
 * in `timeZone`, written with the zone's offset: `2026-12-05T10:00:00+09:00`. Or a sentence
 * saying what is wrong.
 */
export function pretendAt(local: string, timeZone: string): { at: string } | { error: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return { error: "Pick a date and a time." };
  if (!isTimeZone(timeZone)) return { error: `Unknown timezone "${timeZone}": use a name like Asia/Tokyo.` };
  const [, y, mo, d, h, mi, s = "00"] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // The zone's offset at the wall time read as UTC, then at the instant that gives: the
  // second look corrects a guess that fell on the other side of a daylight-saving change.
  let offset = zoneOffsetMinutes(wall, timeZone);
  offset = zoneOffsetMinutes(wall - offset * 60_000, timeZone);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return { at: `${y}-${mo}-${d}T${h}:${mi}:${s}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}` };
}

/** The timezone to offer first: the first one a step of the workflow names (business hours), else the browser's. */
export function defaultTimeZone(file: WorkflowFile, browser = Intl.DateTimeFormat().resolvedOptions().timeZone): string {
  for (const step of Object.values(file.steps ?? {})) {
    const tz = (step as Record<string, unknown> | null)?.timezone;
    if (typeof tz === "string" && isTimeZone(tz)) return tz;
  }
  return browser || "UTC";
}

/** A session's time in `timeZone` as people read it: `Sat 2026-12-05 10:00 (Asia/Tokyo)`. */
export function showClock(now: string, timeZone: string): string {
  const instant = Date.parse(now);
  if (Number.isNaN(instant)) return now;
  const zone = isTimeZone(timeZone) ? timeZone : "UTC";
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("weekday")} ${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")} (${zone})`;
}
