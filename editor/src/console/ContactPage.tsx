// The contact page at `/console/contact`: plays a contact on the simulator channel, for
// demos and the console's browser tests. The contact writes, answers buttons and stars, and
// sees the flow's and the agents' messages as they arrive (never internal notes).

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type TimelineLine } from "../api";
import { Composer } from "../shared/Composer";
import { Replies } from "../shared/Replies";
import { Alert, SignOut } from "../shared/ui";
import { subscribeBatched } from "../shared/live";

function randomAddress(): string {
  return `visitor-${Math.random().toString(36).slice(2, 8)}`;
}

export function ContactPage({ onSignOut }: { onSignOut: () => void }) {
  const params = new URLSearchParams(window.location.search);
  const [address, setAddress] = useState(params.get("address") ?? randomAddress());
  const [name, setName] = useState(params.get("name") ?? "Ana Lima");
  const [contactId, setContactId] = useState<number | null>(null);
  const [messages, setMessages] = useState<TimelineLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  // The address is fixed once the contact has written (or was found on opening).
  const addressRef = useRef(address);
  addressRef.current = address;
  const load = useCallback(async () => {
    const asked = addressRef.current;
    try {
      const seen = await api.simConversation(asked);
      if (asked !== addressRef.current) return; // typed on meanwhile: a stale answer
      setContactId(seen.contact_id);
      setMessages(seen.messages);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) setError(e instanceof ApiError ? e.message : String(e));
    }
  }, []);

  // On opening: an address in the URL may be a contact already.
  useEffect(() => {
    load();
  }, [load]);

  useEffect(() => {
    if (contactId === null) return;
    return subscribeBatched({ contact_id: contactId }, 50, load);
  }, [contactId, load]);

  // A block body: scroll methods return a promise in recent browsers, and an effect must
  // return nothing or its cleanup.
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "end" });
  }, [messages.length]);

  const say = async (message: { text?: string; payload?: string }) => {
    setError(null);
    try {
      const said = await api.simSay(address, name, message);
      setContactId(said.contact_id);
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const lastOut = [...messages].reverse().find((m) => m.direction === "out");
  return (
    <div className="contact-page">
      <header className="toolbar">
        <h1>Contact</h1>
        <label className="inline small">
          Name <input aria-label="Contact name" value={name} onChange={(e) => setName(e.target.value)} disabled={contactId !== null} />
        </label>
        <label className="inline small">
          Address <input aria-label="Contact address" value={address} onChange={(e) => setAddress(e.target.value)} disabled={contactId !== null} />
        </label>
        <span className="spacer" />
        <SignOut onSignOut={onSignOut} />
      </header>
      <Alert error={error} />
      <div className="phone" aria-label="Chat">
        {messages.map((m, i) => (
          <div key={i} className={`bubble ${m.direction === "in" ? "in" : "out"}`}>
            <div className="text">{m.text}</div>
            {m === lastOut && <Replies line={m} live onPick={(payload, title) => say({ payload, text: title })} />}
          </div>
        ))}
        {messages.length === 0 && <p className="muted small">Write to start a conversation.</p>}
        <div ref={bottom} />
      </div>
      <Composer label="Message" placeholder="Type a message…" onSend={(text) => say({ text })} />
    </div>
  );
}
