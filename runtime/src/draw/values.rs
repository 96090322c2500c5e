//! Drawing values: a [`Sampler`] per distribution (built once at plan
//! time), and generated attribute values written into a per-trace text
//! arena so that drawing a UUID or a pooled id allocates nothing.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto};
use rand_pcg::Pcg64;
use tsim_pack::{Attr, AttrValue, Dist, Gen, GenAttr, Pack, Part, StrId};

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

/// Uniform in [lo, hi]: `lo + (hi - lo) * u` computed so that it stays
/// finite even when `hi - lo` overflows (`-1e308..1e308`).
#[inline]
pub fn between(rng: &mut Pcg64, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    let u = rng.random::<f64>();
    let v = if (hi - lo).is_finite() {
        lo + (hi - lo) * u
    } else {
        lo * (1.0 - u) + hi * u
    };
    v.min(hi)
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

fn pick<'g>(rng: &mut Pcg64, entries: &'g [(AttrValue, f64)]) -> Option<&'g AttrValue> {
    let total: f64 = entries.iter().map(|e| e.1).sum();
    let mut x = rng.random::<f64>() * total;
    for (v, w) in entries {
        if x < *w {
            return Some(v);
        }
        x -= w;
    }
    entries.last().map(|e| &e.0)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(arena: &mut String, mut bits: u128, digits: usize) {
    for _ in 0..digits {
        arena.push(HEX[(bits & 15) as usize] as char);
        bits >>= 4;
    }
}

fn push_uuid(rng: &mut Pcg64, arena: &mut String) {
    let a: u128 = rng.random();
    // Version 4, variant 10xx.
    let a = (a & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    for (i, shift) in [(8, 96), (4, 80), (4, 64), (4, 48), (12, 0)]
        .iter()
        .enumerate()
    {
        if i > 0 {
            arena.push('-');
        }
        let chunk = a >> shift.1;
        for k in (0..shift.0).rev() {
            arena.push(HEX[((chunk >> (4 * k)) & 15) as usize] as char);
        }
    }
}

fn push_counter(arena: &mut String, n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut v = n;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in len..width {
        arena.push('0');
    }
    for d in digits[..len].iter().rev() {
        arena.push(*d as char);
    }
}

/// Where `{attribute}` placeholders of patterns find their values.
pub trait Lookup {
    /// Appends the text of attribute `key` to `arena`; false when absent.
    fn append(&self, key: StrId, arena: &mut String) -> bool;
}

/// Draws generators for one span or record.
pub struct GenCtx<'a> {
    /// The pack (for strings).
    pub pack: &'a Pack,
}

impl GenCtx<'_> {
    fn fill(
        &self,
        rng: &mut Pcg64,
        parts: &[Part],
        n: u64,
        arena: &mut String,
        lookup: &dyn Lookup,
    ) {
        for p in parts {
            match *p {
                Part::Lit(s) => arena.push_str(self.text(s)),
                Part::Counter(w) => push_counter(arena, n, usize::from(w)),
                Part::Hex(k) => {
                    let mut left = usize::from(k);
                    while left > 0 {
                        let take = left.min(32);
                        push_hex(arena, rng.random(), take);
                        left -= take;
                    }
                }
                Part::Uuid => push_uuid(rng, arena),
                Part::Attr(key) => {
                    if !lookup.append(key, arena) {
                        arena.push('{');
                        arena.push_str(self.text(key));
                        arena.push('}');
                    }
                }
            }
        }
    }

    fn text(&self, s: StrId) -> &str {
        self.pack.strings.get(s as usize).map_or("", String::as_str)
    }

    /// Draws `gen`; `None` when a `maybe` left the attribute out.
    pub fn draw(
        &self,
        rng: &mut Pcg64,
        gen: &Gen,
        arena: &mut String,
        lookup: &dyn Lookup,
    ) -> Option<DVal> {
        Some(match gen {
            Gen::Const(v) => (*v).into(),
            Gen::Pick(entries) => (*pick(rng, entries)?).into(),
            Gen::IntRange(a, b) => DVal::Int(if b > a { rng.random_range(*a..=*b) } else { *a }),
            Gen::FloatRange(a, b) => DVal::Float(between(rng, *a, *b)),
            Gen::Pattern(parts) => {
                let n = rng.random_range(0..counter_space(parts));
                self.text_of(rng, parts, n, arena, lookup)
            }
            Gen::Pool { size, pattern } => {
                let n = rng.random_range(0..(*size).max(1));
                // Random parts of a pooled id are a function of its number,
                // so the pool has exactly `size` values.
                let mut per_id = Pcg64::seed_from_u64(crate::streams::mix(n ^ 0x706f_6f6c));
                self.text_of(&mut per_id, pattern, n, arena, lookup)
            }
            Gen::Bool(p) => DVal::Bool(chance(rng, *p)),
            Gen::Dist(d) => DVal::Float(Sampler::new(d).draw(rng)),
            Gen::Maybe(p, inner) => {
                if chance(rng, *p) {
                    return self.draw(rng, inner, arena, lookup);
                }
                return None;
            }
        })
    }

    fn text_of(
        &self,
        rng: &mut Pcg64,
        parts: &[Part],
        n: u64,
        arena: &mut String,
        lookup: &dyn Lookup,
    ) -> DVal {
        let start = arena.len() as u32;
        self.fill(rng, parts, n, arena, lookup);
        DVal::Text(start, arena.len() as u32)
    }
}

/// The attributes of one span or record while they are drawn: constant
/// ones, then those drawn so far (for `{attribute}` in patterns).
struct RecordAttrs<'x> {
    pack: &'x Pack,
    constant: &'x [Attr],
    drawn: &'x [Drawn],
}

impl Lookup for RecordAttrs<'_> {
    fn append(&self, key: StrId, arena: &mut String) -> bool {
        let value = self
            .drawn
            .iter()
            .rev()
            .find(|d| d.key == key)
            .map(|d| d.value)
            .or_else(|| {
                self.constant
                    .iter()
                    .find(|a| a.key == key)
                    .map(|a| a.value.into())
            });
        let Some(v) = value else {
            return false;
        };
        let mut piece = String::new();
        crate::sink::value::write_dval(&mut piece, self.pack, arena, v);
        arena.push_str(&piece);
        true
    }
}

/// Draws `gens` for one span or record, appending to `drawn` (and their
/// text to `text`); returns the range of `drawn` they took.
pub fn draw_attrs(
    pack: &Pack,
    rng: &mut Pcg64,
    constant: u32,
    gens: &[GenAttr],
    drawn: &mut Vec<Drawn>,
    text: &mut String,
) -> (u32, u32) {
    let first = drawn.len();
    if gens.is_empty() {
        return (first as u32, first as u32);
    }
    let ctx = GenCtx { pack };
    let constant = pack
        .attr_sets
        .get(constant as usize)
        .map_or(&[][..], Vec::as_slice);
    for g in gens {
        let lookup = RecordAttrs {
            pack,
            constant,
            drawn: &drawn[first..],
        };
        if let Some(value) = ctx.draw(rng, &g.gen, text, &lookup) {
            drawn.push(Drawn { key: g.key, value });
        }
    }
    (first as u32, drawn.len() as u32)
}

/// Draws a text generator (a level or a message template): its string id.
pub fn draw_text(pack: &Pack, rng: &mut Pcg64, gen: &Gen) -> Option<StrId> {
    let mut arena = String::new();
    match (GenCtx { pack }).draw(rng, gen, &mut arena, &NoLookup)? {
        DVal::Str(s) => Some(s),
        _ => None,
    }
}

/// No attributes to look up.
pub struct NoLookup;

impl Lookup for NoLookup {
    fn append(&self, _: StrId, _: &mut String) -> bool {
        false
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

/// `{n}` in a plain pattern is drawn from 0..10^width, with width at least
/// 4 and at most 12 (the widths the checker accepts for patterns).
fn counter_space(parts: &[Part]) -> u64 {
    let width = parts
        .iter()
        .filter_map(|p| match p {
            Part::Counter(w) => Some(*w),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    10u64.saturating_pow(u32::from(width.clamp(4, 12)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    struct NoAttrs;
    impl Lookup for NoAttrs {
        fn append(&self, _: StrId, _: &mut String) -> bool {
            false
        }
    }

    #[test]
    fn uuids_are_version_4_and_counters_are_padded() {
        let pack = Pack::default();
        let ctx = GenCtx { pack: &pack };
        let mut rng = Pcg64::seed_from_u64(1);
        let mut arena = String::new();
        let v = ctx.draw(
            &mut rng,
            &Gen::Pattern(vec![Part::Uuid]),
            &mut arena,
            &NoAttrs,
        );
        let Some(DVal::Text(a, b)) = v else {
            panic!("not text: {v:?}")
        };
        let u = &arena[a as usize..b as usize];
        assert_eq!(u.len(), 36, "{u}");
        assert_eq!(&u[14..15], "4", "{u}");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        let mut s = String::new();
        push_counter(&mut s, 42, 5);
        assert_eq!(s, "00042");
    }
}
