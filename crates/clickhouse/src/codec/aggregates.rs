//! The aggregate tables' rows: a flush's rows split by table, and each
//! row back to its key and value.

use labelpulse_core::aggregate::{
    ActivityRow, AggKey, AggRow, AgreementRow, CellKind, CellRow, LabelRow, PairRow, TotalsRow,
};
use labelpulse_core::participant::{AgreementScope, Mode, Participants};
use labelpulse_core::read::CellAddress;
use labelpulse_engine::Versioned;

use crate::tables::{
    names, AgreementHourRow, CellKeyRow, CellsRow, LabelsRow, MemberActivityRow, MemberHourRow,
    PairsRow, ProjectHourRow, ProjectTotalsRow,
};

use super::{versioned, CodecError};

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
            + self.cells.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
