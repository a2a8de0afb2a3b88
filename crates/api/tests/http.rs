//! The API against a real server (127.0.0.1:0) over a real embedded node:
//! every route, every error status, CSV exports, ingest durability.

mod common;

use std::sync::Arc;

use common::{annotation, dataset, task, BrokenSink, Embedded, Faulty, Server};
use labelpulse_api::AppState;
use serde_json::{json, Value};

fn approx(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test]
async fn healthz_readyz_and_the_project_list() {
    let server = Embedded::with_dataset().await;
    assert_eq!(
        server.get_json("/healthz", 200).await,
        json!({"status": "ok"})
    );
    assert_eq!(
        server.get_json("/readyz", 200).await,
        json!({"status": "ok"})
    );
    let list = server.get_json("/api/v1/projects", 200).await;
    let projects = list["projects"].as_array().expect("projects array");
    assert_eq!(projects.len(), 2);
    assert_eq!(projects[0]["id"], "p1");
    assert_eq!(projects[0]["title"], "Vehicles");
    assert_eq!(projects[0]["workspace_id"], "w1");
    assert_eq!(projects[0]["tasks_total"], 2);
    assert_eq!(projects[0]["tasks_done"], 1);
    assert_eq!(projects[0]["annotations_submitted"], 3);
    assert_eq!(projects[1]["id"], "p2");
    assert_eq!(projects[1]["tasks_done"], 1);
    server.stop().await;
}

#[tokio::test]
async fn the_index_lists_the_projects_and_every_link_answers() {
    let server = Embedded::with_dataset().await;
    let index = server.get_json("/", 200).await;
    assert_eq!(index["service"], "labelpulse");
    assert_eq!(index["version"], env!("CARGO_PKG_VERSION"));
    // The same projects and counts as the project list, plus links.
    let list = server.get_json("/api/v1/projects", 200).await;
    let projects = index["projects"].as_array().expect("projects array");
    assert_eq!(projects.len(), 2);
    for (indexed, listed) in projects.iter().zip(list["projects"].as_array().unwrap()) {
        let mut without_links = indexed.clone();
        without_links.as_object_mut().unwrap().remove("links");
        assert_eq!(&without_links, listed);
    }
    assert_eq!(
        projects[0]["links"]["dashboard"],
        "/api/v1/projects/p1/dashboard"
    );
    // Every link the index gives answers 200.
    for (name, link) in index["links"].as_object().unwrap() {
        if name != "events" {
            let status = server.get(link.as_str().unwrap()).await.status();
            assert_eq!(status, 200, "{name}: {link}");
        }
    }
    for project in projects {
        for (name, link) in project["links"].as_object().unwrap() {
            let status = server.get(link.as_str().unwrap()).await.status();
            assert_eq!(status, 200, "{name}: {link}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn the_index_links_a_project_whose_id_has_reserved_characters() {
    let server = Embedded::start(labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES).await;
    let id = "team a/b?#%";
    let (status, body) = server.ingest(&[task(id, "t1")]).await;
    assert_eq!(status, 200, "{body}");
    let index = server.get_json("/", 200).await;
    let project = &index["projects"][0];
    assert_eq!(project["id"], id);
    let dashboard = project["links"]["dashboard"].as_str().expect("a link");
    assert_eq!(
        dashboard,
        "/api/v1/projects/team%20a%2Fb%3F%23%25/dashboard"
    );
    // The link reaches that project, not another route.
    let answer = server.get_json(dashboard, 200).await;
    assert_eq!(answer["project_id"], id);
    assert_eq!(answer["tasks"]["total"], 1);
    server.stop().await;
}

#[tokio::test]
async fn project_dashboard_over_the_default_and_explicit_ranges() {
    let server = Embedded::with_dataset().await;
    // Default: 30 local days ending at the fixed clock's now, daily buckets.
    let dashboard = server.get_json("/api/v1/projects/p1/dashboard", 200).await;
    assert_eq!(dashboard["project_id"], "p1");
    assert_eq!(dashboard["granularity"], "day");
    assert_eq!(dashboard["from"], "2026-02-09T00:00:00+00:00");
    assert_eq!(dashboard["to"], "2026-03-10T12:00:00+00:00");
    assert_eq!(dashboard["series"].as_array().unwrap().len(), 30);
    assert_eq!(
        dashboard["tasks"],
        json!({"total": 2, "annotated": 1, "done": 1, "remaining": 1, "pending_review": 0})
    );
    assert_eq!(dashboard["annotations"]["submitted"], 3);
    assert_eq!(dashboard["annotations"]["regions"], 3);
    assert_eq!(dashboard["reviews"]["accepted"], 1);
    assert_eq!(dashboard["reviews"]["reviewed"], 1);
    assert!(approx(&dashboard["reviews"]["acceptance_score"], 1.0));
    assert!(approx(&dashboard["lead_time_seconds"]["total"], 60.0));
    assert!(approx(&dashboard["lead_time_seconds"]["mean"], 20.0));
    assert!(approx(&dashboard["review_time_seconds"]["total"], 20.0));
    assert_eq!(dashboard["agreement"]["tasks"], 1);
    assert!(approx(&dashboard["agreement"]["mean"], 1.0));
    let labels: Vec<(String, i64)> = dashboard["label_distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["label"].as_str().unwrap().to_string(),
                l["annotations"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(labels, vec![("cat".to_string(), 2), ("dog".to_string(), 1)]);

    // One local day in Berlin, by hour: 24 buckets, the annotations at
    // 10:00, 10:30 and 11:00 UTC land in the local 11:00 and 12:00 buckets.
    let hourly = server
        .get_json("/api/v1/projects/p1/dashboard?from=2026-03-02&to=2026-03-02&tz=Europe/Berlin&granularity=hour&ignored=1", 200)
        .await;
    let series = hourly["series"].as_array().unwrap();
    assert_eq!(series.len(), 24);
    assert_eq!(hourly["tz"], "Europe/Berlin");
    assert_eq!(series[11]["bucket_start"], "2026-03-02T11:00:00+01:00");
    assert_eq!(series[11]["submitted"], 2);
    assert_eq!(series[12]["submitted"], 1);
    let in_series: i64 = series
        .iter()
        .map(|p| p["submitted"].as_i64().unwrap())
        .sum();
    assert_eq!(in_series, 3);

    // A range without the data: zeros and nulls, not errors.
    let empty = server
        .get_json(
            "/api/v1/projects/p1/dashboard?from=2026-01-01&to=2026-01-31&granularity=week",
            200,
        )
        .await;
    assert_eq!(empty["annotations"]["submitted"], 0);
    assert_eq!(empty["lead_time_seconds"]["mean"], Value::Null);
    assert_eq!(empty["reviews"]["acceptance_score"], Value::Null);
    assert_eq!(empty["granularity"], "week");
    server.stop().await;
}

#[tokio::test]
async fn members_view_rows_totals_and_agreement_matrix() {
    let server = Embedded::with_dataset().await;
    let view = server.get_json("/api/v1/projects/p1/members", 200).await;
    let members = view["members"].as_array().unwrap();
    let ids: Vec<&str> = members
        .iter()
        .map(|m| m["member_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["m1", "m2", "r1"]);
    let m1 = &members[0];
    assert_eq!(m1["name"], "Ann");
    assert_eq!(m1["role"], "annotator");
    assert_eq!(m1["submitted"], 2);
    assert_eq!(m1["accepted"], 1);
    assert!(approx(&m1["acceptance_score"], 1.0));
    assert!(approx(&m1["lead_time_seconds"]["total"], 40.0));
    assert!(approx(&m1["agreement"], 1.0));
    assert_eq!(m1["last_active"], "2026-03-02T11:00:00+00:00");
    let r1 = &members[2];
    assert_eq!(r1["role"], "reviewer");
    assert_eq!(r1["reviews_performed"], 1);
    assert!(approx(&r1["review_time_seconds"]["total"], 20.0));
    assert_eq!(r1["acceptance_score"], Value::Null);
    assert_eq!(view["totals"]["submitted"], 3);
    assert_eq!(view["totals"]["reviews_performed"], 1);
    let matrix = &view["agreement_matrix"];
    assert_eq!(matrix["participants"], json!(["m1", "m2"]));
    assert_eq!(matrix["common_tasks"], json!([[0, 1], [1, 0]]));
    assert_eq!(matrix["score"][0][0], Value::Null);
    assert!(approx(&matrix["score"][0][1], 1.0));
    server.stop().await;
}

/// Parses a CSV body into header + records with the csv crate.
fn parse_csv(text: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let records = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("records");
    (header, records)
}

/// The CSV cell a JSON value should become: empty for null.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        // Lists (outlier flags) are joined by `;`.
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

fn assert_same_number_or_text(csv_cell: &str, json: &Value, column: &str) {
    match json {
        Value::Number(n) => {
            let parsed: f64 = csv_cell
                .parse()
                .unwrap_or_else(|_| panic!("{column}: `{csv_cell}` is not a number"));
            assert!(
                (parsed - n.as_f64().unwrap()).abs() < 1e-9,
                "{column}: {csv_cell} vs {n}"
            );
        }
        other => assert_eq!(csv_cell, cell(other), "{column}"),
    }
}

#[tokio::test]
async fn members_csv_matches_the_json_view() {
    let server = Embedded::with_dataset().await;
    let view = server
        .get_json("/api/v1/projects/p1/members?tz=Europe/Berlin", 200)
        .await;
    for path in [
        "/api/v1/projects/p1/members.csv?tz=Europe/Berlin",
        "/api/v1/projects/p1/members?tz=Europe/Berlin&format=csv",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        let disposition = headers["content-disposition"].to_str().unwrap().to_string();
        assert!(
            disposition.starts_with("attachment; filename=\"members-p1-"),
            "{disposition}"
        );
        let text = response.text().await.unwrap();
        let (header, records) = parse_csv(&text);
        assert_eq!(header, labelpulse_api::csv::MEMBER_COLUMNS);
        let members = view["members"].as_array().unwrap();
        assert_eq!(records.len(), members.len());
        for (record, member) in records.iter().zip(members) {
            for (column, value) in header.iter().zip(record.iter()) {
                let json = match column.split_once("_seconds_") {
                    Some((stem, stat)) => &member[format!("{stem}_seconds")][stat],
                    None => &member[column.as_str()],
                };
                assert!(!json.is_object(), "{column} was not flattened");
                assert_same_number_or_text(value, json, column);
            }
        }
        // Nulls are empty cells: r1 has no acceptance score.
        let r1 = records.iter().find(|r| &r[0] == "r1").unwrap();
        assert_eq!(
            &r1[header.iter().position(|c| c == "acceptance_score").unwrap()],
            ""
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn member_performance_with_filters_and_csv() {
    let server = Embedded::with_dataset().await;
    let all = server.get_json("/api/v1/members/m1/performance", 200).await;
    assert_eq!(all["name"], "Ann");
    assert_eq!(all["annotations"]["submitted"], 3);
    assert!(approx(&all["annotations"]["time_annotating_seconds"], 80.0));
    let projects: Vec<&str> = all["by_project"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["project_id"].as_str().unwrap())
        .collect();
    assert_eq!(projects, vec!["p1", "p2"]);
    assert_eq!(all["by_project"][0]["title"], "Vehicles");
    assert_eq!(all["by_project"][0]["accepted"], 1);

    let only_p1 = server
        .get_json("/api/v1/members/m1/performance?project=p1", 200)
        .await;
    assert_eq!(only_p1["annotations"]["submitted"], 2);
    let only_w2 = server
        .get_json("/api/v1/members/m1/performance?workspace=w2", 200)
        .await;
    assert_eq!(only_w2["annotations"]["submitted"], 1);
    assert_eq!(only_w2["by_project"][0]["project_id"], "p2");
    let nothing = server
        .get_json(
            "/api/v1/members/m1/performance?workspace=w1&project=p2",
            200,
        )
        .await;
    assert_eq!(nothing["annotations"]["submitted"], 0);
    let reviewer = server.get_json("/api/v1/members/r1/performance", 200).await;
    assert_eq!(reviewer["reviews"]["total"], 1);
    assert_eq!(reviewer["reviews"]["accepted"], 1);

    let query = "from=2026-03-01&to=2026-03-03&tz=Europe/Berlin&granularity=day";
    let view = server
        .get_json(&format!("/api/v1/members/m1/performance?{query}"), 200)
        .await;
    for path in [
        format!("/api/v1/members/m1/performance.csv?{query}"),
        format!("/api/v1/members/m1/performance?{query}&format=csv"),
    ] {
        let response = server.get(&path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert!(response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("performance-m1-day.csv"));
        let (header, records) = parse_csv(&response.text().await.unwrap());
        assert_eq!(header, labelpulse_api::csv::SERIES_COLUMNS);
        let series = view["series"].as_array().unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records.len(), series.len());
        for (record, point) in records.iter().zip(series) {
            for (column, value) in header.iter().zip(record.iter()) {
                assert_same_number_or_text(value, &point[column.as_str()], column);
            }
        }
        assert_eq!(&records[1][1], "3");
    }
    server.stop().await;
}

async fn assert_error(
    server: &Server,
    path: &str,
    status: u16,
    code: &str,
    parameter: Option<&str>,
) {
    let body = server.get_json(path, status).await;
    assert_eq!(body["error"]["code"], code, "{path}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{path}: {body}"
    );
    match parameter {
        Some(p) => assert_eq!(body["error"]["parameter"], p, "{path}: {body}"),
        None => assert!(body["error"].get("parameter").is_none(), "{path}: {body}"),
    }
}

#[tokio::test]
async fn every_bad_parameter_is_a_400_naming_it() {
    let server = Embedded::with_dataset().await;
    let routes = [
        "/api/v1/projects/p1/dashboard",
        "/api/v1/projects/p1/members",
        "/api/v1/projects/p1/members.csv",
        "/api/v1/members/m1/performance",
        "/api/v1/members/m1/performance.csv",
    ];
    for route in routes {
        assert_error(
            &server,
            &format!("{route}?from=yesterday"),
            400,
            "bad_parameter",
            Some("from"),
        )
        .await;
        assert_error(
            &server,
            &format!("{route}?to=2026-13-01"),
            400,
            "bad_parameter",
            Some("to"),
        )
        .await;
        assert_error(
            &server,
            &format!("{route}?tz=Mars/Olympus"),
            400,
            "bad_parameter",
            Some("tz"),
        )
        .await;
        assert_error(
            &server,
            &format!("{route}?from=2026-03-05&to=2026-03-01"),
            400,
            "bad_parameter",
            Some("from"),
        )
        .await;
        // Repeated parameters: axum's Query rejection, in the JSON shape.
        assert_error(
            &server,
            &format!("{route}?tz=UTC&tz=UTC"),
            400,
            "bad_query",
            None,
        )
        .await;
    }
    for route in [
        "/api/v1/projects/p1/dashboard",
        "/api/v1/members/m1/performance",
    ] {
        assert_error(
            &server,
            &format!("{route}?granularity=fortnight"),
            400,
            "bad_parameter",
            Some("granularity"),
        )
        .await;
        let too_many = format!("{route}?from=2020-01-01&to=2026-01-01&granularity=hour");
        assert_error(
            &server,
            &too_many,
            400,
            "bad_parameter",
            Some("granularity"),
        )
        .await;
    }
    for route in [
        "/api/v1/projects/p1/members",
        "/api/v1/members/m1/performance",
    ] {
        assert_error(
            &server,
            &format!("{route}?format=xml"),
            400,
            "bad_parameter",
            Some("format"),
        )
        .await;
    }
    // Parameter errors come before lookups: a bad range on an unknown id is a 400.
    assert_error(
        &server,
        "/api/v1/projects/nope/dashboard?tz=Nowhere",
        400,
        "bad_parameter",
        Some("tz"),
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404s() {
    let server = Embedded::with_dataset().await;
    for path in [
        "/api/v1/projects/nope/dashboard",
        "/api/v1/projects/nope/members",
        "/api/v1/projects/nope/members.csv",
        "/api/v1/members/ghost/performance",
        "/api/v1/members/ghost/performance.csv",
    ] {
        assert_error(&server, path, 404, "not_found", None).await;
    }
    assert_error(&server, "/api/v1/nothing", 404, "no_route", None).await;
    // A member with rows but never upserted is served.
    let (status, _) = server
        .ingest(&[annotation(
            "p1",
            "a9",
            "t2",
            "anon",
            "dog",
            5.0,
            "2026-03-02T13:00:00Z",
        )])
        .await;
    assert_eq!(status, 200);
    let anon = server
        .get_json("/api/v1/members/anon/performance", 200)
        .await;
    assert_eq!(anon["name"], Value::Null);
    assert_eq!(anon["annotations"]["submitted"], 1);
    // ... also over a range without its activity: known, so zeros, not 404.
    let quiet = server
        .get_json(
            "/api/v1/members/anon/performance?from=2026-01-01&to=2026-01-02",
            200,
        )
        .await;
    assert_eq!(quiet["annotations"]["submitted"], 0);
    // An upserted member without rows is served too (empty).
    let r1 = server
        .get_json(
            "/api/v1/members/r1/performance?from=2026-01-01&to=2026-01-02",
            200,
        )
        .await;
    assert_eq!(r1["reviews"]["total"], 0);
    // Wrong method: 405 in the JSON shape.
    let response = server
        .client
        .delete(server.url("/api/v1/projects"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    server.stop().await;
}

#[tokio::test]
async fn ingest_partial_batches_report_lines_and_apply_the_valid_events() {
    let server = Embedded::start(labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES).await;
    let body = [
        task("p1", "t1"),
        String::new(),
        r#"{"event_id":"x","type":"task.created","schema_version":1,"occurred_at":"2026-03-02T09:00:00Z","project_id":"p1"}"#
            .to_string(),
        "not json".to_string(),
        "   ".to_string(),
        annotation("p1", "a1", "t1", "m1", "cat", 10.0, "2026-03-02T10:00:00Z"),
        r#"{"event_id":"y","type":"task.created","schema_version":2,"occurred_at":"2026-03-02T09:00:00Z","project_id":"p1","task_id":"t9"}"#
            .to_string(),
    ]
    .join("\n");
    let response = server
        .post("/api/v1/events", "application/x-ndjson", body)
        .await;
    assert_eq!(response.status(), 207);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"], 3);
    let errors = answer["errors"].as_array().unwrap();
    let lines: Vec<i64> = errors.iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 7]);
    assert_eq!(errors[0]["kind"], "missing_field");
    assert_eq!(errors[0]["field"], "task_id");
    assert_eq!(errors[0]["reason"], "invalid field `task_id`: missing");
    assert_eq!(errors[1]["kind"], "malformed");
    assert!(errors[1].get("field").is_none());
    assert_eq!(errors[2]["kind"], "unsupported_schema_version");

    // Durable before the answer: the next read sees both valid events.
    let dashboard = server.get_json("/api/v1/projects/p1/dashboard", 200).await;
    assert_eq!(dashboard["tasks"]["total"], 1);
    assert_eq!(dashboard["annotations"]["submitted"], 1);

    // JSON arrays report 1-based positions.
    let array = format!(
        "[{}, 42, {}]",
        task("p1", "t2"),
        annotation("p1", "a2", "t2", "m2", "dog", 3.0, "2026-03-02T10:00:00Z")
    );
    let response = server
        .post("/api/v1/events", "application/json", array)
        .await;
    assert_eq!(response.status(), 207);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["errors"][0]["line"], 2);
    let dashboard = server.get_json("/api/v1/projects/p1/dashboard", 200).await;
    assert_eq!(dashboard["tasks"]["total"], 2);
    assert_eq!(dashboard["annotations"]["submitted"], 2);

    // A single JSON object.
    let response = server
        .post(
            "/api/v1/events",
            "application/json; charset=utf-8",
            task("p1", "t3"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"accepted": 1, "rejected": 0, "errors": []}));
    assert_eq!(
        server.get_json("/api/v1/projects", 200).await["projects"][0]["tasks_total"],
        3
    );

    // Metrics counted all of it.
    let metrics = server.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"labelpulse_ingest_events_total{outcome="accepted"} 5"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"labelpulse_ingest_events_total{outcome="rejected"} 4"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"labelpulse_ingest_rejected_total{reason="malformed"} 1"#),
        "{metrics}"
    );
    // `42` is JSON, but not an object.
    assert!(
        metrics.contains(r#"labelpulse_ingest_rejected_total{reason="wrong_type"} 1"#),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test]
async fn ingest_refusals_400_413_415() {
    let server = Embedded::start(1024).await;
    // None valid: 400 with the per-line errors.
    let (status, answer) = server.ingest(&["{}".to_string(), "[1]".to_string()]).await;
    assert_eq!(status, 400);
    assert_eq!(answer["accepted"], 0);
    assert_eq!(answer["rejected"], 2);
    assert_eq!(answer["errors"][1]["line"], 2);
    // Empty bodies and a JSON body that is not JSON: 400 in the error shape.
    for (content_type, body) in [
        ("application/x-ndjson", "\n\n"),
        ("application/json", ""),
        ("application/json", "[]"),
    ] {
        let response = server.post("/api/v1/events", content_type, body).await;
        assert_eq!(response.status(), 400);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "empty_body");
    }
    let response = server
        .post("/api/v1/events", "application/json", "[{\"a\":")
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "malformed_body"
    );
    // Over the configured limit: 413.
    let big = vec![task("p1", "t1"); 40].join("\n");
    assert!(big.len() > 1024);
    let response = server
        .post("/api/v1/events", "application/x-ndjson", big)
        .await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "payload_too_large"
    );
    // Another content type (or none): 415.
    for content_type in ["text/plain", "application/xml"] {
        let response = server
            .post("/api/v1/events", content_type, task("p1", "t1"))
            .await;
        assert_eq!(response.status(), 415);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"]["code"],
            "unsupported_media_type"
        );
    }
    let response = server
        .client
        .post(server.url("/api/v1/events"))
        .body(task("p1", "t1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    // Nothing of the refused requests was stored.
    assert_eq!(
        server.get_json("/api/v1/projects", 200).await["projects"],
        json!([])
    );
    server.stop().await;
}

#[tokio::test]
async fn store_and_sink_failures_are_503s() {
    let embedded = Embedded::with_dataset().await;
    let not_ready = Faulty {
        inner: embedded.reader.clone(),
        ready: false,
        fail: false,
    };
    let server = Server::start(
        AppState::new(Arc::new(not_ready), Arc::new(BrokenSink))
            .with_settings(common::settings(1 << 20)),
    )
    .await;
    assert_eq!(
        server.get_json("/readyz", 503).await,
        json!({"status": "unavailable"})
    );
    assert_eq!(
        server.get_json("/healthz", 200).await,
        json!({"status": "ok"})
    );
    // Reads still work through the wrapper; the sink fails.
    assert_eq!(
        server.get_json("/api/v1/projects", 200).await["projects"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let response = server
        .post("/api/v1/events", "application/x-ndjson", task("p1", "t9"))
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "sink_unavailable"
    );

    let failing = Faulty {
        inner: embedded.reader.clone(),
        ready: true,
        fail: true,
    };
    let server = Server::start(
        AppState::new(Arc::new(failing), Arc::new(embedded.node.clone()))
            .with_settings(common::settings(1 << 20)),
    )
    .await;
    for path in [
        "/api/v1/projects",
        "/api/v1/projects/p1/dashboard",
        "/api/v1/projects/p1/members",
        "/api/v1/projects/p1/members.csv",
        "/api/v1/members/m1/performance",
        "/api/v1/members/m1/performance.csv",
    ] {
        let body = server.get_json(path, 503).await;
        assert_eq!(body["error"]["code"], "store_unavailable", "{path}");
    }
    embedded.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let server = Embedded::with_dataset().await;
    server.get_json("/api/v1/projects/p1/dashboard", 200).await;
    server.get_json("/api/v1/projects/p2/dashboard", 200).await;
    server
        .get_json("/api/v1/projects/nope/dashboard", 404)
        .await;
    server.get_json("/no/such/thing", 404).await;
    let response = server.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"labelpulse_http_requests_total{route="/api/v1/projects/{id}/dashboard",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"labelpulse_http_requests_total{route="/api/v1/projects/{id}/dashboard",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"labelpulse_http_requests_total{route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"labelpulse_http_requests_total{route="/api/v1/events",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"labelpulse_ingest_events_total{{outcome="accepted"}} {}"#,
            dataset().len()
        )),
        "{text}"
    );
    assert!(
        !text.contains("/api/v1/projects/p1"),
        "raw paths must not become labels"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_default_limit_is_a_413() {
    let server = Embedded::start(labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES).await;
    let line = task("p1", "t1");
    let count = labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES / line.len() + 10;
    let body = vec![line; count].join("\n");
    assert!(body.len() > labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES);
    let response = server
        .post("/api/v1/events", "application/x-ndjson", body)
        .await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        server.get_json("/api/v1/projects", 200).await["projects"],
        json!([])
    );
    server.stop().await;
}

#[tokio::test]
async fn acknowledged_events_survive_a_restart_of_the_node() {
    let server = Embedded::with_dataset().await;
    let before = server.get_json("/api/v1/projects/p1/members", 200).await;
    let server = server.restart().await;
    let after = server.get_json("/api/v1/projects/p1/members", 200).await;
    assert_eq!(before, after);
    assert_eq!(after["totals"]["submitted"], 3);
    server.stop().await;
}
