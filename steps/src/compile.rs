//! The compiler: workflow text in, an immutable graph out — or every problem at once, each
//! with a stable code and a location. Passes, in order:
//!
//! 1. load the YAML/JSON with a source map ([`crate::source`]);
//! 2. read the top level, the trigger, the settings and each step, collecting problems per
//!    step instead of stopping at the first;
//! 3. build a petgraph of steps and port edges; check ports, targets and required ports;
//! 4. reachability from `start`, and loops not bounded by a jump (Tarjan's SCCs on the graph
//!    without jump edges);
//! 5. variable availability: `steps.ask_lang.answer` is accepted only where every path from
//!    `start` leaves `ask_lang` by a port that sets `answer` (the reader is unreachable once
//!    those edges are removed);
//! 6. templates, conditions and expressions: syntax and variables.

use crate::condition::{Condition, Op, MAX_ROWS_PER_GROUP};
use crate::diagnostic::{child, Code, Diagnostic};
use crate::expr::{referenced_paths, Expr};
use crate::kinds::{PortSpec, StepConfig};
use crate::source::{self, SourceMap};
use crate::template::Template;
use crate::trigger::{Settings, Trigger, TriggerKind, TRIGGER_TYPES};
use crate::vars::{self, PathProblem, ROOTS};
use indexmap::IndexMap;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, EdgeFiltered, EdgeRef};
use serde::Serialize;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

/// The only file format version so far.
pub const SCHEMA_VERSION: u64 = 1;

/// The top-level keys of a workflow file.
const TOP_LEVEL: &[&str] = &["schema", "id", "name", "description", "trigger", "settings", "start", "steps", "layout"];

/// A step id: a lowercase identifier of at most 64 characters, so it can be written as
/// `steps.<id>.answer` in expressions.
pub fn is_valid_id(id: &str) -> bool {
    id.len() <= 64 && vars::is_identifier(id)
}

/// A workflow id: lowercase letters, digits, `-` and `_`, starting with a letter or digit.
pub fn is_valid_workflow_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// An edge of the compiled graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub port: String,
    /// A jump edge: the only kind allowed to close a loop.
    pub jump: bool,
}

/// One step, compiled.
#[derive(Debug, Clone)]
pub struct CompiledStep {
    pub id: String,
    pub label: Option<String>,
    pub config: StepConfig,
    /// The step's ports as configured.
    pub ports: Vec<PortSpec>,
    /// Port → the id of the step it leads to.
    pub edges: IndexMap<String, String>,
    /// The connected ports, as the state machines see them.
    pub connected: BTreeSet<String>,
    /// The step's node in [`CompiledWorkflow::graph`].
    pub node: NodeIndex,
}

/// A workflow that passed every check. Immutable; share it behind an `Arc`.
#[derive(Debug)]
pub struct CompiledWorkflow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub trigger: Trigger,
    pub settings: Settings,
    /// The first step; `None` for a workflow with no steps.
    pub start: Option<String>,
    pub steps: IndexMap<String, CompiledStep>,
    /// Nodes are step ids; edges carry their port.
    pub graph: DiGraph<String, Edge>,
    /// Editor positions, kept as written and ignored by the engine.
    pub layout: Option<Value>,
}

impl CompiledWorkflow {
    /// The step called `id`.
    pub fn step(&self, id: &str) -> Option<&CompiledStep> {
        self.steps.get(id)
    }

    /// Where leaving `step` by `port` leads; `None` ends the run.
    pub fn next(&self, step: &str, port: &str) -> Option<&CompiledStep> {
        self.steps.get(step).and_then(|s| s.edges.get(port)).and_then(|t| self.steps.get(t))
    }
}

/// The result of compiling: the workflow when there were no errors, and every diagnostic
/// (errors and warnings) in file order.
#[derive(Debug)]
pub struct Compilation {
    pub workflow: Option<Arc<CompiledWorkflow>>,
    pub diagnostics: Vec<Diagnostic>,
    /// The source map, for tools that want more positions (the editor's field mapping).
    pub source_map: SourceMap,
}

impl Compilation {
    /// Are there errors?
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// One step as read from the file, before the graph exists.
struct StepEntry {
    id: String,
    /// The `kind` as written, when it was text.
    kind: Option<String>,
    label: Option<String>,
    config: Option<StepConfig>,
    next: IndexMap<String, String>,
}

struct Compiler {
    diags: Vec<Diagnostic>,
    /// The variables the trigger provides; `None` when the trigger did not parse, in which
    /// case `trigger.*` paths are not checked rather than all reported.
    trigger_vars: Option<Vec<String>>,
}

impl Compiler {
    fn error(&mut self, code: Code, path: impl Into<String>, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, path, message));
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
}

/// Compiles workflow text (YAML or JSON).
pub fn compile(text: &str) -> Compilation {
    let loaded = source::load(text);
    let mut c = Compiler { diags: loaded.diagnostics, trigger_vars: None };
    let workflow = loaded.value.and_then(|v| c.workflow(v));
    if let Some(wf) = &workflow {
        c.diags.extend(crate::window::warnings(wf));
    }
    let mut diagnostics = c.diags;
    for d in &mut diagnostics {
        if d.pos.is_none() {
            let is_step_itself = d.path.starts_with("/steps/") && d.path.matches('/').count() == 2;
            d.pos = match d.code {
                Code::UnknownField | Code::UnknownPort => loaded.map.key_pos(&d.path),
                Code::InvalidId
                | Code::UnconnectedPort
                | Code::Unreachable
                | Code::UnboundedCycle
                | Code::OutsideWhatsappWindow
                    if is_step_itself =>
                {
                    loaded.map.key_pos(&d.path)
                }
                _ => loaded.map.value_pos(&d.path),
            };
            if let (Some(pos), Some(offset)) = (d.pos, d.offset) {
                d.pos = Some(within_scalar(text, pos, offset));
            }
        }
    }
    diagnostics.sort_by_key(|d| (d.pos, d.code));
    diagnostics.dedup();
    let workflow = if diagnostics.iter().any(Diagnostic::is_error) { None } else { workflow.map(Arc::new) };
    Compilation { workflow, diagnostics, source_map: loaded.map }
}

/// The position of the `offset`-th character of the scalar that starts at `pos`, when the
/// scalar sits on one line (plain or quoted); otherwise the scalar's start.
fn within_scalar(text: &str, pos: crate::diagnostic::Pos, offset: usize) -> crate::diagnostic::Pos {
    let Some(line) = text.lines().nth(pos.line.saturating_sub(1)) else { return pos };
    let rest: Vec<char> = line.chars().skip(pos.col.saturating_sub(1)).collect();
    if matches!(rest.first(), Some('|' | '>')) {
        return pos;
    }
    let skip = usize::from(matches!(rest.first(), Some('\'' | '"')));
    if skip + offset < rest.len() {
        crate::diagnostic::Pos { line: pos.line, col: pos.col + skip + offset }
    } else {
        pos
    }
}

/// The closest of `candidates` to `word`, for "did you mean" hints.
fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn with_suggestion(d: Diagnostic, word: &str, candidates: &[&str]) -> Diagnostic {
    match suggest(word, candidates.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("expected one of: {}", candidates.join(", "))),
    }
}

/// Sorts a serde message into a diagnostic code.
fn classify(message: &str) -> Code {
    if message.starts_with("missing field") {
        Code::MissingField
    } else if message.starts_with("unknown field") {
        Code::UnknownField
    } else if message.starts_with("invalid type") {
        Code::WrongType
    } else {
        Code::InvalidValue
    }
}

/// Deserialises `value` as `T`, turning an error into a diagnostic under `at`.
fn read<T: serde::de::DeserializeOwned>(c: &mut Compiler, value: Value, at: &str) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut pointer = at.to_owned();
            for seg in e.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                    serde_path_to_error::Segment::Map { key } => pointer = child(&pointer, key),
                    _ => {}
                }
            }
            let message = e.into_inner().to_string();
            let code = classify(&message);
            // Through an internally tagged enum (the trigger) serde loses the key's path; the
            // message still names it, so point at the key itself.
            if code == Code::UnknownField {
                if let Some(key) = message.split('`').nth(1) {
                    if !pointer.ends_with(&format!("/{}", crate::diagnostic::escape_pointer(key))) {
                        pointer = child(&pointer, key);
                    }
                }
            }
            c.error(code, pointer, message);
            None
        }
    }
}

/// The config keys each step kind accepts, computed once from its JSON Schema.
/// The ports of one step as configured (the options of a choice question, the branches of a
/// branch step), for an editor drawing a draft that may have errors elsewhere. `None` when the
/// step's kind is unknown or its config does not parse; unknown keys are ignored here (the
/// compiler reports them).
pub fn step_ports(step: &Value) -> Option<Vec<PortSpec>> {
    let kind = step.get("kind")?.as_str()?;
    let allowed = allowed_keys(kind);
    let config: Map<String, Value> = step
        .as_object()?
        .iter()
        .filter(|(k, _)| allowed.iter().any(|a| a == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let parsed = StepConfig::parse(kind, Value::Object(config))?.ok()?;
    Some(parsed.behaviour().ports())
}

fn allowed_keys(kind: &str) -> &'static [String] {
    static KEYS: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        StepConfig::ALL
            .iter()
            .map(|info| {
                let schema = StepConfig::schema(info.name).map(|s| s.to_value()).unwrap_or(Value::Null);
                let keys = schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                (info.name, keys)
            })
            .collect()
    });
    keys.get(kind).map(Vec::as_slice).unwrap_or(&[])
}

impl Compiler {
    fn workflow(&mut self, value: Value) -> Option<CompiledWorkflow> {
        let Value::Object(mut root) = value else {
            self.error(
                Code::WrongType,
                "",
                "a workflow file is a mapping with `schema`, `id`, `name`, `trigger` and `steps`",
            );
            return None;
        };
        for key in root.keys() {
            if !TOP_LEVEL.contains(&key.as_str()) {
                let d =
                    Diagnostic::error(Code::UnknownField, child("", key), format!("unknown top-level field `{key}`"));
                self.push(with_suggestion(d, key, TOP_LEVEL));
            }
        }
        match root.get("schema") {
            None => self.push(
                Diagnostic::error(Code::SchemaVersion, "", "missing `schema: 1` (the file format version)")
                    .with_help("add `schema: 1` as the first line"),
            ),
            Some(v) if v.as_u64() == Some(SCHEMA_VERSION) => {}
            Some(v) => self.error(
                Code::SchemaVersion,
                "/schema",
                format!("this version of Switchboard reads `schema: {SCHEMA_VERSION}`, not `{v}`"),
            ),
        }
        let id = self.string_field(&root, "id", true).unwrap_or_default();
        if !id.is_empty() && !is_valid_workflow_id(&id) {
            self.error(
                Code::InvalidId,
                "/id",
                format!("workflow id `{id}` must use lowercase letters, digits, `-` and `_`"),
            );
        }
        let name = self.string_field(&root, "name", true).unwrap_or_default();
        let description = self.string_field(&root, "description", false);
        let trigger = match root.remove("trigger") {
            None => {
                self.error(Code::MissingField, "", "missing `trigger`: what starts this workflow");
                None
            }
            Some(v) => self.trigger(v),
        };
        self.trigger_vars = trigger.as_ref().map(|t| t.kind.variables());
        let settings = match root.remove("settings") {
            None | Some(Value::Null) => Some(Settings::default()),
            Some(v) => read::<Settings>(self, v, "/settings"),
        };
        let start = self.string_field(&root, "start", false);
        let entries = match root.remove("steps") {
            None => {
                self.error(Code::MissingField, "", "missing `steps`");
                Vec::new()
            }
            Some(Value::Object(steps)) => {
                // Every id, so that a suggested new name for a bad one is not already taken.
                let ids: BTreeSet<String> = steps.keys().cloned().collect();
                steps.into_iter().filter_map(|(id, v)| self.step(id, v, &ids)).collect()
            }
            Some(_) => {
                self.error(Code::WrongType, "/steps", "`steps` is a mapping from step id to step");
                Vec::new()
            }
        };
        let layout = root.remove("layout");
        let (graph, steps) = self.graph(entries, start.as_deref());
        if let Some(trigger) = &trigger {
            self.trigger_variables(trigger);
        }
        Some(CompiledWorkflow {
            id,
            name,
            description,
            trigger: trigger?,
            settings: settings?,
            start,
            steps,
            graph,
            layout,
        })
    }

    fn string_field(&mut self, root: &Map<String, Value>, key: &str, required: bool) -> Option<String> {
        match root.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.error(Code::MissingField, "", format!("missing `{key}`"));
                }
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) if key == "name" || key == "description" => Some(n.to_string()),
            Some(_) => {
                self.error(Code::WrongType, child("", key), format!("`{key}` must be text"));
                None
            }
        }
    }

    fn trigger(&mut self, value: Value) -> Option<Trigger> {
        let Value::Object(mut map) = value else {
            self.error(Code::WrongType, "/trigger", "`trigger` is a mapping with a `type`");
            return None;
        };
        // A broken condition is reported, and the rest of the trigger is still checked.
        let conditions = match map.remove("conditions") {
            None | Some(Value::Null) => None,
            Some(v) => read::<Condition>(self, v, "/trigger/conditions"),
        };
        match map.get("type") {
            None => {
                let d = Diagnostic::error(Code::MissingField, "/trigger", "the trigger needs a `type`");
                self.push(d.with_help(format!("one of: {}", TRIGGER_TYPES.join(", "))));
                return None;
            }
            Some(Value::String(t)) if !TRIGGER_TYPES.contains(&t.as_str()) => {
                let d =
                    Diagnostic::error(Code::UnknownTriggerType, "/trigger/type", format!("unknown trigger type `{t}`"));
                let t = t.clone();
                self.push(with_suggestion(d, &t, TRIGGER_TYPES));
                return None;
            }
            Some(Value::String(_)) => {}
            Some(_) => {
                self.error(Code::WrongType, "/trigger/type", "the trigger `type` must be text");
                return None;
            }
        }
        let kind: TriggerKind = read(self, Value::Object(map), "/trigger")?;
        let mut found = Vec::new();
        kind.check(&mut found);
        for mut d in found {
            d.path = format!("/trigger{}", d.path);
            self.push(d);
        }
        Some(Trigger { kind, conditions })
    }

    fn step(&mut self, id: String, value: Value, ids: &BTreeSet<String>) -> Option<StepEntry> {
        let at = child("/steps", &id);
        if !is_valid_id(&id) {
            let problem =
                if vars::is_identifier(&id) { "is longer than 64 characters" } else { vars::identifier_problem(&id) };
            let suggestion = vars::suggest_identifier(&id, |c| ids.contains(c));
            self.push(
                Diagnostic::error(Code::InvalidId, at.clone(), format!("step id `{id}` {problem}"))
                    .with_help(vars::identifier_help(&id, suggestion.as_deref())),
            );
        }
        let Value::Object(mut map) = value else {
            self.error(Code::WrongType, at, format!("step `{id}` must be a mapping with a `kind`"));
            return Some(StepEntry { id, kind: None, label: None, config: None, next: IndexMap::new() });
        };
        let mut next = IndexMap::new();
        match map.remove("next") {
            None | Some(Value::Null) => {}
            Some(Value::Object(ports)) => {
                for (port, target) in ports {
                    match target {
                        Value::String(t) => {
                            next.insert(port, t);
                        }
                        Value::Null => {}
                        _ => self.error(
                            Code::WrongType,
                            child(&child(&at, "next"), &port),
                            "an edge names the id of the next step",
                        ),
                    }
                }
            }
            // `next: some_step` is the short form for a step with one `next` port.
            Some(Value::String(t)) => {
                next.insert("next".to_owned(), t);
            }
            Some(_) => self.error(Code::WrongType, child(&at, "next"), "`next` maps port names to step ids"),
        }
        let label = match map.remove("label") {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.error(Code::WrongType, child(&at, "label"), "`label` must be text");
                None
            }
        };
        let kind = match map.remove("kind") {
            Some(Value::String(k)) => k,
            None => {
                let d = Diagnostic::error(Code::MissingField, at, format!("step `{id}` has no `kind`"));
                self.push(with_suggestion(d, "", &kind_names()));
                return Some(StepEntry { id, kind: None, label, config: None, next });
            }
            Some(_) => {
                self.error(Code::WrongType, child(&at, "kind"), "`kind` must be text");
                return Some(StepEntry { id, kind: None, label, config: None, next });
            }
        };
        if StepConfig::info_for(&kind).is_none() {
            let d = Diagnostic::error(Code::UnknownStepKind, child(&at, "kind"), format!("unknown step kind `{kind}`"));
            self.push(with_suggestion(d, &kind, &kind_names()));
            return Some(StepEntry { id, kind: Some(kind), label, config: None, next });
        }
        // Report every unknown key first, then let serde find type errors in the rest.
        let allowed = allowed_keys(&kind);
        let unknown: Vec<String> = map.keys().filter(|k| !allowed.iter().any(|a| a == *k)).cloned().collect();
        for key in unknown {
            map.remove(&key);
            let d = Diagnostic::error(
                Code::UnknownField,
                child(&at, &key),
                format!("a step of kind `{kind}` has no field `{key}`"),
            );
            let candidates: Vec<&str> = allowed.iter().map(String::as_str).chain(["kind", "label", "next"]).collect();
            self.push(with_suggestion(d, &key, &candidates));
        }
        let config = match StepConfig::parse(&kind, Value::Object(map)) {
            Some(Ok(config)) => {
                let mut found = Vec::new();
                config.behaviour().check(&mut found);
                for mut d in found {
                    d.path = format!("{at}{}", d.path);
                    d.step = Some(id.clone());
                    self.push(d);
                }
                Some(config)
            }
            Some(Err(e)) => {
                self.error(classify(&e.message), format!("{at}{}", e.pointer), e.message);
                None
            }
            None => None,
        };
        Some(StepEntry { id, kind: Some(kind), label, config, next })
    }

    fn graph(
        &mut self,
        entries: Vec<StepEntry>,
        start: Option<&str>,
    ) -> (DiGraph<String, Edge>, IndexMap<String, CompiledStep>) {
        let mut graph: DiGraph<String, Edge> = DiGraph::with_capacity(entries.len(), entries.len() * 2);
        let mut nodes: HashMap<String, NodeIndex> = HashMap::with_capacity(entries.len());
        for e in &entries {
            nodes.insert(e.id.clone(), graph.add_node(e.id.clone()));
        }
        let mut connected: Vec<BTreeSet<String>> = vec![BTreeSet::new(); entries.len()];
        let mut edge_maps: Vec<IndexMap<String, String>> = vec![IndexMap::new(); entries.len()];
        for (i, e) in entries.iter().enumerate() {
            let at = child("/steps", &e.id);
            let from = nodes[&e.id];
            let ports: Option<Vec<PortSpec>> = e.config.as_ref().map(|c| c.behaviour().ports());
            let config_edges = e.config.as_ref().map(|c| c.behaviour().config_edges()).unwrap_or_default();
            for (port, target) in &e.next {
                let port_at = child(&child(&at, "next"), port);
                if let Some(ports) = &ports {
                    let from_config = config_edges.iter().any(|(p, _, _)| p == port);
                    if from_config || !ports.iter().any(|p| &p.name == port) {
                        let names: Vec<&str> = ports
                            .iter()
                            .map(|p| p.name.as_str())
                            .filter(|n| !config_edges.iter().any(|(p, _, _)| p == n))
                            .collect();
                        let d = Diagnostic::error(
                            Code::UnknownPort,
                            port_at.clone(),
                            format!("step `{}` has no port `{port}`", e.id),
                        );
                        let d = if from_config {
                            d.with_help("a jump's target is set with `to:`")
                        } else {
                            with_suggestion(d, port, &names)
                        };
                        self.push(d);
                        continue;
                    }
                }
                match nodes.get(target) {
                    Some(&to) => {
                        graph.add_edge(from, to, Edge { port: port.clone(), jump: false });
                        connected[i].insert(port.clone());
                        edge_maps[i].insert(port.clone(), target.clone());
                    }
                    None => {
                        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
                        let d = Diagnostic::error(Code::UnknownTarget, port_at, format!("there is no step `{target}`"));
                        self.push(with_suggestion(d, target, &ids));
                    }
                }
            }
            for (port, target, field) in config_edges {
                match nodes.get(&target) {
                    Some(&to) => {
                        graph.add_edge(from, to, Edge { port: port.clone(), jump: true });
                        connected[i].insert(port.clone());
                        edge_maps[i].insert(port, target);
                    }
                    None => {
                        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
                        let d = Diagnostic::error(
                            Code::UnknownTarget,
                            format!("{at}{field}"),
                            format!("there is no step `{target}` to jump to"),
                        );
                        self.push(with_suggestion(d, &target, &ids));
                    }
                }
            }
            if let Some(ports) = &ports {
                for p in ports.iter().filter(|p| p.required && !connected[i].contains(&p.name)) {
                    self.push(
                        Diagnostic::error(
                            Code::UnconnectedPort,
                            at.clone(),
                            format!("port `{}` of step `{}` must lead somewhere", p.name, e.id),
                        )
                        .with_help(format!("add `next: {{ {}: <step id> }}`", p.name)),
                    );
                }
            }
        }

        let start_node = match start {
            None if !entries.is_empty() => {
                self.push(
                    Diagnostic::error(Code::MissingField, "", "missing `start`: the first step after the trigger")
                        .with_help(format!("add `start: {}`", entries[0].id)),
                );
                None
            }
            None => {
                self.push(Diagnostic::warning(Code::MissingField, "/steps", "this workflow has no steps"));
                None
            }
            Some(s) => match nodes.get(s) {
                Some(&n) => Some(n),
                None => {
                    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
                    let d = Diagnostic::error(
                        Code::UnknownTarget,
                        "/start",
                        format!("there is no step `{s}` to start with"),
                    );
                    self.push(with_suggestion(d, s, &ids));
                    None
                }
            },
        };

        let mut reachable = vec![start_node.is_none(); entries.len()];
        if let Some(start) = start_node {
            let mut bfs = Bfs::new(&graph, start);
            while let Some(n) = bfs.next(&graph) {
                reachable[n.index()] = true;
            }
        }

        // Loops are allowed only through jump edges, which count their jumps.
        let without_jumps = EdgeFiltered::from_fn(&graph, |e| !e.weight().jump);
        let mut loops: Vec<Vec<usize>> = tarjan_scc(&without_jumps)
            .into_iter()
            .filter(|scc| scc.len() > 1 || graph.edges(scc[0]).any(|e| e.target() == scc[0] && !e.weight().jump))
            .map(|scc| {
                let mut members: Vec<usize> = scc.iter().map(|n| n.index()).collect();
                members.sort_unstable();
                members
            })
            .collect();
        loops.sort_unstable();
        // A loop no path from `start` enters orphans its own steps and everything after them;
        // its error says so once instead of a "can never run" per step.
        let mut orphaned_by_loop = vec![false; entries.len()];
        for members in loops.iter().filter(|m| !reachable[m[0]]) {
            for &m in members {
                let mut bfs = Bfs::new(&graph, NodeIndex::new(m));
                while let Some(n) = bfs.next(&graph) {
                    orphaned_by_loop[n.index()] = !reachable[n.index()];
                }
            }
        }
        for members in &loops {
            let names: Vec<&str> = members.iter().map(|&i| entries[i].id.as_str()).collect();
            let listed = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            let d = if reachable[members[0]] {
                Diagnostic::error(
                    Code::UnboundedCycle,
                    child("/steps", names[0]),
                    format!("steps {listed} form a loop with no limit"),
                )
                .with_help("loop back with a `jump` step, whose `max_jumps` bounds the loop")
            } else {
                Diagnostic::error(
                    Code::UnboundedCycle,
                    child("/steps", names[0]),
                    format!(
                        "steps {listed} form a loop with no limit, and no path from `start` leads into it, \
                         so they can never run"
                    ),
                )
                .with_help(
                    "connect the loop from another step's port (or delete it), and loop back with a `jump` \
                     step, whose `max_jumps` bounds the loop",
                )
            };
            self.push(d);
        }

        if start_node.is_some() {
            // A jump whose config did not parse hides its edge (`to`), so "can never run" would
            // be a cascade of that error; it is reported once the config is fixed.
            let configs_ok = !entries.iter().any(|e| e.config.is_none() && e.kind.as_deref() == Some("jump"));
            for (i, e) in entries.iter().enumerate() {
                if !reachable[i] && !orphaned_by_loop[i] && configs_ok {
                    self.push(
                        Diagnostic::error(
                            Code::Unreachable,
                            child("/steps", &e.id),
                            format!("step `{}` can never run: no path from `start` leads to it", e.id),
                        )
                        .with_help("connect it from another step's port, or delete it"),
                    );
                }
            }
        }

        let index: HashMap<&str, usize> = entries.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
        let scope = Scope {
            entries: &entries,
            index: &index,
            graph: Some(&graph),
            start: start_node,
            connected: &connected,
            reachable: &reachable,
            avoiding: RefCell::new(HashMap::new()),
        };
        // Every step's templates and conditions are checked, reachable or not, so that all
        // problems show at once; only "not available here" needs the step to be reachable.
        for (i, e) in entries.iter().enumerate() {
            self.step_variables(&scope, i, e);
        }

        let mut steps = IndexMap::with_capacity(entries.len());
        for ((e, connected), edges) in entries.into_iter().zip(connected).zip(edge_maps) {
            if let Some(config) = e.config {
                let node = nodes[&e.id];
                let ports = config.behaviour().ports();
                steps.insert(
                    e.id.clone(),
                    CompiledStep { id: e.id, label: e.label, config, ports, edges, connected, node },
                );
            }
        }
        (graph, steps)
    }
}

/// Per node: reachable from `start` under some restriction.
type Reachable = Vec<bool>;

/// What variable checks need to know about the graph.
struct Scope<'a> {
    entries: &'a [StepEntry],
    index: &'a HashMap<&'a str, usize>,
    graph: Option<&'a DiGraph<String, Edge>>,
    start: Option<NodeIndex>,
    connected: &'a [BTreeSet<String>],
    reachable: &'a [bool],
    /// (step, ports that set an output) → which steps are reachable from `start` without
    /// leaving that step by one of those ports. Memoised: many reads share a producer.
    avoiding: RefCell<HashMap<(usize, Vec<String>), Reachable>>,
}

/// Where a path is being read: in step `i`, or in the trigger's conditions.
#[derive(Clone, Copy)]
enum Place {
    Step(usize),
    Trigger,
}

impl Compiler {
    fn step_variables(&mut self, scope: &Scope<'_>, i: usize, e: &StepEntry) {
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

    fn trigger_variables(&mut self, trigger: &Trigger) {
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
                    if let crate::expr::ExprError::Syntax { line: 1, col, .. } = e {
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

    fn check_path(&mut self, scope: &Scope<'_>, place: Place, path: &str, at: &str) {
        self.check_path_presence(scope, place, path, at, false);
    }

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

/// Every step kind's name.
fn kind_names() -> Vec<&'static str> {
    StepConfig::ALL.iter().map(|k| k.name).collect()
}

#[cfg(test)]
mod tests {
    fn is_send_sync<T: Send + Sync>() {}

    #[test]
    fn step_ports_follow_the_config_of_one_step() {
        let choice = serde_json::json!({"kind": "ask", "type": "choice", "text": "?", "options": [{"label": "Sales"}, {"label": "Support"}], "next": {"sales": "x"}});
        let names: Vec<String> =
            crate::compile::step_ports(&choice).unwrap_or_default().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["sales", "support", "invalid", "failure"]);
        let branch = serde_json::json!({"kind": "branch", "branches": [{"name": "vip", "when": {"field": "contact.tags", "op": "contains", "value": "vip"}}]});
        let names: Vec<String> =
            crate::compile::step_ports(&branch).unwrap_or_default().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["vip", "else"]);
        assert_eq!(crate::compile::step_ports(&serde_json::json!({"kind": "teleport"})), None);
        assert_eq!(crate::compile::step_ports(&serde_json::json!({"kind": "wait", "duration": ["x"]})), None);
    }

    #[test]
    fn a_reserved_step_id_names_the_reserved_words_and_a_free_id() {
        let flow = |ids: &[&str]| {
            let mut text = format!(
                "schema: 1\nid: r\nname: R\ntrigger: {{ type: message_received }}\nstart: {}\nsteps:\n",
                ids[0]
            );
            for id in ids {
                text.push_str(&format!("  {id}:\n    kind: send_message\n    text: Hi\n"));
            }
            crate::compile(&text)
        };
        let help = |ids: &[&str]| {
            let result = flow(ids);
            let d = result.diagnostics.iter().find(|d| d.code == crate::Code::InvalidId).expect("E0105");
            (d.message.clone(), d.help.clone().unwrap_or_default())
        };
        let (message, hint) = help(&["call"]);
        assert_eq!(message, "step id `call` is a reserved word in expressions; choose another name");
        assert_eq!(
            hint,
            "the expression language reserves `call` and other words (`default`, `eval`, `exit`, `import`, \
             `match`, `new`, `print`, `return`, `switch`, `type_of`, and keywords such as `if`, `let`, `fn`, \
             `true`); rename it, for example to `call_step`"
        );
        // The suggestion is free: not another step's id.
        let (_, hint) = help(&["call", "call_step"]);
        assert!(hint.ends_with("for example to `call_step_2`"), "{hint}");
        // A reserved word outside the short list is named first.
        let (_, hint) = help(&["while"]);
        assert!(hint.contains("reserves `while` and other words (`call`, `default`"), "{hint}");
        // Other bad ids get the allowed characters and a cleaned-up name.
        let (_, hint) = help(&["Hello-World"]);
        assert_eq!(
            hint,
            "use a-z, 0-9 and _, starting with a letter, at most 64 characters; for example `hello_world`"
        );
        let (_, hint) = help(&["2nd try"]);
        assert!(hint.ends_with("for example `step_2nd_try`"), "{hint}");
        let long = "a".repeat(65);
        let (message, _) = help(&[long.as_str()]);
        assert!(message.ends_with("is longer than 64 characters"), "{message}");
    }

    #[test]
    fn a_loop_nothing_enters_is_reported_once_not_per_orphaned_step() {
        let text = "schema: 1\nid: l\nname: L\ntrigger: { type: message_received }\nstart: hello\nsteps:\n  \
                    hello:\n    kind: send_message\n    text: Hi\n  \
                    a:\n    kind: send_message\n    text: A\n    next: { next: b }\n  \
                    b:\n    kind: send_message\n    text: B\n    next: { next: a_after }\n  \
                    a_after:\n    kind: send_message\n    text: C\n    next: { next: a }\n  \
                    tail:\n    kind: send_message\n    text: D\n  \
                    lonely:\n    kind: send_message\n    text: E\n";
        let result = crate::compile(text);
        let found: Vec<(&str, &str)> =
            result.diagnostics.iter().map(|d| (d.code.as_str(), d.message.as_str())).collect();
        assert_eq!(
            found,
            [
                (
                    "E0304",
                    "steps `a`, `b`, `a_after` form a loop with no limit, and no path from `start` leads into it, \
                     so they can never run"
                ),
                ("E0303", "step `tail` can never run: no path from `start` leads to it"),
                ("E0303", "step `lonely` can never run: no path from `start` leads to it"),
            ]
        );
        // A step that only the orphaned loop leads to is orphaned by it too.
        let fed = text.replace(
            "b:\n    kind: send_message\n    text: B\n    next: { next: a_after }",
            "b:\n    kind: branch\n    branches: [{ name: vip, when: { field: contact.tags, op: contains, value: vip } }]\n    \
             next: { vip: a_after, else: tail }",
        );
        assert_ne!(fed, text);
        let codes: Vec<(&str, String)> = crate::compile(&fed)
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.message.chars().take(20).collect()))
            .collect();
        assert_eq!(codes, [("E0304", "steps `a`, `b`, `a_a".to_owned()), ("E0303", "step `lonely` can ne".to_owned())]);
    }

    #[test]
    fn secrets_are_read_only_by_http_steps_as_plain_holes() {
        let flow = |text: &str, header: &str| {
            format!(
                "schema: 1\nid: s\nname: S\ntrigger: {{ type: message_received }}\nstart: hello\nsteps:\n  hello:\n    \
                 kind: send_message\n    text: '{text}'\n    next: lookup\n  lookup:\n    kind: http\n    \
                 url: 'https://crm.example.com/x'\n    headers: {{ Authorization: '{header}' }}\n    \
                 next: {{ failure: done }}\n  done:\n    kind: send_message\n    text: Done\n"
            )
        };
        let ok = crate::compile(&flow("Hi", "Bearer {{ secrets.crm_key }}"));
        assert!(ok.workflow.is_some(), "{:?}", ok.diagnostics);
        let leaked = crate::compile(&flow("Key: {{ secrets.crm_key }}", "Bearer {{ secrets.crm_key }}"));
        let messages: Vec<&str> = leaked.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, [crate::vars::SECRETS_ONLY_IN_HTTP], "a secret in a message would reach the contact");
    }

    #[test]
    fn compiled_workflows_can_be_shared_across_threads() {
        is_send_sync::<super::CompiledWorkflow>();
    }
}
