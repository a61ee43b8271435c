import { describe, expect, it } from "vitest";
import { bubbleOf, formatLabel, previewBodyOf } from "./channelPreview";

describe("what a step would send", () => {
  it("a choice question sends its options with their ports as payloads", () => {
    const body = previewBodyOf({
      kind: "ask",
      type: "choice",
      text: "Which team?",
      options: [{ id: "sales", label: "Sales" }, { label: "Talk to a person" }],
    });
    expect(body?.options).toEqual([
      { title: "Sales", payload: "sales" },
      { title: "Talk to a person", payload: "talk_to_a_person" },
    ]);
  });

  it("a rating sends stars, a question without buttons none, other steps nothing", () => {
    expect(previewBodyOf({ kind: "ask", type: "rating", scale: 3, text: "Rate us" })?.options.map((o) => o.title)).toEqual([
      "★",
      "★★",
      "★★★",
    ]);
    expect(previewBodyOf({ kind: "ask", type: "choice", buttons: false, options: [{ label: "A" }] })?.options).toEqual([]);
    expect(previewBodyOf({ kind: "wait", for: "1h" })).toBeNull();
  });

  it("a message keeps its template for after the window", () => {
    const body = previewBodyOf({ kind: "send_message", text: "Hi", template: { name: "hello", params: ["x"] } });
    expect(body?.template).toEqual({ name: "hello", params: ["x"] });
  });
});

describe("how a rendered message shows", () => {
  it("a WhatsApp list opens from one button", () => {
    const rows = ["A", "B", "C", "D", "E"].map((t) => ({ id: t, title: t }));
    const bubble = bubbleOf("whatsapp", {
      format: "list",
      notes: [],
      calls: [{ path: "/v21.0/1/messages", body: { type: "interactive", interactive: { type: "list", body: { text: "Pick" }, action: { button: "Choose", sections: [{ rows }] } } } }],
    });
    expect(bubble).toEqual({ text: "Pick", buttons: ["A", "B", "C", "D", "E"], listButton: "Choose", attachments: [] });
    expect(formatLabel("list", 5)).toBe("List message (5 rows)");
  });

  it("LINE quick replies and a Telegram keyboard show their labels", () => {
    const line = bubbleOf("line", {
      format: "quick_replies",
      notes: [],
      calls: [{ path: "/v2/bot/message/push", body: { messages: [{ type: "text", text: "Hi", quickReply: { items: [{ action: { label: "Yes" } }] } }] } }],
    });
    expect([line.text, line.buttons]).toEqual(["Hi", ["Yes"]]);
    const telegram = bubbleOf("telegram", {
      format: "inline_keyboard",
      notes: [],
      calls: [{ path: "/sendMessage", body: { chat_id: "1", text: "Hi", reply_markup: { inline_keyboard: [[{ text: "No" }], [{ text: "Yes" }]] } } }],
    });
    expect(telegram.buttons).toEqual(["No", "Yes"]);
  });

  it("a WhatsApp template shows its name and parameters", () => {
    const bubble = bubbleOf("whatsapp", {
      format: "template",
      notes: [],
      calls: [{ path: "/x", body: { type: "template", template: { name: "order_ready", components: [{ parameters: [{ text: "A-17" }] }] } } }],
    });
    expect(bubble.text).toBe("Template “order_ready” (A-17)");
  });
});
