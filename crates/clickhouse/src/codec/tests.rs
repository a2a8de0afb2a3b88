//! Round trips through every table's row, and the errors of values that
//! do not fit.

use labelpulse_core::aggregate::{AggKey, AggRow, HourRow, LabelRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::sketch::Sketch;
use labelpulse_core::task::TaskState;
use labelpulse_engine::entity::{MemberState, SessionState};

use super::*;
use crate::tables::{
    AgreementHourRow, CellsRow, IdIndexRow, MemberHourRow, ProjectHourRow, HOUR_COUNTERS,
};

use labelpulse_core::event::{Control, ReviewCriteria, Role};

#[test]
fn sketches_round_trip_through_columns() {
    let mut sketch = Sketch::default();
    for (v, w) in [(0, 3), (1, 1), (1_500, 2), (93_400, 1), (10_000_000, 4)] {
        sketch.add(v, w);
    }
    let (zeros, indexes, counts) = sketch_columns(&sketch);
    assert_eq!(zeros, 3);
    assert!(indexes.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(counts.iter().sum::<i64>(), 8);
    let back = sketch_from_columns("t", "c", zeros, &indexes, &counts).unwrap();
    assert_eq!(back, sketch);
    assert_eq!(
        sketch_from_columns("t", "c", 0, &[], &[]).unwrap(),
        Sketch::default()
    );
    assert!(sketch_from_columns("t", "c", 0, &[1, 2], &[1]).is_err());
    assert!(sketch_from_columns("t", "c", 0, &[1, 1], &[1, 1]).is_err());
}

#[test]
fn hour_rows_round_trip() {
    let mut row = HourRow {
        submitted: 1,
        skipped: 2,
        updated: 3,
        regions: 4,
        lead_time_ms: 5,
        lead_time_count: 6,
        accepted: 7,
        fixed_and_accepted: 8,
        rejected: 9,
        performance_sum: 10,
        performance_count: 11,
        reviews_accepted: 12,
        reviews_fixed_and_accepted: 13,
        reviews_rejected: 14,
        review_time_ms: 15,
        review_time_count: 16,
        tasks_done: 17,
        active_ms: 18,
        ..HourRow::default()
    };
    row.lead_time_sketch.add(77, 2);
    row.review_time_sketch.add(0, 1);
    let encoded = MemberHourRow::encode("p".into(), -3, "m".into(), 9, &row).unwrap();
    let (key, value) = encoded.decode().unwrap();
    assert_eq!(
        key,
        AggKey::MemberHour {
            project: "p".into(),
            member: "m".into(),
            hour: -3
        }
    );
    assert_eq!(value, versioned(9, AggRow::Hour(row)));
}

#[test]
fn hour_counters_are_in_the_order_of_their_names() {
    // Distinct values in every field, found back by name in `counters`.
    let mut fields = serde_json::Map::new();
    for (index, name) in HOUR_COUNTERS.iter().enumerate() {
        if !name.ends_with("_zeros") {
            fields.insert((*name).to_string(), serde_json::json!(100 + index));
        }
    }
    let empty = serde_json::to_value(Sketch::default()).unwrap();
    fields.insert("lead_time_sketch".into(), empty.clone());
    fields.insert("review_time_sketch".into(), empty);
    let row: HourRow = serde_json::from_value(serde_json::Value::Object(fields)).unwrap();
    let counters = hour_counters(&row, -1, -2);
    assert_eq!(counters.len(), HOUR_COUNTERS.len());
    for (index, name) in HOUR_COUNTERS.iter().enumerate() {
        let expected = match *name {
            "lead_time_zeros" => -1,
            "review_time_zeros" => -2,
            _ => 100 + index as i64,
        };
        assert_eq!(counters[index], expected, "{name}");
    }
}

#[test]
fn the_hour_views_name_the_counters_in_their_order() {
    for sql in [
        include_str!("../../../../schemas/clickhouse/0006_hour_views.sql"),
        include_str!("../../../../schemas/clickhouse/cluster/0006_hour_views.sql"),
    ] {
        for (index, name) in HOUR_COUNTERS.iter().enumerate() {
            let column = format!("counters[{}] AS {name},", index + 1);
            assert_eq!(sql.matches(&column).count(), 3, "{column}");
        }
    }
    let copy = include_str!("../../../../schemas/clickhouse/0005_packed_hours.sql");
    let listed: String = HOUR_COUNTERS.join(", ");
    let normalized: String = copy.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(normalized.matches(&format!("[{listed}]")).count(), 2);
}

#[test]
fn a_counters_array_of_the_wrong_length_is_an_error() {
    let mut encoded = ProjectHourRow::encode("p".into(), 1, 2, &HourRow::default()).unwrap();
    encoded.counters.pop();
    assert!(matches!(
        encoded.hour_row(),
        Err(CodecError::Value {
            column: "counters",
            ..
        })
    ));
}

#[test]
fn entities_round_trip_and_bad_values_are_errors() {
    let config = ProjectConfig {
        title: "T".into(),
        workspace_id: None,
        overlap: 3,
        agreement_threshold: 0.1 + 0.2,
        review_criteria: ReviewCriteria::All,
        controls: vec![Control {
            name: "c".into(),
            kind: "rating".into(),
            labels: vec![],
            multiple: true,
            min: Some(1.0),
            max: None,
            weight: 1.0 / 3.0,
            label_weights: Default::default(),
            threshold: labelpulse_core::event::DEFAULT_THRESHOLD,
        }],
    };
    let row = project_row("p", &versioned(4, config.clone())).unwrap();
    assert_eq!(row.review_criteria, "all");
    assert_eq!(
        row.decode().unwrap(),
        ("p".to_string(), versioned(4, config))
    );

    let member = MemberState {
        name: "n".into(),
        email: Some("e".into()),
        role: Role::Manager,
        occurred_ms: -1,
    };
    let mut row = member_row("m", &versioned(2, member.clone())).unwrap();
    assert_eq!(row.role, "manager");
    assert_eq!(row.clone().decode().unwrap().1.value, member);
    row.role = "emperor".into();
    assert!(matches!(
        row.decode(),
        Err(CodecError::Value { column: "role", .. })
    ));

    let mut session = session_row(
        &("p".into(), "m".into()),
        &versioned(
            1,
            SessionState {
                latest_ms: Some(5),
                open: true,
            },
        ),
    );
    assert!(session.clone().decode().unwrap().1.value.open);
    session.open = 2;
    assert!(session.decode().is_err());

    let task = task_row(
        &("p".into(), "t".into()),
        &versioned(3, TaskState::default()),
    )
    .unwrap();
    let mut longer = task.clone();
    longer.state.push(0);
    assert!(matches!(
        longer.decode(),
        Err(CodecError::Trailing { extra: 1, .. })
    ));
    let mut garbage = task;
    garbage.state = vec![0xff; 3];
    assert!(garbage.decode().is_err());

    let index = IdIndexRow {
        project: "p".into(),
        kind: 7,
        id: "a".into(),
        task: "t".into(),
    };
    assert!(index.decode().is_err());

    let bad = AgreementHourRow {
        project: "p".into(),
        participants: "annotators".into(),
        mode: "pairwise".into(),
        dimension: String::new(),
        hour: 0,
        version: 1,
        tasks: 0,
        score_sum: 0,
        histogram: vec![0; 9],
        low: 0,
    };
    assert!(bad.decode().is_err());
    let bad_scope = AgreementHourRow {
        mode: "majority".into(),
        histogram: vec![0; 10],
        ..bad.clone()
    };
    assert!(bad_scope.decode().is_err());
    let good = AgreementHourRow {
        histogram: vec![0; 10],
        ..bad
    };
    assert!(good.decode().is_ok());
    let bad_cell = CellsRow {
        project: "p".into(),
        dimension: "d".into(),
        kind: "triple".into(),
        a: String::new(),
        b: String::new(),
        m: 0,
        c: "x".into(),
        k: String::new(),
        version: 1,
        count: 1,
    };
    assert!(bad_cell.decode().is_err());
}

#[test]
fn a_row_of_the_wrong_kind_is_refused() {
    let mut rows = AggregateRows::default();
    let error = rows
        .push(
            &AggKey::ProjectTotals {
                project: "p".into(),
            },
            &versioned(1, AggRow::Label(LabelRow::default())),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        CodecError::RowKind {
            table: "project_totals"
        }
    ));
    assert!(rows.is_empty());
}
