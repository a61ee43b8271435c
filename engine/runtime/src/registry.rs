//! Compiled workflow versions, shared. A version is compiled once and kept behind an `Arc`;
//! runs finish on the version they started on, so old versions are loaded on demand.

use super::Error;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use steps::CompiledWorkflow;
use store::{Conn, Pool};

#[derive(Debug, Default)]
pub(super) struct Registry {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    versions: HashMap<(String, i64), Arc<CompiledWorkflow>>,
    /// Published, not stopped: id → (version, workflow). New runs start on these.
    live: BTreeMap<String, (i64, Arc<CompiledWorkflow>)>,
}

/// Compiles a stored version; stored versions passed the compiler when published, so a
/// failure here means the compiler changed under them, which we report instead of panicking.
pub(super) async fn compile_stored(id: &str, version: i64, source: &str) -> Result<Arc<CompiledWorkflow>, Error> {
    super::compiler::compile(source)
        .await
        .workflow
        .ok_or_else(|| Error::Refused(format!("stored workflow {id} v{version} no longer compiles")))
}

impl Registry {
    /// Loads every published workflow's current version.
    pub async fn load(&self, pool: &Pool) -> Result<(), Error> {
        for row in store::workflows::live_sources(pool).await? {
            let (id, version, source) = (row.id, row.current_version, row.source);
            let wf = compile_stored(&id, version, &source).await?;
            self.set_live(&id, version, wf);
        }
        Ok(())
    }

    /// Makes the live set what the store says, for workflows published or stopped by another
    /// process sharing the store. Versions already compiled are reused.
    pub async fn refresh(&self, pool: &Pool) -> Result<(), Error> {
        let rows = store::workflows::live_versions(pool).await?;
        let mut live = BTreeMap::new();
        for store::workflows::LiveVersion { id, current_version: version } in rows {
            let known = self.read().versions.get(&(id.clone(), version)).cloned();
            let wf = match known {
                Some(wf) => wf,
                None => {
                    let mut conn = store::acquire(pool).await?;
                    self.get(&mut conn, &id, version).await?
                }
            };
            live.insert(id, (version, wf));
        }
        let mut state = self.write();
        if state.live.len() != live.len() || state.live.iter().zip(&live).any(|(a, b)| a.0 != b.0 || a.1 .0 != b.1 .0) {
            tracing::info!(workflows = live.len(), "live workflows changed in another process");
        }
        state.live = live;
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A version, compiled; loads it from the store the first time.
    pub async fn get(&self, c: &mut Conn, id: &str, version: i64) -> Result<Arc<CompiledWorkflow>, Error> {
        if let Some(wf) = self.read().versions.get(&(id.to_owned(), version)) {
            return Ok(wf.clone());
        }
        // A negative version is a test-chat snapshot: session `-version`'s copy of the draft.
        let source = store::workflows::source_of_version(c, id, version)
            .await?
            .ok_or_else(|| Error::NotFound(format!("workflow {id} v{version}")))?;
        let wf = compile_stored(id, version, &source).await?;
        self.write().versions.insert((id.to_owned(), version), wf.clone());
        Ok(wf)
    }

    /// Keeps a compiled version (a test-chat snapshot) without making it live.
    pub fn put(&self, id: &str, version: i64, wf: Arc<CompiledWorkflow>) {
        self.write().versions.insert((id.to_owned(), version), wf);
    }

    /// Drops a compiled version from memory (an ended test-chat snapshot); it is loaded again
    /// from the store if a run still needs it.
    pub fn forget(&self, id: &str, version: i64) {
        self.write().versions.remove(&(id.to_owned(), version));
    }

    /// Makes `version` the one new runs of `id` start on.
    pub fn set_live(&self, id: &str, version: i64, wf: Arc<CompiledWorkflow>) {
        let mut state = self.write();
        state.versions.insert((id.to_owned(), version), wf.clone());
        state.live.insert(id.to_owned(), (version, wf));
    }

    /// Stops new runs of `id`.
    pub fn remove_live(&self, id: &str) {
        self.write().live.remove(id);
    }

    /// The live version of `id`.
    pub fn live(&self, id: &str) -> Option<(i64, Arc<CompiledWorkflow>)> {
        self.read().live.get(id).cloned()
    }

    /// Every live workflow whose trigger has `trigger_type`.
    pub fn live_with_trigger(&self, trigger_type: &str) -> Vec<(String, i64, Arc<CompiledWorkflow>)> {
        self.read()
            .live
            .iter()
            .filter(|(_, (_, wf))| wf.trigger.kind.name() == trigger_type)
            .map(|(id, (v, wf))| (id.clone(), *v, wf.clone()))
            .collect()
    }
}
