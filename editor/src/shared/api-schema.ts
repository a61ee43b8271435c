// The HTTP API's types, generated from the server's OpenAPI document (`switchboard openapi`)
// by openapi-typescript. Do not edit: run `npm run api-types` after changing an answer or
// request type in engine/server (CI fails when this file differs from the document).
// Pages use the names `api.ts` gives these types, not this file (long because generated).

export interface paths {
    "/api/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Agents, their teams, status and load */
        get: operations["getAgents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Create or update an agent */
        put: operations["putAgentsById"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents/{id}/online": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Set an agent online or away */
        post: operations["postAgentsByIdOnline"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Channel connections (secrets by name only) with this month's usage */
        get: operations["getChannels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A channel connection (secrets by name only) */
        get: operations["getChannelsById"];
        /** Create or change a channel connection (secrets are write-only) */
        put: operations["putChannelsById"];
        post?: never;
        /** Remove a channel connection */
        delete: operations["deleteChannelsById"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels/{id}/webhook": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** WhatsApp's webhook verification (echoes hub.challenge) */
        get: operations["getChannelsByIdWebhook"];
        put?: never;
        /** A channel delivers messages and statuses (signed by the channel) */
        post: operations["postChannelsByIdWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channels/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** How a message renders on WhatsApp, LINE and Telegram */
        post: operations["postChannelsPreview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/compile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Compile a draft without saving: diagnostics, each step's ports, warnings on assignment targets */
        post: operations["postCompile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Contacts the caller may see, newest first */
        get: operations["getContacts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A contact with conversation, tags, fields and runs */
        get: operations["getContactsById"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/assign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Assign or unassign the conversation */
        post: operations["postContactsByIdAssign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/close": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Close the conversation */
        post: operations["postContactsByIdClose"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The contact's transcript, oldest first */
        get: operations["getContactsByIdMessages"];
        put?: never;
        /** An agent replies to the contact */
        post: operations["postContactsByIdMessages"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/open": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open a conversation */
        post: operations["postContactsByIdOpen"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Conversations the caller may see, by status, assignee, team */
        get: operations["getConversations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Events that could not be processed, newest first, with reason and payload (cursor pages: X-Next-Cursor) */
        get: operations["getDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/dead-letters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Discard a dead letter */
        delete: operations["deleteDeadLettersById"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/dead-letters/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queue a dead letter's event again (the dead letter is removed) */
        post: operations["postDeadLettersByIdRetry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send one event or a batch (stored before the answer; ids deduplicate) */
        post: operations["postEvents"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kinds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The step kinds, their ports, settings and outputs */
        get: operations["getKinds"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live updates as server-sent events */
        get: operations["getLive"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the caller is: token name, role, and the agent of an agent token */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/messages/{id}/resend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send again a message whose delivery is unknown (a channel that cannot deduplicate timed out) */
        post: operations["postMessagesByIdResend"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenapiJson"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Contacts waiting for an agent, with how long they have waited */
        get: operations["getQueue"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Runs, newest first */
        get: operations["getRuns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run with its journal, its path and why it is waiting */
        get: operations["getRunsById"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a run */
        post: operations["postRunsByIdCancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry a failed run from the step that failed */
        post: operations["postRunsByIdRetry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel runs of a workflow in bulk */
        post: operations["postRunsCancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/schema": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** JSON Schema of the workflow file format */
        get: operations["getSchema"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Workspace secrets by name and date (never their values) */
        get: operations["getSecrets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a workspace secret (write-only; HTTP steps read it as {{ secrets.NAME }}) */
        put: operations["putSecretsByName"];
        post?: never;
        /** Remove a workspace secret */
        delete: operations["deleteSecretsByName"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/shortcuts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Shortcuts the calling agent may press */
        get: operations["getShortcuts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/shortcuts/{workflow}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** An agent presses a shortcut on a conversation */
        post: operations["postShortcutsByWorkflow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/simulator/contacts/{address}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What a simulator contact sees of their conversation */
        get: operations["getSimulatorContactsByAddress"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/simulator/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A simulator contact writes or presses a button (the contact page) */
        post: operations["postSimulatorMessages"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/test-sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a test chat against a draft (sandboxed contact) */
        post: operations["postTestSessions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/test-sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A test chat: timeline, runs with their paths, next timer */
        get: operations["getTestSessionsById"];
        put?: never;
        post?: never;
        /** End a test chat (cancels its runs under way) */
        delete: operations["deleteTestSessionsById"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/test-sessions/{id}/clock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set the time the test chat pretends it is (null: the real time) */
        put: operations["putTestSessionsByIdClock"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/test-sessions/{id}/close": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The tester closes the conversation, as an agent */
        post: operations["postTestSessionsByIdClose"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/test-sessions/{id}/fast-forward": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Make the test chat's waiting timers due now */
        post: operations["postTestSessionsByIdFastForward"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/test-sessions/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The tester writes or presses a button, as the contact */
        post: operations["postTestSessionsByIdMessages"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** API tokens (never the tokens themselves) */
        get: operations["getTokens"];
        put?: never;
        /** Create an API token; the answer is the only time it is shown */
        post: operations["postTokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API token (not the last admin token) */
        delete: operations["deleteTokensById"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/{workflow}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Signed webhook: starts the workflow */
        post: operations["postWebhooksByWorkflow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Workflows with their live version and run counts */
        get: operations["getWorkflows"];
        put?: never;
        /** Create a workflow (409 if the id is taken) */
        post: operations["postWorkflows"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A workflow: draft, live version, diagnostics */
        get: operations["getWorkflowsById"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Diff between two versions */
        get: operations["getWorkflowsByIdDiff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/draft": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Save the draft (409 with a diff if someone saved first) */
        put: operations["putWorkflowsByIdDraft"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The workflow file (YAML) */
        get: operations["getWorkflowsByIdExport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/figures": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Per-step run figures of a published version (runs on the canvas) */
        get: operations["getWorkflowsByIdFigures"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish the draft as a new immutable version (an unchanged draft answers the current version, `unchanged: true`) */
        post: operations["postWorkflowsByIdPublish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/rollback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish an earlier version again */
        post: operations["postWorkflowsByIdRollback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start again a stopped workflow */
        post: operations["postWorkflowsByIdStart"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop starting runs (optionally cancel those under way) */
        post: operations["postWorkflowsByIdStop"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Published versions */
        get: operations["getWorkflowsByIdVersions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One published version */
        get: operations["getWorkflowsByIdVersionsByVersion"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/{id}/webhook-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create or rotate a webhook workflow's signing secret */
        post: operations["postWorkflowsByIdWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workflows/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Import a workflow file (creates or replaces the draft; optionally publishes) */
        post: operations["postWorkflowsImport"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: operations["getHealthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (text exposition format) */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the database answers, every background loop runs and no waiting work is older than its threshold (503 `not_ready` otherwise, with the report in `details`) */
        get: operations["getReadyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description A run under way, as a contact shows it. */
        ActiveRun: {
            /** Format: int64 */
            id: number;
            status: string;
            step: string | null;
            /** Format: int64 */
            version: number;
            waiting: components["schemas"]["Waiting"] | null;
            workflow_id: string;
        };
        /** @description An agent: teams, status and load. */
        Agent: {
            email: string | null;
            id: string;
            /**
             * Format: int64
             * @description When the agent was last assigned a conversation (milliseconds since 1970; 0: never).
             */
            last_assigned_at: number;
            /**
             * Format: int64
             * @description How many open conversations the agent takes at most (`null`: no limit).
             */
            max_open: number | null;
            name: string;
            online: boolean;
            /** Format: int64 */
            open_count: number;
            teams: string[];
        };
        /** @description An agent's status now. */
        AgentOnline: {
            id: string;
            online: boolean;
        };
        /** @description An agent as the API creates or updates one. */
        AgentSpec: {
            /** @default null */
            email?: string | null;
            /**
             * @description The agent's id (in `PUT /api/agents/{id}`, the path's; a different one here is refused).
             * @default
             */
            id?: string;
            /**
             * Format: int64
             * @description At most this many open conversations at once.
             * @default null
             */
            max_open?: number | null;
            name: string;
            /** @default false */
            online?: boolean;
            /** @default [] */
            teams?: string[];
        };
        AssignBody: {
            /** @description The agent, or `null` to unassign. */
            agent_id?: string | null;
        };
        /** @description Who a contact's conversation is assigned to now. */
        Assigned: {
            assignee_id: string | null;
            /** Format: int64 */
            contact_id: number;
        };
        /** @description A warning on an assignment target, shaped like a diagnostic (code `assignment`). */
        AssignmentWarning: {
            code: string;
            help: string;
            message: string;
            path: string;
            pos: components["schemas"]["Pos"] | null;
            severity: components["schemas"]["Severity"];
            step: string;
        };
        /** @description A media item sent with a message, by URL. */
        Attachment: {
            /** @description A file name or caption shown to the contact. */
            name?: string | null;
            /** @description What kind of media this is; channels render each kind differently. */
            type: components["schemas"]["AttachmentKind"];
            /** @description Where the media can be fetched (a template: variables allowed). */
            url: string;
        };
        /**
         * @description The kind of media in an attachment.
         * @enum {string}
         */
        AttachmentKind: "image" | "video" | "audio" | "file";
        /** @description How old the oldest waiting work is, in seconds (0 when there is none). */
        Backlog: {
            /**
             * Format: double
             * @description The most overdue timer, since its due time.
             */
            most_overdue_timer_seconds: number;
            /**
             * Format: double
             * @description The oldest outbox row due and free to perform, since it became due.
             */
            oldest_due_outbox_seconds: number;
            /**
             * Format: double
             * @description The oldest event accepted and not processed yet.
             */
            oldest_queued_event_seconds: number;
        };
        CancelBody: {
            /** @default null */
            status?: string | null;
            /**
             * Format: int64
             * @default null
             */
            version?: number | null;
            workflow: string;
        };
        /** @description How many runs were cancelled. */
        Cancelled: {
            /** Format: uint */
            cancelled: number;
        };
        /** @description One call to a channel's API: path under the API base, and JSON body. */
        ChannelCall: {
            body: {
                [key: string]: unknown;
            };
            path: string;
        };
        /** @description A channel's delivery stored: how many events, how many of them seen before. */
        ChannelDelivery: {
            /** Format: uint */
            duplicates: number;
            /** Format: uint */
            events: number;
        };
        /** @description One channel's rendering: inside the customer-service window, and (WhatsApp) outside it. */
        ChannelPreview: {
            inside_window: components["schemas"]["RenderedMessage"];
            outside_window?: components["schemas"]["OutsideWindow"] | null;
        };
        /** @description How a message renders on each channel. */
        ChannelPreviews: {
            line: components["schemas"]["ChannelPreview"];
            telegram: components["schemas"]["ChannelPreview"];
            whatsapp: components["schemas"]["ChannelPreview"];
        };
        /**
         * @description Sets the session's clock: `at` is the time it is now for the session (with its offset);
         *     `null` returns it to the real time.
         */
        ClockBody: {
            at?: string | null;
        };
        CloseBody: {
            /** @default null */
            agent_id?: string | null;
            /** @default null */
            category?: string | null;
            /** @default null */
            summary?: string | null;
        };
        CloseBody2: {
            /** @default null */
            category?: string | null;
            /** @default null */
            summary?: string | null;
        };
        CompileBody: {
            /** @description A workflow file (YAML or JSON text). */
            source: string;
        };
        /** @description A draft compiled without saving. */
        Compiled: {
            diagnostics: components["schemas"]["Diagnostic"][];
            /**
             * @description Each step's ports as configured (`null` for a step whose config does not parse), in
             *     the file's order.
             */
            ports: {
                [key: string]: components["schemas"]["PortSpec"][] | null;
            };
            /** @description What the workspace says about the file: targets of assignments nobody could take now. */
            warnings: components["schemas"]["AssignmentWarning"][];
        };
        /**
         * @description What the API takes to create or change a connection. On a change, secrets left out keep
         *     their value.
         */
        ConnectionInput: {
            /** @description The channel's API base URL; the channel's public API when left out. */
            api_base?: string | null;
            kind?: components["schemas"]["Kind"] | null;
            name?: string | null;
            /**
             * @description WhatsApp: `app_secret`, `access_token`, `verify_token`. LINE: `channel_secret`,
             *     `access_token`. Telegram: `bot_token`, `secret_token` (the one given to `setWebhook`).
             * @default {}
             */
            secrets?: {
                [key: string]: string;
            };
            /**
             * @description WhatsApp: `phone_number_id` (required), `api_version`. LINE: `plan` (`free`,
             *     `light`, `standard`) or `monthly_quota`.
             * @default null
             */
            settings?: {
                [key: string]: unknown;
            } | null;
        };
        /** @description Every channel connection. */
        ConnectionList: {
            connections: components["schemas"]["ConnectionView"][];
        };
        /** @description A channel connection as the API shows it: secrets by name only. */
        ConnectionView: {
            api_base: string;
            created_at: string;
            id: string;
            kind: components["schemas"]["Kind"];
            /**
             * Format: int64
             * @description Messages a month the plan allows (`null`: no quota).
             */
            monthly_quota: number | null;
            name: string;
            /** @description The names of the secrets that are set. */
            secrets_set: string[];
            settings: {
                [key: string]: unknown;
            };
            updated_at: string;
            /**
             * Format: int64
             * @description Messages sent this month (listing and reading; not in the answer of a change).
             */
            used_this_month?: number | null;
            /** @description Where the channel delivers (`/api/channels/{id}/webhook`). */
            webhook_path: string;
        };
        /**
         * @description Who an event is about: a known contact, or an address on a channel (a new address creates
         *     the contact).
         */
        ContactRef: {
            /** Format: int64 */
            id: number;
        } | {
            address: {
                address: string;
                channel: string;
            };
        };
        /**
         * @description A contact: attributes, tags, custom fields; one contact alone also has its runs under way,
         *     its channels and its verified identifiers.
         */
        ContactView: {
            /** @description Runs under way (one contact only). */
            active_runs?: components["schemas"]["ActiveRun"][] | null;
            /** @description The channel they last wrote on. */
            channel: string | null;
            /**
             * @description Per channel: the address, when they last wrote, whether they follow the account, and
             *     how the address joined the contact (one contact only).
             */
            channels?: {
                [key: string]: unknown;
            } | null;
            country: string | null;
            email: string | null;
            fields: {
                [key: string]: unknown;
            };
            first_name: string | null;
            /** Format: int64 */
            id: number;
            language: string | null;
            last_name: string | null;
            lifecycle: string | null;
            name: string | null;
            opted_out: boolean;
            phone: string | null;
            tags: string[];
            /** @description Identifiers the contact proved (one contact only). */
            verified?: components["schemas"]["VerifiedIdentifier"][] | null;
        };
        /** @description A conversation closed: runs it started and runs it ended. */
        ConversationClosed: {
            exited: number[];
            started: number[];
        };
        /** @description A conversation opened: runs it started. */
        ConversationOpened: {
            started: number[];
        };
        /** @description A conversation as an inbox lists it. */
        ConversationRow: {
            assignee_id: string | null;
            channel: string | null;
            /** Format: int64 */
            contact_id: number;
            contact_name: string | null;
            /** Format: int64 */
            id: number;
            last_text: string | null;
            opened_at: string;
            priority: string;
            status: string;
            team: string | null;
        };
        /**
         * @description Which conversations to list: open or closed.
         * @enum {string}
         */
        ConversationStatus: "open" | "closed";
        /** @description One dead letter, as the API lists it. */
        DeadLetter: {
            /**
             * Format: int64
             * @description How many times processing it failed for an unclear reason before it was given up.
             */
            attempts: number;
            /** @description The sender's id of the event, if it had one. */
            event_id?: string | null;
            /** @description When it was moved here (RFC 3339). */
            failed_at: string;
            /**
             * Format: int64
             * @description The dead letter's id (for retry and discard).
             */
            id: number;
            /** @description The event as it was queued; a string when it could not be read as JSON. */
            payload: unknown;
            /** @description Why the event could not be processed. */
            reason: string;
            /** @description Who sent the event (`api:crm`, `channel:wa-main`, `webhook:lead-form`). */
            source: string;
        };
        /** @description A dead letter's event queued again. */
        DeadLetterRequeued: {
            /** Format: int64 */
            id: number;
            queued: boolean;
        };
        /**
         * @description A sent message's later fate, as channels report it.
         * @enum {string}
         */
        DeliveryStatus: "sent" | "delivered" | "read" | "failed";
        /** @description One problem found in a workflow file. */
        Diagnostic: {
            /** @description A stable code (`yaml_syntax`, `unknown_step`, ...; the README lists them). */
            code: string;
            /** @description A hint on how to fix it. */
            help?: string | null;
            message: string;
            /** @description A JSON pointer to the offending value (`/steps/ask/options/3`). */
            path: string;
            /** @description Where in the file; `null` only when the problem has no place (an empty file). */
            pos?: components["schemas"]["Pos"] | null;
            severity: components["schemas"]["Severity"];
            /** @description The step the problem belongs to, if any. */
            step?: string | null;
        };
        /**
         * @description Who wrote a line of a conversation.
         * @enum {string}
         */
        Direction: "in" | "out" | "note" | "system";
        /** @description A draft as the editor sends it. */
        DraftBody: {
            /**
             * Format: int64
             * @description The revision this edit started from; omit only to create (then an existing id is a 409).
             * @default null
             */
            base_revision?: number | null;
            /** @description The workflow file (YAML or JSON text). */
            source: string;
        };
        /** @description What saving a draft did. */
        DraftSaved: {
            diagnostics: components["schemas"]["Diagnostic"][];
            id: string;
            /** Format: int64 */
            revision: number;
        };
        Error: {
            /** @description Stable machine-readable code (`not_found`, `conflict`, ...) */
            code: string;
            /** @description Diagnostics, a diff, or other context */
            details?: unknown;
            message: string;
        };
        /** @description An event, with the sender's id for deduplication (`None`: never deduplicated). */
        Event: {
            /**
             * @description When the event happens, for a test chat's contact only (and only from an admin): the
             *     session's clock is set to it before the event is queued. `/api/events` refuses it
             *     otherwise; the queue never stores it.
             */
            at?: string | null;
            id?: string | null;
            /** @description Who sent it (`api`, `whatsapp`, `simulator`, ...): ids are unique per source. */
            source: string;
        } & ({
            channel: string;
            contact: components["schemas"]["ContactRef"];
            message: components["schemas"]["InboundMessage"];
            /** @default {} */
            profile?: {
                [key: string]: unknown;
            };
            /** @constant */
            type: "message_received";
        } | {
            agent_id: string;
            contact: components["schemas"]["ContactRef"];
            text: string;
            /** @constant */
            type: "agent_replied";
        } | {
            by: string;
            contact: components["schemas"]["ContactRef"];
            /** @constant */
            type: "conversation_opened";
        } | {
            /**
             * @description Closed automatically (inactivity, a workflow) rather than by a person.
             * @default false
             */
            auto?: boolean;
            /** @default null */
            category?: string | null;
            closed_by: string;
            contact: components["schemas"]["ContactRef"];
            /** @default null */
            summary?: string | null;
            /** @constant */
            type: "conversation_closed";
        } | {
            agent_id?: string | null;
            contact: components["schemas"]["ContactRef"];
            /** @constant */
            type: "assigned";
        } | {
            added: boolean;
            contact: components["schemas"]["ContactRef"];
            tag: string;
            /** @constant */
            type: "tag_updated";
        } | {
            contact: components["schemas"]["ContactRef"];
            field: string;
            /** @constant */
            type: "field_updated";
            value: unknown;
        } | {
            contact: components["schemas"]["ContactRef"];
            /** @constant */
            type: "opted_out";
        } | {
            channel: string;
            contact: components["schemas"]["ContactRef"];
            /** @constant */
            type: "followed";
        } | {
            channel: string;
            contact: components["schemas"]["ContactRef"];
            /** @constant */
            type: "unfollowed";
        } | {
            channel: string;
            /** @default null */
            error?: string | null;
            message_id: string;
            status: components["schemas"]["DeliveryStatus"];
            /** @constant */
            type: "delivery_status";
        } | {
            agent_id: string;
            contact: components["schemas"]["ContactRef"];
            /** @default {} */
            form?: {
                [key: string]: unknown;
            };
            /** @constant */
            type: "shortcut";
            workflow: string;
        } | {
            payload: unknown;
            /** @constant */
            type: "webhook";
            workflow: string;
        } | {
            contact: components["schemas"]["ContactRef"];
            /** @constant */
            type: "manual";
            /** @default {} */
            vars?: {
                [key: string]: unknown;
            };
            workflow: string;
        });
        /** @description One event stored, or recognised as one stored before. */
        EventAccepted: {
            /** @description The sender's id was seen before; nothing was queued. */
            duplicate: boolean;
        };
        /** @description Events stored: one entry per event sent, in order. */
        EventsAccepted: {
            accepted: components["schemas"]["EventAccepted"][];
        };
        /** @description How many waiting timers fast-forwarding made due. */
        FastForwarded: {
            /** Format: uint */
            fired: number;
        };
        /** @description One field of a shortcut's form; its answer is `trigger.form.<id>`. */
        FormField: {
            id: string;
            label: string;
            /** @description `select` only: the choices. */
            options?: string[];
            /** @default false */
            required?: boolean;
            /** @default text */
            type?: components["schemas"]["FormFieldType"];
        };
        /**
         * @description The type of a shortcut form field.
         * @enum {string}
         */
        FormFieldType: "text" | "textarea" | "number" | "select";
        /** @description The process answers. */
        Health: {
            /** @constant */
            status: "ok";
        };
        HttpErrors: {
            /** Format: int64 */
            count: number;
            /** @description The latest few reasons, newest first. */
            latest: string[];
        };
        /** @description An import: the draft saved, and the version when it was published too. */
        Imported: {
            draft: components["schemas"]["DraftSaved"];
            unchanged: boolean | null;
            /** Format: int64 */
            version: number | null;
        };
        /** @description What a contact sent, as the engine hands it to a waiting step. */
        InboundMessage: {
            /**
             * @description Images, files, audio or video sent with the message.
             * @default []
             */
            attachments?: components["schemas"]["Attachment"][];
            /**
             * @description The channel the message came from (`whatsapp`, `line`, `telegram`, `webhook`, `simulator`, ...).
             * @default null
             */
            channel?: string | null;
            /**
             * @description A shared location, for channels that support it.
             * @default null
             */
            location?: components["schemas"]["Location"] | null;
            /**
             * @description The payload of a pressed button or quick reply (the option's id), if any.
             * @default null
             */
            payload?: string | null;
            /**
             * @description The text the contact typed, if any.
             * @default null
             */
            text?: string | null;
        };
        /** @description One entry of a run's journal. */
        JournalEntry: {
            /** Format: date-time */
            at: string;
            data: unknown;
            kind: string;
            /** Format: int64 */
            seq: number;
            step: string | null;
            /**
             * Format: int64
             * @description Which visit of the step (a run that jumped back visits it again).
             */
            visit: number | null;
        };
        /**
         * @description The channels Switchboard speaks natively.
         * @enum {string}
         */
        Kind: "whatsapp" | "line" | "telegram";
        /** @description A step kind: its ports, outputs and the schema of its settings. */
        KindInfo: {
            category: string;
            description: string;
            name: string;
            outputs: components["schemas"]["NamedText"][];
            ports: components["schemas"]["NamedText"][];
            /** @description The JSON Schema of the step's settings. */
            schema: {
                [key: string]: unknown;
            };
            title: string;
        };
        /** @description A geographic point shared by a contact. */
        Location: {
            /**
             * Format: double
             * @description Latitude in degrees, -90 to 90.
             */
            lat: number;
            /**
             * Format: double
             * @description Longitude in degrees, -180 to 180.
             */
            lon: number;
            /** @description A place name, when the channel gives one. */
            name?: string | null;
        };
        /** @description The background loops, by name. */
        Loop: "queue" | "outbox" | "timers" | "schedules" | "leases" | "peers" | "retention";
        /** @description One loop in a readiness report. */
        LoopReport: {
            /**
             * Format: double
             * @description Seconds in its current state.
             */
            for_seconds: number;
            /**
             * Format: date-time
             * @description When it panicked or returned last.
             */
            last_failure_at?: string | null;
            name: components["schemas"]["Loop"];
            /**
             * Format: date-time
             * @description When a restarting loop is started again.
             */
            restart_at?: string | null;
            /**
             * Format: uint64
             * @description How many times it was started again after a panic or an error.
             */
            restarts: number;
            /**
             * Format: date-time
             * @description When the loop last reported (began an iteration, started or stopped waiting), or
             *     entered its current state; RFC 3339.
             */
            since?: string | null;
            state: components["schemas"]["LoopState"];
        };
        /** @description What a loop is doing. */
        LoopState: "not_started" | "busy" | "idle" | "restarting" | "stopped";
        /** @description Who the caller is: token name, role, and the agent of an agent token. */
        Me: {
            agent: components["schemas"]["Agent"] | null;
            agent_id: string | null;
            name: string;
            role: components["schemas"]["Role"];
        };
        /** @description A name and what it means. */
        NamedText: {
            description: string;
            name: string;
        };
        NewToken: {
            /**
             * @description For `agent` tokens: the agent the token acts as (required for agents, refused otherwise).
             * @default null
             */
            agent_id?: string | null;
            /** @description What the token is for ("CRM integration", "Ana's console"). */
            name: string;
            role: components["schemas"]["Role"];
        };
        /**
         * @description One event or a list of them (the body's shape, for the OpenAPI document; [`parse_events`]
         *     reads it so that an error can name the event and the field).
         */
        OneOrMany: components["schemas"]["Event"][] | components["schemas"]["Event"];
        OnlineBody: {
            online: boolean;
        };
        /** @description WhatsApp outside the 24-hour window: the template it takes, or why it cannot be sent. */
        OutsideWindow: components["schemas"]["RenderedMessage"] | {
            refused: string;
        };
        /** @description A step a run went through and the port it left by. */
        PathStep: {
            port: string;
            step: string | null;
        };
        /** @description A port of a configured step. */
        PortSpec: {
            /** @description What the editor shows on the handle. */
            label: string;
            /** @description The name edges use in `next:`. */
            name: string;
            /** @description Must an edge leave from it? (An unconnected optional port ends the run.) */
            required: boolean;
        };
        /** @description A position in a source file; both numbers start at 1, columns count characters. */
        Pos: {
            /** Format: uint */
            col: number;
            /** Format: uint */
            line: number;
        };
        /** @description A message to preview, as a send or ask step would produce it. */
        PreviewBody: {
            /** @default [] */
            attachments?: components["schemas"]["Attachment"][];
            /** @description Buttons or options, in order. */
            options?: components["schemas"]["PreviewOption"][];
            /** @default null */
            template?: components["schemas"]["TemplateMessage"] | null;
            /** @default  */
            text?: string;
        };
        PreviewOption: {
            /** @default null */
            payload?: string | null;
            title: string;
        };
        PublishBody: {
            /**
             * Format: int64
             * @description The draft revision being published; if someone saved another since, 409.
             * @default null
             */
            revision?: number | null;
        };
        /** @description What publishing did: the live version, `unchanged` when the draft was that version already. */
        Published: {
            id: string;
            unchanged: boolean;
            /** Format: int64 */
            version: number;
        };
        /** @description A contact waiting in the assignment queue. */
        QueuedContact: {
            /** @description The agent asked for by name. */
            agent: string | null;
            /** Format: int64 */
            contact_id: number;
            contact_name: string | null;
            /** @description When the step gives up and leaves by `timeout` (RFC 3339). */
            due_at: string | null;
            /** @description Whether only an online agent will do. */
            online_only: boolean;
            /** Format: int64 */
            run_id: number;
            /** @description The `assign` or `escalate` step the run waits on. */
            step: string | null;
            /** @description The team asked for (`null` with no `agent`: anyone in the workspace). */
            team: string | null;
            /**
             * Format: int64
             * @description How long they have waited so far, by the engine's clock.
             */
            waited_seconds: number;
            /** @description When the contact joined the queue (RFC 3339). */
            waiting_since: string;
            workflow_id: string;
        };
        /** @description A button of a message, as sent. */
        QuickReply: {
            payload: string;
            title: string;
        };
        Rating: {
            /** Format: int64 */
            answers: number;
            /** Format: double */
            average: number;
        };
        /** @description Ready: the readiness report, with `status: ready`. */
        Ready: {
            backlog: components["schemas"]["Backlog"];
            /**
             * @description Every background loop; `not_started` where this process runs none (they are not
             *     held against readiness).
             */
            loops: components["schemas"]["LoopReport"][];
            /** @description One sentence per threshold passed or loop down; empty when ready. */
            problems: string[];
            ready: boolean;
            /** @constant */
            status: "ready";
            thresholds: components["schemas"]["ThresholdSeconds"];
        };
        /** @description A message as one channel will show it. */
        RenderedMessage: {
            /** @description The calls to the channel's API that send it. */
            calls: components["schemas"]["ChannelCall"][];
            /**
             * @description The native form: `text`, `buttons`, `list`, `quick_replies`, `inline_keyboard`,
             *     `numbered_text`, `template`.
             */
            format: string;
            /** @description What the channel's limits changed. */
            notes: string[];
        };
        /** @description An agent's reply sent: runs it ended early. */
        Replied: {
            exited: number[];
        };
        ReplyBody: {
            /** @default null */
            agent_id?: string | null;
            text: string;
        };
        /** @description A message whose delivery was unknown, sent again. */
        Resent: {
            /** Format: int64 */
            resent: number;
        };
        /** @description A stopped workflow started again, at its live version. */
        Restarted: {
            id: string;
            /** @constant */
            status: "published";
            /** Format: int64 */
            version: number;
        };
        /**
         * @description What a token may do.
         * @enum {string}
         */
        Role: "admin" | "ops" | "agent" | "integration";
        RollbackBody: {
            /** Format: int64 */
            version: number;
        };
        /** @description A rollback: the new version, published from `from`. */
        RolledBack: {
            /** Format: int64 */
            from: number;
            id: string;
            /** Format: int64 */
            version: number;
        };
        /** @description A run with its journal and the path it took. */
        RunDetail: {
            journal: components["schemas"]["JournalEntry"][];
            path: components["schemas"]["PathStep"][];
            run: components["schemas"]["RunInfo"];
        };
        /** @description One run: where it stands, its variables and why it waits. */
        RunInfo: {
            /** Format: int64 */
            contact_id: number;
            /** Format: int64 */
            id: number;
            last_error: string | null;
            status: components["schemas"]["RunStatus"];
            step: string | null;
            vars: unknown;
            /** Format: int64 */
            version: number;
            waiting: components["schemas"]["Waiting"] | null;
            workflow_id: string;
        };
        /** @description A run as the runs list shows it. */
        RunRow: {
            /** Format: int64 */
            contact_id: number;
            created_at: string;
            due_at: string | null;
            /** Format: int64 */
            id: number;
            last_error: string | null;
            status: components["schemas"]["RunStatus"];
            step: string | null;
            /** Format: int64 */
            version: number;
            /** @description What it waits for (`reply`, `timer`, `agent`, `effect`). */
            waiting_for: string | null;
            workflow_id: string;
        };
        /**
         * @description A run's status, as stored (`runs.status`) and as every layer above speaks of it.
         * @enum {string}
         */
        RunStatus: "running" | "waiting" | "completed" | "failed" | "cancelled" | "exited";
        /** @description What the tester, as the contact, sends: text, or a pressed button's payload (and title). */
        SayBody: {
            /** @default null */
            payload?: string | null;
            /** @default null */
            text?: string | null;
        };
        /** @description A secret as the API lists it: its name and dates, never its value. */
        SecretInfo: {
            /** @description RFC 3339. */
            created_at: string;
            name: string;
            /** @description RFC 3339. */
            updated_at: string;
        };
        /** @description The answer of `GET /api/secrets`. */
        SecretList: {
            secrets: components["schemas"]["SecretInfo"][];
        };
        /** @description The body of `PUT /api/secrets/{name}`. */
        SecretValue: {
            /** @description The secret's value (8 bytes to 64 KiB); write-only. */
            value: string;
        };
        /**
         * @description How bad a diagnostic is: errors block publishing, warnings do not.
         * @enum {string}
         */
        Severity: "error" | "warning";
        /** @description A shortcut an agent may press, with its form. */
        Shortcut: {
            form: components["schemas"]["FormField"][];
            label: string;
            workflow_id: string;
        };
        /** @description A shortcut press from the agent console. */
        ShortcutBody: {
            /**
             * @description Only for admin tokens, which act as no agent of their own.
             * @default null
             */
            agent_id?: string | null;
            /** Format: int64 */
            contact_id: number;
            /** @default {} */
            form?: {
                [key: string]: unknown;
            };
        };
        /** @description A shortcut pressed: runs it started, workflows queued behind a run of theirs. */
        ShortcutPressed: {
            queued: string[];
            started: number[];
        };
        SimulatedMessage: {
            /** @description Who writes: their address on the simulator channel (any short text). */
            address: string;
            /**
             * @description Their name, used when the contact is new.
             * @default null
             */
            name?: string | null;
            /**
             * @description A pressed button's payload.
             * @default null
             */
            payload?: string | null;
            /** @default null */
            text?: string | null;
        };
        /** @description What a simulator contact sees of their conversation: their messages and those sent to them. */
        SimulatorConversation: {
            /** Format: int64 */
            contact_id: number;
            messages: components["schemas"]["TimelineLine"][];
        };
        /** @description A simulator contact's message handled: the contact it came from. */
        SimulatorSaid: {
            /** Format: int64 */
            contact_id: number | null;
        };
        /** @description Starts a session. */
        StartBody: {
            /**
             * @description The time the session pretends it is, with its offset (`2026-12-05T10:00:00+09:00`);
             *     omitted, the real time.
             * @default null
             */
            at?: string | null;
            /** @description The workflow's YAML as the editor has it (saved or not); it must compile. */
            source: string;
            /** @description How to set it off; defaults to the workflow's own trigger type with empty inputs. */
            trigger?: components["schemas"]["TestTrigger"] | null;
        };
        /** @description Step ids by what happened to them between two versions. */
        StepChanges: {
            added: string[];
            changed: string[];
            removed: string[];
        };
        /** @description Figures for one step. */
        StepFigures: {
            /**
             * Format: int64
             * @description Runs that ended here without completing (failed, exited, cancelled).
             */
            dropped: number;
            /** @description HTTP steps: calls that failed or answered with an error status. */
            http_errors?: components["schemas"]["HttpErrors"] | null;
            /** @description How often each port was taken, counted per visit. */
            ports: {
                [key: string]: number;
            };
            /** @description Rating questions: the average answer and how many answered. */
            rating?: components["schemas"]["Rating"] | null;
            /**
             * Format: int64
             * @description Distinct runs that entered the step (once each, however often they came back).
             */
            runs: number;
            /**
             * Format: int64
             * @description Entries into the step: a run that came back by a jump counts once per visit.
             */
            visits: number;
            /**
             * Format: int64
             * @description Runs waiting here now.
             */
            waiting: number;
        };
        StopBody: {
            /**
             * @description Cancel the runs under way too (by default they finish).
             * @default false
             */
            eject?: boolean;
        };
        /** @description A workflow stopped: its status and how many runs under way were cancelled. */
        Stopped: {
            /** Format: uint */
            cancelled: number;
            id: string;
            /** @constant */
            status: "stopped";
        };
        /** @description A pre-approved template message (WhatsApp outside the 24-hour window). */
        TemplateMessage: {
            /**
             * @description Its language code, for example `en_US`.
             * @default en
             */
            language?: string;
            /** @description The template's name as approved by the channel. */
            name: string;
            /** @description Body parameters in order; each is a template with variables. */
            params?: string[];
        };
        /** @description A test session's clock: its time now and how far that is from the real time. */
        TestClock: {
            /** @description The session's time now (RFC 3339, UTC). */
            now: string;
            /**
             * Format: int64
             * @description How far it is from the real time, in milliseconds (0: the real time).
             */
            offset_ms: number;
            /** Format: int64 */
            session: number;
        };
        /** @description What closing the test chat's conversation did. */
        TestClosed: {
            exited: number[];
            notes: string[];
            started: number[];
        };
        /** @description A run of a test chat. */
        TestRun: {
            /** Format: int64 */
            id: number;
            last_error: string | null;
            path: components["schemas"]["PathStep"][];
            status: components["schemas"]["RunStatus"];
            step: string | null;
            /** @description A run of the draft under test (not of a published version). */
            test: boolean;
            /** Format: int64 */
            version: number;
            waiting: components["schemas"]["Waiting"] | null;
            workflow_id: string;
        };
        /** @description What the tester's message did: runs started and resumed, and why the flow did not start. */
        TestSaid: {
            notes: string[];
            resumed: number[];
            started: number[];
        };
        /** @description A test chat: its contact, timeline, runs with their paths, next timer and clock. */
        TestSession: {
            clock: components["schemas"]["TestClock"];
            contact: components["schemas"]["ContactView"];
            /** @description When the next timer fires, on the session's clock (RFC 3339). */
            next_timer: string | null;
            runs: components["schemas"]["TestRun"][];
            /** Format: int64 */
            session: number;
            timeline: components["schemas"]["TimelineLine"][];
            workflow_id: string;
        };
        /** @description A test chat just started. */
        TestStarted: {
            notes: string[];
            /**
             * Format: int64
             * @description The session's id, which is its contact's id.
             */
            session: number;
            /** @description Runs the trigger started (empty when it did not match; `notes` say why). */
            started: number[];
            workflow_id: string;
        };
        /**
         * @description How the tester sets the flow off; each variant mirrors a trigger type. Omitted, the
         *     workflow's own trigger type is used with empty inputs.
         */
        TestTrigger: {
            /** @default  */
            text?: string;
            /** @constant */
            type: "message_received";
        } | {
            /** @constant */
            type: "conversation_opened";
        } | {
            /** @default null */
            category?: string | null;
            /** @default null */
            summary?: string | null;
            /** @constant */
            type: "conversation_closed";
        } | {
            /** @default false */
            removed?: boolean;
            /** @default null */
            tag?: string | null;
            /** @constant */
            type: "tag_updated";
        } | {
            /** @constant */
            type: "field_updated";
            /** @default null */
            value?: unknown;
        } | {
            /** @default null */
            agent_id?: string | null;
            /** @default {} */
            form?: {
                [key: string]: unknown;
            };
            /** @constant */
            type: "shortcut";
        } | {
            /** @default null */
            payload?: unknown;
            /** @constant */
            type: "webhook";
        } | {
            /** @constant */
            type: "manual";
            /** @default {} */
            vars?: {
                [key: string]: unknown;
            };
        } | {
            /** @constant */
            type: "schedule";
        };
        /** @description The thresholds, in seconds. */
        ThresholdSeconds: {
            /** Format: double */
            loop_silent: number;
            /** Format: double */
            outbox_due: number;
            /** Format: double */
            queued_event: number;
            /** Format: double */
            timer_overdue: number;
        };
        /**
         * @description A line of a conversation: a message (the contact's, a flow's, an agent's), an internal note
         *     or a system line. Messages carry every field; the test chat's HTTP lines only `direction`,
         *     `kind`, `sender`, `text`, `step` and `status`.
         */
        TimelineLine: {
            /** @description When (RFC 3339). */
            at?: string | null;
            channel?: string | null;
            /** Format: int64 */
            conversation_id?: number | null;
            direction: components["schemas"]["Direction"];
            error?: string | null;
            /** @description What answer the message waits for (`text`, `number`, `choice`, ...). */
            expects?: string | null;
            /** Format: int64 */
            id?: number | null;
            /** @description What the message is (`http` for the test chat's HTTP lines). */
            kind?: string | null;
            quick_replies?: components["schemas"]["QuickReply"][] | null;
            sender: string;
            /** @description The delivery status (`received`, `queued`, `sent`, `failed`, ...; `note` for notes). */
            status: string;
            /** @description The HTTP step a test-chat line is about. */
            step?: string | null;
            text: string | null;
        };
        /** @description A token just created: the only answer that shows the token itself. */
        TokenCreated: {
            agent_id: string | null;
            created_at: string;
            /** Format: int64 */
            id: number;
            name: string;
            role: components["schemas"]["Role"];
            token: string;
        };
        /** @description An API token as admins list it (never the token or its hash); `current` marks the caller's. */
        TokenListed: {
            agent_id: string | null;
            created_at: string | null;
            current: boolean;
            /** Format: int64 */
            id: number;
            last_used_at: string | null;
            name: string;
            revoked_at: string | null;
            role: string;
        };
        /** @description A token revoked, and when. */
        TokenRevoked: {
            /** Format: int64 */
            id: number;
            revoked_at: string;
        };
        /** @description An identifier a contact proved (an email, a phone number), on which channel and when. */
        VerifiedIdentifier: {
            channel: string;
            kind: string;
            value: string;
            verified_at: string;
        };
        /** @description A unified text diff of two versions and which steps were added, removed or changed. */
        VersionDiff: {
            steps: components["schemas"]["StepChanges"];
            unified: string;
        };
        /** @description Per-step run figures of a published version. */
        VersionFigures: {
            /** @description Runs by status. */
            runs: {
                [key: string]: number;
            };
            steps: {
                [key: string]: components["schemas"]["StepFigures"];
            };
            /** Format: int64 */
            version: number;
            workflow_id: string;
        };
        /** @description A published version (`source` only when one version is asked for). */
        VersionInfo: {
            published_at: string;
            source?: string | null;
            /** Format: int64 */
            version: number;
        };
        /** @description Why a run waits. */
        Waiting: {
            /** @description When the wait gives up (RFC 3339). */
            due_at?: string | null;
            /** @description `reply`, `timer`, `agent` or `effect`. */
            kind: string;
            last_error?: string | null;
            /** @description The same in words. */
            reason: string;
            /**
             * @description For `agent`: the assignment request (team, agent, online only); `null` otherwise.
             * @default null
             */
            request?: unknown;
            /** @description Since when (RFC 3339). */
            since?: string | null;
            step?: string | null;
        };
        /** @description A signed webhook stored. */
        WebhookAccepted: {
            accepted: boolean;
        };
        /** @description A webhook workflow's new signing secret (shown this once) and how to sign with it. */
        WebhookSecret: {
            secret: string;
            signing: string;
            workflow_id: string;
        };
        /** @description One workflow with its draft. */
        WorkflowDetail: {
            /** Format: int64 */
            current_version: number | null;
            /** @description Problems in the draft (publishing is refused while any is an error). */
            diagnostics: components["schemas"]["Diagnostic"][];
            /** @description The draft's text. */
            draft: string;
            id: string;
            name: string;
            /**
             * Format: int64
             * @description The draft's revision (the name every answer uses: create, save, conflicts' base).
             */
            revision: number;
            /** @description Runs by status (test runs left out). */
            runs: {
                [key: string]: number;
            };
            /**
             * @description `draft` (never published), `published` (live) or `stopped`.
             * @enum {string}
             */
            status: "draft" | "published" | "stopped";
            trigger_type: string | null;
            updated_at: string;
        };
        /** @description A workflow as the list shows it. */
        WorkflowSummary: {
            /** Format: int64 */
            current_version: number | null;
            id: string;
            name: string;
            /**
             * Format: int64
             * @description The draft's revision (the name every answer uses: create, save, conflicts' base).
             */
            revision: number;
            /** @description Runs by status (test runs left out). */
            runs: {
                [key: string]: number;
            };
            /**
             * @description `draft` (never published), `published` (live) or `stopped`.
             * @enum {string}
             */
            status: "draft" | "published" | "stopped";
            trigger_type: string | null;
            updated_at: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getAgents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Agent"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putAgentsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AgentSpec"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentSpec"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postAgentsByIdOnline: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OnlineBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentOnline"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getChannels: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionList"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getChannelsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionView"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putChannelsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionInput"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionView"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteChannelsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getChannelsByIdWebhook: {
        parameters: {
            query?: {
                /** @description Echoed back as plain text when it is 1 to 64 ASCII letters or digits (Meta sends digits). */
                "hub.challenge"?: string | null;
                "hub.mode"?: string | null;
                "hub.verify_token"?: string | null;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postChannelsByIdWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChannelDelivery"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postChannelsPreview: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreviewBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChannelPreviews"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postCompile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CompileBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Compiled"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getContacts: {
        parameters: {
            query?: {
                /** @description The `X-Next-Cursor` of the previous page. */
                after?: string | null;
                /** @description How many items a page holds (1 to 1,000; default 100). */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description The next page's URL, `rel="next"` (with `X-Next-Cursor`) */
                    Link?: string;
                    /** @description Present when another page follows: pass it as `after` to read that page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactView"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getContactsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactView"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postContactsByIdAssign: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key of the client's choosing (a fresh UUID per user action, the same on every retry of that action). The same key from the same token within 24 hours answers the first request's status and body again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a 422 `idempotency_key_reused`; while the first request is still being handled, a 409 `idempotency_key_in_use`. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AssignBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Assigned"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postContactsByIdClose: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key of the client's choosing (a fresh UUID per user action, the same on every retry of that action). The same key from the same token within 24 hours answers the first request's status and body again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a 422 `idempotency_key_reused`; while the first request is still being handled, a 409 `idempotency_key_in_use`. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CloseBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationClosed"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getContactsByIdMessages: {
        parameters: {
            query?: {
                /** @description The `X-Next-Cursor` of the previous page. */
                after?: string | null;
                /** @description How many items a page holds (1 to 1,000; default 100). */
                limit?: number | null;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description The next page's URL, `rel="next"` (with `X-Next-Cursor`) */
                    Link?: string;
                    /** @description Present when another page follows: pass it as `after` to read that page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimelineLine"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postContactsByIdMessages: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key of the client's choosing (a fresh UUID per user action, the same on every retry of that action). The same key from the same token within 24 hours answers the first request's status and body again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a 422 `idempotency_key_reused`; while the first request is still being handled, a 409 `idempotency_key_in_use`. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReplyBody"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Replied"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postContactsByIdOpen: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key of the client's choosing (a fresh UUID per user action, the same on every retry of that action). The same key from the same token within 24 hours answers the first request's status and body again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a 422 `idempotency_key_reused`; while the first request is still being handled, a 409 `idempotency_key_in_use`. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOpened"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getConversations: {
        parameters: {
            query?: {
                /** @description The `X-Next-Cursor` of the previous page. */
                after?: string | null;
                /** @description An agent id, `me`, or `unassigned`. */
                assignee?: string | null;
                /** @description How many conversations a page holds (1 to 1,000; default 100). */
                limit?: number | null;
                status?: components["schemas"]["ConversationStatus"];
                team?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description The next page's URL, `rel="next"` (with `X-Next-Cursor`) */
                    Link?: string;
                    /** @description Present when another page follows: pass it as `after` to read that page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationRow"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getDeadLetters: {
        parameters: {
            query?: {
                /** @description The cursor of the next page (the `X-Next-Cursor` header of the previous answer). */
                after?: string | null;
                /** @description Dead letters per page (1 to 1,000; 100 by default). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description The next page's URL, `rel="next"` (with `X-Next-Cursor`) */
                    Link?: string;
                    /** @description Present when another page follows: pass it as `after` to read that page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetter"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteDeadLettersById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postDeadLettersByIdRetry: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetterRequeued"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postEvents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OneOrMany"];
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventsAccepted"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getKinds: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KindInfo"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getLive: {
        parameters: {
            query?: {
                contact_id?: number | null;
                run_id?: number | null;
                workflow?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postMessagesByIdResend: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Resent"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpenapiJson: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getQueue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueuedContact"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRuns: {
        parameters: {
            query?: {
                /** @description The `X-Next-Cursor` of the previous page. */
                after?: string | null;
                contact?: number | null;
                /** @description How many runs a page holds (1 to 1,000; default 100). */
                limit?: number | null;
                status?: components["schemas"]["RunStatus"] | null;
                /** @description Include the editor's test-chat runs (left out by default). */
                test?: boolean;
                version?: number | null;
                workflow?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description The next page's URL, `rel="next"` (with `X-Next-Cursor`) */
                    Link?: string;
                    /** @description Present when another page follows: pass it as `after` to read that page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunRow"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRunsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetail"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postRunsByIdCancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cancelled"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postRunsByIdRetry: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunInfo"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postRunsCancel: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CancelBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cancelled"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSchema: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSecrets: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretList"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putSecretsByName: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecretValue"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretInfo"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteSecretsByName: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getShortcuts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Shortcut"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postShortcutsByWorkflow: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key of the client's choosing (a fresh UUID per user action, the same on every retry of that action). The same key from the same token within 24 hours answers the first request's status and body again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a 422 `idempotency_key_reused`; while the first request is still being handled, a 409 `idempotency_key_in_use`. */
                "Idempotency-Key"?: string;
            };
            path: {
                workflow: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ShortcutBody"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShortcutPressed"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSimulatorContactsByAddress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                address: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SimulatorConversation"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postSimulatorMessages: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key of the client's choosing (a fresh UUID per user action, the same on every retry of that action). The same key from the same token within 24 hours answers the first request's status and body again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a 422 `idempotency_key_reused`; while the first request is still being handled, a 409 `idempotency_key_in_use`. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimulatedMessage"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SimulatorSaid"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postTestSessions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartBody"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestStarted"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTestSessionsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestSession"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteTestSessionsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cancelled"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putTestSessionsByIdClock: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClockBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestClock"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postTestSessionsByIdClose: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CloseBody2"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestClosed"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postTestSessionsByIdFastForward: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FastForwarded"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postTestSessionsByIdMessages: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SayBody"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestSaid"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTokens: {
        parameters: {
            query?: {
                /** @description The `X-Next-Cursor` of the previous page. */
                after?: string | null;
                /** @description How many tokens a page holds (1 to 1,000; default 100). */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description The next page's URL, `rel="next"` (with `X-Next-Cursor`) */
                    Link?: string;
                    /** @description Present when another page follows: pass it as `after` to read that page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenListed"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewToken"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenCreated"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteTokensById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenRevoked"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWebhooksByWorkflow: {
        parameters: {
            query?: never;
            header: {
                /** @description `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` with the webhook secret */
                "x-switchboard-signature": string;
                /** @description Unix seconds when the request was signed (within 5 minutes of now) */
                "x-switchboard-timestamp": string;
            };
            path: {
                workflow: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookAccepted"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflows: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowSummary"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflows: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DraftBody"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DraftSaved"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowsById: {
        parameters: {
            query?: {
                format?: string | null;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDetail"];
                    "application/yaml": unknown;
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowsByIdDiff: {
        parameters: {
            query: {
                from: number;
                to: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionDiff"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putWorkflowsByIdDraft: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DraftBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DraftSaved"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowsByIdExport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "application/yaml": unknown;
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowsByIdFigures: {
        parameters: {
            query?: {
                /** @description The published version; defaults to the live one. */
                version?: number | null;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionFigures"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflowsByIdPublish: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PublishBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Published"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflowsByIdRollback: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RollbackBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RolledBack"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflowsByIdStart: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Restarted"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflowsByIdStop: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["StopBody"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Stopped"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowsByIdVersions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionInfo"][];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWorkflowsByIdVersionsByVersion: {
        parameters: {
            query?: {
                format?: string | null;
            };
            header?: never;
            path: {
                id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionInfo"];
                    "application/yaml": unknown;
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflowsByIdWebhookSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookSecret"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postWorkflowsImport: {
        parameters: {
            query?: {
                /** @description Refuse (409) unless the current draft is at this revision. */
                base_revision?: number | null;
                /** @description Publish the imported draft as a new version. */
                publish?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, never>;
                "application/yaml": string;
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Imported"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getHealthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getReadyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
            /** @description An error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
