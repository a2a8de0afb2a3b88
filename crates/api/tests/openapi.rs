//! `openapi.json` is true to the code: it describes exactly the routes of
//! `ROUTES`, every `$ref` resolves, parameters match the code's, and real
//! answers of every JSON route (successes and errors) validate against the
//! document's response schemas (JSON Schema 2020-12, via `jsonschema`).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{annotation, task, BrokenSink, Embedded, Faulty, Server};
use labelpulse_api::routes::openapi::OPENAPI_JSON;
use labelpulse_api::{AppState, ROUTES};
use serde_json::{json, Value};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn doc() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

/// Follows a local `$ref` (`#/a/b/c`) to its target.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {reference}"));
        value = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    value
}

#[test]
fn the_document_lists_exactly_the_routes_of_the_router() {
    let doc = doc();
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_string(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.verb.as_str().to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves_and_every_schema_compiles() {
    let doc = doc();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50);
    for reference in refs {
        let pointer = reference.strip_prefix('#').expect("local ref");
        assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
    }
    for (name, _) in doc["components"]["schemas"].as_object().unwrap() {
        validator(
            &doc,
            &json!({"$ref": format!("#/components/schemas/{name}")}),
        );
    }
}

#[test]
fn parameters_match_the_code() {
    let doc = doc();
    let known_query: BTreeSet<&str> = [
        "from",
        "to",
        "tz",
        "granularity",
        "format",
        "workspace",
        "project",
        // AgreementParams
        "dimension",
        "label",
        "participants",
        "mode",
        "matrix_limit",
    ]
    .into();
    for route in ROUTES {
        let operation = &doc["paths"][route.path][route.verb.as_str()];
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{} has no responses",
            route.path
        );
        assert!(
            operation["operationId"].is_string(),
            "{} has no operationId",
            route.path
        );
        let parameters: Vec<&Value> = operation["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| resolve(&doc, p)).collect())
            .unwrap_or_default();
        let path_params: BTreeSet<&str> = parameters
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let in_template: BTreeSet<&str> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(path_params, in_template, "{}", route.path);
        for p in parameters.iter().filter(|p| p["in"] == "query") {
            let name = p["name"].as_str().unwrap();
            assert!(
                known_query.contains(name),
                "{}: `{name}` is not a parameter the code reads",
                route.path
            );
        }
        let has_query = parameters.iter().any(|p| p["in"] == "query");
        let responses = &operation["responses"];
        assert_eq!(
            responses.get("400").is_some(),
            has_query || route.verb.as_str() == "post",
            "{}",
            route.path
        );
    }
    // The error `parameter` enum is exactly what the handlers name.
    let named: BTreeSet<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["parameter"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        [
            "from",
            "to",
            "tz",
            "granularity",
            "format",
            "dimension",
            "label",
            "participants",
            "mode",
            "matrix_limit"
        ]
        .into()
    );
}

fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; `#/components/...` refs
    // resolve against a wrapper document holding the components.
    let mut wrapper = schema.clone();
    wrapper["components"] = doc["components"].clone();
    wrapper["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&wrapper)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}: {schema}"))
}

/// Checks one real answer against the document: the status is documented
/// for the route, the content type too, and a JSON body validates.
fn check(doc: &Value, method: &str, template: &str, status: u16, content_type: &str, body: &str) {
    let operation = &doc["paths"][template][method];
    let response = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {template}: status {status} is not documented"));
    let response = resolve(doc, response);
    let essence = content_type.split(';').next().unwrap().trim();
    let media = response["content"]
        .get(essence)
        .unwrap_or_else(|| panic!("{method} {template} {status}: `{essence}` is not documented"));
    if essence == "application/json" {
        let instance: Value = serde_json::from_str(body).expect("JSON body");
        let validator = validator(doc, &media["schema"]);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:#?}\n{body}"
        );
    }
}

struct Case {
    method: &'static str,
    template: &'static str,
    url: String,
    content_type: Option<&'static str>,
    body: Option<String>,
    status: u16,
}

fn get(template: &'static str, url: &str, status: u16) -> Case {
    Case {
        method: "get",
        template,
        url: url.to_string(),
        content_type: None,
        body: None,
        status,
    }
}

fn post(content_type: &'static str, body: String, status: u16) -> Case {
    Case {
        method: "post",
        template: "/api/v1/events",
        url: "/api/v1/events".to_string(),
        content_type: Some(content_type),
        body: Some(body),
        status,
    }
}

async fn run(server: &Server, doc: &Value, cases: Vec<Case>) -> BTreeSet<(String, String, String)> {
    let mut covered = BTreeSet::new();
    for case in cases {
        let request = match case.method {
            "get" => server.client.get(server.url(&case.url)),
            _ => server.client.post(server.url(&case.url)),
        };
        let request = match (case.content_type, case.body) {
            (Some(content_type), Some(body)) => {
                request.header("content-type", content_type).body(body)
            }
            (_, Some(body)) => request.body(body),
            _ => request,
        };
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.text().await.expect("body");
        assert_eq!(status, case.status, "{} {}: {body}", case.method, case.url);
        check(
            doc,
            case.method,
            case.template,
            status,
            &content_type,
            &body,
        );
        covered.insert((
            case.method.to_string(),
            case.template.to_string(),
            status.to_string(),
        ));
    }
    covered
}

#[tokio::test]
async fn real_answers_validate_against_the_document() {
    let doc = doc();
    let server = Embedded::with_dataset().await;
    let dashboard = "/api/v1/projects/{id}/dashboard";
    let members = "/api/v1/projects/{id}/members";
    let agreement = "/api/v1/projects/{id}/agreement";
    let members_csv = "/api/v1/projects/{id}/members.csv";
    let performance = "/api/v1/members/{id}/performance";
    let performance_csv = "/api/v1/members/{id}/performance.csv";
    let valid = task("p1", "t7");
    let annotated = annotation("p1", "a7", "t7", "m2", "dog", 1.0, "2026-03-03T10:00:00Z");
    let cases = vec![
        get("/", "/", 200),
        get("/api/v1/projects", "/api/v1/projects", 200),
        get(dashboard, "/api/v1/projects/p1/dashboard", 200),
        get(dashboard, "/api/v1/projects/p1/dashboard?from=2026-03-01&to=2026-03-03&tz=Asia/Kolkata&granularity=hour", 200),
        get(dashboard, "/api/v1/projects/p2/dashboard?granularity=month", 200),
        get(dashboard, "/api/v1/projects/p1/dashboard?tz=Nowhere", 400),
        get(dashboard, "/api/v1/projects/p1/dashboard?tz=UTC&tz=UTC", 400),
        get(dashboard, "/api/v1/projects/nope/dashboard", 404),
        get(agreement, "/api/v1/projects/p1/agreement", 200),
        get(agreement, "/api/v1/projects/p1/agreement?participants=all&mode=consensus", 200),
        get(agreement, "/api/v1/projects/p1/agreement?participants=models", 200),
        get(agreement, "/api/v1/projects/p1/agreement?dimension=sentiment", 200),
        get(agreement, "/api/v1/projects/p1/agreement?dimension=sentiment&label=positive", 200),
        get(agreement, "/api/v1/projects/p1/agreement?mode=majority", 400),
        get(agreement, "/api/v1/projects/p1/agreement?participants=robots", 400),
        get(agreement, "/api/v1/projects/p1/agreement?label=positive", 400),
        get(agreement, "/api/v1/projects/p1/agreement?matrix_limit=1", 200),
        get(agreement, "/api/v1/projects/p1/agreement?matrix_limit=0", 400),
        get(agreement, "/api/v1/projects/nope/agreement", 404),
        get(members, "/api/v1/projects/p1/members", 200),
        get(members, "/api/v1/projects/p2/members?tz=America/New_York", 200),
        get(members, "/api/v1/projects/p1/members?format=csv", 200),
        get(members, "/api/v1/projects/p1/members?format=pdf", 400),
        get(members, "/api/v1/projects/nope/members", 404),
        get(members_csv, "/api/v1/projects/p1/members.csv", 200),
        get(members_csv, "/api/v1/projects/p1/members.csv?from=x", 400),
        get(members_csv, "/api/v1/projects/nope/members.csv", 404),
        get(performance, "/api/v1/members/m1/performance", 200),
        get(performance, "/api/v1/members/r1/performance?granularity=week&workspace=w1", 200),
        get(performance, "/api/v1/members/m1/performance?format=csv", 200),
        get(performance, "/api/v1/members/m1/performance?granularity=minute", 400),
        get(performance, "/api/v1/members/ghost/performance", 404),
        get(performance_csv, "/api/v1/members/m1/performance.csv?granularity=hour&from=2026-03-02&to=2026-03-02", 200),
        get(performance_csv, "/api/v1/members/m1/performance.csv?to=never", 400),
        get(performance_csv, "/api/v1/members/ghost/performance.csv", 404),
        post("application/x-ndjson", format!("{valid}\n{annotated}"), 200),
        post("application/json", format!("[{valid}, {{}}]"), 207),
        post("application/x-ndjson", "{}\nnope".to_string(), 400),
        post("application/json", "[]".to_string(), 400),
        post("text/plain", valid.clone(), 415),
        get("/healthz", "/healthz", 200),
        get("/readyz", "/readyz", 200),
        get("/metrics", "/metrics", 200),
        get("/api/v1/openapi.json", "/api/v1/openapi.json", 200),
    ];
    let mut covered = run(&server, &doc, cases).await;

    // 413 with a small limit, 503s from a failing store and sink.
    let small = Embedded::start(64).await;
    covered.extend(
        run(
            &small,
            &doc,
            vec![post("application/x-ndjson", valid.repeat(2), 413)],
        )
        .await,
    );
    let faulty = Faulty {
        inner: server.reader.clone(),
        ready: false,
        fail: true,
    };
    let failing = Server::start(
        AppState::new(Arc::new(faulty), Arc::new(BrokenSink))
            .with_settings(common::settings(1 << 20)),
    )
    .await;
    let cases = vec![
        get("/", "/", 503),
        get("/api/v1/projects", "/api/v1/projects", 503),
        get(dashboard, "/api/v1/projects/p1/dashboard", 503),
        get(members, "/api/v1/projects/p1/members", 503),
        get(agreement, "/api/v1/projects/p1/agreement", 503),
        get(members_csv, "/api/v1/projects/p1/members.csv", 503),
        get(performance, "/api/v1/members/m1/performance", 503),
        get(performance_csv, "/api/v1/members/m1/performance.csv", 503),
        post("application/x-ndjson", valid.clone(), 503),
        get("/readyz", "/readyz", 503),
    ];
    covered.extend(run(&failing, &doc, cases).await);

    // Every documented status of every route was exercised.
    let documented: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .flat_map(|r| {
            let responses = doc["paths"][r.path][r.verb.as_str()]["responses"]
                .as_object()
                .unwrap();
            responses
                .keys()
                .map(|status| {
                    (
                        r.verb.as_str().to_string(),
                        r.path.to_string(),
                        status.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let untested: Vec<_> = documented.difference(&covered).collect();
    assert!(
        untested.is_empty(),
        "documented but never seen: {untested:?}"
    );
    small.stop().await;
    server.stop().await;
}

#[test]
fn the_validator_is_strict() {
    let doc = doc();
    let schema = json!({"$ref": "#/components/schemas/IngestResponse"});
    let validator = validator(&doc, &schema);
    assert!(validator.is_valid(&json!({"accepted": 1, "rejected": 0, "errors": []})));
    assert!(
        !validator.is_valid(&json!({"accepted": 1, "rejected": 0})),
        "a required field is missing"
    );
    assert!(
        !validator.is_valid(&json!({"accepted": 1, "rejected": 0, "errors": [], "extra": 1})),
        "an unknown field"
    );
    assert!(!validator.is_valid(&json!({"accepted": 1, "rejected": 0, "errors": [{"line": 0, "reason": "r", "kind": "malformed"}]})));
    let error = validator_for(&doc, "Error");
    assert!(!error.is_valid(
        &json!({"error": {"code": "bad_parameter", "message": "m", "parameter": "colour"}})
    ));
    let point = validator_for(&doc, "PerformanceSeriesPoint");
    let mut valid = json!({"bucket_start": "2026-03-02T00:00:00+01:00", "submitted": 1, "skipped": 0, "updated": 0,
        "reviews": 0, "lead_time_seconds": 1.5, "review_time_seconds": 0.0, "active_time_seconds": 0.0});
    assert!(point.is_valid(&valid));
    valid["bucket_start"] = json!("yesterday");
    assert!(!point.is_valid(&valid), "formats are validated");
}

fn validator_for(doc: &Value, name: &str) -> jsonschema::Validator {
    validator(
        doc,
        &json!({"$ref": format!("#/components/schemas/{name}")}),
    )
}

#[tokio::test]
async fn the_served_document_is_the_file() {
    let server = Embedded::start(1024).await;
    let served = server.get_json("/api/v1/openapi.json", 200).await;
    assert_eq!(served, doc());
    server.stop().await;
}
