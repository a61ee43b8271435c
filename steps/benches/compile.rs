//! Compiling a generated 5,000-step workflow (parse, validate, graph, dominators, variables).
//! Run with `cargo bench -p switchboard-steps`; figures go in BENCHMARKS.md.

use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

#[divan::bench(args = [500, 5_000])]
fn compile_generated(bencher: Bencher<'_, '_>, steps: usize) {
    let text = steps::generate::large_workflow(steps);
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| {
        let result = steps::compile(black_box(&text));
        assert!(result.workflow.is_some());
        result
    });
}
