//! Conditions, as ops edit them: rows of field, operator and value grouped with `all`/`any`,
//! or a Rhai expression for the advanced form. Both compile to the same thing, a sandboxed
//! Rhai expression; the rows are translated to Rhai text, which the editor can show when a
//! user switches a condition to its advanced form.
//!
//! ```yaml
//! when:
//!   all:
//!     - { field: steps.rate.answer, op: lte, value: 2 }
//!     - any:
//!         - { field: contact.tags, op: contains, value: vip }
//!         - expression: 'contact.fields.plan == "gold"'
//! ```

use crate::expr::{Expr, ExprError};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// How many rows one group may hold, as in respond.io's condition editor.
pub const MAX_ROWS_PER_GROUP: usize = 10;

/// A comparison in a condition row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal; text ignores case, `"5"` equals `5`.
    Eq,
    Neq,
    /// Text contains, list has the item, or map has the key.
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Has a non-empty value.
    IsSet,
    IsNotSet,
    /// The field's value is one of the listed values.
    In,
    NotIn,
}

impl Op {
    /// Whether this operator compares against a value (all but `is_set`/`is_not_set`).
    pub fn takes_value(self) -> bool {
        !matches!(self, Op::IsSet | Op::IsNotSet)
    }

    fn function(self) -> &'static str {
        match self {
            Op::Eq => "op_eq",
            Op::Neq => "op_neq",
            Op::Contains => "op_contains",
            Op::NotContains => "op_not_contains",
            Op::StartsWith => "op_starts_with",
            Op::EndsWith => "op_ends_with",
            Op::Gt => "op_gt",
            Op::Gte => "op_gte",
            Op::Lt => "op_lt",
            Op::Lte => "op_lte",
            Op::IsSet => "op_is_set",
            Op::IsNotSet => "op_is_not_set",
            Op::In => "op_in",
            Op::NotIn => "op_not_in",
        }
    }
}

/// One row: `field op value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// A variable path, for example `contact.fields.plan`.
    pub field: String,
    pub op: Op,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// The shape of a condition as written.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionTree {
    All(Vec<ConditionTree>),
    Any(Vec<ConditionTree>),
    Row(Row),
    Expression(String),
}

/// A condition together with its compiled form.
#[derive(Debug, Clone)]
pub struct Condition {
    pub tree: ConditionTree,
    compiled: Result<Expr, ExprError>,
}

impl Condition {
    /// Builds and compiles a condition.
    pub fn new(tree: ConditionTree) -> Condition {
        let compiled = match &tree {
            ConditionTree::Expression(src) => Expr::compile(src),
            other => Expr::compile(&to_rhai(other)),
        };
        Condition { tree, compiled }
    }

    /// The compiled expression, or why it did not compile.
    pub fn compiled(&self) -> Result<&Expr, &ExprError> {
        self.compiled.as_ref()
    }

    /// The Rhai text this condition means (the rows' advanced form).
    pub fn rhai(&self) -> String {
        to_rhai(&self.tree)
    }

    /// Evaluates against the run's variables.
    pub fn eval(&self, vars: &Value) -> Result<bool, ExprError> {
        match &self.compiled {
            Ok(e) => e.eval_bool(vars),
            Err(e) => Err(e.clone()),
        }
    }
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.tree == other.tree
    }
}

/// Translates a tree to Rhai. Field paths use `?.`, so a missing object (an HTTP body
/// without `customer`, no assignee) reads as nothing and compares false.
pub fn to_rhai(tree: &ConditionTree) -> String {
    match tree {
        ConditionTree::Expression(src) => format!("({src})"),
        ConditionTree::Row(row) => {
            let field = field_to_rhai(&row.field);
            if row.op.takes_value() {
                let value = row.value.as_ref().map(literal).unwrap_or_else(|| "()".to_owned());
                format!("{}({field}, {value})", row.op.function())
            } else {
                format!("{}({field})", row.op.function())
            }
        }
        ConditionTree::All(items) | ConditionTree::Any(items) => {
            if items.is_empty() {
                return if matches!(tree, ConditionTree::All(_)) { "true" } else { "false" }.to_owned();
            }
            let joiner = if matches!(tree, ConditionTree::All(_)) { " && " } else { " || " };
            let inner: Vec<String> = items.iter().map(to_rhai).collect();
            if items.len() == 1 {
                inner.join("")
            } else {
                format!("({})", inner.join(joiner))
            }
        }
    }
}

fn field_to_rhai(field: &str) -> String {
    // `?.` from the first property on: reading a property of a missing value (an
    // unassigned conversation's `assignee.name`) gives nothing instead of an error.
    field.split('.').collect::<Vec<_>>().join("?.")
}

/// A JSON value as a Rhai literal.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "()".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // JSON string escapes are valid Rhai escapes.
        Value::String(_) => value.to_string(),
        Value::Array(items) => format!("[{}]", items.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "#{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl ConditionTree {
    /// Every row, depth first, with its JSON pointer relative to the condition.
    pub fn rows(&self) -> Vec<(String, &Row)> {
        let mut out = Vec::new();
        self.collect_rows(String::new(), &mut out);
        out
    }

    fn collect_rows<'a>(&'a self, at: String, out: &mut Vec<(String, &'a Row)>) {
        match self {
            ConditionTree::Row(r) => out.push((at, r)),
            ConditionTree::All(items) | ConditionTree::Any(items) => {
                let key = if matches!(self, ConditionTree::All(_)) { "all" } else { "any" };
                for (i, item) in items.iter().enumerate() {
                    item.collect_rows(format!("{at}/{key}/{i}"), out);
                }
            }
            ConditionTree::Expression(_) => {}
        }
    }

    /// Every group (all/any) with its pointer and size, for the "too many rows" check.
    pub fn groups(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        self.collect_groups(String::new(), &mut out);
        out
    }

    fn collect_groups(&self, at: String, out: &mut Vec<(String, usize)>) {
        if let ConditionTree::All(items) | ConditionTree::Any(items) = self {
            let key = if matches!(self, ConditionTree::All(_)) { "all" } else { "any" };
            out.push((format!("{at}/{key}"), items.len()));
            for (i, item) in items.iter().enumerate() {
                item.collect_groups(format!("{at}/{key}/{i}"), out);
            }
        }
    }

    /// Every expression with its pointer.
    pub fn expressions(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        self.collect_exprs(String::new(), &mut out);
        out
    }

    fn collect_exprs<'a>(&'a self, at: String, out: &mut Vec<(String, &'a str)>) {
        match self {
            ConditionTree::Expression(src) => out.push((format!("{at}/expression"), src)),
            ConditionTree::All(items) | ConditionTree::Any(items) => {
                let key = if matches!(self, ConditionTree::All(_)) { "all" } else { "any" };
                for (i, item) in items.iter().enumerate() {
                    item.collect_exprs(format!("{at}/{key}/{i}"), out);
                }
            }
            ConditionTree::Row(_) => {}
        }
    }
}

impl Serialize for ConditionTree {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            ConditionTree::Row(row) => row.serialize(s),
            ConditionTree::All(items) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("all", items)?;
                m.end()
            }
            ConditionTree::Any(items) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("any", items)?;
                m.end()
            }
            ConditionTree::Expression(src) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("expression", src)?;
                m.end()
            }
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.tree.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Condition::new(ConditionTree::deserialize(d)?))
    }
}

impl<'de> Deserialize<'de> for ConditionTree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = ConditionTree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a condition: `all: [...]`, `any: [...]`, a row `{field, op, value}` or `expression: ...`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConditionTree, A::Error> {
        let mut group: Option<ConditionTree> = None;
        let mut expression: Option<String> = None;
        let mut field: Option<String> = None;
        let mut op: Option<Op> = None;
        let mut value: Option<Value> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "all" => group = Some(ConditionTree::All(map.next_value()?)),
                "any" => group = Some(ConditionTree::Any(map.next_value()?)),
                "expression" => expression = Some(map.next_value()?),
                "field" => field = Some(map.next_value()?),
                "op" => op = Some(map.next_value()?),
                "value" => value = Some(map.next_value()?),
                other => {
                    return Err(de::Error::unknown_field(other, &["all", "any", "expression", "field", "op", "value"]))
                }
            }
        }
        let kinds = usize::from(group.is_some())
            + usize::from(expression.is_some())
            + usize::from(field.is_some() || op.is_some());
        if kinds > 1 {
            return Err(de::Error::custom(
                "a condition is one of: a group (`all`/`any`), a row (`field`, `op`, `value`) or an `expression`",
            ));
        }
        if let Some(g) = group {
            return Ok(g);
        }
        if let Some(e) = expression {
            return Ok(ConditionTree::Expression(e));
        }
        let field = field.ok_or_else(|| de::Error::missing_field("field"))?;
        let op = op.ok_or_else(|| de::Error::missing_field("op"))?;
        if op.takes_value() && value.is_none() {
            return Err(de::Error::missing_field("value"));
        }
        Ok(ConditionTree::Row(Row { field, op, value }))
    }
}

impl JsonSchema for Condition {
    fn schema_name() -> Cow<'static, str> {
        "Condition".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let this = generator.subschema_for::<Condition>();
        let op = generator.subschema_for::<Op>();
        json_schema!({
            "description": "A condition: rows of field, operator and value grouped with all/any, or a Rhai expression.",
            "x-switchboard-condition": true,
            "oneOf": [
                {"type": "object", "title": "all of", "properties": {"all": {"type": "array", "items": this, "maxItems": MAX_ROWS_PER_GROUP}}, "required": ["all"], "additionalProperties": false},
                {"type": "object", "title": "any of", "properties": {"any": {"type": "array", "items": this, "maxItems": MAX_ROWS_PER_GROUP}}, "required": ["any"], "additionalProperties": false},
                {"type": "object", "title": "row", "properties": {"field": {"type": "string"}, "op": op, "value": {}}, "required": ["field", "op"], "additionalProperties": false},
                {"type": "object", "title": "expression", "properties": {"expression": {"type": "string", "x-switchboard-expression": true}}, "required": ["expression"], "additionalProperties": false}
            ]
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(v: Value) -> Condition {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn rows_and_expressions_mean_the_same() {
        let vars = json!({"contact": {"tags": ["vip"], "fields": {"plan": "gold"}}, "steps": {"rate": {"answer": 2}}});
        let rows = cond(json!({"all": [
            {"field": "steps.rate.answer", "op": "lte", "value": 2},
            {"any": [{"field": "contact.tags", "op": "contains", "value": "vip"}, {"expression": "false"}]}
        ]}));
        assert_eq!(rows.rhai(), "(op_lte(steps?.rate?.answer, 2) && (op_contains(contact?.tags, \"vip\") || (false)))");
        let expr = cond(json!({"expression": rows.rhai()}));
        assert!(rows.eval(&vars).unwrap());
        assert!(expr.eval(&vars).unwrap());
    }

    #[test]
    fn deep_paths_tolerate_missing_objects() {
        let c = cond(json!({"field": "steps.http.body.customer.tier", "op": "eq", "value": "gold"}));
        assert_eq!(c.rhai(), "op_eq(steps?.http?.body?.customer?.tier, \"gold\")");
        assert!(!c.eval(&json!({"steps": {"http": {}}})).unwrap());
        let unassigned = cond(json!({"field": "assignee.name", "op": "eq", "value": "Ana"}));
        assert!(!unassigned.eval(&json!({"assignee": null})).unwrap());
    }

    #[test]
    fn bad_shapes_are_refused() {
        for v in [
            json!({"field": "x"}),
            json!({"field": "x", "op": "eq"}),
            json!({"all": [], "expression": "true"}),
            json!({"fiel": "x"}),
            json!({"field": "x", "op": "resembles", "value": 1}),
        ] {
            assert!(serde_json::from_value::<Condition>(v.clone()).is_err(), "{v}");
        }
    }

    #[test]
    fn lists_rows_groups_and_expressions() {
        let c = cond(json!({"any": [{"field": "a.b", "op": "is_set"}, {"all": [{"expression": "true"}]}]}));
        assert_eq!(c.tree.rows().iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), vec!["/any/0"]);
        assert_eq!(c.tree.groups(), vec![("/any".to_owned(), 2), ("/any/1/all".to_owned(), 1)]);
        assert_eq!(c.tree.expressions(), vec![("/any/1/all/0/expression".to_owned(), "true")]);
    }

    #[test]
    fn string_values_are_escaped() {
        let c = cond(json!({"field": "contact.name", "op": "eq", "value": "say \"hi\"\n"}));
        assert!(c.compiled().is_ok());
        assert!(c.eval(&json!({"contact": {"name": "say \"hi\"\n"}})).unwrap());
    }
}
