//! Checking the statements several items share: attribute blocks, error
//! rates, status codes, trace `variants` and latencies.

use std::collections::BTreeMap;

use super::Checker;
use crate::ast::{AttrBlock, Prop, Unit, Value};
use crate::diagnostic::Kind;
use crate::model::Attr;
use crate::source::Span;

/// The most trace shapes (`variants`) a root endpoint may declare.
const MAX_VARIANTS: u64 = 1_000_000;

/// The longest typical latency: a day, the runtime's limit on one span.
const MAX_LATENCY_S: f64 = 86_400.0;

impl Checker<'_> {
    /// Reads an attribute block, reporting repeated keys.
    pub fn attrs(&mut self, b: &AttrBlock) -> Vec<Attr> {
        let mut out: Vec<Attr> = Vec::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for a in &b.assigns {
            if let Some(first) = seen.get(a.key.node.as_str()) {
                self.duplicate("attribute", &a.key.node, a.key.span, *first);
                continue;
            }
            seen.insert(&a.key.node, a.key.span);
            if let Some(g) = self.v.generator(&a.value) {
                out.push(Attr {
                    key: a.key.node.clone(),
                    value: g,
                });
            }
        }
        out
    }

    /// Reads several attribute blocks of one kind into one list.
    pub fn all_attrs(&mut self, blocks: &[AttrBlock], kind: crate::ast::AttrKind) -> Vec<Attr> {
        blocks
            .iter()
            .filter(|b| b.kind == kind)
            .flat_map(|b| self.attrs(b))
            .collect()
    }

    /// An `errors` prop: share, status and type.
    pub fn errors(&mut self, p: Option<&&Prop>) -> crate::model::Errors {
        let mut out = crate::model::Errors::default();
        let Some(p) = p else { return out };
        if let Some(v) = &p.value {
            out.rate = self.v.share(v, "the error rate").unwrap_or(0.0);
        }
        let opts = self.props(&p.options);
        if let Some(v) = Self::value(&opts, "status") {
            out.status = self.status(v);
        }
        if let Some(v) = Self::value(&opts, "type") {
            out.error_type = self.v.generator(v);
        }
        out
    }

    /// The status-code generator of a failure: a code or a pick of codes,
    /// each an error status (400..=599).
    pub fn status(&mut self, v: &Value) -> Option<crate::model::Generator> {
        let g = self.v.generator(v)?;
        let codes: Vec<&crate::model::Scalar> = match &g {
            crate::model::Generator::Const(s) => vec![s],
            crate::model::Generator::Pick(e) => e.iter().map(|(s, _)| s).collect(),
            _ => Vec::new(),
        };
        let ints = !codes.is_empty()
            && codes
                .iter()
                .all(|s| matches!(s, crate::model::Scalar::Int(_)));
        if !ints {
            self.v
                .out_of_range(v, "the status", "HTTP codes 400 to 599, or a pick of them");
            return None;
        }
        // Where each code was written: the value itself, or a pick's keys.
        let spans: Vec<Span> = match self.v.deref(v).map(|d| d.node) {
            Some(crate::ast::ValueKind::Pick(entries)) => {
                entries.iter().map(|(k, _)| k.span).collect()
            }
            _ => vec![v.span],
        };
        let mut ok = true;
        for (i, s) in codes.iter().enumerate() {
            let crate::model::Scalar::Int(c) = s else {
                continue;
            };
            if !(400..=599).contains(c) {
                let span = spans.get(i).copied().unwrap_or(v.span);
                self.v.error(
                    Kind::BadStatus {
                        code: c.to_string(),
                    },
                    span,
                );
                ok = false;
            }
        }
        ok.then_some(g)
    }

    /// A `variants N` count of trace shapes, when declared.
    pub fn variants(&mut self, v: Option<&Value>) -> Option<u32> {
        let n = self.v.count_in(v?, "the variant count", 1, MAX_VARIANTS)?;
        u32::try_from(n).ok()
    }

    /// A latency distribution (seconds).
    pub fn latency(&mut self, v: Option<&Value>, default: f64) -> crate::model::Dist {
        use crate::model::Dist;
        let Some(v) = v else {
            return Dist::Constant(default);
        };
        let Some(d) = self.v.dist(v, Unit::Duration, "the latency") else {
            return Dist::Constant(default);
        };
        // A span lasts at most a day (the runtime holds longer draws there
        // and counts them); a distribution whose typical value is longer
        // would be held nearly always, so it is refused here.
        let typical = match &d {
            Dist::Constant(x) => *x,
            Dist::Uniform { max, .. } => *max,
            Dist::Normal { mean, .. } => *mean,
            Dist::LogNormal { mu, .. } => mu.exp(),
            Dist::Exponential { mean } => *mean,
            Dist::Pareto { scale, .. } => *scale,
            Dist::Pick(entries) => entries.iter().map(|(x, _)| *x).fold(0.0, f64::max),
        };
        if typical.is_nan() || typical > MAX_LATENCY_S {
            self.v
                .out_of_range(v, "the latency", "up to 1d (a span lasts at most a day)");
            return Dist::Constant(default);
        }
        d
    }
}
