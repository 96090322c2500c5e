//! NDJSON fixtures in the layout of REFERENCE E: a directory with
//! `metrics.ndjson`, `logs.ndjson`, `traces.ndjson` and `events.ndjson`, one
//! JSON object per line, RFC 3339 UTC timestamps, exactly these fields:
//!
//! - metrics `{"timestamp","service","metric","value","unit"}`
//! - logs `{"timestamp","service","level","message","trace_id"}`
//! - traces `{"timestamp","trace_id","span_id","parent_span_id","service","operation","duration_ms","status"}`
//! - events `{"timestamp","type","service","details","severity","version"}`
//!
//! Every field has its schema's type: absent text (a root's parent, an
//! uncorrelated log's trace, an event's service or version) is `""`, never
//! `null`; `value` and `duration_ms` are numbers.
//!
//! The files are written as temporaries ([`super::output`]) and renamed
//! into place only when the run finished: a failed or dropped run leaves
//! the directory's previous files as they were.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::fmt;
use super::output::{self, TempFile};
use super::{EventRecord, Label, LogRecord, MetricRecord, Point, Sink, SpanRecord};

/// The four files of a fixture directory.
pub const FILES: [&str; 4] = [
    "metrics.ndjson",
    "logs.ndjson",
    "traces.ndjson",
    "events.ndjson",
];

/// The answer key written beside the four files by `tsim run` and
/// `tsim fixtures` (see [`NdjsonSink::hold`]).
pub const ANSWER_KEY: &str = "answer_key.json";

struct Out {
    w: TempFile,
    lines: u64,
}

/// Writes the four NDJSON files into a directory.
pub struct NdjsonSink {
    dir: PathBuf,
    metrics: Out,
    logs: Out,
    traces: Out,
    events: Out,
    line: String,
    text: String,
    hold: bool,
}

fn open(dir: &Path, name: &str) -> io::Result<Out> {
    Ok(Out {
        w: TempFile::create(&dir.join(name))?,
        lines: 0,
    })
}

impl NdjsonSink {
    /// Creates `dir` (and parents) and the four files in it, as
    /// temporaries: [`Sink::finish`] renames them into place, dropping the
    /// sink unfinished removes them.
    pub fn create(dir: &Path) -> io::Result<NdjsonSink> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        Ok(NdjsonSink {
            dir: dir.to_path_buf(),
            metrics: open(dir, FILES[0])?,
            logs: open(dir, FILES[1])?,
            traces: open(dir, FILES[2])?,
            events: open(dir, FILES[3])?,
            line: String::with_capacity(512),
            text: String::with_capacity(256),
            hold: false,
        })
    }

    /// Makes [`Sink::finish`] only flush and sync the files: they are
    /// renamed into place by [`NdjsonSink::commit_with`], together with
    /// files written after the run (the answer key).
    pub fn hold(mut self) -> NdjsonSink {
        self.hold = true;
        self
    }

    /// Commits the four files and `extra` together (see
    /// [`output::commit`]); on an error none of the temporaries is kept.
    pub fn commit_with(&mut self, extra: &mut [&mut TempFile]) -> io::Result<()> {
        let mut files: Vec<&mut TempFile> = vec![
            &mut self.metrics.w,
            &mut self.logs.w,
            &mut self.traces.w,
            &mut self.events.w,
        ];
        files.extend(extra.iter_mut().map(|f| &mut **f));
        output::commit(&mut files)
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Lines written per file, in [`FILES`] order.
    pub fn lines(&self) -> [u64; 4] {
        [
            self.metrics.lines,
            self.logs.lines,
            self.traces.lines,
            self.events.lines,
        ]
    }
}

fn emit(out: &mut Out, line: &mut String) -> io::Result<()> {
    line.push('\n');
    out.w.write_all(line.as_bytes())?;
    out.lines += 1;
    line.clear();
    Ok(())
}

impl Sink for NdjsonSink {
    fn span(&mut self, s: &SpanRecord<'_>) -> io::Result<()> {
        let l = &mut self.line;
        l.push_str("{\"timestamp\":\"");
        fmt::timestamp(l, s.start_ns);
        l.push_str("\",\"trace_id\":\"");
        fmt::hex(l, &s.trace_id);
        l.push_str("\",\"span_id\":\"");
        fmt::hex(l, &s.span_id);
        match s.parent {
            Some(p) => {
                l.push_str("\",\"parent_span_id\":\"");
                fmt::hex(l, &p);
                l.push_str("\",\"service\":");
            }
            None => l.push_str("\",\"parent_span_id\":\"\",\"service\":"),
        }
        fmt::string(l, s.resource.name);
        l.push_str(",\"operation\":");
        fmt::string(l, s.name);
        l.push_str(",\"duration_ms\":");
        fmt::number(l, s.duration_ns() as f64 / 1e6);
        // The fixture schema's fields only: user-declared span events and
        // links go to OTLP and Honeycomb, not into fixtures.
        l.push_str(if s.failed {
            ",\"status\":\"error\"}"
        } else {
            ",\"status\":\"ok\"}"
        });
        emit(&mut self.traces, l)
    }

    fn log(&mut self, r: &LogRecord<'_>) -> io::Result<()> {
        let l = &mut self.line;
        l.push_str("{\"timestamp\":\"");
        fmt::timestamp(l, r.time_ns);
        l.push_str("\",\"service\":");
        fmt::string(l, r.service);
        l.push_str(",\"level\":");
        fmt::string(l, r.severity_text);
        l.push_str(",\"message\":");
        self.text.clear();
        r.body.render(&mut self.text);
        fmt::string(l, &self.text);
        match r.trace_id {
            Some(t) => {
                l.push_str(",\"trace_id\":\"");
                fmt::hex(l, &t);
                l.push_str("\"}");
            }
            None => l.push_str(",\"trace_id\":\"\"}"),
        }
        emit(&mut self.logs, l)
    }

    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        let (line, out, name) = (&mut self.line, &mut self.metrics, &mut self.text);
        let mut result = Ok(());
        flat_points(m, name, |metric, value| {
            if result.is_err() {
                return;
            }
            line.push_str("{\"timestamp\":\"");
            fmt::timestamp(line, m.time_ns);
            line.push_str("\",\"service\":");
            fmt::string(line, m.service);
            line.push_str(",\"metric\":");
            fmt::string(line, metric);
            line.push_str(",\"value\":");
            fmt::number(line, value);
            line.push_str(",\"unit\":");
            fmt::string(line, m.unit);
            line.push('}');
            result = emit(out, line);
        });
        result
    }

    fn event(&mut self, e: &EventRecord<'_>) -> io::Result<()> {
        let l = &mut self.line;
        l.push_str("{\"timestamp\":\"");
        fmt::timestamp(l, e.time_ns);
        l.push_str("\",\"type\":");
        fmt::string(l, e.kind);
        l.push_str(",\"service\":");
        match e.service {
            Some(s) => fmt::string(l, s),
            None => l.push_str("\"\""),
        }
        l.push_str(",\"details\":");
        fmt::string(l, e.details);
        l.push_str(",\"severity\":");
        fmt::string(l, e.severity);
        l.push_str(",\"version\":");
        match e.version {
            Some(v) => fmt::string(l, v),
            None => l.push_str("\"\""),
        }
        l.push('}');
        emit(&mut self.events, l)
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.hold {
            return self.commit_with(&mut []);
        }
        let mut files = [
            &mut self.metrics.w,
            &mut self.logs.w,
            &mut self.traces.w,
            &mut self.events.w,
        ];
        let result = files.iter_mut().try_for_each(|f| f.prepare());
        if result.is_err() {
            files.iter_mut().for_each(|f| f.discard());
        }
        result
    }
}

/// Appends `name{k="v",...}` (labels other than `service.name`, plus `le`).
fn series_name(out: &mut String, name: &str, suffix: &str, labels: &[Label<'_>], le: Option<f64>) {
    out.clear();
    out.push_str(name);
    out.push_str(suffix);
    let mut first = true;
    let mut sep = |out: &mut String| {
        out.push(if first { '{' } else { ',' });
        first = false;
    };
    for l in labels.iter().filter(|l| l.key != "service.name") {
        sep(out);
        out.push_str(l.key);
        out.push_str("=\"");
        let start = out.len();
        l.value.write(out);
        // Escape `\` and `"` in place; nearly every value has neither.
        if out[start..].contains(['\\', '"']) {
            let raw = out.split_off(start);
            for c in raw.chars() {
                if matches!(c, '\\' | '"') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        out.push('"');
    }
    if let Some(v) = le {
        sep(out);
        out.push_str("le=\"");
        if v.is_infinite() {
            out.push_str("+Inf");
        } else {
            fmt::number(out, v);
        }
        out.push('"');
    }
    if !first {
        out.push('}');
    }
}

/// A metric point as the flat `(metric, value)` pairs of REFERENCE E's
/// schema: `name{labels}` for gauges and sums; for histograms cumulative
/// `name_bucket{labels,le="..."}` points (the last `+Inf`), then `_count`
/// and `_sum`. `name` is a reused buffer.
pub fn flat_points(m: &MetricRecord<'_>, name: &mut String, mut f: impl FnMut(&str, f64)) {
    match m.point {
        Point::Gauge(v) | Point::Sum { value: v, .. } => {
            series_name(name, m.name, "", m.labels, None);
            f(name, v);
        }
        Point::Histogram(h) => {
            let mut cumulative = 0u64;
            for (i, c) in h.counts.iter().enumerate() {
                cumulative += c;
                let le = h.bounds.get(i).copied().unwrap_or(f64::INFINITY);
                series_name(name, m.name, "_bucket", m.labels, Some(le));
                f(name, cumulative as f64);
            }
            series_name(name, m.name, "_count", m.labels, None);
            f(name, h.count as f64);
            series_name(name, m.name, "_sum", m.labels, None);
            f(name, h.sum);
        }
    }
}
