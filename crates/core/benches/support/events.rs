//! The sample events shared by the decode bench and the `decode_loop`
//! example: a typical `annotation.submitted` and a mix of four types, and
//! the serde_json floor they are compared with.

use serde::Deserialize;

/// A 518-byte `annotation.submitted` with one choices item.
pub const ANNOTATION: &str = r#"{"event_id":"0b7f9c1e-5d1a-4c8e-9f1e-2a3b4c5d6e7f","type":"annotation.submitted","schema_version":1,"occurred_at":"2026-03-01T10:15:30Z","project_id":"proj-17","workspace_id":"ws-2","org_id":"org-1","source":"label-studio","annotation_id":"ann-982734","task_id":"task-55121","member_id":"user-42","lead_time_seconds":37.25,"was_cancelled":false,"ground_truth":false,"completed_at":"2026-03-01T10:15:29Z","result":[{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["positive"]}}]}"#;

/// One event of each common type (about 300 bytes on average).
pub const MIX: [&str; 4] = [
    ANNOTATION,
    r#"{"event_id":"e2","type":"review.submitted","schema_version":1,"occurred_at":"2026-03-01T10:20:00Z","project_id":"proj-17","review_id":"rev-1","annotation_id":"ann-982734","task_id":"task-55121","reviewer_id":"user-7","outcome":"accepted","started_at":"2026-03-01T10:19:12Z","completed_at":"2026-03-01T10:20:00Z"}"#,
    r#"{"event_id":"e3","type":"session.heartbeat","schema_version":1,"occurred_at":"2026-03-01T10:20:15Z","project_id":"proj-17","member_id":"user-42","task_id":"task-55122"}"#,
    r#"{"event_id":"e4","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:20:16Z","project_id":"proj-17","task_id":"task-55123"}"#,
];

/// The floor the goal was set against: serde_json into a minimal borrowed
/// struct (the same fields, `&str` for every string, no validation, no
/// timestamp parsing). Measured in the same run as `decode`, so the ratio
/// between the two is what to read, not the absolute figures.
#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Floor<'a> {
    #[serde(borrow)]
    event_id: &'a str,
    #[serde(borrow, rename = "type")]
    event_type: &'a str,
    schema_version: u64,
    #[serde(borrow)]
    occurred_at: &'a str,
    #[serde(borrow)]
    project_id: &'a str,
    #[serde(borrow, default)]
    workspace_id: Option<&'a str>,
    #[serde(borrow, default)]
    org_id: Option<&'a str>,
    #[serde(borrow, default)]
    source: Option<&'a str>,
    #[serde(borrow, default)]
    task_id: Option<&'a str>,
    #[serde(borrow, default)]
    member_id: Option<&'a str>,
    #[serde(borrow, default)]
    annotation_id: Option<&'a str>,
    #[serde(default)]
    lead_time_seconds: Option<f64>,
    #[serde(default)]
    was_cancelled: Option<bool>,
    #[serde(default)]
    ground_truth: Option<bool>,
    #[serde(borrow, default)]
    completed_at: Option<&'a str>,
    #[serde(borrow, default)]
    result: Option<Vec<FloorItem<'a>>>,
    #[serde(borrow, default)]
    review_id: Option<&'a str>,
    #[serde(borrow, default)]
    reviewer_id: Option<&'a str>,
    #[serde(borrow, default)]
    outcome: Option<&'a str>,
    #[serde(borrow, default)]
    started_at: Option<&'a str>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct FloorItem<'a> {
    #[serde(borrow)]
    id: &'a str,
    #[serde(borrow)]
    from_name: &'a str,
    #[serde(borrow)]
    to_name: &'a str,
    #[serde(borrow, rename = "type")]
    item_type: &'a str,
    #[serde(borrow)]
    value: FloorValue<'a>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct FloorValue<'a> {
    #[serde(borrow, default)]
    choices: Option<Vec<&'a str>>,
}
