//! The Members dashboard of one project: a row per member, totals, and the
//! pairwise agreement matrix.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::DateTime;
use labelpulse_core::aggregate::{ActivityRow, CellKind, HourRow, PairRow};
use labelpulse_core::member::MemberState;
use labelpulse_core::read::{CellAddress, ProjectRecord};
use labelpulse_core::time::Hour;
use serde::Serialize;

use labelpulse_core::participant::{ParticipantKind, Participants};

use super::agreement::{participant_matrix, ParticipantMatrix};
use super::outliers::{flags, Side};
use super::project::sum_hours;
use super::stats::{ratio, score_mean, time_stats, TimeStats};
use crate::range::QueryRange;

/// `GET /api/v1/projects/{id}/members`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MembersView {
    /// Project id.
    pub project_id: String,
    /// Range start, in the zone.
    pub from: String,
    /// Range end (exclusive).
    pub to: String,
    /// IANA zone.
    pub tz: String,
    /// One row per member with activity in the range or agreement data.
    pub members: Vec<MemberRow>,
    /// The project's totals over the range (same fields).
    pub totals: MemberTotals,
    /// Pairwise agreement between members and models over all their common
    /// tasks, with a ground-truth column.
    pub agreement_matrix: ParticipantMatrix,
}

/// One member's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRow {
    /// Member id.
    pub member_id: String,
    /// Name, when the member was upserted.
    pub name: Option<String>,
    /// Role, when the member was upserted.
    pub role: Option<&'static str>,
    /// Non-skipped annotations completed in the range.
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Last action an update.
    pub updated: i64,
    /// Their annotations whose latest review accepted them.
    pub accepted: i64,
    /// ... fixed and accepted them.
    pub fixed_and_accepted: i64,
    /// ... rejected them.
    pub rejected: i64,
    /// (accepted + fixed and accepted) / reviewed.
    pub acceptance_score: Option<f64>,
    /// Mean over every review action on their annotations (accept 1, reject 0, fix = agreement with the fix).
    pub performance_score: Option<f64>,
    /// Lead time of their submitted annotations.
    pub lead_time_seconds: TimeStats,
    /// Mean pair score with other members over common tasks (all time).
    pub agreement: Option<f64>,
    /// Mean pair score with the tasks' ground truth (all time).
    pub gt_agreement: Option<f64>,
    /// Mean pair score with the models' predictions (all time).
    pub prediction_agreement: Option<f64>,
    /// Ways the member is far from the project's cohort (see the README):
    /// `low_agreement`, `slow_lead_time`, `fast_lead_time`,
    /// `high_rejection_rate`.
    pub outlier_flags: Vec<&'static str>,
    /// Review actions they performed.
    pub reviews_performed: i64,
    /// Duration of the reviews they performed.
    pub review_time_seconds: TimeStats,
    /// Latest annotation, review or heartbeat time (all time).
    pub last_active: Option<String>,
}

/// Project totals of the members table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberTotals {
    /// Submitted.
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Updated.
    pub updated: i64,
    /// Accepted.
    pub accepted: i64,
    /// Fixed and accepted.
    pub fixed_and_accepted: i64,
    /// Rejected.
    pub rejected: i64,
    /// Acceptance score.
    pub acceptance_score: Option<f64>,
    /// Performance score.
    pub performance_score: Option<f64>,
    /// Lead time.
    pub lead_time_seconds: TimeStats,
    /// Mean task agreement of the project's pairs (all time).
    pub agreement: Option<f64>,
    /// Review actions performed.
    pub reviews_performed: i64,
    /// Review time.
    pub review_time_seconds: TimeStats,
}

/// Everything the members view is computed from.
pub struct MembersInputs<'a> {
    /// The project.
    pub project: &'a ProjectRecord,
    /// The project's hour rows in the range (for totals).
    pub project_hours: &'a [(Hour, HourRow)],
    /// Member hour rows in the range.
    pub member_hours: &'a [(String, Hour, HourRow)],
    /// Overall-dimension pair rows among `matrix_participants` and the
    /// ground truth.
    pub pairs: &'a [(String, String, PairRow)],
    /// The matrix's participants (`views::agreement::matrix_participants`).
    pub matrix_participants: &'a [String],
    /// Participants with common tasks.
    pub total_participants: usize,
    /// Overall-dimension participant totals cells (scores and tasks).
    pub totals: &'a [(CellAddress, i64)],
    /// Last activity per member.
    pub activity: &'a [(String, ActivityRow)],
    /// Known members.
    pub members: &'a HashMap<String, MemberState>,
    /// The most participants the agreement matrix shows.
    pub matrix_limit: usize,
}

/// Per member, `(score_sum, tasks)` against other members, against the
/// ground truth, and against models.
#[derive(Default)]
struct MemberPairs {
    members: (i64, i64),
    ground_truth: (i64, i64),
    models: (i64, i64),
}

fn member_agreement(totals: &[(CellAddress, i64)]) -> HashMap<&str, MemberPairs> {
    let mut sums: HashMap<&str, MemberPairs> = HashMap::new();
    for (address, count) in totals {
        if ParticipantKind::of(&address.a) != ParticipantKind::Member {
            continue;
        }
        let entry = sums.entry(address.a.as_str()).or_default();
        let slot = match ParticipantKind::parse(&address.b) {
            Some(ParticipantKind::Member) => &mut entry.members,
            Some(ParticipantKind::GroundTruth) => &mut entry.ground_truth,
            Some(ParticipantKind::Model) => &mut entry.models,
            None => continue,
        };
        match address.kind {
            CellKind::ParticipantScore => slot.0 += count,
            CellKind::ParticipantTasks => slot.1 += count,
            _ => {}
        }
    }
    sums
}

/// The outlier flags of each row (see [`super::outliers`]).
fn outlier_flags(rows: &[MemberRow]) -> Vec<Vec<&'static str>> {
    let agreement: Vec<Option<f64>> = rows.iter().map(|r| r.agreement).collect();
    let lead: Vec<Option<f64>> = rows.iter().map(|r| r.lead_time_seconds.median).collect();
    let rejection: Vec<Option<f64>> = rows
        .iter()
        .map(|r| ratio(r.rejected, r.accepted + r.fixed_and_accepted + r.rejected))
        .collect();
    let agreement = flags(&agreement, Side::Low);
    let lead = flags(&lead, Side::Both);
    let rejection = flags(&rejection, Side::High);
    (0..rows.len())
        .map(|i| {
            let mut out = Vec::new();
            if agreement[i].is_some() {
                out.push("low_agreement");
            }
            match lead[i] {
                Some(Side::High) => out.push("slow_lead_time"),
                Some(_) => out.push("fast_lead_time"),
                None => {}
            }
            if rejection[i].is_some() {
                out.push("high_rejection_rate");
            }
            out
        })
        .collect()
}

/// Computes the Members view.
pub fn members_view(inputs: &MembersInputs<'_>, range: &QueryRange) -> MembersView {
    let mut per_member: BTreeMap<&str, HourRow> = BTreeMap::new();
    for (member, hour, row) in inputs.member_hours {
        if range.hours.contains(hour) {
            per_member.entry(member.as_str()).or_default().merge(row);
        }
    }
    per_member.retain(|_, row| row.has_activity() || row.lead_time_count != 0);
    let agreement = member_agreement(inputs.totals);
    let matrix = participant_matrix(
        inputs.pairs,
        Participants::All,
        inputs.matrix_limit,
        Some((inputs.matrix_participants, inputs.total_participants)),
    );
    let mut ids: BTreeSet<&str> = per_member.keys().copied().collect();
    ids.extend(
        matrix
            .participants
            .iter()
            .map(String::as_str)
            .filter(|id| ParticipantKind::of(id) == ParticipantKind::Member),
    );
    ids.extend(agreement.keys().copied());
    let activity: HashMap<&str, i64> = inputs
        .activity
        .iter()
        .map(|(member, row)| (member.as_str(), row.last_active_ms))
        .collect();
    let empty = HourRow::default();
    let mut members: Vec<MemberRow> = ids
        .into_iter()
        .map(|id| {
            let row = per_member.get(id).unwrap_or(&empty);
            let known = inputs.members.get(id);
            let reviewed = row.accepted + row.fixed_and_accepted + row.rejected;
            MemberRow {
                member_id: id.to_string(),
                name: known.map(|m| m.name.clone()),
                role: known.map(|m| m.role.as_str()),
                submitted: row.submitted,
                skipped: row.skipped,
                updated: row.updated,
                accepted: row.accepted,
                fixed_and_accepted: row.fixed_and_accepted,
                rejected: row.rejected,
                acceptance_score: ratio(row.accepted + row.fixed_and_accepted, reviewed),
                performance_score: score_mean(row.performance_sum, row.performance_count),
                lead_time_seconds: time_stats(
                    row.lead_time_ms,
                    row.lead_time_count,
                    &row.lead_time_sketch,
                ),
                agreement: agreement
                    .get(id)
                    .and_then(|p| score_mean(p.members.0, p.members.1)),
                gt_agreement: agreement
                    .get(id)
                    .and_then(|p| score_mean(p.ground_truth.0, p.ground_truth.1)),
                prediction_agreement: agreement
                    .get(id)
                    .and_then(|p| score_mean(p.models.0, p.models.1)),
                outlier_flags: Vec::new(),
                reviews_performed: row.reviews_performed(),
                review_time_seconds: time_stats(
                    row.review_time_ms,
                    row.review_time_count,
                    &row.review_time_sketch,
                ),
                last_active: activity
                    .get(id)
                    .filter(|ms| **ms > 0)
                    .and_then(|ms| DateTime::from_timestamp_millis(*ms))
                    .map(|t| range.format(t)),
            }
        })
        .collect();
    let flags = outlier_flags(&members);
    for (row, flags) in members.iter_mut().zip(flags) {
        row.outlier_flags = flags;
    }
    let total = sum_hours(
        inputs
            .project_hours
            .iter()
            .filter(|(h, _)| range.hours.contains(h))
            .map(|(_, r)| r),
    );
    let reviewed = total.accepted + total.fixed_and_accepted + total.rejected;
    // Each annotator pair counts once for each side: the ratio is the mean.
    let (pair_sum, pair_tasks) = agreement
        .values()
        .fold((0, 0), |(s, t), p| (s + p.members.0, t + p.members.1));
    MembersView {
        project_id: inputs.project.id.clone(),
        from: range.format(range.from),
        to: range.format(range.to),
        tz: range.tz.name().to_string(),
        members,
        totals: MemberTotals {
            submitted: total.submitted,
            skipped: total.skipped,
            updated: total.updated,
            accepted: total.accepted,
            fixed_and_accepted: total.fixed_and_accepted,
            rejected: total.rejected,
            acceptance_score: ratio(total.accepted + total.fixed_and_accepted, reviewed),
            performance_score: score_mean(total.performance_sum, total.performance_count),
            lead_time_seconds: time_stats(
                total.lead_time_ms,
                total.lead_time_count,
                &total.lead_time_sketch,
            ),
            agreement: score_mean(pair_sum, pair_tasks),
            reviews_performed: total.reviews_performed(),
            review_time_seconds: time_stats(
                total.review_time_ms,
                total.review_time_count,
                &total.review_time_sketch,
            ),
        },
        agreement_matrix: matrix,
    }
}
