//! Workflow management: drafts with optimistic concurrency, versions, diffs, rollback,
//! stopping and starting. Publishing itself is in `publish.rs`; the rows are the store's
//! (`engine/store/src/workflows.rs`).

use super::{Engine, Error};
use crate::clock::from_millis;
use serde::Serialize;
use serde_json::{json, Value};
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
        let rows = store::workflows::list(&self.inner.pool, self.inner.backend).await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// One workflow with its draft and the draft's diagnostics.
    pub async fn workflow(&self, id: &str) -> Result<WorkflowDetail, Error> {
        let row = store::workflows::detail(&self.inner.pool, self.inner.backend, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("workflow {id}")))?;
        let draft = row.draft;
        let diagnostics = self.compile(&draft).await.diagnostics;
        Ok(WorkflowDetail { summary: summary(row.summary), draft, diagnostics })
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
        let current = store::workflows::draft(tx.conn(), &id).await?.map(|d| (d.draft_revision, d.draft));
        let revision = match current {
            None => {
                store::workflows::create_draft(tx.conn(), &id, &name, source, now).await?;
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
                    let base_source = store::workflows::draft_source(tx.conn(), &id, base).await?;
                    let saved_by = store::workflows::draft_saved_by(tx.conn(), &id, revision).await?;
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
                store::workflows::update_draft(tx.conn(), &id, &name, source, revision + 1, now).await?;
                revision + 1
            }
        };
        let draft = store::workflows::NewDraft { workflow_id: &id, revision, source, saved_at: now, saved_by: by };
        store::workflows::record_draft(tx.conn(), draft).await?;
        self.commit(tx).await?;
        Ok(DraftSaved { id, revision, diagnostics: compiled.diagnostics })
    }

    /// Publishes the saved draft of `id`. With `revision`, only if the draft is still at that
    /// revision (what the person publishing looked at), else 409. A draft that is exactly the
    /// current version makes no new version: the answer is that version, `unchanged`.
    pub async fn publish_draft(&self, id: &str, revision: Option<i64>) -> Result<Published, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        let store::workflows::DraftRow { draft, draft_revision: current } =
            store::workflows::draft(&mut conn, id).await?.ok_or_else(|| Error::NotFound(format!("workflow {id}")))?;
        drop(conn);
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
        let rows = store::workflows::versions(&self.inner.pool, id).await?;
        if rows.is_empty() {
            self.workflow(id).await?;
        }
        Ok(rows
            .into_iter()
            .map(|r| VersionInfo {
                version: r.version,
                published_at: from_millis(r.published_at).to_rfc3339(),
                source: None,
            })
            .collect())
    }

    /// One published version with its source.
    pub async fn version(&self, id: &str, version: i64) -> Result<VersionInfo, Error> {
        let row = store::workflows::version(&self.inner.pool, id, version)
            .await?
            .ok_or_else(|| Error::NotFound(format!("workflow {id} version {version}")))?;
        Ok(VersionInfo { version, published_at: from_millis(row.published_at).to_rfc3339(), source: Some(row.source) })
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
        let current = store::workflows::current_version(&self.inner.pool, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("workflow {id}")))?;
        let version = current.ok_or_else(|| Error::Refused(format!("workflow `{id}` was never published")))?;
        let source = self.version(id, version).await?.source.unwrap_or_default();
        let wf = super::registry::compile_stored(id, version, &source).await?;
        let mut tx = self.begin().await?;
        store::workflows::set_status(tx.conn(), id, "published", self.now_ms()).await?;
        super::schedule::on_publish(tx.conn(), &wf, self.inner.timezone, self.inner.clock.now()).await?;
        self.commit(tx).await?;
        self.inner.registry.set_live(id, version, wf);
        Ok(version)
    }
}

fn summary(row: store::workflows::SummaryRow) -> WorkflowSummary {
    WorkflowSummary {
        id: row.id,
        name: row.name,
        status: row.status,
        trigger_type: row.trigger_type,
        current_version: row.current_version,
        revision: row.draft_revision,
        updated_at: from_millis(row.updated_at).to_rfc3339(),
        runs: row.runs.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_else(|| json!({})),
    }
}
