//! Label rows of a declared metric and their weights: every combination
//! of the labels' values when they fit, else distinct rows sampled from the
//! generators; each row weighted by its labels' pick weights and chances,
//! normalised to sum to 1 (or left empty for equal shares).

use std::collections::BTreeSet;

use rand_pcg::Pcg64;

use super::DEFAULT_LABEL_SETS;
use crate::lower::sample::{self, Sampled};
use crate::model::{Attr, Dist, Generator, PatternPart};

/// How many distinct values a generator can produce (capped), for label sets.
pub(super) fn domain(g: &Generator) -> usize {
    match g {
        Generator::Const(_) => 1,
        Generator::Pick(e) => e.len().max(1),
        Generator::IntRange(a, b) => usize::try_from(b.saturating_sub(*a).saturating_add(1))
            .unwrap_or(usize::MAX)
            .max(1),
        Generator::Pool { size, .. } => usize::try_from(*size).unwrap_or(usize::MAX).max(1),
        Generator::Bool(_) => 2,
        Generator::Maybe(_, inner) => domain(inner).saturating_add(1),
        _ => DEFAULT_LABEL_SETS,
    }
}

/// At most how many distinct values a generator can produce, `None` when
/// there is no useful bound (a float range or a continuous distribution).
/// `labels` are the metric's other labels, which `{name}` in a pattern
/// borrows from.
pub(crate) fn most_values(g: &Generator, labels: &[Attr]) -> Option<f64> {
    bound(g, labels, 0)
}

/// [`most_values`], `depth` patterns deep in `{name}` borrowing (a chain
/// longer than the labels is a cycle, and unbounded).
fn bound(g: &Generator, labels: &[Attr], depth: usize) -> Option<f64> {
    Some(match g {
        Generator::Const(_) => 1.0,
        Generator::Pick(e) => e.len() as f64,
        Generator::IntRange(a, b) => (*b as f64 - *a as f64 + 1.0).max(1.0),
        Generator::FloatRange(a, b) if a == b => 1.0,
        Generator::Pattern(parts) => {
            pattern_bound(parts, sample::counter_space(parts) as f64, labels, depth)?
        }
        Generator::Pool { size, pattern } => {
            pattern_bound(pattern, (*size as f64).max(1.0), labels, depth)?
        }
        Generator::Bool(_) => 2.0,
        Generator::Dist(Dist::Constant(_)) => 1.0,
        Generator::Dist(Dist::Pick(e)) => e.len() as f64,
        // Left out (one more "value") only when its chance is below 1.
        Generator::Maybe(p, inner) if *p >= 1.0 => bound(inner, labels, depth)?,
        Generator::Maybe(p, _) if *p <= 0.0 => 1.0,
        Generator::Maybe(_, inner) => bound(inner, labels, depth)? + 1.0,
        _ => return None,
    })
}

/// At most how many texts a pattern makes: `counter` values of `{n}` (one
/// counter, however often it appears), times its random parts, times the
/// labels it borrows.
fn pattern_bound(
    parts: &[PatternPart],
    counter: f64,
    labels: &[Attr],
    depth: usize,
) -> Option<f64> {
    let counted = parts.iter().any(|p| matches!(p, PatternPart::Counter(_)));
    let mut most = if counted { counter } else { 1.0 };
    for p in parts {
        most *= match p {
            PatternPart::Lit(_) | PatternPart::Counter(_) => 1.0,
            PatternPart::Hex(k) => 16f64.powi(i32::from(*k)),
            PatternPart::Uuid => 2f64.powi(122),
            PatternPart::Attr(name) if depth < labels.len() => {
                let other = labels.iter().find(|l| &l.key == name)?;
                bound(&other.value, labels, depth + 1)?
            }
            PatternPart::Attr(_) => return None,
        };
    }
    Some(most)
}

/// Every value a label can take, when it is a short list.
fn values(g: &Generator) -> Option<Vec<Sampled>> {
    Some(match g {
        Generator::Const(s) => vec![sample::scalar(s)],
        Generator::Pick(e) => e.iter().map(|(s, _)| sample::scalar(s)).collect(),
        Generator::Bool(_) => vec![Sampled::Bool(true), Sampled::Bool(false)],
        Generator::IntRange(a, b) if b.saturating_sub(*a) < 1000 => {
            (*a..=*b).map(Sampled::Int).collect()
        }
        _ => return None,
    })
}

/// Every combination of the labels' values, in declaration order, when
/// they are all short lists and there are at most `n` combinations.
fn all_rows(labels: &[Attr], n: usize) -> Option<Vec<Vec<Sampled>>> {
    let lists: Vec<Vec<Sampled>> = labels
        .iter()
        .map(|l| values(&l.value))
        .collect::<Option<_>>()?;
    let total = lists
        .iter()
        .try_fold(1usize, |a, l| a.checked_mul(l.len()))?;
    if total > n {
        return None;
    }
    let mut rows: Vec<Vec<Sampled>> = vec![Vec::new()];
    for list in &lists {
        rows = rows
            .iter()
            .flat_map(|r| {
                list.iter().map(move |v| {
                    let mut r = r.clone();
                    r.push(v.clone());
                    r
                })
            })
            .collect();
    }
    Some(rows)
}

/// `n` distinct label rows: every combination when they fit, else
/// sampled from the generators.
pub(super) fn label_rows(rng: &mut Pcg64, labels: &[Attr], n: usize) -> Vec<Vec<Sampled>> {
    if let Some(rows) = all_rows(labels, n) {
        return rows;
    }
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for _ in 0..n.saturating_mul(20).max(1) {
        if rows.len() >= n {
            break;
        }
        let mut row: Vec<(String, Sampled)> = Vec::new();
        for a in labels {
            let lookup = |k: &str| row.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
            let v = sample::generate(rng, &a.value, &lookup).unwrap_or(Sampled::Str(String::new()));
            row.push((a.key.clone(), v));
        }
        let key: Vec<String> = row.iter().map(|(_, v)| v.text()).collect();
        if seen.insert(key) {
            rows.push(row.into_iter().map(|(_, v)| v).collect());
        }
    }
    if rows.len() < n {
        enumerate_rest(labels, n, &mut seen, &mut rows);
    }
    rows
}

/// Tops `rows` up to `n` with combinations not seen yet, in declaration
/// order, when every label is a short list (heavily skewed weights can
/// leave sampling short of combinations that exist). At most `2n` steps:
/// fewer than `n` combinations are already taken.
fn enumerate_rest(
    labels: &[Attr],
    n: usize,
    seen: &mut BTreeSet<Vec<String>>,
    rows: &mut Vec<Vec<Sampled>>,
) {
    let Some(lists) = labels
        .iter()
        .map(|l| values(&l.value).filter(|v| !v.is_empty()))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let mut at = vec![0usize; lists.len()];
    loop {
        let row: Vec<Sampled> = lists
            .iter()
            .zip(&at)
            .filter_map(|(l, &i)| l.get(i).cloned())
            .collect();
        if seen.insert(row.iter().map(Sampled::text).collect()) {
            rows.push(row);
            if rows.len() >= n {
                return;
            }
        }
        // The next combination, the last label turning fastest.
        let mut k = lists.len();
        loop {
            let Some(j) = k.checked_sub(1) else {
                return;
            };
            k = j;
            let len = lists.get(j).map_or(0, Vec::len);
            if let Some(i) = at.get_mut(j) {
                *i += 1;
                if *i < len {
                    break;
                }
                *i = 0;
            }
        }
    }
}

/// What `label_rows` puts in a row for a label a `maybe` left out.
fn absent() -> Sampled {
    Sampled::Str(String::new())
}

/// Whether a generator's values have probabilities of their own (a
/// constant, a pick, a chance, a picked number, a `maybe`), rather than
/// being equally likely.
fn weighted(g: &Generator) -> bool {
    matches!(
        g,
        Generator::Const(_)
            | Generator::Pick(_)
            | Generator::Bool(_)
            | Generator::Dist(Dist::Pick(_))
            | Generator::Maybe(..)
    )
}

/// The share of a weighted choice that the matching entries have: their
/// weight over the total (1 when the weights are unusable, so the choice
/// counts as equal shares).
fn pick_share(entries: impl Iterator<Item = (bool, f64)>) -> f64 {
    let (mut matched, mut total) = (0.0, 0.0);
    for (hit, w) in entries {
        total += w;
        if hit {
            matched += w;
        }
    }
    if total.is_finite() && total > 0.0 {
        matched / total
    } else {
        1.0
    }
}

/// A probability as sampling uses it: clamped to 0..=1 (a non-finite one
/// counts as 1/2).
fn chance(p: f64) -> f64 {
    if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// How likely generator `g` is to give `v`, up to a factor that is the
/// same for every row: a pick's matching weight over its total, a chance's
/// probability, 1 for a constant; values of a generator without weights (a
/// range, a pool, a pattern, a distribution) are equally likely, one of
/// the `distinct` present values seen; a `maybe` mixes its inner share with
/// the chance of being left out.
fn share(g: &Generator, v: &Sampled, distinct: usize) -> f64 {
    match g {
        Generator::Const(c) => {
            if sample::scalar(c) == *v {
                1.0
            } else {
                0.0
            }
        }
        Generator::Pick(entries) => {
            pick_share(entries.iter().map(|(c, w)| (sample::scalar(c) == *v, *w)))
        }
        Generator::Bool(p) => {
            let p = chance(*p);
            match v {
                Sampled::Bool(true) => p,
                Sampled::Bool(false) => 1.0 - p,
                _ => 0.0,
            }
        }
        Generator::Dist(Dist::Pick(entries)) => {
            pick_share(entries.iter().map(|(x, w)| (Sampled::Float(*x) == *v, *w)))
        }
        Generator::Maybe(p, inner) => {
            let p = chance(*p);
            let left_out = *v == absent();
            let present = if left_out && !weighted(inner) {
                0.0
            } else {
                share(inner, v, distinct)
            };
            p * present + if left_out { 1.0 - p } else { 0.0 }
        }
        _ => 1.0 / distinct.max(1) as f64,
    }
}

/// Each label row's unnormalised weight: the product over its labels of
/// [`share`]. `distinct` for a label is the number of different values
/// (other than "left out") it has across `rows`.
pub(super) fn label_weights(labels: &[Attr], rows: &[Vec<Sampled>]) -> Vec<f64> {
    let distinct: Vec<usize> = (0..labels.len())
        .map(|j| {
            rows.iter()
                .filter_map(|r| r.get(j))
                .filter(|v| **v != absent())
                .map(Sampled::text)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .collect();
    rows.iter()
        .map(|row| {
            labels
                .iter()
                .zip(row)
                .zip(&distinct)
                .map(|((l, v), &d)| share(&l.value, v, d))
                .product()
        })
        .collect()
}

/// Normalises row weights to sum to 1. Empty (equal shares) when they are
/// all the same, or when they cannot be normalised (none, or a total that
/// is zero or not finite).
pub(super) fn normalise(raw: &[f64]) -> Vec<f64> {
    let Some(&first) = raw.first() else {
        return Vec::new();
    };
    if raw.iter().all(|&w| w == first) {
        return Vec::new();
    }
    let total: f64 = raw.iter().sum();
    let usable = raw.iter().all(|w| w.is_finite() && *w >= 0.0);
    if !(usable && total.is_finite() && total > 0.0) {
        return Vec::new();
    }
    let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
    let sum: f64 = weights.iter().sum();
    if (sum - 1.0).abs() <= 1e-9 {
        weights
    } else {
        Vec::new()
    }
}
