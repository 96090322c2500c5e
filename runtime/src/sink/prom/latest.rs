//! The latest value of every series, for a live `/metrics` page: a sink
//! ([`LatestSink`]) that overwrites each series' point as the run goes,
//! into a [`Latest`] shared with whoever renders the page, in the text
//! format 0.0.4 or OpenMetrics 1.0, without timestamps (Prometheus stamps
//! a scrape with its own time). Spans, logs and events are counted by the
//! sink, not kept.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use super::catalog::{Catalog, TARGET_HELP};
use super::exposition::{self, Format};
use crate::plan::Plan;
use crate::sink::{EventRecord, Exemplar, LogRecord, MetricRecord, Point, Sink, SpanRecord};

/// The latest point of every series seen.
#[derive(Default)]
pub struct Latest {
    catalog: Option<Catalog>,
    /// Per catalog series: its latest values.
    values: Vec<Vec<f64>>,
    /// Per catalog series: a derived histogram's latest exemplar per bucket.
    exemplars: Vec<Vec<Option<Exemplar>>>,
    /// Metric points seen.
    pub points: u64,
}

impl Latest {
    /// Readies the catalog of a run's plan.
    pub fn link(&mut self, plan: &Plan<'_>) -> io::Result<()> {
        self.catalog = Some(Catalog::new(plan)?);
        self.values.clear();
        self.exemplars.clear();
        Ok(())
    }

    /// Keeps `m` as its series' latest point.
    pub fn record(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        let Some(catalog) = self.catalog.as_mut() else {
            return Err(io::Error::other(
                "internal error: a metric point before link",
            ));
        };
        let i = catalog.series_of(m)?;
        if self.values.len() <= i {
            self.values.resize_with(i + 1, Vec::new);
        }
        if let Some(v) = self.values.get_mut(i) {
            catalog.values(m, v)?;
        }
        if let Point::Histogram(h) = &m.point {
            if !h.exemplars.is_empty() {
                if self.exemplars.len() <= i {
                    self.exemplars.resize_with(i + 1, Vec::new);
                }
                if let Some(e) = self.exemplars.get_mut(i) {
                    e.clear();
                    e.extend_from_slice(h.exemplars);
                }
            }
        }
        self.points += 1;
        Ok(())
    }

    /// Series seen so far.
    pub fn series(&self) -> usize {
        self.values.len()
    }

    /// The page: `target_info` first, then every family with a series.
    pub fn render(&self, format: Format) -> String {
        let mut out = String::with_capacity(4096);
        let Some(c) = self.catalog.as_ref() else {
            if format == Format::OpenMetrics {
                out.push_str(exposition::EOF);
            }
            return out;
        };
        let targets = c.target_labels();
        if !targets.is_empty() {
            exposition::info_header(&mut out, format, "target", TARGET_HELP);
            for labels in &targets {
                exposition::sample(&mut out, format, "target_info", labels, None, 1.0, None);
            }
        }
        for (metric, family) in c.families.iter().enumerate() {
            let mut header = false;
            for (i, (s, v)) in c.series.iter().zip(&self.values).enumerate() {
                if s.metric as usize != metric || v.is_empty() {
                    continue;
                }
                if !header {
                    exposition::header(&mut out, format, family);
                    header = true;
                }
                let exemplars = self.exemplars.get(i).map_or(&[][..], Vec::as_slice);
                c.point(&mut out, format, (s, v), exemplars, None);
            }
        }
        if format == Format::OpenMetrics {
            out.push_str(exposition::EOF);
        }
        out
    }
}

/// A sink keeping the latest points in a shared [`Latest`].
pub struct LatestSink {
    /// The store the page is rendered from.
    pub shared: Arc<Mutex<Latest>>,
    /// Spans, logs and events seen (not on the page).
    pub ignored: u64,
}

impl LatestSink {
    fn with<T>(&self, f: impl FnOnce(&mut Latest) -> T) -> T {
        let mut l = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut l)
    }
}

impl Sink for LatestSink {
    fn link(&mut self, plan: &Plan<'_>) -> io::Result<()> {
        self.with(|l| l.link(plan))
    }
    fn span(&mut self, _: &SpanRecord<'_>) -> io::Result<()> {
        self.ignored += 1;
        Ok(())
    }
    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        self.ignored += 1;
        Ok(())
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        self.ignored += 1;
        Ok(())
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        self.with(|l| l.record(m))
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
