//! Typed reading of values: each `expect_*` turns an AST value (after
//! substituting params) into the model's type for one place, reporting a
//! unit mismatch, an out-of-range value, or a bad function call.

use std::collections::BTreeMap;

use crate::ast::{Arg, Name, Quantity, Unit, Value, ValueKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Dist, Generator, Level, PatternPart, Process, Scalar};
use crate::source::{SourceMap, Span};
use crate::suggest;

/// Reads values for the checker; collects diagnostics.
/// The longest duration anywhere in a scenario: 100 years (the runtime
/// counts time in nanoseconds in 64 bits, about 292 years; a longer value
/// was silently cut to 0).
pub const MAX_DURATION_S: f64 = 36_500.0 * 86_400.0;

pub struct Values<'a> {
    /// Where diagnostics go.
    pub diags: Vec<Diagnostic>,
    params: &'a BTreeMap<String, Value>,
    sources: &'a SourceMap,
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Number => "a number",
        Unit::Duration => "a duration",
        Unit::Rate => "a rate",
        Unit::Size => "a size",
        Unit::Percent => "a percentage",
        Unit::Multiplier => "a multiplier",
    }
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Formats a number without trailing noise: `0.5`, `3`, `1e-9`.
pub fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl<'a> Values<'a> {
    /// A reader over `params` (already overridden by `--set`).
    pub fn new(params: &'a BTreeMap<String, Value>, sources: &'a SourceMap) -> Self {
        Values {
            diags: Vec::new(),
            params,
            sources,
        }
    }

    /// Records an error.
    pub fn error(&mut self, kind: Kind, span: Span) {
        self.diags.push(Diagnostic::error(kind, span));
    }

    /// The source text under a span.
    pub fn text(&self, span: Span) -> String {
        self.sources.text(span).to_string()
    }

    /// What a value is, for "found ..." messages.
    pub fn describe(&self, v: &Value) -> String {
        let what = match &v.node {
            ValueKind::Quantity(q) | ValueKind::Approx(q) => unit_name(q.unit),
            ValueKind::Str(_) => "a string",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Ident(_) => "a name",
            ValueKind::Param(_) => "a param",
            ValueKind::Instant { .. } => "an instant",
            ValueKind::TimeOfDay(_) => "a time of day",
            ValueKind::Window(..) => "a time window",
            ValueKind::Range(..) => "a range",
            ValueKind::Ramp(..) => "a ramp",
            ValueKind::Pick(_) => "a pick",
            ValueKind::Call { .. } => "a function call",
            ValueKind::List(_) => "a list",
        };
        let text = self.text(v.span);
        if text.is_empty() || text.len() > 40 {
            what.to_string()
        } else {
            format!("{what} `{text}`")
        }
    }

    /// Substitutes a `$param` (following chains a few levels deep).
    pub fn deref(&mut self, v: &Value) -> Option<Value> {
        let mut cur = v.clone();
        for _ in 0..8 {
            let ValueKind::Param(name) = &cur.node else {
                return Some(cur);
            };
            match self.params.get(name) {
                Some(p) => {
                    cur = Spanned {
                        node: p.node.clone(),
                        span: v.span,
                    }
                }
                None => {
                    let suggestion = suggest::closest(name, self.params.keys().map(String::as_str));
                    self.error(
                        Kind::UnknownParam {
                            name: name.clone(),
                            suggestion,
                        },
                        v.span,
                    );
                    return None;
                }
            }
        }
        Some(cur)
    }

    fn mismatch(&mut self, v: &Value, expected: String, hint: Option<String>) {
        let found = self.describe(v);
        self.error(
            Kind::UnitMismatch {
                expected,
                found,
                hint,
            },
            v.span,
        );
    }

    /// A quantity in one of `units`, returned in base units.
    pub fn quantity(&mut self, v: &Value, units: &[Unit]) -> Option<Quantity> {
        let v = self.deref(v)?;
        if let ValueKind::Quantity(q) = &v.node {
            if units.contains(&q.unit) {
                return Some(*q);
            }
        }
        let names: Vec<&str> = units.iter().map(|u| unit_name(*u)).collect();
        let hint = match (&v.node, units.first()) {
            (ValueKind::Quantity(q), Some(want)) if q.unit == Unit::Number => {
                let n = num(q.value);
                match want {
                    Unit::Percent if q.value <= 1.0 && q.value > 0.0 => Some(format!(
                        "percentages take a `%`: try `{}%`",
                        num(q.value * 100.0)
                    )),
                    Unit::Percent => Some(format!("try `{n}%`")),
                    Unit::Duration => Some(format!("durations need a unit: try `{n}ms` or `{n}s`")),
                    Unit::Rate => Some(format!("rates need a unit: try `{n}/s` or `{n}/m`")),
                    Unit::Multiplier => Some(format!("try `x{n}`")),
                    Unit::Size => Some(format!("sizes need a unit: try `{n}B` or `{n}KiB`")),
                    Unit::Number => None,
                }
            }
            _ => None,
        };
        self.mismatch(&v, join_or(&names), hint);
        None
    }

    /// A non-negative duration in seconds, at most [`MAX_DURATION_S`].
    pub fn duration(&mut self, v: &Value, what: &str) -> Option<f64> {
        let q = self.quantity(v, &[Unit::Duration])?;
        if (0.0..=MAX_DURATION_S).contains(&q.value) {
            Some(q.value)
        } else {
            self.out_of_range(v, what, "0s to 36500d (100 years)");
            None
        }
    }

    /// A positive duration in seconds, at most [`MAX_DURATION_S`].
    pub fn positive_duration(&mut self, v: &Value, what: &str) -> Option<f64> {
        let q = self.quantity(v, &[Unit::Duration])?;
        if q.value > 0.0 && q.value <= MAX_DURATION_S {
            Some(q.value)
        } else {
            self.out_of_range(v, what, "more than 0s, up to 36500d (100 years)");
            None
        }
    }

    /// A non-negative rate, per second.
    pub fn rate(&mut self, v: &Value, what: &str) -> Option<f64> {
        let q = self.quantity(v, &[Unit::Rate])?;
        self.at_least(v, what, q.value, 0.0, "0/s and up")
    }

    /// A percentage in 0..=100%, as a fraction.
    pub fn share(&mut self, v: &Value, what: &str) -> Option<f64> {
        let q = self.quantity(v, &[Unit::Percent])?;
        if (0.0..=100.0).contains(&q.value) {
            Some(q.value / 100.0)
        } else {
            self.out_of_range(v, what, "0% to 100%");
            None
        }
    }

    /// A non-negative multiplier.
    pub fn factor(&mut self, v: &Value, what: &str) -> Option<f64> {
        let q = self.quantity(v, &[Unit::Multiplier])?;
        self.at_least(v, what, q.value, 0.0, "x0 and up")
    }

    /// A whole number of at least `min`.
    pub fn count(&mut self, v: &Value, what: &str, min: u64) -> Option<u64> {
        let q = self.quantity(v, &[Unit::Number])?;
        if q.value.fract() != 0.0 || q.value < min as f64 || q.value > 1e15 {
            self.out_of_range(v, what, &format!("whole numbers from {min}"));
            return None;
        }
        Some(q.value as u64)
    }

    /// A whole number from `min` to `max` (both inclusive).
    pub fn count_in(&mut self, v: &Value, what: &str, min: u64, max: u64) -> Option<u64> {
        let q = self.quantity(v, &[Unit::Number])?;
        if q.value.fract() != 0.0 || q.value < min as f64 || q.value > max as f64 {
            self.out_of_range(v, what, &format!("whole numbers from {min} to {max}"));
            return None;
        }
        Some(q.value as u64)
    }

    /// A plain number.
    pub fn number(&mut self, v: &Value) -> Option<f64> {
        self.quantity(v, &[Unit::Number]).map(|q| q.value)
    }

    fn at_least(&mut self, v: &Value, what: &str, x: f64, min: f64, allowed: &str) -> Option<f64> {
        if x >= min {
            Some(x)
        } else {
            self.out_of_range(v, what, allowed);
            None
        }
    }

    /// Reports `what` at `v` as outside `allowed`.
    pub fn out_of_range(&mut self, v: &Value, what: &str, allowed: &str) {
        let value = self.text(v.span);
        self.error(
            Kind::OutOfRange {
                what: what.into(),
                value,
                allowed: allowed.into(),
            },
            v.span,
        );
    }

    /// A string or bare word.
    pub fn string(&mut self, v: &Value) -> Option<String> {
        let v = self.deref(v)?;
        match &v.node {
            ValueKind::Str(s) | ValueKind::Ident(s) => Some(s.clone()),
            _ => {
                self.mismatch(
                    &v,
                    "a string".into(),
                    Some("try quoting it: `\"...\"`".into()),
                );
                None
            }
        }
    }

    /// A level: a value or a ramp `a -> b`, each read by `read`.
    pub fn level(
        &mut self,
        v: &Value,
        read: impl Fn(&mut Self, &Value) -> Option<f64>,
    ) -> Option<Level> {
        let v = self.deref(v)?;
        if let ValueKind::Ramp(a, b) = &v.node {
            let from = read(self, a);
            let to = read(self, b);
            return Some(Level {
                from: from?,
                to: to?,
            });
        }
        let x = read(self, &v)?;
        Some(Level { from: x, to: x })
    }

    /// Matches call arguments to parameter names (positional first, then
    /// named). `required` is how many leading parameters must be given.
    pub fn args(
        &mut self,
        func: &Name,
        args: &[Arg],
        params: &[&str],
        required: usize,
    ) -> Option<Vec<Option<Value>>> {
        let mut slots: Vec<Option<Value>> = vec![None; params.len()];
        let mut ok = true;
        for (i, arg) in args.iter().enumerate() {
            let idx = match &arg.name {
                None if i < params.len() => i,
                None => {
                    let reason = format!("takes at most {} arguments", params.len());
                    self.error(
                        Kind::ExtraArgument {
                            function: func.node.clone(),
                            reason,
                        },
                        arg.value.span,
                    );
                    ok = false;
                    continue;
                }
                Some(n) => match params.iter().position(|p| *p == n.node) {
                    Some(idx) => idx,
                    None => {
                        let suggestion = suggest::closest(&n.node, params.iter().copied());
                        let expected = params.join(", ");
                        let kind = Kind::UnknownArgument {
                            function: func.node.clone(),
                            name: n.node.clone(),
                            expected,
                            suggestion,
                        };
                        self.error(kind, n.span);
                        ok = false;
                        continue;
                    }
                },
            };
            if slots[idx].is_some() {
                let reason = format!("`{}` is given twice", params[idx]);
                self.error(
                    Kind::ExtraArgument {
                        function: func.node.clone(),
                        reason,
                    },
                    arg.value.span,
                );
                ok = false;
                continue;
            }
            slots[idx] = Some(arg.value.clone());
        }
        // A misspelt name already explains the gap; do not also report it missing.
        for (i, p) in params
            .iter()
            .enumerate()
            .take(if ok { required } else { 0 })
        {
            if slots[i].is_none() {
                self.error(
                    Kind::MissingArgument {
                        function: func.node.clone(),
                        name: p.to_string(),
                    },
                    func.span,
                );
                ok = false;
            }
        }
        ok.then_some(slots)
    }

    fn unknown_function(&mut self, name: &Name, known: &[&str]) {
        let suggestion = suggest::closest(&name.node, known.iter().copied());
        let expected = known.join(", ");
        self.error(
            Kind::UnknownFunction {
                name: name.node.clone(),
                expected,
                suggestion,
            },
            name.span,
        );
    }

    /// A distribution whose values have `unit` (read in base units).
    pub fn dist(&mut self, v: &Value, unit: Unit, what: &str) -> Option<Dist> {
        let v = self.deref(v)?;
        let nonneg = unit == Unit::Duration;
        let read = |s: &mut Self, x: &Value| -> Option<f64> {
            let q = s.quantity(x, &[unit])?.value;
            if nonneg && q < 0.0 {
                s.out_of_range(x, what, "0 and up");
                return None;
            }
            Some(q)
        };
        match &v.node {
            ValueKind::Range(a, b) => {
                let (min, max) = (read(self, a), read(self, b));
                let (min, max) = (min?, max?);
                self.ordered(&v, a, b, min, max)?;
                Some(Dist::Uniform { min, max })
            }
            ValueKind::Pick(entries) => {
                let mut out = Vec::new();
                for (k, w) in entries {
                    let k = read(self, k);
                    let w = self.weight(w);
                    out.push((k?, w?));
                }
                self.nonzero_weights(&v, out.iter().map(|e| e.1), "this pick")?;
                Some(Dist::Pick(out))
            }
            ValueKind::Call { name, args } => self.dist_call(name, args, read, what),
            _ => Some(Dist::Constant(read(self, &v)?)),
        }
    }

    fn dist_call(
        &mut self,
        name: &Name,
        args: &[Arg],
        read: impl Fn(&mut Self, &Value) -> Option<f64>,
        what: &str,
    ) -> Option<Dist> {
        const KNOWN: &[&str] = &[
            "constant",
            "uniform",
            "normal",
            "lognormal",
            "exponential",
            "pareto",
        ];
        let get = |s: &mut Self, slot: &Option<Value>| slot.as_ref().and_then(|x| read(s, x));
        match name.node.as_str() {
            "constant" => {
                let a = self.args(name, args, &["value"], 1)?;
                Some(Dist::Constant(get(self, &a[0])?))
            }
            "uniform" => {
                let a = self.args(name, args, &["min", "max"], 2)?;
                let (min, max) = (get(self, &a[0]), get(self, &a[1]));
                let (min, max) = (min?, max?);
                let (sa, sb) = (a[0].clone()?, a[1].clone()?);
                self.ordered(&sa, &sa, &sb, min, max)?;
                Some(Dist::Uniform { min, max })
            }
            "normal" => {
                let a = self.args(name, args, &["mean", "sd"], 2)?;
                let (mean, sd) = (get(self, &a[0]), get(self, &a[1]));
                Some(Dist::Normal {
                    mean: mean?,
                    sd: sd?,
                })
            }
            "lognormal" => {
                let a = self.args(name, args, &["median", "p99", "mu", "sigma"], 0)?;
                match (&a[0], &a[1], &a[2], &a[3]) {
                    (Some(m), Some(p), None, None) => {
                        let (median, p99) = (read(self, m), read(self, p));
                        let (median, p99) = (median?, p99?);
                        if median <= 0.0 {
                            self.out_of_range(m, &format!("the median of {what}"), "more than 0");
                            return None;
                        }
                        if p99 < median {
                            let (low, high) = (self.text(m.span), self.text(p.span));
                            self.diags.push(
                                Diagnostic::error(Kind::QuantileOrder { low, high }, p.span)
                                    .with_label(m.span, "the median"),
                            );
                            return None;
                        }
                        Some(crate::model::lognormal_quantiles(median, p99))
                    }
                    (None, None, Some(mu), Some(sigma)) => {
                        let (mu, sigma_v) = (self.number(mu), self.number(sigma));
                        let sigma_v = sigma_v?;
                        if sigma_v < 0.0 {
                            self.out_of_range(sigma, "sigma", "0 and up");
                            return None;
                        }
                        Some(Dist::LogNormal {
                            mu: mu?,
                            sigma: sigma_v,
                        })
                    }
                    _ => {
                        let reason =
                            "takes either `median` and `p99`, or `mu` and `sigma`".to_string();
                        self.error(
                            Kind::ExtraArgument {
                                function: name.node.clone(),
                                reason,
                            },
                            name.span,
                        );
                        None
                    }
                }
            }
            "exponential" => {
                let a = self.args(name, args, &["mean"], 1)?;
                Some(Dist::Exponential {
                    mean: get(self, &a[0])?,
                })
            }
            "pareto" => {
                let a = self.args(name, args, &["scale", "shape"], 2)?;
                let scale = get(self, &a[0]);
                let shape = a[1].as_ref().and_then(|x| self.number(x));
                let (scale, shape) = (scale?, shape?);
                if shape <= 0.0 {
                    if let Some(x) = &a[1] {
                        self.out_of_range(x, "the pareto shape", "more than 0");
                    }
                    return None;
                }
                Some(Dist::Pareto { scale, shape })
            }
            _ => {
                self.unknown_function(name, KNOWN);
                None
            }
        }
    }

    fn ordered(&mut self, at: &Value, a: &Value, b: &Value, min: f64, max: f64) -> Option<()> {
        if min > max {
            let (low, high) = (self.text(a.span), self.text(b.span));
            self.error(Kind::EmptyRange { low, high }, at.span.to(b.span));
            return None;
        }
        Some(())
    }

    /// A weight: a plain number or a percentage, not negative.
    pub fn weight(&mut self, v: &Value) -> Option<f64> {
        let q = self.quantity(v, &[Unit::Number, Unit::Percent])?;
        if q.value < 0.0 {
            self.out_of_range(v, "a weight", "0 and up");
            return None;
        }
        Some(q.value)
    }

    /// Reports weights that sum to zero.
    pub fn nonzero_weights(
        &mut self,
        at: &Value,
        weights: impl Iterator<Item = f64>,
        what: &str,
    ) -> Option<()> {
        if weights.sum::<f64>() > 0.0 {
            Some(())
        } else {
            self.error(Kind::ZeroWeights { what: what.into() }, at.span);
            None
        }
    }

    /// A bounds range `a..b` of numbers (durations and sizes read in base units).
    pub fn bounds(&mut self, v: &Value) -> Option<(f64, f64)> {
        let v = self.deref(v)?;
        let ValueKind::Range(a, b) = &v.node else {
            self.mismatch(&v, "a range such as `0..1`".into(), None);
            return None;
        };
        let units = [Unit::Number, Unit::Duration, Unit::Size, Unit::Percent];
        let (lo, hi) = (self.quantity(a, &units), self.quantity(b, &units));
        let (lo, hi) = (lo?.value, hi?.value);
        self.ordered(&v, a, b, lo, hi)?;
        Some((lo, hi))
    }

    /// A constant attribute value.
    pub fn scalar(&mut self, v: &Value) -> Option<Scalar> {
        let v = self.deref(v)?;
        match &v.node {
            ValueKind::Str(s) | ValueKind::Ident(s) => Some(Scalar::Str(s.clone())),
            ValueKind::Bool(b) => Some(Scalar::Bool(*b)),
            ValueKind::Quantity(q)
                if q.unit == Unit::Number && q.value.fract() == 0.0 && q.value.abs() < 9e15 =>
            {
                Some(Scalar::Int(q.value as i64))
            }
            ValueKind::Quantity(q) => Some(Scalar::Float(q.value)),
            _ => {
                self.mismatch(&v, "a string, number or boolean".into(), None);
                None
            }
        }
    }

    /// An attribute generator.
    pub fn generator(&mut self, v: &Value) -> Option<Generator> {
        let v = self.deref(v)?;
        match &v.node {
            ValueKind::Str(s) if s.contains('{') => {
                Some(Generator::Pattern(self.pattern(s, v.span)?))
            }
            ValueKind::Range(a, b) => {
                let (lo, hi) = (self.scalar(a), self.scalar(b));
                match (lo?, hi?) {
                    // `0.0..1.0` is a float range even though its ends are whole.
                    (Scalar::Int(x), Scalar::Int(y))
                        if !(self.text(a.span) + &self.text(b.span)).contains(['.', 'e', 'E']) =>
                    {
                        self.ordered(&v, a, b, x as f64, y as f64)?;
                        Some(Generator::IntRange(x, y))
                    }
                    (Scalar::Int(_) | Scalar::Float(_), Scalar::Int(_) | Scalar::Float(_)) => {
                        let (x, y) = (self.number(a)?, self.number(b)?);
                        self.ordered(&v, a, b, x, y)?;
                        Some(Generator::FloatRange(x, y))
                    }
                    _ => {
                        self.mismatch(&v, "a range of numbers".into(), None);
                        None
                    }
                }
            }
            ValueKind::Pick(entries) => {
                let mut out = Vec::new();
                for (k, w) in entries {
                    let k = self.scalar(k);
                    let w = self.weight(w);
                    out.push((k?, w?));
                }
                self.nonzero_weights(&v, out.iter().map(|e| e.1), "this pick")?;
                Some(Generator::Pick(out))
            }
            ValueKind::Call { name, args } => match name.node.as_str() {
                "pool" => {
                    let a = self.args(name, args, &["size", "pattern"], 2)?;
                    let size = a[0].as_ref().and_then(|x| self.count(x, "a pool size", 1));
                    let pattern = a[1]
                        .as_ref()
                        .and_then(|x| self.string(x).map(|s| (s, x.span)));
                    let (size, (pattern, span)) = (size?, pattern?);
                    Some(Generator::Pool {
                        size,
                        pattern: self.pattern(&pattern, span)?,
                    })
                }
                "chance" => {
                    let a = self.args(name, args, &["p"], 1)?;
                    Some(Generator::Bool(
                        a[0].as_ref().and_then(|x| self.share(x, "a probability"))?,
                    ))
                }
                "maybe" => {
                    let a = self.args(name, args, &["p", "value"], 2)?;
                    let p = a[0].as_ref().and_then(|x| self.share(x, "a probability"));
                    let inner = a[1].as_ref().and_then(|x| self.generator(x));
                    Some(Generator::Maybe(p?, Box::new(inner?)))
                }
                "constant" | "uniform" | "normal" | "lognormal" | "exponential" | "pareto" => {
                    let unit = args.first().and_then(|a| match &a.value.node {
                        ValueKind::Quantity(q) => Some(q.unit),
                        _ => None,
                    });
                    Some(Generator::Dist(self.dist(
                        &v,
                        unit.unwrap_or(Unit::Number),
                        "this attribute",
                    )?))
                }
                _ => {
                    let known = [
                        "pool",
                        "chance",
                        "maybe",
                        "constant",
                        "uniform",
                        "normal",
                        "lognormal",
                        "exponential",
                        "pareto",
                    ];
                    self.unknown_function(name, &known);
                    None
                }
            },
            _ => Some(Generator::Const(self.scalar(&v)?)),
        }
    }

    /// A log level or message: a string (or bare word), or a pick of them;
    /// nothing else can be a level or a message. `expected` names what is
    /// wanted in the error; a `template`'s `{placeholders}` are checked.
    pub fn text_choice(&mut self, v: &Value, expected: &str, template: bool) -> Option<Generator> {
        let v = self.deref(v)?;
        match &v.node {
            ValueKind::Str(s) | ValueKind::Ident(s) => {
                if template {
                    self.pattern(s, v.span)?;
                }
                Some(Generator::Const(Scalar::Str(s.clone())))
            }
            ValueKind::Pick(entries) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (k, w) in entries {
                    let key = self.deref(k).and_then(|k| match &k.node {
                        ValueKind::Str(s) | ValueKind::Ident(s) => {
                            (!template || self.pattern(s, k.span).is_some()).then(|| s.clone())
                        }
                        _ => {
                            self.mismatch(&k, expected.into(), None);
                            None
                        }
                    });
                    let w = self.weight(w);
                    match (key, w) {
                        (Some(key), Some(w)) => out.push((Scalar::Str(key), w)),
                        _ => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                self.nonzero_weights(&v, out.iter().map(|e| e.1), "this pick")?;
                Some(Generator::Pick(out))
            }
            _ => {
                let hint = format!("write {expected}, or a pick of them");
                self.mismatch(&v, expected.into(), Some(hint));
                None
            }
        }
    }

    /// Parses `"user-{n:05}"` into parts.
    pub fn pattern(&mut self, s: &str, span: Span) -> Option<Vec<PatternPart>> {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(PatternPart::Lit(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find('}') else {
                self.error(
                    Kind::BadPattern {
                        reason: "a `{` is never closed".into(),
                    },
                    span,
                );
                return None;
            };
            let inner = &rest[open + 1..open + close];
            let (head, arg) = inner.split_once(':').unwrap_or((inner, ""));
            let width = |arg: &str, default: u8| -> Option<u8> {
                if arg.is_empty() {
                    Some(default)
                } else {
                    arg.parse::<u8>().ok().filter(|w| (1..=32).contains(w))
                }
            };
            let part = match head {
                "n" => width(arg, 0).map(PatternPart::Counter),
                "hex" => width(arg, 16).map(PatternPart::Hex),
                "uuid" if arg.is_empty() => Some(PatternPart::Uuid),
                h if !h.is_empty()
                    && arg.is_empty()
                    && h.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '.') =>
                {
                    Some(PatternPart::Attr(h.to_string()))
                }
                _ => None,
            };
            match part {
                Some(p) => parts.push(p),
                None => {
                    let reason = format!("`{{{inner}}}` is not a placeholder");
                    self.error(Kind::BadPattern { reason }, span);
                    return None;
                }
            }
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(PatternPart::Lit(rest.to_string()));
        }
        Some(parts)
    }

    /// A process driving a metric; values read as numbers or durations.
    pub fn process(&mut self, v: &Value) -> Option<Process> {
        let v = self.deref(v)?;
        let units = [Unit::Number, Unit::Duration, Unit::Size, Unit::Percent];
        let ValueKind::Call { name, args } = &v.node else {
            return Some(Process::Constant {
                value: self.quantity(&v, &units)?.value,
                noise: 0.0,
            });
        };
        let read = |s: &mut Self, slot: &Option<Value>| match slot {
            Some(x) => s.quantity(x, &units).map(|q| q.value),
            None => Some(0.0),
        };
        match name.node.as_str() {
            "constant" => {
                let a = self.args(name, args, &["value", "noise"], 1)?;
                let (value, noise) = (read(self, &a[0]), read(self, &a[1]));
                Some(Process::Constant {
                    value: value?,
                    noise: noise?,
                })
            }
            "brownian" => {
                let a = self.args(name, args, &["start", "drift", "volatility"], 3)?;
                let (start, drift, vol) = (read(self, &a[0]), read(self, &a[1]), read(self, &a[2]));
                let vol = self.nonneg_slot(&a[2], vol?, "volatility")?;
                Some(Process::Brownian {
                    start: start?,
                    drift: drift?,
                    volatility: vol,
                })
            }
            "mean_revert" => {
                let a = self.args(name, args, &["mean", "speed", "volatility", "start"], 3)?;
                let (mean, speed, vol) = (read(self, &a[0]), read(self, &a[1]), read(self, &a[2]));
                let start = if a[3].is_some() {
                    read(self, &a[3])
                } else {
                    mean
                };
                let vol = self.nonneg_slot(&a[2], vol?, "volatility")?;
                let speed = self.nonneg_slot(&a[1], speed?, "speed")?;
                Some(Process::MeanRevert {
                    start: start?,
                    mean: mean?,
                    speed,
                    volatility: vol,
                })
            }
            "poisson" => {
                let a = self.args(name, args, &["rate"], 1)?;
                let r = a[0].clone()?;
                let rate = match &r.node {
                    ValueKind::Call { .. } => self.process(&r)?,
                    _ => Process::Constant {
                        value: self.rate(&r, "a poisson rate")?,
                        noise: 0.0,
                    },
                };
                Some(Process::Poisson {
                    rate: Box::new(rate),
                })
            }
            _ => {
                self.unknown_function(name, &["constant", "brownian", "mean_revert", "poisson"]);
                None
            }
        }
    }

    fn nonneg_slot(&mut self, slot: &Option<Value>, x: f64, what: &str) -> Option<f64> {
        if x >= 0.0 {
            return Some(x);
        }
        if let Some(v) = slot {
            self.out_of_range(v, what, "0 and up");
        }
        None
    }
}

use crate::source::Spanned;
