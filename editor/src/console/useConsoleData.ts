// What the console loads and follows: who I am, the agents to assign to and my shortcuts (on
// sign-in and after my own actions, not on every live event); the inbox of the tab and the
// queue (again on each live change, and the queue every minute, since waits grow without an
// event); and the live stream, whose bursts are coalesced into one reload.

import { useEffect } from "react";
import { api } from "../api";
import { subscribeBatched } from "../shared/live";
import { errorText } from "../shared/ui";
import { useConsole } from "./store";

export function useConsoleData() {
  const people = useConsole((s) => s.people);
  const tab = useConsole((s) => s.tab);
  const tick = useConsole((s) => s.tick);
  const me = useConsole((s) => s.me);
  const { setMe, setAgents, setShortcuts, setInbox, setQueue, setError, liveChanged } = useConsole.getState();

  useEffect(() => {
    api.me().then(setMe, (e) => setError(errorText(e)));
    api.agents().then(setAgents, () => undefined);
    api.shortcuts().then(setShortcuts, () => undefined);
  }, [people, setMe, setAgents, setShortcuts, setError]);

  useEffect(() => {
    if (!me) return;
    const assignee = tab === "all" ? undefined : tab === "mine" ? "me" : "unassigned";
    api.conversations(assignee).then(setInbox, (e) => setError(errorText(e)));
    api.queue().then(setQueue, () => undefined);
  }, [tab, tick, me, setInbox, setQueue, setError]);

  useEffect(() => {
    const timer = setInterval(() => api.queue().then(setQueue, () => undefined), 60_000);
    return () => clearInterval(timer);
  }, [setQueue]);

  // The inbox reloads on any change; the open conversation only when the change is about its
  // contact (or events were missed).
  useEffect(
    () =>
      subscribeBatched({}, 150, (events) => {
        const missed = events.some((e) => e.type === "lagged");
        const ids = events.map((e) => e.data.contact_id).filter((id): id is number => typeof id === "number");
        liveChanged(missed ? null : new Set(ids));
      }),
    [liveChanged],
  );
}
