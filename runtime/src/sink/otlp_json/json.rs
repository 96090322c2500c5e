//! Writing OTLP/JSON values: ids as lowercase hex, 64-bit integers as
//! decimal strings, doubles, any-values, key-value lists, resources and the
//! instrumentation scope (the protobuf JSON mapping with OTLP's exceptions).

use std::fmt::Write;

use crate::sink::fmt;
use crate::sink::{sdk_attributes, ResourceRef, Value, RESOURCE_KEYS, SCOPE_NAME};
use crate::VERSION;

/// Appends `"key":` (the key is a fixed, clean field name).
pub fn field(out: &mut String, key: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// Appends an id as a lowercase hex JSON string.
pub fn id(out: &mut String, bytes: &[u8]) {
    out.push('"');
    fmt::hex(out, bytes);
    out.push('"');
}

/// Appends Unix nanoseconds as a decimal string (`fixed64`: before 1970 is 0).
pub fn nanos(out: &mut String, unix_ns: i64) {
    uint(out, unix_ns.max(0) as u64);
}

/// Appends a 64-bit unsigned integer as a decimal string.
pub fn uint(out: &mut String, v: u64) {
    let _ = write!(out, "\"{v}\"");
}

/// Appends a double: integral values as integers, others with the
/// shortest text that reads back to the same value; NaN and infinities as
/// the protobuf JSON mapping's strings.
pub fn double(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("\"NaN\"");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
    } else if v == v.trunc() && v.abs() < 1e15 {
        fmt::number(out, v);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Appends an `AnyValue` holding a typed value.
pub fn any_value(out: &mut String, v: Value<'_>) {
    match v {
        Value::Str(s) => string_value(out, s),
        Value::Int(i) => int_value(out, i),
        Value::Float(f) => {
            out.push_str("{\"doubleValue\":");
            double(out, f);
            out.push('}');
        }
        Value::Bool(b) => out.push_str(if b {
            "{\"boolValue\":true}"
        } else {
            "{\"boolValue\":false}"
        }),
    }
}

/// Appends `{"stringValue":"..."}`.
pub fn string_value(out: &mut String, s: &str) {
    out.push_str("{\"stringValue\":");
    fmt::string(out, s);
    out.push('}');
}

/// Appends `{"intValue":"..."}`.
pub fn int_value(out: &mut String, i: i64) {
    let _ = write!(out, "{{\"intValue\":\"{i}\"}}");
}

/// Opens a span's, record's or data point's attribute list after its
/// other fields.
pub const ATTRIBUTES: &str = ",\"attributes\":[";

/// A `KeyValue` list being written: `lead` (such as [`ATTRIBUTES`]) before
/// the first element, commas between, nothing at all when empty.
pub struct KeyValues<'o> {
    out: &'o mut String,
    lead: &'static str,
    open: bool,
}

impl<'o> KeyValues<'o> {
    /// A list written into `out`.
    pub fn new(out: &'o mut String, lead: &'static str) -> KeyValues<'o> {
        KeyValues {
            out,
            lead,
            open: false,
        }
    }

    fn key(&mut self, key: &str) {
        if self.open {
            self.out.push(',');
        } else {
            self.out.push_str(self.lead);
            self.open = true;
        }
        self.out.push_str("{\"key\":");
        fmt::string(self.out, key);
        self.out.push_str(",\"value\":");
    }

    /// One typed attribute.
    pub fn value(&mut self, key: &str, v: Value<'_>) {
        self.key(key);
        any_value(self.out, v);
        self.out.push('}');
    }

    /// One string attribute.
    pub fn str(&mut self, key: &str, s: &str) {
        self.key(key);
        string_value(self.out, s);
        self.out.push('}');
    }

    /// One integer attribute.
    pub fn int(&mut self, key: &str, i: i64) {
        self.key(key);
        int_value(self.out, i);
        self.out.push('}');
    }

    /// One attribute whose value is written as text (`error.type`).
    pub fn text(&mut self, key: &str, v: Value<'_>, buf: &mut String) {
        if let Value::Str(s) = v {
            return self.str(key, s);
        }
        buf.clear();
        v.write(buf);
        self.str(key, buf);
    }

    /// Closes the list (when anything was written).
    pub fn close(self) {
        if self.open {
            self.out.push(']');
        }
    }
}

fn sdk(kv: &mut KeyValues<'_>) {
    for (k, v) in sdk_attributes() {
        kv.str(k, v);
    }
}

/// Appends `{"attributes":[...]}` for a resource instance: `service.name`,
/// `service.version` (when set), `service.instance.id` (the instance's UUID),
/// the `telemetry.sdk.*` attributes, then its declared attributes.
pub fn resource(out: &mut String, r: &ResourceRef<'_>) {
    out.push('{');
    let mut kv = KeyValues::new(out, "\"attributes\":[");
    kv.str("service.name", r.name);
    if !r.version.is_empty() {
        kv.str("service.version", r.version);
    }
    kv.str("service.instance.id", r.instance_id);
    sdk(&mut kv);
    for (k, v) in r.attributes.iter() {
        if !RESOURCE_KEYS.contains(&k) {
            kv.value(k, v);
        }
    }
    kv.close();
    out.push('}');
}

/// Appends `{"attributes":[...]}` for a service known by name only:
/// `service.name`, then the `telemetry.sdk.*` attributes when `with_sdk`.
pub fn service_resource(out: &mut String, service: &str, with_sdk: bool) {
    out.push('{');
    let mut kv = KeyValues::new(out, "\"attributes\":[");
    kv.str("service.name", service);
    if with_sdk {
        sdk(&mut kv);
    }
    kv.close();
    out.push('}');
}

/// Appends the instrumentation scope `{"name":"tsim","version":"..."}`.
pub fn scope(out: &mut String) {
    out.push_str("{\"name\":");
    fmt::string(out, SCOPE_NAME);
    out.push_str(",\"version\":");
    fmt::string(out, VERSION);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_otlp_json_scalars() {
        let mut s = String::new();
        for (v, want) in [
            (42.0, "42"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-7, "0.0000001"),
            (-2.5, "-2.5"),
            (f64::NAN, "\"NaN\""),
            (f64::NEG_INFINITY, "\"-Infinity\""),
        ] {
            s.clear();
            double(&mut s, v);
            assert_eq!(s, want);
        }
        s.clear();
        nanos(&mut s, -5);
        uint(&mut s, u64::MAX);
        assert_eq!(s, "\"0\"\"18446744073709551615\"");
        s.clear();
        any_value(&mut s, Value::Int(-3));
        any_value(&mut s, Value::Str("a\"b"));
        any_value(&mut s, Value::Bool(true));
        assert_eq!(
            s,
            r#"{"intValue":"-3"}{"stringValue":"a\"b"}{"boolValue":true}"#
        );
        s.clear();
        KeyValues::new(&mut s, ATTRIBUTES).close();
        assert_eq!(s, "");
        let mut kv = KeyValues::new(&mut s, ATTRIBUTES);
        kv.int("n", 7);
        kv.str("k", "v");
        kv.close();
        assert_eq!(
            s,
            r#","attributes":[{"key":"n","value":{"intValue":"7"}},{"key":"k","value":{"stringValue":"v"}}]"#
        );
    }
}
