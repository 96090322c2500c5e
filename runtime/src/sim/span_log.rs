//! Span-derived logs: one record of an `access` or `errors` rule about
//! an emitted span, its level, message or structured body and attributes
//! drawn per record, its `{placeholders}` filled from the span.

use std::io;

use rand_pcg::Pcg64;

use super::emit::Emitter;
use crate::draw::body::{draw_body, FillLookup, Record};
use crate::draw::values::{draw_attrs, draw_text, severity};
use crate::plan::Plan;
use crate::sink::{Attributes, Body, LogRecord, Sink, SpanRecord, Value};

impl<'p> Emitter<'p> {
    /// One log of `rule` about `span`; `origin` is where its failure came
    /// from (what `{peer}` names in an error log).
    pub(super) fn span_log(
        &mut self,
        plan: &Plan<'p>,
        span: &SpanRecord<'_>,
        origin: Option<&str>,
        rule: &tsim_pack::SpanLogRule,
        rng: &mut Pcg64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = plan.pack;
        let level = draw_text(pack, rng, &rule.level).map_or("", |s| plan.str(s));
        let template = draw_text(pack, rng, &rule.message).map_or("", |s| plan.str(s));
        self.drawn.clear();
        self.text.clear();
        let range = draw_attrs(
            pack,
            rng,
            rule.attrs,
            &rule.gen_attrs,
            &mut self.drawn,
            &mut self.text,
        );
        let span_field = |name: &str, out: &mut String| -> bool {
            match name {
                "duration_ms" => crate::sink::fmt::number(
                    out,
                    (span.duration_ns() as f64 / 1e6 * 1000.0).round() / 1000.0,
                ),
                "operation" => out.push_str(span.name),
                // `GET /users/48213` for an HTTP request, else the name.
                "request" => match (
                    span.attributes.get("http.request.method"),
                    span.attributes.get("url.path"),
                ) {
                    (Some(m), Some(p)) => {
                        m.write(out);
                        out.push(' ');
                        p.write(out);
                    }
                    _ => out.push_str(span.name),
                },
                "service" => out.push_str(span.resource.name),
                "peer" => out.push_str(origin.or(span.peer).unwrap_or("unknown")),
                "status" => match span.http_status_code {
                    Some(c) => Value::Int(i64::from(c)).write(out),
                    None if span.failed => out.push_str("ERROR"),
                    None => out.push_str("OK"),
                },
                "error.type" => match span.error_type {
                    Some(v) => v.write(out),
                    None => out.push_str("error"),
                },
                "http.response.status_code" if span.http_status_code.is_some() => {
                    Value::Int(i64::from(span.http_status_code.unwrap_or(0))).write(out)
                }
                _ => match span.attributes.get(name) {
                    Some(v) => v.write(out),
                    None => return false,
                },
            }
            true
        };
        let fields = rule.body.as_ref().map(|body| {
            let record = Record {
                set: rule.attrs,
                drawn: range,
            };
            let more = FillLookup {
                pack,
                fill: &span_field,
            };
            let at = draw_body(
                pack,
                rng,
                body,
                record,
                &more,
                &mut self.drawn,
                &mut self.text,
            );
            (body.attrs, at)
        });
        let drawn = &self.drawn;
        let slice = |r: (u32, u32)| drawn.get(r.0 as usize..r.1 as usize).unwrap_or(&[]);
        let attributes = Attributes::new(pack, rule.attrs, slice(range), &self.text);
        let fields = fields.map(|(set, at)| Attributes::new(pack, set, slice(at), &self.text));
        let fill = |name: &str, out: &mut String| -> bool {
            span_field(name, out) || attributes.get(name).map(|v| v.write(out)).is_some()
        };
        sink.log(&LogRecord {
            time_ns: span.end_ns,
            service: span.resource.name,
            resource: Some(span.resource),
            severity_number: severity(level),
            severity_text: level,
            body: Body {
                template,
                fill: Some(&fill),
                fields,
            },
            attributes,
            trace_id: Some(span.trace_id),
            span_id: Some(span.span_id),
        })
    }
}
