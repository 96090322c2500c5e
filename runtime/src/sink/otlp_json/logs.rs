//! A log record as an OTLP/JSON `LogRecord`: times, severity, the
//! rendered body as a string value (a structured body as a `kvlistValue`),
//! attributes and trace context.

use super::json::{self, KeyValues, ATTRIBUTES};
use crate::sink::{fmt, LogRecord};

/// The request field names of logs.
pub const NAMES: super::batch::Names = super::batch::Names {
    resources: "resourceLogs",
    scopes: "scopeLogs",
    records: "logRecords",
};

/// Appends the log record object; `buf` is scratch space.
pub fn record(out: &mut String, r: &LogRecord<'_>, buf: &mut String) {
    use std::fmt::Write;
    out.push_str("{\"timeUnixNano\":");
    json::nanos(out, r.time_ns);
    out.push_str(",\"observedTimeUnixNano\":");
    json::nanos(out, r.time_ns);
    let _ = write!(out, ",\"severityNumber\":{}", r.severity_number);
    if !r.severity_text.is_empty() {
        out.push_str(",\"severityText\":");
        fmt::string(out, r.severity_text);
    }
    out.push_str(",\"body\":");
    match r.body.fields {
        Some(fields) => {
            out.push_str("{\"kvlistValue\":{\"values\":[");
            {
                // The list is opened above, so it is never closed by `kv`.
                let mut kv = KeyValues::new(out, "");
                for (k, v) in fields.iter() {
                    kv.value(k, v);
                }
            }
            out.push_str("]}}");
        }
        None => {
            buf.clear();
            r.body.render(buf);
            json::string_value(out, buf);
        }
    }
    let mut kv = KeyValues::new(out, ATTRIBUTES);
    for (k, v) in r.attributes.iter() {
        kv.value(k, v);
    }
    kv.close();
    if let Some(t) = r.trace_id {
        out.push_str(",\"traceId\":");
        json::id(out, &t);
    }
    if let Some(s) = r.span_id {
        out.push_str(",\"spanId\":");
        json::id(out, &s);
    }
    out.push('}');
}
