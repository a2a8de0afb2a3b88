//! What a task contributes to agreement: one pair row per pair of
//! participants and dimension, one task agreement per dimension and scope,
//! and the cells of the exact sufficient statistics of its categorical
//! dimensions.

use std::borrow::Cow;
use std::sync::Arc;

use super::detection::TaskDetection;
use super::{Contribution, OVERALL};
use crate::aggregate::CellKind;
use crate::agreement::{
    dimension_used, evaluate_pair_prepared, fingerprint, scored_dimensions, DetectionCounts, Owner,
    PairEvaluation, PairMemo, ScoredDimension,
};
use crate::dims::{DimValue, Dims};
use crate::participant::{
    canonical_order, model_participant, AgreementScope, Mode, ParticipantKind, Participants,
    GROUND_TRUTH,
};
use crate::project::ProjectConfig;
use crate::reliability::{set_category, unit_cells, StatCell};
use crate::score::{mean_fixed, to_fixed};
use crate::task::{AnnotationState, PredictionState, TaskState};
use crate::time::{hour_of_ms, Hour};

/// The annotator participants of a task: one non-skipped annotation per
/// member (the newest), sorted by member id.
pub fn participants(task: &TaskState) -> Vec<&AnnotationState> {
    participant_arcs(task).into_iter().map(|a| &**a).collect()
}

fn participant_arcs(task: &TaskState) -> Vec<&Arc<AnnotationState>> {
    let mut chosen: Vec<&Arc<AnnotationState>> = Vec::with_capacity(task.annotations.len());
    for annotation in task.annotations.iter().filter(|a| !a.skipped) {
        match chosen
            .iter()
            .position(|c| c.member_id == annotation.member_id)
        {
            Some(index) if annotation.completed_ms > chosen[index].completed_ms => {
                chosen[index] = annotation
            }
            Some(_) => {}
            None => chosen.push(annotation),
        }
    }
    chosen.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    chosen
}

/// The task's ground truth: its newest non-skipped annotation marked as
/// ground truth (ties by annotation id).
fn ground_truth(task: &TaskState) -> Option<&Arc<AnnotationState>> {
    task.annotations
        .iter()
        .filter(|a| a.ground_truth && !a.skipped)
        .max_by(|a, b| (a.completed_ms, &a.id).cmp(&(b.completed_ms, &b.id)))
}

/// One participant of a task's agreement.
#[derive(Debug, Clone)]
pub struct Participant<'a> {
    /// Participant id: member id, `model:<version>` or `ground_truth`.
    pub id: Cow<'a, str>,
    /// What the id names.
    pub kind: ParticipantKind,
    /// The annotation it stands for (members and the ground truth).
    pub annotation_id: Option<&'a str>,
    /// Its normalized result.
    pub dims: &'a Dims,
    /// The shared result `dims` belongs to (its identity keys the memo).
    pub owner: Owner<'a>,
}

impl Participant<'_> {
    /// True when both are the same participant standing for the very same
    /// shared result.
    fn same_as(&self, other: &Participant<'_>) -> bool {
        self.owner.address() == other.owner.address()
            && self.kind == other.kind
            && self.id == other.id
            && self.annotation_id == other.annotation_id
    }
}

/// Every participant of a task in canonical order: the annotators, one
/// model participant per model version (its prediction with the greatest
/// id), and the ground truth.
pub fn agreement_participants(task: &TaskState) -> Vec<Participant<'_>> {
    let mut all: Vec<Participant> = participant_arcs(task)
        .into_iter()
        .map(|a| Participant {
            id: Cow::Borrowed(a.member_id.as_str()),
            kind: ParticipantKind::Member,
            annotation_id: Some(a.id.as_str()),
            dims: &a.dims,
            owner: Owner::Annotation(a),
        })
        .collect();
    // Predictions are sorted by id: the last one of a version wins.
    let mut models: Vec<(&str, &Arc<PredictionState>)> = Vec::new();
    for prediction in &task.predictions {
        let version = prediction.model_version.as_str();
        match models.iter_mut().find(|(v, _)| *v == version) {
            Some(entry) => entry.1 = prediction,
            None => models.push((version, prediction)),
        }
    }
    all.extend(models.into_iter().map(|(version, prediction)| Participant {
        id: Cow::Owned(model_participant(version)),
        kind: ParticipantKind::Model,
        annotation_id: None,
        dims: &prediction.dims,
        owner: Owner::Prediction(prediction),
    }));
    if let Some(truth) = ground_truth(task) {
        all.push(Participant {
            id: Cow::Borrowed(GROUND_TRUTH),
            kind: ParticipantKind::GroundTruth,
            annotation_id: Some(truth.id.as_str()),
            dims: &truth.dims,
            owner: Owner::Annotation(truth),
        });
    }
    all.sort_by(|a, b| canonical_order(&a.id, &b.id));
    all
}

/// The scored pairs of a task: every pair of participants, except the
/// ground truth with the very annotation it is.
fn pairs(people: &[Participant<'_>]) -> Vec<(usize, usize)> {
    let n = people.len();
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..people.len() {
        for j in i + 1..people.len() {
            let same_annotation = people[i].annotation_id.is_some()
                && people[i].annotation_id == people[j].annotation_id;
            if !same_annotation {
                out.push((i, j));
            }
        }
    }
    out
}

/// The scores of a task's pairs, in one table: overall, and per used
/// dimension (`None` for unused dimensions), whether the pair agrees
/// (threshold variant) per dimension, and its detection counts per
/// dimension.
struct PairScores {
    dimensions: usize,
    overall: Vec<i64>,
    by_dimension: Vec<Option<i64>>,
    agrees: Vec<bool>,
    detection: Vec<Option<DetectionCounts>>,
}

impl PairScores {
    fn with_capacity(pairs: usize, dimensions: usize) -> Self {
        PairScores {
            dimensions,
            overall: Vec::with_capacity(pairs),
            by_dimension: Vec::with_capacity(pairs * dimensions),
            agrees: Vec::with_capacity(pairs * dimensions),
            detection: Vec::with_capacity(pairs * dimensions),
        }
    }

    /// Appends the next pair's scores.
    fn push(&mut self, evaluation: &PairEvaluation, used: &[bool]) {
        self.overall.push(evaluation.overall.unwrap_or(0));
        let scores = evaluation.scores.iter().zip(used);
        self.by_dimension
            .extend(scores.map(|(score, used)| used.then(|| to_fixed(*score))));
        let agrees = evaluation.agrees.iter().zip(used);
        self.agrees
            .extend(agrees.map(|(agrees, used)| *used && *agrees));
        // One entry per dimension, whatever the evaluation holds.
        let detection = evaluation
            .detection
            .iter()
            .copied()
            .chain(std::iter::repeat(None));
        self.detection.extend(detection.take(self.dimensions));
    }

    fn overall(&self, pair: usize) -> i64 {
        self.overall[pair]
    }

    fn by_dimension(&self, pair: usize) -> &[Option<i64>] {
        &self.by_dimension[pair * self.dimensions..(pair + 1) * self.dimensions]
    }

    fn agrees(&self, pair: usize, dimension: usize) -> bool {
        self.agrees[pair * self.dimensions + dimension]
    }

    fn detection(&self, pair: usize) -> &[Option<DetectionCounts>] {
        &self.detection[pair * self.dimensions..(pair + 1) * self.dimensions]
    }
}

/// The sections of a task's agreement contributions, in the order they are
/// appended (see [`TaskAgreement::contribute`]).
pub(super) const SECTIONS: usize = 4;

/// A task's agreement, computed: its participants, scored dimensions and
/// pairs with their evaluations, ready to become contributions.
pub(super) struct TaskAgreement<'a> {
    people: Vec<Participant<'a>>,
    dimensions: Vec<ScoredDimension<'a>>,
    used: Vec<bool>,
    pairs: Vec<(usize, usize)>,
    scores: PairScores,
    hour: Hour,
}

impl<'a> TaskAgreement<'a> {
    /// The agreement of an existing task; `None` when it has no participant
    /// or no scored dimension (it contributes nothing).
    pub(super) fn of(
        task: &'a TaskState,
        config: &'a ProjectConfig,
        memo: &mut PairMemo,
    ) -> Option<Self> {
        let people = agreement_participants(task);
        if people.is_empty() {
            return None;
        }
        let dimensions = scored_dimensions(config, people.iter().map(|p| p.dims));
        if dimensions.is_empty() {
            return None;
        }
        let used: Vec<bool> = dimensions
            .iter()
            .map(|d| people.iter().any(|p| dimension_used(d, p.dims, p.dims)))
            .collect();
        let pairs = pairs(&people);
        let mut scores = PairScores::with_capacity(pairs.len(), dimensions.len());
        if !pairs.is_empty() {
            let print = fingerprint(&dimensions);
            for &(i, j) in &pairs {
                let (a, b) = (&people[i], &people[j]);
                let evaluation = memo.get_or_evaluate((a.owner, b.owner), print, |prepared| {
                    evaluate_pair_prepared(&dimensions, a.dims, b.dims, &mut |x, y| {
                        prepared.both(x, y)
                    })
                });
                scores.push(evaluation, &used);
            }
        }
        let hour = hour_of_ms(
            people
                .iter()
                .filter(|p| p.kind == ParticipantKind::Member)
                .filter_map(|p| task_annotation_ms(task, p.annotation_id))
                .max()
                .unwrap_or_default(),
        );
        Some(TaskAgreement {
            people,
            dimensions,
            used,
            pairs,
            scores,
            hour,
        })
    }

    /// Per pair index: true when the pairs of `self` and `other` at that
    /// index have the same per-pair contributions (pair rows, confusion and
    /// ground-truth detection cells). That is when both score the very same
    /// dimensions with the same ones used, and the pair is the same two
    /// participants standing for the very same shared results (so the same
    /// memoized evaluation).
    pub(super) fn shared_pairs(&self, other: &TaskAgreement<'_>) -> Vec<bool> {
        if self.dimensions != other.dimensions || self.used != other.used {
            return Vec::new();
        }
        let same: Vec<bool> = self
            .people
            .iter()
            .enumerate()
            .map(|(index, p)| other.people.get(index).is_some_and(|q| p.same_as(q)))
            .collect();
        self.pairs
            .iter()
            .enumerate()
            .map(|(index, &(i, j))| other.pairs.get(index) == Some(&(i, j)) && same[i] && same[j])
            .collect()
    }

    /// Per dimension: true when every per-dimension contribution of it
    /// (statistics cells, pair rows, task agreements) is the same on both
    /// sides, so both may leave them out. That is when both score the very
    /// same dimensions with the same ones used, the same pairs of the same
    /// participants (by id and kind) in the same hour, and every
    /// participant's value of the dimension is the same on both sides
    /// ([`same_value`]): a pair's score, agreement and categories in a
    /// dimension depend on the two values alone. Empty when none is.
    pub(super) fn same_dimensions(&self, other: &TaskAgreement<'_>) -> Vec<bool> {
        let alike = self.dimensions == other.dimensions
            && self.used == other.used
            && self.pairs == other.pairs
            && self.hour == other.hour
            && self.people.len() == other.people.len()
            && self
                .people
                .iter()
                .zip(&other.people)
                .all(|(p, q)| p.kind == q.kind && p.id == q.id);
        if !alike {
            return Vec::new();
        }
        self.dimensions
            .iter()
            .map(|d| {
                self.people.iter().zip(&other.people).all(|(p, q)| {
                    std::ptr::eq(p.dims, q.dims)
                        || same_value(p.dims.get(d.name), q.dims.get(d.name))
                })
            })
            .collect()
    }

    /// Appends the task's agreement contributions to `out`, leaving out the
    /// per-pair contributions of the pairs `skip` names (everything summed
    /// over pairs is always appended). Returns where each of the
    /// [`SECTIONS`] starts in `out`, and its end.
    pub(super) fn contribute(
        &self,
        config: &ProjectConfig,
        skip: impl Fn(usize) -> bool,
        out: &mut Vec<Contribution<'a>>,
    ) -> [usize; SECTIONS + 1] {
        self.contribute_against(config, skip, &[], out)
    }

    /// [`Self::contribute`], leaving out too the per-dimension
    /// contributions of the dimensions `same` marks (see
    /// [`Self::same_dimensions`]; detection cells are always appended).
    /// Participants' totals are not contributions of their own: every pair
    /// contribution also lands on the totals of both participants
    /// ([`crate::aggregate::participant_total`]).
    pub(super) fn contribute_against(
        &self,
        config: &ProjectConfig,
        skip: impl Fn(usize) -> bool,
        same: &[bool],
        out: &mut Vec<Contribution<'a>>,
    ) -> [usize; SECTIONS + 1] {
        let (people, dimensions, pairs, scores) =
            (&self.people, &self.dimensions, &self.pairs, &self.scores);
        let mut cuts = [out.len(); SECTIONS + 1];
        // Statistics cells also come from tasks with a single value (Fleiss' pi).
        let same = |index: usize| same.get(index).copied().unwrap_or(false);
        for (index, dimension) in dimensions.iter().enumerate() {
            if self.used[index] && !same(index) {
                statistics_cells(dimension, people, pairs, &skip, out);
            }
        }
        cuts[1..].fill(out.len());
        if pairs.is_empty() {
            return cuts;
        }
        let mut detection = TaskDetection::default();
        for (pair, &(i, j)) in pairs.iter().enumerate() {
            let truth = (!skip(pair)).then_some(&mut *out);
            detection.add_pair(
                dimensions,
                &people[i],
                &people[j],
                scores.detection(pair),
                truth,
            );
        }
        detection.finish(out);
        cuts[2..].fill(out.len());
        for (pair, &(i, j)) in pairs.iter().enumerate() {
            if skip(pair) {
                continue;
            }
            push_pair(out, OVERALL, &people[i], &people[j], scores.overall(pair));
            let by_dimension = scores.by_dimension(pair);
            for (index, (dimension, fixed)) in dimensions.iter().zip(by_dimension).enumerate() {
                if let (Some(fixed), false) = (fixed, same(index)) {
                    push_pair(out, dimension.name, &people[i], &people[j], *fixed);
                }
            }
        }
        cuts[3..].fill(out.len());
        self.task_agreements(config, &same, out);
        cuts[4] = out.len();
        cuts
    }

    /// One task agreement per scope with pairs, mode and dimension (but
    /// the dimensions `same` names by index).
    fn task_agreements(
        &self,
        config: &ProjectConfig,
        same: &impl Fn(usize) -> bool,
        out: &mut Vec<Contribution<'a>>,
    ) {
        let (people, dimensions, pairs, scores) =
            (&self.people, &self.dimensions, &self.pairs, &self.scores);
        let threshold = to_fixed(config.agreement_threshold);
        let mut selected: Vec<usize> = Vec::with_capacity(pairs.len());
        // The last scope's pairs and task scores per mode: a scope with the
        // very same pairs (e.g. `all` on a task without models) has the
        // same scores.
        let mut last: Option<(Vec<usize>, [TaskScores<'_, 'a>; 2])> = None;
        for participants in Participants::ALL {
            selected.clear();
            selected.extend(
                pairs
                    .iter()
                    .enumerate()
                    .filter(|(_, (i, j))| participants.includes(people[*i].kind, people[*j].kind))
                    .map(|(index, _)| index),
            );
            if selected.is_empty() {
                continue;
            }
            let task_scores = match last.take() {
                Some((previous, task_scores)) if previous == selected => (previous, task_scores),
                _ => (
                    selected.clone(),
                    [
                        pairwise(dimensions, scores, &selected),
                        consensus(dimensions, &self.used, pairs, scores, &selected),
                    ],
                ),
            };
            for (mode, task_scores) in Mode::ALL.into_iter().zip(&task_scores.1) {
                let scope = AgreementScope { participants, mode };
                for &(dimension, score) in task_scores {
                    let index =
                        dimension.and_then(|d| dimensions.iter().position(|e| std::ptr::eq(e, d)));
                    if index.is_some_and(same) {
                        continue;
                    }
                    out.push(Contribution::TaskAgreement {
                        dimension: Cow::Borrowed(dimension.map_or(OVERALL, |d| d.name)),
                        scope,
                        hour: self.hour,
                        score,
                        low: score < threshold,
                    });
                }
            }
            last = Some(task_scores);
        }
    }
}

/// Appends a task's agreement contributions to `out`.
pub(super) fn agreement_contributions<'a>(
    task: &'a TaskState,
    config: &'a ProjectConfig,
    memo: &mut PairMemo,
    out: &mut Vec<Contribution<'a>>,
) {
    if let Some(agreement) = TaskAgreement::of(task, config, memo) {
        agreement.contribute(config, |_| false, out);
    }
}

/// True when two values of a dimension are the same for scoring: the very
/// same value, or neither has regions (whose shapes are compared only by
/// identity) and every other field is equal, numbers bit for bit (so
/// `-0.0` and `0.0`, or two NaNs, are not taken for the same).
fn same_value(a: Option<&DimValue>, b: Option<&DimValue>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            std::ptr::eq(x, y)
                || (x.regions.is_empty()
                    && y.regions.is_empty()
                    && x.number.map(f64::to_bits) == y.number.map(f64::to_bits)
                    && x.name == y.name
                    && x.kind == y.kind
                    && x.labels == y.labels
                    && x.occurrences == y.occurrences
                    && x.texts == y.texts
                    && x.paths == y.paths)
        }
        _ => false,
    }
}

/// Completion time of one of the task's annotations.
fn task_annotation_ms(task: &TaskState, annotation_id: Option<&str>) -> Option<i64> {
    let id = annotation_id?;
    task.annotations
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.completed_ms)
}

fn push_pair<'a>(
    out: &mut Vec<Contribution<'a>>,
    dimension: &'a str,
    a: &Participant<'a>,
    b: &Participant<'a>,
    score: i64,
) {
    out.push(Contribution::Pair {
        dimension: Cow::Borrowed(dimension),
        a: a.id.clone(),
        b: b.id.clone(),
        score,
    });
}

/// A scope's task agreement in one mode: `(None, overall)` and one entry
/// per dimension that has one.
type TaskScores<'d, 'a> = Vec<(Option<&'d ScoredDimension<'a>>, i64)>;

/// Pairwise task agreement over the selected pairs: `(None, overall)` and
/// one entry per used dimension.
fn pairwise<'d, 'a>(
    dimensions: &'d [ScoredDimension<'a>],
    scores: &PairScores,
    selected: &[usize],
) -> TaskScores<'d, 'a> {
    let count = selected.len() as i64;
    let mut out = Vec::with_capacity(dimensions.len() + 1);
    let overall: i64 = selected.iter().map(|&p| scores.overall(p)).sum();
    if let Some(mean) = mean_fixed(overall, count) {
        out.push((None, mean));
    }
    for (index, dimension) in dimensions.iter().enumerate() {
        let sum: Option<i64> = selected
            .iter()
            .map(|&p| scores.by_dimension(p)[index])
            .sum();
        if let Some(mean) = sum.and_then(|sum| mean_fixed(sum, count)) {
            out.push((Some(dimension), mean));
        }
    }
    out
}

/// Consensus task agreement (see [`Mode::Consensus`]).
fn consensus<'d, 'a>(
    dimensions: &'d [ScoredDimension<'a>],
    used: &[bool],
    pairs: &[(usize, usize)],
    scores: &PairScores,
    selected: &[usize],
) -> TaskScores<'d, 'a> {
    let mut members: Vec<usize> = Vec::with_capacity(2 * selected.len());
    members.extend(selected.iter().flat_map(|&p| [pairs[p].0, pairs[p].1]));
    members.sort_unstable();
    members.dedup();
    let mut out = Vec::with_capacity(dimensions.len() + 1);
    let (mut weighted, mut weights) = (0.0, 0.0);
    for (index, dimension) in dimensions.iter().enumerate() {
        let share = if used[index] {
            let edges = selected
                .iter()
                .filter(|&&p| scores.agrees(p, index))
                .map(|&p| pairs[p]);
            let share = largest_group(&members, edges) as f64 / members.len() as f64;
            out.push((Some(dimension), to_fixed(share)));
            share
        } else {
            // Nobody answered: like both-empty pairs, everyone agrees.
            1.0
        };
        weighted += share * dimension.weight;
        weights += dimension.weight;
    }
    if weights > 0.0 {
        out.insert(0, (None, to_fixed(weighted / weights)));
    }
    out
}

/// The size of the largest connected component of `members` under `edges`.
fn largest_group(members: &[usize], edges: impl Iterator<Item = (usize, usize)>) -> usize {
    let position = |participant: usize| members.binary_search(&participant).ok();
    // On the stack for the usual few participants.
    const INLINE: usize = 32;
    let n = members.len();
    let (mut inline_parent, mut heap_parent) = ([0usize; INLINE], Vec::new());
    let parent: &mut [usize] = if n <= INLINE {
        &mut inline_parent[..n]
    } else {
        heap_parent.resize(n, 0);
        &mut heap_parent
    };
    for (node, p) in parent.iter_mut().enumerate() {
        *p = node;
    }
    fn root(parent: &mut [usize], mut node: usize) -> usize {
        while parent[node] != node {
            parent[node] = parent[parent[node]];
            node = parent[node];
        }
        node
    }
    for (a, b) in edges {
        if let (Some(a), Some(b)) = (position(a), position(b)) {
            let (ra, rb) = (root(parent, a), root(parent, b));
            if ra != rb {
                parent[ra] = rb;
            }
        }
    }
    let (mut inline_sizes, mut heap_sizes) = ([0usize; INLINE], Vec::new());
    let sizes: &mut [usize] = if n <= INLINE {
        &mut inline_sizes[..n]
    } else {
        heap_sizes.resize(n, 0);
        &mut heap_sizes
    };
    for node in 0..n {
        let r = root(parent, node);
        sizes[r] += 1;
    }
    sizes.iter().copied().max().unwrap_or(0)
}

/// The category of a categorical value: the label set (one label: the
/// label itself) or the number; `None` when the value is empty or the
/// dimension is not categorical.
pub fn category<'a>(dimension: &ScoredDimension<'_>, value: &'a DimValue) -> Option<Cow<'a, str>> {
    if !dimension.is_categorical() || !value.regions.is_empty() {
        return None;
    }
    if let Some(number) = value.number {
        return Some(number_category(number));
    }
    match value.labels.as_slice() {
        [] => None,
        [one] => Some(Cow::Borrowed(one.as_str())),
        many => {
            let labels: Vec<&str> = many.iter().map(String::as_str).collect();
            Some(Cow::Owned(set_category(&labels)))
        }
    }
}

/// The category of a number: its decimal form (`f64`'s `Display`), borrowed
/// from a table for the small whole numbers of ratings.
fn number_category(number: f64) -> Cow<'static, str> {
    const SMALL: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    let whole = number.fract() == 0.0 && number.is_sign_positive();
    match SMALL.get(number as usize) {
        Some(text) if whole && number < SMALL.len() as f64 => Cow::Borrowed(text),
        _ => Cow::Owned(number.to_string()),
    }
}

/// The statistics cells of one categorical dimension: the annotators'
/// values as one unit (coincidences), and a confusion cell per pair of
/// participants that both have a value (but the pairs `skip` names), which
/// also counts in the project's confusion of its scope
/// ([`crate::aggregate::project_confusion`]: the cell lands on both rows).
fn statistics_cells<'a>(
    dimension: &ScoredDimension<'a>,
    people: &[Participant<'a>],
    pairs: &[(usize, usize)],
    skip: impl Fn(usize) -> bool,
    out: &mut Vec<Contribution<'a>>,
) {
    if !dimension.is_categorical() {
        return;
    }
    let categories: Vec<Option<Cow<'a, str>>> = people
        .iter()
        .map(|p| {
            p.dims
                .get(dimension.name)
                .and_then(|value| category(dimension, value))
        })
        .collect();
    let values: Vec<&str> = people
        .iter()
        .zip(&categories)
        .filter(|(p, _)| p.kind == ParticipantKind::Member)
        .filter_map(|(_, c)| c.as_deref())
        .collect();
    let mut cells = Vec::new();
    unit_cells(&values, &mut cells);
    let empty = || Cow::Borrowed("");
    // The cells' strings are the categories' own: share them (no copy
    // unless the category itself is owned).
    let shared = |text: &str| -> Cow<'a, str> {
        categories
            .iter()
            .flatten()
            .find(|c| std::ptr::eq(c.as_ref(), text))
            .cloned()
            .unwrap_or_else(|| Cow::Owned(text.to_owned()))
    };
    for (cell, amount) in cells {
        let (kind, m, c, k) = match cell {
            StatCell::Single { c } => (CellKind::Single, 0, shared(&c), empty()),
            StatCell::Coincidence { m, c, k } => (CellKind::Coincidence, m, shared(&c), shared(&k)),
        };
        out.push(Contribution::Cell {
            dimension: Cow::Borrowed(dimension.name),
            kind,
            m,
            a: empty(),
            b: empty(),
            c,
            k,
            amount,
        });
    }
    for (pair, &(i, j)) in pairs.iter().enumerate() {
        if skip(pair) {
            continue;
        }
        let (Some(c), Some(k)) = (&categories[i], &categories[j]) else {
            continue;
        };
        out.push(Contribution::Cell {
            dimension: Cow::Borrowed(dimension.name),
            kind: CellKind::Confusion,
            m: 0,
            a: people[i].id.clone(),
            b: people[j].id.clone(),
            c: c.clone(),
            k: k.clone(),
            amount: 1,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dims::{Region, Shape};

    fn value(labels: &[&str], number: Option<f64>) -> DimValue {
        DimValue {
            name: "d".into(),
            kind: "choices".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            occurrences: Vec::new(),
            number,
            regions: Vec::new(),
            texts: Vec::new(),
            paths: Vec::new(),
        }
    }

    #[test]
    fn same_value_is_exact_and_compares_regions_by_identity() {
        let (x, y) = (value(&["a"], None), value(&["a"], None));
        assert!(same_value(Some(&x), Some(&y)));
        assert!(same_value(None, None));
        assert!(!same_value(Some(&x), None));
        assert!(!same_value(Some(&x), Some(&value(&["b"], None))));
        // Numbers bit for bit: 0.0 == -0.0, but not the same here.
        let (zero, minus) = (value(&[], Some(0.0)), value(&[], Some(-0.0)));
        assert!(!same_value(Some(&zero), Some(&minus)));
        assert!(same_value(Some(&zero), Some(&value(&[], Some(0.0)))));
        // Equal regions are the same only as the very same value.
        let mut boxed = value(&["car"], None);
        boxed.regions.push(Region {
            labels: vec!["car".into()],
            shape: Shape::Rectangle {
                x: 0.0,
                y: 0.0,
                width: 1.0,
                height: 1.0,
            },
            choices: Vec::new(),
            texts: Vec::new(),
        });
        let copy = boxed.clone();
        assert!(same_value(Some(&boxed), Some(&boxed)));
        assert!(!same_value(Some(&boxed), Some(&copy)));
    }
}
