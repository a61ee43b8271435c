// One open conversation's data: the contact, the transcript and where the conversation
// stands (assigned, queued, closed); loaded on opening, again when live events are about this
// contact, and after each of my actions (`act`). A 403 means it is no longer mine to see.

import { useCallback, useEffect, useState } from "react";
import { ApiError, api, type ContactView, type TimelineLine } from "../api";
import { errorText } from "../shared/ui";
import { useConsole } from "./store";

interface Conversation {
  contact: ContactView | null;
  lines: TimelineLine[];
  status: string | null;
}

export function useConversation(contactId: number) {
  const [seen, setSeen] = useState<Conversation>({ contact: null, lines: [], status: null });
  const tick = useConsole((s) => s.tick);
  const changed = useConsole((s) => s.changed);
  const { setError, gone, acted } = useConsole.getState();

  const load = useCallback(async () => {
    try {
      const [contact, lines, open] = await Promise.all([api.contact(contactId), api.transcript(contactId), api.conversations()]);
      const mine = open.find((x) => x.contact_id === contactId);
      const status = mine ? (mine.assignee_id ? `assigned to ${mine.assignee_id}` : mine.team ? `in the ${mine.team} queue` : "unassigned") : "closed";
      setSeen({ contact, lines, status });
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) gone();
      else setError(errorText(e));
    }
  }, [contactId, setError, gone]);

  useEffect(() => {
    load();
  }, [load]);
  useEffect(() => {
    if (tick > 0 && (changed === null || changed.has(contactId))) load();
  }, [tick, changed, contactId, load]);

  /** Do something to the conversation, then reload it (and the inbox). */
  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      acted();
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return { ...seen, act };
}
