// Live updates from `/api/live` (server-sent events). EventSource cannot send the bearer
// token, so the stream is read with fetch and parsed by eventsource-parser. It reconnects
// after a dropped connection (with a growing pause) until `close` is called; after a
// reconnect, or a `lagged` event, the caller gets a "reload" callback, since events were
// missed.

import { EventSourceParserStream } from "eventsource-parser/stream";
import { savedToken } from "../api";

export interface LiveEvent {
  type: "run" | "messages" | "lagged";
  data: Record<string, unknown>;
}

export function subscribe(query: Record<string, string | number>, onEvent: (e: LiveEvent) => void): () => void {
  const controller = new AbortController();
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  let pause = 500;
  let connected = false;

  const connect = async () => {
    while (!controller.signal.aborted) {
      try {
        const headers: Record<string, string> = { accept: "text/event-stream" };
        const token = savedToken();
        if (token) headers.authorization = `Bearer ${token}`;
        const res = await fetch(`/api/live?${params}`, { headers, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`live updates: HTTP ${res.status}`);
        if (connected) onEvent({ type: "lagged", data: {} });
        connected = true;
        pause = 500;
        const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
        for await (const event of events as unknown as AsyncIterable<{ event?: string; data: string }>) {
          const type = (event.event ?? "message") as LiveEvent["type"];
          let data: Record<string, unknown> = {};
          try {
            data = JSON.parse(event.data);
          } catch {
            // `lagged` carries a count, not JSON.
          }
          onEvent({ type, data });
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 10_000);
    }
  };
  connect();
  return () => controller.abort();
}

/**
 * Like `subscribe`, but events arriving within `ms` of the first are handed over together, so
 * a burst (a flow sending three messages) costs one reload. Unsubscribing drops a pending batch.
 */
export function subscribeBatched(
  query: Record<string, string | number>,
  ms: number,
  onBatch: (events: LiveEvent[]) => void,
): () => void {
  let batch: LiveEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = subscribe(query, (e) => {
    batch.push(e);
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      const events = batch;
      batch = [];
      onBatch(events);
    }, ms);
  });
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}
