//! The document's own checks: routes and rows agree, links join documented operations,
//! ids are unique, parameters and answers come out as clients expect.

use super::operations::LINKS;
use super::*;

#[test]
fn every_link_joins_two_documented_operations() {
    for (method, path, name, to_method, to_path, _) in LINKS {
        assert!(OPERATIONS.iter().any(|o| o.method == *method && o.path == *path), "{name}: from {method} {path}");
        assert!(
            OPERATIONS.iter().any(|o| o.method == *to_method && o.path == *to_path),
            "{name}: to {to_method} {to_path}"
        );
    }
    let doc = document();
    let links = &doc["paths"]["/api/workflows"]["post"]["responses"]["201"]["links"];
    assert_eq!(links["Workflow"]["operationId"], json!("getWorkflowsById"), "{links}");
}

#[test]
fn operation_ids_are_unique_and_readable() {
    let ids: Vec<String> = OPERATIONS.iter().map(operation_id).collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(ids.contains(&"getWorkflowsByIdVersionsByVersion".to_owned()), "{ids:?}");
}

#[test]
fn every_routed_path_is_documented_and_nothing_else() {
    // The router in lib.rs is the truth: each `.route("...", get(..).post(..))` line.
    let source = include_str!("../lib.rs");
    let mut routed = std::collections::BTreeSet::new();
    for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
        let path = line.trim_start_matches(".route(\"").split('"').next().unwrap_or_default();
        for method in ["get", "post", "put", "delete", "patch"] {
            if line.contains(&format!("{method}(")) {
                routed.insert((method.to_owned(), path.to_owned()));
            }
        }
    }
    let documented: std::collections::BTreeSet<(String, String)> =
        OPERATIONS.iter().map(|o| (o.method.to_owned(), o.path.to_owned())).collect();
    assert_eq!(routed, documented);
}

#[test]
fn actions_take_idempotency_keys_and_lists_say_how_to_page() {
    let doc = document();
    for (path, method) in [
        ("/api/contacts/{id}/messages", "post"),
        ("/api/contacts/{id}/close", "post"),
        ("/api/contacts/{id}/open", "post"),
        ("/api/contacts/{id}/assign", "post"),
        ("/api/shortcuts/{workflow}", "post"),
        ("/api/simulator/messages", "post"),
    ] {
        let parameters = doc["paths"][path][method]["parameters"].as_array().cloned().unwrap_or_default();
        assert!(
            parameters.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
            "{method} {path}: {parameters:?}"
        );
    }
    for path in ["/api/runs", "/api/contacts", "/api/conversations", "/api/contacts/{id}/messages", "/api/tokens"] {
        let get = &doc["paths"][path]["get"];
        let names: Vec<&str> =
            get["parameters"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
        assert!(names.contains(&"limit") && names.contains(&"after"), "{path}: {names:?}");
        assert!(get["responses"]["200"]["headers"].get("X-Next-Cursor").is_some(), "{path}");
    }
    let runs = doc["paths"]["/api/runs"]["get"]["parameters"].to_string();
    let statuses = format!("{runs}{}", doc["components"]["schemas"]["RunStatus"]);
    assert!(statuses.contains("cancelled") && runs.contains("\"maximum\":1000"), "{statuses}");
}

#[test]
fn query_structs_become_parameters() {
    let doc = document();
    let runs = &doc["paths"]["/api/runs"]["get"]["parameters"];
    let names: Vec<&str> = runs.as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["workflow", "version", "contact", "status", "test", "limit", "after"]);
    let diff = &doc["paths"]["/api/workflows/{id}/diff"]["get"]["parameters"];
    assert_eq!(diff[1]["name"], "from");
    assert_eq!(diff[1]["required"], true);
    // Events refer to shared component schemas that exist.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(doc["components"]["schemas"].get(name).is_some(), "dangling $ref {name}");
    }
}
