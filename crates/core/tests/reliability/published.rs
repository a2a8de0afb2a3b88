//! Published values, each with its source.

use labelpulse_core::reliability::{light_kappa, Coincidences, Level, Undefined};

use crate::support::{
    assert_close, by_observer, by_unit, confusion_table, pair_confusion, stats, strings,
};

/// Krippendorff, K. (2011), "Computing Krippendorff's alpha-reliability",
/// section C: 4 observers × 12 units with missing values ('.'). The same
/// data is in the `krippendorff` package's tests (test_ordinal_metric) and is
/// irrCAC's `cac.raw4raters`.
const KRIPPENDORFF_2011: [&str; 4] = [
    "1 2 3 3 2 1 4 1 2 . . .",
    "1 2 3 3 2 2 4 1 2 5 . 3",
    ". 3 3 3 2 3 4 2 2 5 1 .",
    "1 2 3 3 2 4 4 1 2 5 1 .",
];

/// The Wikipedia "Krippendorff's alpha" example: 3 coders × 15 units, also
/// in the `krippendorff` package's tests (test_nominal_metric_reliability_data,
/// test_interval_metric).
const WIKIPEDIA_ALPHA: [&str; 3] = [
    ". . . . . 3 4 1 2 1 1 3 3 . 3",
    "1 . 2 1 3 3 4 3 . . . . . . .",
    ". . 2 1 3 4 4 . 2 1 1 3 3 . 4",
];

/// Fleiss (1971) psychiatric diagnoses, 30 subjects × 6 raters, categories
/// 1..5 (Depression, Personality Disorder, Schizophrenia, Neurosis, Other);
/// R irr's `diagnoses` as recorded in statsmodels
/// `statsmodels/stats/tests/test_inter_rater.py`.
const DIAGNOSES: [&str; 30] = [
    "4 4 4 4 4 4",
    "2 2 2 5 5 5",
    "2 3 3 3 3 5",
    "5 5 5 5 5 5",
    "2 2 2 4 4 4",
    "1 1 3 3 3 3",
    "3 3 3 3 5 5",
    "1 1 3 3 3 4",
    "1 1 4 4 4 4",
    "5 5 5 5 5 5",
    "1 4 4 4 4 4",
    "1 2 4 4 4 4",
    "2 2 2 3 3 3",
    "1 4 4 4 4 4",
    "2 2 4 4 4 5",
    "3 3 3 3 3 5",
    "1 1 1 4 5 5",
    "1 1 1 1 1 2",
    "2 2 4 4 4 4",
    "1 3 3 5 5 5",
    "5 5 5 5 5 5",
    "2 4 4 4 4 4",
    "2 2 4 5 5 5",
    "1 1 4 4 4 4",
    "1 4 4 4 4 5",
    "2 2 2 2 2 4",
    "1 1 1 1 5 5",
    "2 2 4 4 4 4",
    "1 3 3 3 3 3",
    "5 5 5 5 5 5",
];

/// R irr's `anxiety`, 20 subjects × 3 raters, as recorded in statsmodels
/// `test_inter_rater.py` (one line per rater).
const ANXIETY: [&str; 3] = [
    "3 3 3 4 5 5 2 3 5 2 2 6 1 5 2 2 1 2 4 3",
    "3 6 4 6 2 4 2 4 3 3 2 3 3 3 2 2 1 3 3 4",
    "2 1 4 4 3 2 1 6 1 1 1 2 3 3 1 1 3 3 2 2",
];

/// Two-rater units from a square count table (rows rater a, columns rater b).
fn table_units(categories: &[&str], counts: &[&[i64]]) -> Coincidences {
    let mut cells = Vec::new();
    for (i, row) in counts.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            let mut unit = Vec::new();
            labelpulse_core::reliability::unit_cells(&[categories[i], categories[j]], &mut unit);
            cells.extend(unit.into_iter().map(|(c, a)| (c, a * n)));
        }
    }
    Coincidences::from_cells(cells)
}

#[test]
fn krippendorff_2011_alpha_at_three_levels() {
    // Krippendorff (2011): nominal .743, ordinal .815, interval .849; the
    // exact values 0.743421, 0.815388, 0.849107 are agreement.md 3.5's.
    let s = stats(&by_observer(&KRIPPENDORFF_2011));
    assert_eq!((s.units(), s.pairable_units()), (12, 11));
    let order = strings(&["1", "2", "3", "4", "5"]);
    assert_close(s.alpha(&Level::Nominal), 0.743421, 1e-6);
    assert_close(s.alpha(&Level::Ordinal(&order)), 0.815388, 1e-6);
    assert_close(s.alpha(&Level::Interval), 0.849107, 1e-6);
}

#[test]
fn krippendorff_2011_generalized_fleiss_matches_irrcac() {
    // irrCAC README (R package, Gwet), fleiss.kappa.raw(cac.raw4raters):
    // pa 0.8181818, pe 0.2387153, Fleiss' kappa 0.76117 (rounded to 5 digits).
    // Unit 12 has one rating: it counts in pe only.
    let s = stats(&by_observer(&KRIPPENDORFF_2011));
    assert_close(s.percent_agreement(), 0.8181818, 1e-7);
    assert_close(s.fleiss_kappa(), 0.76117, 5e-6);
    let (pa, pe) = (9.0 / 11.0, 0.2387153);
    assert_close(s.fleiss_kappa(), (pa - pe) / (1.0 - pe), 1e-7);
}

#[test]
fn wikipedia_alpha_example() {
    // en.wikipedia.org "Krippendorff's alpha", as in agreement.md 3.5:
    // nominal 0.691358, interval 0.810845.
    let s = stats(&by_observer(&WIKIPEDIA_ALPHA));
    assert_close(s.alpha(&Level::Nominal), 0.691358, 1e-6);
    assert_close(s.alpha(&Level::Interval), 0.810845, 1e-6);
}

#[test]
fn fleiss_1971_diagnoses() {
    // Fleiss (1971): kappa .430; R irr kappam.fleiss(diagnoses) = 0.4302445
    // (statsmodels test_fleiss_kappa_irr). On complete data the generalized
    // form is the classic one, and alpha = 1 − (1 − κ)(n − 1)/n = 0.433410
    // with n = 180 ratings (agreement.md 3.4).
    let s = stats(&by_unit(&DIAGNOSES));
    let kappa = s.fleiss_kappa().unwrap();
    assert_close(Ok(kappa), 0.4302445, 1e-7);
    let alpha = s.alpha(&Level::Nominal);
    assert_close(alpha, 0.433410, 1e-6);
    assert_close(alpha, 1.0 - (1.0 - kappa) * 179.0 / 180.0, 1e-12);
}

#[test]
fn first_fifteen_diagnoses_match_irrcac_distrib_6raters() {
    // irrCAC README: distrib.6raters (the first 15 diagnoses subjects):
    // fleiss.kappa.dist 0.4139265 with pa 0.5511111; krippen.alpha.dist
    // 0.4204384.
    let s = stats(&by_unit(&DIAGNOSES[..15]));
    assert_close(s.percent_agreement(), 0.5511111, 1e-7);
    assert_close(s.fleiss_kappa(), 0.4139265, 1e-7);
    assert_close(s.alpha(&Level::Nominal), 0.4204384, 1e-7);
}

#[test]
fn cohen_wikipedia_grant_proposals() {
    // en.wikipedia.org "Cohen's kappa", simple example: 50 grant proposals,
    // readers A (rows) and B: yes/yes 20, yes/no 5, no/yes 10, no/no 15;
    // p_o = 0.7, p_e = 0.5, κ = 0.4.
    let t = confusion_table(&["yes", "no"], &[&[20, 5], &[10, 15]]);
    assert_eq!(t.tasks(), 50);
    assert_close(t.observed_agreement(), 0.7, 1e-15);
    assert_close(t.cohen(None).unweighted, 0.4, 1e-15);
}

#[test]
fn cohen_sas_example_unweighted_and_linear() {
    // SAS printout recorded in statsmodels test_inter_rater.py (table10):
    // simple kappa 0.4842, weighted kappa with weights |i − j| 0.4701.
    let t = confusion_table(&["1", "2", "3"], &[&[0, 4, 1], &[0, 8, 0], &[0, 1, 5]]);
    let k = t.cohen(Some(&strings(&["1", "2", "3"])));
    assert_close(k.unweighted, 0.4842, 5e-5);
    assert_close(k.unweighted, 107.0 / 221.0, 1e-15);
    assert_close(k.linear, 0.4701, 5e-5);
}

#[test]
fn cohen_anxiety_raters_2_and_3_match_r_irr() {
    // R irr kappa2(anxiety[,2:3]) as recorded in statsmodels
    // test_cohens_kappa_irr: unweighted −0.006289308, "equal" (linear)
    // 0.1459075, "squared" (quadratic) 0.2520325, on the levels the two
    // raters used (1, 2, 3, 4, 6). On the declared scale 1..6 linear κ is
    // 0.126214 (agreement.md 3.2).
    let t = pair_confusion(&by_observer(&ANXIETY), 1, 2);
    assert_eq!(t.tasks(), 20);
    let observed = t.cohen(Some(&strings(&["1", "2", "3", "4", "6"])));
    assert_close(observed.unweighted, -0.006289308, 1e-9);
    assert_close(observed.linear, 0.1459075, 1e-7);
    assert_close(observed.quadratic, 0.2520325, 1e-7);
    let declared = t.cohen(Some(&strings(&["1", "2", "3", "4", "5", "6"])));
    assert_close(declared.linear, 0.126214, 1e-6);
    assert_eq!(declared.unweighted, observed.unweighted);
}

#[test]
fn irrcac_abstractors_fleiss_is_not_cohen() {
    // irrCAC README, cont3x3abstractors (rows abstractor 1): kappa2.table
    // 0.7964094, scott2.table 0.7962397 (= Fleiss' κ for two raters),
    // krippen2.table 0.7972585, pa2.table 0.89 (agreement.md 3.4:
    // Fleiss 0.796240 vs Cohen 0.796409).
    let categories = ["Ectopic", "AIU", "NIU"];
    let counts: [&[i64]; 3] = [&[13, 0, 0], &[0, 20, 7], &[0, 4, 56]];
    let t = confusion_table(&categories, &counts);
    assert_close(t.cohen(None).unweighted, 0.7964094, 1e-7);
    assert_close(t.observed_agreement(), 0.89, 1e-15);
    let s = table_units(&categories, &counts);
    assert_close(s.fleiss_kappa(), 0.7962397, 1e-7);
    assert_close(s.alpha(&Level::Nominal), 0.7972585, 1e-7);
    assert_close(s.percent_agreement(), 0.89, 1e-15);
}

#[test]
fn light_kappa_of_diagnoses_matches_r_irr() {
    // R irr kappam.light(diagnoses): Kappa = 0.459 (recorded in a Python port
    // of irr's tests); kappam.light(diagnoses[, 1:3]): Kappa = 0.555 (a
    // published R tutorial's output). Light's κ is the mean pairwise Cohen
    // (agreement.md 3.3).
    let ratings = by_unit(&DIAGNOSES);
    let pairs = |raters: u32| {
        let mut out = Vec::new();
        for a in 0..raters {
            for b in a + 1..raters {
                out.push(pair_confusion(&ratings, a, b));
            }
        }
        out
    };
    assert_close(light_kappa(&pairs(6)), 0.459, 5e-4);
    assert_close(light_kappa(&pairs(3)), 0.555, 5e-4);
    let three = pairs(3);
    let mean = three
        .iter()
        .map(|p| p.cohen(None).unweighted.unwrap())
        .sum::<f64>()
        / 3.0;
    assert_close(light_kappa(&three), mean, 1e-15);
    assert_ne!(light_kappa(&three), Err(Undefined::NoCommonTasks));
}
