//! What every Prometheus sink knows about the series it is handed: each
//! pack metric's family (names, type, help, `le` texts), each series'
//! rendered labels (made once, on its first point), the targets seen, and
//! a point's values as stored (a histogram: cumulative buckets, count,
//! sum). Both the history file and the live page are built on it.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io;

use super::exposition::{self, Family, Format};
use super::naming::{self, Type};
use super::target::{series_labels, Target, Targets};
use crate::plan::Plan;
use crate::sink::{Exemplar, MetricRecord, Point};

/// One series: its metric and labels.
pub struct Series {
    /// Index in the pack's metrics.
    pub metric: u32,
    /// Its labels, rendered (`job="api",instance="api-0",...`).
    pub labels: String,
    /// The same labels as (name, value) pairs, sorted by name.
    pub pairs: Vec<(String, String)>,
}

/// A stored point split as its family stores it.
enum Stored<'a> {
    /// A gauge's or counter's value.
    One { family: &'a Family, value: f64 },
    /// A histogram's cumulative buckets (their `le` texts), count and sum.
    Histogram {
        family: &'a Family,
        le: &'a [String],
        buckets: &'a [f64],
        count: f64,
        sum: f64,
    },
}

/// The families, series and targets of a run.
pub struct Catalog {
    /// Per pack metric: its family.
    pub families: Vec<Family>,
    /// Per pack metric: the `le` texts of its buckets (histograms).
    pub le: Vec<Vec<String>>,
    /// Series in the order they first appeared.
    pub series: Vec<Series>,
    /// The targets of the series seen.
    pub seen: BTreeSet<Target>,
    targets: Targets,
    index: HashMap<String, usize>,
    key: String,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Values per point: 1, or a histogram's buckets (with `+Inf`), count, sum.
pub fn width(bounds: usize, ty: Type) -> usize {
    match ty {
        Type::Histogram => bounds + 3,
        Type::Gauge | Type::Counter => 1,
    }
}

/// The families of a plan's metrics; refuses two metrics that Prometheus
/// would see as one family, or one named as the `target` info family.
fn families(plan: &Plan<'_>) -> io::Result<Vec<Family>> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::with_capacity(plan.pack.metrics.len());
    for m in &plan.pack.metrics {
        let name = plan.str(m.name);
        let ty = Type::of(m.kind);
        let names = naming::names(name, plan.str(m.unit), ty);
        if names.family == "target" || names.sample == "target_info" {
            return Err(invalid(format!(
                "metric `{name}` becomes `{}` in Prometheus, the name of the target info metric; rename it",
                names.sample
            )));
        }
        if let Some(other) = seen.insert(names.family.clone(), name) {
            return Err(invalid(format!(
                "metrics `{other}` and `{name}` both become `{}` in Prometheus; rename one of them",
                names.family
            )));
        }
        let description = plan.str(m.description);
        let help = if description.is_empty() {
            format!("OpenTelemetry metric {name}")
        } else {
            description.to_string()
        };
        out.push(Family { names, ty, help });
    }
    Ok(out)
}

impl Catalog {
    /// The catalog of a plan (no series yet).
    pub fn new(plan: &Plan<'_>) -> io::Result<Catalog> {
        let families = families(plan)?;
        let le = plan
            .pack
            .metrics
            .iter()
            .map(|m| match Type::of(m.kind) {
                Type::Histogram => exposition::le_values(&m.buckets),
                Type::Gauge | Type::Counter => Vec::new(),
            })
            .collect();
        Ok(Catalog {
            families,
            le,
            series: Vec::new(),
            seen: BTreeSet::new(),
            targets: Targets::new(plan),
            index: HashMap::new(),
            key: String::with_capacity(256),
        })
    }

    /// The series of `m`, made on its first point.
    pub fn series_of(&mut self, m: &MetricRecord<'_>) -> io::Result<usize> {
        self.key.clear();
        let _ = write!(self.key, "{}", m.metric);
        // A per-instance series is told apart by its instance's resource.
        if let Some(r) = &m.resource {
            self.key.push('\u{3}');
            self.key.push_str(r.instance_id);
        }
        for l in m.labels {
            self.key.push('\u{1}');
            self.key.push_str(l.key);
            self.key.push('\u{2}');
            l.value.write(&mut self.key);
        }
        if let Some(&i) = self.index.get(self.key.as_str()) {
            return Ok(i);
        }
        let family = self
            .families
            .get(m.metric as usize)
            .ok_or_else(|| io::Error::other("internal error: a point of an unknown metric"))?;
        let target = self.targets.of(m);
        let labels = series_labels(m, &target);
        if family.ty == Type::Histogram && labels.iter().any(|(k, _)| k == "le") {
            return Err(invalid(format!(
                "metric `{}`: its label `le` clashes with the histogram bucket label in Prometheus; rename the label",
                m.name
            )));
        }
        self.seen.insert(target);
        self.series.push(Series {
            metric: m.metric,
            labels: exposition::label_set(&labels),
            pairs: labels,
        });
        let i = self.series.len() - 1;
        self.index.insert(self.key.clone(), i);
        Ok(i)
    }

    /// The values of a point as stored, into `out` (cleared first).
    pub fn values(&self, m: &MetricRecord<'_>, out: &mut Vec<f64>) -> io::Result<()> {
        out.clear();
        match m.point {
            Point::Gauge(v) | Point::Sum { value: v, .. } => out.push(v),
            Point::Histogram(h) => {
                let le = self.le.get(m.metric as usize).map_or(0, Vec::len);
                if h.counts.len() != le {
                    return Err(io::Error::other(format!(
                        "internal error: metric `{}` has {} bucket counts for {le} buckets",
                        m.name,
                        h.counts.len()
                    )));
                }
                exposition::accumulate(h.counts, out);
                out.push(h.count as f64);
                out.push(h.sum);
            }
        }
        Ok(())
    }

    /// The rendered `target_info` labels of every target seen.
    pub fn target_labels(&self) -> Vec<String> {
        self.seen
            .iter()
            .map(|t| exposition::label_set(&self.targets.info_labels(t)))
            .collect()
    }

    /// The `target_info` labels of every target seen, as sorted pairs.
    pub fn target_pairs(&self) -> Vec<Vec<(String, String)>> {
        self.seen
            .iter()
            .map(|t| self.targets.info_labels(t))
            .collect()
    }

    /// One stored point of a series, split as its family stores it;
    /// `None` when the values do not fit the family (never for points this
    /// catalog stored).
    fn stored<'a>(&'a self, series: &Series, values: &'a [f64]) -> Option<Stored<'a>> {
        let family = self.families.get(series.metric as usize)?;
        let le = self.le.get(series.metric as usize)?;
        Some(match family.ty {
            Type::Histogram => {
                if values.len() != le.len() + 2 {
                    return None;
                }
                let (buckets, rest) = values.split_at(le.len());
                let [count, sum] = *rest else { return None };
                Stored::Histogram {
                    family,
                    le,
                    buckets,
                    count,
                    sum,
                }
            }
            Type::Gauge | Type::Counter => Stored::One {
                family,
                value: *values.first()?,
            },
        })
    }

    /// Hands each sample of one stored point of a series to `f` as
    /// (sample name, its `le` for a histogram bucket, value): a counter's
    /// `_total`, a histogram's `_bucket`s, `_count` and `_sum`. Returns
    /// the number of samples.
    pub fn samples(
        &self,
        series: &Series,
        values: &[f64],
        mut f: impl FnMut(&str, Option<&str>, f64),
    ) -> u64 {
        match self.stored(series, values) {
            None => 0,
            Some(Stored::One { family, value }) => {
                f(&family.names.sample, None, value);
                1
            }
            Some(Stored::Histogram {
                family,
                le,
                buckets,
                count,
                sum,
            }) => {
                let base = &family.names.family;
                let bucket = format!("{base}_bucket");
                for (le, v) in le.iter().zip(buckets) {
                    f(&bucket, Some(le), *v);
                }
                f(&format!("{base}_count"), None, count);
                f(&format!("{base}_sum"), None, sum);
                le.len() as u64 + 2
            }
        }
    }

    /// Appends one stored point of a series: its samples in `format`,
    /// with a histogram's per-bucket `exemplars` (if any) in OpenMetrics.
    /// Returns the number of samples written.
    pub fn point(
        &self,
        out: &mut String,
        format: Format,
        (series, values): (&Series, &[f64]),
        exemplars: &[Option<Exemplar>],
        ms: Option<i64>,
    ) -> u64 {
        match self.stored(series, values) {
            None => 0,
            Some(Stored::One { family, value }) => {
                let name = &family.names.sample;
                exposition::sample(out, format, name, &series.labels, None, value, ms);
                1
            }
            Some(Stored::Histogram {
                family,
                le,
                buckets,
                count,
                sum,
            }) => {
                let h = exposition::Cumulative {
                    buckets,
                    count,
                    sum,
                    exemplars,
                };
                let name = &family.names.family;
                exposition::histogram(out, format, name, &series.labels, le, h, ms);
                le.len() as u64 + 2
            }
        }
    }

    /// How many series Prometheus stores for one of ours.
    pub fn stored_series(&self, s: &Series) -> u64 {
        match self.families.get(s.metric as usize).map(|f| f.ty) {
            Some(Type::Histogram) => self.le.get(s.metric as usize).map_or(0, Vec::len) as u64 + 2,
            Some(Type::Gauge | Type::Counter) => 1,
            None => 0,
        }
    }
}

/// The help text of the `target` info family.
pub const TARGET_HELP: &str = "Target metadata: the resource attributes of each job and instance";
