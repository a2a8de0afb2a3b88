//! The engine's cache key of an aggregate row: an [`AggKey`] whose strings
//! are [`Sym`]s of the engine's [`Interner`], so it is a small `Copy` value
//! that hashes and compares as integers. [`AggKey`] stays what the store
//! reads and the flush writes; keys are converted at those edges only.

#[cfg(doc)]
use labelpulse_core::aggregate::targets_ref;
use labelpulse_core::aggregate::{
    project_confusion, AggKey, AggKeyRef, AggRow, CellKind, PARTICIPANT_TOTALS,
};
use labelpulse_core::contribution::{Contribution, Counter};
use labelpulse_core::participant::{AgreementScope, ParticipantKind};
use labelpulse_core::time::Hour;

use crate::intern::{Interner, Sym, Symbols};

/// An [`AggKey`] with interned strings (same variants, same fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RowKey {
    /// See [`AggKey::ProjectHour`].
    ProjectHour { project: Sym, hour: Hour },
    /// See [`AggKey::MemberHour`].
    MemberHour {
        project: Sym,
        member: Sym,
        hour: Hour,
    },
    /// See [`AggKey::ProjectTotals`].
    ProjectTotals { project: Sym },
    /// See [`AggKey::MemberActivity`].
    MemberActivity { project: Sym, member: Sym },
    /// See [`AggKey::Label`].
    Label {
        project: Sym,
        dimension: Sym,
        label: Sym,
    },
    /// See [`AggKey::Pair`].
    Pair {
        project: Sym,
        dimension: Sym,
        a: Sym,
        b: Sym,
    },
    /// See [`AggKey::AgreementHour`].
    AgreementHour {
        project: Sym,
        dimension: Sym,
        scope: AgreementScope,
        hour: Hour,
    },
    /// See [`AggKey::Cell`].
    Cell {
        project: Sym,
        dimension: Sym,
        kind: CellKind,
        m: u32,
        a: Sym,
        b: Sym,
        c: Sym,
        k: Sym,
    },
}

impl RowKey {
    /// The key of a borrowed [`AggKeyRef`] of the project `project` (the
    /// symbol of its project field), its other strings looked up in one
    /// pass of [`Symbols`].
    #[inline]
    pub(crate) fn of<'a>(
        key: &AggKeyRef<'a>,
        project: Sym,
        symbols: &mut Symbols<'_, 'a>,
    ) -> RowKey {
        let mut sym = |name: &'a str| symbols.sym(name);
        // Every key names the project: its symbol is given.
        match *key {
            AggKeyRef::ProjectHour { hour, .. } => RowKey::ProjectHour { project, hour },
            AggKeyRef::MemberHour { member, hour, .. } => RowKey::MemberHour {
                project,
                member: sym(member),
                hour,
            },
            AggKeyRef::ProjectTotals { .. } => RowKey::ProjectTotals { project },
            AggKeyRef::MemberActivity { member, .. } => RowKey::MemberActivity {
                project,
                member: sym(member),
            },
            AggKeyRef::Label {
                dimension, label, ..
            } => RowKey::Label {
                project,
                dimension: sym(dimension),
                label: sym(label),
            },
            AggKeyRef::Pair {
                dimension, a, b, ..
            } => RowKey::Pair {
                project,
                dimension: sym(dimension),
                a: sym(a),
                b: sym(b),
            },
            AggKeyRef::AgreementHour {
                dimension,
                scope,
                hour,
                ..
            } => RowKey::AgreementHour {
                project,
                dimension: sym(dimension),
                scope,
                hour,
            },
            AggKeyRef::Cell {
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
                ..
            } => RowKey::Cell {
                project,
                dimension: sym(dimension),
                kind,
                m,
                a: sym(a),
                b: sym(b),
                c: sym(c),
                k: sym(k),
            },
        }
    }

    /// The keys of the rows `contribution` lands on in the project
    /// `project` (its symbol), appended to `out`: the keys of
    /// [`targets_ref`], in its order, built without the borrowed keys in
    /// between (its strings looked up in one pass of [`Symbols`]).
    #[inline]
    pub(crate) fn targets<'a>(
        project: Sym,
        contribution: &'a Contribution<'_>,
        symbols: &mut Symbols<'_, 'a>,
        out: &mut Vec<RowKey>,
    ) {
        let mut sym = |name: &'a str| symbols.sym(name);
        match contribution {
            Contribution::Count {
                hour,
                member,
                counter,
                ..
            } => {
                let hour = *hour;
                out.push(RowKey::ProjectHour { project, hour });
                if let Some(member) = member {
                    let member = sym(member);
                    out.push(RowKey::MemberHour {
                        project,
                        member,
                        hour,
                    });
                }
                if matches!(counter, Counter::Submitted | Counter::Skipped) {
                    out.push(RowKey::ProjectTotals { project });
                }
            }
            Contribution::LeadTime { hour, member, .. }
            | Contribution::ReviewTime {
                hour,
                reviewer: member,
                ..
            } => {
                let hour = *hour;
                out.push(RowKey::ProjectHour { project, hour });
                let member = sym(member);
                out.push(RowKey::MemberHour {
                    project,
                    member,
                    hour,
                });
            }
            Contribution::Label {
                dimension, label, ..
            } => out.push(RowKey::Label {
                project,
                dimension: sym(dimension),
                label: sym(label),
            }),
            Contribution::Pair {
                dimension, a, b, ..
            } => {
                let (dimension, first, second) = (sym(dimension), sym(a), sym(b));
                out.push(RowKey::Pair {
                    project,
                    dimension,
                    a: first,
                    b: second,
                });
                let kinds = (
                    sym(ParticipantKind::of(b).as_str()),
                    sym(ParticipantKind::of(a).as_str()),
                );
                for (me, other_kind) in [(first, kinds.0), (second, kinds.1)] {
                    for kind in PARTICIPANT_TOTALS {
                        out.push(RowKey::Cell {
                            project,
                            dimension,
                            kind,
                            m: 0,
                            a: me,
                            b: other_kind,
                            c: sym(""),
                            k: sym(""),
                        });
                    }
                }
            }
            Contribution::TaskAgreement {
                dimension,
                scope,
                hour,
                ..
            } => out.push(RowKey::AgreementHour {
                project,
                dimension: sym(dimension),
                scope: *scope,
                hour: *hour,
            }),
            Contribution::Cell {
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
                ..
            } => {
                let dimension = sym(dimension);
                out.push(RowKey::Cell {
                    project,
                    dimension,
                    kind: *kind,
                    m: *m,
                    a: sym(a),
                    b: sym(b),
                    c: sym(c),
                    k: sym(k),
                });
                if *kind == CellKind::Confusion {
                    let (kind, scope, c, k) = project_confusion(a, b, c, k);
                    out.push(RowKey::Cell {
                        project,
                        dimension,
                        kind,
                        m: 0,
                        a: sym(scope),
                        b: sym(""),
                        c: sym(c),
                        k: sym(k),
                    });
                }
            }
            Contribution::Status { .. } => out.push(RowKey::ProjectTotals { project }),
        }
    }

    /// The key of a stored [`AggKey`].
    pub(crate) fn intern(key: &AggKey, interner: &mut Interner) -> RowKey {
        RowKey::intern_ref(&key.as_ref(), interner)
    }

    /// The key of a member's last-activity row, looked up on its own (one
    /// per annotation, review and heartbeat: two plain interner lookups,
    /// no memo pass).
    pub(crate) fn member_activity(project: &str, member: &str, interner: &mut Interner) -> RowKey {
        RowKey::MemberActivity {
            project: interner.intern_project(project),
            member: interner.intern(member),
        }
    }

    /// The key of a borrowed [`AggKeyRef`], looked up on its own.
    pub(crate) fn intern_ref(key: &AggKeyRef<'_>, interner: &mut Interner) -> RowKey {
        let project = interner.intern_project(key.project());
        RowKey::of(key, project, &mut interner.symbols())
    }

    /// The stored key.
    pub(crate) fn to_key(self, interner: &Interner) -> AggKey {
        let name = |sym: Sym| interner.name(sym).to_string();
        match self {
            RowKey::ProjectHour { project, hour } => AggKey::ProjectHour {
                project: name(project),
                hour,
            },
            RowKey::MemberHour {
                project,
                member,
                hour,
            } => AggKey::MemberHour {
                project: name(project),
                member: name(member),
                hour,
            },
            RowKey::ProjectTotals { project } => AggKey::ProjectTotals {
                project: name(project),
            },
            RowKey::MemberActivity { project, member } => AggKey::MemberActivity {
                project: name(project),
                member: name(member),
            },
            RowKey::Label {
                project,
                dimension,
                label,
            } => AggKey::Label {
                project: name(project),
                dimension: name(dimension),
                label: name(label),
            },
            RowKey::Pair {
                project,
                dimension,
                a,
                b,
            } => AggKey::Pair {
                project: name(project),
                dimension: name(dimension),
                a: name(a),
                b: name(b),
            },
            RowKey::AgreementHour {
                project,
                dimension,
                scope,
                hour,
            } => AggKey::AgreementHour {
                project: name(project),
                dimension: name(dimension),
                scope,
                hour,
            },
            RowKey::Cell {
                project,
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
            } => AggKey::Cell {
                project: name(project),
                dimension: name(dimension),
                kind,
                m,
                a: name(a),
                b: name(b),
                c: name(c),
                k: name(k),
            },
        }
    }

    /// The same key in another interner (`from` is this key's).
    pub(crate) fn moved(self, from: &Interner, to: &mut Interner) -> RowKey {
        RowKey::intern(&self.to_key(from), to)
    }

    /// The hour bucket of an hour row, as [`AggKey::hour`].
    pub(crate) fn hour(&self) -> Option<Hour> {
        match self {
            RowKey::ProjectHour { hour, .. }
            | RowKey::MemberHour { hour, .. }
            | RowKey::AgreementHour { hour, .. } => Some(*hour),
            _ => None,
        }
    }

    /// The hash a known-cell set holds for a statistics cell
    /// ([`crate::known_keys::cell_hash`]), `None` for other kinds.
    pub(crate) fn cell_hash(&self, interner: &Interner) -> Option<u64> {
        match *self {
            RowKey::Cell {
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
                ..
            } => {
                let name = |sym| interner.name(sym);
                Some(crate::known_keys::cell_hash(
                    name(dimension),
                    kind,
                    m,
                    (name(a), name(b)),
                    (name(c), name(k)),
                ))
            }
            _ => None,
        }
    }

    /// The symbol of the row's project.
    pub(crate) fn project(&self) -> Sym {
        match self {
            RowKey::ProjectHour { project, .. }
            | RowKey::MemberHour { project, .. }
            | RowKey::ProjectTotals { project }
            | RowKey::MemberActivity { project, .. }
            | RowKey::Label { project, .. }
            | RowKey::Pair { project, .. }
            | RowKey::AgreementHour { project, .. }
            | RowKey::Cell { project, .. } => *project,
        }
    }

    /// An empty row of the right kind.
    pub(crate) fn empty_row(&self) -> AggRow {
        use labelpulse_core::aggregate::{
            ActivityRow, AgreementRow, CellRow, HourRow, LabelRow, PairRow, TotalsRow,
        };
        match self {
            RowKey::ProjectHour { .. } | RowKey::MemberHour { .. } => {
                AggRow::Hour(HourRow::default())
            }
            RowKey::ProjectTotals { .. } => AggRow::Totals(TotalsRow::default()),
            RowKey::MemberActivity { .. } => AggRow::Activity(ActivityRow::default()),
            RowKey::Label { .. } => AggRow::Label(LabelRow::default()),
            RowKey::Pair { .. } => AggRow::Pair(PairRow::default()),
            RowKey::AgreementHour { .. } => AggRow::Agreement(AgreementRow::default()),
            RowKey::Cell { .. } => AggRow::Cell(CellRow::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use labelpulse_core::participant::AgreementScope;

    fn keys() -> Vec<AggKey> {
        let s = |text: &str| text.to_string();
        vec![
            AggKey::ProjectHour {
                project: s("p"),
                hour: 7,
            },
            AggKey::MemberHour {
                project: s("p"),
                member: s("m"),
                hour: 7,
            },
            AggKey::ProjectTotals { project: s("p") },
            AggKey::MemberActivity {
                project: s("p"),
                member: s("m"),
            },
            AggKey::Label {
                project: s("p"),
                dimension: s("d"),
                label: s("l"),
            },
            AggKey::Pair {
                project: s("p"),
                dimension: s(""),
                a: s("m"),
                b: s("n"),
            },
            AggKey::AgreementHour {
                project: s("p"),
                dimension: s("d"),
                scope: AgreementScope::DEFAULT,
                hour: 3,
            },
            AggKey::Cell {
                project: s("p"),
                dimension: s("d"),
                kind: CellKind::Confusion,
                m: 2,
                a: s("m"),
                b: s("n"),
                c: s("x"),
                k: s(""),
            },
        ]
    }

    /// One contribution of every kind (and every target rule).
    fn contributions() -> Vec<Contribution<'static>> {
        use labelpulse_core::contribution::LabelSource;
        use labelpulse_core::event::TaskStatus;
        use std::borrow::Cow::Borrowed as B;
        let count = |member: Option<&'static str>, counter| Contribution::Count {
            hour: 4,
            member: member.map(B),
            counter,
            amount: 2,
        };
        vec![
            count(Some("m"), Counter::Submitted),
            count(Some("m"), Counter::Skipped),
            count(Some("m"), Counter::Regions),
            count(None, Counter::TasksDone),
            count(None, Counter::Submitted),
            Contribution::LeadTime {
                hour: 4,
                member: B("m"),
                ms: 5,
            },
            Contribution::ReviewTime {
                hour: 4,
                reviewer: B("r"),
                ms: 5,
            },
            Contribution::Label {
                dimension: B("d"),
                label: B("l"),
                source: LabelSource::Annotation,
                count: 1,
            },
            Contribution::Pair {
                dimension: B(""),
                a: B("m"),
                b: B("n"),
                score: 1,
            },
            // The participant totals of a model and of the ground truth.
            Contribution::Pair {
                dimension: B("d"),
                a: B("model:v1"),
                b: B("ground_truth"),
                score: 3,
            },
            Contribution::TaskAgreement {
                dimension: B("d"),
                scope: AgreementScope::DEFAULT,
                hour: 4,
                score: 1,
                low: false,
            },
            Contribution::Cell {
                dimension: B("d"),
                kind: CellKind::Coincidence,
                m: 3,
                a: B(""),
                b: B(""),
                c: B("x"),
                k: B("y"),
                amount: 2,
            },
            // The project confusion of each scope, and against the ground truth.
            confusion("m", "n"),
            confusion("m", "model:v1"),
            confusion("model:v1", "ground_truth"),
            Contribution::Status {
                status: TaskStatus::Done,
            },
        ]
    }

    fn confusion(a: &'static str, b: &'static str) -> Contribution<'static> {
        use std::borrow::Cow::Borrowed as B;
        Contribution::Cell {
            dimension: B("d"),
            kind: CellKind::Confusion,
            m: 0,
            a: B(a),
            b: B(b),
            c: B("y"),
            k: B("x"),
            amount: 1,
        }
    }

    #[test]
    fn targets_are_the_keys_of_targets_ref() {
        use labelpulse_core::aggregate::targets_ref;
        let mut interner = Interner::default();
        let project = interner.intern("p");
        for contribution in &contributions() {
            let mut borrowed = Vec::new();
            targets_ref("p", contribution, &mut borrowed);
            let expected: Vec<RowKey> = borrowed
                .iter()
                .map(|key| RowKey::intern_ref(key, &mut interner))
                .collect();
            let mut keys = Vec::new();
            RowKey::targets(project, contribution, &mut interner.symbols(), &mut keys);
            assert_eq!(keys, expected, "{contribution:?}");
        }
    }

    #[test]
    fn keys_round_trip_and_stay_distinct() {
        let mut interner = Interner::default();
        let keys = keys();
        let interned: Vec<RowKey> = keys
            .iter()
            .map(|key| RowKey::intern(key, &mut interner))
            .collect();
        for (key, row_key) in keys.iter().zip(&interned) {
            assert_eq!(&row_key.to_key(&interner), key);
            assert_eq!(row_key.empty_row(), key.empty_row());
            assert_eq!(RowKey::intern(key, &mut interner), *row_key);
        }
        let mut distinct = interned.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), keys.len());
        let mut other = Interner::default();
        other.intern("unrelated");
        for (key, row_key) in keys.iter().zip(&interned) {
            assert_eq!(&row_key.moved(&interner, &mut other).to_key(&other), key);
        }
    }
}
