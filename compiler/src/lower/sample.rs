//! Seeded sampling of the model's distributions and generators. Every
//! component gets its own PCG stream derived from the scenario seed and a
//! stable name, so editing one endpoint does not reshuffle the others.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto};
use rand_pcg::Pcg64;

use crate::model::{Dist, Generator, PatternPart, Scalar};

/// FNV-1a: a stable 64-bit hash of a name (never `std`'s randomised hasher).
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xFF)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    h
}

/// The generator for one component of a scenario.
pub fn rng(seed: u64, parts: &[&str]) -> Pcg64 {
    Pcg64::seed_from_u64(seed ^ stable_hash(parts))
}

/// A sampled attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampled {
    /// Text.
    Str(String),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
}

/// A constant attribute value as a sampled one.
pub fn scalar(s: &Scalar) -> Sampled {
    match s {
        Scalar::Str(v) => Sampled::Str(v.clone()),
        Scalar::Int(v) => Sampled::Int(*v),
        Scalar::Float(v) => Sampled::Float(*v),
        Scalar::Bool(v) => Sampled::Bool(*v),
    }
}

/// Index of a weighted choice.
pub fn pick_index(rng: &mut Pcg64, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    if total <= 0.0 {
        return 0;
    }
    let mut x = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        last = i;
        if x < w {
            return i;
        }
        x -= w;
    }
    last
}

/// Uniform in [lo, hi] (see [`tsim_pack::uniform`]).
pub fn between(rng: &mut Pcg64, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    tsim_pack::uniform(lo, hi, rng.random::<f64>())
}

/// Draws from a distribution (never NaN; clamped to be finite).
pub fn draw(rng: &mut Pcg64, d: &Dist) -> f64 {
    let v = match d {
        Dist::Constant(v) => *v,
        Dist::Uniform { min, max } => between(rng, *min, *max),
        Dist::Normal { mean, sd } => Normal::new(*mean, sd.abs()).map_or(*mean, |n| n.sample(rng)),
        Dist::LogNormal { mu, sigma } => {
            LogNormal::new(*mu, sigma.abs()).map_or(mu.exp(), |n| n.sample(rng))
        }
        Dist::Exponential { mean } if *mean > 0.0 => {
            Exp::new(1.0 / mean).map_or(*mean, |e| e.sample(rng))
        }
        Dist::Exponential { .. } => 0.0,
        Dist::Pareto { scale, shape } => {
            Pareto::new(*scale, *shape).map_or(*scale, |p| p.sample(rng))
        }
        Dist::Pick(entries) => {
            let i = pick_index(rng, entries.iter().map(|e| e.1));
            entries.get(i).map_or(0.0, |e| e.0)
        }
    };
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Fills a pattern; `n` is the counter, `lookup` resolves `{attribute}`.
pub fn fill(
    rng: &mut Pcg64,
    parts: &[PatternPart],
    n: u64,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            PatternPart::Lit(s) => out.push_str(s),
            PatternPart::Counter(w) => {
                out.push_str(&format!("{n:0width$}", width = usize::from(*w)))
            }
            PatternPart::Hex(k) => {
                for _ in 0..*k {
                    let d: u32 = rng.random_range(0..16);
                    out.push(char::from_digit(d, 16).unwrap_or('0'));
                }
            }
            PatternPart::Uuid => {
                let a: u128 = rng.random();
                let a = (a & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
                let h = format!("{a:032x}");
                out.push_str(&format!(
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                ));
            }
            PatternPart::Attr(name) => match lookup(name) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// How many values `{n}` takes in a pattern that is not a pool.
pub(crate) fn counter_space(parts: &[PatternPart]) -> u64 {
    let width = parts
        .iter()
        .filter_map(|p| {
            if let PatternPart::Counter(w) = p {
                Some(*w)
            } else {
                None
            }
        })
        .max()
        .unwrap_or(0);
    10u64.saturating_pow(u32::from(width.clamp(4, 12)))
}

/// Samples a generator; `None` when a `maybe` left the attribute out.
pub fn generate(
    rng: &mut Pcg64,
    g: &Generator,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<Sampled> {
    Some(match g {
        Generator::Const(s) => scalar(s),
        Generator::Pick(entries) => {
            let i = pick_index(rng, entries.iter().map(|e| e.1));
            entries
                .get(i)
                .map_or(Sampled::Bool(false), |e| scalar(&e.0))
        }
        Generator::IntRange(a, b) => {
            Sampled::Int(if b > a { rng.random_range(*a..=*b) } else { *a })
        }
        Generator::FloatRange(a, b) => Sampled::Float(between(rng, *a, *b)),
        Generator::Pattern(parts) => {
            let n = rng.random_range(0..counter_space(parts));
            Sampled::Str(fill(rng, parts, n, lookup))
        }
        Generator::Pool { size, pattern } => {
            let n = rng.random_range(0..(*size).max(1));
            Sampled::Str(fill(rng, pattern, n, lookup))
        }
        Generator::Bool(p) => Sampled::Bool(rng.random_bool(p.clamp(0.0, 1.0))),
        Generator::Dist(d) => Sampled::Float(draw(rng, d)),
        Generator::Maybe(p, inner) => {
            if rng.random_bool(p.clamp(0.0, 1.0)) {
                return generate(rng, inner, lookup);
            }
            return None;
        }
    })
}

impl Sampled {
    /// As display text (for message placeholders).
    pub fn text(&self) -> String {
        match self {
            Sampled::Str(s) => s.clone(),
            Sampled::Int(i) => i.to_string(),
            Sampled::Float(f) => format!("{f:.3}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
            Sampled::Bool(b) => b.to_string(),
        }
    }
}

/// Seconds to whole nanoseconds, never negative.
pub fn nanos(secs: f64) -> u64 {
    let ns = (secs * 1e9).round();
    if ns.is_finite() && ns > 0.0 {
        ns.min(u64::MAX as f64) as u64
    } else {
        0
    }
}
