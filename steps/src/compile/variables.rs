//! Passes 5 and 6: variables. Every template, condition and expression of every step (and
//! the trigger's conditions) is checked for syntax and for the paths it reads: a root that
//! exists, a step that exists and has that output, and — for `steps.X.o` — availability: the
//! reader is reachable from `start` only through `X` leaving by a port that sets `o` (a
//! memoised BFS per producer and set of ports).

use super::{Compiler, Edge, StepEntry};
use crate::condition::{Condition, Op, MAX_ROWS_PER_GROUP};
use crate::diagnostic::{child, Code, Diagnostic};
use crate::expr::{referenced_paths, Expr, ExprError};
use crate::template::Template;
use crate::trigger::{Trigger, TriggerKind};
use crate::vars::{self, PathProblem, ROOTS};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Per node: reachable from `start` under some restriction.
type Reachable = Vec<bool>;

/// What variable checks need to know about the graph.
pub(super) struct Scope<'a> {
    pub(super) entries: &'a [StepEntry],
    /// Step id → its place in `entries`.
    pub(super) index: &'a HashMap<&'a str, usize>,
    /// `None` for the trigger's conditions, read before any step runs.
    pub(super) graph: Option<&'a DiGraph<String, Edge>>,
    pub(super) start: Option<NodeIndex>,
    pub(super) connected: &'a [BTreeSet<String>],
    pub(super) reachable: &'a [bool],
    /// (step, ports that set an output) → which steps are reachable from `start` without
    /// leaving that step by one of those ports. Memoised: many reads share a producer.
    pub(super) avoiding: RefCell<HashMap<(usize, Vec<String>), Reachable>>,
}

/// Where a path is being read: in step `i`, or in the trigger's conditions.
#[derive(Clone, Copy)]
enum Place {
    Step(usize),
    Trigger,
}

impl Compiler {
    /// The templates, conditions and contact writes of step `i`.
    pub(super) fn step_variables(&mut self, scope: &Scope<'_>, i: usize, e: &StepEntry) {
        let Some(config) = &e.config else { return };
        let at = child("/steps", &e.id);
        let kind = config.behaviour();
        let mut templates: Vec<(String, Template)> =
            kind.templates().into_iter().map(|(p, t)| (p, t.clone())).collect();
        templates.extend(kind.value_templates());
        for (ptr, t) in &templates {
            let path = format!("{at}{ptr}");
            if let Some(err) = t.error() {
                let code = if err.in_expression { Code::ExpressionSyntax } else { Code::TemplateSyntax };
                let mut d = Diagnostic::error(code, path.clone(), err.message.clone());
                d.offset = Some(err.offset);
                self.push(d);
            }
            let secret_holes = t.secret_holes();
            for (name, offset) in &secret_holes {
                if kind.takes_secrets() && !vars::is_secret_name(name) {
                    let mut d = Diagnostic::error(
                        Code::UnknownVariable,
                        path.clone(),
                        format!(
                            "`secrets.{name}` is not a secret name: a lowercase letter, then up to 63 lowercase \
                             letters, digits or _"
                        ),
                    );
                    d.offset = Some(*offset);
                    self.push(d);
                }
            }
            for (var, offset) in t.paths_at(ROOTS) {
                // `{{ secrets.NAME }}` as a plain hole of a step that takes secrets is fine
                // (which secrets exist is known only to the engine); anything else reading
                // `secrets` is refused by `check_path` with the reason.
                let plain_hole = secret_holes.iter().any(|(_, at)| *at == offset);
                if kind.takes_secrets() && plain_hole {
                    continue;
                }
                let before = self.diags.len();
                self.check_path(scope, Place::Step(i), &var, &path);
                for d in &mut self.diags[before..] {
                    d.offset = Some(offset);
                }
            }
        }
        for (ptr, cond) in kind.conditions() {
            self.condition(scope, Place::Step(i), cond, &format!("{at}{ptr}"));
        }
        for (ptr, field) in kind.writes_contact() {
            if let Err(message) = vars::check_writable(field) {
                self.error(Code::UnknownVariable, format!("{at}{ptr}"), message);
            }
        }
    }

    /// The trigger's field and conditions.
    pub(super) fn trigger_variables(&mut self, trigger: &Trigger) {
        if let TriggerKind::FieldUpdated { field } = &trigger.kind {
            if let Err(message) = vars::check_writable(field) {
                self.error(Code::UnknownTriggerField, "/trigger/field", message);
            }
        }
        if let Some(cond) = &trigger.conditions {
            let scope = Scope {
                entries: &[],
                index: &HashMap::new(),
                graph: None,
                start: None,
                connected: &[],
                reachable: &[],
                avoiding: RefCell::new(HashMap::new()),
            };
            self.condition(&scope, Place::Trigger, cond, "/trigger/conditions");
        }
    }

    /// A structured condition: group sizes, each expression's syntax and paths, each row's field.
    fn condition(&mut self, scope: &Scope<'_>, place: Place, cond: &Condition, at: &str) {
        for (ptr, size) in cond.tree.groups() {
            if size > MAX_ROWS_PER_GROUP {
                self.error(
                    Code::TooMany,
                    format!("{at}{ptr}/{MAX_ROWS_PER_GROUP}"),
                    format!("at most {MAX_ROWS_PER_GROUP} conditions in a group; this one has {size}"),
                );
            }
        }
        let mut syntax_reported = false;
        for (ptr, src) in cond.tree.expressions() {
            match Expr::compile(src) {
                Err(e) => {
                    syntax_reported = true;
                    let message = format!("expression does not compile: {e}");
                    let mut d = Diagnostic::error(Code::ExpressionSyntax, format!("{at}{ptr}"), message);
                    if let ExprError::Syntax { line: 1, col, .. } = e {
                        d.offset = Some(col.saturating_sub(1));
                    }
                    self.push(d);
                }
                Ok(_) => {
                    for var in referenced_paths(src, ROOTS) {
                        self.check_path(scope, place, &var, &format!("{at}{ptr}"));
                    }
                }
            }
        }
        for (ptr, row) in cond.tree.rows() {
            let field_at = format!("{at}{ptr}/field");
            let well_formed = !row.field.is_empty() && row.field.split('.').all(vars::is_identifier);
            if !well_formed {
                syntax_reported = true;
                self.error(
                    Code::InvalidValue,
                    field_at,
                    format!("`{}` is not a variable path such as `contact.fields.plan`", row.field),
                );
                continue;
            }
            // `is_set` / `is_not_set` exist to ask whether a value is there, so a value that
            // may be missing is exactly what they are for.
            let asks_presence = matches!(row.op, Op::IsSet | Op::IsNotSet);
            self.check_path_presence(scope, place, &row.field, &field_at, asks_presence);
        }
        if let (Err(e), false) = (cond.compiled(), syntax_reported) {
            self.error(Code::ExpressionSyntax, at.to_owned(), format!("condition does not compile: {e}"));
        }
    }

    /// Reports `path` (read at `at`) if it does not exist or may not be set there.
    fn check_path(&mut self, scope: &Scope<'_>, place: Place, path: &str, at: &str) {
        self.check_path_presence(scope, place, path, at, false);
    }

    /// [`Compiler::check_path`]; with `may_be_missing`, a value that may not be set is fine.
    fn check_path_presence(&mut self, scope: &Scope<'_>, place: Place, path: &str, at: &str, may_be_missing: bool) {
        let segments: Vec<&str> = path.split('.').collect();
        let (root, rest) = (segments[0], &segments[1..]);
        let result = match (root, place) {
            ("steps", Place::Trigger) => {
                Err(PathProblem::Unknown(format!("`{path}`: no step has run when the trigger fires")))
            }
            ("steps", Place::Step(here)) => check_step_path(scope, here, path, rest),
            ("trigger", _) => match &self.trigger_vars {
                Some(v) => vars::check_trigger_path(rest, v),
                None => Ok(()),
            },
            (root, _) => vars::check_fixed_path(root, rest),
        };
        match (result, place) {
            (Ok(()), _) => {}
            (Err(PathProblem::Unknown(m)), Place::Trigger) => self.error(Code::UnknownTriggerField, at.to_owned(), m),
            (Err(PathProblem::Unknown(m)), Place::Step(_)) => self.error(Code::UnknownVariable, at.to_owned(), m),
            (Err(PathProblem::NotAvailable(_)), _) if may_be_missing => {}
            (Err(PathProblem::NotAvailable(m)), _) => self.error(Code::VariableNotAvailable, at.to_owned(), m),
        }
    }
}

/// A `steps.<id>[.<output>]` path read in step `here`: the step and output exist, and every
/// path from `start` to `here` went through the step and left it by a port that sets it.
fn check_step_path(scope: &Scope<'_>, here: usize, path: &str, rest: &[&str]) -> Result<(), PathProblem> {
    let Some(step) = rest.first() else { return Ok(()) };
    let Some(&target) = scope.index.get(step) else {
        return Err(PathProblem::Unknown(format!("`{path}`: there is no step `{step}`")));
    };
    if let (Some(output), Some(config)) = (rest.get(1), &scope.entries[target].config) {
        let outputs = config.behaviour().outputs();
        if !outputs.iter().any(|o| o == output) {
            return Err(PathProblem::Unknown(format!(
                "`{path}`: step `{step}` ({}) has no output `{output}`; it has {}",
                config.info().name,
                if outputs.is_empty() { "none".to_owned() } else { outputs.join(", ") }
            )));
        }
    }
    let (Some(graph), Some(start)) = (scope.graph, scope.start) else { return Ok(()) };
    let reachable = |i: usize| scope.reachable.get(i).copied().unwrap_or(false);
    if !reachable(here) || !reachable(target) {
        return Ok(());
    }
    // The ports of `target` that guarantee the output (any port, for `steps.X` itself).
    let Some(config) = &scope.entries[target].config else { return Ok(()) };
    let kind = config.behaviour();
    let connected = &scope.connected[target];
    let mut setting: Vec<String> = kind
        .ports()
        .into_iter()
        .map(|p| p.name)
        .chain(kind.config_edges().into_iter().map(|(p, _, _)| p))
        .filter(|p| match rest.get(1) {
            Some(output) => kind.outputs_on(p, connected).iter().any(|o| o == output),
            None => true,
        })
        .collect();
    setting.sort();
    setting.dedup();
    let key = (target, setting);
    let mut cache = scope.avoiding.borrow_mut();
    let avoiding = cache.entry(key.clone()).or_insert_with(|| {
        let mut seen = vec![false; graph.node_count()];
        let mut queue = VecDeque::from([start]);
        seen[start.index()] = true;
        while let Some(n) = queue.pop_front() {
            for e in graph.edges(n) {
                let leaves_by_setting_port = n.index() == target && key.1.contains(&e.weight().port);
                if !leaves_by_setting_port && !seen[e.target().index()] {
                    seen[e.target().index()] = true;
                    queue.push_back(e.target());
                }
            }
        }
        seen
    });
    if !avoiding[here] {
        return Ok(());
    }
    let reader = &scope.entries[here].id;
    let message = match rest.get(1) {
        _ if here == target => format!("`{path}` is not set yet while `{step}` itself runs"),
        Some(output) if !key.1.is_empty() && key.1.len() < kind.ports().len() => format!(
            "`{path}` may not exist here: `{step}` sets `{output}` only when it leaves by {}, and `{reader}` can be reached another way",
            key.1.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
        ),
        _ => format!("`{path}` may not exist here: step `{step}` does not run on every path before `{reader}`"),
    };
    Err(PathProblem::NotAvailable(message))
}
