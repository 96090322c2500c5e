//! Generated attribute values: picks, ranges, patterns (`{n:05}`,
//! `{hex:8}`, `{uuid}`, `{attribute}`), pools and `maybe`, written into a
//! per-trace text arena so that drawing a UUID or a pooled id allocates
//! nothing.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use tsim_pack::{Attr, AttrValue, Gen, GenAttr, Pack, Part, StrId};

use super::values::{between, chance, DVal, Drawn, Sampler};

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
                if pattern
                    .iter()
                    .any(|p| matches!(p, Part::Hex(_) | Part::Uuid))
                {
                    let mut per_id = Pcg64::seed_from_u64(crate::streams::mix(n ^ 0x706f_6f6c));
                    self.text_of(&mut per_id, pattern, n, arena, lookup)
                } else {
                    self.text_of(rng, pattern, n, arena, lookup)
                }
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
pub(super) struct RecordAttrs<'x> {
    pub(super) pack: &'x Pack,
    pub(super) constant: &'x [Attr],
    pub(super) drawn: &'x [Drawn],
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
