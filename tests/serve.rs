//! `tsim serve` end to end: its pages in both formats pass
//! `promtool check metrics`, `/health`, `/config` and 404 answer as
//! documented, Ctrl-C stops it cleanly, and a real Prometheus scraping it
//! every second stores series whose values fit the scenario.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::prometheus_tool;

/// How long any one wait may take.
const PATIENCE: Duration = Duration::from_secs(90);

/// A child killed when dropped.
struct Running {
    child: Child,
    stderr: Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tsim serve stock:demo-stack` on a free port at `speed`; returns
/// it and its address.
fn serve(speed: &str) -> (Running, SocketAddr) {
    serve_input(&["stock:demo-stack"], speed)
}

/// Starts `tsim serve INPUT...` on a free port at `speed`.
fn serve_input(input: &[&str], speed: &str) -> (Running, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsim"))
        .arg("serve")
        .args(input)
        .args(["--listen", "127.0.0.1:0", "--speed", speed])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tsim serve starts");
    let (tx, stderr) = channel();
    let pipe = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = stderr
        .recv_timeout(PATIENCE)
        .expect("tsim serve says where it listens");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    (Running { child, stderr }, addr)
}

/// A plain HTTP/1.1 GET: (status, content-type, body).
fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> (u16, String, String) {
    try_get(addr, path, accept).unwrap_or_else(|e| panic!("GET http://{addr}{path}: {e}"))
}

/// [`get`], or the error when the server is not listening (yet).
fn try_get(
    addr: SocketAddr,
    path: &str,
    accept: Option<&str>,
) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(PATIENCE))?;
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let body = if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, header("content-type"), body))
}

/// Decodes a chunked body.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

/// Waits until `/metrics` shows the gauge (the first tick has passed).
fn wait_for_metrics(addr: SocketAddr) -> String {
    wait_for_series(addr, "process_cpu_utilization_ratio{")
}

/// Polls `/metrics` until the page holds `needle`.
fn wait_for_series(addr: SocketAddr, needle: &str) -> String {
    let began = Instant::now();
    loop {
        let (_, _, page) = get(addr, "/metrics", None);
        if page.contains(needle) {
            return page;
        }
        assert!(
            began.elapsed() < PATIENCE,
            "no metrics after {PATIENCE:?}:\n{page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `promtool check metrics` on a page: succeeds with no lint output.
fn check_metrics(page: &str) {
    let mut child = Command::new(prometheus_tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("writes the page");
    let out = child.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{page}"
    );
}

/// REFERENCE D: one stock scenario whose presets a param chooses; the
/// chosen one's params show in `/config` and its page passes promtool.
/// REFERENCE D's `otel_claude_code_*` names are the `names=reference` preset.
#[test]
fn a_claude_code_preset_is_chosen_with_set_and_shown_in_config() {
    let (mut tsim, addr) = serve_input(
        &[
            "stock:claude-code",
            "--set",
            "variant=load-test",
            "--set",
            "names=reference",
        ],
        "60x",
    );
    let text = wait_for_series(addr, "otel_claude_code_session_duration_seconds_bucket{");
    check_metrics(&text);
    for name in [
        "otel_claude_code_token_usage_tokens_total",
        "otel_claude_code_session_duration_seconds_bucket",
        "otel_claude_code_tool_usage_total",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    let (_, _, config) = get(addr, "/config", None);
    let config: serde_json::Value = serde_json::from_str(&config).expect("JSON");
    assert_eq!(config["scenario"], "claude-code", "{config}");
    assert_eq!(config["params"]["variant"], "load-test", "{config}");
    assert_eq!(config["params"]["drift"], "2.0", "{config}");
    assert_eq!(config["params"]["length"], "30m", "{config}");
    assert_eq!(config["set"]["variant"], "load-test", "{config}");
    let pid = tsim.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()));
    let status = tsim.child.wait().expect("tsim serve ends");
    assert!(status.success(), "{status:?}");
}

/// By default the Claude Code scenario serves the metrics Claude Code itself
/// exports, translated to Prometheus names as the OTel spec says.
#[test]
fn claude_code_serves_the_real_claude_code_metric_names_by_default() {
    let (mut tsim, addr) = serve_input(&["stock:claude-code"], "60x");
    let text = wait_for_series(addr, "claude_code_token_usage_tokens_total{");
    check_metrics(&text);
    for name in [
        "claude_code_token_usage_tokens_total{",
        "claude_code_cost_usage_usd_total{",
        "claude_code_session_count_total{",
        "claude_code_lines_of_code_count_total{",
        "claude_code_code_edit_tool_decision_count_total{",
        "claude_code_active_time_seconds_total{",
        "type=\"cacheRead\"",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(!text.contains("otel_claude_code_"), "{text}");
    let pid = tsim.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()));
    let status = tsim.child.wait().expect("tsim serve ends");
    assert!(status.success(), "{status:?}");
}

#[test]
fn served_pages_pass_promtool_and_the_endpoints_answer_as_documented() {
    let (mut tsim, addr) = serve("60x");
    let text = wait_for_metrics(addr);
    check_metrics(&text);
    let (status, ctype, page) = get(addr, "/metrics", None);
    assert_eq!(
        (status, ctype.as_str()),
        (200, "text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(page.contains("# TYPE dice_rolls_total counter"), "{page}");
    assert!(page.contains("# TYPE target_info gauge"), "{page}");
    let prometheus_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (status, ctype, om) = get(addr, "/metrics", Some(prometheus_accept));
    assert_eq!(
        (status, ctype.as_str()),
        (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        )
    );
    assert!(
        om.ends_with("# EOF\n") && om.contains("# TYPE dice_rolls counter"),
        "{om}"
    );
    assert!(
        om.contains("# UNIT http_server_request_duration_seconds seconds"),
        "{om}"
    );

    let (status, ctype, health) = get(addr, "/health", None);
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    let health: serde_json::Value = serde_json::from_str(&health).expect("JSON");
    assert_eq!(health["status"], "healthy");
    assert!(
        health["uptime"].as_str().is_some_and(|u| u.ends_with('s')),
        "{health}"
    );
    let (_, _, config) = get(addr, "/config", None);
    let config: serde_json::Value = serde_json::from_str(&config).expect("JSON");
    assert_eq!(
        (config["scenario"].as_str(), config["seed"].as_u64()),
        (Some("demo-stack"), Some(3))
    );
    assert_eq!(config["params"]["users"], "25", "{config}");
    assert_eq!(config["params"]["rate"], "20/s", "{config}");
    assert_eq!(config["set"], serde_json::json!({}), "{config}");
    assert_eq!(get(addr, "/nope", None).0, 404);

    // Ctrl-C: a clean stop with the summary.
    let pid = tsim.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let began = Instant::now();
    let status = loop {
        if let Some(s) = tsim.child.try_wait().expect("waits") {
            break s;
        }
        assert!(
            began.elapsed() < PATIENCE,
            "tsim serve did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let said: Vec<String> = tsim.stderr.try_iter().collect();
    assert!(said.iter().any(|l| l.contains("series served")), "{said:?}");
}

/// A free loopback port (bound, then released for the child to take).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    l.local_addr().expect("an address").port()
}

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `/api/v1/query` results: (labels, value).
fn query(prom: SocketAddr, q: &str) -> Vec<(serde_json::Value, f64)> {
    let encoded: String = q
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect();
    let path = format!("/api/v1/query?query={encoded}");
    let Ok((200, _, body)) = try_get(prom, &path, None) else {
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    json["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let v = r["value"][1].as_str()?.parse().ok()?;
            Some((r["metric"].clone(), v))
        })
        .collect()
}

#[test]
fn a_real_prometheus_scraping_every_second_stores_the_scenarios_series() {
    let prometheus = prometheus_tool("prometheus");
    let (_tsim, addr) = serve("15x");
    let dir = TempDir(std::env::temp_dir().join(format!("tsim-serve-prom-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("a temp dir");
    let config = dir.0.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: tsim\n    honor_labels: true\n    static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .expect("writes the config");
    let web: SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("an address");
    let child = Command::new(&prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.0.join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .arg("--enable-feature=exemplar-storage")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let (_tx, rx) = channel();
    let _prom = Running { child, stderr: rx };

    // Wait for a few scrapes of the gauge and the counter.
    let began = Instant::now();
    let (gauges, counters) = loop {
        let g = query(web, "process_cpu_utilization_ratio");
        let c = query(web, "dice_rolls_total");
        if !g.is_empty() && !c.is_empty() {
            break (g, c);
        }
        assert!(
            began.elapsed() < PATIENCE,
            "prometheus stored nothing after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    // demo-stack: a gauge per instance within 0..1, for each of three
    // services, under the dice namespace; the counter grows with traffic.
    let jobs: std::collections::BTreeSet<&str> = gauges
        .iter()
        .filter_map(|(m, _)| m["job"].as_str())
        .collect();
    assert_eq!(
        jobs.into_iter().collect::<Vec<_>>(),
        ["dice/dice-roller", "dice/die-service", "dice/frontend"]
    );
    for (m, v) in &gauges {
        assert!((0.0..=1.0).contains(v), "{m}: {v} outside 0..1");
        assert!(m["instance"].as_str().is_some_and(|i| !i.is_empty()), "{m}");
    }
    // The counter never goes back: later scrapes are at least as high, and
    // Prometheus saw no reset.
    std::thread::sleep(Duration::from_secs(3));
    let later = query(web, "dice_rolls_total");
    assert_eq!(later.len(), counters.len(), "{later:?}");
    for ((m, before), (_, after)) in counters.iter().zip(&later) {
        assert!(after >= before, "{m}: {before} then {after}");
    }
    let resets = query(web, "resets(dice_rolls_total[1m])");
    assert!(resets.iter().all(|(_, v)| *v == 0.0), "{resets:?}");
    let targets = query(web, "target_info");
    assert!(
        targets.iter().any(|(m, _)| m["service_version"] == "0.9.3"),
        "{targets:?}"
    );
    let up = query(web, "up");
    assert!(up.iter().all(|(_, v)| *v == 1.0), "{up:?}");
    exemplars_are_stored(web);
}

/// Prometheus (scraping OpenMetrics, with exemplar storage) keeps the
/// duration histogram's exemplars: each a trace and span id, its value
/// inside its bucket.
fn exemplars_are_stored(web: SocketAddr) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = format!(
        "/api/v1/query_exemplars?query=http_server_request_duration_seconds_bucket&start={}&end={}",
        now - 600,
        now + 60
    );
    let (status, _, body) = get(web, &path, None);
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let series = json["data"].as_array().cloned().unwrap_or_default();
    let mut n = 0;
    for s in &series {
        let le: f64 = match s["seriesLabels"]["le"].as_str() {
            Some("+Inf") => f64::INFINITY,
            Some(t) => t.parse().expect("a bound"),
            None => panic!("no le: {s}"),
        };
        for e in s["exemplars"].as_array().into_iter().flatten() {
            let hex = |k: &str, len: usize| {
                e["labels"][k]
                    .as_str()
                    .is_some_and(|v| v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()))
            };
            assert!(hex("trace_id", 32) && hex("span_id", 16), "{e}");
            let v: f64 = e["value"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("a value");
            assert!(v > 0.0 && v <= le, "{e} in le={le}");
            n += 1;
        }
    }
    assert!(n > 0, "no exemplars stored: {body}");
}
