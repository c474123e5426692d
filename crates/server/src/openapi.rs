//! The OpenAPI 3.0 document of `/api`, generated from the route table and the Rust types of the bodies
//! (schemars), so it says what the code does. `docs/openapi.json` is this document; a test keeps it
//! current.

use schemars::r#gen::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::auth::{Kind, Permission};
use crate::error::ErrorBody;
use crate::routes::{Payload, routes, schema};

/// The document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let error = serde_json::to_value(schema::<ErrorBody>(&mut generator)).unwrap_or(Value::Null);
    let mut paths: Map<String, Value> = Map::new();
    for r in routes().into_iter().filter(|r| r.kind == Kind::Api) {
        let mut op = Map::new();
        op.insert("summary".into(), json!(r.summary));
        op.insert("operationId".into(), json!(operation_id(r.method.as_str(), r.path)));
        let roles = r.permission.roles();
        op.insert(
            "description".into(),
            json!(if r.permission == Permission::Public {
                "No credential needed.".to_string()
            } else {
                format!(
                    "Needs a bearer token of a role with `{}`: {}.",
                    permission_word(r.permission),
                    roles.join(", ")
                )
            }),
        );
        if r.permission == Permission::Public {
            op.insert("security".into(), json!([]));
        }
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(
            r.query.iter().map(|(name, what)| {
                json!({"name": name, "in": "query", "required": false, "description": what, "schema": {"type": "string"}})
            }),
        );
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        match r.request {
            Payload::Json(f) => {
                let s = serde_json::to_value(f(&mut generator)).unwrap_or(Value::Null);
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {"application/json": {"schema": s}}}),
                );
            }
            Payload::Multipart(fields) => {
                let props: Map<String, Value> = fields
                    .iter()
                    .map(|(n, what)| {
                        let s = if *n == "as_of" {
                            json!({"type": "string", "format": "date", "description": what})
                        } else {
                            json!({"type": "array", "items": {"type": "string", "format": "binary"}, "description": what})
                        };
                        (n.to_string(), s)
                    })
                    .collect();
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["batch"], "properties": props}}}}),
                );
            }
            _ => {}
        }
        let mut responses = Map::new();
        let ok = match r.response {
            Payload::Json(f) => {
                let s = serde_json::to_value(f(&mut generator)).unwrap_or(Value::Null);
                json!({"description": "success", "content": {"application/json": {"schema": s}}})
            }
            _ => json!({"description": "success"}),
        };
        responses.insert(r.status.to_string(), ok);
        let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": error.clone()}}});
        if r.permission != Permission::Public {
            responses.insert("401".into(), err("no token, or a wrong, re-keyed or disabled one"));
            responses.insert("403".into(), err("the token's role lacks the permission"));
        }
        if r.path.contains('{') {
            responses.insert("404".into(), err("no such run, good, finding, certificate or account"));
        }
        if r.request.is_body() {
            responses.insert("400".into(), err("malformed request"));
            responses.insert("413".into(), err("request body too large"));
            responses.insert("422".into(), err("refused: the message says why and what to do"));
        }
        if r.path.ends_with("/reviews") {
            responses.insert("409".into(), err("someone else changed the finding first; nothing was recorded"));
        }
        responses.insert("500".into(), err("internal error; details only in the server log"));
        op.insert("responses".into(), Value::Object(responses));
        let tag = r.path.trim_start_matches("/api/").split('/').next().unwrap_or("").trim_start_matches('/');
        op.insert("tags".into(), json!([if tag.is_empty() || tag == "healthz" { "service" } else { tag }]));
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(r.method.as_str().to_lowercase(), Value::Object(op));
        }
    }
    let schemas = serde_json::to_value(generator.definitions()).unwrap_or(Value::Null);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "origin-audit API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "USMCA rules-of-origin audits: runs, determinations, findings and their review, certificates of origin, rules. Roles: analyst (runs audits, views), auditor (also reviews findings and issues certificates), admin (manages accounts, views). See docs/api.md."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a token from `origin-audit users add NAME --role ROLE`"}},
            "schemas": schemas
        },
        "paths": paths
    })
}

fn permission_word(p: Permission) -> String {
    serde_json::to_value(p).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// `get /api/runs/{run}/goods` -> `get_runs_run_goods`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_lowercase();
    for seg in path.split('/').filter(|s| !s.is_empty() && *s != "api") {
        id.push('_');
        id.push_str(&seg.trim_matches(['{', '}']).replace(['.', '-'], "_"));
    }
    id
}

impl Payload {
    fn is_body(&self) -> bool {
        matches!(self, Payload::Json(_) | Payload::Multipart(_) | Payload::Form(_))
    }
}
