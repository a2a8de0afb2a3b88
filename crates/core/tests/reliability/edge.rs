//! Edge cases through the public API, checked against the direct batch
//! implementation where it applies.

use labelpulse_core::reliability::{light_kappa, Level, Undefined};

use crate::batch;
use crate::support::{assert_close, by_observer, by_unit, pair_confusion, stats, strings};

#[test]
fn no_pairable_units() {
    let ratings = by_observer(&["1 . 3", ". 2 ."]);
    let s = stats(&ratings);
    assert_eq!((s.units(), s.pairable_units()), (3, 0));
    assert_eq!(s.alpha(&Level::Interval), Err(Undefined::NoPairableUnits));
    assert_eq!(s.fleiss_kappa(), Err(Undefined::NoPairableUnits));
    assert_eq!(s.percent_agreement(), Err(Undefined::NoPairableUnits));
    assert_eq!(pair_confusion(&ratings, 0, 1).tasks(), 0);
    let t = pair_confusion(&ratings, 0, 1);
    assert_eq!(t.cohen(None).unweighted, Err(Undefined::NoCommonTasks));
    assert_eq!(light_kappa([&t]), Err(Undefined::NoCommonTasks));
}

#[test]
fn one_category_only() {
    let s = stats(&by_unit(&["x x", "x x x", "x"]));
    assert_eq!(s.percent_agreement(), Ok(1.0));
    assert_eq!(s.alpha(&Level::Nominal), Err(Undefined::NoVariation));
    assert_eq!(s.fleiss_kappa(), Err(Undefined::NoVariation));
    let t = pair_confusion(&by_unit(&["x x", "x x"]), 0, 1);
    let k = t.cohen(Some(&strings(&["x", "y"])));
    assert_eq!(k.unweighted, Err(Undefined::NoVariation));
    assert_eq!(k.quadratic, Err(Undefined::NoVariation));
}

#[test]
fn single_ratings_are_ignored_by_alpha_but_used_by_fleiss() {
    let pairable = ["a a", "a b", "b b .", "a b b"];
    let with_singles = ["a a", "a b", "b b .", "a b b", "b . .", ". . b"];
    let (without, with) = (by_unit(&pairable), by_unit(&with_singles));
    let (s0, s1) = (stats(&without), stats(&with));
    assert_eq!(s0.alpha(&Level::Nominal), s1.alpha(&Level::Nominal));
    assert_eq!(s0.percent_agreement(), s1.percent_agreement());
    assert_ne!(s0.fleiss_kappa(), s1.fleiss_kappa());
    let expected = batch::fleiss(&batch::units(&with)).unwrap();
    assert_close(s1.fleiss_kappa(), expected, 1e-12);
}

#[test]
fn non_numeric_categories_for_interval() {
    let s = stats(&by_unit(&["low high", "low low", "3"]));
    assert_eq!(s.alpha(&Level::Interval), Err(Undefined::NotNumeric));
    let order = strings(&["low", "high"]);
    assert_eq!(
        s.alpha(&Level::Ordinal(&order)),
        Err(Undefined::UnorderedCategory)
    );
    assert!(s.alpha(&Level::Nominal).is_ok());
}

#[test]
fn pair_with_one_common_task() {
    let ratings = by_observer(&["1 2 .", "3 . 2"]);
    let t = pair_confusion(&ratings, 0, 1);
    assert_eq!(t.tasks(), 1);
    assert_eq!(t.observed_agreement(), Ok(0.0));
    let k = t.cohen(Some(&strings(&["1", "2", "3"])));
    assert_eq!(
        (k.unweighted, k.linear, k.quadratic),
        (Ok(0.0), Ok(0.0), Ok(0.0))
    );
    let same = pair_confusion(&by_observer(&["2 1", "2 ."]), 0, 1);
    assert_eq!(same.observed_agreement(), Ok(1.0));
    assert_eq!(same.cohen(None).unweighted, Err(Undefined::NoVariation));
}
