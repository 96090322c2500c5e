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

include!("otlp/support.rs");

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

/// Three senders of one scenario and seed at once, as an Indexed Job would
/// start them. (That shards with the very same start instant never share
/// an id is `runtime/tests/live.rs`'s test; here the whole path is.)
#[test]
fn shards_sending_at_once_never_collide_and_add_up() {
    let dir = TempDir::new("shards");
    let input = dir.scenario();
    let r = receive(&dir, &[]);
    let to = format!("otlp-grpc://{}", r.grpc);
    let sums: Vec<PathBuf> = (0..3)
        .map(|i| dir.path(&format!("shard{i}.json")))
        .collect();
    let procs: Vec<Proc> = (0..3)
        .map(|i| {
            let mut cmd = tsim();
            cmd.args(["run", &input, "--to", &to, "--rate", "6000/s"])
                .args(["--duration", "1s", "--seed", "1", "--stats-every", "0"])
                .args(["--shard", &format!("{i}/3"), "--summary"])
                .arg(&sums[i]);
            Proc::spawn(cmd)
        })
        .collect();
    for p in procs {
        let done = p.wait();
        assert_eq!(done.code, 0, "{}", done.stderr);
    }
    // No duplicate trace or span ids (the receiver's stop asserts zero
    // violations), and every shard's spans arrived.
    let report = r.stop();
    let sent: u64 = sums
        .iter()
        .map(|s| {
            let sum = read_json(s);
            assert_all_sent(&sum);
            generated(&sum)[0]
        })
        .sum();
    assert_eq!(got(&report, "traces", None, "items"), sent);
    // The rate is the fleet's: three shards of 6000/s for 1 s send about
    // 6000 spans in all (each a third), held by fixed deadlines.
    let shares: Vec<u64> = sums.iter().map(|s| generated(&read_json(s))[0]).collect();
    for share in &shares {
        assert!((1700..=2300).contains(share), "{shares:?}");
    }
    assert!((5400..=6600).contains(&sent), "{sent}");
}

#[test]
fn an_indexed_job_pod_takes_its_shard_from_job_completion_index() {
    let dir = TempDir::new("indexed");
    let input = dir.scenario();
    let run = |index: Option<&str>| {
        let mut cmd = tsim();
        cmd.args(["run", &input, "--to", "null", "--rate", "3000/s"])
            .args(["--duration", "1s", "--shards", "3", "--stats-every", "0"])
            .args(["--summary"])
            .arg(dir.path("indexed.json"));
        cmd.env_remove("JOB_COMPLETION_INDEX");
        if let Some(i) = index {
            cmd.env("JOB_COMPLETION_INDEX", i);
        }
        cmd.output().expect("runs")
    };
    let ok = run(Some("2"));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let spans = generated(&read_json(&dir.path("indexed.json")))[0];
    assert!((800..=1200).contains(&spans), "{spans}");
    let unset = run(None);
    assert_eq!(unset.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unset.stderr).contains("JOB_COMPLETION_INDEX is not set"));
    let outside = run(Some("3"));
    assert_eq!(outside.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&outside.stderr).contains("not below 3"));
}

/// `examples/k8s/tsim-job.yaml` as one of its pods runs it: the ConfigMap's
/// scenario and the container's args (with the Secret's values in the
/// environment, a lower rate and a shorter run) deliver into a receiver.
#[test]
fn the_kubernetes_job_example_runs_as_a_pod_would() {
    let manifest = std::fs::read_to_string("examples/k8s/tsim-job.yaml").expect("the manifest");
    let scenario: String = manifest
        .lines()
        .skip_while(|l| !l.contains("load.tsim: |"))
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    assert!(scenario.contains("scenario \"k8s-load\""), "{scenario}");
    let args: Vec<String> = manifest
        .lines()
        .skip_while(|l| l.trim() != "args:")
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("- ")
                .trim_matches('"')
                .to_string()
        })
        .collect();
    assert_eq!(args.first().map(String::as_str), Some("run"), "{args:?}");
    let dir = TempDir::new("k8s");
    let file = dir.path("load.tsim");
    std::fs::write(&file, &scenario).expect("writes");
    let r = receive(&dir, &[]);
    let endpoint = format!("otlp-grpc://{}", r.grpc);
    let mut flags: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = |x: Option<&String>| x.cloned().unwrap_or_default();
        match a.as_str() {
            "/scenario/load.tsim" => flags.push(file.display().to_string()),
            "--to" => {
                assert_eq!(v(it.next()), "$(OTLP_ENDPOINT)");
                flags.extend(["--to".into(), endpoint.clone()]);
            }
            "--rate" => {
                assert_eq!(v(it.next()), "2M/s");
                flags.extend(["--rate".into(), "4000/s".into()]);
            }
            "--duration" => {
                it.next();
                flags.extend(["--duration".into(), "1s".into()]);
            }
            other => flags.push(other.to_string()),
        }
    }
    let sum = dir.path("pod.json");
    let out = tsim()
        .args(&flags)
        .args(["--stats-every", "0", "--summary"])
        .arg(&sum)
        .env("JOB_COMPLETION_INDEX", "3")
        .env("HONEYCOMB_API_KEY", "k")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{flags:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = r.stop();
    let sent = generated(&read_json(&sum))[0];
    // A quarter of 4000/s for 1 s.
    assert!((800..=1200).contains(&sent), "{sent}");
    assert_eq!(got(&report, "traces", None, "items"), sent);
}
