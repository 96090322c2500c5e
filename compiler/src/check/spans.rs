//! What an endpoint's own span is beyond its steps: its `kind` override,
//! its `internal` steps (INTERNAL child spans of the same service), its
//! user-declared span events and its span links.

use super::Checker;
use crate::ast::{self, AttrKind};
use crate::diagnostic::Kind;
use crate::model::{Protocol, SpanEvent, SpanLink, Step, StepOptions};

/// The span kinds an endpoint may declare with `kind`.
const KIND_WORDS: &[&str] = &["server", "internal", "consumer"];

/// What `kind` asked of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KindOverride {
    /// No `kind`, or `kind server` / `kind consumer` where that is the default.
    Default,
    /// `kind internal`.
    Internal,
}

/// Whether an endpoint's props say `kind internal` (read before checking,
/// so a `call` to it can be refused wherever it is).
pub(super) fn declares_internal(e: &ast::Endpoint) -> bool {
    e.props.iter().any(|p| {
        p.key.node == "kind"
            && matches!(
                p.value.as_ref().map(|v| &v.node),
                Some(ast::ValueKind::Ident(w) | ast::ValueKind::Str(w)) if w == "internal"
            )
    })
}

impl Checker<'_> {
    /// Reads `kind`: `server` (the default), `internal` (no HTTP or RPC
    /// server attributes), `consumer` (only beside `consume`).
    pub(super) fn kind_override(&mut self, v: Option<&ast::Value>, consumes: bool) -> KindOverride {
        let Some(v) = v.and_then(|v| self.v.deref(v)) else {
            return KindOverride::Default;
        };
        let word = match &v.node {
            ast::ValueKind::Ident(w) | ast::ValueKind::Str(w) => w.clone(),
            _ => self.v.describe(&v),
        };
        let hint = match (word.as_str(), consumes) {
            ("internal", false) => return KindOverride::Internal,
            ("server", false) | ("consumer", true) => return KindOverride::Default,
            ("internal" | "server", true) => {
                "an endpoint with `consume` is a consumer: drop `consume`, or write `kind consumer`"
                    .to_string()
            }
            ("consumer", false) => {
                "a consumer runs for messages: add `consume \"queue\" \"topic\"`, or write \
                 `kind internal`"
                    .to_string()
            }
            ("client" | "producer", _) => {
                "client and producer spans come from `call`, `query` and `publish` steps; \
                 an endpoint is `kind server` (the default), `kind internal` or `kind consumer`"
                    .to_string()
            }
            (w, _) => match crate::suggest::closest(w, KIND_WORDS.iter().copied()) {
                Some(s) => format!("did you mean `kind {s}`?"),
                None => "try `kind server` (the default), `kind internal` or `kind consumer`"
                    .to_string(),
            },
        };
        self.v
            .error(Kind::BadSpanKind { found: word, hint }, v.span);
        KindOverride::Default
    }

    /// An `internal "name" { ... }` step: an INTERNAL span of the caller's
    /// service with its own program; `chance`, `repeat` and `on_error`
    /// are its options.
    pub(super) fn internal_step(&mut self, e: &ast::Endpoint, depth: usize) -> Option<Step> {
        let props = self.props(&e.props);
        let chance = Self::value(&props, "chance")
            .and_then(|v| self.v.share(v, "the chance"))
            .unwrap_or(1.0);
        let repeat = match Self::value(&props, "repeat") {
            Some(v) => self.repeat(v),
            None => crate::model::Dist::Constant(1.0),
        };
        let on_error = Self::value(&props, "on_error")
            .and_then(|v| self.on_error(v))
            .unwrap_or_default();
        let options = StepOptions {
            chance,
            retries: 0,
            timeout: None,
            repeat,
            on_error,
        };
        let endpoint = crate::model::Endpoint {
            name: e.name.node.clone(),
            protocol: Protocol::Internal,
            weight: None,
            latency: self.latency(Self::value(&props, "latency"), 0.001),
            errors: self.errors(props.get("errors")),
            attributes: self.all_attrs(&e.blocks, AttrKind::Attributes),
            consumes: Vec::new(),
            steps: self.steps(&e.steps, depth + 1),
            events: self.span_events(&e.events),
            links: self.span_links(&e.links),
            variants: None,
        };
        Some(Step::Internal {
            endpoint: Box::new(endpoint),
            options,
        })
    }

    /// `event "name" { chance ...  attributes { ... } }` statements.
    pub(super) fn span_events(&mut self, events: &[ast::SpanEvent]) -> Vec<SpanEvent> {
        events
            .iter()
            .map(|ev| {
                let props = self.props(&ev.props);
                let chance = Self::value(&props, "chance")
                    .and_then(|v| self.v.share(v, "the chance"))
                    .unwrap_or(1.0);
                SpanEvent {
                    name: ev.name.node.clone(),
                    chance,
                    attributes: self.all_attrs(&ev.blocks, AttrKind::Attributes),
                }
            })
            .collect()
    }

    /// `link "service" "endpoint" { ... }` statements (the target must exist).
    pub(super) fn span_links(&mut self, links: &[ast::SpanLink]) -> Vec<SpanLink> {
        links
            .iter()
            .filter_map(|l| {
                let props = self.props(&l.props);
                let chance = Self::value(&props, "chance")
                    .and_then(|v| self.v.share(v, "the chance"))
                    .unwrap_or(1.0);
                let attributes = self.all_attrs(&l.blocks, AttrKind::Attributes);
                self.check_endpoint_ref(&l.service, &l.endpoint)?;
                Some(SpanLink {
                    service: l.service.node.clone(),
                    endpoint: l.endpoint.node.clone(),
                    chance,
                    attributes,
                })
            })
            .collect()
    }
}
