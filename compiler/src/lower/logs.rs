//! Log streams and span-derived log rules as generators: each record's
//! level, message template and attributes are drawn by the runtime, which
//! fills the template's `{placeholders}` from the record's attributes (or,
//! for span rules, from the span). A stream's declared `variants N` fixes N
//! (level, message) shapes; its attribute values are still drawn per record.

use tsim_pack::{LogBody, LogStream, SpanLogRule, NONE};

use super::{convert, Builder};
use crate::model::Model;

/// Lowers log streams and span rules, interning in model order.
pub fn lower(b: &mut Builder, model: &Model) {
    for s in &model.log_streams {
        let name = b.str(&s.name);
        let resource = s
            .service
            .as_deref()
            .and_then(|n| b.resource_id(n))
            .unwrap_or(NONE);
        let level = convert::gen(b, &s.level);
        let message = convert::gen(b, &s.message);
        let (attrs, gen_attrs) = convert::split(b, &convert::merged(&[&s.attributes]));
        let body = body(b, s.body.as_deref());
        b.pack.logs.streams.push(LogStream {
            name,
            resource,
            rate: s.rate,
            level,
            message,
            attrs,
            gen_attrs,
            shapes: s.variants.unwrap_or(0),
            body,
        });
    }
    for r in &model.span_logs {
        let level = convert::gen(b, &r.level);
        let message = convert::gen(b, &r.message);
        let (attrs, gen_attrs) = convert::split(b, &convert::merged(&[&r.attributes]));
        let body = body(b, r.body.as_deref());
        b.pack.logs.span_rules.push(SpanLogRule {
            errors_only: r.kind == "errors",
            level,
            message,
            attrs,
            gen_attrs,
            body,
        });
    }
}

/// A structured body's constant and generated fields.
fn body(b: &mut Builder, fields: Option<&[crate::model::Attr]>) -> Option<LogBody> {
    let fields: Vec<_> = fields?.iter().collect();
    let (attrs, gen_attrs) = convert::split(b, &fields);
    Some(LogBody { attrs, gen_attrs })
}
