//! `tsim run --to otlp...` end to end through the real binary: into
//! `tsim receive` (a child process on port 0, stopped with SIGINT, its
//! `--summary` read back) and into a plain HTTP/1.1 server written here on
//! std (it records each request's `x-team` header, and can answer 400).
//! Every count is checked against the run's own `--summary`; the exit
//! status says whether everything was delivered; Ctrl-C drains and
//! reports, or leaves file output untouched.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A small scenario with every signal: a call with a retry, a query,
/// errors, span-derived logs, a log stream, a gauge and a histogram.
const SCENARIO: &str = r#"
scenario "cli-otlp" { seed 5 duration 10m tick 10s traffic { rate 20/s } }
resource { deployment.environment = "test" }
service "api" {
  version "1.0.0"  instances 2
  endpoint "GET /orders" {
    latency lognormal(median: 20ms, p99: 120ms)
    errors 5% status 500
    call "orders" "GET /list" retries 1
    query "db" "SELECT * FROM orders"
  }
}
service "orders" { endpoint "GET /list" { latency 5ms  errors 10% status 503 } }
database "db" { system postgresql  latency 2ms }
metric "system.cpu.utilization" gauge per instance {
  walk brownian(start: 0.3, drift: 0, volatility: 0.02) within 0..1
}
metric "http.server.request.duration" histogram unit "s" per endpoint from spans
logs from spans { access  errors level ERROR message "upstream {peer} failed" }
logs "worker" {
  service "api"  rate 5/s  level pick { INFO: 8, WARN: 2 }
  message "job {job.id} done"  attributes { job.id = pool(50, "job-{n:02}") }
}
"#;

/// How long any one wait may take.
const PATIENCE: Duration = Duration::from_secs(60);

const SIGNALS: [&str; 3] = ["traces", "metrics", "logs"];

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("tsim-otlp-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("creates the temp dir");
        TempDir(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// The small scenario, written here.
    fn scenario(&self) -> String {
        let p = self.path("scenario.tsim");
        std::fs::write(&p, SCENARIO).expect("writes the scenario");
        p.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How a child ended.
struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A child process whose output lines are collected as they come; killed
/// when dropped unless it was waited for.
struct Proc {
    child: Option<Child>,
    lines: Receiver<(bool, String)>,
    stdout: String,
    stderr: String,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Nothing from the test's own environment steers the exporter.
        for (k, _) in std::env::vars() {
            if k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd.spawn().expect("the tsim binary starts");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((false, l));
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send((true, l));
            }
        });
        Proc {
            child: Some(child),
            lines,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn keep(&mut self, (is_err, line): (bool, String)) {
        let to = if is_err {
            &mut self.stderr
        } else {
            &mut self.stdout
        };
        to.push_str(&line);
        to.push('\n');
    }

    /// Waits for a line (stderr when `on_err`) starting with `prefix`;
    /// returns its rest.
    fn line(&mut self, on_err: bool, prefix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((e, l)) => {
                    let hit = (e == on_err).then(|| l.strip_prefix(prefix).map(str::to_string));
                    self.keep((e, l));
                    if let Some(Some(rest)) = hit {
                        return rest;
                    }
                }
                Err(e) => panic!(
                    "no line `{prefix}...` ({e:?}); stdout:\n{}\nstderr:\n{}",
                    self.stdout, self.stderr
                ),
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C would.
    fn interrupt(&self) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -INT {pid}");
    }

    /// Waits for the exit (killing the child after [`PATIENCE`]) and for
    /// the rest of its output.
    fn wait(mut self) -> Finished {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(s) = child.try_wait().expect("waits") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "still running after {PATIENCE:?}; stderr so far:\n{}",
                    self.stderr
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        loop {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok(l) => self.keep(l),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("the output did not end"),
            }
        }
        Finished {
            code: status.code().unwrap_or(-1),
            stdout: std::mem::take(&mut self.stdout),
            stderr: std::mem::take(&mut self.stderr),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The binary under test (as `tests/common.rs` runs it, but spawned: its
/// `tsim()` waits without a timeout).
fn tsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tsim"))
}

/// `tsim run INPUT --to TO --duration 1m ARGS` with `env`, to its end.
fn run(input: &str, to: &str, args: &[&str], env: &[(&str, &str)]) -> Finished {
    let mut cmd = tsim();
    cmd.args(["run", input, "--to", to, "--duration", "1m"])
        .args(["--start", "2026-01-05T14:00:00Z", "--stats-every", "0"])
        .args(args)
        .envs(env.iter().copied());
    Proc::spawn(cmd).wait()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the summary is JSON")
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// A run's `--summary`: (spans, metric points, logs) in signal order.
fn generated(sum: &Value) -> [u64; 3] {
    [n(&sum["spans"]), n(&sum["metric_points"]), n(&sum["logs"])]
}

/// The summary's delivery counts of one signal.
fn delivery<'a>(sum: &'a Value, signal: &str) -> &'a Value {
    sum["delivery"]["signals"]
        .as_array()
        .expect("delivery signals")
        .iter()
        .find(|s| s["signal"] == signal)
        .unwrap_or_else(|| panic!("no {signal} in {sum}"))
}

fn total(sum: &Value, field: &str) -> u64 {
    SIGNALS.iter().map(|s| n(&delivery(sum, s)[field])).sum()
}

/// Everything the run generated was sent, and it generated something of
/// every signal.
fn assert_all_sent(sum: &Value) {
    for (s, want) in SIGNALS.iter().zip(generated(sum)) {
        let d = delivery(sum, s);
        assert!(want > 0, "no {s}");
        assert_eq!(n(&d["generated"]), want, "{s}");
        assert_eq!(
            (n(&d["sent"]), n(&d["rejected"]), n(&d["failed"])),
            (want, 0, 0),
            "{s}: {d}"
        );
    }
}

/// `tsim receive` on port 0 of 127.0.0.1 (both listeners).
struct Receive {
    proc: Proc,
    grpc: String,
    http: String,
    summary: PathBuf,
}

fn receive(dir: &TempDir, args: &[&str]) -> Receive {
    let summary = dir.path("received.json");
    let mut cmd = tsim();
    cmd.args(["receive", "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(["--stats-every", "0", "--summary"])
        .arg(&summary)
        .args(args);
    let mut proc = Proc::spawn(cmd);
    let grpc = proc.line(false, "tsim receive: otlp grpc on ");
    let http = proc.line(false, "tsim receive: otlp http on ");
    Receive {
        proc,
        grpc,
        http,
        summary,
    }
}

impl Receive {
    /// Stops it with SIGINT; its final report. It exits 0: no violations.
    fn stop(self) -> Value {
        self.proc.interrupt();
        let done = self.proc.wait();
        assert_eq!(done.code, 0, "tsim receive:\n{}", done.stderr);
        let report = read_json(&self.summary);
        assert_eq!(report["violations"], 0, "{}", report["violation_kinds"]);
        assert_eq!(report["complete"], true);
        report
    }
}

/// A receiver report's count of `field` for `signal` over `transport`
/// (`grpc`, `http`, or both when `None`).
fn got(report: &Value, signal: &str, transport: Option<&str>, field: &str) -> u64 {
    match transport {
        Some(t) => n(&report[signal][t][field]),
        None => ["grpc", "http"]
            .iter()
            .map(|t| n(&report[signal][t][field]))
            .sum(),
    }
}

/// The receiver accepted exactly what the run sent, over `transport`.
fn assert_received(report: &Value, sum: &Value, transport: &str) {
    for s in SIGNALS {
        let d = delivery(sum, s);
        assert_eq!(
            got(report, s, Some(transport), "items"),
            n(&d["sent"]),
            "{s}"
        );
        assert_eq!(
            got(report, s, Some(transport), "requests"),
            n(&d["requests"]),
            "{s} requests"
        );
    }
}

/// What the plain server saw.
#[derive(Default, Debug)]
struct Seen {
    /// Requests by path.
    paths: BTreeMap<String, u64>,
    /// `x-team` values by how many requests had them ("" when absent).
    teams: BTreeMap<String, u64>,
}

/// A plain HTTP/1.1 server on std, answering every request `status`
/// (200 with an empty body, or 400 with a reason).
struct Plain {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

const REFUSAL: &str = "bad request (plain test server)";

fn plain(status: u16) -> Plain {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("bound");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let seen = shared.clone();
            std::thread::spawn(move || {
                let _ = connection(stream, status, &seen);
            });
        }
    });
    Plain { addr, seen }
}

/// Serves one keep-alive connection.
fn connection(stream: TcpStream, status: u16, seen: &Mutex<Seen>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(PATIENCE))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let (mut length, mut team) = (0usize, String::new());
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "x-team" => team = v.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        {
            let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
            *s.paths.entry(path).or_default() += 1;
            *s.teams.entry(team).or_default() += 1;
        }
        let (reason, text) = match status {
            200 => ("OK", ""),
            _ => ("Bad Request", REFUSAL),
        };
        write!(
            writer,
            "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        )?;
        writer.flush()?;
    }
}

impl Plain {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn requests(&self) -> u64 {
        self.seen().paths.values().sum()
    }
}

#[test]
fn every_signal_arrives_over_grpc_with_gzip_and_http_json() {
    let dir = TempDir::new("clean");
    let input = dir.scenario();
    let r = receive(&dir, &[]);
    let grpc_sum = dir.path("grpc.json");
    let a = run(
        &input,
        &format!("otlp-grpc://{}", r.grpc),
        &["--gzip", "--summary", grpc_sum.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    let json_sum = dir.path("json.json");
    let b = run(
        &input,
        &format!("otlp-http://{}?encoding=json", r.http),
        // Another seed: the receiver would see the same ids twice.
        &[
            "--seed",
            "6",
            "--summary",
            json_sum.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(b.code, 0, "{}", b.stderr);
    let report = r.stop();
    let (a_sum, b_sum) = (read_json(&grpc_sum), read_json(&json_sum));
    for sum in [&a_sum, &b_sum] {
        assert_all_sent(sum);
        assert_eq!(sum["stopped"], false);
        assert_eq!(total(sum, "retries"), 0);
    }
    assert_received(&report, &a_sum, "grpc");
    assert_received(&report, &b_sum, "http");
    for s in SIGNALS {
        let (grpc, http) = (&report[s]["grpc"], &report[s]["http"]);
        assert_eq!(grpc["gzip_requests"], grpc["requests"], "{s}");
        assert_eq!(http["json_requests"], http["requests"], "{s}");
        assert_eq!(http["gzip_requests"], 0, "{s}");
    }
    // The end-of-run lines, in the run's summary form.
    let spans = generated(&a_sum)[0];
    let line = format!("traces: {spans} generated, {spans} sent, 0 rejected, 0 failed");
    assert!(a.stderr.contains(&line), "{}", a.stderr);
}

#[test]
fn injected_unavailability_is_retried_and_loses_nothing() {
    let dir = TempDir::new("unavailable");
    let input = dir.scenario();
    let r = receive(&dir, &["--unavailable-for", "1s", "--fail-rate", "0.2"]);
    let sum = dir.path("run.json");
    let a = run(
        &input,
        &format!("otlp-http://{}", r.http),
        &["--summary", sum.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    let report = r.stop();
    let sum = read_json(&sum);
    assert_all_sent(&sum);
    let refused: u64 = SIGNALS
        .iter()
        .map(|s| got(&report, s, None, "refused_unavailable"))
        .sum();
    assert!(refused > 0);
    assert_eq!(total(&sum, "retries"), refused, "one retry per refusal");
    for s in SIGNALS {
        let d = delivery(&sum, s);
        assert_eq!(got(&report, s, Some("http"), "items"), n(&d["sent"]), "{s}");
    }
}

#[test]
fn rejected_items_exit_1_and_are_counted() {
    let dir = TempDir::new("reject");
    let input = dir.scenario();
    let r = receive(&dir, &["--reject-rate", "0.1"]);
    let sum = dir.path("run.json");
    let a = run(
        &input,
        &format!("otlp-grpc://{}", r.grpc),
        &["--summary", sum.to_str().expect("utf-8")],
        &[],
    );
    let report = r.stop();
    let sum = read_json(&sum);
    assert_eq!(a.code, 1, "{}", a.stderr);
    for (s, want) in SIGNALS.iter().zip(generated(&sum)) {
        let d = delivery(&sum, s);
        let rejected = n(&d["rejected"]);
        assert_eq!(rejected, got(&report, s, None, "rejected"), "{s} rejected");
        assert_eq!(n(&d["sent"]), got(&report, s, None, "items"), "{s} sent");
        assert_eq!(n(&d["sent"]) + rejected, want, "{s}");
        assert_eq!(n(&d["failed"]), 0, "{s}");
    }
    let lost = total(&sum, "rejected");
    assert!(lost > 0);
    let line = format!(
        "error: {lost} of {} items were not delivered",
        total(&sum, "generated")
    );
    assert!(a.stderr.contains(&line), "{}", a.stderr);
    assert!(
        a.stderr.contains("rejected (--reject-rate)"),
        "{}",
        a.stderr
    );
}

#[test]
fn a_permanent_http_400_fails_everything_without_retrying() {
    let dir = TempDir::new("400");
    let input = dir.scenario();
    let server = plain(400);
    let sum = dir.path("run.json");
    let a = run(
        &input,
        &format!("otlp-http://{}", server.addr),
        &["--summary", sum.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(a.code, 1, "{}", a.stderr);
    let sum = read_json(&sum);
    let reason = format!("HTTP 400: {REFUSAL}");
    for (s, want) in SIGNALS.iter().zip(generated(&sum)) {
        let d = delivery(&sum, s);
        assert_eq!(
            (n(&d["sent"]), n(&d["rejected"]), n(&d["failed"])),
            (0, 0, want),
            "{s}"
        );
        assert_eq!(n(&d["retries"]), 0, "{s}");
        assert_eq!(d["failures"], serde_json::json!({ &reason: want }), "{s}");
        assert_eq!(
            server.seen().paths.get(&format!("/v1/{s}")).copied(),
            Some(n(&d["requests"])),
            "{s}"
        );
    }
    assert_eq!(server.requests(), total(&sum, "requests"));
    assert!(
        a.stderr
            .contains(&format!("failed {}: {reason}", generated(&sum)[0])),
        "{}",
        a.stderr
    );
    assert!(
        a.stderr.contains("items were not delivered"),
        "{}",
        a.stderr
    );
}

#[test]
fn an_unreachable_endpoint_gives_up_after_retry_for() {
    let dir = TempDir::new("unreachable");
    let input = dir.scenario();
    let free = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let sum = dir.path("run.json");
    let began = Instant::now();
    // Big span batches: every request is on the wire at once (16 in
    // flight), each gives up after its own second.
    let a = run(
        &input,
        &format!("otlp-grpc://{free}"),
        &["--retry-for", "1s", "--batch-spans", "1000"],
        &[],
    );
    let took = began.elapsed();
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert!(a.stderr.contains("gave up retrying: "), "{}", a.stderr);
    assert!(
        a.stderr.contains("items were not delivered"),
        "{}",
        a.stderr
    );
    // The same over HTTP, with its summary.
    let a = run(
        &input,
        &format!("otlp-http://{free}"),
        &[
            "--retry-for",
            "1s",
            "--batch-spans",
            "1000",
            "--summary",
            sum.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(a.code, 1, "{}", a.stderr);
    let sum = read_json(&sum);
    for (s, want) in SIGNALS.iter().zip(generated(&sum)) {
        let d = delivery(&sum, s);
        assert_eq!((n(&d["sent"]), n(&d["failed"])), (0, want), "{s}");
        assert!(n(&d["retries"]) > 0, "{s}");
        let failures = d["failures"].as_object().expect("failures");
        assert!(
            failures.keys().all(|k| k.starts_with("gave up retrying: ")),
            "{failures:?}"
        );
        assert_eq!(failures.values().map(n).sum::<u64>(), want, "{s}");
    }
    assert!(began.elapsed() < Duration::from_secs(16));
}

fn checkout() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/checkout.tsim").to_string()
}

#[test]
fn ctrl_c_drains_what_was_generated_and_reports() {
    let dir = TempDir::new("ctrl-c");
    let r = receive(&dir, &[]);
    let sum = dir.path("run.json");
    let mut cmd = tsim();
    cmd.args([
        "run",
        &checkout(),
        "--to",
        &format!("otlp-grpc://{}", r.grpc),
    ])
    .args(["--duration", "1h", "--stats-every", "100ms", "--summary"])
    .arg(&sum);
    let mut p = Proc::spawn(cmd);
    // The first stats line: the exporter is running (and so is the signal
    // watcher, set up before it).
    p.line(true, "[");
    std::thread::sleep(Duration::from_millis(700));
    p.interrupt();
    let a = p.wait();
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(a.stderr.contains("tsim: stopping"), "{}", a.stderr);
    let report = r.stop();
    let sum = read_json(&sum);
    assert_eq!(sum["stopped"], true);
    let simulated = sum["simulated_seconds"].as_f64().expect("seconds");
    assert!(simulated > 0.0 && simulated < 3600.0, "{simulated}");
    assert_all_sent(&sum);
    assert_received(&report, &sum, "grpc");
    let spans = generated(&sum)[0];
    assert!(
        a.stderr.contains(&format!("{spans} spans, ")),
        "the summary line: {}",
        a.stderr
    );
}

#[test]
fn ctrl_c_during_an_outage_ends_at_the_drain_deadline() {
    let dir = TempDir::new("ctrl-c-outage");
    let r = receive(&dir, &["--unavailable-for", "60s"]);
    let sum = dir.path("run.json");
    let mut cmd = tsim();
    cmd.args([
        "run",
        &checkout(),
        "--to",
        &format!("otlp-grpc://{}", r.grpc),
    ])
    .args([
        "--duration",
        "1h",
        "--stats-every",
        "100ms",
        "--drain",
        "500ms",
    ])
    .arg("--summary")
    .arg(&sum);
    let mut p = Proc::spawn(cmd);
    p.line(true, "[");
    std::thread::sleep(Duration::from_millis(300));
    let stopped = Instant::now();
    p.interrupt();
    let a = p.wait();
    // Everything queued or in flight is given up 500 ms after the stop,
    // although every retry is refused and the queue is full.
    assert!(
        stopped.elapsed() < Duration::from_secs(4),
        "{:?}",
        stopped.elapsed()
    );
    assert_eq!(a.code, 1, "{}", a.stderr);
    let report = r.stop();
    let sum = read_json(&sum);
    assert_eq!(sum["stopped"], true);
    let reason = "stopped before it was delivered (drain deadline passed)";
    for (s, want) in SIGNALS.iter().zip(generated(&sum)) {
        let d = delivery(&sum, s);
        assert_eq!((n(&d["sent"]), n(&d["failed"])), (0, want), "{s}");
        if want > 0 {
            assert_eq!(d["failures"], serde_json::json!({ reason: want }), "{s}");
        }
        assert_eq!(got(&report, s, None, "items"), 0, "{s}");
    }
    assert!(generated(&sum)[0] > 0);
    assert!(
        a.stderr.contains("items were not delivered"),
        "{}",
        a.stderr
    );
}

#[test]
fn ctrl_c_leaves_an_ndjson_dir_without_files() {
    let dir = TempDir::new("ctrl-c-ndjson");
    let out = dir.path("out");
    let mut cmd = tsim();
    cmd.args(["run", &checkout(), "--to"])
        .arg(format!("ndjson:{}", out.display()))
        .args(["--duration", "1h"]);
    let p = Proc::spawn(cmd);
    let deadline = Instant::now() + PATIENCE;
    // The temporaries appear once the run is under way.
    while std::fs::read_dir(&out).map_or(true, |mut d| d.next().is_none()) {
        assert!(Instant::now() < deadline, "no output appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    p.interrupt();
    let a = p.wait();
    assert_eq!(a.code, 130, "{}", a.stderr);
    assert!(a.stderr.contains("nothing was written"), "{}", a.stderr);
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_bare_otlp_spec_reads_the_environment() {
    let dir = TempDir::new("env");
    let input = dir.scenario();
    let r = receive(&dir, &[]);
    let grpc_sum = dir.path("grpc.json");
    let grpc_url = format!("http://{}", r.grpc);
    let a = run(
        &input,
        "otlp",
        &["--summary", grpc_sum.to_str().expect("utf-8")],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &grpc_url),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ],
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    let json_sum = dir.path("json.json");
    let http_url = format!("http://{}", r.http);
    let b = run(
        &input,
        "otlp",
        &[
            "--seed",
            "6",
            "--summary",
            json_sum.to_str().expect("utf-8"),
        ],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &http_url),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ],
    );
    assert_eq!(b.code, 0, "{}", b.stderr);
    let report = r.stop();
    let (a_sum, b_sum) = (read_json(&grpc_sum), read_json(&json_sum));
    assert_all_sent(&a_sum);
    assert_all_sent(&b_sum);
    assert_received(&report, &a_sum, "grpc");
    assert_received(&report, &b_sum, "http");
    for s in SIGNALS {
        let http = &report[s]["http"];
        assert_eq!(http["json_requests"], http["requests"], "{s}");
        assert_eq!(http["gzip_requests"], http["requests"], "{s}");
        assert_eq!(report[s]["grpc"]["gzip_requests"], 0, "{s}");
    }
}

#[test]
fn headers_carry_environment_values_and_an_unset_one_is_refused() {
    let dir = TempDir::new("headers");
    let input = dir.scenario();
    let server = plain(200);
    let to = format!("otlp-http://{}", server.addr);
    let sum = dir.path("run.json");
    let a = run(
        &input,
        &to,
        &[
            "--header",
            "x-team=${TEAM}",
            "--summary",
            sum.to_str().expect("utf-8"),
        ],
        &[("TEAM", "blue-42")],
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    let summary = read_json(&sum);
    assert_all_sent(&summary);
    let requests = total(&summary, "requests");
    assert_eq!(
        std::mem::take(&mut server.seen().teams),
        BTreeMap::from([("blue-42".to_string(), requests)])
    );
    // From OTEL_EXPORTER_OTLP_HEADERS (percent-decoded) with a bare `otlp`.
    let url = format!("http://{}", server.addr);
    let b = run(
        &input,
        "otlp",
        &["--summary", sum.to_str().expect("utf-8")],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-team=env%20team"),
        ],
    );
    assert_eq!(b.code, 0, "{}", b.stderr);
    let requests = total(&read_json(&sum), "requests");
    assert_eq!(
        std::mem::take(&mut server.seen().teams),
        BTreeMap::from([("env team".to_string(), requests)])
    );
    // An unset variable: exit 1 before anything is sent, naming it.
    let before = server.requests();
    let mut cmd = tsim();
    cmd.args(["run", &input, "--to", &to, "--duration", "1m"])
        .args(["--header", "x-team=${TSIM_TEST_UNSET_TEAM}"])
        .env_remove("TSIM_TEST_UNSET_TEAM");
    let c = Proc::spawn(cmd).wait();
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr
            .contains("the environment variable `TSIM_TEST_UNSET_TEAM` is not set"),
        "{}",
        c.stderr
    );
    assert!(c.stdout.is_empty(), "{}", c.stdout);
    assert_eq!(server.requests(), before, "nothing was sent");
}
