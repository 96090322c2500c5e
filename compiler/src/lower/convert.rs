//! Model values to pack values: distributions, attribute generators,
//! patterns, error models and step options, with every string interned.
//! These are one-to-one: the runtime draws from what the model declared.

use tsim_pack::{Dist, ErrorModel, Gen, OnError, Part, StepOptions};

use super::sample::nanos;
use super::Builder;
use crate::model::{self, Generator, PatternPart};

/// A model distribution as a pack distribution.
pub fn dist(d: &model::Dist) -> Dist {
    match d {
        model::Dist::Constant(v) => Dist::Constant(*v),
        model::Dist::Uniform { min, max } => Dist::Uniform {
            min: *min,
            max: *max,
        },
        model::Dist::Normal { mean, sd } => Dist::Normal {
            mean: *mean,
            sd: *sd,
        },
        model::Dist::LogNormal { mu, sigma } => Dist::LogNormal {
            mu: *mu,
            sigma: *sigma,
        },
        model::Dist::Exponential { mean } => Dist::Exponential { mean: *mean },
        model::Dist::Pareto { scale, shape } => Dist::Pareto {
            scale: *scale,
            shape: *shape,
        },
        model::Dist::Pick(entries) => Dist::Pick(entries.clone()),
    }
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
