//! Log messages: filling a template's `{name}` placeholders from a span's
//! attributes and a few computed fields (`duration_ms`, `operation`,
//! `service`, `peer`, `error.type`, `http.response.status_code`).

use tsim_pack::{AttrValue, Pack};

use crate::sink::fmt;

/// What a span contributes to its log messages.
pub struct SpanFacts<'a> {
    /// Attribute set of the span template.
    pub attrs: u32,
    /// Duration.
    pub duration_ns: u64,
    /// Span name.
    pub operation: &'a str,
    /// Emitting service.
    pub service: &'a str,
    /// Called resource, if any.
    pub peer: &'a str,
    /// Injected error type, overriding the template's.
    pub error_type: Option<&'a str>,
    /// Injected status code, overriding the template's.
    pub status_code: Option<u16>,
}

fn value(pack: &Pack, v: &AttrValue, out: &mut String) {
    match v {
        AttrValue::Str(s) => out.push_str(pack.strings.get(*s as usize).map_or("", String::as_str)),
        AttrValue::Int(i) => out.push_str(&i.to_string()),
        AttrValue::Float(f) => fmt::number(out, *f),
        AttrValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

/// Fills `template` for one span into `out`.
pub fn fill(pack: &Pack, template: &str, f: &SpanFacts<'_>, out: &mut String) {
    out.clear();
    let attrs = pack
        .attr_sets
        .get(f.attrs as usize)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    tsim_pack::template::fill_placeholders(template, out, |name, out| {
        match name {
            "duration_ms" => {
                fmt::number(out, (f.duration_ns as f64 / 1e6 * 1000.0).round() / 1000.0)
            }
            "operation" => out.push_str(f.operation),
            "service" => out.push_str(f.service),
            "peer" => out.push_str(if f.peer.is_empty() { "unknown" } else { f.peer }),
            "error.type" if f.error_type.is_some() => {
                out.push_str(f.error_type.unwrap_or_default())
            }
            "http.response.status_code" if f.status_code.is_some() => {
                out.push_str(&f.status_code.unwrap_or(500).to_string())
            }
            _ => match attrs
                .iter()
                .find(|a| pack.strings.get(a.key as usize).is_some_and(|k| k == name))
            {
                Some(a) => value(pack, &a.value, out),
                None if name == "error.type" => out.push_str("error"),
                None => return false,
            },
        }
        true
    });
}
