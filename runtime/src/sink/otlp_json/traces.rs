//! A span as an OTLP/JSON `Span`: hex ids, kind and status code as
//! integers, the HTTP, `error.type` and retry attributes, an `exception`
//! event and the user-declared events, the producer link and the
//! user-declared links.

use super::json::{self, KeyValues, ATTRIBUTES};
use crate::sink::{fmt, SpanRecord, ERROR_TYPE_KEY, RESEND_KEY, STATUS_CODE_KEY};

/// The request field names of traces.
pub const NAMES: super::batch::Names = super::batch::Names {
    resources: "resourceSpans",
    scopes: "scopeSpans",
    records: "spans",
};

/// Appends the span object; `buf` is scratch space.
pub fn span(out: &mut String, s: &SpanRecord<'_>, buf: &mut String) {
    out.push_str("{\"traceId\":");
    json::id(out, &s.trace_id);
    out.push_str(",\"spanId\":");
    json::id(out, &s.span_id);
    if let Some(p) = s.parent {
        out.push_str(",\"parentSpanId\":");
        json::id(out, &p);
    }
    out.push_str(",\"name\":");
    fmt::string(out, s.name);
    out.push_str(",\"kind\":");
    push_u8(out, s.kind as u8);
    out.push_str(",\"startTimeUnixNano\":");
    json::nanos(out, s.start_ns);
    out.push_str(",\"endTimeUnixNano\":");
    json::nanos(out, s.end_ns);
    attributes(out, s, buf);
    events(out, s, buf);
    links(out, s);
    out.push_str(",\"status\":{");
    let code = s.status as u8;
    if code != 0 {
        out.push_str("\"code\":");
        push_u8(out, code);
    }
    if !s.status_message.is_empty() {
        if code != 0 {
            out.push(',');
        }
        out.push_str("\"message\":");
        fmt::string(out, s.status_message);
    }
    out.push_str("}}");
}

/// The `exception` event, then the user-declared events.
fn events(out: &mut String, s: &SpanRecord<'_>, buf: &mut String) {
    if s.exception.is_none() && s.events.is_empty() {
        return;
    }
    out.push_str(",\"events\":[");
    let mut first = true;
    if let Some(e) = s.exception {
        first = false;
        out.push_str("{\"timeUnixNano\":");
        json::nanos(out, e.time_ns);
        out.push_str(",\"name\":\"exception\"");
        let mut kv = KeyValues::new(out, ATTRIBUTES);
        kv.text("exception.type", e.exception_type, buf);
        kv.close();
        out.push('}');
    }
    for e in s.events.iter() {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push_str("{\"timeUnixNano\":");
        json::nanos(out, e.time_ns);
        out.push_str(",\"name\":");
        fmt::string(out, e.name);
        let mut kv = KeyValues::new(out, ATTRIBUTES);
        for (k, v) in e.attributes.iter() {
            kv.value(k, v);
        }
        kv.close();
        out.push('}');
    }
    out.push(']');
}

/// The producer link, then the user-declared links.
fn links(out: &mut String, s: &SpanRecord<'_>) {
    if s.link.is_none() && s.links.is_empty() {
        return;
    }
    out.push_str(",\"links\":[");
    let mut first = true;
    if let Some((trace, span)) = s.link {
        first = false;
        out.push_str("{\"traceId\":");
        json::id(out, &trace);
        out.push_str(",\"spanId\":");
        json::id(out, &span);
        out.push('}');
    }
    for l in s.links.iter() {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push_str("{\"traceId\":");
        json::id(out, &l.trace_id);
        out.push_str(",\"spanId\":");
        json::id(out, &l.span_id);
        let mut kv = KeyValues::new(out, ATTRIBUTES);
        for (k, v) in l.attributes.iter() {
            kv.value(k, v);
        }
        kv.close();
        out.push('}');
    }
    out.push(']');
}

/// The record's attributes, then `http.response.status_code`, `error.type`
/// and `http.request.resend_count` (a drawn attribute of one of these names
/// gives way to the record's own field).
fn attributes(out: &mut String, s: &SpanRecord<'_>, buf: &mut String) {
    let mut kv = KeyValues::new(out, ATTRIBUTES);
    for (k, v) in s.attributes.iter() {
        if !s.shadows(k) {
            kv.value(k, v);
        }
    }
    if let Some(code) = s.http_status_code {
        kv.int(STATUS_CODE_KEY, i64::from(code));
    }
    if let Some(t) = s.error_type {
        kv.text(ERROR_TYPE_KEY, t, buf);
    }
    if s.writes_resend() {
        kv.int(RESEND_KEY, i64::from(s.resend_count));
    }
    kv.close();
}

fn push_u8(out: &mut String, v: u8) {
    use std::fmt::Write;
    let _ = write!(out, "{v}");
}
