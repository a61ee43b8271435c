// The console store: an admin has no "mine" tab, opening a conversation drops the info line,
// a conversation handed away closes with a notice, and signing out forgets everything.

import { beforeEach, describe, expect, it } from "vitest";
import type { Me } from "../api";
import { useConsole } from "./store";

const admin = { role: "admin", agent_id: null, agent: null } as unknown as Me;

describe("the console store", () => {
  beforeEach(() => useConsole.getState().reset());

  it("shows an admin everything instead of nothing of theirs", () => {
    useConsole.getState().setMe(admin);
    expect(useConsole.getState().tab).toBe("all");
    useConsole.getState().setTab("unassigned");
    useConsole.getState().setMe(admin);
    expect(useConsole.getState().tab).toBe("unassigned");
  });

  it("opens, loses and forgets conversations", () => {
    const { pick, gone, setNotice, liveChanged, reset } = useConsole.getState();
    setNotice("Something happened.");
    pick(7);
    expect(useConsole.getState()).toMatchObject({ selected: 7, notice: null });
    liveChanged(new Set([7]));
    expect(useConsole.getState()).toMatchObject({ tick: 1, changed: new Set([7]) });
    gone();
    expect(useConsole.getState()).toMatchObject({ selected: null, notice: "That conversation was handed to another agent or team." });
    reset();
    expect(useConsole.getState()).toMatchObject({ selected: null, notice: null, tick: 0, tab: "mine", me: null });
  });
});
