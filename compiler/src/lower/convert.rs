//! Model values to pack values: distributions, attribute generators,
//! patterns, error models, step options and attribute lists, with every
//! string interned.
//! These are one-to-one: the runtime draws from what the model declared.

use tsim_pack::{Attr as PackAttr, Dist, ErrorModel, Gen, GenAttr, OnError, Part, StepOptions};

use super::sample::nanos;
use super::Builder;
use crate::model::{self, Attr, Generator, PatternPart};

/// A model distribution as a pack distribution.
pub fn dist(d: &model::Dist) -> Dist {
    d.clone()
}

/// A pattern's parts, literal text and attribute names interned.
pub fn parts(b: &mut Builder, parts: &[PatternPart]) -> Vec<Part> {
    parts
        .iter()
        .map(|p| match p {
            PatternPart::Lit(s) => Part::Lit(b.str(s)),
            PatternPart::Counter(w) => Part::Counter(*w),
            PatternPart::Hex(w) => Part::Hex(*w),
            PatternPart::Uuid => Part::Uuid,
            PatternPart::Attr(name) => Part::Attr(b.str(name)),
        })
        .collect()
}

/// An attribute generator as a pack generator.
pub fn gen(b: &mut Builder, g: &Generator) -> Gen {
    match g {
        Generator::Const(s) => Gen::Const(b.scalar(s)),
        Generator::Pick(entries) => {
            Gen::Pick(entries.iter().map(|(s, w)| (b.scalar(s), *w)).collect())
        }
        Generator::IntRange(lo, hi) => Gen::IntRange(*lo, *hi),
        Generator::FloatRange(lo, hi) => Gen::FloatRange(*lo, *hi),
        Generator::Pattern(p) => Gen::Pattern(parts(b, p)),
        Generator::Pool { size, pattern } => Gen::Pool {
            size: *size,
            pattern: parts(b, pattern),
        },
        Generator::Bool(p) => Gen::Bool(*p),
        Generator::Dist(d) => Gen::Dist(dist(d)),
        Generator::Maybe(p, inner) => Gen::Maybe(*p, Box::new(gen(b, inner))),
    }
}

/// An `errors` statement as an error model.
pub fn errors(b: &mut Builder, e: &model::Errors) -> ErrorModel {
    ErrorModel {
        rate: e.rate,
        status: e.status.as_ref().map(|g| gen(b, g)),
        error_type: e.error_type.as_ref().map(|g| gen(b, g)),
    }
}

/// A step's options; the timeout in nanoseconds.
pub fn options(o: &model::StepOptions) -> StepOptions {
    StepOptions {
        chance: o.chance,
        retries: o.retries,
        timeout_ns: o.timeout.map(nanos),
        repeat: dist(&o.repeat),
        on_error: match o.on_error {
            model::OnError::Fail => OnError::Fail,
            model::OnError::Ignore => OnError::Ignore,
        },
    }
}

/// The attribute lists applied in order: a later key replaces an earlier
/// one's value in its place.
pub fn merged<'a>(lists: &[&'a [Attr]]) -> Vec<&'a Attr> {
    let mut out: Vec<&Attr> = Vec::new();
    for a in lists.iter().flat_map(|l| l.iter()) {
        match out.iter_mut().find(|x| x.key == a.key) {
            Some(slot) => *slot = a,
            None => out.push(a),
        }
    }
    out
}

/// Splits attributes into the constant set and the generated ones (in order).
pub fn split(b: &mut Builder, attrs: &[&Attr]) -> (u32, Vec<GenAttr>) {
    let mut consts = Vec::new();
    let mut gens = Vec::new();
    for a in attrs {
        let key = b.str(&a.key);
        match &a.value {
            Generator::Const(s) => consts.push(PackAttr {
                key,
                value: b.scalar(s),
            }),
            g => gens.push(GenAttr {
                key,
                gen: gen(b, g),
            }),
        }
    }
    (b.set_of(consts), gens)
}
