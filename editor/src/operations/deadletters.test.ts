import { describe, expect, it } from "vitest";
import { ago, contactOf, summary } from "./deadletters";

describe("dead letters", () => {
  it("says who an event was about", () => {
    expect(contactOf({ type: "tag_updated", contact: { id: 12 } })).toBe("contact 12");
    expect(contactOf({ contact: { address: { channel: "whatsapp", address: "+1555" } } })).toBe("+1555 on whatsapp");
    expect(contactOf({ type: "webhook", workflow: "shipped", payload: {} })).toBeNull();
    expect(contactOf("not json")).toBeNull();
  });

  it("sums an event up in a line", () => {
    const closed = { type: "conversation_closed", closed_by: "agent:bob", contact: { address: { channel: "simulator", address: "zed" } } };
    expect(summary(closed)).toBe("conversation closed for zed on simulator");
    const message = { type: "message_received", contact: { id: 3 }, message: { text: "x".repeat(80) } };
    expect(summary(message)).toBe(`message received for contact 3: “${"x".repeat(59)}…”`);
    expect(summary({ type: "webhook", workflow: "shipped" })).toBe("webhook (shipped)");
    expect(summary("{broken")).toBe("unreadable event");
  });

  it("says how long ago it failed", () => {
    const now = new Date("2026-12-02T10:00:00Z");
    expect(ago("2026-12-02T09:59:30Z", now)).toBe("30 s ago");
    expect(ago("2026-12-02T09:15:00Z", now)).toBe("45 min ago");
    expect(ago("2026-12-01T07:00:00Z", now)).toBe("1 d ago");
    expect(ago("2026-12-02T10:00:05Z", now)).toBe("0 s ago");
  });
});
