// The one chat composer keeps what each chat's users and browser tests find it by: the text
// box's name and placeholder, a Send submit button, and the chat's own buttons in a row below.

import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Composer } from "./Composer";

describe("the chat composer", () => {
  it("is a form with the named text box and Send", () => {
    const html = renderToStaticMarkup(<Composer label="Reply" placeholder="Write a reply…" onSend={() => undefined} />);
    expect(html).toContain('<input aria-label="Reply" placeholder="Write a reply…" value=""/>');
    expect(html).toContain('<button type="submit" class="primary">Send</button>');
    expect(html).not.toContain("composer-actions");
  });

  it("puts the chat's own buttons below", () => {
    const html = renderToStaticMarkup(
      <Composer label="Message as the contact" placeholder="Write as the contact…" onSend={() => undefined} actions={<button>Fast-forward</button>} />,
    );
    expect(html).toMatch(/<\/form><div class="composer-actions"><button>Fast-forward<\/button><\/div><\/div>$/);
  });
});
