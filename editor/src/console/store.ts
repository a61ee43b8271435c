// The console's state, one zustand store in slices (as the editor's): who I am (my agent, the
// agents to assign to, my shortcuts), the inbox (the tab, its conversations, the queue, the
// conversation picked, what live updates changed) and the notice lines. `reset` clears it
// when the console closes (signing out), so the next sign-in starts afresh.

import { create, type StateCreator } from "zustand";
import type { Agent, ConversationRow, Me, QueuedContact, Shortcut } from "../api";

export const TABS = [
  ["mine", "Mine"],
  ["unassigned", "Unassigned"],
  ["all", "All I can see"],
] as const;

export type Tab = (typeof TABS)[number][0];

export interface SessionSlice {
  me: Me | null;
  agents: Agent[];
  shortcuts: Shortcut[];
  /** Bumped after my own actions: who I am, the agents and my shortcuts load again. */
  people: number;
  setMe: (me: Me) => void;
  setAgents: (agents: Agent[]) => void;
  setShortcuts: (shortcuts: Shortcut[]) => void;
  peopleChanged: () => void;
}

export interface InboxSlice {
  tab: Tab;
  inbox: ConversationRow[];
  queue: QueuedContact[];
  /** The contact whose conversation is open. */
  selected: number | null;
  /** Bumped by live updates and my own actions: whatever is on screen reloads. */
  tick: number;
  /** Contacts the latest live events were about (`null`: reload anyway, events were missed). */
  changed: Set<number> | null;
  setTab: (tab: Tab) => void;
  setInbox: (inbox: ConversationRow[]) => void;
  setQueue: (queue: QueuedContact[]) => void;
  /** Open a contact's conversation (the info line goes). */
  pick: (contactId: number) => void;
  /** Live events arrived about `changed` contacts (`null`: about anything). */
  liveChanged: (changed: Set<number> | null) => void;
  /** I acted on the open conversation: the inbox and who I am reload. */
  acted: () => void;
}

export interface NoticeSlice {
  error: string | null;
  notice: string | null;
  setError: (error: string | null) => void;
  setNotice: (notice: string | null) => void;
  /** The open conversation is no longer mine to see (escalated, reassigned). */
  gone: () => void;
}

export type ConsoleState = SessionSlice & InboxSlice & NoticeSlice & { reset: () => void };
type Slice<T> = StateCreator<ConsoleState, [], [], T>;

const INITIAL = {
  me: null,
  agents: [],
  shortcuts: [],
  people: 0,
  tab: "mine" as Tab,
  inbox: [],
  queue: [],
  selected: null,
  tick: 0,
  changed: null,
  error: null,
  notice: null,
} satisfies Partial<ConsoleState>;

const createSessionSlice: Slice<SessionSlice> = (set) => ({
  me: INITIAL.me,
  agents: INITIAL.agents,
  shortcuts: INITIAL.shortcuts,
  people: INITIAL.people,
  // An admin acts as no agent: nothing is "mine".
  setMe: (me) => set((s) => ({ me, tab: !me.agent_id && s.tab === "mine" ? "all" : s.tab })),
  setAgents: (agents) => set({ agents }),
  setShortcuts: (shortcuts) => set({ shortcuts }),
  peopleChanged: () => set((s) => ({ people: s.people + 1 })),
});

const createInboxSlice: Slice<InboxSlice> = (set) => ({
  tab: INITIAL.tab,
  inbox: INITIAL.inbox,
  queue: INITIAL.queue,
  selected: INITIAL.selected,
  tick: INITIAL.tick,
  changed: INITIAL.changed,
  setTab: (tab) => set({ tab }),
  setInbox: (inbox) => set({ inbox }),
  setQueue: (queue) => set({ queue }),
  pick: (selected) => set({ notice: null, selected }),
  liveChanged: (changed) => set((s) => ({ changed, tick: s.tick + 1 })),
  acted: () => set((s) => ({ tick: s.tick + 1, people: s.people + 1 })),
});

const createNoticeSlice: Slice<NoticeSlice> = (set) => ({
  error: INITIAL.error,
  notice: INITIAL.notice,
  setError: (error) => set({ error }),
  setNotice: (notice) => set({ notice }),
  gone: () => set({ selected: null, notice: "That conversation was handed to another agent or team." }),
});

export const useConsole = create<ConsoleState>()((...a) => ({
  ...createSessionSlice(...a),
  ...createInboxSlice(...a),
  ...createNoticeSlice(...a),
  reset: () => a[0](INITIAL),
}));
