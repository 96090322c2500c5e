//! OTLP/JSON lines in the layout of the OpenTelemetry Collector's file
//! exporter (its `otlpjsonfile` receiver reads them back): a directory with
//! `traces.jsonl`, `metrics.jsonl` and `logs.jsonl`, each line one complete
//! `ExportTraceServiceRequest`, `ExportMetricsServiceRequest` or
//! `ExportLogsServiceRequest`.
//!
//! The encoding is the protobuf JSON mapping with OTLP's exceptions: ids as
//! lowercase hex, enums as integers, 64-bit integers as decimal strings,
//! lowerCamelCase names, default fields left out. Records are batched per
//! line ([`SPANS_PER_LINE`] spans, [`LOGS_PER_LINE`] log records,
//! [`POINTS_PER_LINE`] data points) and grouped in a line by resource:
//!
//! - spans and the logs of a service: the resource instance, with
//!   `service.name`, `service.version` (when set), `service.instance.id`
//!   (`<name>-<instance>`), `telemetry.sdk.{name,language,version}` and the
//!   declared resource attributes;
//! - logs of no service: only `service.name` (the scenario's name);
//! - metrics: the series' service (`service.name` and `telemetry.sdk.*`).
//!
//! Events are not written (OTLP has no signal for them; the NDJSON sink
//! has them). The same run gives byte-identical files.
//!
//! The files are written as temporaries ([`super::output`]) and renamed
//! into place by [`Sink::finish`]: a failed or dropped run leaves the
//! directory's previous files as they were.

mod batch;
mod json;
mod logs;
mod metrics;
mod traces;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use batch::{Batch, Names};

use super::output::{self, TempFile};
use super::{EventRecord, LogRecord, MetricRecord, Sink, SpanRecord};

/// The three files of an output directory: traces, metrics, logs.
pub const FILES: [&str; 3] = ["traces.jsonl", "metrics.jsonl", "logs.jsonl"];

/// Spans per request line (REFERENCE's default batch size for traces).
pub const SPANS_PER_LINE: usize = 100;
/// Log records per request line.
pub const LOGS_PER_LINE: usize = 1000;
/// Metric data points per request line.
pub const POINTS_PER_LINE: usize = 1000;

struct Out {
    w: TempFile,
    lines: u64,
}

fn open(dir: &Path, name: &str) -> io::Result<Out> {
    Ok(Out {
        w: TempFile::create(&dir.join(name))?,
        lines: 0,
    })
}

/// Writes the request in `batch` (if any) as one line of `out`.
fn flush<T: Default>(
    batch: &mut Batch<T>,
    names: &Names,
    line: &mut String,
    out: &mut Out,
    body: impl Fn(&T, &mut String),
) -> io::Result<()> {
    if batch.render(line, names, body) {
        line.push('\n');
        out.w.write_all(line.as_bytes())?;
        out.lines += 1;
    }
    line.clear();
    Ok(())
}

/// Writes OTLP/JSON lines files into a directory.
pub struct OtlpJsonSink {
    dir: PathBuf,
    traces: Out,
    metrics: Out,
    logs: Out,
    spans: Batch<String>,
    records: Batch<String>,
    points: Batch<metrics::Metrics>,
    line: String,
    buf: String,
}

impl OtlpJsonSink {
    /// Creates `dir` (and parents) and the three files in it, as
    /// temporaries: [`Sink::finish`] renames them into place, dropping the
    /// sink unfinished removes them.
    pub fn create(dir: &Path) -> io::Result<OtlpJsonSink> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        Ok(OtlpJsonSink {
            dir: dir.to_path_buf(),
            traces: open(dir, FILES[0])?,
            metrics: open(dir, FILES[1])?,
            logs: open(dir, FILES[2])?,
            spans: Batch::new(SPANS_PER_LINE),
            records: Batch::new(LOGS_PER_LINE),
            points: Batch::new(POINTS_PER_LINE),
            line: String::with_capacity(1 << 16),
            buf: String::with_capacity(256),
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Lines (requests) written per file, in [`FILES`] order.
    pub fn lines(&self) -> [u64; 3] {
        [self.traces.lines, self.metrics.lines, self.logs.lines]
    }
}

impl Sink for OtlpJsonSink {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        let group = self.spans.instance(&s.resource, &mut self.buf);
        batch::push_item(group, |out| traces::span(out, s, &mut self.buf));
        if self.spans.added(1) {
            flush(
                &mut self.spans,
                &traces::NAMES,
                &mut self.line,
                &mut self.traces,
                |items, out| out.push_str(items),
            )?;
        }
        Ok(())
    }

    fn log(&mut self, r: &LogRecord<'_>) -> io::Result<()> {
        let group = match &r.resource {
            Some(res) => self.records.instance(res, &mut self.buf),
            None => self.records.service(r.service, false),
        };
        batch::push_item(group, |out| logs::record(out, r, &mut self.buf));
        if self.records.added(1) {
            flush(
                &mut self.records,
                &logs::NAMES,
                &mut self.line,
                &mut self.logs,
                |items, out| out.push_str(items),
            )?;
        }
        Ok(())
    }

    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        self.points.service(m.service, true).add(m);
        if self.points.added(1) {
            flush(
                &mut self.points,
                &metrics::NAMES,
                &mut self.line,
                &mut self.metrics,
                metrics::Metrics::render,
            )?;
        }
        Ok(())
    }

    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let line = &mut self.line;
        let text = |items: &String, out: &mut String| out.push_str(items);
        let last = flush(
            &mut self.spans,
            &traces::NAMES,
            line,
            &mut self.traces,
            text,
        )
        .and_then(|()| {
            flush(
                &mut self.points,
                &metrics::NAMES,
                line,
                &mut self.metrics,
                metrics::Metrics::render,
            )
        })
        .and_then(|()| flush(&mut self.records, &logs::NAMES, line, &mut self.logs, text));
        let mut files = [&mut self.traces.w, &mut self.metrics.w, &mut self.logs.w];
        if let Err(e) = last {
            files.iter_mut().for_each(|f| f.discard());
            return Err(e);
        }
        output::commit(&mut files)
    }
}
