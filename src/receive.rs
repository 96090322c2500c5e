//! `tsim receive`: an OTLP receiver (gRPC and HTTP) that validates and
//! counts what arrives, for checking tsim's own exports and for testing an
//! exporter's retry paths with injected failures. It prints one line per
//! listener on stdout, a stats line on stderr every `--stats-every`, and on
//! SIGINT or SIGTERM the final report; the exit status is 0 without
//! violations, 1 with, 2 when it could not run.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use tsim_receiver::{Config, Faults, Receiver, Report};

/// Receive OTLP over gRPC and HTTP, validate and count what arrives, and
/// optionally inject failures (unavailable, throttled, partial success).
#[derive(clap::Args, Debug)]
pub struct ReceiveArgs {
    /// The OTLP/gRPC listen address (`HOST:PORT`, or a port for 127.0.0.1).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4317", value_parser = parse_addr)]
    pub grpc: SocketAddr,
    /// The OTLP/HTTP listen address (`HOST:PORT`, or a port for 127.0.0.1).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4318", value_parser = parse_addr)]
    pub http: SocketAddr,
    /// Do not listen for gRPC.
    #[arg(long)]
    pub no_grpc: bool,
    /// Do not listen for HTTP.
    #[arg(long)]
    pub no_http: bool,
    /// Answer this fraction of requests UNAVAILABLE / 503 (`0.1` or `10%`).
    #[arg(long, value_name = "P", value_parser = parse_fraction)]
    pub fail_rate: Option<f64>,
    /// Answer every request UNAVAILABLE / 503 for this long after start (`30s`, `500ms`, `2m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub unavailable_for: Option<Duration>,
    /// Throttle: answer RESOURCE_EXHAUSTED / 429 with this retry delay (after --unavailable-for).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub throttle: Option<Duration>,
    /// How long --throttle lasts [default: 10s when --throttle is given].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub throttle_for: Option<Duration>,
    /// Report this fraction of each accepted request's items rejected (partial success).
    #[arg(long, value_name = "P", value_parser = parse_fraction)]
    pub reject_rate: Option<f64>,
    /// Seed of the --fail-rate draws.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Write the final report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Print a stats line on stderr this often (`0` disables).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub stats_every: Duration,
}

/// Runs the receiver until SIGINT or SIGTERM.
pub fn run(args: ReceiveArgs) -> ExitCode {
    if args.no_grpc && args.no_http {
        eprintln!("tsim receive: nothing to listen on (both --no-grpc and --no-http)");
        return ExitCode::from(2);
    }
    let throttle_for = match (args.throttle, args.throttle_for) {
        (_, Some(d)) => d,
        (Some(_), None) => Duration::from_secs(10),
        (None, None) => Duration::ZERO,
    };
    let config = Config {
        grpc: (!args.no_grpc).then_some(args.grpc),
        http: (!args.no_http).then_some(args.http),
        faults: Faults {
            fail_rate: args.fail_rate.unwrap_or(0.0),
            unavailable_for: args.unavailable_for.unwrap_or_default(),
            throttle: args.throttle,
            throttle_for,
            reject_rate: args.reject_rate.unwrap_or(0.0),
            seed: args.seed,
        },
        ..Config::default()
    };
    let receiver = match Receiver::start(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tsim receive: cannot listen: {e}");
            return ExitCode::from(2);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        if let Some(a) = receiver.grpc_addr() {
            let _ = writeln!(out, "tsim receive: otlp grpc on {a}");
        }
        if let Some(a) = receiver.http_addr() {
            let _ = writeln!(out, "tsim receive: otlp http on {a}");
        }
        let _ = out.flush();
    }

    let (signal_tx, signal_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = signal_tx.send(tsim_receiver::wait_for_signal());
    });
    let mut status = ExitCode::SUCCESS;
    let mut last = (receiver.report(), Instant::now());
    loop {
        let got = if args.stats_every.is_zero() {
            signal_rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            signal_rx.recv_timeout(args.stats_every)
        };
        match got {
            Ok(Ok(())) => break,
            Ok(Err(e)) => {
                eprintln!("tsim receive: cannot wait for signals: {e}");
                status = ExitCode::from(2);
                break;
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                let now = (receiver.report(), Instant::now());
                eprintln!(
                    "{}",
                    stats_line(&last.0, &now.0, now.1.duration_since(last.1))
                );
                last = now;
            }
        }
    }

    let report = receiver.stop();
    eprintln!("{}", report.render());
    if let Some(path) = &args.summary {
        if let Err(e) = write_summary(path, &report) {
            eprintln!("tsim receive: cannot write {}: {e}", path.display());
            status = ExitCode::from(2);
        }
    }
    if status != ExitCode::SUCCESS {
        return status;
    }
    if report.violations > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Rates between two snapshots, and the running totals of trouble.
fn stats_line(before: &Report, now: &Report, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let rate = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
    format!(
        "tsim receive: {:.0} spans/s, {:.0} logs/s, {:.0} points/s, {:.2} MB/s, refused {}, violations {}",
        rate(before.spans(), now.spans()),
        rate(before.logs(), now.logs()),
        rate(before.points(), now.points()),
        rate(before.bytes(), now.bytes()) / 1e6,
        now.refused_requests(),
        now.violations
    )
}

/// Writes the report as JSON to `FILE.tmp`, then renames it to `FILE`.
fn write_summary(path: &Path, report: &Report) -> std::io::Result<()> {
    let mut json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    json.push(b'\n');
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&json)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Reads `HOST:PORT` (an IP, or a name resolved now) or a bare port for 127.0.0.1.
fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            format!("`{s}` is not an address (try `127.0.0.1:4317`, `0.0.0.0:4318` or `4317`)")
        })
}

/// Reads a fraction in 0..=1 written `0.1` or `10%`.
fn parse_fraction(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let bad = || format!("`{s}` is not a fraction between 0 and 1 (try `0.1` or `10%`)");
    let value = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => t.parse::<f64>().map_err(|_| bad())?,
    };
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(bad())
    }
}

/// Reads a duration: `0`, or numbers with units (`ns`, `us`, `ms`, `s`, `m`,
/// `h`), decimals and sums allowed: `30s`, `500ms`, `2m`, `1.5s`, `1m30s`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration (try `30s`, `500ms`, `2m` or `0`)");
    let mut rest = s.trim();
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_len = rest[num_len..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len() - num_len);
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        let scale = match &rest[num_len..num_len + unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * scale;
        rest = &rest[num_len + unit_len..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ms = |n| Duration::from_millis(n);
        assert_eq!(parse_duration("30s"), Ok(ms(30_000)));
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("2m"), Ok(ms(120_000)));
        assert_eq!(parse_duration("1m30s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("1.5s"), Ok(ms(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "5", "s", "5x", "-1s", "1..2s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fractions() {
        assert_eq!(parse_fraction("0.1"), Ok(0.1));
        assert_eq!(parse_fraction("10%"), Ok(0.1));
        assert_eq!(parse_fraction("100%"), Ok(1.0));
        assert_eq!(parse_fraction("0"), Ok(0.0));
        for bad in ["1.5", "150%", "-0.1", "x", "%"] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("127.0.0.1:4317"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 4317)))
        );
        assert_eq!(
            parse_addr("4318"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 4318)))
        );
        assert_eq!(
            parse_addr("[::1]:0"),
            "[::1]:0".parse::<SocketAddr>().map_err(|e| e.to_string())
        );
        assert!(parse_addr("not an address").is_err());
    }

    #[test]
    fn stats_lines() {
        let before = Report::default();
        let mut now = Report::default();
        now.traces.grpc.items = 1000;
        now.logs.http.items = 10;
        now.traces.grpc.bytes = 2_000_000;
        now.violations = 3;
        let line = stats_line(&before, &now, Duration::from_secs(2));
        assert_eq!(
            line,
            "tsim receive: 500 spans/s, 5 logs/s, 0 points/s, 1.00 MB/s, refused 0, violations 3"
        );
    }
}
