//! OTLP's common messages as protobuf: `AnyValue`, `KeyValue`, the
//! `Resource` of a service instance or of a service known by name, and the
//! `InstrumentationScope`. Field numbers are those of
//! `opentelemetry/proto/common/v1/common.proto` and
//! `resource/v1/resource.proto`.

use super::wire::{self, begin, end};
use crate::sink::{sdk_attributes, ResourceRef, Value, RESOURCE_KEYS, SCOPE_NAME};
use crate::VERSION;

/// Appends an `AnyValue` as field `field`. The oneof member is written even
/// when it holds its default (an empty string is still a string).
pub fn any_value(out: &mut Vec<u8>, field: u32, v: Value<'_>) {
    let open = begin(out, field);
    match v {
        Value::Str(s) => wire::bytes_field(out, 1, s.as_bytes()),
        Value::Bool(b) => {
            out.push(2 << 3);
            out.push(u8::from(b));
        }
        Value::Int(i) => {
            out.push(3 << 3);
            wire::varint(out, i as u64);
        }
        Value::Float(f) => wire::double_field(out, 4, f),
    }
    end(out, open);
}

/// Appends a string `AnyValue` as field `field`.
pub fn string_value(out: &mut Vec<u8>, field: u32, s: &str) {
    any_value(out, field, Value::Str(s));
}

/// Appends a `KeyValue` as field `field`.
pub fn key_value(out: &mut Vec<u8>, field: u32, key: &str, v: Value<'_>) {
    let open = begin(out, field);
    wire::str_field(out, 1, key);
    any_value(out, 2, v);
    end(out, open);
}

/// Appends `v` as text in a string `KeyValue` (what `error.type` is).
pub fn text_value(out: &mut Vec<u8>, field: u32, key: &str, v: Value<'_>, buf: &mut String) {
    match v {
        Value::Str(_) => key_value(out, field, key, v),
        other => {
            buf.clear();
            other.write(buf);
            key_value(out, field, key, Value::Str(buf));
        }
    }
}

/// The body of a service instance's `Resource`: `service.name`,
/// `service.version` (when set), `service.instance.id`
/// (the instance's UUID), the `telemetry.sdk.*` attributes, then its
/// declared attributes (the OTLP/JSON sink writes the same, in this order).
pub fn resource(out: &mut Vec<u8>, r: &ResourceRef<'_>) {
    key_value(out, 1, "service.name", Value::Str(r.name));
    if !r.version.is_empty() {
        key_value(out, 1, "service.version", Value::Str(r.version));
    }
    key_value(out, 1, "service.instance.id", Value::Str(r.instance_id));
    for (k, v) in sdk_attributes() {
        key_value(out, 1, k, Value::Str(v));
    }
    for (k, v) in r.attributes.iter() {
        if !RESOURCE_KEYS.contains(&k) {
            key_value(out, 1, k, v);
        }
    }
}

/// The body of the `Resource` of a service known by name only:
/// `service.name`, then the `telemetry.sdk.*` attributes when `with_sdk`.
pub fn service_resource(out: &mut Vec<u8>, service: &str, with_sdk: bool) {
    key_value(out, 1, "service.name", Value::Str(service));
    if with_sdk {
        for (k, v) in sdk_attributes() {
            key_value(out, 1, k, Value::Str(v));
        }
    }
}

/// The body of the instrumentation scope: `tsim` and its version.
pub fn scope(out: &mut Vec<u8>) {
    wire::str_field(out, 1, SCOPE_NAME);
    wire::str_field(out, 2, VERSION);
}
