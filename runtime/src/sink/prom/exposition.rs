//! The two Prometheus text formats, line by line: the Prometheus text
//! exposition format 0.0.4 and OpenMetrics 1.0. Family headers (`# HELP`,
//! `# TYPE`, and `# UNIT` in OpenMetrics), samples with escaped label
//! values, floats as both specs spell them (`+Inf`, `-Inf`, `NaN`),
//! optional timestamps (0.0.4: integer milliseconds; OpenMetrics: seconds
//! with a fraction), histograms as cumulative `_bucket{le=...}` with a
//! `+Inf` bucket, `_count` and `_sum`, and OpenMetrics' `# EOF`.
//!
//! Callers render a series' labels once ([`label_set`]) and hand the text
//! to every sample; the writers only append to a `String`.

use std::fmt::Write;

use super::naming::{Names, Type};
use crate::sink::Exemplar;

/// Which text format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Text,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    /// The HTTP `Content-Type` of a page in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A metric family: its names, type and help text.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// Names and unit word.
    pub names: Names,
    /// Type.
    pub ty: Type,
    /// `# HELP` text.
    pub help: String,
}

/// Appends a float as the formats spell it: `+Inf`, `-Inf`, `NaN`, else
/// the shortest text that reads back as the same value (`0.25`, `1.0`,
/// `1e-7`).
pub fn float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let _ = write!(out, "{v:?}");
    }
}

/// Appends a label value or help text escaped: `\` as `\\`, newline as
/// `\n`, and `"` as `\"` when `quote`.
fn escaped(out: &mut String, s: &str, quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Renders labels as `name="value",...` (no braces), values escaped.
pub fn label_set(labels: &[(String, String)]) -> String {
    let mut out = String::with_capacity(labels.len() * 24);
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        escaped(&mut out, v, true);
        out.push('"');
    }
    out
}

/// Appends the family's `# HELP`, `# TYPE` (and OpenMetrics' `# UNIT`).
/// In 0.0.4 a counter's family is named as its samples (`..._total`).
pub fn header(out: &mut String, format: Format, f: &Family) {
    let name = match (format, f.ty) {
        (Format::Text, Type::Counter) => &f.names.sample,
        _ => &f.names.family,
    };
    let _ = write!(out, "# HELP {name} ");
    // 0.0.4 escapes only `\` and newlines in help; OpenMetrics also `"`.
    escaped(out, &f.help, format == Format::OpenMetrics);
    let _ = writeln!(out, "\n# TYPE {name} {}", f.ty.word());
    if format == Format::OpenMetrics && !f.names.unit.is_empty() {
        let _ = writeln!(out, "# UNIT {name} {}", f.names.unit);
    }
}

/// Appends the header of an info family (`target`): OpenMetrics' `info`
/// type, or a gauge named `<name>_info` in 0.0.4.
pub fn info_header(out: &mut String, format: Format, name: &str, help: &str) {
    match format {
        Format::OpenMetrics => {
            let _ = write!(out, "# HELP {name} ");
            escaped(out, help, true);
            let _ = writeln!(out, "\n# TYPE {name} info");
        }
        Format::Text => {
            let _ = write!(out, "# HELP {name}_info ");
            escaped(out, help, false);
            let _ = writeln!(out, "\n# TYPE {name}_info gauge");
        }
    }
}

/// Appends a timestamp (Unix milliseconds) in the format's unit.
fn timestamp(out: &mut String, format: Format, ms: i64) {
    match format {
        Format::Text => {
            let _ = write!(out, " {ms}");
        }
        Format::OpenMetrics => {
            let sign = if ms < 0 { "-" } else { "" };
            let abs = ms.unsigned_abs();
            let _ = write!(out, " {sign}{}.{:03}", abs / 1000, abs % 1000);
        }
    }
}

/// One sample line: `name{labels[,extra]} value[ timestamp]`.
pub fn sample(
    out: &mut String,
    format: Format,
    name: &str,
    labels: &str,
    extra: Option<(&str, &str)>,
    value: f64,
    ms: Option<i64>,
) {
    out.push_str(name);
    if !labels.is_empty() || extra.is_some() {
        out.push('{');
        out.push_str(labels);
        if let Some((k, v)) = extra {
            if !labels.is_empty() {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{v}\"");
        }
        out.push('}');
    }
    out.push(' ');
    float(out, value);
    if let Some(ms) = ms {
        timestamp(out, format, ms);
    }
    out.push('\n');
}

/// The text of each bucket's `le` (the bounds, then `+Inf`).
pub fn le_values(bounds: &[f64]) -> Vec<String> {
    let mut out: Vec<String> = bounds
        .iter()
        .map(|b| {
            let mut s = String::new();
            float(&mut s, *b);
            s
        })
        .collect();
    out.push("+Inf".into());
    out
}

/// A histogram point, cumulative: one count per `le` (`+Inf` last, equal
/// to `count`), the count and the sum.
#[derive(Clone, Copy, Debug)]
pub struct Cumulative<'a> {
    /// Cumulative bucket counts, one per `le`.
    pub buckets: &'a [f64],
    /// Observations.
    pub count: f64,
    /// Their sum.
    pub sum: f64,
    /// Per bucket, an exemplar to show beside it (OpenMetrics only; empty
    /// for none).
    pub exemplars: &'a [Option<Exemplar>],
}

/// Appends a histogram point's lines: every `_bucket`, `_count`, `_sum`.
pub fn histogram(
    out: &mut String,
    format: Format,
    family: &str,
    labels: &str,
    le: &[String],
    h: Cumulative<'_>,
    ms: Option<i64>,
) {
    let mut name = String::with_capacity(family.len() + 7);
    name.push_str(family);
    name.push_str("_bucket");
    for (i, (le, v)) in le.iter().zip(h.buckets).enumerate() {
        sample(out, format, &name, labels, Some(("le", le)), *v, ms);
        if let (Format::OpenMetrics, Some(Some(e))) = (format, h.exemplars.get(i)) {
            out.pop();
            exemplar(out, e);
            out.push('\n');
        }
    }
    name.truncate(family.len());
    name.push_str("_count");
    sample(out, format, &name, labels, None, h.count, ms);
    name.truncate(family.len());
    name.push_str("_sum");
    sample(out, format, &name, labels, None, h.sum, ms);
}

/// Appends an OpenMetrics exemplar to a sample line (its newline taken
/// off): ` # {trace_id="...",span_id="..."} value timestamp`.
fn exemplar(out: &mut String, e: &Exemplar) {
    out.push_str(" # {trace_id=\"");
    hex(out, &e.trace_id);
    out.push_str("\",span_id=\"");
    hex(out, &e.span_id);
    out.push_str("\"} ");
    float(out, e.value);
    let secs = e.time_ns.div_euclid(1_000_000_000);
    let nanos = e.time_ns.rem_euclid(1_000_000_000);
    let _ = write!(out, " {secs}.{nanos:09}");
}

fn hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Makes per-bucket counts cumulative into `out` (cleared first).
pub fn accumulate(counts: &[u64], out: &mut Vec<f64>) {
    out.clear();
    let mut total = 0u64;
    for c in counts {
        total = total.saturating_add(*c);
        out.push(total as f64);
    }
}

/// The end of an OpenMetrics exposition.
pub const EOF: &str = "# EOF\n";

#[cfg(test)]
mod tests {
    use super::super::naming::names;
    use super::*;

    #[test]
    fn floats_are_spelled_as_the_specs_say() {
        let f = |v: f64| {
            let mut s = String::new();
            float(&mut s, v);
            s
        };
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(0.25), "0.25");
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(-3.5e-9), "-3.5e-9");
        assert_eq!(f(0.1).parse::<f64>(), Ok(0.1));
    }

    #[test]
    fn label_values_are_escaped() {
        let l = label_set(&[
            ("path".into(), "C:\\DIR\\FILE.TXT".into()),
            ("error".into(), "Cannot find file:\n\"FILE.TXT\"".into()),
        ]);
        assert_eq!(
            l,
            r#"path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\"""#
        );
    }

    #[test]
    fn a_counter_in_both_formats() {
        let fam = Family {
            names: names("http.server.requests", "", Type::Counter),
            ty: Type::Counter,
            help: "Requests \"served\"".into(),
        };
        let mut text = String::new();
        header(&mut text, Format::Text, &fam);
        sample(
            &mut text,
            Format::Text,
            &fam.names.sample,
            "job=\"api\"",
            None,
            3.0,
            Some(1_700_000_000_123),
        );
        assert_eq!(
            text,
            "# HELP http_server_requests_total Requests \"served\"\n# TYPE http_server_requests_total counter\nhttp_server_requests_total{job=\"api\"} 3.0 1700000000123\n"
        );
        let mut om = String::new();
        header(&mut om, Format::OpenMetrics, &fam);
        sample(
            &mut om,
            Format::OpenMetrics,
            &fam.names.sample,
            "",
            None,
            3.0,
            Some(1_700_000_000_123),
        );
        om.push_str(EOF);
        assert_eq!(
            om,
            "# HELP http_server_requests Requests \\\"served\\\"\n# TYPE http_server_requests counter\nhttp_server_requests_total 3.0 1700000000.123\n# EOF\n"
        );
    }

    #[test]
    fn a_histogram_is_cumulative_with_an_inf_bucket() {
        let fam = Family {
            names: names("rpc.duration", "s", Type::Histogram),
            ty: Type::Histogram,
            help: "RPC time".into(),
        };
        let mut buckets = Vec::new();
        accumulate(&[2, 0, 3], &mut buckets);
        let le = le_values(&[0.1, 1.0]);
        let mut om = String::new();
        header(&mut om, Format::OpenMetrics, &fam);
        histogram(
            &mut om,
            Format::OpenMetrics,
            &fam.names.family,
            "job=\"a\"",
            &le,
            Cumulative {
                buckets: &buckets,
                count: 5.0,
                sum: 7.5,
                exemplars: &[],
            },
            None,
        );
        assert_eq!(
            om,
            "# HELP rpc_duration_seconds RPC time\n# TYPE rpc_duration_seconds histogram\n# UNIT rpc_duration_seconds seconds\n\
             rpc_duration_seconds_bucket{job=\"a\",le=\"0.1\"} 2.0\n\
             rpc_duration_seconds_bucket{job=\"a\",le=\"1.0\"} 2.0\n\
             rpc_duration_seconds_bucket{job=\"a\",le=\"+Inf\"} 5.0\n\
             rpc_duration_seconds_count{job=\"a\"} 5.0\n\
             rpc_duration_seconds_sum{job=\"a\"} 7.5\n"
        );
    }

    #[test]
    fn exemplars_follow_their_buckets_in_openmetrics_only() {
        let e = Exemplar {
            trace_id: [0xab; 16],
            span_id: [0x01; 8],
            value: 0.25,
            time_ns: 1_700_000_000_123_456_789,
        };
        let exemplars = [None, Some(e), None];
        let le = le_values(&[0.1, 1.0]);
        let h = Cumulative {
            buckets: &[2.0, 3.0, 3.0],
            count: 3.0,
            sum: 0.6,
            exemplars: &exemplars,
        };
        let mut om = String::new();
        histogram(&mut om, Format::OpenMetrics, "d_seconds", "", &le, h, None);
        let line = om.lines().nth(1).unwrap_or_default();
        assert_eq!(
            line,
            "d_seconds_bucket{le=\"1.0\"} 3.0 # {trace_id=\"abababababababababababababababab\",span_id=\"0101010101010101\"} 0.25 1700000000.123456789"
        );
        assert_eq!(om.matches(" # {").count(), 1, "{om}");
        let mut text = String::new();
        histogram(&mut text, Format::Text, "d_seconds", "", &le, h, None);
        assert!(!text.contains('#'), "{text}");
    }

    #[test]
    fn timestamps_are_seconds_with_a_fraction_in_openmetrics() {
        let mut om = String::new();
        sample(
            &mut om,
            Format::OpenMetrics,
            "x",
            "",
            None,
            1.0,
            Some(-1500),
        );
        sample(&mut om, Format::OpenMetrics, "x", "", None, 1.0, Some(7));
        assert_eq!(om, "x 1.0 -1.500\nx 1.0 0.007\n");
    }
}
