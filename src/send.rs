//! `tsim run --to otlp...`: the sending flags, turned into the runtime's
//! exporter settings; live stats on stderr; the end-of-run summary (text,
//! and JSON with `--summary`); and the Ctrl-C / SIGTERM flag every run
//! watches.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tsim_runtime::sim::Summary;
use tsim_runtime::sink::deliver::Settings;
use tsim_runtime::sink::otlp::export::{Config, Policy, Report, Stats};
use tsim_runtime::sink::otlp::{BatchSizes, Signal};
use tsim_runtime::sink::spec::{self, Otlp};
use tsim_runtime::time::{format_duration, parse_duration};

/// `--in-flight` unless given.
pub const DEFAULT_IN_FLIGHT: u32 = 16;

/// How OTLP sinks send.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Sending (OTLP and Honeycomb sinks)")]
pub struct SendFlags {
    /// A header (gRPC metadata) on every request; `${VAR}` in VALUE is
    /// replaced from the environment (repeatable).
    #[arg(long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// Gzip request bodies.
    #[arg(long)]
    pub gzip: bool,
    /// Spans per export request (Honeycomb: trace events per batch).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_spans: u32,
    /// Metric data points per export request (Honeycomb: per batch).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_points: u32,
    /// Log records per export request (Honeycomb: per batch).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_logs: u32,
    /// Export requests on the wire at once (when all are, the run waits;
    /// `prom-rw://` sends one at a time, in order).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_IN_FLIGHT, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub in_flight: u32,
    /// gRPC connections.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub connections: u32,
    /// Give up once the endpoint has been failing this long (since its last
    /// success): what is still being retried is then counted failed.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub retry_for: String,
    /// One attempt's timeout (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// After Ctrl-C, how long to keep delivering what is queued and in
    /// flight; what is left then is counted failed.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub drain: String,
    /// Print delivery stats to stderr this often (`0` never).
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub stats_every: String,
    /// Write the run's summary as JSON to FILE at the end.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Over TLS, accept any server certificate (self-signed test
    /// endpoints); without it the system's roots are trusted.
    #[arg(long)]
    pub insecure_skip_verify: bool,
    #[command(flatten)]
    pub honeycomb: crate::honeycomb::HoneycombFlags,
}

fn duration(flag: &str, text: &str) -> Result<Duration, String> {
    parse_duration(text)
        .map(Duration::from_nanos)
        .map_err(|e| format!("--{flag} {e}"))
}

impl SendFlags {
    /// Batch sizes per signal.
    pub fn batches(&self) -> BatchSizes {
        BatchSizes {
            spans: self.batch_spans as usize,
            points: self.batch_points as usize,
            logs: self.batch_logs as usize,
        }
    }

    /// How often to print stats (None: never).
    pub fn stats_every(&self) -> Result<Option<Duration>, String> {
        let d = duration("stats-every", &self.stats_every)?;
        Ok((!d.is_zero()).then_some(d))
    }

    /// One attempt's timeout: `--timeout`, else `default` (the
    /// environment's), else 10 s.
    pub fn attempt_timeout(&self, default: Option<Duration>) -> Result<Duration, String> {
        let t = match &self.timeout {
            Some(t) => duration("timeout", t)?,
            None => default.unwrap_or(Duration::from_secs(10)),
        };
        if t.is_zero() {
            return Err("--timeout must be more than 0".into());
        }
        Ok(t)
    }

    /// How the exporter queues, retries and stops, whatever the sink.
    pub fn settings(&self, stop: Arc<AtomicBool>) -> Result<Settings, String> {
        Ok(Settings {
            max_in_flight: self.in_flight as usize,
            retry: Policy {
                give_up_after: duration("retry-for", &self.retry_for)?,
                ..Policy::default()
            },
            drain: duration("drain", &self.drain)?,
            stop: Some(stop),
            ..Settings::default()
        })
    }

    /// The exporter's settings for `target`.
    pub fn config(&self, target: &Otlp, stop: Arc<AtomicBool>) -> Result<Config, String> {
        let env = |k: &str| std::env::var(k).ok();
        let mut c = Config::new(target.transport, target.urls.clone());
        let flags = self
            .headers
            .iter()
            .map(|h| spec::header(h, &env).map_err(|e| format!("--header {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        c.headers = target.headers.clone();
        for h in &mut c.headers {
            h.extend(flags.iter().cloned());
        }
        c.gzip = self.gzip || target.gzip;
        c.connections = self.connections as usize;
        c.timeout = self.attempt_timeout(target.timeout)?;
        let s = self.settings(stop)?;
        c.max_in_flight = s.max_in_flight;
        c.retry = s.retry;
        c.drain = s.drain;
        c.stop = s.stop;
        c.insecure_skip_verify = self.insecure_skip_verify;
        Ok(c)
    }
}

/// Sets the returned flag on SIGINT or SIGTERM; a second signal exits at
/// once with status 130.
pub fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let spawned = std::thread::Builder::new()
        .name("tsim-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                for _ in 0..2 {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                    if set.swap(true, Ordering::SeqCst) {
                        eprintln!("tsim: stopped at once (second signal)");
                        std::process::exit(130);
                    }
                    eprintln!(
                        "tsim: stopping: finishing what is in flight (again to quit at once)"
                    );
                }
            });
        });
    if spawned.is_err() {
        eprintln!("warning: cannot watch for Ctrl-C; the run can only be killed");
    }
    flag
}

/// Prints a stats line every `every` until `done` is set.
pub fn live_stats(
    stats: Arc<Stats>,
    every: Duration,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let began = Instant::now();
        let mut last = stats.report();
        let mut at = began;
        while !done.load(Ordering::Relaxed) {
            let wake = at + every;
            while Instant::now() < wake {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50).min(every));
            }
            let now = stats.report();
            let secs = wake.duration_since(at).as_secs_f64();
            eprintln!("{}", stats_line(&last, &now, secs, began.elapsed()));
            last = now;
            at = wake;
        }
    })
}

fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// One live line: sent per second per signal, wire MB/s, in flight,
/// retries, failures and latency quantiles.
pub fn stats_line(last: &Report, now: &Report, secs: f64, elapsed: Duration) -> String {
    let per = |s: Signal| {
        let (a, b) = (last.signal(s), now.signal(s));
        rate((b.sent - a.sent.min(b.sent)) as f64 / secs)
    };
    let mb = (now.bytes() - last.bytes().min(now.bytes())) as f64 / secs / 1e6;
    let retries: u64 = now.signals.iter().map(|s| s.retries).sum();
    let failed: u64 = now.signals.iter().map(|s| s.failed).sum();
    let rejected: u64 = now.signals.iter().map(|s| s.rejected).sum();
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}ms"));
    format!(
        "[{}] spans {}/s  points {}/s  logs {}/s | {mb:.1} MB/s | in flight {} | retries {retries} | rejected {rejected} | failed {failed} | p50 {} p99 {}",
        format_duration(elapsed.as_nanos() as u64),
        per(Signal::Traces),
        per(Signal::Metrics),
        per(Signal::Logs),
        now.in_flight,
        ms(now.latency_p50_ms),
        ms(now.latency_p99_ms),
    )
}

/// The end-of-run delivery lines.
pub fn delivery(report: &Report) -> String {
    let mut out = String::new();
    for s in &report.signals {
        if s.generated == 0 {
            continue;
        }
        out.push_str(&format!(
            "{}: {} generated, {} sent, {} rejected, {} failed ({} requests, {} retries, {:.1} MB)\n",
            s.signal,
            s.generated,
            s.sent,
            s.rejected,
            s.failed,
            s.requests,
            s.retries,
            s.bytes as f64 / 1e6
        ));
        for (reason, n) in &s.failures {
            out.push_str(&format!("  failed {n}: {reason}\n"));
        }
        for m in &s.rejections {
            out.push_str(&format!("  rejected: {m}\n"));
        }
    }
    out.trim_end().to_string()
}

/// The `--summary` JSON of a run.
pub fn summary_json(sum: &Summary, report: Option<&Report>) -> String {
    let v = serde_json::json!({
        "spans": sum.spans,
        "logs": sum.logs,
        "metric_points": sum.metrics,
        "events": sum.events,
        "requests": sum.requests,
        "simulated_seconds": sum.simulated_ns as f64 / 1e9,
        "wall_seconds": sum.wall.as_secs_f64(),
        "stopped": sum.stopped,
        "truncated_traces": sum.truncated_traces,
        "capped_spans": sum.capped_spans,
        "delivery": report,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
