//! Fuzz target `expression`: feeds arbitrary text to the Rhai sandbox (`steps::expr`), which
//! compiles every condition, template hole and trigger filter, and evaluates what compiles
//! against a run's variables with the sandbox's clock installed, as the engine does.
//!
//! Asserts, beyond "never panics":
//! - text over `MAX_SOURCE_LEN` is refused as too long, and a syntax error has a position
//!   (line and column from 1);
//! - the compiler's variable-path extraction (`referenced_paths`) accepts whatever compiles;
//! - an evaluation ends within its time budget (`MAX_EVAL_TIME`, plus `SLACK` for sanitizers),
//!   and what it returns is within the size limits (text, lists, maps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use steps::expr::{limits, referenced_paths, Expr, ExprError};
use switchboard_fuzz::{assert_within_size_limits, install_stopwatch, sample_vars, SLACK};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    install_stopwatch();
    let expr = match Expr::compile(source) {
        Ok(expr) => expr,
        Err(ExprError::TooLong) => {
            assert!(source.len() > limits::MAX_SOURCE_LEN, "a short expression refused as too long");
            return;
        }
        Err(ExprError::Syntax { line, col, .. }) => {
            assert!(line >= 1 && col >= 1, "a syntax error at {line}:{col}");
            assert!(source.len() <= limits::MAX_SOURCE_LEN);
            return;
        }
        Err(ExprError::Runtime(e)) => panic!("compiling gave a runtime error: {e}"),
    };
    let _ = referenced_paths(source, steps::vars::ROOTS);
    let started = Instant::now();
    let result = expr.eval(sample_vars());
    let took = started.elapsed();
    assert!(took <= limits::MAX_EVAL_TIME + SLACK, "`{source}` ran for {took:?}");
    if let Ok(value) = result {
        assert_within_size_limits(&value, source);
    }
});
