//! Compiling off the async threads. A large workflow takes the compiler hundreds of
//! milliseconds of CPU (seconds in a debug build); on a runtime thread that stalls every
//! request and background loop scheduled there (three 780 KB compiles held `/healthz` for
//! 2.7 s). Every compile in the engine and the server goes through [`compile_with`]: on
//! tokio's blocking pool, at most [`compile_slots`] at once (one per CPU) so compiles cannot
//! take every core either; the rest wait their turn without holding a thread.

use super::Engine;
use std::sync::LazyLock;
use steps::compile::Compilation;
use tokio::sync::Semaphore;

/// How many compiles may run at once in this process: the number of CPUs.
pub fn compile_slots() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(compile_slots()));

/// Runs `work` on `source` on the blocking pool, under the process's compile limit. `work` is
/// the compiler, or the compiler with whatever else reads the same text (the source map, a
/// step's ports), so none of it runs on an async thread.
pub(crate) async fn compile_with<T, F>(source: &str, work: F) -> T
where
    T: Send + 'static,
    F: FnOnce(&str) -> T + Send + 'static,
{
    // The semaphore is never closed, so acquiring fails only if it were; then compile anyway.
    let _permit = SLOTS.acquire().await.ok();
    let source = source.to_owned();
    match tokio::task::spawn_blocking(move || work(&source)).await {
        Ok(out) => out,
        // The compiler never panics (property-tested); should it, the panic goes on in the
        // caller as it would have without the blocking pool.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only when the runtime shuts down under the compile; nobody awaits the answer then.
        Err(e) => std::panic::resume_unwind(Box::new(format!("compile cancelled: {e}"))),
    }
}

/// [`steps::compile`] off the async threads (see the module's doc).
pub(crate) async fn compile(source: &str) -> Compilation {
    compile_with(source, steps::compile).await
}

impl Engine {
    /// Compiles a workflow on the blocking pool, under the process's compile limit; every
    /// compile the server and the engine make goes through here.
    pub async fn compile(&self, source: &str) -> Compilation {
        compile(source).await
    }

    /// Like [`Engine::compile`], for work that reads the text more than once (the compiler and
    /// the source map for positions): all of it off the async threads, in one slot.
    pub async fn compile_with<T, F>(&self, source: &str, work: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&str) -> T + Send + 'static,
    {
        compile_with(source, work).await
    }
}
