//! The agreement page of one project: task-agreement summary, by dimension
//! and histogram for a scope; the participant matrix with a ground-truth
//! column; confusion matrices; chance-corrected statistics.
//!
//! Everything here is read-time arithmetic over stored integer rows: task
//! agreement rows (summed over all hours), pair rows, and the sufficient
//! statistics cells (`core::reliability`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use labelpulse_core::aggregate::{confusion_scope, AgreementRow, CellKind, PairRow};
use labelpulse_core::event::Control;
use labelpulse_core::participant::{
    canonical_order, AgreementScope, ParticipantKind, Participants, GROUND_TRUTH,
};
use labelpulse_core::read::{CellAddress, ProjectRecord};
use labelpulse_core::reliability::{
    light_kappa, set_labels, Coincidences, Confusion, Level, StatCell, Undefined,
};
use labelpulse_core::time::Hour;
use serde::Serialize;

use super::detection::{detection_kinds, detection_view, is_detection, DimensionDetection};
use super::stats::score_mean;

/// `GET /api/v1/projects/{id}/agreement`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementView {
    /// Project id.
    pub project_id: String,
    /// `annotators`, `models` or `all`.
    pub participants: &'static str,
    /// `pairwise` or `consensus`.
    pub mode: &'static str,
    /// The dimension asked for, `null` for all.
    pub dimension: Option<String>,
    /// The label asked for, `null` for none.
    pub label: Option<String>,
    /// Task agreement of the dimension (or overall), all time.
    pub summary: Summary,
    /// Tasks per decile of task agreement, `[0,0.1) .. [0.9,1]`.
    pub histogram: [i64; 10],
    /// Task agreement per dimension.
    pub by_dimension: Vec<DimensionSummary>,
    /// Mean pair score of every pair of participants over common tasks.
    pub matrix: ParticipantMatrix,
    /// Confusion of a categorical dimension (the one asked for, else the
    /// first categorical one); `null` when there is none.
    pub confusion: Option<ConfusionView>,
    /// Chance-corrected statistics, one entry per categorical dimension.
    pub statistics: Vec<DimensionStatistics>,
    /// Precision, recall and F1 of the region dimensions (boxes, polygons,
    /// spans), one entry per dimension with regions.
    pub detection: Vec<DimensionDetection>,
}

/// Task agreement over tasks with two or more participants of the scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Mean task agreement.
    pub mean: Option<f64>,
    /// Tasks.
    pub tasks: i64,
    /// Tasks below the project's agreement threshold.
    pub low_agreement_tasks: i64,
}

/// One dimension's task agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionSummary {
    /// Control tag.
    pub dimension: String,
    /// Declared kind, `null` when the control is not declared.
    pub kind: Option<String>,
    /// Mean task agreement.
    pub mean: Option<f64>,
    /// Tasks.
    pub tasks: i64,
    /// Tasks below the threshold.
    pub low_agreement_tasks: i64,
}

/// The participant matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantMatrix {
    /// Participants of the scope with common tasks; the matrix shows the
    /// `matrix_limit` of them with the most.
    pub total_participants: usize,
    /// Participant ids: members, then `model:<version>`, in that order.
    pub participants: Vec<String>,
    /// `member` or `model`, per participant.
    pub kinds: Vec<ParticipantKind>,
    /// Mean pair score; `null` on the diagonal and without common tasks.
    pub score: Vec<Vec<Option<f64>>>,
    /// Common tasks.
    pub common_tasks: Vec<Vec<i64>>,
    /// Each participant against the tasks' ground truth.
    pub ground_truth: GroundTruthColumn,
}

/// The ground-truth column of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroundTruthColumn {
    /// Mean score against the ground truth, per participant.
    pub score: Vec<Option<f64>>,
    /// Tasks with a ground truth the participant also labeled.
    pub common_tasks: Vec<i64>,
}

/// Confusion matrices of one categorical dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionView {
    /// Control tag.
    pub dimension: String,
    /// Between participants of the scope: symmetric, each pair's common task
    /// counted once in cell (x, y) and once in (y, x).
    pub participants: ConfusionMatrix,
    /// Against the ground truth: directional, rows the ground truth's
    /// category, columns the participant's.
    pub ground_truth: ConfusionMatrix,
}

/// One confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    /// Categories (multi-choice sets shown as labels joined by `, `).
    pub labels: Vec<String>,
    /// Counts, `matrix[row][column]`.
    pub matrix: Vec<Vec<i64>>,
    /// The largest off-diagonal cells (unordered pairs for the symmetric
    /// matrix), with their share of the off-diagonal mass.
    pub top_pairs: Vec<ConfusionPair>,
}

/// One confused pair of categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionPair {
    /// Row category (ground truth), or the first of the pair.
    pub a: String,
    /// Column category, or the second of the pair.
    pub b: String,
    /// Count.
    pub count: i64,
    /// `count / off-diagonal total`.
    pub share: f64,
}

/// Chance-corrected statistics of one dimension (annotators only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionStatistics {
    /// Control tag.
    pub dimension: String,
    /// The label whose present/absent variable this is, `null` for the whole dimension.
    pub label: Option<String>,
    /// Tasks with at least one annotator value.
    pub tasks: i64,
    /// Tasks with two or more annotator values.
    pub pairable_tasks: i64,
    /// Fleiss' P̄: mean exact-match task agreement.
    pub percent_agreement: Option<f64>,
    /// Mean pairwise Jaccard of the label sets (multi-choice partial credit).
    pub mean_jaccard: Option<f64>,
    /// Krippendorff's alpha.
    pub krippendorff_alpha: AlphaLevels,
    /// Fleiss' kappa, generalized for a varying number of annotations.
    pub fleiss_kappa: Option<f64>,
    /// Light's kappa: mean pairwise unweighted Cohen's kappa.
    pub light_kappa: Option<f64>,
    /// Annotator pairs with common tasks (Light's kappa is over all of them).
    pub cohen_pairs: usize,
    /// Cohen's kappa of the [`COHEN_PAIRS`] annotator pairs with the most
    /// common tasks.
    pub cohen_kappa: Vec<CohenPair>,
    /// Per label (multi-choice dimensions): binary present/absent alpha.
    pub per_label: Vec<LabelAlpha>,
    /// Why a `null` value above is `null`, by field path.
    pub reasons: BTreeMap<String, &'static str>,
}

/// Alpha at three levels of measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlphaLevels {
    /// Nominal.
    pub nominal: Option<f64>,
    /// Ordinal, on the declared order.
    pub ordinal: Option<f64>,
    /// Interval, on the numeric values.
    pub interval: Option<f64>,
}

/// Cohen's kappa of one pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohenPair {
    /// First annotator.
    pub a: String,
    /// Second annotator.
    pub b: String,
    /// Common tasks where both have a value.
    pub common_tasks: i64,
    /// Unweighted.
    pub unweighted: Option<f64>,
    /// Linear weights on the declared order.
    pub linear: Option<f64>,
    /// Quadratic weights on the declared order.
    pub quadratic: Option<f64>,
}

/// Binary alpha of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelAlpha {
    /// The label.
    pub label: String,
    /// Nominal alpha of its present/absent variable.
    pub alpha: Option<f64>,
    /// Percent agreement on it.
    pub percent_agreement: Option<f64>,
}

/// What the view is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementQuery {
    /// Scope of the summary, histogram and matrix.
    pub scope: AgreementScope,
    /// One dimension, or all.
    pub dimension: Option<String>,
    /// One label of the dimension: statistics and matrix over its
    /// present/absent variable.
    pub label: Option<String>,
    /// The most participants the matrix shows (those with the most common tasks).
    pub matrix_limit: usize,
}

/// The most annotator pairs `cohen_kappa` lists.
pub const COHEN_PAIRS: usize = 100;

/// Default of `matrix_limit`.
pub const DEFAULT_MATRIX_LIMIT: usize = 100;

/// Largest accepted `matrix_limit`.
pub const MAX_MATRIX_LIMIT: usize = 2_000;

/// Everything the view is computed from.
pub struct AgreementInputs<'a> {
    /// The project.
    pub project: &'a ProjectRecord,
    /// Task-agreement rows of the scope, every dimension and hour.
    pub rows: &'a [(String, Hour, AgreementRow)],
    /// Pair rows of the dimension asked for (or overall) among
    /// `matrix_participants` and the ground truth.
    pub pairs: &'a [(String, String, PairRow)],
    /// The matrix's participants ([`matrix_participants`]).
    pub matrix_participants: &'a [String],
    /// Participants of the scope with common tasks.
    pub total_participants: usize,
    /// The statistics cells of [`cell_kinds`].
    pub cells: &'a [(CellAddress, i64)],
}

/// The cell kinds the view reads: per-pair confusion only for one
/// dimension (Cohen's and Light's kappa, the label matrix).
pub fn cell_kinds(query: &AgreementQuery) -> Vec<CellKind> {
    let mut kinds = vec![
        CellKind::Single,
        CellKind::Coincidence,
        CellKind::PairsConfusion,
        CellKind::TruthConfusion,
    ];
    kinds.extend(detection_kinds(query.dimension.is_some()));
    if query.dimension.is_some() {
        kinds.push(CellKind::Confusion);
    }
    kinds
}

/// Computes the view.
pub fn agreement_view(inputs: &AgreementInputs<'_>, query: &AgreementQuery) -> AgreementView {
    let config = &inputs.project.config;
    let mut per_dimension: BTreeMap<&str, AgreementRow> = BTreeMap::new();
    for (dimension, _, row) in inputs.rows {
        per_dimension.entry(dimension).or_default().merge(row);
    }
    let summary_row = per_dimension
        .get(query.dimension.as_deref().unwrap_or(""))
        .cloned()
        .unwrap_or_default();
    let by_dimension = per_dimension
        .iter()
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, row)| DimensionSummary {
            dimension: name.to_string(),
            kind: config.control(name).map(|c| c.kind.clone()),
            mean: score_mean(row.score_sum, row.tasks),
            tasks: row.tasks,
            low_agreement_tasks: row.low,
        })
        .collect();
    let by_cell_dimension = group_cells(inputs.cells);
    let label_filter = query
        .label
        .as_deref()
        .zip(query.dimension.as_deref())
        .and_then(|(label, dimension)| {
            by_cell_dimension
                .get(dimension)
                .map(|cells| (label, &cells.confusion))
        });
    let matrix = match label_filter {
        Some((label, confusion)) => label_matrix(
            confusion,
            label,
            query.scope.participants,
            query.matrix_limit,
        ),
        None => participant_matrix(
            inputs.pairs,
            query.scope.participants,
            query.matrix_limit,
            Some((inputs.matrix_participants, inputs.total_participants)),
        ),
    };
    let confusion_dimension = query
        .dimension
        .as_deref()
        .or_else(|| by_cell_dimension.keys().next().copied());
    let confusion = confusion_dimension.and_then(|name| {
        by_cell_dimension
            .get(name)
            .map(|cells| confusion_view(name, cells, query.scope.participants))
    });
    let statistics = by_cell_dimension
        .iter()
        .filter(|(name, _)| query.dimension.as_deref().is_none_or(|d| d == **name))
        .map(|(name, cells)| {
            dimension_statistics(
                name,
                config.control(name),
                cells,
                query.label.as_deref(),
                query.dimension.is_some(),
            )
        })
        .collect();
    AgreementView {
        project_id: inputs.project.id.clone(),
        participants: query.scope.participants.as_str(),
        mode: query.scope.mode.as_str(),
        dimension: query.dimension.clone(),
        label: query.label.clone(),
        summary: Summary {
            mean: score_mean(summary_row.score_sum, summary_row.tasks),
            tasks: summary_row.tasks,
            low_agreement_tasks: summary_row.low,
        },
        histogram: summary_row.histogram,
        by_dimension,
        matrix,
        confusion,
        statistics,
        detection: detection_view(
            inputs.project,
            inputs.cells,
            query.scope.participants,
            inputs.matrix_participants,
        ),
    }
}

/// One participant pair's confusion cells: `((a's category, b's category), count)`.
type PairCells<'a> = Vec<((Cow<'a, str>, Cow<'a, str>), i64)>;

/// Confusion cells by participant pair `(a, b)`.
type PairTables<'a> = BTreeMap<(&'a str, &'a str), PairCells<'a>>;

/// One dimension's cells, split by kind.
#[derive(Default)]
struct DimensionCells<'a> {
    /// Single and coincidence cells.
    units: Vec<(StatCell<'a>, i64)>,
    /// Confusion cells by participant pair (read only for one dimension).
    confusion: PairTables<'a>,
    /// The project's symmetric confusion, by scope (`annotators`, `all`).
    pairs_confusion: BTreeMap<&'a str, PairCells<'a>>,
    /// The project's confusion against the ground truth, by scope.
    truth_confusion: BTreeMap<&'a str, PairCells<'a>>,
}

fn group_cells(cells: &[(CellAddress, i64)]) -> BTreeMap<&str, DimensionCells<'_>> {
    let mut out: BTreeMap<&str, DimensionCells> = BTreeMap::new();
    for (address, count) in cells {
        if is_detection(address.kind) {
            // Region dimensions: the detection view reads these.
            continue;
        }
        let entry = out.entry(address.dimension.as_str()).or_default();
        let (c, k) = (
            Cow::Borrowed(address.c.as_str()),
            Cow::Borrowed(address.k.as_str()),
        );
        match address.kind {
            CellKind::Single => entry.units.push((StatCell::Single { c }, *count)),
            CellKind::Coincidence => entry
                .units
                .push((StatCell::Coincidence { m: address.m, c, k }, *count)),
            CellKind::Confusion => entry
                .confusion
                .entry((address.a.as_str(), address.b.as_str()))
                .or_default()
                .push(((c, k), *count)),
            CellKind::PairsConfusion => entry
                .pairs_confusion
                .entry(address.a.as_str())
                .or_default()
                .push(((c, k), *count)),
            CellKind::TruthConfusion => entry
                .truth_confusion
                .entry(address.a.as_str())
                .or_default()
                .push(((c, k), *count)),
            CellKind::ParticipantScore
            | CellKind::ParticipantTasks
            | CellKind::TruthDetection
            | CellKind::ParticipantDetection
            | CellKind::PairsDetection => {}
        }
    }
    out
}

/// True when the pair counts for the matrix of this scope (the ground
/// truth is its own column).
fn in_matrix(participants: Participants, a: &str, b: &str) -> bool {
    participants.includes(ParticipantKind::of(a), ParticipantKind::of(b))
}

/// True when the participant may appear as a row of this scope's matrix.
fn in_rows(participants: Participants, id: &str) -> bool {
    match ParticipantKind::of(id) {
        ParticipantKind::Member => true,
        ParticipantKind::Model => participants != Participants::Annotators,
        ParticipantKind::GroundTruth => false,
    }
}

/// A matrix from `(a, b, score_sum, tasks)` entries.
/// The `limit` participants with the most common tasks, in canonical
/// order, and how many there are.
fn top(totals: HashMap<&str, i64>, limit: usize) -> (Vec<&str>, usize) {
    let total_participants = totals.len();
    let mut ranked: Vec<(&str, i64)> = totals.into_iter().collect();
    ranked.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| canonical_order(x.0, y.0)));
    ranked.truncate(limit);
    let mut ids: Vec<&str> = ranked.into_iter().map(|(id, _)| id).collect();
    ids.sort_by(|a, b| canonical_order(a, b));
    (ids, total_participants)
}

/// The matrix participants from the participant totals cells of one
/// dimension: the `limit` of the scope with the most common tasks (pairs
/// the scope counts, and the ground truth), in canonical order, and how
/// many there are. The route reads the pairs among them.
pub fn matrix_participants(
    cells: &[(CellAddress, i64)],
    participants: Participants,
    limit: usize,
) -> (Vec<String>, usize) {
    let mut totals: HashMap<&str, i64> = HashMap::new();
    for (address, count) in cells {
        if address.kind != CellKind::ParticipantTasks || !in_rows(participants, &address.a) {
            continue;
        }
        let mine = ParticipantKind::of(&address.a);
        let counted = match ParticipantKind::parse(&address.b) {
            Some(ParticipantKind::GroundTruth) => true,
            Some(other) => participants.includes(mine, other),
            None => false,
        };
        let entry = totals.entry(address.a.as_str()).or_default();
        if counted {
            *entry += count;
        }
    }
    totals.retain(|_, tasks| *tasks > 0);
    let (ids, total) = top(totals, limit);
    (ids.into_iter().map(str::to_string).collect(), total)
}

fn matrix_of<'a>(
    entries: impl Iterator<Item = (&'a str, &'a str, i64, i64)> + Clone,
    participants: Participants,
    limit: usize,
    chosen: Option<(&[String], usize)>,
    score: impl Fn(i64, i64) -> Option<f64>,
) -> ParticipantMatrix {
    let (ids, total_participants) = match chosen {
        Some((ids, total)) => (ids.iter().map(String::as_str).collect(), total),
        None => {
            // Rank from the entries themselves: every participant of the
            // scope with its common tasks (matrix pairs and the ground truth).
            let mut totals: HashMap<&str, i64> = HashMap::new();
            for (a, b, _, tasks) in entries.clone().filter(|(_, _, _, tasks)| *tasks > 0) {
                let counted = b == GROUND_TRUTH || in_matrix(participants, a, b);
                for id in [a, b] {
                    if in_rows(participants, id) {
                        *totals.entry(id).or_default() += if counted { tasks } else { 0 };
                    }
                }
            }
            top(totals, limit)
        }
    };
    let position: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let n = ids.len();
    let mut scores = vec![vec![None; n]; n];
    let mut common = vec![vec![0; n]; n];
    let mut truth_score = vec![None; n];
    let mut truth_common = vec![0; n];
    for (a, b, sum, tasks) in entries {
        if tasks <= 0 {
            continue;
        }
        if b == GROUND_TRUTH {
            if let Some(&i) = position.get(a) {
                truth_score[i] = score(sum, tasks);
                truth_common[i] = tasks;
            }
            continue;
        }
        if !in_matrix(participants, a, b) {
            continue;
        }
        let (Some(&i), Some(&j)) = (position.get(a), position.get(b)) else {
            continue;
        };
        let mean = score(sum, tasks);
        scores[i][j] = mean;
        scores[j][i] = mean;
        common[i][j] = tasks;
        common[j][i] = tasks;
    }
    ParticipantMatrix {
        total_participants,
        participants: ids.iter().map(|s| s.to_string()).collect(),
        kinds: ids.iter().map(|id| ParticipantKind::of(id)).collect(),
        score: scores,
        common_tasks: common,
        ground_truth: GroundTruthColumn {
            score: truth_score,
            common_tasks: truth_common,
        },
    }
}

/// The matrix of mean pair scores.
pub fn participant_matrix(
    pairs: &[(String, String, PairRow)],
    participants: Participants,
    limit: usize,
    chosen: Option<(&[String], usize)>,
) -> ParticipantMatrix {
    matrix_of(
        pairs
            .iter()
            .map(|(a, b, row)| (a.as_str(), b.as_str(), row.score_sum, row.tasks)),
        participants,
        limit,
        chosen,
        score_mean,
    )
}

/// The matrix of one label: the share of common tasks on which the pair
/// agrees whether the label is present.
fn label_matrix(
    confusion: &PairTables<'_>,
    label: &str,
    participants: Participants,
    limit: usize,
) -> ParticipantMatrix {
    let has = |category: &str| set_labels(category).any(|l| l == label);
    let entries: Vec<(&str, &str, i64, i64)> = confusion
        .iter()
        .map(|((a, b), cells)| {
            let (agree, tasks) = cells.iter().fold((0, 0), |(agree, tasks), ((c, k), n)| {
                let same = has(c) == has(k);
                (agree + if same { *n } else { 0 }, tasks + n)
            });
            (*a, *b, agree, tasks)
        })
        .collect();
    matrix_of(
        entries.into_iter(),
        participants,
        limit,
        None,
        |agree, tasks| (tasks > 0).then(|| agree as f64 / tasks as f64),
    )
}

/// How a category is shown: the labels of a set joined by `, `.
fn display(category: &str) -> String {
    set_labels(category).collect::<Vec<_>>().join(", ")
}

fn confusion_view(
    dimension: &str,
    cells: &DimensionCells<'_>,
    participants: Participants,
) -> ConfusionView {
    // Sums one scope's project-level cells into `into`; symmetric cells
    // (stored once per pair, categories in order) count in both orders.
    fn add(
        into: &mut BTreeMap<(String, String), i64>,
        cells: Option<&PairCells<'_>>,
        symmetric: bool,
    ) {
        for ((c, k), n) in cells.into_iter().flatten() {
            *into.entry((display(c), display(k))).or_default() += n;
            if symmetric {
                *into.entry((display(k), display(c))).or_default() += n;
            }
        }
    }
    let (annotators, models) = (confusion_scope::ANNOTATORS, confusion_scope::MODELS);
    let pair_scopes = confusion_scope::of(participants);
    let truth_scopes: &[&str] = match participants {
        Participants::Annotators => &[annotators],
        Participants::Models | Participants::All => &[annotators, models],
    };
    let mut symmetric = BTreeMap::new();
    let mut truth = BTreeMap::new();
    for scope in pair_scopes {
        add(&mut symmetric, cells.pairs_confusion.get(scope), true);
    }
    for scope in truth_scopes {
        add(&mut truth, cells.truth_confusion.get(scope), false);
    }
    symmetric.retain(|_, n| *n != 0);
    truth.retain(|_, n| *n != 0);
    ConfusionView {
        dimension: dimension.to_string(),
        participants: confusion_matrix(&symmetric, true),
        ground_truth: confusion_matrix(&truth, false),
    }
}

/// The most confused pairs a matrix reports.
const TOP_PAIRS: usize = 10;

fn confusion_matrix(cells: &BTreeMap<(String, String), i64>, symmetric: bool) -> ConfusionMatrix {
    let labels: Vec<String> = cells
        .keys()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let n = labels.len();
    let mut matrix = vec![vec![0; n]; n];
    for ((a, b), count) in cells {
        if let (Some(&i), Some(&j)) = (index.get(a.as_str()), index.get(b.as_str())) {
            matrix[i][j] += count;
        }
    }
    let mut off: Vec<(String, String, i64)> = Vec::new();
    for i in 0..n {
        for j in 0..n {
            if i == j || (symmetric && j < i) || matrix[i][j] == 0 {
                continue;
            }
            off.push((labels[i].clone(), labels[j].clone(), matrix[i][j]));
        }
    }
    let total: i64 = off.iter().map(|(_, _, n)| n).sum();
    off.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| (&x.0, &x.1).cmp(&(&y.0, &y.1))));
    let top_pairs = off
        .into_iter()
        .take(TOP_PAIRS)
        .map(|(a, b, count)| ConfusionPair {
            a,
            b,
            count,
            share: count as f64 / total as f64,
        })
        .collect();
    ConfusionMatrix {
        labels,
        matrix,
        top_pairs,
    }
}

/// The declared order of a dimension's categories, for ordinal alpha and
/// weighted kappa: the control's labels; for `rating`, the integer steps of
/// its scale; for `number`, the values seen, ascending.
fn declared_order(control: Option<&Control>, seen: &[&str]) -> Option<Vec<String>> {
    let control = control?;
    match control.kind.as_str() {
        "rating" => {
            let (min, max) = (control.min.unwrap_or(1.0), control.max.unwrap_or(5.0));
            if min.fract() == 0.0 && max.fract() == 0.0 && max > min && max - min <= 1000.0 {
                Some(
                    (min as i64..=max as i64)
                        .map(|v| (v as f64).to_string())
                        .collect(),
                )
            } else {
                numeric_order(seen)
            }
        }
        "number" => numeric_order(seen),
        _ if control.labels.is_empty() => None,
        _ => Some(control.labels.clone()),
    }
}

fn numeric_order(seen: &[&str]) -> Option<Vec<String>> {
    let mut values: Vec<(f64, &str)> = seen
        .iter()
        .map(|s| s.parse::<f64>().ok().map(|v| (v, *s)))
        .collect::<Option<_>>()?;
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(values.into_iter().map(|(_, s)| s.to_string()).collect())
}

/// Records `value`'s reason under `field` and returns the value.
fn record(
    reasons: &mut BTreeMap<String, &'static str>,
    field: &str,
    value: Result<f64, Undefined>,
) -> Option<f64> {
    match value {
        Ok(v) if v.is_finite() => Some(v),
        Ok(_) => {
            reasons.insert(field.to_string(), Undefined::NoVariation.as_str());
            None
        }
        Err(reason) => {
            reasons.insert(field.to_string(), reason.as_str());
            None
        }
    }
}

/// The reason of the per-pair statistics (Cohen's and Light's kappa) in an
/// answer for every dimension: they are computed for one `dimension=`.
pub const DIMENSION_REQUIRED: &str = "dimension_required";

fn dimension_statistics(
    dimension: &str,
    control: Option<&Control>,
    cells: &DimensionCells<'_>,
    label: Option<&str>,
    per_pair: bool,
) -> DimensionStatistics {
    let whole = Coincidences::from_cells(cells.units.iter().cloned());
    let present = |category: &str| label.is_some_and(|l| set_labels(category).any(|x| x == l));
    let stats = match label {
        Some(_) => whole.binary(present),
        None => whole.clone(),
    };
    let seen = stats.categories();
    let order = match label {
        Some(_) => Some(vec![
            labelpulse_core::reliability::ABSENT.to_string(),
            labelpulse_core::reliability::PRESENT.to_string(),
        ]),
        None => declared_order(control, &seen),
    };
    let multiple = whole
        .categories()
        .iter()
        .any(|c| set_labels(c).nth(1).is_some())
        || control.is_some_and(|c| c.multiple);
    let mut reasons = BTreeMap::new();
    let percent_agreement = record(&mut reasons, "percent_agreement", stats.percent_agreement());
    let mean_jaccard = if multiple && label.is_none() {
        record(&mut reasons, "mean_jaccard", stats.mean_jaccard())
    } else {
        None
    };
    let nominal = record(
        &mut reasons,
        "krippendorff_alpha.nominal",
        stats.alpha(&Level::Nominal),
    );
    let ordinal = match &order {
        Some(order) => record(
            &mut reasons,
            "krippendorff_alpha.ordinal",
            stats.alpha(&Level::Ordinal(order)),
        ),
        None => record(
            &mut reasons,
            "krippendorff_alpha.ordinal",
            Err(Undefined::NoOrder),
        ),
    };
    let interval = record(
        &mut reasons,
        "krippendorff_alpha.interval",
        stats.alpha(&Level::Interval),
    );
    let fleiss_kappa = record(&mut reasons, "fleiss_kappa", stats.fleiss_kappa());
    let mut tables: Vec<(&str, &str, Confusion)> = Vec::new();
    for ((a, b), pair_cells) in &cells.confusion {
        if ParticipantKind::of(a) != ParticipantKind::Member
            || ParticipantKind::of(b) != ParticipantKind::Member
        {
            continue;
        }
        let mapped = pair_cells.iter().map(|((c, k), n)| {
            let cell = match label {
                Some(_) => (binary_name(present(c)), binary_name(present(k))),
                None => (c.clone(), k.clone()),
            };
            (cell, *n)
        });
        let table = Confusion::from_cells(mapped);
        if table.tasks() > 0 {
            tables.push((a, b, table));
        }
    }
    let light = if per_pair {
        record(
            &mut reasons,
            "light_kappa",
            light_kappa(tables.iter().map(|(_, _, t)| t)),
        )
    } else {
        reasons.insert("light_kappa".to_string(), DIMENSION_REQUIRED);
        None
    };
    let cohen_pairs = tables.len();
    // The pairs with the most common tasks (ties in pair order).
    let mut shown: Vec<&(&str, &str, Confusion)> = tables.iter().collect();
    shown.sort_by_key(|x| std::cmp::Reverse(x.2.tasks()));
    shown.truncate(COHEN_PAIRS);
    shown.sort_by(|x, y| canonical_order(x.0, y.0).then_with(|| canonical_order(x.1, y.1)));
    let cohen_kappa = shown
        .into_iter()
        .map(|(a, b, table)| {
            let kappa = table.cohen(order.as_deref());
            CohenPair {
                a: a.to_string(),
                b: b.to_string(),
                common_tasks: table.tasks(),
                unweighted: kappa.unweighted.ok().filter(|v| v.is_finite()),
                linear: kappa.linear.ok().filter(|v| v.is_finite()),
                quadratic: kappa.quadratic.ok().filter(|v| v.is_finite()),
            }
        })
        .collect();
    let per_label = if multiple && label.is_none() {
        let labels: BTreeSet<&str> = whole
            .categories()
            .into_iter()
            .flat_map(set_labels)
            .collect();
        labels
            .into_iter()
            .map(|l| {
                let binary = whole.binary(|c| set_labels(c).any(|x| x == l));
                LabelAlpha {
                    label: l.to_string(),
                    alpha: binary.alpha(&Level::Nominal).ok().filter(|v| v.is_finite()),
                    percent_agreement: binary.percent_agreement().ok(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    DimensionStatistics {
        dimension: dimension.to_string(),
        label: label.map(str::to_string),
        tasks: stats.units(),
        pairable_tasks: stats.pairable_units(),
        percent_agreement,
        mean_jaccard,
        krippendorff_alpha: AlphaLevels {
            nominal,
            ordinal,
            interval,
        },
        fleiss_kappa,
        light_kappa: light,
        cohen_pairs,
        cohen_kappa,
        per_label,
        reasons,
    }
}

fn binary_name(present: bool) -> Cow<'static, str> {
    Cow::Borrowed(if present {
        labelpulse_core::reliability::PRESENT
    } else {
        labelpulse_core::reliability::ABSENT
    })
}
