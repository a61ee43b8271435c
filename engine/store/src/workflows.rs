//! `workflows`, `workflow_versions`, `workflow_drafts`: a workflow's draft with its revision
//! history, its published versions, its status and the listing with run counts. The rules
//! (optimistic concurrency, what publishing means) are the runtime's
//! (`engine/runtime/src/workflows.rs`, `publish.rs`); this file only reads and writes rows.

use crate::{Backend, Conn, Error, Pool};

/// The advisory lock space (first key of the two-key form) of publishing a workflow.
const WORKFLOW_LOCKS: i32 = 8;

/// A workflow as the list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SummaryRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub trigger_type: Option<String>,
    pub current_version: Option<i64>,
    pub draft_revision: i64,
    pub updated_at: i64,
    /// The run counts by status (test runs left out), a JSON object as text.
    pub runs: Option<String>,
}

/// A workflow with its draft.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DetailRow {
    #[sqlx(flatten)]
    pub summary: SummaryRow,
    pub draft: String,
}

/// A subquery giving a workflow's run counts by status as a JSON object (test runs left out).
fn run_counts_column(backend: Backend) -> String {
    format!(
        "(SELECT {} FROM (SELECT status, COUNT(*) AS n FROM runs r WHERE r.workflow_id = w.id AND r.version > 0
            GROUP BY status) AS counts)",
        backend.json_object_agg("status", "n")
    )
}

/// Every workflow with run counts, by id.
pub async fn list(pool: &Pool, backend: Backend) -> Result<Vec<SummaryRow>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT w.id, w.name, w.status, w.trigger_type, w.current_version, w.draft_revision, w.updated_at,
            {} AS runs
         FROM workflows w ORDER BY w.id",
        run_counts_column(backend)
    )))
    .fetch_all(pool)
    .await?)
}

/// One workflow with run counts and its draft.
pub async fn detail(pool: &Pool, backend: Backend, id: &str) -> Result<Option<DetailRow>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT w.id, w.name, w.status, w.trigger_type, w.current_version, w.draft_revision, w.updated_at, w.draft,
            {} AS runs
         FROM workflows w WHERE w.id = $1",
        run_counts_column(backend)
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// A workflow's draft and its revision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub draft: String,
    pub draft_revision: i64,
}

/// The draft of `id` and its revision.
pub async fn draft(c: &mut Conn, id: &str) -> Result<Option<DraftRow>, Error> {
    Ok(sqlx::query_as("SELECT draft, draft_revision FROM workflows WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?)
}

/// Creates a workflow with its first draft (revision 1), unpublished.
pub async fn create_draft(c: &mut Conn, id: &str, name: &str, source: &str, now: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO workflows (id, name, status, draft, draft_revision, updated_at) VALUES ($1, $2, 'draft', $3, 1, $4)",
    )
    .bind(id)
    .bind(name)
    .bind(source)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Replaces the draft of `id` (and its name) at `revision`.
pub async fn update_draft(
    c: &mut Conn,
    id: &str,
    name: &str,
    source: &str,
    revision: i64,
    now: i64,
) -> Result<(), Error> {
    sqlx::query("UPDATE workflows SET name = $1, draft = $2, draft_revision = $3, updated_at = $4 WHERE id = $5")
        .bind(name)
        .bind(source)
        .bind(revision)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// A saved draft of the history.
#[derive(Debug, Clone, Copy)]
pub struct NewDraft<'a> {
    pub workflow_id: &'a str,
    pub revision: i64,
    pub source: &'a str,
    pub saved_at: i64,
    pub saved_by: &'a str,
}

/// Keeps a draft in the history.
pub async fn record_draft(c: &mut Conn, d: NewDraft<'_>) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO workflow_drafts (workflow_id, revision, source, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(d.workflow_id)
    .bind(d.revision)
    .bind(d.source)
    .bind(d.saved_at)
    .bind(d.saved_by)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The source of the draft of `id` at `revision`, if the history has it.
pub async fn draft_source(c: &mut Conn, id: &str, revision: i64) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar("SELECT source FROM workflow_drafts WHERE workflow_id = $1 AND revision = $2")
        .bind(id)
        .bind(revision)
        .fetch_optional(&mut *c)
        .await?)
}

/// Who saved the draft of `id` at `revision`, if known.
pub async fn draft_saved_by(c: &mut Conn, id: &str, revision: i64) -> Result<Option<String>, Error> {
    let by: Option<Option<String>> =
        sqlx::query_scalar("SELECT saved_by FROM workflow_drafts WHERE workflow_id = $1 AND revision = $2")
            .bind(id)
            .bind(revision)
            .fetch_optional(&mut *c)
            .await?;
    Ok(by.flatten())
}

/// A published version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub published_at: i64,
}

/// The published versions of `id`, newest first.
pub async fn versions(pool: &Pool, id: &str) -> Result<Vec<VersionRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT version, published_at FROM workflow_versions WHERE workflow_id = $1 ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?)
}

/// A published version with its source.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionSource {
    pub source: String,
    pub published_at: i64,
}

/// One published version of `id` with its source.
pub async fn version(pool: &Pool, id: &str, version: i64) -> Result<Option<VersionSource>, Error> {
    Ok(sqlx::query_as("SELECT source, published_at FROM workflow_versions WHERE workflow_id = $1 AND version = $2")
        .bind(id)
        .bind(version)
        .fetch_optional(pool)
        .await?)
}

/// The source of version `version` of `id`, or, for a negative version, of the test-chat
/// session `-version`'s snapshot of the draft.
pub async fn source_of_version(c: &mut Conn, id: &str, version: i64) -> Result<Option<String>, Error> {
    let sql = if version < 0 {
        "SELECT source FROM test_sessions WHERE workflow_id = $1 AND contact_id = -$2"
    } else {
        "SELECT source FROM workflow_versions WHERE workflow_id = $1 AND version = $2"
    };
    Ok(sqlx::query_scalar(sql).bind(id).bind(version).fetch_optional(&mut *c).await?)
}

/// The current version of `id`: `None` if there is no such workflow, `Some(None)` if it was
/// never published.
pub async fn current_version(pool: &Pool, id: &str) -> Result<Option<Option<i64>>, Error> {
    Ok(sqlx::query_scalar("SELECT current_version FROM workflows WHERE id = $1").bind(id).fetch_optional(pool).await?)
}

/// The status of `id` (`draft`, `published`, `stopped`), if it exists.
pub async fn status(pool: &Pool, id: &str) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar("SELECT status FROM workflows WHERE id = $1").bind(id).fetch_optional(pool).await?)
}

/// Sets the status of `id`; returns whether it exists.
pub async fn set_status(c: &mut Conn, id: &str, status: &str, now: i64) -> Result<bool, Error> {
    let changed = sqlx::query("UPDATE workflows SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(changed > 0)
}

/// PostgreSQL: takes the publishing lock of `id` for the transaction, so processes
/// publishing the same workflow at once take turns (versions numbered without gaps or
/// clashes). Nothing on SQLite, whose single writer already serialises them.
pub async fn lock_for_publishing(c: &mut Conn, backend: Backend, id: &str) -> Result<(), Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))::text")
            .bind(WORKFLOW_LOCKS)
            .bind(id)
            .fetch_one(&mut *c)
            .await?;
    }
    Ok(())
}

/// A workflow's current version and status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CurrentRow {
    pub current_version: Option<i64>,
    pub status: String,
}

/// The current version and status of `id`, if it exists.
pub async fn current(c: &mut Conn, id: &str) -> Result<Option<CurrentRow>, Error> {
    Ok(sqlx::query_as("SELECT current_version, status FROM workflows WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?)
}

/// The source of version `version` of `id` (inside a transaction).
pub async fn version_source(c: &mut Conn, id: &str, version: i64) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar("SELECT source FROM workflow_versions WHERE workflow_id = $1 AND version = $2")
        .bind(id)
        .bind(version)
        .fetch_optional(&mut *c)
        .await?)
}

/// The current version of a workflow with its source and status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveRow {
    pub version: i64,
    pub source: String,
    pub status: String,
}

/// The current version of `id` with its source and the workflow's status.
pub async fn current_with_source(pool: &Pool, id: &str) -> Result<Option<LiveRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT v.version, v.source, w.status FROM workflows w
         JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version WHERE w.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// A version to publish.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub source: &'a str,
    pub version: i64,
    pub trigger_type: &'a str,
    pub now: i64,
}

/// Publishes a new version: the workflow (created if new) is published at it, its draft
/// becomes the source (a new draft revision if the text changed, kept in the history too).
pub async fn publish(c: &mut Conn, v: NewVersion<'_>) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO workflows (id, name, status, draft, current_version, trigger_type, updated_at)
         VALUES ($1, $2, 'published', $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = 'published', draft = excluded.draft,
            draft_revision = CASE WHEN workflows.draft = excluded.draft THEN workflows.draft_revision
                                  ELSE workflows.draft_revision + 1 END,
            current_version = excluded.current_version, trigger_type = excluded.trigger_type,
            updated_at = excluded.updated_at",
    )
    .bind(v.id)
    .bind(v.name)
    .bind(v.source)
    .bind(v.version)
    .bind(v.trigger_type)
    .bind(v.now)
    .execute(&mut *c)
    .await?;
    sqlx::query("INSERT INTO workflow_versions (workflow_id, version, source, published_at) VALUES ($1, $2, $3, $4)")
        .bind(v.id)
        .bind(v.version)
        .bind(v.source)
        .bind(v.now)
        .execute(&mut *c)
        .await?;
    // Keep the draft history in step (a publish of new text is also a save of the draft).
    sqlx::query(
        "INSERT INTO workflow_drafts (workflow_id, revision, source, saved_at, saved_by)
         SELECT id, draft_revision, draft, $1, 'publish' FROM workflows WHERE id = $2 ON CONFLICT DO NOTHING",
    )
    .bind(v.now)
    .bind(v.id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Forgets the queued triggers of `id` (it was stopped: nothing new starts).
pub async fn drop_queued_triggers(c: &mut Conn, id: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM queued_triggers WHERE workflow_id = $1").bind(id).execute(&mut *c).await?;
    Ok(())
}

/// A live workflow's current version, with its source.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveSource {
    pub id: String,
    pub current_version: i64,
    pub source: String,
}

/// Every published workflow's current version with its source.
pub async fn live_sources(pool: &Pool) -> Result<Vec<LiveSource>, Error> {
    Ok(sqlx::query_as(
        "SELECT w.id, w.current_version, v.source FROM workflows w
         JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
         WHERE w.status = 'published'",
    )
    .fetch_all(pool)
    .await?)
}

/// A live workflow's id and current version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveVersion {
    pub id: String,
    pub current_version: i64,
}

/// Every published workflow's id and current version.
pub async fn live_versions(pool: &Pool) -> Result<Vec<LiveVersion>, Error> {
    Ok(sqlx::query_as("SELECT id, current_version FROM workflows WHERE status = 'published'").fetch_all(pool).await?)
}
