//! Workflow management: drafts with optimistic concurrency, versions, diffs, rollback,
//! stopping and starting. Publishing itself is in `mod.rs`.

use super::{Engine, Error};
use crate::clock::from_millis;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::BTreeSet;

/// A workflow as the list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowSummary {
    pub id: String,
    pub name: String,
    pub status: String,
    pub trigger_type: Option<String>,
    pub current_version: Option<i64>,
    /// The draft's revision (the name every answer uses: create, save, conflicts' base).
    pub revision: i64,
    pub updated_at: String,
    /// Runs by status.
    pub runs: Value,
}

/// One workflow with its draft.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowDetail {
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    pub draft: String,
    /// Problems in the draft (publishing is refused while any is an error).
    pub diagnostics: Vec<steps::Diagnostic>,
}

/// What a draft save was based on, for optimistic concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftBase {
    /// A new workflow: refused if the id is taken.
    Create,
    /// An edit of this draft revision: refused if someone saved a newer one in between.
    Revision(i64),
    /// A deliberate replacement (an import): every earlier revision stays in the history.
    Replace,
}

impl DraftBase {
    /// The base of an API save: the revision it names, or a creation.
    pub fn from_revision(revision: Option<i64>) -> DraftBase {
        revision.map_or(DraftBase::Create, DraftBase::Revision)
    }
}

/// What saving a draft did.
#[derive(Debug, Clone, Serialize)]
pub struct DraftSaved {
    pub id: String,
    pub revision: i64,
    pub diagnostics: Vec<steps::Diagnostic>,
}

/// A published version.
#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub published_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What publishing a draft did: the live version, and whether it is an existing one because
/// the draft was exactly the current version's source (no new version is made for that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Published {
    pub version: i64,
    pub unchanged: bool,
}

/// A unified text diff plus which steps were added, removed or changed.
pub fn diff(from: &str, to: &str) -> Value {
    let text =
        similar::TextDiff::from_lines(from, to).unified_diff().context_radius(3).header("from", "to").to_string();
    let steps_of = |source: &str| -> serde_json::Map<String, Value> {
        steps::source::load(source)
            .value
            .and_then(|v| v.get("steps").and_then(Value::as_object).cloned())
            .unwrap_or_default()
    };
    let (a, b) = (steps_of(from), steps_of(to));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for k in keys {
        match (a.get(k), b.get(k)) {
            (None, Some(_)) => added.push(k.clone()),
            (Some(_), None) => removed.push(k.clone()),
            (Some(x), Some(y)) if x != y => changed.push(k.clone()),
            _ => {}
        }
    }
    json!({"unified": text, "steps": {"added": added, "removed": removed, "changed": changed}})
}

impl Engine {
    /// Every workflow with run counts.
    pub async fn workflows(&self) -> Result<Vec<WorkflowSummary>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT w.id, w.name, w.status, w.trigger_type, w.current_version, w.draft_revision, w.updated_at,
                {} AS runs
             FROM workflows w ORDER BY w.id",
            self.run_counts_column()
        )))
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(summary).collect()
    }

    /// A subquery giving a workflow's run counts by status as a JSON object (test runs left out).
    fn run_counts_column(&self) -> String {
        format!(
            "(SELECT {} FROM (SELECT status, COUNT(*) AS n FROM runs r WHERE r.workflow_id = w.id AND r.version > 0
                GROUP BY status) AS counts)",
            self.inner.backend.json_object_agg("status", "n")
        )
    }

    /// One workflow with its draft and the draft's diagnostics.
    pub async fn workflow(&self, id: &str) -> Result<WorkflowDetail, Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT w.id, w.name, w.status, w.trigger_type, w.current_version, w.draft_revision, w.updated_at, w.draft,
                {} AS runs
             FROM workflows w WHERE w.id = $1",
            self.run_counts_column()
        )))
        .bind(id)
        .fetch_optional(&self.inner.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("workflow {id}")))?;
        let draft: String = row.try_get("draft")?;
        let diagnostics = self.compile(&draft).await.diagnostics;
        Ok(WorkflowDetail { summary: summary(&row)?, draft, diagnostics })
    }

    /// Saves a draft. A draft may have errors (they come back as diagnostics) but must parse
    /// and name a valid id. `base` says what the caller edited (see [`DraftBase`]); a save over
    /// a newer draft is refused (409) with the diff from the base to theirs.
    pub async fn save_draft(&self, source: &str, base: DraftBase, by: &str) -> Result<DraftSaved, Error> {
        // The compiler and the parse for the id and name, both off the async threads.
        let (compiled, value) =
            self.compile_with(source, |source| (steps::compile(source), steps::source::load(source).value)).await;
        let fatal: Vec<steps::Diagnostic> = compiled
            .diagnostics
            .iter()
            .filter(|d| {
                matches!(d.code, steps::Code::YamlSyntax | steps::Code::DuplicateKey)
                    || d.path == "/id"
                    || (d.path.is_empty() && d.message.contains("`id`"))
            })
            .cloned()
            .collect();
        let id = value.as_ref().and_then(|v| v.get("id")).and_then(Value::as_str).map(str::to_owned);
        let Some(id) = id.filter(|id| steps::compile::is_valid_workflow_id(id) && fatal.is_empty()) else {
            return Err(Error::Invalid(if fatal.is_empty() { compiled.diagnostics } else { fatal }));
        };
        let name = value.as_ref().and_then(|v| v.get("name")).and_then(Value::as_str).unwrap_or(&id).to_owned();
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let current: Option<(i64, String)> =
            sqlx::query_as("SELECT draft_revision, draft FROM workflows WHERE id = $1")
                .bind(&id)
                .fetch_optional(tx.conn())
                .await?;
        let revision = match current {
            None => {
                sqlx::query("INSERT INTO workflows (id, name, status, draft, draft_revision, updated_at) VALUES ($1, $2, 'draft', $3, 1, $4)")
                    .bind(&id)
                    .bind(&name)
                    .bind(source)
                    .bind(now)
                    .execute(tx.conn())
                    .await?;
                1
            }
            Some((revision, _)) if base == DraftBase::Create => {
                return Err(Error::Conflict {
                    message: format!(
                        "a workflow `{id}` exists (its draft is at revision {revision}); \
                         save over it with `base_revision`, or pick another id"
                    ),
                    details: json!({"current_revision": revision}),
                });
            }
            Some((revision, theirs)) => {
                let stale = match base {
                    DraftBase::Revision(b) if b != revision => Some(b),
                    _ => None,
                };
                if let Some(base) = stale {
                    let base_source: Option<String> = sqlx::query_scalar(
                        "SELECT source FROM workflow_drafts WHERE workflow_id = $1 AND revision = $2",
                    )
                    .bind(&id)
                    .bind(base)
                    .fetch_optional(tx.conn())
                    .await?;
                    let saved_by: Option<String> = sqlx::query_scalar(
                        "SELECT saved_by FROM workflow_drafts WHERE workflow_id = $1 AND revision = $2",
                    )
                    .bind(&id)
                    .bind(revision)
                    .fetch_optional(tx.conn())
                    .await?
                    .flatten();
                    return Err(Error::Conflict {
                        message: format!(
                            "the draft of `{id}` was saved by {} since revision {base}; it is at revision {revision}",
                            saved_by.as_deref().unwrap_or("someone else")
                        ),
                        details: json!({
                            "current_revision": revision,
                            "saved_by": saved_by,
                            "changes": diff(base_source.as_deref().unwrap_or(""), &theirs),
                        }),
                    });
                }
                sqlx::query(
                    "UPDATE workflows SET name = $1, draft = $2, draft_revision = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(&name)
                .bind(source)
                .bind(revision + 1)
                .bind(now)
                .bind(&id)
                .execute(tx.conn())
                .await?;
                revision + 1
            }
        };
        sqlx::query(
            "INSERT INTO workflow_drafts (workflow_id, revision, source, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(revision)
        .bind(source)
        .bind(now)
        .bind(by)
        .execute(tx.conn())
        .await?;
        self.commit(tx).await?;
        Ok(DraftSaved { id, revision, diagnostics: compiled.diagnostics })
    }

    /// Publishes the saved draft of `id`. With `revision`, only if the draft is still at that
    /// revision (what the person publishing looked at), else 409. A draft that is exactly the
    /// current version makes no new version: the answer is that version, `unchanged`.
    pub async fn publish_draft(&self, id: &str, revision: Option<i64>) -> Result<Published, Error> {
        let (draft, current): (String, i64) =
            sqlx::query_as("SELECT draft, draft_revision FROM workflows WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.inner.pool)
                .await?
                .ok_or_else(|| Error::NotFound(format!("workflow {id}")))?;
        if let Some(expected) = revision.filter(|r| *r != current) {
            return Err(Error::Conflict {
                message: format!(
                    "the draft of `{id}` is at revision {current}, not {expected}: someone saved it since; \
                     reload before publishing"
                ),
                details: json!({"current_revision": current}),
            });
        }
        let (_, version, new) = self.publish_new(&draft, true).await?;
        Ok(Published { version, unchanged: !new })
    }

    /// The published versions of `id`, newest first.
    pub async fn versions(&self, id: &str) -> Result<Vec<VersionInfo>, Error> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT version, published_at FROM workflow_versions WHERE workflow_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.inner.pool)
        .await?;
        if rows.is_empty() {
            self.workflow(id).await?;
        }
        Ok(rows
            .into_iter()
            .map(|(version, at)| VersionInfo { version, published_at: from_millis(at).to_rfc3339(), source: None })
            .collect())
    }

    /// One published version with its source.
    pub async fn version(&self, id: &str, version: i64) -> Result<VersionInfo, Error> {
        let (source, at): (String, i64) = sqlx::query_as(
            "SELECT source, published_at FROM workflow_versions WHERE workflow_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.inner.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("workflow {id} version {version}")))?;
        Ok(VersionInfo { version, published_at: from_millis(at).to_rfc3339(), source: Some(source) })
    }

    /// Publishes an old version again, as a new version; the draft becomes it too. Unlike a
    /// publish, a rollback always makes a new version, even of the current one's text: it is a
    /// deliberate act, and the version list is where it shows.
    pub async fn rollback(&self, id: &str, version: i64) -> Result<i64, Error> {
        let source = self.version(id, version).await?.source.unwrap_or_default();
        Ok(self.publish(&source).await?.1)
    }

    /// Lets new runs start again on the current version of a stopped workflow.
    pub async fn start(&self, id: &str) -> Result<i64, Error> {
        let current: Option<i64> = sqlx::query_scalar("SELECT current_version FROM workflows WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.inner.pool)
            .await?
            .ok_or_else(|| Error::NotFound(format!("workflow {id}")))?;
        let version = current.ok_or_else(|| Error::Refused(format!("workflow `{id}` was never published")))?;
        let source = self.version(id, version).await?.source.unwrap_or_default();
        let wf = super::registry::compile_stored(id, version, &source).await?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE workflows SET status = 'published', updated_at = $1 WHERE id = $2")
            .bind(self.now_ms())
            .bind(id)
            .execute(tx.conn())
            .await?;
        super::schedule::on_publish(tx.conn(), &wf, self.inner.timezone, self.inner.clock.now()).await?;
        self.commit(tx).await?;
        self.inner.registry.set_live(id, version, wf);
        Ok(version)
    }
}

fn summary(row: &sqlx::any::AnyRow) -> Result<WorkflowSummary, Error> {
    let runs: Option<String> = row.try_get("runs")?;
    Ok(WorkflowSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        trigger_type: row.try_get("trigger_type")?,
        current_version: row.try_get("current_version")?,
        revision: row.try_get("draft_revision")?,
        updated_at: from_millis(row.try_get("updated_at")?).to_rfc3339(),
        runs: runs.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_else(|| json!({})),
    })
}
