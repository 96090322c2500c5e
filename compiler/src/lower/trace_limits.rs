//! The per-trace span limit: which root endpoints' traces are expected to
//! hold more than [`MAX_EXPECTED_SPANS_PER_TRACE`] spans, what multiplies
//! them along their heaviest path (fan-out, or repeats and retries), and
//! every root's expected size for the work estimate.

use tsim_pack::{EndpointProgram, Root};

use super::calls::{program, roots, Index};
use super::size::{Hop, Sizes};
use super::{Builder, LowerError, MAX_EXPECTED_SPANS_PER_TRACE};
use crate::model::Model;

/// Rejects a root whose trace is expected to be too big to stream.
pub(super) fn check_sizes(
    ix: &Index<'_>,
    endpoints: &[EndpointProgram],
    roots: &[Root],
) -> Result<(), LowerError> {
    let mut sizes = Sizes::new(endpoints);
    for r in roots {
        let name = ix.describe(r.endpoint);
        let Some(spans) = sizes.trace(r.endpoint) else {
            return Err(LowerError(format!(
                "the calls under {name} form a cycle; a trace would never end"
            )));
        };
        if spans <= MAX_EXPECTED_SPANS_PER_TRACE {
            continue;
        }
        let path = sizes.heaviest_path(r.endpoint);
        return Err(LowerError(too_many_spans(
            &name,
            spans,
            &why_big(ix, &path),
        )));
    }
    Ok(())
}

/// The message for a trace expected to hold `spans` spans, too many.
pub(crate) fn too_many_spans(name: &str, spans: f64, why: &str) -> String {
    let expected = if spans.is_finite() {
        format!("about {spans:.0}")
    } else {
        "an unbounded number of".into()
    };
    format!(
        "a trace of {name} is expected to hold {expected} spans, more than the \
         {MAX_EXPECTED_SPANS_PER_TRACE} a trace may hold (counting every retry); {why}"
    )
}

/// What multiplies a trace along its heaviest path, and what to lower.
fn why_big(ix: &Index<'_>, path: &[Hop]) -> String {
    let fans = path.iter().filter(|h| h.fan_out > 1).count();
    let repeats = path.iter().filter(|h| h.repeats).count();
    let names: Vec<String> = path.iter().map(|h| ix.describe(h.endpoint)).collect();
    let shown = if names.len() > 9 {
        let (head, tail) = (&names[..4], &names[names.len() - 4..]);
        format!(
            "{} -> ({} more) -> {}",
            head.join(" -> "),
            names.len() - 8,
            tail.join(" -> ")
        )
    } else {
        names.join(" -> ")
    };
    let mut what = Vec::new();
    if fans > 0 {
        what.push(format!(
            "{fans} endpoints along it each call or publish to several others (the fan-out multiplies)"
        ));
    }
    if repeats > 0 {
        what.push(format!("{repeats} of its steps repeat or retry"));
    }
    let lower = match (fans > 0, repeats > 0) {
        (true, false) => "lower the fan-out: fewer calls per endpoint, `chance` on some, or a shorter chain",
        (false, true) => "lower its `repeat` counts, `retries` or `chance`s",
        _ => "lower the fan-out (fewer calls per endpoint, or `chance` on some), `repeat` counts or `retries`",
    };
    format!(
        "the heaviest path is {shown}; {}; {lower}",
        what.join(" and ")
    )
}

/// Every root endpoint with its share of root traffic and its trace's
/// expected spans (`None` for a cycle), for the work estimate.
pub(crate) fn root_sizes(model: &Model) -> Result<Vec<RootSize>, LowerError> {
    let mut b = Builder::default();
    b.name_resources(model);
    let ix = Index::new(model);
    let mut endpoints = Vec::with_capacity(ix.entries.len());
    for (svc, ep) in &ix.entries {
        endpoints.push(program(&mut b, &ix, svc, ep)?);
    }
    let roots = roots(&ix);
    let mut sizes = Sizes::new(&endpoints);
    let mut out = Vec::with_capacity(roots.len());
    for r in &roots {
        let spans = sizes.trace(r.endpoint);
        let why = match spans {
            Some(n) if n > MAX_EXPECTED_SPANS_PER_TRACE => {
                why_big(&ix, &sizes.heaviest_path(r.endpoint))
            }
            _ => String::new(),
        };
        let (service, endpoint) = match ix.entries.get(r.endpoint as usize) {
            Some((s, e)) => (s.name.clone(), e.name.clone()),
            None => (String::new(), String::new()),
        };
        out.push(RootSize {
            service,
            endpoint,
            share: r.weight,
            spans,
            why,
        });
    }
    Ok(out)
}

/// A root endpoint's share of traffic and expected trace size.
#[derive(Clone, Debug)]
pub(crate) struct RootSize {
    pub service: String,
    pub endpoint: String,
    /// Share of all root requests.
    pub share: f64,
    /// Expected spans per trace; `None` when its calls form a cycle.
    pub spans: Option<f64>,
    /// What makes it big, when above the per-trace limit.
    pub why: String,
}
