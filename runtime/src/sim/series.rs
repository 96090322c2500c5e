//! Series naming shared by derived and process metrics: the NDJSON
//! `service` of a row (its `service.name` label, or the scenario's name)
//! and its display name `metric{label="value",...}` with the other labels.

use std::fmt::Write;

use tsim_pack::{AttrValue, MetricDef, Pack, SeriesSet};

/// Receives metric points: (metric index, series, name suffix, `le`, value).
pub type Emit<'a> = dyn FnMut(usize, &Series, &str, Option<f64>, f64) + 'a;

/// One series' fixed text.
#[derive(Clone, Debug)]
pub struct Series {
    /// The `service` field.
    pub service: String,
    /// Metric name.
    pub name: String,
    /// Labels other than `service.name`, rendered `k="v",k2="v2"`.
    pub labels: String,
}

impl Series {
    /// Appends `name{labels}` with an optional suffix and `le` label.
    pub fn display(&self, out: &mut String, suffix: &str, le: Option<f64>) {
        out.push_str(&self.name);
        out.push_str(suffix);
        if self.labels.is_empty() && le.is_none() {
            return;
        }
        out.push('{');
        out.push_str(&self.labels);
        if let Some(v) = le {
            if !self.labels.is_empty() {
                out.push(',');
            }
            out.push_str("le=\"");
            if v.is_infinite() {
                out.push_str("+Inf");
            } else {
                crate::sink::fmt::number(out, v);
            }
            out.push('"');
        }
        out.push('}');
    }
}

/// Emits a histogram as cumulative `_bucket{le=..}` points (the last bucket
/// is `+Inf`), then `_count` and `_sum`.
pub fn histogram(
    emit: &mut Emit<'_>,
    metric: usize,
    series: &Series,
    bounds: &[f64],
    counts: &[u64],
    count: u64,
    sum: f64,
) {
    let mut cumulative = 0;
    for (i, c) in counts.iter().enumerate() {
        cumulative += c;
        emit(
            metric,
            series,
            "_bucket",
            Some(bounds.get(i).copied().unwrap_or(f64::INFINITY)),
            cumulative as f64,
        );
    }
    emit(metric, series, "_count", None, count as f64);
    emit(metric, series, "_sum", None, sum);
}

/// The series of metric `m` over `set`.
pub fn row_labels(pack: &Pack, m: &MetricDef, set: &SeriesSet, scenario: &str) -> Vec<Series> {
    let name = pack
        .strings
        .get(m.name as usize)
        .cloned()
        .unwrap_or_default();
    let keys: Vec<&str> = set
        .keys
        .iter()
        .map(|k| pack.strings.get(*k as usize).map_or("", String::as_str))
        .collect();
    set.rows
        .iter()
        .map(|row| {
            let mut service = scenario.to_string();
            let mut labels = String::new();
            for (k, v) in keys.iter().zip(row) {
                let text = match v {
                    AttrValue::Str(s) => pack.strings.get(*s as usize).cloned().unwrap_or_default(),
                    AttrValue::Int(i) => i.to_string(),
                    AttrValue::Float(f) => crate::sink::fmt::number_string(*f),
                    AttrValue::Bool(b) => b.to_string(),
                };
                if *k == "service.name" {
                    service = text;
                } else {
                    if !labels.is_empty() {
                        labels.push(',');
                    }
                    let _ = write!(
                        labels,
                        "{k}=\"{}\"",
                        text.replace('\\', "\\\\").replace('"', "\\\"")
                    );
                }
            }
            Series {
                service,
                name: name.clone(),
                labels,
            }
        })
        .collect()
}
