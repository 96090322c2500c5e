//! Builds the spanned [`ast`](crate::ast) from pest's pairs. One `build_*`
//! function per grammar rule; each trusts the grammar for the shape (the
//! parse already succeeded) but never panics if the shape is off: a missing
//! child yields an empty span rather than an `unwrap`.

use pest::iterators::{Pair, Pairs};
use pest::Parser;

use super::names;
use super::parser::{Rule, TsimParser};
use super::values;
use crate::ast::*;
use crate::diagnostic::{Diagnostic, Kind};
use crate::source::{FileId, Span, Spanned};

/// Parses one file's text. On syntax errors, returns one per broken
/// top-level item ([`recover`](super::recover)); bad literals are all
/// collected.
pub fn parse_file(file: FileId, text: &str) -> Result<File, Vec<Diagnostic>> {
    let pairs = TsimParser::parse(Rule::file, text)
        .map_err(|_| super::recover::syntax_errors(file, text))?;
    let mut b = Builder {
        file,
        diags: Vec::new(),
        nesting: 0,
    };
    let items = pairs
        .flatten()
        .next()
        .map(|file_pair| {
            file_pair
                .into_inner()
                .filter(|p| p.as_rule() != Rule::EOI)
                .map(|p| b.item(p))
                .collect()
        })
        .unwrap_or_default();
    if b.diags.is_empty() {
        Ok(File { items })
    } else {
        Err(b.diags)
    }
}

/// Parses a lone value, as given to `--set name=value`.
pub fn parse_value(file: FileId, text: &str) -> Result<Value, Vec<Diagnostic>> {
    let mut pairs = TsimParser::parse(Rule::lone_value, text)
        .map_err(|e| vec![names::syntax_error(file, text, e)])?;
    let mut b = Builder {
        file,
        diags: Vec::new(),
        nesting: 0,
    };
    let value = pairs
        .next()
        .and_then(|p| p.into_inner().next())
        .map(|p| b.value(p));
    match value {
        Some(v) if b.diags.is_empty() => Ok(v),
        _ => Err(b.diags),
    }
}

struct Builder {
    file: FileId,
    diags: Vec<Diagnostic>,
    /// How many `parallel` blocks enclose the step being built.
    nesting: usize,
}

impl Builder {
    /// The pair's span without trailing whitespace (a rule that ends in an
    /// optional part, like `value`, takes the whitespace before it when the
    /// part is absent).
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let mut span = Span::from_pest(self.file, pair.as_span());
        let text = pair.as_str();
        let trimmed = text.trim_end().len();
        let cut = u32::try_from(text.len() - trimmed).unwrap_or(0);
        span.end = span.end.saturating_sub(cut).max(span.start);
        span
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::import => {
                let path = self.first_string(pair.into_inner(), span);
                Item::Import { path, span }
            }
            Rule::param => {
                let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_param);
                let name = inner
                    .next()
                    .map(|p| self.ident(&p))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                let value = inner
                    .next()
                    .map(|p| self.value(p))
                    .unwrap_or_else(|| self.empty(span));
                Item::Param { name, value, span }
            }
            Rule::scenario => Item::Scenario(self.scenario(pair)),
            Rule::select => Item::Select(self.select(pair, span)),
            Rule::resource => Item::Resource(self.attr_block(pair)),
            Rule::attributes => Item::Attributes(self.attr_block(pair)),
            Rule::service => Item::Service(self.service(pair)),
            Rule::database | Rule::queue => Item::Backend(self.backend(pair)),
            Rule::metric => Item::Metric(self.metric(pair)),
            Rule::family => Item::Family(self.family(pair)),
            Rule::span_logs => Item::SpanLogs(self.span_logs(pair)),
            Rule::log_stream => Item::LogStream(self.log_stream(pair)),
            _ => Item::Timeline(self.timeline(pair)),
        }
    }

    fn select(&mut self, pair: Pair<'_, Rule>, span: Span) -> Select {
        let mut param = Spanned::new(String::new(), span);
        let mut arms = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::param_ref => {
                    let name = p.as_str().trim_start_matches('$').to_string();
                    param = Spanned::new(name, self.span(&p));
                }
                Rule::select_arm => arms.push(self.arm(p)),
                _ => {}
            }
        }
        Select { param, arms, span }
    }

    fn arm(&mut self, pair: Pair<'_, Rule>) -> Arm {
        let span = self.span(&pair);
        let mut name = Spanned::new(String::new(), span);
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string => name = self.string(&p),
                Rule::rbrace => {}
                _ => items.push(self.item(p)),
            }
        }
        Arm { name, items }
    }

    fn empty(&self, span: Span) -> Value {
        Spanned::new(
            ValueKind::List(Vec::new()),
            Span {
                end: span.start,
                ..span
            },
        )
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Name {
        Spanned::new(pair.as_str().to_string(), self.span(pair))
    }

    fn string(&mut self, pair: &Pair<'_, Rule>) -> Name {
        let span = self.span(pair);
        let raw = pair.as_str();
        let inner = raw
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(raw);
        match values::unescape(inner) {
            Ok(s) => Spanned::new(s, span),
            Err(reason) => {
                self.diags.push(Diagnostic::error(
                    Kind::BadLiteral {
                        what: "string".into(),
                        reason,
                    },
                    span,
                ));
                Spanned::new(inner.to_string(), span)
            }
        }
    }

    fn first_string(&mut self, mut inner: Pairs<'_, Rule>, span: Span) -> Name {
        match inner.find(|p| p.as_rule() == Rule::string) {
            Some(p) => self.string(&p),
            None => Spanned::new(String::new(), span),
        }
    }

    /// Splits a block's children into keyword-less parts: the name string
    /// (if any) and the statements after it.
    fn name_and_body<'a>(&mut self, pair: Pair<'a, Rule>) -> (Name, Vec<Pair<'a, Rule>>) {
        let span = self.span(&pair);
        let mut name = None;
        let mut body = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                r if names::is_keyword(r) => {}
                Rule::string if name.is_none() => name = Some(self.string(&p)),
                _ => body.push(p),
            }
        }
        (
            name.unwrap_or_else(|| Spanned::new(String::new(), span)),
            body,
        )
    }

    /// A keyword statement: `kw value options...`.
    fn prop(&mut self, pair: Pair<'_, Rule>) -> Prop {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut key = Spanned::new(names::statement_keyword(rule), span);
        let mut value = None;
        let mut options = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                r if names::is_keyword(r) && key.span == span => {
                    key = Spanned::new(p.as_str().to_string(), self.span(&p));
                }
                r if names::is_keyword(r) => {}
                Rule::value => value = Some(self.value(p)),
                Rule::time_window => {
                    let w = self.window(&p);
                    match &mut value {
                        Some(Spanned {
                            node: ValueKind::List(items),
                            span: s,
                        }) => {
                            *s = s.to(w.span);
                            items.push(w);
                        }
                        _ => value = Some(Spanned::new(ValueKind::List(vec![w.clone()]), w.span)),
                    }
                }
                Rule::within_stmt
                | Rule::status_opt
                | Rule::type_opt
                | Rule::chance_opt
                | Rule::retries_opt
                | Rule::timeout_opt
                | Rule::level_stmt
                | Rule::message_stmt => options.push(self.prop(p)),
                _ => {}
            }
        }
        Prop {
            key,
            value,
            options,
            span,
        }
    }

    fn window(&mut self, pair: &Pair<'_, Rule>) -> Value {
        let span = self.span(pair);
        let mut ends = pair.clone().into_inner().map(|p| self.time_of_day(&p));
        let a = ends.next().flatten().unwrap_or(0);
        let b = ends.next().flatten().unwrap_or(0);
        Spanned::new(ValueKind::Window(a, b), span)
    }

    fn time_of_day(&mut self, pair: &Pair<'_, Rule>) -> Option<u32> {
        match values::time_of_day(pair.as_str()) {
            Ok(v) => Some(v),
            Err(reason) => {
                let span = self.span(pair);
                self.diags.push(Diagnostic::error(
                    Kind::BadLiteral {
                        what: "time of day".into(),
                        reason,
                    },
                    span,
                ));
                None
            }
        }
    }

    fn attr_block(&mut self, pair: Pair<'_, Rule>) -> AttrBlock {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::resource => AttrKind::Resource,
            Rule::labels => AttrKind::Labels,
            Rule::body => AttrKind::Body,
            _ => AttrKind::Attributes,
        };
        let mut assigns = Vec::new();
        for p in pair.into_inner().filter(|p| p.as_rule() == Rule::assign) {
            let aspan = self.span(&p);
            let mut inner = p.into_inner();
            let Some(key_pair) = inner.next() else {
                continue;
            };
            let key = if key_pair.as_str().starts_with('"') {
                self.string(&key_pair)
            } else {
                self.ident(&key_pair)
            };
            let value = inner
                .next()
                .map(|v| self.value(v))
                .unwrap_or_else(|| self.empty(aspan));
            assigns.push(Assign {
                key,
                value,
                span: aspan,
            });
        }
        AttrBlock {
            kind,
            assigns,
            span,
        }
    }

    fn scenario(&mut self, pair: Pair<'_, Rule>) -> Scenario {
        let span = self.span(&pair);
        let (name, body) = self.name_and_body(pair);
        let mut props = Vec::new();
        let mut traffic = Vec::new();
        for p in body {
            if p.as_rule() == Rule::traffic {
                let tspan = self.span(&p);
                let tprops = p
                    .into_inner()
                    .filter(|p| !names::is_keyword(p.as_rule()))
                    .map(|p| self.prop(p))
                    .collect();
                traffic.push(Traffic {
                    props: tprops,
                    span: tspan,
                });
            } else {
                props.push(self.prop(p));
            }
        }
        Scenario {
            name,
            props,
            traffic,
            span,
        }
    }

    fn service(&mut self, pair: Pair<'_, Rule>) -> Service {
        let span = self.span(&pair);
        let (name, body) = self.name_and_body(pair);
        let (mut props, mut blocks, mut endpoints) = (Vec::new(), Vec::new(), Vec::new());
        for p in body {
            match p.as_rule() {
                Rule::resource | Rule::attributes => blocks.push(self.attr_block(p)),
                Rule::endpoint => endpoints.push(self.endpoint(p)),
                _ => props.push(self.prop(p)),
            }
        }
        Service {
            name,
            props,
            blocks,
            endpoints,
            span,
        }
    }

    fn endpoint(&mut self, pair: Pair<'_, Rule>) -> Endpoint {
        let span = self.span(&pair);
        let (name, body) = self.name_and_body(pair);
        let mut e = Endpoint {
            name,
            props: Vec::new(),
            blocks: Vec::new(),
            consumes: Vec::new(),
            steps: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            span,
        };
        for p in body {
            match p.as_rule() {
                Rule::attributes => e.blocks.push(self.attr_block(p)),
                Rule::consume_stmt => {
                    let cspan = self.span(&p);
                    let (queue, topic) = self.two_strings(p, cspan);
                    e.consumes.push(Consume {
                        queue,
                        topic,
                        span: cspan,
                    });
                }
                Rule::span_event => e.events.push(self.span_event(p)),
                Rule::span_link => e.links.push(self.span_link(p)),
                Rule::call_stmt
                | Rule::query_stmt
                | Rule::publish_stmt
                | Rule::parallel
                | Rule::internal => e.steps.push(self.step(p)),
                _ => e.props.push(self.prop(p)),
            }
        }
        e
    }

    /// The first two strings of a statement (blank when missing).
    fn two_strings(&mut self, pair: Pair<'_, Rule>, span: Span) -> (Name, Name) {
        let strings: Vec<_> = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::string)
            .collect();
        let mut get = |i: usize| {
            strings
                .get(i)
                .map(|s| self.string(s))
                .unwrap_or_else(|| Spanned::new(String::new(), span))
        };
        (get(0), get(1))
    }

    /// `chance` and `attributes` of an `event` or `link` body.
    fn event_body(&mut self, pair: Pair<'_, Rule>) -> (Vec<Prop>, Vec<AttrBlock>) {
        let (mut props, mut blocks) = (Vec::new(), Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::attributes => blocks.push(self.attr_block(p)),
                Rule::chance_opt => props.push(self.prop(p)),
                _ => {}
            }
        }
        (props, blocks)
    }

    fn span_event(&mut self, pair: Pair<'_, Rule>) -> SpanEvent {
        let span = self.span(&pair);
        let (name, _) = self.two_strings(pair.clone(), span);
        let (props, blocks) = self.event_body(pair);
        SpanEvent {
            name,
            props,
            blocks,
            span,
        }
    }

    fn span_link(&mut self, pair: Pair<'_, Rule>) -> SpanLink {
        let span = self.span(&pair);
        let (service, endpoint) = self.two_strings(pair.clone(), span);
        let (props, blocks) = self.event_body(pair);
        SpanLink {
            service,
            endpoint,
            props,
            blocks,
            span,
        }
    }

    fn step(&mut self, pair: Pair<'_, Rule>) -> Step {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::parallel => {
                // A block nested deeper than a pack allows is kept, empty,
                // for the checker to report (`tsim::too_deep`); what is
                // inside it is not built, so no nesting overflows the stack.
                if self.nesting > tsim_pack::MAX_STEP_DEPTH {
                    return Step::Parallel {
                        steps: Vec::new(),
                        span,
                    };
                }
                self.nesting += 1;
                let steps = pair
                    .into_inner()
                    .filter(|p| !names::is_keyword(p.as_rule()))
                    .map(|p| self.step(p))
                    .collect();
                self.nesting -= 1;
                return Step::Parallel { steps, span };
            }
            Rule::internal => {
                // Nested like `parallel`: bounded the same way.
                if self.nesting > tsim_pack::MAX_STEP_DEPTH {
                    return Step::Parallel {
                        steps: Vec::new(),
                        span,
                    };
                }
                self.nesting += 1;
                let e = self.endpoint(pair);
                self.nesting -= 1;
                return Step::Internal(Box::new(e));
            }
            Rule::query_stmt => StepKind::Query,
            Rule::publish_stmt => StepKind::Publish,
            _ => StepKind::Call,
        };
        let mut strings = Vec::new();
        let mut options = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string => strings.push(self.string(&p)),
                r if names::is_keyword(r) => {}
                _ => options.push(self.prop(p)),
            }
        }
        let mut strings = strings.into_iter();
        let blank = Spanned::new(String::new(), span);
        let target = strings.next().unwrap_or_else(|| blank.clone());
        let operation = strings.next().unwrap_or(blank);
        Step::Single {
            kind,
            target,
            operation,
            options,
            span,
        }
    }

    fn backend(&mut self, pair: Pair<'_, Rule>) -> Backend {
        let span = self.span(&pair);
        let kind = if pair.as_rule() == Rule::queue {
            BackendKind::Queue
        } else {
            BackendKind::Database
        };
        let (name, body) = self.name_and_body(pair);
        let (mut props, mut blocks) = (Vec::new(), Vec::new());
        for p in body {
            match p.as_rule() {
                Rule::resource | Rule::attributes => blocks.push(self.attr_block(p)),
                _ => props.push(self.prop(p)),
            }
        }
        Backend {
            kind,
            name,
            props,
            blocks,
            span,
        }
    }

    fn metric(&mut self, pair: Pair<'_, Rule>) -> Metric {
        let span = self.span(&pair);
        let (name, body) = self.name_and_body(pair);
        let mut kind = Spanned::new(String::new(), span);
        let (mut per, mut from_spans, mut props, mut labels) = (None, None, Vec::new(), Vec::new());
        for p in body {
            match p.as_rule() {
                Rule::metric_kind => kind = self.ident(&p),
                Rule::per_opt => {
                    let pspan = self.span(&p);
                    if let Some(prev) = &per {
                        let prev: &Name = prev;
                        let kind = Kind::DuplicateStatement {
                            statement: "per".into(),
                        };
                        self.diags.push(
                            Diagnostic::error(kind, pspan)
                                .with_label(prev.span, "first given here"),
                        );
                    }
                    per = p
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::ident)
                        .map(|p| self.ident(&p))
                }
                Rule::from_spans => {
                    let fspan = self.span(&p);
                    let of = p
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::string)
                        .map(|p| self.string(&p));
                    if let Some(prev) = &from_spans {
                        let prev: &FromSpans = prev;
                        self.diags.push(
                            Diagnostic::error(
                                Kind::DuplicateStatement {
                                    statement: "from spans".into(),
                                },
                                fspan,
                            )
                            .with_label(prev.span, "first given here"),
                        );
                    }
                    from_spans = Some(FromSpans { of, span: fspan });
                }
                Rule::labels => labels.push(self.attr_block(p)),
                _ => props.push(self.prop(p)),
            }
        }
        Metric {
            name,
            kind,
            per,
            from_spans,
            props,
            labels,
            span,
        }
    }

    fn family(&mut self, pair: Pair<'_, Rule>) -> Family {
        let span = self.span(&pair);
        let mut kind = Spanned::new(String::new(), span);
        let (mut settings, mut labels) = (Vec::new(), Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => kind = self.ident(&p),
                Rule::labels => labels.push(self.attr_block(p)),
                Rule::setting => {
                    let sspan = self.span(&p);
                    let mut inner = p.into_inner();
                    let key = inner
                        .next()
                        .map(|k| self.ident(&k))
                        .unwrap_or_else(|| Spanned::new(String::new(), sspan));
                    let value = inner.next().map(|v| self.value(v));
                    settings.push(Prop {
                        key,
                        value,
                        options: Vec::new(),
                        span: sspan,
                    });
                }
                _ => {}
            }
        }
        Family {
            kind,
            settings,
            labels,
            span,
        }
    }

    fn span_logs(&mut self, pair: Pair<'_, Rule>) -> SpanLogs {
        let span = self.span(&pair);
        let mut rules = Vec::new();
        for p in pair
            .into_inner()
            .filter(|p| matches!(p.as_rule(), Rule::access_stmt | Rule::error_logs_stmt))
        {
            let rspan = self.span(&p);
            let mut kind = Spanned::new(String::new(), rspan);
            let (mut options, mut blocks) = (Vec::new(), Vec::new());
            for q in p.into_inner() {
                match q.as_rule() {
                    Rule::kw_access | Rule::kw_errors => kind = self.ident(&q),
                    Rule::attributes | Rule::body => blocks.push(self.attr_block(q)),
                    r if names::is_keyword(r) => {}
                    _ => options.push(self.prop(q)),
                }
            }
            rules.push(SpanLogRule {
                kind,
                options,
                blocks,
                span: rspan,
            });
        }
        SpanLogs { rules, span }
    }

    fn log_stream(&mut self, pair: Pair<'_, Rule>) -> LogStream {
        let span = self.span(&pair);
        let (name, body) = self.name_and_body(pair);
        let (mut props, mut blocks) = (Vec::new(), Vec::new());
        for p in body {
            match p.as_rule() {
                Rule::attributes | Rule::body => blocks.push(self.attr_block(p)),
                _ => props.push(self.prop(p)),
            }
        }
        LogStream {
            name,
            props,
            blocks,
            span,
        }
    }

    fn timeline(&mut self, pair: Pair<'_, Rule>) -> Timeline {
        let span = self.span(&pair);
        let entries = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::timeline_entry)
            .map(|p| self.entry(p))
            .collect();
        Timeline { entries, span }
    }

    fn entry(&mut self, pair: Pair<'_, Rule>) -> Entry {
        let span = self.span(&pair);
        let mut when = When::At {
            at: self.empty(span),
            ramp: None,
            for_: None,
            span,
        };
        let mut action = Spanned::new(String::new(), span);
        let (mut target, mut magnitude, mut overrides) = (None, None, Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::at_when | Rule::every_when => when = self.when(p),
                Rule::action => {
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::action_kind => action = self.ident(&q),
                            Rule::string => target = Some(self.string(&q)),
                            Rule::magnitude => {
                                magnitude = q.into_inner().next().map(|v| self.value(v))
                            }
                            r if names::is_keyword(r) => {}
                            _ => overrides.push(self.prop(q)),
                        }
                    }
                }
                _ => {}
            }
        }
        Entry {
            when,
            action,
            target,
            magnitude,
            overrides,
            span,
        }
    }

    fn when(&mut self, pair: Pair<'_, Rule>) -> When {
        let span = self.span(&pair);
        let every = pair.as_rule() == Rule::every_when;
        let (mut main, mut ramp, mut for_) = (None, None, None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::value => main = Some(self.value(p)),
                Rule::ramp_opt => ramp = self.prop(p).value,
                Rule::for_opt => for_ = self.prop(p).value,
                _ => {}
            }
        }
        let main = main.unwrap_or_else(|| self.empty(span));
        if every {
            When::Every {
                every: main,
                for_,
                span,
            }
        } else {
            When::At {
                at: main,
                ramp,
                for_,
                span,
            }
        }
    }

    /// Builds a `value` (or any of its alternatives).
    pub(super) fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let node = match rule {
            Rule::value => {
                let mut inner = pair.into_inner();
                let Some(first) = inner.next() else {
                    return Spanned::new(ValueKind::List(Vec::new()), span);
                };
                let a = self.value(first);
                let Some(tail) = inner.next() else {
                    return a;
                };
                let ramp = tail.as_rule() == Rule::ramp_tail;
                let b = match tail.into_inner().next() {
                    Some(p) => self.value(p),
                    None => self.empty(span),
                };
                if ramp {
                    ValueKind::Ramp(Box::new(a), Box::new(b))
                } else {
                    ValueKind::Range(Box::new(a), Box::new(b))
                }
            }
            Rule::pick => {
                let mut entries = Vec::new();
                for e in pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::pick_entry)
                {
                    let kv: Vec<Value> = e.into_inner().map(|p| self.value(p)).collect();
                    let mut kv = kv.into_iter();
                    if let (Some(k), Some(v)) = (kv.next(), kv.next()) {
                        entries.push((k, v));
                    }
                }
                ValueKind::Pick(entries)
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = inner
                    .next()
                    .map(|p| self.ident(&p))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                let mut args = Vec::new();
                for a in inner {
                    let mut arg_name = None;
                    let mut arg_value = None;
                    for q in a.into_inner() {
                        if q.as_rule() == Rule::arg_name {
                            arg_name = Some(self.ident(&q));
                        } else {
                            arg_value = Some(self.value(q));
                        }
                    }
                    if let Some(value) = arg_value {
                        args.push(Arg {
                            name: arg_name,
                            value,
                        });
                    }
                }
                ValueKind::Call { name, args }
            }
            Rule::list => ValueKind::List(pair.into_inner().map(|p| self.value(p)).collect()),
            Rule::param_ref => ValueKind::Param(pair.as_str().trim_start_matches('$').to_string()),
            Rule::approx => match pair.into_inner().next() {
                Some(q) => match self.value(q).node {
                    ValueKind::Quantity(q) => ValueKind::Approx(q),
                    other => other,
                },
                None => ValueKind::List(Vec::new()),
            },
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::string => ValueKind::Str(self.string(&pair).node),
            Rule::ident => ValueKind::Ident(pair.as_str().to_string()),
            Rule::time_of_day => ValueKind::TimeOfDay(self.time_of_day(&pair).unwrap_or(0)),
            Rule::instant => match values::instant(pair.as_str()) {
                Ok((secs, nanos)) => ValueKind::Instant { secs, nanos },
                Err(reason) => {
                    self.diags.push(Diagnostic::error(
                        Kind::BadLiteral {
                            what: "instant".into(),
                            reason,
                        },
                        span,
                    ));
                    ValueKind::Instant { secs: 0, nanos: 0 }
                }
            },
            Rule::quantity => ValueKind::Quantity(self.quantity(pair)),
            _ => ValueKind::Ident(pair.as_str().to_string()),
        };
        Spanned::new(node, span)
    }

    fn quantity(&mut self, pair: Pair<'_, Rule>) -> Quantity {
        let span = self.span(&pair);
        let mut negative = false;
        let mut signed = false;
        let mut result = Quantity {
            unit: Unit::Number,
            value: 0.0,
            signed: false,
        };
        for p in pair.into_inner() {
            let unit = match p.as_rule() {
                Rule::sign => {
                    negative = p.as_str() == "-";
                    signed = !negative;
                    continue;
                }
                Rule::duration => Unit::Duration,
                Rule::rate => Unit::Rate,
                Rule::size => Unit::Size,
                Rule::percent => Unit::Percent,
                Rule::multiplier => Unit::Multiplier,
                _ => Unit::Number,
            };
            match values::quantity(unit, p.as_str()) {
                Ok(q) => result = q,
                Err(reason) => {
                    self.diags.push(Diagnostic::error(
                        Kind::BadLiteral {
                            what: "number".into(),
                            reason,
                        },
                        span,
                    ));
                    result.unit = unit;
                }
            }
        }
        if negative {
            result.value = -result.value;
        }
        result.signed = signed;
        result
    }
}
