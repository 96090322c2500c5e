//! `tsim run --to honeycomb:DATASET` end to end through the real binary,
//! against the runtime tests' local Events API server: every count of the
//! run's `--summary` is what the server holds, `--dataset-per-signal`
//! splits the datasets, the key comes from the flag, the environment or
//! `./.env`, a refused key ends the run at once with one error line and a
//! non-zero exit, no key is an error before anything runs, and the key is
//! never in any output or summary.

#[path = "../runtime/tests/honeycomb/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const KEY: &str = "hcaik_cli_test_key_5f3e9a";

/// A small scenario with every signal.
const SCENARIO: &str = r#"
scenario "cli-honeycomb" { seed 5 duration 10m tick 10s traffic { rate 20/s } }
resource { deployment.environment.name = "test" }
service "api" {
  version "1.0.0"  instances 2
  endpoint "GET /orders" {
    latency lognormal(median: 20ms, p99: 120ms)
    errors 5% status 500
    call "orders" "GET /list"
  }
}
service "orders" { endpoint "GET /list" { latency 5ms  errors 10% status 503 } }
metric "system.cpu.utilization" gauge per instance {
  walk brownian(start: 0.3, drift: 0, volatility: 0.02) within 0..1
}
logs from spans { errors level ERROR message "upstream {peer} failed" }
"#;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("tsim-hc-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("creates the temp dir");
        std::fs::write(d.join("scenario.tsim"), SCENARIO).expect("writes the scenario");
        TempDir(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Done {
    code: i32,
    all: String,
    stderr: String,
    took: Duration,
}

/// `tsim run scenario.tsim --to TO ARGS` in `dir` (its working
/// directory), without HONEYCOMB_API_KEY unless `env` sets it; killed after
/// a minute.
fn run(dir: &TempDir, to: &str, args: &[&str], env: &[(&str, &str)], duration: &str) -> Done {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tsim"));
    cmd.current_dir(&dir.0)
        .args(["run", "scenario.tsim", "--to", to, "--duration", duration])
        .args(["--start", "2026-01-05T14:00:00Z", "--stats-every", "1s"])
        .args(args)
        .env_remove("HONEYCOMB_API_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let began = Instant::now();
    let child = cmd.spawn().expect("tsim starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out: Output = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(o) => o.expect("tsim ran"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("tsim did not end within a minute");
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Done {
        code: out.status.code().unwrap_or(-1),
        all: format!("{stdout}{stderr}"),
        stderr,
        took: began.elapsed(),
    }
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("JSON")
}

fn delivery<'a>(sum: &'a Value, signal: &str) -> &'a Value {
    sum["delivery"]["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["signal"] == signal)
        .unwrap_or_else(|| panic!("no {signal}: {sum}"))
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn a_run_lands_in_per_signal_datasets_with_every_event_accounted() {
    let s = server::start(server::Behaviour::new(KEY));
    let dir = TempDir::new("clean");
    let summary = dir.path("summary.json");
    let d = run(
        &dir,
        "honeycomb:checkout",
        &[
            "--honeycomb-url",
            &s.url(),
            "--dataset-per-signal",
            "--gzip",
            "--api-key",
            KEY,
            "--summary",
            summary.to_str().expect("utf-8"),
        ],
        &[],
        "1m",
    );
    assert_eq!(d.code, 0, "{}", d.stderr);
    assert!(!d.all.contains(KEY), "the key shows:\n{}", d.all);
    let text = std::fs::read_to_string(&summary).expect("a summary");
    assert!(!text.contains(KEY), "the key is in the summary");
    let sum = read_json(&summary);
    let h = s.held();
    assert!(h.violations.is_empty(), "{:?}", h.violations);
    for (signal, dataset) in [
        ("traces", "checkout-traces"),
        ("metrics", "checkout-metrics"),
        ("logs", "checkout-logs"),
    ] {
        let del = delivery(&sum, signal);
        assert!(n(&del["generated"]) > 0, "no {signal}");
        assert_eq!(n(&del["sent"]), n(&del["generated"]), "{signal}: {del}");
        assert_eq!(h.of(dataset).len() as u64, n(&del["sent"]), "{dataset}");
    }
    assert_eq!(h.of("checkout-logs").len() as u64, n(&sum["logs"]));
    assert_eq!(
        h.of("checkout-metrics").len() as u64,
        n(&sum["metric_points"])
    );
    assert!(h.gzipped > 0);
}

#[test]
fn the_key_comes_from_the_environment_or_dotenv_and_none_is_an_error_first() {
    let s = server::start(server::Behaviour::new(KEY));
    let dir = TempDir::new("keys");
    let url = s.url();
    let args = ["--honeycomb-url", url.as_str()];
    let none = run(&dir, "honeycomb:k", &args, &[], "10s");
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("no Honeycomb API key"),
        "{}",
        none.stderr
    );
    assert_eq!(s.held().total(), 0, "something was sent without a key");
    let env = run(
        &dir,
        "honeycomb:env",
        &args,
        &[("HONEYCOMB_API_KEY", KEY)],
        "10s",
    );
    assert_eq!(env.code, 0, "{}", env.stderr);
    std::fs::write(
        dir.path(".env"),
        format!("# local\nHONEYCOMB_API_KEY={KEY}\n"),
    )
    .expect(".env");
    let file = run(&dir, "honeycomb:dotenv", &args, &[], "10s");
    assert_eq!(file.code, 0, "{}", file.stderr);
    // The flag wins over .env.
    let flag = run(
        &dir,
        "honeycomb:flag",
        &["--honeycomb-url", &url, "--api-key", "wrong-key"],
        &[],
        "10s",
    );
    assert_eq!(flag.code, 1);
    let h = s.held();
    assert!(!h.of("env").is_empty() && !h.of("dotenv").is_empty() && h.of("flag").is_empty());
    for d in [&none, &env, &file, &flag] {
        assert!(!d.all.contains(KEY), "the key shows:\n{}", d.all);
    }
}

#[test]
fn a_refused_key_stops_the_run_at_once_with_one_error_line() {
    let s = server::start(server::Behaviour::new(KEY));
    let dir = TempDir::new("refused");
    let wrong = "hcaik_refused_key_7c1d";
    let summary = dir.path("summary.json");
    let d = run(
        &dir,
        "honeycomb:k",
        &[
            "--honeycomb-url",
            &s.url(),
            "--api-key",
            wrong,
            "--summary",
            summary.to_str().expect("utf-8"),
        ],
        &[],
        // Ten minutes that must not be run through.
        "10m",
    );
    assert_eq!(d.code, 1, "{}", d.stderr);
    let errors: Vec<&str> = d
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", d.stderr);
    assert!(
        errors[0].contains("Honeycomb refused the API key") && errors[0].contains("401"),
        "{}",
        errors[0]
    );
    assert!(!d.all.contains(wrong), "the key shows:\n{}", d.all);
    let text = std::fs::read_to_string(&summary).expect("a summary");
    assert!(!text.contains(wrong), "the key is in the summary");
    let sum = read_json(&summary);
    assert!(sum["delivery"]["fatal"]
        .as_str()
        .is_some_and(|f| f.contains("401")));
    assert_eq!(s.held().total(), 0);
    assert!(d.took < Duration::from_secs(30), "{:?}", d.took);
}
