// The HTTP API as the editor uses it: a bearer token kept in this browser's localStorage,
// JSON in and out, and errors as `ApiError` with the server's `{code, message, details}`.

import type { Connection, Preview, PreviewBody } from "./channels";
import type { DeadLetter } from "./deadletters";
import type { SecretInfo } from "./secrets";

export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  pos?: { line: number; col: number } | null;
  path: string;
  step?: string | null;
  help?: string | null;
}

export interface PortSpec {
  name: string;
  label: string;
  required: boolean;
}

export interface KindInfo {
  name: string;
  title: string;
  description: string;
  category: string;
  ports: { name: string; description: string }[];
  outputs: { name: string; description: string }[];
  schema: Record<string, unknown>;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  status: "draft" | "published" | "stopped";
  trigger_type: string | null;
  current_version: number | null;
  /** The draft's revision, as create and save answer it. */
  revision: number;
  updated_at: string;
  runs: Record<string, number>;
}

export interface WorkflowDetail extends WorkflowSummary {
  draft: string;
  diagnostics: Diagnostic[];
}

export interface Compiled {
  diagnostics: Diagnostic[];
  ports: Record<string, PortSpec[] | null>;
  /** What the workspace says about the file (code `assignment`: a target nobody could take). */
  warnings?: Diagnostic[];
}

/** A contact waiting in the assignment queue (`GET /api/queue`). */
export interface QueuedContact {
  run_id: number;
  contact_id: number;
  contact_name: string | null;
  workflow_id: string;
  step: string | null;
  team: string | null;
  agent: string | null;
  online_only: boolean;
  waiting_since: string;
  waited_seconds: number;
  due_at: string | null;
}

/** How the test chat sets a flow off: mirrors the trigger types. */
export type TestTrigger =
  | { type: "message_received"; text: string }
  | { type: "conversation_opened" }
  | { type: "conversation_closed"; category?: string; summary?: string }
  | { type: "tag_updated"; tag?: string; removed?: boolean }
  | { type: "field_updated"; value: unknown }
  | { type: "shortcut"; form: Record<string, unknown>; agent_id?: string }
  | { type: "webhook"; payload: unknown }
  | { type: "manual"; vars: Record<string, unknown> }
  | { type: "schedule" };

export interface TimelineLine {
  direction: "in" | "out" | "note" | "system";
  sender: string;
  text: string | null;
  quick_replies?: { title: string; payload: string }[] | null;
  expects?: string | null;
  kind?: string | null;
  status: string;
  error?: string | null;
  step?: string;
}

export interface PathStep {
  step: string;
  port: string;
}

export interface TestRun {
  id: number;
  workflow_id: string;
  version: number;
  status: string;
  step: string | null;
  waiting: { kind: string; reason: string; due_at: string | null } | null;
  last_error: string | null;
  path: PathStep[];
  test: boolean;
}

export interface TestSession {
  session: number;
  workflow_id: string;
  runs: TestRun[];
  timeline: TimelineLine[];
  next_timer: string | null;
  /** The session's clock: its time now and how far that is from the real time. */
  clock?: TestClock;
}

export interface TestClock {
  session: number;
  now: string;
  offset_ms: number;
}

export interface TestReply {
  started: number[];
  notes: string[];
}

export interface StepFigures {
  /** Distinct runs that entered the step. */
  runs: number;
  /** Entries into the step: a run that jumped back counts once per visit. Ports count visits. */
  visits: number;
  ports: Record<string, number>;
  waiting: number;
  dropped: number;
  rating?: { average: number; answers: number };
  http_errors?: { count: number; latest: string[] };
}

export interface VersionFigures {
  workflow_id: string;
  version: number;
  runs: Record<string, number>;
  steps: Record<string, StepFigures>;
}

export interface RunRow {
  id: number;
  workflow_id: string;
  version: number;
  contact_id: number;
  status: string;
  step: string | null;
  waiting_for: string | null;
  last_error: string | null;
  created_at: string;
}

export interface JournalEntry {
  seq: number;
  at: string;
  step: string | null;
  kind: string;
  data: Record<string, unknown>;
}

export interface RunDetail {
  run: { id: number; status: string; step: string | null; last_error: string | null; waiting: { reason: string } | null };
  journal: JournalEntry[];
  path: PathStep[];
}

export interface VersionInfo {
  version: number;
  published_at: string;
  source?: string;
}

export interface VersionDiff {
  unified: string;
  steps: { added: string[]; removed: string[]; changed: string[] };
}

export interface Agent {
  id: string;
  name: string;
  email: string | null;
  teams: string[];
  online: boolean;
  open_count: number;
}

export interface Me {
  name: string;
  role: "admin" | "ops" | "agent" | "integration";
  agent_id: string | null;
  agent: Agent | null;
}

export interface ConversationRow {
  id: number;
  contact_id: number;
  contact_name: string | null;
  status: string;
  channel: string | null;
  assignee_id: string | null;
  team: string | null;
  priority: string;
  opened_at: string;
  last_text: string | null;
}

export interface ContactView {
  id: number;
  name: string | null;
  first_name: string | null;
  email: string | null;
  phone: string | null;
  channel: string | null;
  tags: string[];
  fields: Record<string, unknown>;
  active_runs: { id: number; workflow_id: string; status: string; step: string | null; waiting: { reason: string } | null }[];
}

export interface ShortcutField {
  id: string;
  label: string;
  type?: "text" | "textarea" | "number" | "select";
  options?: string[];
  required?: boolean;
}

export interface Shortcut {
  workflow_id: string;
  label: string;
  form: ShortcutField[];
}

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
  retryDeadLetter: (id: number) => call<unknown>("POST", `/api/dead-letters/${id}/retry`),
  discardDeadLetter: (id: number) => call<unknown>("DELETE", `/api/dead-letters/${id}`),
  channels: () => call<{ connections: Connection[] }>("GET", "/api/channels"),
  putChannel: (id: string, body: Record<string, unknown>) =>
    call<Connection>("PUT", `/api/channels/${encodeURIComponent(id)}`, body),
  deleteChannel: (id: string) => call<unknown>("DELETE", `/api/channels/${encodeURIComponent(id)}`),
  channelPreview: (body: PreviewBody) => call<Preview>("POST", "/api/channels/preview", body),
  secrets: () => call<{ secrets: SecretInfo[] }>("GET", "/api/secrets"),
  putSecret: (name: string, value: string) =>
    call<SecretInfo>("PUT", `/api/secrets/${encodeURIComponent(name)}`, { value }),
  deleteSecret: (name: string) => call<unknown>("DELETE", `/api/secrets/${encodeURIComponent(name)}`),
  kinds: () => call<KindInfo[]>("GET", "/api/kinds"),
  fileSchema: () => call<Record<string, unknown>>("GET", "/api/schema"),
  workflows: () => call<WorkflowSummary[]>("GET", "/api/workflows"),
  workflow: (id: string) => call<WorkflowDetail>("GET", `/api/workflows/${encodeURIComponent(id)}`),
  create: (source: string) => call<{ id: string; revision: number; diagnostics: Diagnostic[] }>("POST", "/api/workflows", { source }),
  saveDraft: (id: string, source: string, baseRevision: number) =>
    call<{ id: string; revision: number; diagnostics: Diagnostic[] }>("PUT", `/api/workflows/${encodeURIComponent(id)}/draft`, {
      source,
      base_revision: baseRevision,
    }),
  publish: (id: string, revision: number) =>
    call<{ id: string; version: number; unchanged: boolean }>("POST", `/api/workflows/${encodeURIComponent(id)}/publish`, { revision }),
  compile: (source: string) => call<Compiled>("POST", "/api/compile", { source }),
  exportYaml: (id: string) => call<string>("GET", `/api/workflows/${encodeURIComponent(id)}/export`),
  importYaml: (text: string) =>
    call<{ draft: { id: string; revision: number } }>("POST", "/api/workflows/import", text, "application/yaml"),
  startTest: (source: string, trigger: TestTrigger, at?: string) =>
    call<TestReply & { session: number }>("POST", "/api/test-sessions", at ? { source, trigger, at } : { source, trigger }),
  testClock: (session: number, at: string | null) => call<TestClock>("PUT", `/api/test-sessions/${session}/clock`, { at }),
  testSession: (session: number) => call<TestSession>("GET", `/api/test-sessions/${session}`),
  testSay: (session: number, message: { text?: string; payload?: string }) =>
    call<TestReply>("POST", `/api/test-sessions/${session}/messages`, message),
  testClose: (session: number) => call<TestReply>("POST", `/api/test-sessions/${session}/close`, {}),
  testFastForward: (session: number) => call<{ fired: number }>("POST", `/api/test-sessions/${session}/fast-forward`),
  endTest: (session: number) => call<{ cancelled: number }>("DELETE", `/api/test-sessions/${session}`),
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
    call<{ version: number }>("POST", `/api/workflows/${encodeURIComponent(id)}/rollback`, { version }),
  me: () => call<Me>("GET", "/api/me"),
  conversations: (assignee?: string) =>
    callAll<ConversationRow>(`/api/conversations${assignee ? `?assignee=${encodeURIComponent(assignee)}` : ""}`),
  contact: (id: number) => call<ContactView>("GET", `/api/contacts/${id}`),
  transcript: (id: number) => callAll<TimelineLine>(`/api/contacts/${id}/messages`),
  reply: (id: number, text: string) => act<unknown>(`/api/contacts/${id}/messages`, { text }),
  close: (id: number, category: string, summary: string) =>
    act<unknown>(`/api/contacts/${id}/close`, { category: category || undefined, summary: summary || undefined }),
  open: (id: number) => act<unknown>(`/api/contacts/${id}/open`),
  assign: (id: number, agentId: string | null) => act<unknown>(`/api/contacts/${id}/assign`, { agent_id: agentId }),
  queue: () => call<QueuedContact[]>("GET", "/api/queue"),
  agents: () => call<Agent[]>("GET", "/api/agents"),
  setOnline: (id: string, online: boolean) => call<unknown>("POST", `/api/agents/${encodeURIComponent(id)}/online`, { online }),
  shortcuts: () => call<Shortcut[]>("GET", "/api/shortcuts"),
  press: (workflow: string, contactId: number, form: Record<string, unknown>) =>
    act<{ started: number[] }>(`/api/shortcuts/${encodeURIComponent(workflow)}`, { contact_id: contactId, form }),
  simSay: (address: string, name: string, message: { text?: string; payload?: string }) =>
    act<{ contact_id: number }>("/api/simulator/messages", { address, name, ...message }),
  simConversation: (address: string) =>
    call<{ contact_id: number; messages: TimelineLine[] }>("GET", `/api/simulator/contacts/${encodeURIComponent(address)}`),
  stop: (id: string) => call<unknown>("POST", `/api/workflows/${encodeURIComponent(id)}/stop`),
  start: (id: string) => call<unknown>("POST", `/api/workflows/${encodeURIComponent(id)}/start`),
};
