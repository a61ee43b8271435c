// The HTTP API as the editor uses it: a bearer token kept in this browser's localStorage,
// JSON in and out, and errors as `ApiError` with the server's `{code, message, details}`.

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
  draft_revision: number;
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

const TOKEN_KEY = "switchboard.token";

export function savedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

async function call<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const headers: Record<string, string> = {};
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
  return value as T;
}

export const api = {
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
    call<{ id: string; version: number }>("POST", `/api/workflows/${encodeURIComponent(id)}/publish`, { revision }),
  compile: (source: string) => call<Compiled>("POST", "/api/compile", { source }),
  exportYaml: (id: string) => call<string>("GET", `/api/workflows/${encodeURIComponent(id)}/export`),
  importYaml: (text: string) =>
    call<{ draft: { id: string; revision: number } }>("POST", "/api/workflows/import", text, "application/yaml"),
  stop: (id: string) => call<unknown>("POST", `/api/workflows/${encodeURIComponent(id)}/stop`),
  start: (id: string) => call<unknown>("POST", `/api/workflows/${encodeURIComponent(id)}/start`),
};
