// The HTTP API as the editor uses it: a bearer token kept in this browser's localStorage,
// JSON in and out, and errors as `ApiError` with the server's `{code, message, details}`.
// The shapes are the server's own answer types: `shared/api-schema.ts` is generated from its
// OpenAPI document (`npm run api-types`); the names below are what the pages use.

import type { components } from "./shared/api-schema";

type Schemas = components["schemas"];

export type Diagnostic = Schemas["Diagnostic"];
export type PortSpec = Schemas["PortSpec"];
export type KindInfo = Schemas["KindInfo"];
export type WorkflowSummary = Schemas["WorkflowSummary"];
export type WorkflowDetail = Schemas["WorkflowDetail"];
export type DraftSaved = Schemas["DraftSaved"];
/** A compile's answer; `warnings` may be missing from an older server's (the editor shows
 * them as diagnostics). */
export type Compiled = Omit<Schemas["Compiled"], "warnings"> & { warnings?: Diagnostic[] };
/** A contact waiting in the assignment queue (`GET /api/queue`). */
export type QueuedContact = Schemas["QueuedContact"];
/** How the test chat sets a flow off: mirrors the trigger types. */
export type TestTrigger = Schemas["TestTrigger"];
export type TimelineLine = Schemas["TimelineLine"];
export type PathStep = Schemas["PathStep"];
export type TestRun = Schemas["TestRun"];
/** A test chat; the test chat shows the contact and the clock when the answer has them. */
export type TestSession = Omit<Schemas["TestSession"], "contact" | "clock"> &
  Partial<Pick<Schemas["TestSession"], "contact" | "clock">>;
export type TestClock = Schemas["TestClock"];
/** What a turn of the test chat did: runs started, and why the flow did not start. */
export type TestReply = Pick<Schemas["TestSaid"], "started" | "notes">;
export type StepFigures = Schemas["StepFigures"];
export type VersionFigures = Schemas["VersionFigures"];
export type RunRow = Schemas["RunRow"];
export type JournalEntry = Schemas["JournalEntry"];
export type RunDetail = Schemas["RunDetail"];
export type VersionInfo = Schemas["VersionInfo"];
export type VersionDiff = Schemas["VersionDiff"];
export type Agent = Schemas["Agent"];
export type Me = Schemas["Me"];
export type ConversationRow = Schemas["ConversationRow"];
export type ContactView = Schemas["ContactView"];
export type ShortcutField = Schemas["FormField"];
export type Shortcut = Schemas["Shortcut"];
/** A channel connection as `/api/channels` describes it (secrets by name only). */
export type Connection = Schemas["ConnectionView"];
/** How a message renders on each channel (`POST /api/channels/preview`). */
export type Preview = Schemas["ChannelPreviews"];
export type Rendered = Schemas["RenderedMessage"];
/** What the editor sends to preview a message: every field but the template given. */
export type PreviewBody = Required<Omit<Schemas["PreviewBody"], "template">> & Pick<Schemas["PreviewBody"], "template">;
export type DeadLetter = Schemas["DeadLetter"];
export type SecretInfo = Schemas["SecretInfo"];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

// Each page keeps its own token (the editor an ops token, the console an agent's, the
// contact page an integration token), so one browser can show them side by side.
let tokenKey = "switchboard.token";

/** Which saved token this page uses (`editor`, `console`, `contact`). */
export function selectTokenFor(page: "editor" | "console" | "contact") {
  tokenKey = page === "editor" ? "switchboard.token" : `switchboard.${page}.token`;
}

export function savedToken(): string | null {
  return localStorage.getItem(tokenKey);
}

export function saveToken(token: string | null) {
  if (token) localStorage.setItem(tokenKey, token);
  else localStorage.removeItem(tokenKey);
}

async function call<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
  return (await request<T>(method, path, body, contentType)).value;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  extra: Record<string, string> = {},
): Promise<{ value: T; next: string | null }> {
  const headers: Record<string, string> = { ...extra };
  const token = savedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = contentType;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const value = type.includes("json") && text ? JSON.parse(text) : text;
  if (!res.ok) {
    const e = value && typeof value === "object" ? value : { code: "error", message: text || res.statusText };
    throw new ApiError(res.status, e.code, e.message, e.details ?? null);
  }
  return { value: value as T, next: res.headers.get("x-next-cursor") };
}

/** Every item of a list, page by page (`X-Next-Cursor` → `after`), up to `max` items. */
async function callAll<T>(path: string, max = 10_000): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url: string = after ? `${path}${sep}limit=1000&after=${encodeURIComponent(after)}` : `${path}${sep}limit=1000`;
    const page: { value: T[]; next: string | null } = await request<T[]>("GET", url);
    items.push(...page.value);
    after = page.next;
  } while (after && items.length < max);
  return items;
}

/** How often an action is sent again when its answer did not arrive (a network error, a 5xx,
 * or the server still handling the first copy). */
const ACTION_ATTEMPTS = 3;

/** A random UUID-like key; `crypto.randomUUID` exists only on HTTPS and localhost pages. */
export function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A POST that acts (a reply, close, assign, a shortcut press, a simulator message): one fresh
 * `Idempotency-Key` per user action, the same on every retry of it, so the server acts once. */
async function act<T>(path: string, body?: unknown): Promise<T> {
  const key = newKey();
  for (let attempt = 1; ; attempt++) {
    try {
      return (await request<T>("POST", path, body, "application/json", { "idempotency-key": key })).value;
    } catch (e) {
      const retriable = !(e instanceof ApiError) || e.status >= 500 || e.code === "idempotency_key_in_use";
      if (!retriable || attempt >= ACTION_ATTEMPTS) throw e;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
}

/** A page of a list endpoint: its items and the cursor of the next page (`X-Next-Cursor`). */
async function page<T>(path: string): Promise<{ items: T[]; next: string | null }> {
  const headers: Record<string, string> = {};
  const token = savedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers });
  const text = await res.text();
  const value = text && (res.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
  if (!res.ok) {
    const e = value && typeof value === "object" ? value : { code: "error", message: text || res.statusText };
    throw new ApiError(res.status, e.code, e.message, e.details ?? null);
  }
  return { items: value as T[], next: res.headers.get("x-next-cursor") };
}

export const api = {
  deadLetters: (after?: string | null) =>
    page<DeadLetter>(`/api/dead-letters?limit=100${after ? `&after=${encodeURIComponent(after)}` : ""}`),
  retryDeadLetter: (id: number) => call<Schemas["DeadLetterRequeued"]>("POST", `/api/dead-letters/${id}/retry`),
  discardDeadLetter: (id: number) => call<unknown>("DELETE", `/api/dead-letters/${id}`),
  channels: () => call<Schemas["ConnectionList"]>("GET", "/api/channels"),
  putChannel: (id: string, body: Record<string, unknown>) =>
    call<Connection>("PUT", `/api/channels/${encodeURIComponent(id)}`, body),
  deleteChannel: (id: string) => call<unknown>("DELETE", `/api/channels/${encodeURIComponent(id)}`),
  channelPreview: (body: PreviewBody) => call<Preview>("POST", "/api/channels/preview", body),
  secrets: () => call<Schemas["SecretList"]>("GET", "/api/secrets"),
  putSecret: (name: string, value: string) =>
    call<SecretInfo>("PUT", `/api/secrets/${encodeURIComponent(name)}`, { value }),
  deleteSecret: (name: string) => call<unknown>("DELETE", `/api/secrets/${encodeURIComponent(name)}`),
  kinds: () => call<KindInfo[]>("GET", "/api/kinds"),
  fileSchema: () => call<Record<string, unknown>>("GET", "/api/schema"),
  workflows: () => call<WorkflowSummary[]>("GET", "/api/workflows"),
  workflow: (id: string) => call<WorkflowDetail>("GET", `/api/workflows/${encodeURIComponent(id)}`),
  create: (source: string) => call<DraftSaved>("POST", "/api/workflows", { source }),
  saveDraft: (id: string, source: string, baseRevision: number) =>
    call<DraftSaved>("PUT", `/api/workflows/${encodeURIComponent(id)}/draft`, {
      source,
      base_revision: baseRevision,
    }),
  publish: (id: string, revision: number) =>
    call<Schemas["Published"]>("POST", `/api/workflows/${encodeURIComponent(id)}/publish`, { revision }),
  compile: (source: string) => call<Compiled>("POST", "/api/compile", { source }),
  exportYaml: (id: string) => call<string>("GET", `/api/workflows/${encodeURIComponent(id)}/export`),
  importYaml: (text: string) =>
    call<Schemas["Imported"]>("POST", "/api/workflows/import", text, "application/yaml"),
  startTest: (source: string, trigger: TestTrigger, at?: string) =>
    call<Schemas["TestStarted"]>("POST", "/api/test-sessions", at ? { source, trigger, at } : { source, trigger }),
  testClock: (session: number, at: string | null) => call<TestClock>("PUT", `/api/test-sessions/${session}/clock`, { at }),
  testSession: (session: number) => call<TestSession>("GET", `/api/test-sessions/${session}`),
  testSay: (session: number, message: { text?: string; payload?: string }) =>
    call<Schemas["TestSaid"]>("POST", `/api/test-sessions/${session}/messages`, message),
  testClose: (session: number) => call<Schemas["TestClosed"]>("POST", `/api/test-sessions/${session}/close`, {}),
  testFastForward: (session: number) => call<Schemas["FastForwarded"]>("POST", `/api/test-sessions/${session}/fast-forward`),
  endTest: (session: number) => call<Schemas["Cancelled"]>("DELETE", `/api/test-sessions/${session}`),
  figures: (id: string, version: number) =>
    call<VersionFigures>("GET", `/api/workflows/${encodeURIComponent(id)}/figures?version=${version}`),
  runs: (workflow: string, version: number, limit = 50) =>
    call<RunRow[]>("GET", `/api/runs?workflow=${encodeURIComponent(workflow)}&version=${version}&limit=${limit}`),
  run: (id: number) => call<RunDetail>("GET", `/api/runs/${id}`),
  versions: (id: string) => call<VersionInfo[]>("GET", `/api/workflows/${encodeURIComponent(id)}/versions`),
  version: (id: string, version: number) => call<VersionInfo>("GET", `/api/workflows/${encodeURIComponent(id)}/versions/${version}`),
  diff: (id: string, from: number, to: number) =>
    call<VersionDiff>("GET", `/api/workflows/${encodeURIComponent(id)}/diff?from=${from}&to=${to}`),
  rollback: (id: string, version: number) =>
    call<Schemas["RolledBack"]>("POST", `/api/workflows/${encodeURIComponent(id)}/rollback`, { version }),
  me: () => call<Me>("GET", "/api/me"),
  conversations: (assignee?: string) =>
    callAll<ConversationRow>(`/api/conversations${assignee ? `?assignee=${encodeURIComponent(assignee)}` : ""}`),
  contact: (id: number) => call<ContactView>("GET", `/api/contacts/${id}`),
  transcript: (id: number) => callAll<TimelineLine>(`/api/contacts/${id}/messages`),
  reply: (id: number, text: string) => act<Schemas["Replied"]>(`/api/contacts/${id}/messages`, { text }),
  close: (id: number, category: string, summary: string) =>
    act<Schemas["ConversationClosed"]>(`/api/contacts/${id}/close`, { category: category || undefined, summary: summary || undefined }),
  open: (id: number) => act<Schemas["ConversationOpened"]>(`/api/contacts/${id}/open`),
  assign: (id: number, agentId: string | null) => act<Schemas["Assigned"]>(`/api/contacts/${id}/assign`, { agent_id: agentId }),
  queue: () => call<QueuedContact[]>("GET", "/api/queue"),
  agents: () => call<Agent[]>("GET", "/api/agents"),
  setOnline: (id: string, online: boolean) => call<Schemas["AgentOnline"]>("POST", `/api/agents/${encodeURIComponent(id)}/online`, { online }),
  shortcuts: () => call<Shortcut[]>("GET", "/api/shortcuts"),
  press: (workflow: string, contactId: number, form: Record<string, unknown>) =>
    act<Schemas["ShortcutPressed"]>(`/api/shortcuts/${encodeURIComponent(workflow)}`, { contact_id: contactId, form }),
  simSay: (address: string, name: string, message: { text?: string; payload?: string }) =>
    act<Schemas["SimulatorSaid"]>("/api/simulator/messages", { address, name, ...message }),
  simConversation: (address: string) =>
    call<Schemas["SimulatorConversation"]>("GET", `/api/simulator/contacts/${encodeURIComponent(address)}`),
  stop: (id: string) => call<Schemas["Stopped"]>("POST", `/api/workflows/${encodeURIComponent(id)}/stop`),
  start: (id: string) => call<Schemas["Restarted"]>("POST", `/api/workflows/${encodeURIComponent(id)}/start`),
};
