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
//!   (the instance's UUID), `telemetry.sdk.{name,language,version}` and the
//!   declared resource attributes;
//! - logs of no service: only `service.name` (the scenario's name);
//! - metrics: the series' service (`service.name` and `telemetry.sdk.*`).
//!
//! Events are not written (OTLP has no signal for them; the NDJSON sink
//! has them). The same run gives byte-identical files.
//!
//! The same requests can go to an OTLP/HTTP exporter as JSON bodies (see
//! [`OtlpJsonSink::new`]).
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

use super::otlp::{BatchSizes, Requests, Signal};
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

/// The three files of a directory, as a destination of requests: each
/// request is one line of its signal's file.
pub struct Files {
    dir: PathBuf,
    /// Traces, metrics, logs (in [`Signal::ALL`] order, as [`FILES`]).
    files: [TempFile; 3],
    lines: [u64; 3],
}

impl Files {
    /// Creates `dir` (and parents) and the three files in it, as
    /// temporaries: [`Requests::finish`] renames them into place, dropping
    /// them unfinished removes them.
    pub fn create(dir: &Path) -> io::Result<Files> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        Ok(Files {
            dir: dir.to_path_buf(),
            files: [
                TempFile::create(&dir.join(FILES[0]))?,
                TempFile::create(&dir.join(FILES[1]))?,
                TempFile::create(&dir.join(FILES[2]))?,
            ],
            lines: [0; 3],
        })
    }
}

impl Requests for Files {
    fn request(&mut self, signal: Signal, mut body: Vec<u8>, _items: u64) -> io::Result<()> {
        body.push(b'\n');
        let i = signal.index();
        if let Err(e) = self.files[i].write_all(&body) {
            self.files.iter_mut().for_each(|f| f.discard());
            return Err(e);
        }
        self.lines[i] += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let [t, m, l] = &mut self.files;
        output::commit(&mut [t, m, l])
    }
}

/// Encodes records as OTLP/JSON export requests, one per line, for `R`:
/// the files of a directory, or an OTLP/HTTP exporter sending JSON.
pub struct OtlpJsonSink<R: Requests = Files> {
    out: R,
    spans: Batch<String>,
    records: Batch<String>,
    points: Batch<metrics::Metrics>,
    line: String,
    buf: String,
}

impl OtlpJsonSink<Files> {
    /// Creates `dir` (and parents) and the three files in it, as
    /// temporaries: [`Sink::finish`] renames them into place, dropping the
    /// sink unfinished removes them.
    pub fn create(dir: &Path) -> io::Result<OtlpJsonSink<Files>> {
        Ok(OtlpJsonSink::new(Files::create(dir)?))
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.out.dir
    }

    /// Lines (requests) written per file, in [`FILES`] order.
    pub fn lines(&self) -> [u64; 3] {
        self.out.lines
    }
}

impl<R: Requests> OtlpJsonSink<R> {
    /// A sink handing each request, as JSON text, to `out`.
    pub fn new(out: R) -> OtlpJsonSink<R> {
        OtlpJsonSink::with_sizes(
            out,
            BatchSizes {
                spans: SPANS_PER_LINE,
                points: POINTS_PER_LINE,
                logs: LOGS_PER_LINE,
            },
        )
    }

    /// The same with other batch sizes.
    pub fn with_sizes(out: R, sizes: BatchSizes) -> OtlpJsonSink<R> {
        OtlpJsonSink {
            out,
            spans: Batch::new(sizes.spans),
            records: Batch::new(sizes.logs),
            points: Batch::new(sizes.points),
            line: String::with_capacity(1 << 16),
            buf: String::with_capacity(256),
        }
    }

    /// The requests' destination, taken back.
    pub fn into_requests(self) -> R {
        self.out
    }
}

/// Hands the request in `batch` (if any) to `out`.
fn flush<T: Default, R: Requests>(
    batch: &mut Batch<T>,
    names: &Names,
    line: &mut String,
    out: &mut R,
    signal: Signal,
    body: impl Fn(&T, &mut String),
) -> io::Result<()> {
    let items = batch.len() as u64;
    let rendered = batch.render(line, names, body);
    let result = if rendered {
        out.request(signal, line.as_bytes().to_vec(), items)
    } else {
        Ok(())
    };
    line.clear();
    result
}

impl<R: Requests> Sink for OtlpJsonSink<R> {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        let group = self.spans.instance(&s.resource);
        batch::push_item(group, |out| traces::span(out, s, &mut self.buf));
        if self.spans.added(1) {
            flush(
                &mut self.spans,
                &traces::NAMES,
                &mut self.line,
                &mut self.out,
                Signal::Traces,
                |items, out| out.push_str(items),
            )?;
        }
        Ok(())
    }

    fn log(&mut self, r: &LogRecord<'_>) -> io::Result<()> {
        let group = match &r.resource {
            Some(res) => self.records.instance(res),
            None => self.records.service(r.service, false),
        };
        batch::push_item(group, |out| logs::record(out, r, &mut self.buf));
        if self.records.added(1) {
            flush(
                &mut self.records,
                &logs::NAMES,
                &mut self.line,
                &mut self.out,
                Signal::Logs,
                |items, out| out.push_str(items),
            )?;
        }
        Ok(())
    }

    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        match &m.resource {
            Some(r) => self.points.instance(r),
            None => self.points.service(m.service, true),
        }
        .add(m);
        if self.points.added(1) {
            flush(
                &mut self.points,
                &metrics::NAMES,
                &mut self.line,
                &mut self.out,
                Signal::Metrics,
                metrics::Metrics::render,
            )?;
        }
        Ok(())
    }

    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let text = |items: &String, out: &mut String| out.push_str(items);
        let (line, out) = (&mut self.line, &mut self.out);
        flush(
            &mut self.spans,
            &traces::NAMES,
            line,
            out,
            Signal::Traces,
            text,
        )?;
        flush(
            &mut self.points,
            &metrics::NAMES,
            line,
            out,
            Signal::Metrics,
            metrics::Metrics::render,
        )?;
        flush(
            &mut self.records,
            &logs::NAMES,
            line,
            out,
            Signal::Logs,
            text,
        )?;
        self.out.finish()
    }
}
