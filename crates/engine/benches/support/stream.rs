//! The synthetic stream shared by the apply bench and the `apply_loop` example:
//! 1 project, tasks with overlap 3 (choices + rating), each annotation
//! followed by a heartbeat, a third of annotations reviewed.

fn timestamp(seconds: i64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap_or_default();
    (base + chrono::Duration::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn stream(events: usize) -> Vec<String> {
    let mut out = vec![r#"{"event_id":"p","type":"project.upserted","schema_version":1,"occurred_at":"2026-03-01T00:00:00Z","project_id":"p1","title":"Bench","overlap":3,"agreement_threshold":0.6,"review_criteria":"one","controls":[{"name":"sentiment","kind":"choices","labels":["positive","negative","neutral"]},{"name":"stars","kind":"rating","min":1,"max":5}]}"#.to_string()];
    let labels = ["positive", "negative", "neutral"];
    let mut n = 0usize;
    while out.len() < events {
        let task = n / 3;
        let member = n % 20;
        let at = timestamp(n as i64 * 2);
        out.push(format!(
            r#"{{"event_id":"a{n}","type":"annotation.submitted","schema_version":1,"occurred_at":"{at}","project_id":"p1","annotation_id":"a{n}","task_id":"t{task}","member_id":"m{member}","lead_time_seconds":{},"completed_at":"{at}","result":[{{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["{}"]}}}},{{"id":"r2","from_name":"stars","to_name":"text","type":"rating","value":{{"rating":{}}}}}]}}"#,
            10 + n % 50,
            labels[(n * 7 + task) % 3],
            1 + (n * 3 + task) % 5
        ));
        out.push(format!(
            r#"{{"event_id":"h{n}","type":"session.heartbeat","schema_version":1,"occurred_at":"{at}","project_id":"p1","member_id":"m{member}"}}"#
        ));
        if n.is_multiple_of(3) {
            out.push(format!(
                r#"{{"event_id":"v{n}","type":"review.submitted","schema_version":1,"occurred_at":"{at}","project_id":"p1","review_id":"v{n}","annotation_id":"a{n}","task_id":"t{task}","reviewer_id":"r{}","outcome":"accepted","started_at":"{at}","completed_at":"{at}"}}"#,
                n % 3
            ));
        }
        n += 1;
    }
    out.truncate(events);
    out
}
