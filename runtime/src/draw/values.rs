//! Drawing values: a [`Sampler`] per distribution (built once at plan
//! time), drawn values ([`DVal`]), and the generated attributes of
//! [`super::gen`], re-exported here.

use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto};
use rand_pcg::Pcg64;
use tsim_pack::{AttrValue, Dist, StrId};

pub use super::gen::{draw_attrs, draw_text, GenCtx, Lookup, NoLookup};

/// A distribution ready to draw from.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Always this.
    Constant(f64),
    /// Uniform in [lo, hi].
    Uniform(f64, f64),
    /// Gaussian.
    Normal(Normal<f64>),
    /// Log-normal.
    LogNormal(LogNormal<f64>),
    /// Exponential.
    Exp(Exp<f64>),
    /// Pareto.
    Pareto(Pareto<f64>),
    /// Weighted values: (value, cumulative weight).
    Pick(Vec<(f64, f64)>),
}

impl Sampler {
    /// Builds a sampler; the pack validated the parameters, so a constructor
    /// failure cannot happen, and falls back to the distribution's centre.
    pub fn new(d: &Dist) -> Sampler {
        match *d {
            Dist::Constant(v) => Sampler::Constant(v),
            Dist::Uniform { min, max } => Sampler::Uniform(min, max),
            Dist::Normal { mean, sd } => {
                Normal::new(mean, sd).map_or(Sampler::Constant(mean), Sampler::Normal)
            }
            Dist::LogNormal { mu, sigma } => {
                LogNormal::new(mu, sigma).map_or(Sampler::Constant(mu.exp()), Sampler::LogNormal)
            }
            Dist::Exponential { mean } if mean > 0.0 => {
                Exp::new(1.0 / mean).map_or(Sampler::Constant(mean), Sampler::Exp)
            }
            Dist::Exponential { .. } => Sampler::Constant(0.0),
            Dist::Pareto { scale, shape } => {
                Pareto::new(scale, shape).map_or(Sampler::Constant(scale), Sampler::Pareto)
            }
            Dist::Pick(ref entries) => {
                let mut acc = 0.0;
                Sampler::Pick(
                    entries
                        .iter()
                        .map(|&(v, w)| {
                            acc += w;
                            (v, acc)
                        })
                        .collect(),
                )
            }
        }
    }

    /// One draw.
    #[inline]
    pub fn draw(&self, rng: &mut Pcg64) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform(lo, hi) => between(rng, *lo, *hi),
            Sampler::Normal(n) => n.sample(rng),
            Sampler::LogNormal(n) => n.sample(rng),
            Sampler::Exp(e) => e.sample(rng),
            Sampler::Pareto(p) => p.sample(rng),
            Sampler::Pick(cum) => {
                let total = cum.last().map_or(0.0, |c| c.1);
                let x = rng.random::<f64>() * total;
                let i = cum
                    .partition_point(|c| c.1 <= x)
                    .min(cum.len().saturating_sub(1));
                cum.get(i).map_or(0.0, |c| c.0)
            }
        }
    }

    /// A draw as a non-negative duration in nanoseconds (latencies cannot
    /// be negative: a normal's rare negative draws mean "no time").
    #[inline]
    pub fn nanos(&self, rng: &mut Pcg64) -> u64 {
        secs_to_nanos(self.draw(rng))
    }

    /// A draw as a repeat count: rounded, never negative.
    pub fn count(&self, rng: &mut Pcg64) -> u64 {
        let v = self.draw(rng).round();
        if v.is_finite() && v > 0.0 {
            v.min(u32::MAX as f64) as u64
        } else {
            0
        }
    }
}

/// Uniform in [lo, hi] (see [`tsim_pack::uniform`]).
#[inline]
pub fn between(rng: &mut Pcg64, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    tsim_pack::uniform(lo, hi, rng.random::<f64>())
}

/// Seconds to whole nanoseconds; negative and non-finite values are 0.
#[inline]
pub fn secs_to_nanos(secs: f64) -> u64 {
    let ns = secs * 1e9;
    if ns.is_finite() && ns > 0.0 {
        ns.min(u64::MAX as f64) as u64
    } else {
        0
    }
}

/// A drawn attribute value. Text lives in the trace's arena.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DVal {
    /// A string from the pack's table.
    Str(StrId),
    /// Text in the arena: (start, end) byte offsets.
    Text(u32, u32),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl From<AttrValue> for DVal {
    fn from(v: AttrValue) -> DVal {
        match v {
            AttrValue::Str(s) => DVal::Str(s),
            AttrValue::Int(i) => DVal::Int(i),
            AttrValue::Float(f) => DVal::Float(f),
            AttrValue::Bool(b) => DVal::Bool(b),
        }
    }
}

/// One drawn attribute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drawn {
    /// Its name.
    pub key: StrId,
    /// Its value.
    pub value: DVal,
}

/// Bernoulli draw that accepts any probability the pack validated.
#[inline]
pub fn chance(rng: &mut Pcg64, p: f64) -> bool {
    if p <= 0.0 {
        false
    } else if p >= 1.0 {
        true
    } else {
        rng.random::<f64>() < p
    }
}

/// The OpenTelemetry severity number of a level (0 when unknown).
pub fn severity(level: &str) -> u8 {
    const LEVELS: [(&str, u8); 8] = [
        ("TRACE", 1),
        ("DEBUG", 5),
        ("INFO", 9),
        ("WARN", 13),
        ("WARNING", 13),
        ("ERROR", 17),
        ("FATAL", 21),
        ("CRITICAL", 21),
    ];
    LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(level))
        .map_or(0, |l| l.1)
}
