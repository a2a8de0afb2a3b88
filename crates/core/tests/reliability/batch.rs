//! A direct batch implementation of agreement.md section 3: per-unit loops
//! over raw values, in f64, sharing nothing with the library but its
//! `Undefined` reasons.

use std::collections::{BTreeMap, BTreeSet};

use labelpulse_core::reliability::Undefined;

use crate::support::Ratings;

/// The values of every task.
pub fn units(ratings: &Ratings) -> Vec<Vec<&str>> {
    ratings
        .values()
        .map(|t| t.values().map(String::as_str).collect())
        .collect()
}

/// The level of measurement, for the reference.
pub enum Level<'o> {
    Nominal,
    Ordinal(&'o [String]),
    Interval,
}

fn pairable<'u, 'a>(units: &'u [Vec<&'a str>]) -> Result<Vec<&'u Vec<&'a str>>, Undefined> {
    let pairable: Vec<_> = units.iter().filter(|u| u.len() >= 2).collect();
    if pairable.is_empty() {
        Err(Undefined::NoPairableUnits)
    } else {
        Ok(pairable)
    }
}

/// P̄ = mean over units with m >= 2 of the share of agreeing ordered pairs.
pub fn percent_agreement(units: &[Vec<&str>]) -> Result<f64, Undefined> {
    let pairable = pairable(units)?;
    let mut sum = 0.0;
    for u in &pairable {
        let m = u.len();
        let mut agree = 0.0;
        for i in 0..m {
            for j in 0..m {
                if i != j && u[i] == u[j] {
                    agree += 1.0;
                }
            }
        }
        sum += agree / (m * (m - 1)) as f64;
    }
    Ok(sum / pairable.len() as f64)
}

/// Krippendorff's α from the coincidence matrix of 3.5.
pub fn alpha(units: &[Vec<&str>], level: &Level<'_>) -> Result<f64, Undefined> {
    let pairable = pairable(units)?;
    let all: BTreeSet<&str> = units.iter().flatten().copied().collect();
    let value = |c: &str| c.parse::<f64>().ok().filter(|v| v.is_finite());
    match level {
        Level::Nominal => {}
        Level::Interval => {
            if all.iter().any(|c| value(c).is_none()) {
                return Err(Undefined::NotNumeric);
            }
        }
        Level::Ordinal(order) => {
            if all.iter().any(|c| !order.iter().any(|o| o == c)) {
                return Err(Undefined::UnorderedCategory);
            }
        }
    }
    let mut o: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for u in &pairable {
        let m = u.len();
        for i in 0..m {
            for j in 0..m {
                if i != j {
                    *o.entry((u[i], u[j])).or_insert(0.0) += 1.0 / (m - 1) as f64;
                }
            }
        }
    }
    let mut n_c: BTreeMap<&str, f64> = BTreeMap::new();
    for (&(c, _), &v) in &o {
        *n_c.entry(c).or_insert(0.0) += v;
    }
    let n: f64 = n_c.values().sum();
    let delta = |c: &str, k: &str| -> f64 {
        match level {
            Level::Nominal => f64::from(u8::from(c != k)),
            Level::Interval => {
                let d = value(c).unwrap_or(0.0) - value(k).unwrap_or(0.0);
                d * d
            }
            Level::Ordinal(order) => {
                let pos = |x: &str| order.iter().position(|o| o == x).unwrap_or(0);
                let (lo, hi) = (pos(c).min(pos(k)), pos(c).max(pos(k)));
                let between: f64 = order[lo..=hi]
                    .iter()
                    .map(|g| n_c.get(g.as_str()).copied().unwrap_or(0.0))
                    .sum();
                let ends = n_c.get(c).copied().unwrap_or(0.0) + n_c.get(k).copied().unwrap_or(0.0);
                (between - ends / 2.0).powi(2)
            }
        }
    };
    let d_o: f64 = o.iter().map(|(&(c, k), &v)| v * delta(c, k)).sum::<f64>() / n;
    let mut d_e = 0.0;
    for (&c, &nc) in &n_c {
        for (&k, &nk) in &n_c {
            d_e += nc * nk * delta(c, k);
        }
    }
    d_e /= n * (n - 1.0);
    if d_e == 0.0 {
        return Err(Undefined::NoVariation);
    }
    Ok(1.0 - d_o / d_e)
}

/// Generalized Fleiss' κ (3.4): p_a = P̄, π_k = mean over units of n_uk / m_u.
pub fn fleiss(units: &[Vec<&str>]) -> Result<f64, Undefined> {
    let p_a = percent_agreement(units)?;
    let rated: Vec<&Vec<&str>> = units.iter().filter(|u| !u.is_empty()).collect();
    let mut pi: BTreeMap<&str, f64> = BTreeMap::new();
    for u in &rated {
        for v in u.iter() {
            *pi.entry(v).or_insert(0.0) += 1.0 / u.len() as f64 / rated.len() as f64;
        }
    }
    if pi.len() < 2 {
        return Err(Undefined::NoVariation);
    }
    let p_e: f64 = pi.values().map(|p| p * p).sum();
    Ok((p_a - p_e) / (1.0 - p_e))
}

/// Mean over units with m >= 2 of the mean Jaccard similarity of the sets
/// over ordered pairs of values (J(∅, ∅) = 1).
pub fn mean_jaccard(units: &[Vec<&str>]) -> Result<f64, Undefined> {
    let pairable = pairable(units)?;
    let set = |c: &str| -> BTreeSet<String> {
        c.split('\u{1f}')
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut sum = 0.0;
    for u in &pairable {
        let m = u.len();
        let mut total = 0.0;
        for i in 0..m {
            for j in 0..m {
                if i != j {
                    let (a, b) = (set(u[i]), set(u[j]));
                    let union = a.union(&b).count();
                    let common = a.intersection(&b).count();
                    total += if union == 0 {
                        1.0
                    } else {
                        common as f64 / union as f64
                    };
                }
            }
        }
        sum += total / (m * (m - 1)) as f64;
    }
    Ok(sum / pairable.len() as f64)
}

/// Cohen's κ of two raters' (a, b) values over their common tasks:
/// (unweighted, linear, quadratic) with p_o, p_e and the 1968 weighted form.
pub type Kappas = (
    Result<f64, Undefined>,
    Result<f64, Undefined>,
    Result<f64, Undefined>,
);

/// Cohen's κ from the raw pairs of a and b.
pub fn cohen(pairs: &[(&str, &str)], order: &[String]) -> Kappas {
    if pairs.is_empty() {
        let e = Err(Undefined::NoCommonTasks);
        return (e, e, e);
    }
    let n = pairs.len() as f64;
    let mut rows: BTreeMap<&str, f64> = BTreeMap::new();
    let mut cols: BTreeMap<&str, f64> = BTreeMap::new();
    for &(x, y) in pairs {
        *rows.entry(x).or_insert(0.0) += 1.0;
        *cols.entry(y).or_insert(0.0) += 1.0;
    }
    let p_o = pairs.iter().filter(|(x, y)| x == y).count() as f64 / n;
    let p_e: f64 = rows
        .iter()
        .map(|(c, r)| r * cols.get(c).copied().unwrap_or(0.0))
        .sum::<f64>()
        / (n * n);
    let unweighted = if p_e == 1.0 {
        Err(Undefined::NoVariation)
    } else {
        Ok((p_o - p_e) / (1.0 - p_e))
    };
    let position = |c: &str| order.iter().position(|o| o == c);
    let in_order = pairs
        .iter()
        .all(|(x, y)| position(x).is_some() && position(y).is_some());
    let weighted = |w: &dyn Fn(f64) -> f64| -> Result<f64, Undefined> {
        if !in_order {
            return Err(Undefined::UnorderedCategory);
        }
        let p = |c: &str| position(c).unwrap_or(0) as f64;
        let observed: f64 = pairs.iter().map(|(x, y)| w(p(x) - p(y))).sum::<f64>() / n;
        let mut chance = 0.0;
        for (x, r) in &rows {
            for (y, c) in &cols {
                chance += w(p(x) - p(y)) * r * c / (n * n);
            }
        }
        if chance == 0.0 {
            return Err(Undefined::NoVariation);
        }
        Ok(1.0 - observed / chance)
    };
    (
        unweighted,
        weighted(&|d: f64| d.abs()),
        weighted(&|d: f64| d * d),
    )
}

/// Every annotator pair (a < b) with its raw (a's, b's) values on common tasks.
pub fn annotator_pairs(ratings: &Ratings) -> BTreeMap<(u32, u32), Vec<(&str, &str)>> {
    let annotators: BTreeSet<u32> = ratings.values().flat_map(|t| t.keys().copied()).collect();
    let mut out = BTreeMap::new();
    for &a in &annotators {
        for &b in annotators.range(a + 1..) {
            let common: Vec<(&str, &str)> = ratings
                .values()
                .filter_map(|t| Some((t.get(&a)?.as_str(), t.get(&b)?.as_str())))
                .collect();
            out.insert((a, b), common);
        }
    }
    out
}

/// Light's κ: mean unweighted Cohen over pairs with common tasks.
pub fn light(ratings: &Ratings) -> Result<f64, Undefined> {
    let mut kappas = Vec::new();
    let mut first_reason = None;
    for pairs in annotator_pairs(ratings).values() {
        if pairs.is_empty() {
            continue;
        }
        match cohen(pairs, &[]).0 {
            Ok(k) => kappas.push(k),
            Err(e) => {
                first_reason.get_or_insert(e);
            }
        }
    }
    match (kappas.len(), first_reason) {
        (0, Some(e)) => Err(e),
        (0, None) => Err(Undefined::NoCommonTasks),
        (n, _) => Ok(kappas.iter().sum::<f64>() / n as f64),
    }
}
