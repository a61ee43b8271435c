// The test chat's "Pretend it is…" control: a wall-clock time in a timezone becomes the
// instant the server takes, across daylight-saving changes; the timezone offered first; the
// session's clock as shown.

import { describe, expect, it } from "vitest";
import { defaultTimeZone, pretendAt, showClock } from "./clock";
import type { WorkflowFile } from "./workflow";

describe("pretend it is", () => {
  it("Saturday 10:00 in Tokyo, with Tokyo's offset", () => {
    expect(pretendAt("2026-12-05T10:00", "Asia/Tokyo")).toEqual({ at: "2026-12-05T10:00:00+09:00" });
  });
  it("a time in Berlin on either side of daylight saving", () => {
    expect(pretendAt("2026-07-01T09:30", "Europe/Berlin")).toEqual({ at: "2026-07-01T09:30:00+02:00" });
    expect(pretendAt("2026-12-01T09:30", "Europe/Berlin")).toEqual({ at: "2026-12-01T09:30:00+01:00" });
    // The first hour after the change, whose guess falls before it.
    expect(pretendAt("2026-03-29T03:30", "Europe/Berlin")).toEqual({ at: "2026-03-29T03:30:00+02:00" });
  });
  it("west of Greenwich and with half hours", () => {
    expect(pretendAt("2026-12-05T10:00", "America/New_York")).toEqual({ at: "2026-12-05T10:00:00-05:00" });
    expect(pretendAt("2026-12-05T10:00:30", "Asia/Kolkata")).toEqual({ at: "2026-12-05T10:00:30+05:30" });
  });
  it("says what is missing or wrong", () => {
    expect(pretendAt("", "Asia/Tokyo")).toEqual({ error: "Pick a date and a time." });
    expect(pretendAt("2026-12-05T10:00", "Mars/Olympus")).toEqual({
      error: 'Unknown timezone "Mars/Olympus": use a name like Asia/Tokyo.',
    });
  });
});

describe("the timezone offered first", () => {
  it("is the workflow's business hours' timezone, else the browser's", () => {
    const hours = { id: "h", steps: { check: { kind: "business_hours", timezone: "Asia/Tokyo" } } } as unknown as WorkflowFile;
    expect(defaultTimeZone(hours, "Europe/Berlin")).toBe("Asia/Tokyo");
    const none = { id: "n", steps: { hi: { kind: "send_message", text: "Hi" } } } as unknown as WorkflowFile;
    expect(defaultTimeZone(none, "Europe/Berlin")).toBe("Europe/Berlin");
  });
});

describe("the session's clock", () => {
  it("shows in the chosen timezone", () => {
    expect(showClock("2026-12-05T01:00:00+00:00", "Asia/Tokyo")).toBe("Sat 2026-12-05 10:00 (Asia/Tokyo)");
    expect(showClock("2026-12-05T01:00:00+00:00", "nowhere")).toBe("Sat 2026-12-05 01:00 (UTC)");
  });
});
