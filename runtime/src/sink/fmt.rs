//! Fast, deterministic text formatting for sinks: hex ids, RFC 3339 UTC
//! timestamps with microseconds, numbers without float noise, JSON strings.

use std::fmt::Write;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends bytes as lowercase hex.
pub fn hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

/// Appends `n` as exactly `width` decimal digits (zero-padded; `n` must
/// fit, callers pass calendar fields).
fn digits(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for b in &buf[..width] {
        out.push(*b as char);
    }
}

/// Appends `2026-01-05T14:00:00.123456Z` for Unix nanoseconds.
pub fn timestamp(out: &mut String, unix_ns: i64) {
    timestamp_digits(out, unix_ns, 6);
}

/// Appends `2026-01-05T14:00:00.123456789Z` (RFC 3339 with nanoseconds).
pub fn timestamp_nanos(out: &mut String, unix_ns: i64) {
    timestamp_digits(out, unix_ns, 9);
}

/// A UTC timestamp with `frac` (6 or 9) fractional digits.
fn timestamp_digits(out: &mut String, unix_ns: i64, frac: usize) {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let nanos = unix_ns.rem_euclid(1_000_000_000);
    let fraction = if frac == 9 { nanos } else { nanos / 1000 };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::time::civil_from_days(days);
    if !(0..=9999).contains(&y) {
        let _ = write!(
            out,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{fraction:0frac$}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        return;
    }
    digits(out, y as u64, 4);
    out.push('-');
    digits(out, u64::from(m), 2);
    out.push('-');
    digits(out, u64::from(d), 2);
    out.push('T');
    digits(out, (rem / 3600) as u64, 2);
    out.push(':');
    digits(out, (rem % 3600 / 60) as u64, 2);
    out.push(':');
    digits(out, (rem % 60) as u64, 2);
    out.push('.');
    digits(out, fraction as u64, frac);
    out.push('Z');
}

/// Appends a number with at most six decimals, trailing zeros trimmed.
pub fn number(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    if v == v.trunc() && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
        return;
    }
    // Fixed point in micro-units: exact integer arithmetic for the digits.
    let scaled = (v.abs() * 1e6).round();
    if scaled < 9e15 {
        let scaled = scaled as u64;
        let (int, mut frac) = (scaled / 1_000_000, scaled % 1_000_000);
        if v < 0.0 && scaled > 0 {
            out.push('-');
        }
        let _ = write!(out, "{int}");
        if frac > 0 {
            let mut width = 6;
            while frac % 10 == 0 {
                frac /= 10;
                width -= 1;
            }
            out.push('.');
            digits(out, frac, width);
        }
        return;
    }
    let start = out.len();
    let _ = write!(out, "{v:.6}");
    while out.ends_with('0') {
        out.pop();
    }
    if out.ends_with('.') {
        out.pop();
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// Appends a compact JSON object of `fields`, in order (a structured log
/// body as text).
pub fn object<'a>(out: &mut String, fields: impl Iterator<Item = (&'a str, super::Value<'a>)>) {
    out.push('{');
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, k);
        out.push(':');
        match v {
            super::Value::Str(s) => string(out, s),
            super::Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            super::Value::Float(f) => number(out, f),
            super::Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        }
    }
    out.push('}');
}

/// Appends a JSON string literal.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let clean = s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if clean {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// [`number`] into a new string.
pub fn number_string(v: f64) -> String {
    let mut s = String::new();
    number(&mut s, v);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_stably() {
        let mut s = String::new();
        timestamp(&mut s, 1_767_621_600_123_456_789);
        assert_eq!(s, "2026-01-05T14:00:00.123456Z");
        s.clear();
        timestamp_nanos(&mut s, 1_767_621_600_123_456_789);
        assert_eq!(s, "2026-01-05T14:00:00.123456789Z");
        s.clear();
        timestamp_nanos(&mut s, -1);
        assert_eq!(s, "1969-12-31T23:59:59.999999999Z");
        s.clear();
        number(&mut s, 0.1 + 0.2);
        assert_eq!(s, "0.3");
        s.clear();
        number(&mut s, 42.0);
        assert_eq!(s, "42");
        s.clear();
        string(&mut s, "a\"b\n");
        assert_eq!(s, "\"a\\\"b\\n\"");
        s.clear();
        hex(&mut s, &[0, 255, 16]);
        assert_eq!(s, "00ff10");
        for (v, want) in [
            (89.881464, "89.881464"),
            (-0.25, "-0.25"),
            (0.0000004, "0"),
            (-0.0000004, "0"),
            (1.5e-6, "0.000002"),
            (123456.1, "123456.1"),
            (1e20 + 0.5, "100000000000000000000"),
        ] {
            s.clear();
            number(&mut s, v);
            assert_eq!(s, want, "{v}");
        }
        s.clear();
        timestamp(&mut s, 4_102_444_800_000_000_000);
        assert_eq!(s, "2100-01-01T00:00:00.000000Z");
    }
}
