//! `--to openmetrics:FILE`: a run's whole metric history as one
//! OpenMetrics 1.0 file with timestamps, in the layout
//! `promtool tsdb create-blocks-from openmetrics FILE DIR` reads: one
//! family after another (never interleaved), each series' samples together
//! and in increasing time order, `# EOF` last. A `target_info` family
//! carries each (job, instance)'s resource attributes at every tick.
//!
//! The engine emits points tick by tick across all series, so the sink
//! holds the history compactly until the end: per series a column of
//! millisecond times and one of values (a histogram point is its
//! cumulative buckets, count and sum). Before the run starts it estimates
//! that memory from the plan (series x points) and refuses a run past
//! [`MEMORY_LIMIT`]; the running total is checked too. Spans, logs and
//! events are not written (they are counted, for the summary).
//!
//! The file is written as a temporary and renamed into place only by a
//! complete [`Sink::finish`].

use std::io::{self, Write};
use std::path::Path;

use super::catalog::{width, Catalog, TARGET_HELP};
use super::exposition::{self, Format};
use super::naming::Type;
use crate::plan::Plan;
use crate::sink::output::{self, TempFile};
use crate::sink::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};

/// The most memory the history may take: 1 GiB.
pub const MEMORY_LIMIT: u64 = 1 << 30;

/// Bytes of one stored point: its time and `width` values.
fn point_bytes(width: usize) -> u64 {
    8 * (1 + width as u64)
}

/// One series' history: millisecond times, and the values of each.
#[derive(Default)]
struct Column {
    times: Vec<i64>,
    values: Vec<f64>,
}

/// What a finished history file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Series (a histogram's buckets, count and sum each count once, as
    /// Prometheus stores them; `target_info` series included).
    pub series: u64,
    /// Samples.
    pub samples: u64,
    /// Spans, logs and events the run emitted that this format leaves out.
    pub ignored: u64,
}

/// The OpenMetrics history sink.
pub struct OpenMetricsSink {
    file: TempFile,
    /// Simulated time the run will cover, for the estimate.
    covers_ns: u64,
    limit: u64,
    catalog: Option<Catalog>,
    /// Per catalog series.
    columns: Vec<Column>,
    ticks: std::collections::BTreeSet<i64>,
    bytes: u64,
    scratch: Vec<f64>,
    written: Written,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// `1.5 GiB`, `20.0 MiB`.
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    }
}

/// Writes `out` to `file` once it holds a MiB.
fn spill(out: &mut String, file: &mut TempFile) -> io::Result<()> {
    if out.len() > 1 << 20 {
        file.write_all(out.as_bytes())?;
        out.clear();
    }
    Ok(())
}

impl OpenMetricsSink {
    /// Starts writing `path` (as a temporary) for a run covering
    /// `covers_ns` of simulated time (`u64::MAX`: until stopped).
    pub fn create(path: &Path, covers_ns: u64) -> io::Result<OpenMetricsSink> {
        Ok(OpenMetricsSink {
            file: TempFile::create(path)?,
            covers_ns,
            limit: MEMORY_LIMIT,
            catalog: None,
            columns: Vec::new(),
            ticks: Default::default(),
            bytes: 0,
            scratch: Vec::new(),
            written: Written::default(),
        })
    }

    /// The same with another memory limit (tests).
    pub fn with_limit(mut self, limit: u64) -> OpenMetricsSink {
        self.limit = limit;
        self
    }

    /// What was written (complete after [`Sink::finish`]).
    pub fn written(&self) -> Written {
        self.written
    }

    /// Refuses a run whose history would not fit: series x points.
    fn estimate(&self, plan: &Plan<'_>) -> io::Result<()> {
        let pack = plan.pack;
        let tick = pack.meta.tick_ns.max(1);
        let points = (self.covers_ns / tick).saturating_add(1);
        let mut series = 0u64;
        let mut bytes = 0u64;
        for m in &pack.metrics {
            let rows = pack
                .series_sets
                .get(m.series_set as usize)
                .map_or(0, |s| s.rows.len() as u64);
            series = series.saturating_add(rows);
            let per = point_bytes(width(m.buckets.len(), Type::of(m.kind)));
            bytes = bytes.saturating_add(rows.saturating_mul(points).saturating_mul(per));
        }
        if bytes <= self.limit {
            return Ok(());
        }
        if self.covers_ns == u64::MAX {
            return Err(invalid(
                "--to openmetrics holds the whole history until the end, so it needs a run that ends: give --duration".into(),
            ));
        }
        Err(invalid(format!(
            "--to openmetrics: the history would need about {} in memory ({series} series x {points} points each), more than the limit of {}: shorten --duration, lengthen the scenario's tick, or declare fewer series",
            size(bytes),
            size(self.limit)
        )))
    }

    /// Writes `target_info` at every tick for each target seen.
    fn write_targets(&mut self, c: &Catalog, out: &mut String) -> io::Result<()> {
        let targets = c.target_labels();
        if targets.is_empty() {
            return Ok(());
        }
        exposition::info_header(out, Format::OpenMetrics, "target", TARGET_HELP);
        for labels in &targets {
            for ms in &self.ticks {
                exposition::sample(
                    out,
                    Format::OpenMetrics,
                    "target_info",
                    labels,
                    None,
                    1.0,
                    Some(*ms),
                );
                self.written.samples += 1;
                spill(out, &mut self.file)?;
            }
            self.written.series += 1;
        }
        Ok(())
    }

    /// Writes one family: its header, then each series' points in time
    /// order, series in the order they first appeared.
    fn write_family(&mut self, c: &Catalog, metric: usize, out: &mut String) -> io::Result<()> {
        let (Some(family), Some(le)) = (c.families.get(metric), c.le.get(metric)) else {
            return Ok(());
        };
        let w = width(le.len().saturating_sub(1), family.ty);
        let mut header = false;
        for (s, col) in c.series.iter().zip(&self.columns) {
            if s.metric as usize != metric {
                continue;
            }
            if !header {
                exposition::header(out, Format::OpenMetrics, family);
                header = true;
            }
            for (t, v) in col.times.iter().zip(col.values.chunks_exact(w)) {
                self.written.samples += c.point(out, Format::OpenMetrics, (s, v), &[], Some(*t));
                spill(out, &mut self.file)?;
            }
            self.written.series += c.stored_series(s);
        }
        Ok(())
    }
}

impl Sink for OpenMetricsSink {
    fn link(&mut self, plan: &Plan<'_>) -> io::Result<()> {
        let catalog = Catalog::new(plan)?;
        self.estimate(plan)?;
        self.catalog = Some(catalog);
        Ok(())
    }

    fn span(&mut self, _: &SpanRecord<'_>) -> io::Result<()> {
        self.written.ignored += 1;
        Ok(())
    }

    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        self.written.ignored += 1;
        Ok(())
    }

    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        self.written.ignored += 1;
        Ok(())
    }

    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        let Some(catalog) = self.catalog.as_mut() else {
            return Err(io::Error::other(
                "internal error: a metric point before link",
            ));
        };
        let i = catalog.series_of(m)?;
        catalog.values(m, &mut self.scratch)?;
        if self.columns.len() <= i {
            self.columns.resize_with(i + 1, Column::default);
        }
        let ms = m.time_ns.div_euclid(1_000_000);
        let Some(col) = self.columns.get_mut(i) else {
            return Err(io::Error::other("internal error: a lost series"));
        };
        if col.times.last().is_some_and(|last| *last >= ms) {
            return Err(invalid(format!(
                "metric `{}`: two points of one series at or out of order with {ms} ms; OpenMetrics history needs a tick of at least 1ms",
                m.name
            )));
        }
        col.times.push(ms);
        col.values.extend_from_slice(&self.scratch);
        self.ticks.insert(ms);
        self.bytes = self.bytes.saturating_add(point_bytes(self.scratch.len()));
        if self.bytes > self.limit {
            return Err(invalid(format!(
                "--to openmetrics: the history outgrew the memory limit of {} ({} series so far): shorten --duration, lengthen the scenario's tick, or declare fewer series",
                size(self.limit),
                self.columns.len()
            )));
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(catalog) = self.catalog.take() else {
            return Err(io::Error::other("internal error: finish before link"));
        };
        let mut out = String::with_capacity(1 << 20);
        self.written.series = 0;
        self.written.samples = 0;
        self.write_targets(&catalog, &mut out)?;
        for metric in 0..catalog.families.len() {
            self.write_family(&catalog, metric, &mut out)?;
        }
        out.push_str(exposition::EOF);
        self.file.write_all(out.as_bytes())?;
        output::commit(&mut [&mut self.file])
    }
}
