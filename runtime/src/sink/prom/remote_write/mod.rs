//! `--to prom-rw://HOST:PORT/PATH`: metric points as Prometheus
//! remote-write 1.0 requests, named exactly as the OpenMetrics sink names
//! them (the shared [`Catalog`]): counters with `_total`, histograms as
//! classic `_bucket{le}`, `_count` and `_sum` series, `job` and
//! `instance` labels, and a `target_info` series per target at every tick.
//! Up to `--batch-points` samples make one `WriteRequest` ([`proto`]),
//! grouped by series, handed to a [`Requests`]: the shared exporter with
//! the remote-write [`client`], or a test's collector. Spans, logs and
//! events are not sent (counted, for the summary).
//!
//! Labels with an empty value are left out: Prometheus treats an empty
//! label as an absent one, and the spec asks senders not to send them.

pub mod client;
pub mod proto;

use std::collections::HashMap;
use std::io;

use super::catalog::Catalog;
use crate::plan::Plan;
use crate::sink::deliver::Requests;
use crate::sink::signal::Signal;
use crate::sink::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};
use proto::{Label, Sample, TimeSeries, WriteRequest};

/// A series of the request being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A catalog series' `n`th stored series (a histogram has several).
    Series(usize, u32),
    /// The `target_info` of the `n`th target seen.
    Target(usize),
}

/// Remote-write encoder handing requests to `R`.
pub struct RemoteWriteSink<R: Requests> {
    out: R,
    per_request: usize,
    catalog: Option<Catalog>,
    /// The request being built, and where each series is in it.
    request: WriteRequest,
    index: HashMap<Key, usize>,
    samples: u64,
    /// The targets' `target_info` labels, and how many targets they cover.
    targets: Vec<Vec<Label>>,
    /// The tick whose `target_info` samples are still to write.
    tick: Option<i64>,
    scratch: Vec<f64>,
    ignored: u64,
}

/// `pairs` as remote-write labels: `__name__` and an `le`, empty values
/// left out, sorted by name.
fn labels(name: &str, pairs: &[(String, String)], le: Option<&str>) -> Vec<Label> {
    let mut out = Vec::with_capacity(pairs.len() + 2);
    out.push(Label {
        name: "__name__".into(),
        value: name.to_string(),
    });
    out.extend(
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| Label {
                name: k.clone(),
                value: v.clone(),
            }),
    );
    if let Some(le) = le {
        out.push(Label {
            name: "le".into(),
            value: le.to_string(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

impl<R: Requests> RemoteWriteSink<R> {
    /// A sink sending up to `per_request` samples (at least 1) a request.
    pub fn new(out: R, per_request: usize) -> RemoteWriteSink<R> {
        RemoteWriteSink {
            out,
            per_request: per_request.max(1),
            catalog: None,
            request: WriteRequest::default(),
            index: HashMap::new(),
            samples: 0,
            targets: Vec::new(),
            tick: None,
            scratch: Vec::new(),
            ignored: 0,
        }
    }

    /// Where the requests went.
    pub fn requests(&self) -> &R {
        &self.out
    }

    /// Spans, logs and events the run emitted that remote write leaves out.
    pub fn ignored(&self) -> u64 {
        self.ignored
    }

    /// Sends the request first if `n` more samples would not fit (a
    /// point's samples always go together: a histogram wider than
    /// `--batch-points` makes a request of its own).
    fn make_room(&mut self, n: usize) -> io::Result<()> {
        if self.samples.saturating_add(n as u64) > self.per_request as u64 {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds one sample to the request.
    fn add(
        &mut self,
        key: Key,
        make: impl FnOnce() -> Vec<Label>,
        sample: Sample,
    ) -> io::Result<()> {
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                self.request.timeseries.push(TimeSeries {
                    labels: make(),
                    samples: Vec::new(),
                });
                let at = self.request.timeseries.len() - 1;
                self.index.insert(key, at);
                at
            }
        };
        let Some(series) = self.request.timeseries.get_mut(at) else {
            return Err(io::Error::other(
                "internal error: a lost remote-write series",
            ));
        };
        series.samples.push(sample);
        self.samples += 1;
        Ok(())
    }

    /// Sends the request being built, if it holds a sample.
    fn flush(&mut self) -> io::Result<()> {
        if self.samples == 0 {
            return Ok(());
        }
        let request = std::mem::take(&mut self.request);
        let samples = std::mem::take(&mut self.samples);
        self.index.clear();
        let body = proto::body(&request)?;
        self.out.request(Signal::Metrics, body, samples)
    }

    /// Writes `target_info` at the pending tick for every target seen.
    fn write_targets(&mut self) -> io::Result<()> {
        let Some(ms) = self.tick.take() else {
            return Ok(());
        };
        if let Some(c) = &self.catalog {
            if c.seen.len() != self.targets.len() {
                self.targets = c
                    .target_pairs()
                    .iter()
                    .map(|p| labels("target_info", p, None))
                    .collect();
            }
        }
        for i in 0..self.targets.len() {
            self.make_room(1)?;
            let key = Key::Target(i);
            let l = match self.index.contains_key(&key) {
                true => Vec::new(),
                false => self.targets.get(i).cloned().unwrap_or_default(),
            };
            let sample = Sample {
                value: 1.0,
                timestamp: ms,
            };
            self.add(key, || l, sample)?;
        }
        Ok(())
    }
}

impl<R: Requests> Sink for RemoteWriteSink<R> {
    fn link(&mut self, plan: &Plan<'_>) -> io::Result<()> {
        self.catalog = Some(Catalog::new(plan)?);
        Ok(())
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
        let ms = m.time_ns.div_euclid(1_000_000);
        if self.tick.is_some_and(|t| t != ms) {
            self.write_targets()?;
        }
        let mut catalog = self
            .catalog
            .take()
            .ok_or_else(|| io::Error::other("internal error: a metric point before link"))?;
        let result = self.point(&mut catalog, m, ms);
        self.catalog = Some(catalog);
        self.tick = Some(ms);
        result
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_targets()?;
        self.flush()?;
        self.out.finish()
    }
}

impl<R: Requests> RemoteWriteSink<R> {
    /// Adds the samples of one metric point.
    fn point(&mut self, catalog: &mut Catalog, m: &MetricRecord<'_>, ms: i64) -> io::Result<()> {
        let i = catalog.series_of(m)?;
        catalog.values(m, &mut self.scratch)?;
        let Some(series) = catalog.series.get(i) else {
            return Err(io::Error::other("internal error: a lost series"));
        };
        self.make_room(self.scratch.len())?;
        // Labels are made only for a series new to the request.
        let mut found = Vec::with_capacity(self.scratch.len());
        let index = &self.index;
        let mut n = 0u32;
        catalog.samples(series, &self.scratch, |name, le, value| {
            let key = Key::Series(i, n);
            n += 1;
            let l = (!index.contains_key(&key)).then(|| labels(name, &series.pairs, le));
            found.push((key, l, value));
        });
        for (key, l, value) in found {
            let sample = Sample {
                value,
                timestamp: ms,
            };
            self.add(key, || l.unwrap_or_default(), sample)?;
        }
        Ok(())
    }
}
