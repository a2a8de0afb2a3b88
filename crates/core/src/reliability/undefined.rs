//! Why a statistic has no value.

use thiserror::Error;

/// Why a statistic has no value. Undefined statistics are values, never
/// panics, and never silently 0 or 1 (agreement.md 1). Serialized as the
/// stable [`Undefined::as_str`] code in a result's `reasons{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum Undefined {
    /// No task has two or more values, so nothing can be compared.
    #[error("no task has two or more values")]
    NoPairableUnits,
    /// Chance agreement is total: every value is the same category (or,
    /// for weighted statistics, every weight is 0).
    #[error("no variation: every value is the same")]
    NoVariation,
    /// The interval metric needs numbers and a category is not one.
    #[error("a category is not a finite number")]
    NotNumeric,
    /// The ordinal or weighted statistic needs a position for every
    /// category and one is missing from the declared order.
    #[error("a category is not in the declared order")]
    UnorderedCategory,
    /// A weighted statistic was asked for without a declared order.
    #[error("no category order is declared")]
    NoOrder,
    /// The annotator pair shares no task.
    #[error("the pair has no common task")]
    NoCommonTasks,
    /// The summed cells cannot come from any set of tasks (a negative
    /// count, an asymmetric coincidence, a size below 2, marginals that do
    /// not divide): the store and the cell definition disagree.
    #[error("the stored counts are inconsistent")]
    InconsistentCounts,
    /// The counts are too large for exact integer arithmetic.
    #[error("the counts are too large for exact arithmetic")]
    Overflow,
}

impl Undefined {
    /// Every reason, in declaration order.
    pub const ALL: [Undefined; 8] = [
        Undefined::NoPairableUnits,
        Undefined::NoVariation,
        Undefined::NotNumeric,
        Undefined::UnorderedCategory,
        Undefined::NoOrder,
        Undefined::NoCommonTasks,
        Undefined::InconsistentCounts,
        Undefined::Overflow,
    ];

    /// The stable snake_case code of this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Undefined::NoPairableUnits => "no_pairable_units",
            Undefined::NoVariation => "no_variation",
            Undefined::NotNumeric => "not_numeric",
            Undefined::UnorderedCategory => "unordered_category",
            Undefined::NoOrder => "no_order",
            Undefined::NoCommonTasks => "no_common_tasks",
            Undefined::InconsistentCounts => "inconsistent_counts",
            Undefined::Overflow => "overflow",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Undefined;

    #[test]
    fn codes_are_distinct_snake_case() {
        let mut codes: Vec<&str> = Undefined::ALL.iter().map(|u| u.as_str()).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Undefined::ALL.len());
        assert_eq!(
            Undefined::NoVariation.to_string(),
            "no variation: every value is the same"
        );
    }
}
