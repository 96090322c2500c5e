//! Checking logs: span-derived rules and standalone streams, their levels,
//! messages and structured bodies, and that every `{placeholder}` in a
//! stream's message or body is filled by something each record has.

use super::Checker;
use crate::ast::{self, AttrKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::model::{Attr, Generator, LogStream, PatternPart, Scalar, SpanLogRule};
use crate::suggest;
use crate::Span;

/// The most fixed (level, message) shapes a log stream may declare.
const MAX_LOG_VARIANTS: u64 = 10_000_000;
/// What a log level must be.
const LEVEL: &str = "a level such as `INFO`";
/// What a log message must be.
const MESSAGE: &str = "a message template such as \"cache miss for {key}\"";

impl Checker<'_> {
    pub(super) fn span_logs(&mut self, l: &ast::SpanLogs) -> Vec<SpanLogRule> {
        let mut out = Vec::new();
        for r in &l.rules {
            let opts = self.props(&r.options);
            let (level, message) = if r.kind.node == "access" {
                ("INFO", "{request} {status} {duration_ms}ms")
            } else {
                ("ERROR", "{request} failed: {error.type}")
            };
            let level = match Self::value(&opts, "level") {
                Some(v) => self.v.text_choice(v, LEVEL, false),
                None => Some(Generator::Const(Scalar::Str(level.into()))),
            };
            let body = self.body(&r.blocks, Self::value(&opts, "message"));
            let message = match (Self::value(&opts, "message"), &body) {
                (_, Some(_)) => Some(Generator::Const(Scalar::Str(String::new()))),
                (Some(v), None) => self.v.text_choice(v, MESSAGE, true),
                (None, None) => Some(Generator::Const(Scalar::Str(message.into()))),
            };
            // A bad level or message was reported; the rule is left out.
            let (Some(level), Some(message)) = (level, message) else {
                continue;
            };
            let attributes = self.all_attrs(&r.blocks, AttrKind::Attributes);
            out.push(SpanLogRule {
                kind: r.kind.node.clone(),
                level,
                message,
                attributes,
                body,
            });
        }
        out
    }

    pub(super) fn log_stream(&mut self, l: &ast::LogStream) -> Option<LogStream> {
        let props = self.props(&l.props);
        let service =
            Self::value(&props, "service").and_then(|v| self.v.string(v).map(|s| (s, v.span)));
        if let Some((name, span)) = &service {
            if !self.names.services.contains_key(name) {
                let suggestion =
                    suggest::closest(name, self.names.services.keys().map(String::as_str));
                self.v.error(
                    Kind::UnknownService {
                        name: name.clone(),
                        suggestion,
                    },
                    *span,
                );
            }
        }
        let rate = match Self::value(&props, "rate") {
            Some(v) => self.v.rate(v, "the log rate"),
            None => {
                let kind = Kind::MissingStatement {
                    what: format!("log stream `{}`", l.name.node),
                    statement: "rate".into(),
                    example: "rate 5/s".into(),
                };
                self.v.error(kind, l.name.span);
                None
            }
        };
        let level = match Self::value(&props, "level") {
            Some(v) => self.v.text_choice(v, LEVEL, false),
            None => Some(Generator::Const(Scalar::Str("INFO".into()))),
        };
        let body = self.body(&l.blocks, Self::value(&props, "message"));
        let message = match Self::value(&props, "message") {
            _ if body.is_some() => Some(Generator::Const(Scalar::Str(String::new()))),
            Some(v) => self.v.text_choice(v, MESSAGE, true),
            None => {
                let kind = Kind::MissingStatement {
                    what: format!("log stream `{}`", l.name.node),
                    statement: "message` or `body".into(),
                    example: "message \"cache miss for {key}\"".into(),
                };
                self.v.error(kind, l.name.span);
                None
            }
        };
        let variants = Self::value(&props, "variants")
            .and_then(|v| self.v.count_in(v, "the variant count", 1, MAX_LOG_VARIANTS))
            .and_then(|n| u32::try_from(n).ok());
        let attributes = self.all_attrs(&l.blocks, AttrKind::Attributes);
        if let (Some(v), Some(m), None) = (Self::value(&props, "message"), &message, &body) {
            self.placeholders_declared(m, &attributes, v.span);
        }
        if let Some(fields) = &body {
            self.body_placeholders(&l.blocks, fields, &attributes);
        }
        Some(LogStream {
            name: l.name.node.clone(),
            service: service.map(|s| s.0),
            rate: rate?,
            level: level?,
            message: message?,
            attributes,
            body,
            variants,
        })
    }

    /// The structured body of a log rule or stream: its `body { }` fields,
    /// or none. A body replaces the message, so both are refused.
    fn body(
        &mut self,
        blocks: &[ast::AttrBlock],
        message: Option<&ast::Value>,
    ) -> Option<Vec<Attr>> {
        let first = blocks.iter().find(|b| b.kind == AttrKind::Body)?;
        if let Some(m) = message {
            let kind = Kind::ConflictingStatements {
                first: "body".into(),
                second: "message".into(),
            };
            self.v.diags.push(
                Diagnostic::error(kind, m.span)
                    .with_label(first.span, "the body is already given here"),
            );
        }
        Some(self.all_attrs(blocks, AttrKind::Body))
    }

    /// Every `{name}` in a stream's body fields names an attribute, a
    /// constant body field or a body field drawn before it, none of them
    /// a `maybe`.
    fn body_placeholders(&mut self, blocks: &[ast::AttrBlock], fields: &[Attr], attrs: &[Attr]) {
        let assigns = blocks
            .iter()
            .filter(|b| b.kind == AttrKind::Body)
            .flat_map(|b| &b.assigns);
        for a in assigns {
            let Some(at) = fields.iter().position(|f| f.key == a.key.node) else {
                continue;
            };
            let Generator::Pattern(parts) = &fields[at].value else {
                continue;
            };
            let text: String = parts.iter().map(PatternPart::source).collect();
            for part in parts {
                let PatternPart::Attr(name) = part else {
                    continue;
                };
                let before = fields
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| *i < at || matches!(f.value, Generator::Const(_)));
                let found = attrs
                    .iter()
                    .chain(before.map(|(_, f)| f))
                    .find(|f| &f.key == name);
                let maybe = match found {
                    None => false,
                    Some(f) if matches!(f.value, Generator::Maybe(..)) => true,
                    Some(_) => continue,
                };
                let kind = Kind::UnfilledPlaceholder {
                    name: name.clone(),
                    message: text.clone(),
                    maybe,
                };
                self.v.error(kind, a.value.span);
            }
        }
    }

    /// Every `{name}` in a stream's messages is one of its attributes and
    /// always present (a `maybe` one would leave the placeholder in the
    /// text of the records that lack it).
    fn placeholders_declared(&mut self, message: &Generator, attrs: &[Attr], span: Span) {
        let texts: Vec<&str> = match message {
            Generator::Const(Scalar::Str(t)) => vec![t.as_str()],
            Generator::Pick(entries) => entries
                .iter()
                .filter_map(|(k, _)| match k {
                    Scalar::Str(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for text in texts {
            let mut rest = text;
            while let Some(open) = rest.find('{') {
                let Some(close) = rest[open..].find('}') else {
                    break;
                };
                let name = &rest[open + 1..open + close];
                rest = &rest[open + close + 1..];
                let builtin = name == "n"
                    || name == "uuid"
                    || name.starts_with("n:")
                    || name.starts_with("hex");
                if builtin {
                    continue;
                }
                let maybe = match attrs.iter().find(|a| a.key == name) {
                    None => false,
                    Some(a) if matches!(a.value, Generator::Maybe(..)) => true,
                    Some(_) => continue,
                };
                let kind = Kind::UnfilledPlaceholder {
                    name: name.to_string(),
                    message: text.to_string(),
                    maybe,
                };
                self.v.error(kind, span);
            }
        }
    }
}
