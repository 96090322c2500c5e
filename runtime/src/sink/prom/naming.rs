//! OpenTelemetry names to Prometheus names, as the OpenTelemetry
//! specification's "Prometheus and OpenMetrics Compatibility" document
//! (OTLP metric points to Prometheus) says:
//!
//! - metric names: characters outside `[a-zA-Z0-9_:]` become `_`, runs of
//!   `_` become one, a leading digit gets a `_` before it;
//! - units: the UCUM abbreviations of the spec's table become words (`s` →
//!   `seconds`, `By` → `bytes`, ...), `{...}` annotations are dropped,
//!   `X/Y` becomes `X_per_Y` (`m/s` → `meters_per_second`), `1` on a gauge
//!   becomes `ratio`; the unit is appended unless the name already ends
//!   with it, before `_total`, which monotonic sums get once;
//! - label names: characters outside `[a-zA-Z0-9_]` become `_`, runs of `_`
//!   become one (so no name starts with the reserved `__`), a leading digit
//!   gets `key_` before it; keys that end up the same are merged, their
//!   values joined with `;` in the order of the original keys;
//! - resources: `job` is `service.namespace/service.name` (or the name),
//!   `instance` is `service.instance.id` (empty when none), and the other
//!   resource attributes go to one `target_info` per (job, instance).
//!
//! Units outside the table are kept, lowercased (Prometheus names are
//! lowercase, like the table's words), with other characters as `_`.

use tsim_pack::MetricKind;

/// The Prometheus type of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// A gauge (OTel gauges and non-monotonic sums).
    Gauge,
    /// A counter (monotonic cumulative sums).
    Counter,
    /// An explicit-bucket histogram.
    Histogram,
}

impl Type {
    /// The family type of an OpenTelemetry metric kind.
    pub fn of(kind: MetricKind) -> Type {
        match kind {
            MetricKind::Counter => Type::Counter,
            MetricKind::Gauge | MetricKind::UpDown => Type::Gauge,
            MetricKind::Histogram => Type::Histogram,
        }
    }

    /// The word in `# TYPE` lines.
    pub fn word(self) -> &'static str {
        match self {
            Type::Gauge => "gauge",
            Type::Counter => "counter",
            Type::Histogram => "histogram",
        }
    }
}

/// A metric's names in Prometheus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// The family name (OpenMetrics: without `_total` for counters).
    pub family: String,
    /// The sample name of counters and gauges (text 0.0.4's family name):
    /// `<family>_total` for counters, the family otherwise.
    pub sample: String,
    /// The unit word (`# UNIT`), "" when none.
    pub unit: String,
}

/// UCUM abbreviations and their Prometheus words (the spec's table).
const UNITS: [(&str, &str); 26] = [
    ("d", "days"),
    ("h", "hours"),
    ("min", "minutes"),
    ("s", "seconds"),
    ("ms", "milliseconds"),
    ("us", "microseconds"),
    ("ns", "nanoseconds"),
    ("By", "bytes"),
    ("KiBy", "kibibytes"),
    ("MiBy", "mebibytes"),
    ("GiBy", "gibibytes"),
    ("TiBy", "tebibytes"),
    ("kBy", "kilobytes"),
    ("KBy", "kilobytes"),
    ("MBy", "megabytes"),
    ("GBy", "gigabytes"),
    ("TBy", "terabytes"),
    ("m", "meters"),
    ("V", "volts"),
    ("A", "amperes"),
    ("J", "joules"),
    ("W", "watts"),
    ("g", "grams"),
    ("Cel", "celsius"),
    ("Hz", "hertz"),
    ("%", "percent"),
];

/// Time units under a `/`, singular (`m/s` → `meters_per_second`).
const PER: [(&str, &str); 8] = [
    ("s", "second"),
    ("min", "minute"),
    ("m", "minute"),
    ("h", "hour"),
    ("d", "day"),
    ("w", "week"),
    ("mo", "month"),
    ("y", "year"),
];

/// Replaces every character `keep` refuses with `_` and runs of `_` with one.
fn squash(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if keep(c) { c } else { '_' };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    out
}

fn metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A metric name made legal (without unit or type suffixes).
pub fn metric_name(name: &str) -> String {
    let mut out = squash(name, metric_char);
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// A label name made legal: `http.route` → `http_route`, `2xx` → `key_2xx`.
pub fn label_name(key: &str) -> String {
    let out = squash(key, label_char);
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("key_{out}");
    }
    if out.is_empty() {
        return "key_".into();
    }
    out
}

/// One part of a unit as a word: from the table, else lowercased with
/// other characters as `_`.
fn word(part: &str, table: &[(&str, &str)]) -> String {
    if let Some((_, w)) = table.iter().find(|(abbr, _)| *abbr == part) {
        return (*w).to_string();
    }
    squash(&part.to_ascii_lowercase(), label_char)
        .trim_matches('_')
        .to_string()
}

/// Drops every `{...}` annotation (an unclosed `{` drops the rest).
fn drop_annotations(unit: &str) -> String {
    let mut out = String::with_capacity(unit.len());
    let mut depth = 0u32;
    for c in unit.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The Prometheus unit word of an OpenTelemetry unit ("" for none).
pub fn unit_word(unit: &str, ty: Type) -> String {
    let unit = drop_annotations(unit);
    let unit = unit.trim();
    if unit == "1" {
        return if ty == Type::Gauge {
            "ratio".into()
        } else {
            String::new()
        };
    }
    let (main, per) = match unit.split_once('/') {
        Some((m, p)) => (m.trim(), Some(p.trim())),
        None => (unit, None),
    };
    let main = if main == "1" {
        String::new()
    } else {
        word(main, &UNITS)
    };
    let per = per.map(|p| word(p, &PER)).filter(|p| !p.is_empty());
    match (main.is_empty(), per) {
        (_, None) => main,
        (true, Some(p)) => format!("per_{p}"),
        (false, Some(p)) => format!("{main}_per_{p}"),
    }
}

/// The Prometheus names of a metric: its name made legal, the unit word
/// appended unless already there, `_total` for counters (never twice).
pub fn names(name: &str, unit: &str, ty: Type) -> Names {
    let mut base = metric_name(name);
    if ty == Type::Counter {
        if let Some(b) = base.strip_suffix("_total") {
            base = b.to_string();
        }
    }
    let unit = unit_word(unit, ty);
    if !unit.is_empty() && base != unit && !base.ends_with(&format!("_{unit}")) {
        if !base.ends_with('_') {
            base.push('_');
        }
        base.push_str(&unit);
    }
    let sample = match ty {
        Type::Counter => format!("{base}_total"),
        Type::Gauge | Type::Histogram => base.clone(),
    };
    Names {
        family: base,
        sample,
        unit,
    }
}

/// The `job` label: `<service.namespace>/<service.name>`, or the name.
pub fn job(namespace: Option<&str>, name: &str) -> String {
    match namespace.filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Turns (original key, value) pairs into Prometheus labels: names made
/// legal, those that collide merged with `;` in the order of the original
/// keys; sorted by label name.
pub fn labels(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    let mut named: Vec<(String, &str, &str)> = pairs
        .iter()
        .map(|(k, v)| (label_name(k), *k, v.as_str()))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let mut out: Vec<(String, String)> = Vec::with_capacity(named.len());
    for (name, _, value) in named {
        match out.last_mut() {
            Some((last, joined)) if *last == name => {
                joined.push(';');
                joined.push_str(value);
            }
            _ => out.push((name, value.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests;
