//! Running a pack into the sink a `--to` spec names: the file sinks (their
//! output committed only when the run was complete: NDJSON, OTLP/JSON, the
//! OpenMetrics history), the null sink, and the OTLP exporters (protobuf
//! over gRPC or HTTP, JSON over HTTP), the Honeycomb Events API and
//! Prometheus remote write, with their live stats.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tsim_pack::Pack;
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::guard::{refuse_if_stopped, Uncommitted};
use tsim_runtime::sink::honeycomb::{client, HoneycombSink};
use tsim_runtime::sink::ndjson::{NdjsonSink, ANSWER_KEY};
use tsim_runtime::sink::otlp::export::{Exporter, Report, Transport};
use tsim_runtime::sink::otlp::OtlpSink;
use tsim_runtime::sink::otlp_json::OtlpJsonSink;
use tsim_runtime::sink::output::TempFile;
use tsim_runtime::sink::prom::remote_write::client as remote_write;
use tsim_runtime::sink::prom::{OpenMetricsSink, RemoteWriteSink};
use tsim_runtime::sink::spec::{Otlp, Target};
use tsim_runtime::sink::{NullSink, Sink};

use crate::progress::Bar;
use crate::send::SendFlags;

/// What a run did.
pub struct Done {
    /// The engine's summary.
    pub summary: Summary,
    /// Lines per NDJSON file, for NDJSON output.
    pub lines: Option<[u64; 4]>,
    /// What the exporter delivered, for OTLP output.
    pub delivery: Option<Report>,
    /// What the OpenMetrics history holds, for `openmetrics:FILE` output.
    pub note: Option<String>,
}

fn stopped(opts: &sim::Options) -> &AtomicBool {
    static NEVER: AtomicBool = AtomicBool::new(false);
    opts.stop.as_deref().unwrap_or(&NEVER)
}

/// Runs `pack` into `target`; writes the answer key beside NDJSON output
/// (OTLP/JSON output has none), committed together with the four files.
/// Nothing is renamed into place unless every file was written and synced
/// and the run was not stopped. OTLP targets need `send`.
pub fn execute(
    pack: &Pack,
    opts: &sim::Options,
    target: &Target,
    send: Option<&SendFlags>,
) -> Result<Done, String> {
    let mut bar = if opts.follow && opts.live.is_none() {
        Bar::following(opts.start_ns, pack.meta.tick_ns)
    } else {
        Bar::new()
    };
    let mut tick = |done: u64, total: u64, sum: &Summary| bar.update(done, total, sum);
    let stop = stopped(opts);
    let files = |summary: Summary, lines| Done {
        summary,
        lines,
        delivery: None,
        note: None,
    };
    let result = match target {
        Target::Null => sim::run(pack, opts, &mut NullSink, &mut tick)
            .map(|s| files(s, None))
            .map_err(|e| e.to_string()),
        Target::Ndjson(dir) => NdjsonSink::create(dir)
            .and_then(|sink| {
                let mut sink = sink.hold();
                let sum = sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick)?;
                let mut key = TempFile::create(&dir.join(ANSWER_KEY))?;
                std::io::Write::write_all(
                    &mut key,
                    (tsim_runtime::answer::to_json(&sum.incidents) + "\n").as_bytes(),
                )?;
                refuse_if_stopped(stop)?;
                sink.commit_with(&mut [&mut key])?;
                Ok(files(sum, Some(sink.lines())))
            })
            .map_err(|e| e.to_string()),
        Target::OtlpJson(dir) => OtlpJsonSink::create(dir)
            .and_then(|sink| {
                let mut sink = Uncommitted { inner: sink, stop };
                sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick).map(|s| files(s, None))
            })
            .map_err(|e| e.to_string()),
        Target::OpenMetrics(file) => {
            let covers = opts.duration_ns.unwrap_or(pack.meta.duration_ns);
            OpenMetricsSink::create(file, covers)
                .and_then(|sink| {
                    let mut sink = Uncommitted { inner: sink, stop };
                    let summary = sim::run(pack, opts, &mut sink as &mut dyn Sink, &mut tick)?;
                    let w = sink.inner.written();
                    Ok(Done {
                        note: Some(format!(
                            "{}: {} series, {} samples (OpenMetrics; metrics only: {} spans, logs and events not written)",
                            file.display(),
                            w.series,
                            w.samples,
                            w.ignored
                        )),
                        ..files(summary, None)
                    })
                })
                .map_err(|e| e.to_string())
        }
        Target::Otlp(o) => {
            let send = send.ok_or("internal error: an OTLP target without send flags")?;
            otlp(pack, opts, o, send, &mut tick)
        }
        Target::Honeycomb(dataset) => {
            let send = send.ok_or("internal error: a Honeycomb target without send flags")?;
            honeycomb(pack, opts, dataset, send, &mut tick)
        }
        Target::RemoteWrite(url) => {
            let send = send.ok_or("internal error: a remote-write target without send flags")?;
            prom_rw(pack, opts, url, send, &mut tick)
        }
    };
    bar.finish();
    result
}

fn stop_of(opts: &sim::Options) -> Arc<AtomicBool> {
    opts.stop
        .clone()
        .unwrap_or_else(|| Arc::new(AtomicBool::new(false)))
}

/// Runs into an OTLP exporter, with live stats when asked.
fn otlp(
    pack: &Pack,
    opts: &sim::Options,
    target: &Otlp,
    send: &SendFlags,
    tick: sim::Progress<'_>,
) -> Result<Done, String> {
    let exporter = Exporter::start(send.config(target, stop_of(opts))?)?;
    let json = matches!(target.transport, Transport::Http { json: true });
    delivered(exporter, send, |exporter| {
        if json {
            let mut sink = OtlpJsonSink::with_sizes(exporter, send.batches());
            sim::run(pack, opts, &mut sink, tick)
        } else {
            let mut sink = OtlpSink::new(exporter, send.batches());
            sim::run(pack, opts, &mut sink, tick)
        }
    })
}

/// Runs into the Honeycomb Events API, with live stats when asked; the key
/// and URL are checked before anything runs.
fn honeycomb(
    pack: &Pack,
    opts: &sim::Options,
    dataset: &str,
    send: &SendFlags,
    tick: sim::Progress<'_>,
) -> Result<Done, String> {
    let config = send.honeycomb.config(dataset, send, stop_of(opts))?;
    let exporter = client::start(config)?;
    delivered(exporter, send, |exporter| {
        let mut sink = HoneycombSink::new(exporter, send.batches(), send.honeycomb.samplerate);
        sim::run(pack, opts, &mut sink, tick)
    })
}

/// Runs into a Prometheus remote-write receiver, with live stats when
/// asked; notes the spans, logs and events it does not send.
fn prom_rw(
    pack: &Pack,
    opts: &sim::Options,
    url: &str,
    send: &SendFlags,
    tick: sim::Progress<'_>,
) -> Result<Done, String> {
    if !matches!(send.in_flight, 1 | crate::send::DEFAULT_IN_FLIGHT) {
        return Err(format!(
            "--in-flight {}: remote write sends one request at a time, in time order (Prometheus refuses a sample older than the newest of its series); leave --in-flight out",
            send.in_flight
        ));
    }
    let config = remote_write::Config {
        url: url.to_string(),
        timeout: send.attempt_timeout(None)?,
        insecure_skip_verify: send.insecure_skip_verify,
        settings: send.settings(stop_of(opts))?,
    };
    let exporter = remote_write::start(config)?;
    let mut ignored = 0;
    let mut done = delivered(exporter, send, |exporter| {
        let mut sink = RemoteWriteSink::new(exporter, send.batches().points);
        let summary = sim::run(pack, opts, &mut sink, tick);
        ignored = sink.ignored();
        summary
    })?;
    done.note = Some(format!(
        "{url}: metrics only, as remote-write samples ({ignored} spans, logs and events not sent)"
    ));
    Ok(done)
}

/// Runs `run` into `exporter`, printing live stats when asked, and
/// reports what was delivered.
fn delivered(
    exporter: Exporter,
    send: &SendFlags,
    run: impl FnOnce(Exporter) -> std::io::Result<Summary>,
) -> Result<Done, String> {
    let every = send.stats_every()?;
    let stats = exporter.stats();
    let done = Arc::new(AtomicBool::new(false));
    let live = every.map(|e| crate::send::live_stats(stats.clone(), e, done.clone()));
    let result = run(exporter);
    done.store(true, Ordering::Relaxed);
    if let Some(h) = live {
        let _ = h.join();
    }
    let summary = result.map_err(|e| e.to_string())?;
    Ok(Done {
        summary,
        lines: None,
        delivery: Some(stats.report()),
        note: None,
    })
}
