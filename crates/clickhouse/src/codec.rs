//! Between the engine's values and the table rows of [`crate::tables`].
//!
//! Counters map to Int64 columns one to one, except in the hour tables,
//! whose counters are one `Array(Int64)` in the order of
//! [`crate::tables::HOUR_COUNTERS`]. A quantile sketch maps to its zero
//! count (one of those counters) and two arrays (bucket indexes, counts), task-agreement
//! histograms to an `Array(Int64)` of 10, task states to postcard bytes,
//! project controls to JSON, enums to their wire names. Decoding never
//! panics: a value the server returns that does not fit is a
//! [`CodecError`] naming its table.

use labelpulse_core::aggregate::{
    ActivityRow, AggKey, AggRow, AgreementRow, CellKind, CellRow, HourRow, LabelRow, PairRow,
    TotalsRow,
};
use labelpulse_core::participant::{AgreementScope, Mode, Participants};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::read::CellAddress;
use labelpulse_core::sketch::Sketch;
use labelpulse_core::task::TaskState;
use labelpulse_engine::entity::{IndexKey, IndexKind, MemberState, SessionState};
use labelpulse_engine::store::{SessionKey, TaskKey};
use labelpulse_engine::Versioned;
use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

use crate::tables::{
    names, AgreementHourRow, CellKeyRow, CellsRow, IdIndexRow, LabelsRow, MemberActivityRow,
    MemberHourRow, MembersRow, PairsRow, ProjectHourRow, ProjectTotalsRow, ProjectsRow,
    SessionsRow, TasksRow, HOUR_COUNTERS,
};

/// A value that could not be encoded for, or decoded from, a table.
#[derive(Debug, Error)]
pub enum CodecError {
    /// JSON (controls, enum names, sketch layout) failed.
    #[error("table {table}: JSON: {source}")]
    Json {
        /// The table.
        table: &'static str,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// postcard (task states) failed.
    #[error("table {table}: postcard: {source}")]
    Postcard {
        /// The table.
        table: &'static str,
        /// postcard's error.
        #[source]
        source: postcard::Error,
    },
    /// Stored bytes hold a value followed by garbage.
    #[error("table {table}: {extra} trailing bytes after the value")]
    Trailing {
        /// The table.
        table: &'static str,
        /// Bytes left over.
        extra: usize,
    },
    /// An aggregate row whose kind does not match its key (an engine bug).
    #[error("aggregate row of the wrong kind for table {table}")]
    RowKind {
        /// The table of the key.
        table: &'static str,
    },
    /// A column holds a value outside its domain.
    #[error("table {table}, column {column}: {detail}")]
    Value {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong.
        detail: String,
    },
}

fn json<T>(table: &'static str, result: Result<T, serde_json::Error>) -> Result<T, CodecError> {
    result.map_err(|source| CodecError::Json { table, source })
}

/// A sketch as `(zeros, bucket indexes, bucket counts)`.
pub fn sketch_columns(sketch: &Sketch) -> (i64, Vec<i32>, Vec<i64>) {
    let (indexes, counts) = sketch.buckets().unzip();
    (sketch.zeros(), indexes, counts)
}

/// The sketch of `(zeros, bucket indexes, bucket counts)`.
pub fn sketch_from_columns(
    table: &'static str,
    column: &'static str,
    zeros: i64,
    indexes: &[i32],
    counts: &[i64],
) -> Result<Sketch, CodecError> {
    if indexes.len() != counts.len() {
        return Err(CodecError::Value {
            table,
            column,
            detail: format!(
                "{} bucket indexes but {} counts",
                indexes.len(),
                counts.len()
            ),
        });
    }
    Sketch::from_parts(zeros, indexes.iter().copied().zip(counts.iter().copied())).ok_or(
        CodecError::Value {
            table,
            column,
            detail: "repeated bucket index".into(),
        },
    )
}

/// The counters of `row` in the order of [`HOUR_COUNTERS`], the sketches'
/// zero counts included.
pub fn hour_counters(row: &HourRow, lead_time_zeros: i64, review_time_zeros: i64) -> Vec<i64> {
    vec![
        row.submitted,
        row.skipped,
        row.updated,
        row.regions,
        row.lead_time_ms,
        row.lead_time_count,
        lead_time_zeros,
        row.accepted,
        row.fixed_and_accepted,
        row.rejected,
        row.performance_sum,
        row.performance_count,
        row.reviews_accepted,
        row.reviews_fixed_and_accepted,
        row.reviews_rejected,
        row.review_time_ms,
        row.review_time_count,
        review_time_zeros,
        row.tasks_done,
        row.active_ms,
    ]
}

/// The `counters` column read back: exactly [`HOUR_COUNTERS`]`.len()` values.
fn hour_counter_array(table: &'static str, counters: &[i64]) -> Result<[i64; 20], CodecError> {
    counters.try_into().map_err(|_| CodecError::Value {
        table,
        column: "counters",
        detail: format!(
            "{} counters, expected {}",
            counters.len(),
            HOUR_COUNTERS.len()
        ),
    })
}

macro_rules! hour_codec {
    ($name:ident, $table:expr, $($key:ident: $kty:ty),*) => {
        impl $name {
            /// The row of `HourRow` `row` at the given key and version.
            pub fn encode($($key: $kty,)* version: u64, row: &HourRow) -> Result<Self, CodecError> {
                let (lead_time_zeros, lead_time_buckets, lead_time_counts) =
                    sketch_columns(&row.lead_time_sketch);
                let (review_time_zeros, review_time_buckets, review_time_counts) =
                    sketch_columns(&row.review_time_sketch);
                Ok($name {
                    $($key,)*
                    version,
                    counters: hour_counters(row, lead_time_zeros, review_time_zeros),
                    lead_time_buckets,
                    lead_time_counts,
                    review_time_buckets,
                    review_time_counts,
                })
            }

            /// The `HourRow` this row holds.
            pub fn hour_row(&self) -> Result<HourRow, CodecError> {
                let [
                    submitted,
                    skipped,
                    updated,
                    regions,
                    lead_time_ms,
                    lead_time_count,
                    lead_time_zeros,
                    accepted,
                    fixed_and_accepted,
                    rejected,
                    performance_sum,
                    performance_count,
                    reviews_accepted,
                    reviews_fixed_and_accepted,
                    reviews_rejected,
                    review_time_ms,
                    review_time_count,
                    review_time_zeros,
                    tasks_done,
                    active_ms,
                ] = hour_counter_array($table, &self.counters)?;
                Ok(HourRow {
                    submitted,
                    skipped,
                    updated,
                    regions,
                    lead_time_ms,
                    lead_time_count,
                    lead_time_sketch: sketch_from_columns(
                        $table,
                        "lead_time_buckets",
                        lead_time_zeros,
                        &self.lead_time_buckets,
                        &self.lead_time_counts,
                    )?,
                    accepted,
                    fixed_and_accepted,
                    rejected,
                    performance_sum,
                    performance_count,
                    reviews_accepted,
                    reviews_fixed_and_accepted,
                    reviews_rejected,
                    review_time_ms,
                    review_time_count,
                    review_time_sketch: sketch_from_columns(
                        $table,
                        "review_time_buckets",
                        review_time_zeros,
                        &self.review_time_buckets,
                        &self.review_time_counts,
                    )?,
                    tasks_done,
                    active_ms,
                })
            }
        }
    };
}

hour_codec!(ProjectHourRow, names::PROJECT_HOUR, project: String, hour: i64);
hour_codec!(MemberHourRow, names::MEMBER_HOUR, project: String, hour: i64, member: String);

/// Aggregate rows of a flush, split by table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateRows {
    /// `project_hour_v2`.
    pub project_hour: Vec<ProjectHourRow>,
    /// `member_hour_v2` (and through the view `member_hour_by_member_v2`).
    pub member_hour: Vec<MemberHourRow>,
    /// `project_totals`.
    pub project_totals: Vec<ProjectTotalsRow>,
    /// `member_activity`.
    pub member_activity: Vec<MemberActivityRow>,
    /// `labels`.
    pub labels: Vec<LabelsRow>,
    /// `pairs`.
    pub pairs: Vec<PairsRow>,
    /// `task_agreement_hour`.
    pub agreement_hour: Vec<AgreementHourRow>,
    /// `agreement_cells`.
    pub cells: Vec<CellsRow>,
}

/// The table an aggregate key lives in.
pub fn table_of(key: &AggKey) -> &'static str {
    match key {
        AggKey::ProjectHour { .. } => names::PROJECT_HOUR,
        AggKey::MemberHour { .. } => names::MEMBER_HOUR,
        AggKey::ProjectTotals { .. } => names::PROJECT_TOTALS,
        AggKey::MemberActivity { .. } => names::MEMBER_ACTIVITY,
        AggKey::Label { .. } => names::LABELS,
        AggKey::Pair { .. } => names::PAIRS,
        AggKey::AgreementHour { .. } => names::AGREEMENT_HOUR,
        AggKey::Cell { .. } => names::CELLS,
    }
}

impl AggregateRows {
    /// Adds one aggregate row to the vector of its table.
    pub fn push(&mut self, key: &AggKey, row: &Versioned<AggRow>) -> Result<(), CodecError> {
        let version = row.version;
        match (key, &row.value) {
            (AggKey::ProjectHour { project, hour }, AggRow::Hour(row)) => self.project_hour.push(
                ProjectHourRow::encode(project.clone(), *hour, version, row)?,
            ),
            (
                AggKey::MemberHour {
                    project,
                    member,
                    hour,
                },
                AggRow::Hour(row),
            ) => self.member_hour.push(MemberHourRow::encode(
                project.clone(),
                *hour,
                member.clone(),
                version,
                row,
            )?),
            (AggKey::ProjectTotals { project }, AggRow::Totals(row)) => {
                self.project_totals.push(totals_row(project, version, row))
            }
            (AggKey::MemberActivity { project, member }, AggRow::Activity(row)) => {
                self.member_activity.push(MemberActivityRow {
                    project: project.clone(),
                    member: member.clone(),
                    version,
                    last_active_ms: row.last_active_ms,
                })
            }
            (
                AggKey::Label {
                    project,
                    dimension,
                    label,
                },
                AggRow::Label(row),
            ) => self.labels.push(LabelsRow {
                project: project.clone(),
                dimension: dimension.clone(),
                label: label.clone(),
                version,
                annotations: row.annotations,
                predictions: row.predictions,
            }),
            (
                AggKey::Pair {
                    project,
                    dimension,
                    a,
                    b,
                },
                AggRow::Pair(row),
            ) => self.pairs.push(PairsRow {
                project: project.clone(),
                dimension: dimension.clone(),
                a: a.clone(),
                b: b.clone(),
                version,
                score_sum: row.score_sum,
                tasks: row.tasks,
            }),
            (
                AggKey::AgreementHour {
                    project,
                    dimension,
                    scope,
                    hour,
                },
                AggRow::Agreement(row),
            ) => self.agreement_hour.push(AgreementHourRow {
                project: project.clone(),
                participants: scope.participants.as_str().to_string(),
                mode: scope.mode.as_str().to_string(),
                dimension: dimension.clone(),
                hour: *hour,
                version,
                tasks: row.tasks,
                score_sum: row.score_sum,
                histogram: row.histogram.to_vec(),
                low: row.low,
            }),
            (
                AggKey::Cell {
                    project,
                    dimension,
                    kind,
                    m,
                    a,
                    b,
                    c,
                    k,
                },
                AggRow::Cell(row),
            ) => self.cells.push(CellsRow {
                project: project.clone(),
                dimension: dimension.clone(),
                kind: kind.as_str().to_string(),
                a: a.clone(),
                b: b.clone(),
                m: *m,
                c: c.clone(),
                k: k.clone(),
                version,
                count: row.count,
            }),
            (key, _) => {
                return Err(CodecError::RowKind {
                    table: table_of(key),
                })
            }
        }
        Ok(())
    }

    /// Rows over all tables.
    pub fn len(&self) -> usize {
        self.project_hour.len()
            + self.member_hour.len()
            + self.project_totals.len()
            + self.member_activity.len()
            + self.labels.len()
            + self.pairs.len()
            + self.agreement_hour.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn versioned<T>(version: u64, value: T) -> Versioned<T> {
    Versioned { version, value }
}

/// The `project_totals` row of a totals value.
pub fn totals_row(project: &str, version: u64, row: &TotalsRow) -> ProjectTotalsRow {
    let [initial, annotating, needs_review, in_review, done] = row.tasks_by_status;
    ProjectTotalsRow {
        project: project.to_string(),
        version,
        tasks_initial: initial,
        tasks_annotating: annotating,
        tasks_needs_review: needs_review,
        tasks_in_review: in_review,
        tasks_done: done,
        submitted: row.submitted,
        skipped: row.skipped,
    }
}

impl ProjectHourRow {
    /// Key and value.
    pub fn decode(&self) -> Result<(AggKey, Versioned<AggRow>), CodecError> {
        Ok((
            AggKey::ProjectHour {
                project: self.project.clone(),
                hour: self.hour,
            },
            versioned(self.version, AggRow::Hour(self.hour_row()?)),
        ))
    }
}

impl MemberHourRow {
    /// Key and value.
    pub fn decode(&self) -> Result<(AggKey, Versioned<AggRow>), CodecError> {
        Ok((
            AggKey::MemberHour {
                project: self.project.clone(),
                member: self.member.clone(),
                hour: self.hour,
            },
            versioned(self.version, AggRow::Hour(self.hour_row()?)),
        ))
    }
}

impl ProjectTotalsRow {
    /// The totals value.
    pub fn totals(&self) -> TotalsRow {
        TotalsRow {
            tasks_by_status: [
                self.tasks_initial,
                self.tasks_annotating,
                self.tasks_needs_review,
                self.tasks_in_review,
                self.tasks_done,
            ],
            submitted: self.submitted,
            skipped: self.skipped,
        }
    }

    /// Key and value.
    pub fn decode(&self) -> (AggKey, Versioned<AggRow>) {
        (
            AggKey::ProjectTotals {
                project: self.project.clone(),
            },
            versioned(self.version, AggRow::Totals(self.totals())),
        )
    }
}

impl MemberActivityRow {
    /// The activity value.
    pub fn activity(&self) -> ActivityRow {
        ActivityRow {
            last_active_ms: self.last_active_ms,
        }
    }

    /// Key and value.
    pub fn decode(&self) -> (AggKey, Versioned<AggRow>) {
        (
            AggKey::MemberActivity {
                project: self.project.clone(),
                member: self.member.clone(),
            },
            versioned(self.version, AggRow::Activity(self.activity())),
        )
    }
}

impl LabelsRow {
    /// The label value.
    pub fn label_row(&self) -> LabelRow {
        LabelRow {
            annotations: self.annotations,
            predictions: self.predictions,
        }
    }

    /// Key and value.
    pub fn decode(&self) -> (AggKey, Versioned<AggRow>) {
        (
            AggKey::Label {
                project: self.project.clone(),
                dimension: self.dimension.clone(),
                label: self.label.clone(),
            },
            versioned(self.version, AggRow::Label(self.label_row())),
        )
    }
}

impl PairsRow {
    /// The pair value.
    pub fn pair_row(&self) -> PairRow {
        PairRow {
            score_sum: self.score_sum,
            tasks: self.tasks,
        }
    }

    /// Key and value.
    pub fn decode(&self) -> (AggKey, Versioned<AggRow>) {
        (
            AggKey::Pair {
                project: self.project.clone(),
                dimension: self.dimension.clone(),
                a: self.a.clone(),
                b: self.b.clone(),
            },
            versioned(self.version, AggRow::Pair(self.pair_row())),
        )
    }
}

impl AgreementHourRow {
    /// The agreement value; the histogram must have 10 entries.
    pub fn agreement_row(&self) -> Result<AgreementRow, CodecError> {
        let histogram: [i64; 10] =
            self.histogram
                .as_slice()
                .try_into()
                .map_err(|_| CodecError::Value {
                    table: names::AGREEMENT_HOUR,
                    column: "histogram",
                    detail: format!("{} entries, expected 10", self.histogram.len()),
                })?;
        Ok(AgreementRow {
            tasks: self.tasks,
            score_sum: self.score_sum,
            histogram,
            low: self.low,
        })
    }

    /// The scope named by `participants` and `mode`.
    pub fn scope(&self) -> Result<AgreementScope, CodecError> {
        let bad = |column: &'static str, value: &str| CodecError::Value {
            table: names::AGREEMENT_HOUR,
            column,
            detail: format!("unknown value {value:?}"),
        };
        Ok(AgreementScope {
            participants: Participants::parse(&self.participants)
                .ok_or_else(|| bad("participants", &self.participants))?,
            mode: Mode::parse(&self.mode).ok_or_else(|| bad("mode", &self.mode))?,
        })
    }

    /// Key and value.
    pub fn decode(&self) -> Result<(AggKey, Versioned<AggRow>), CodecError> {
        Ok((
            AggKey::AgreementHour {
                project: self.project.clone(),
                dimension: self.dimension.clone(),
                scope: self.scope()?,
                hour: self.hour,
            },
            versioned(self.version, AggRow::Agreement(self.agreement_row()?)),
        ))
    }
}

/// A cell's kind as `agreement_cells` stores it.
fn cell_kind(kind: &str) -> Result<CellKind, CodecError> {
    CellKind::parse(kind).ok_or_else(|| CodecError::Value {
        table: names::CELLS,
        column: "kind",
        detail: format!("unknown value {kind:?}"),
    })
}

impl CellKeyRow {
    /// The cell's key.
    pub fn key(self) -> Result<AggKey, CodecError> {
        let kind = cell_kind(&self.kind)?;
        Ok(AggKey::Cell {
            project: self.project,
            dimension: self.dimension,
            kind,
            m: self.m,
            a: self.a,
            b: self.b,
            c: self.c,
            k: self.k,
        })
    }
}

impl CellsRow {
    /// The cell's kind.
    pub fn cell_kind(&self) -> Result<CellKind, CodecError> {
        cell_kind(&self.kind)
    }

    /// The cell's address within its project.
    pub fn address(&self) -> Result<CellAddress, CodecError> {
        Ok(CellAddress {
            dimension: self.dimension.clone(),
            kind: self.cell_kind()?,
            m: self.m,
            a: self.a.clone(),
            b: self.b.clone(),
            c: self.c.clone(),
            k: self.k.clone(),
        })
    }

    /// Key and value.
    pub fn decode(&self) -> Result<(AggKey, Versioned<AggRow>), CodecError> {
        Ok((
            AggKey::Cell {
                project: self.project.clone(),
                dimension: self.dimension.clone(),
                kind: self.cell_kind()?,
                m: self.m,
                a: self.a.clone(),
                b: self.b.clone(),
                c: self.c.clone(),
                k: self.k.clone(),
            },
            versioned(self.version, AggRow::Cell(CellRow { count: self.count })),
        ))
    }
}

/// The `tasks` row of a task state.
pub fn task_row(key: &TaskKey, row: &Versioned<TaskState>) -> Result<TasksRow, CodecError> {
    let state = postcard::to_allocvec(&row.value).map_err(|source| CodecError::Postcard {
        table: names::TASKS,
        source,
    })?;
    Ok(TasksRow {
        project: key.0.clone(),
        task: key.1.clone(),
        version: row.version,
        state,
    })
}

fn postcard_strict<T: DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<T, CodecError> {
    let (value, rest) = postcard::take_from_bytes(bytes)
        .map_err(|source| CodecError::Postcard { table, source })?;
    if !rest.is_empty() {
        return Err(CodecError::Trailing {
            table,
            extra: rest.len(),
        });
    }
    Ok(value)
}

impl TasksRow {
    /// Key and state.
    pub fn decode(self) -> Result<(TaskKey, Versioned<TaskState>), CodecError> {
        let state = postcard_strict(names::TASKS, &self.state)?;
        Ok(((self.project, self.task), versioned(self.version, state)))
    }
}

/// The `sessions` row of a session.
pub fn session_row(key: &SessionKey, row: &Versioned<SessionState>) -> SessionsRow {
    SessionsRow {
        project: key.0.clone(),
        member: key.1.clone(),
        version: row.version,
        latest_ms: row.value.latest_ms,
        open: u8::from(row.value.open),
    }
}

impl SessionsRow {
    /// Key and session.
    pub fn decode(self) -> Result<(SessionKey, Versioned<SessionState>), CodecError> {
        let open = match self.open {
            0 => false,
            1 => true,
            other => {
                return Err(CodecError::Value {
                    table: names::SESSIONS,
                    column: "open",
                    detail: format!("{other} is not 0 or 1"),
                })
            }
        };
        Ok((
            (self.project, self.member),
            versioned(
                self.version,
                SessionState {
                    latest_ms: self.latest_ms,
                    open,
                },
            ),
        ))
    }
}

/// The wire name of a unit enum (`"one"`, `"annotator"`).
fn enum_name<T: Serialize>(
    table: &'static str,
    column: &'static str,
    value: &T,
) -> Result<String, CodecError> {
    match json(table, serde_json::to_value(value))? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(CodecError::Value {
            table,
            column,
            detail: format!("not a unit enum: {other}"),
        }),
    }
}

fn enum_from_name<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    name: &str,
) -> Result<T, CodecError> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|error| {
        CodecError::Value {
            table,
            column,
            detail: format!("{name:?}: {error}"),
        }
    })
}

/// The `projects` row of a project's settings.
pub fn project_row(
    project: &str,
    row: &Versioned<ProjectConfig>,
) -> Result<ProjectsRow, CodecError> {
    let config = &row.value;
    Ok(ProjectsRow {
        project: project.to_string(),
        version: row.version,
        title: config.title.clone(),
        workspace_id: config.workspace_id.clone(),
        overlap: config.overlap,
        agreement_threshold: config.agreement_threshold,
        review_criteria: enum_name(names::PROJECTS, "review_criteria", &config.review_criteria)?,
        controls: json(names::PROJECTS, serde_json::to_string(&config.controls))?,
    })
}

impl ProjectsRow {
    /// Project id and settings.
    pub fn decode(self) -> Result<(String, Versioned<ProjectConfig>), CodecError> {
        let config = ProjectConfig {
            title: self.title,
            workspace_id: self.workspace_id,
            overlap: self.overlap,
            agreement_threshold: self.agreement_threshold,
            review_criteria: enum_from_name(
                names::PROJECTS,
                "review_criteria",
                &self.review_criteria,
            )?,
            controls: json(names::PROJECTS, serde_json::from_str(&self.controls))?,
        };
        Ok((self.project, versioned(self.version, config)))
    }
}

/// The `members` row of a member.
pub fn member_row(member: &str, row: &Versioned<MemberState>) -> Result<MembersRow, CodecError> {
    Ok(MembersRow {
        member: member.to_string(),
        version: row.version,
        name: row.value.name.clone(),
        email: row.value.email.clone(),
        role: enum_name(names::MEMBERS, "role", &row.value.role)?,
        occurred_ms: row.value.occurred_ms,
    })
}

impl MembersRow {
    /// Member id and state.
    pub fn decode(self) -> Result<(String, Versioned<MemberState>), CodecError> {
        let state = MemberState {
            name: self.name,
            email: self.email,
            role: enum_from_name(names::MEMBERS, "role", &self.role)?,
            occurred_ms: self.occurred_ms,
        };
        Ok((self.member, versioned(self.version, state)))
    }
}

/// The `u8` an [`IndexKind`] is stored as.
pub fn index_kind_code(kind: IndexKind) -> u8 {
    match kind {
        IndexKind::Annotation => 0,
        IndexKind::Prediction => 1,
        IndexKind::Review => 2,
    }
}

/// The `id_index` row of an index entry.
pub fn index_row(key: &IndexKey, task: &str) -> IdIndexRow {
    IdIndexRow {
        project: key.0.clone(),
        kind: index_kind_code(key.1),
        id: key.2.clone(),
        task: task.to_string(),
    }
}

impl IdIndexRow {
    /// Key and task.
    pub fn decode(self) -> Result<(IndexKey, String), CodecError> {
        let kind = match self.kind {
            0 => IndexKind::Annotation,
            1 => IndexKind::Prediction,
            2 => IndexKind::Review,
            other => {
                return Err(CodecError::Value {
                    table: names::ID_INDEX,
                    column: "kind",
                    detail: format!("unknown index kind {other}"),
                })
            }
        };
        Ok(((self.project, kind, self.id), self.task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            include_str!("../../../schemas/clickhouse/0006_hour_views.sql"),
            include_str!("../../../schemas/clickhouse/cluster/0006_hour_views.sql"),
        ] {
            for (index, name) in HOUR_COUNTERS.iter().enumerate() {
                let column = format!("counters[{}] AS {name},", index + 1);
                assert_eq!(sql.matches(&column).count(), 3, "{column}");
            }
        }
        let copy = include_str!("../../../schemas/clickhouse/0005_packed_hours.sql");
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
}
