//! Log records as protobuf `LogRecord`s
//! (`opentelemetry/proto/logs/v1/logs.proto`): times, severity, the
//! rendered body as a string value (a structured body as a
//! `kvlist_value`), attributes and trace context.

use super::common::{key_value, string_value};
use super::wire;
use crate::sink::LogRecord;

/// Appends the body of the `LogRecord` of `r`; `buf` is scratch space.
pub fn record(out: &mut Vec<u8>, r: &LogRecord<'_>, buf: &mut String) {
    wire::time_field(out, 1, r.time_ns);
    wire::uint_field(out, 2, u64::from(r.severity_number));
    wire::str_field(out, 3, r.severity_text);
    match r.body.fields {
        Some(fields) => {
            // AnyValue { kvlist_value (6): KeyValueList { values (1) } }
            let any = wire::begin(out, 5);
            let list = wire::begin(out, 6);
            for (k, v) in fields.iter() {
                key_value(out, 1, k, v);
            }
            wire::end(out, list);
            wire::end(out, any);
        }
        None => {
            buf.clear();
            r.body.render(buf);
            string_value(out, 5, buf);
        }
    }
    for (k, v) in r.attributes.iter() {
        key_value(out, 6, k, v);
    }
    if let Some(t) = r.trace_id {
        wire::bytes_field(out, 9, &t);
    }
    if let Some(s) = r.span_id {
        wire::bytes_field(out, 10, &s);
    }
    wire::time_field(out, 11, r.time_ns);
}
