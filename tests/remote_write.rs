//! `--to prom-rw://` end to end: `tsim run stock:demo-stack` writes into a
//! real Prometheus (its remote-write receiver, on a loopback port), every
//! sample is counted sent, and Prometheus then holds exactly the series of
//! the same run's `--to openmetrics:FILE` history, with a counter's, a
//! gauge's and a histogram count's raw samples equal to the file's.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{code, prometheus_tool, tsim};

const PATIENCE: Duration = Duration::from_secs(90);

/// A child killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    l.local_addr().expect("an address").port()
}

/// `GET path` over HTTP/1.0 (no chunking): (status, body).
fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(PATIENCE))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn api(prom: SocketAddr, path: &str) -> serde_json::Value {
    let (status, body) = get(prom, path).expect("prometheus answers");
    assert_eq!(status, 200, "GET {path}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    json["data"].clone()
}

/// A sample: its series (`name{k="v",...}`, sorted, none empty), ms, and
/// the bits of its value.
type Sample = (String, i64, u64);

fn series(name: &str, labels: &[(String, String)]) -> String {
    let mut sorted: Vec<_> = labels.iter().filter(|(_, v)| !v.is_empty()).collect();
    sorted.sort();
    let inner: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// A sample line of the OpenMetrics file (demo-stack's label values hold
/// no quotes or backslashes).
fn parse_line(line: &str) -> Sample {
    let (name, labels, rest) = match (line.find('{'), line.rfind('}')) {
        (Some(i), Some(end)) => {
            let labels = line[i + 1..end]
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once("=\"").expect("k=\"v\"");
                    (k.to_string(), v.trim_end_matches('"').to_string())
                })
                .collect();
            (&line[..i], labels, line[end + 1..].trim())
        }
        _ => {
            let (n, r) = line.split_once(' ').expect("name value");
            (n, Vec::new(), r)
        }
    };
    let mut parts = rest.split(' ');
    let value: f64 = parts.next().expect("a value").parse().expect("a float");
    let ts: f64 = parts.next().expect("a timestamp").parse().expect("seconds");
    (
        series(name, &labels),
        (ts * 1000.0).round() as i64,
        value.to_bits(),
    )
}

/// The raw samples Prometheus holds of `name` in the 20 minutes to `at`.
fn stored(prom: SocketAddr, name: &str, at: i64) -> Vec<Sample> {
    let q = encode(&format!("{name}[20m]"));
    let data = api(prom, &format!("/api/v1/query?query={q}&time={at}"));
    let mut out = Vec::new();
    for r in data["result"].as_array().expect("a matrix") {
        let labels: Vec<(String, String)> = r["metric"]
            .as_object()
            .expect("labels")
            .iter()
            .filter(|(k, _)| *k != "__name__")
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect();
        let key = series(name, &labels);
        for v in r["values"].as_array().expect("values") {
            let ts = v[0].as_f64().expect("a time");
            let value: f64 = v[1].as_str().expect("a value").parse().expect("a float");
            out.push((key.clone(), (ts * 1000.0).round() as i64, value.to_bits()));
        }
    }
    out.sort();
    out
}

/// `N` in "... N <what>" of a line of `text`.
fn number_before(text: &str, what: &str) -> u64 {
    text.match_indices(&format!(" {what}"))
        .find_map(|(i, _)| text[..i].rsplit([' ', '\n']).next()?.parse().ok())
        .unwrap_or_else(|| panic!("no `N {what}` in:\n{text}"))
}

#[test]
fn a_real_prometheus_stores_what_the_openmetrics_history_holds() {
    let prometheus = prometheus_tool("prometheus");
    let dir = TempDir(std::env::temp_dir().join(format!("tsim-rw-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("a temp dir");
    let config = dir.0.join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").expect("writes the config");
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
        .arg("--web.enable-remote-write-receiver")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let _prom = Running(child);
    let began = Instant::now();
    while !matches!(get(web, "/-/ready"), Ok((200, _))) {
        assert!(
            began.elapsed() < PATIENCE,
            "prometheus not ready after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Ten minutes ending five minutes ago: inside Prometheus' head block.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let start_s = now / 60 * 60 - 15 * 60;
    let start = tsim_runtime::time::rfc3339(start_s, 0);
    let run = |to: &str| {
        let out = tsim(&[
            "run",
            "stock:demo-stack",
            "--duration",
            "10m",
            "--start",
            &start,
            "--to",
            to,
        ]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(code(&out), 0, "--to {to}:\n{err}");
        err
    };
    let sent = run(&format!("prom-rw://{web}/api/v1/write"));
    let file = dir.0.join("history.om");
    let written = run(&format!("openmetrics:{}", file.display()));

    // Every sample sent, as many as the history file holds.
    let samples = number_before(&written, "samples");
    assert!(samples > 1000, "{written}");
    assert_eq!(number_before(&sent, "generated"), samples, "{sent}");
    assert_eq!(number_before(&sent, "sent"), samples, "{sent}");
    assert_eq!(number_before(&sent, "failed ("), 0, "{sent}");

    // The same series.
    let end = start_s + 11 * 60;
    let m = encode("{__name__=~\".+\"}");
    let all = api(
        web,
        &format!("/api/v1/series?match[]={m}&start={start_s}&end={end}"),
    );
    let names: BTreeSet<&str> = all
        .as_array()
        .expect("series")
        .iter()
        .filter_map(|s| s["__name__"].as_str())
        .collect();
    assert_eq!(
        all.as_array().map(Vec::len).unwrap_or(0) as u64,
        number_before(&written, "series"),
        "{names:?}"
    );
    assert!(names.contains("target_info"), "{names:?}");

    // The same raw samples, exactly, for a counter, a gauge and a
    // histogram's count.
    let text = std::fs::read_to_string(&file).expect("the history file");
    for name in [
        "dice_rolls_total",
        "process_cpu_utilization_ratio",
        "http_server_request_duration_seconds_count",
    ] {
        let prefix = format!("{name}{{");
        let mut want: Vec<Sample> = text
            .lines()
            .filter(|l| l.starts_with(&prefix) || l.starts_with(&format!("{name} ")))
            .map(parse_line)
            .collect();
        want.sort();
        assert!(!want.is_empty(), "{name} is in the file");
        assert_eq!(stored(web, name, end), want, "{name}");
    }
}

#[test]
fn in_flight_above_one_is_refused_before_anything_is_sent() {
    let out = tsim(&[
        "run",
        "stock:demo-stack",
        "--duration",
        "1m",
        "--in-flight",
        "4",
        "--to",
        "prom-rw://127.0.0.1:9/api/v1/write",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 1, "{err}");
    assert!(
        err.contains("--in-flight 4: remote write sends one request at a time"),
        "{err}"
    );
    let bad = tsim(&[
        "run",
        "stock:demo-stack",
        "--to",
        "prom-rw://127.0.0.1:9090",
    ]);
    assert_eq!(code(&bad), 2);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/api/v1/write"));
}
