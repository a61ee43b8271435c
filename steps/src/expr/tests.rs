//! The sandbox's tests: forgiving operators, what does not compile, the limits, refused
//! functions, the time budget and variable-path extraction.

#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;

fn vars() -> Value {
    json!({
        "contact": {"first_name": "Ana", "tags": ["vip", "es"], "fields": {"plan": "Gold", "age": "41"}},
        "steps": {"ask": {"answer": 2}},
    })
}

fn eval(src: &str) -> Value {
    Expr::compile(src).unwrap().eval(&vars()).unwrap()
}

#[test]
fn operators_are_forgiving() {
    for (src, expected) in [
        ("op_eq(contact.fields.plan, \"gold\")", true),
        ("op_eq(contact.fields.age, 41)", true),
        ("op_gt(contact.fields.age, 40)", true),
        ("op_contains(contact.tags, \"VIP\")", true),
        ("op_contains(contact.fields.plan, \"ol\")", true),
        ("op_not_contains(contact.tags, \"b2b\")", true),
        ("op_lte(steps.ask.answer, 2)", true),
        ("op_gt(contact.fields.missing, 1)", false),
        ("op_eq(contact.fields.missing, \"x\")", false),
        ("op_is_set(contact.fields.missing)", false),
        ("op_is_set(contact.first_name)", true),
        ("op_in(contact.fields.plan, [\"gold\", \"silver\"])", true),
        ("op_starts_with(contact.first_name, \"an\")", true),
        ("op_gt(\"b\", \"A\")", true),
        ("op_lt(\"2026-01-31\", \"2026-02-01\")", true),
        ("op_gt(\"nan\", 1)", false),
    ] {
        assert_eq!(eval(src), json!(expected), "{src}");
    }
}

#[test]
fn statements_and_loops_do_not_compile() {
    for src in ["loop {}", "while true {}", "let x = 1; x", "fn f() { f() }", "eval(\"1\")"] {
        assert!(matches!(Expr::compile(src), Err(ExprError::Syntax { .. })), "{src}");
    }
}

#[test]
fn nothing_can_loop_or_grow_unbounded() {
    // Closures would let native `map` run uncounted script code, so they do not compile.
    let err = Expr::compile("[1, 2].map(|x| x * 2)").unwrap_err();
    assert!(err.to_string().contains("closures"), "{err}");
    assert_eq!(eval("op_eq(1, 1) || false"), serde_json::json!(true));
    assert!(matches!(Expr::compile(&"1+".repeat(3000)), Err(ExprError::TooLong)));
    // Deep nesting is refused before it can exhaust the stack.
    let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    assert!(Expr::compile(&deep).is_err());
}

#[test]
fn impure_functions_are_refused_with_their_position() {
    for (src, name, col) in [
        ("sleep(15) == ()", "sleep", 1),
        ("op_eq(1, 1) && timestamp() > 0", "timestamp", 16),
        ("contact.first_name + exit()", "exit", 22),
        ("print(\"x\")", "print", 1),
        ("parse_json(\"{}\")", "parse_json", 1),
        ("contact.tags.sleep()", "sleep", 14),
    ] {
        match Expr::compile(src) {
            Err(ExprError::Syntax { message, line, col: c }) => {
                assert!(message.contains(&format!("`{name}`")), "{src}: {message}");
                assert_eq!((line, c), (1, col), "{src}");
            }
            other => panic!("{src} should be refused, got {other:?}"),
        }
    }
    // What expressions are for still works.
    for src in [
        "contact.first_name.to_upper() + \" \" + contact.tags.len()",
        "contact.fields.age.parse_int() > 40 && \"vip\" in contact.tags",
        "round(3.6) == 4.0 && abs(-2) == 2 && type_of(1) == \"i64\"",
        "contact.fields.plan.sub_string(0, 1)",
    ] {
        let e = Expr::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        e.eval(&vars()).unwrap_or_else(|e| panic!("{src}: {e}"));
    }
    assert!(callable().contains("to_upper") && !callable().contains("sleep"));
}

/// A stopwatch that moves 1 ms each time it is read.
fn ticking() -> Duration {
    static TICKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    Duration::from_millis(TICKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

#[test]
fn evaluation_has_a_time_budget() {
    use_stopwatch(ticking);
    // Enough operations for the budget to be looked at; with no time left it stops.
    let e = Expr::compile("[1, 2, 3, 4, 5, 6, 7, 8].len() + (1..300).end + contact.tags.len()").unwrap();
    assert!(e.eval(&vars()).is_ok());
    // Variables are not folded away by the optimiser, so each one costs an operation.
    let long = Expr::compile(&format!("[{}].len()", "steps, ".repeat(400))).unwrap();
    let err = long.eval_within(&vars(), Duration::ZERO).unwrap_err();
    assert!(err.to_string().contains("ran longer than"), "{err}");
    assert_eq!(long.eval(&vars()).unwrap(), json!(400));
    // Inside a shared budget that is spent, each evaluation stops although it has its own.
    let err = within_budget(Duration::ZERO, || long.eval(&vars())).unwrap_err();
    assert!(err.to_string().contains("ran longer than"), "{err}");
    assert!(within_budget(Duration::from_secs(60), || long.eval(&vars())).is_ok());
}

#[test]
fn conditions_must_be_boolean() {
    let e = Expr::compile("contact.first_name").unwrap();
    assert!(e.eval_bool(&vars()).unwrap_err().to_string().contains("true or false"));
}

#[test]
fn finds_referenced_variables() {
    let roots = ["contact", "steps", "trigger"];
    assert_eq!(
        referenced_paths(
            "steps.ask.answer > 3 && contact.tags.contains(\"steps.x\") || trigger?.form.reason == 'a'",
            &roots
        ),
        vec!["steps.ask.answer", "contact.tags", "trigger.form.reason"]
    );
    assert_eq!(referenced_paths("x.steps.y", &roots), Vec::<String>::new());
}
