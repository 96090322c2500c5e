// Helpers of `tests/otlp.rs` (included there, so they share its
// imports): the scenario, temporary directories, `tsim` child processes
// with timeouts, the summary JSON, `tsim receive` children and a plain
// HTTP server answering one status.

/// A small scenario with every signal: a call with a retry, a query,
/// errors, span-derived logs, a log stream, a gauge and a histogram.
const SCENARIO: &str = r#"
scenario "cli-otlp" { seed 5 duration 10m tick 10s traffic { rate 20/s } }
resource { deployment.environment.name = "test" }
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
