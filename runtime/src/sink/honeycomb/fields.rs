//! Writing one Honeycomb event's `data` object straight into the batch's
//! buffer: typed fields (strings, integers, floats, booleans, hex ids),
//! counted against the documented per-event limits (2,000 fields, string
//! values of at most 64 KB) so an event over them is refused, not sent.

use std::fmt::Write;

use crate::sink::{fmt, Value};

/// The most fields an event may have.
pub const MAX_FIELDS: usize = 2000;

/// The longest string value, in bytes.
pub const MAX_STRING: usize = 64 * 1024;

/// An event's `data` object being written.
pub struct Fields<'o> {
    out: &'o mut String,
    count: usize,
    /// The first field whose string value is too long.
    too_long: Option<String>,
}

impl<'o> Fields<'o> {
    /// Opens the object in `out`.
    pub fn open(out: &'o mut String) -> Fields<'o> {
        out.push('{');
        Fields {
            out,
            count: 0,
            too_long: None,
        }
    }

    fn key(&mut self, key: &str) {
        if self.count > 0 {
            self.out.push(',');
        }
        self.count += 1;
        fmt::string(self.out, key);
        self.out.push(':');
    }

    /// A string field.
    pub fn str(&mut self, key: &str, v: &str) {
        if v.len() > MAX_STRING && self.too_long.is_none() {
            self.too_long = Some(key.to_string());
        }
        self.key(key);
        fmt::string(self.out, v);
    }

    /// An integer field.
    pub fn int(&mut self, key: &str, v: i64) {
        self.key(key);
        let _ = write!(self.out, "{v}");
    }

    /// A float field: the shortest text that reads back to the same value;
    /// `null` (no value) for NaN and infinities, which JSON cannot hold.
    pub fn float(&mut self, key: &str, v: f64) {
        self.key(key);
        if v.is_finite() {
            let _ = write!(self.out, "{v}");
        } else {
            self.out.push_str("null");
        }
    }

    /// A boolean field.
    pub fn bool(&mut self, key: &str, v: bool) {
        self.key(key);
        self.out.push_str(if v { "true" } else { "false" });
    }

    /// An id as a lowercase hex string field.
    pub fn id(&mut self, key: &str, bytes: &[u8]) {
        self.key(key);
        self.out.push('"');
        fmt::hex(self.out, bytes);
        self.out.push('"');
    }

    /// A typed attribute.
    pub fn value(&mut self, key: &str, v: Value<'_>) {
        match v {
            Value::Str(s) => self.str(key, s),
            Value::Int(i) => self.int(key, i),
            Value::Float(f) => self.float(key, f),
            Value::Bool(b) => self.bool(key, b),
        }
    }

    /// A value written as text (`error.type`); `buf` is scratch space.
    pub fn text(&mut self, key: &str, v: Value<'_>, buf: &mut String) {
        if let Value::Str(s) = v {
            return self.str(key, s);
        }
        buf.clear();
        v.write(buf);
        self.str(key, buf);
    }

    /// Closes the object: why the event breaks a per-event limit, if it
    /// does.
    pub fn close(self) -> Result<(), String> {
        self.out.push('}');
        if let Some(key) = self.too_long {
            return Err(format!(
                "field `{key}` is longer than Honeycomb's {MAX_STRING}-byte string limit"
            ));
        }
        if self.count > MAX_FIELDS {
            return Err(format!(
                "{} fields, more than Honeycomb's {MAX_FIELDS} per event",
                self.count
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_typed_json_and_limits_are_checked() {
        let mut s = String::new();
        let mut f = Fields::open(&mut s);
        f.str("a\"b", "x\n");
        f.int("n", -3);
        f.float("d", 0.1 + 0.2);
        f.float("nan", f64::NAN);
        f.bool("t", true);
        f.id("id", &[0xab, 1]);
        assert!(f.close().is_ok());
        assert_eq!(
            s,
            r#"{"a\"b":"x\n","n":-3,"d":0.30000000000000004,"nan":null,"t":true,"id":"ab01"}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["d"].as_f64(), Some(0.1 + 0.2));
        let long = "x".repeat(MAX_STRING + 1);
        let mut s = String::new();
        let mut f = Fields::open(&mut s);
        f.str("body", &long);
        assert!(f.close().unwrap_err().contains("`body`"));
        let mut s = String::new();
        let mut f = Fields::open(&mut s);
        for i in 0..=MAX_FIELDS {
            f.int(&i.to_string(), 1);
        }
        assert!(f.close().unwrap_err().contains("2001 fields"));
    }
}
