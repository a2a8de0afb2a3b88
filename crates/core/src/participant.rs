//! Who takes part in agreement: annotators (members), models (one
//! participant per prediction model version) and a task's ground truth.
//!
//! Participants are named by strings so they fit the same pair rows: a
//! member by its id, a model by `model:<version>`, the ground truth by
//! [`GROUND_TRUTH`]. Member ids of those two shapes are read as the
//! non-member participant (documented in the README).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// The participant id of a task's ground-truth annotation.
pub const GROUND_TRUTH: &str = "ground_truth";

/// The prefix of a model participant's id.
pub const MODEL_PREFIX: &str = "model:";

/// The participant id of a model version.
pub fn model_participant(version: &str) -> String {
    format!("{MODEL_PREFIX}{version}")
}

/// What a participant id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    /// An annotator.
    Member,
    /// A model version (its predictions).
    Model,
    /// The task's ground-truth annotation.
    GroundTruth,
}

impl ParticipantKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantKind::Member => "member",
            ParticipantKind::Model => "model",
            ParticipantKind::GroundTruth => "ground_truth",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<ParticipantKind> {
        [
            ParticipantKind::Member,
            ParticipantKind::Model,
            ParticipantKind::GroundTruth,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }

    /// The kind of a participant id.
    pub fn of(id: &str) -> ParticipantKind {
        if id == GROUND_TRUTH {
            ParticipantKind::GroundTruth
        } else if id.starts_with(MODEL_PREFIX) {
            ParticipantKind::Model
        } else {
            ParticipantKind::Member
        }
    }
}

/// The canonical order of two participants in a pair row: members first,
/// then models, then the ground truth; within a kind by id. A pair is
/// always stored as `(a, b)` with `a` before `b` in this order.
pub fn canonical_order(a: &str, b: &str) -> Ordering {
    (ParticipantKind::of(a), a).cmp(&(ParticipantKind::of(b), b))
}

/// Which pairs a task agreement is computed over (`participants=` of the
/// agreement route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participants {
    /// Pairs of annotators (the default; what the dashboards show).
    Annotators,
    /// Pairs with at least one model: annotator × model and model × model
    /// (how well the models agree with people).
    Models,
    /// Every pair of annotators and models.
    All,
}

impl Participants {
    /// Every value, in index order.
    pub const ALL: [Participants; 3] = [
        Participants::Annotators,
        Participants::Models,
        Participants::All,
    ];

    /// True when a pair of these two kinds counts in this scope (the ground
    /// truth never does: it is a column of its own).
    pub fn includes(self, a: ParticipantKind, b: ParticipantKind) -> bool {
        use ParticipantKind::{GroundTruth, Member};
        match (self, a, b) {
            (_, GroundTruth, _) | (_, _, GroundTruth) => false,
            (Participants::Annotators, Member, Member) => true,
            (Participants::Annotators, _, _) => false,
            (Participants::Models, Member, Member) => false,
            (Participants::Models, _, _) => true,
            (Participants::All, _, _) => true,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Participants::Annotators => "annotators",
            Participants::Models => "models",
            Participants::All => "all",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Participants> {
        Participants::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// How pair scores become a task's agreement (`mode=` of the agreement route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The mean of the pair scores (Label Studio's "pairwise averaging").
    Pairwise,
    /// The share of participants in the largest group that agrees: pairs
    /// whose score reaches the dimension's threshold are linked, groups are
    /// the connected components (single linkage), and the task scores
    /// `largest group / participants`. Over all dimensions: the weighted
    /// mean of the dimensions' consensus scores.
    Consensus,
}

impl Mode {
    /// Every value.
    pub const ALL: [Mode; 2] = [Mode::Pairwise, Mode::Consensus];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Pairwise => "pairwise",
            Mode::Consensus => "consensus",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// The scope of a task-agreement row: which pairs, combined how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AgreementScope {
    /// Which pairs.
    pub participants: Participants,
    /// How they combine.
    pub mode: Mode,
}

impl AgreementScope {
    /// Annotator pairs, pairwise mean: what the project dashboard shows.
    pub const DEFAULT: AgreementScope = AgreementScope {
        participants: Participants::Annotators,
        mode: Mode::Pairwise,
    };
}

impl AgreementScope {
    /// Every scope, in code order.
    pub fn all() -> impl Iterator<Item = AgreementScope> {
        Participants::ALL.into_iter().flat_map(|participants| {
            Mode::ALL
                .into_iter()
                .map(move |mode| AgreementScope { participants, mode })
        })
    }

    /// A compact code for stores' keys (0 is [`AgreementScope::DEFAULT`]).
    pub fn code(self) -> u8 {
        let participants = match self.participants {
            Participants::Annotators => 0,
            Participants::Models => 1,
            Participants::All => 2,
        };
        let mode = match self.mode {
            Mode::Pairwise => 0,
            Mode::Consensus => 1,
        };
        participants * 2 + mode
    }

    /// The scope of a [`AgreementScope::code`].
    pub fn from_code(code: u8) -> Option<AgreementScope> {
        AgreementScope::all().find(|scope| scope.code() == code)
    }
}

impl Default for AgreementScope {
    fn default() -> Self {
        AgreementScope::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_order() {
        assert_eq!(ParticipantKind::of("u7"), ParticipantKind::Member);
        assert_eq!(ParticipantKind::of("model:v2"), ParticipantKind::Model);
        assert_eq!(
            ParticipantKind::of(GROUND_TRUTH),
            ParticipantKind::GroundTruth
        );
        assert_eq!(canonical_order("zed", "model:a"), Ordering::Less);
        assert_eq!(canonical_order(GROUND_TRUTH, "model:a"), Ordering::Greater);
        assert_eq!(canonical_order("a", "b"), Ordering::Less);
    }

    #[test]
    fn scopes_include_the_right_pairs() {
        use ParticipantKind::{GroundTruth, Member, Model};
        assert!(Participants::Annotators.includes(Member, Member));
        assert!(!Participants::Annotators.includes(Member, Model));
        assert!(Participants::Models.includes(Member, Model));
        assert!(Participants::Models.includes(Model, Model));
        assert!(!Participants::Models.includes(Member, Member));
        assert!(Participants::All.includes(Member, Member));
        assert!(!Participants::All.includes(Member, GroundTruth));
        assert_eq!(Participants::parse("models"), Some(Participants::Models));
        assert_eq!(Mode::parse("consensus"), Some(Mode::Consensus));
        assert_eq!(Mode::parse("x"), None);
    }

    #[test]
    fn scope_codes_round_trip() {
        assert_eq!(AgreementScope::DEFAULT.code(), 0);
        let codes: Vec<u8> = AgreementScope::all().map(AgreementScope::code).collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5]);
        for scope in AgreementScope::all() {
            assert_eq!(AgreementScope::from_code(scope.code()), Some(scope));
        }
        assert_eq!(AgreementScope::from_code(6), None);
    }
}
