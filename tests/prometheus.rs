//! tsim's Prometheus output read by the real Prometheus tools (Debian's
//! `prometheus` package; see `common::prometheus_tool`): an OpenMetrics
//! history backfilled by `promtool tsdb create-blocks-from openmetrics`
//! and read back: the time range, the series and the values of a counter
//! and a gauge checked against what tsim emitted as OTLP/JSON.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{code, prometheus_tool, tsim};

/// A fixed start on a 2h boundary (Prometheus cuts blocks at those), so
/// the history lands in one block.
const START: &str = "2026-11-20T00:00:00Z";
const START_MS: i64 = 1_795_132_800_000;
const DURATION_MS: i64 = 10 * 60 * 1000;

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("tsim-prom-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("creates the temp dir");
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

/// Runs a tool; panics with its output unless it succeeded.
fn run_tool(tool: &Path, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", tool.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}\n{}",
        tool.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `tsim run stock:demo-stack` for ten minutes from [`START`] into
/// `to`; returns its stderr.
fn demo_stack(to: &str) -> String {
    let out = tsim(&[
        "run",
        "stock:demo-stack",
        "--start",
        START,
        "--duration",
        "10m",
        "--to",
        to,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(code(&out), 0, "{stderr}");
    stderr
}

/// `promtool tsdb list`'s one block: (min time, max time, samples, series).
fn block(listing: &str) -> (i64, i64, u64, u64) {
    let rows: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with("BLOCK ULID") && !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 1, "one block expected:\n{listing}");
    let cols: Vec<&str> = rows[0].split_whitespace().collect();
    let n = |i: usize| cols[i].parse::<i64>().expect("a number");
    (n(1), n(2), n(4) as u64, n(6) as u64)
}

/// `promtool tsdb dump`'s samples: series text -> [(ms, value)].
fn dump(text: &str) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let end = line.rfind('}').expect("a label set");
        let mut rest = line[end + 1..].split_whitespace();
        let value: f64 = rest.next().expect("a value").parse().expect("a float");
        let ms: i64 = rest.next().expect("a time").parse().expect("ms");
        out.entry(line[..=end].to_string())
            .or_default()
            .push((ms, value));
    }
    out
}

/// A label's value in a dumped series (`{__name__="x", job="y"}`).
fn label<'a>(series: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!("{name}=\"");
    let at = series.find(&pat)? + pat.len();
    let len = series[at..].find('"')?;
    Some(&series[at..at + len])
}

/// The series Prometheus stores for a run's OTLP/JSON metrics: one per
/// distinct (metric, resource, attributes) of a gauge or sum, buckets +
/// `+Inf` + count + sum for a histogram's.
fn expected_series(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics.jsonl");
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let req: serde_json::Value = serde_json::from_str(line).expect("a request");
        for r in req["resourceMetrics"].as_array().into_iter().flatten() {
            let scopes = r["scopeMetrics"].as_array().into_iter().flatten();
            for m in scopes.flat_map(|s| s["metrics"].as_array().into_iter().flatten()) {
                let (data, histogram) = match (m.get("histogram"), m.get("gauge")) {
                    (Some(h), _) => (h, true),
                    (None, Some(g)) => (g, false),
                    (None, None) => (&m["sum"], false),
                };
                for p in data["dataPoints"].as_array().into_iter().flatten() {
                    let key = format!("{}|{}|{}", m["name"], r["resource"], p["attributes"]);
                    let n = match histogram {
                        true => p["explicitBounds"].as_array().map_or(0, Vec::len) as u64 + 3,
                        false => 1,
                    };
                    seen.insert(key, n);
                }
            }
        }
    }
    seen.values().sum()
}

/// The OTLP/JSON data points of one metric in a run's `metrics.jsonl`:
/// (service.instance.id or "", ms, value).
fn otlp_points(dir: &Path, metric: &str) -> Vec<(String, i64, f64)> {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics.jsonl");
    let mut out = Vec::new();
    // A per-instance series carries `service.instance.id` in its resource.
    let instance_of = |attrs: &serde_json::Value| {
        attrs
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["key"] == "service.instance.id")
            .and_then(|a| a["value"]["stringValue"].as_str())
            .map(str::to_string)
    };
    for line in text.lines() {
        let req: serde_json::Value = serde_json::from_str(line).expect("a request");
        for r in req["resourceMetrics"].as_array().into_iter().flatten() {
            let resource_instance = instance_of(&r["resource"]["attributes"]);
            let scopes = r["scopeMetrics"].as_array().into_iter().flatten();
            let metrics = scopes.flat_map(|s| s["metrics"].as_array().into_iter().flatten());
            for m in metrics.filter(|m| m["name"] == metric) {
                let data = if m["gauge"].is_object() {
                    &m["gauge"]
                } else {
                    &m["sum"]
                };
                for p in data["dataPoints"].as_array().into_iter().flatten() {
                    let instance = instance_of(&p["attributes"])
                        .or_else(|| resource_instance.clone())
                        .unwrap_or_default();
                    let ns: i64 = p["timeUnixNano"].as_str().expect("ns").parse().expect("ns");
                    let v = p["asDouble"].as_f64().expect("a double");
                    out.push((instance, ns / 1_000_000, v));
                }
            }
        }
    }
    out
}

#[test]
fn an_openmetrics_history_backfills_with_the_runs_range_series_and_values() {
    let promtool = prometheus_tool("promtool");
    let dir = TempDir::new("backfill");
    let file = dir.path("history.om");
    let said = demo_stack(&format!("openmetrics:{}", file.display()));
    assert!(
        said.contains("metrics only:") && said.contains("spans, logs and events not written"),
        "the summary says what the file leaves out: {said}"
    );
    let blocks = dir.path("blocks");
    run_tool(
        &promtool,
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            file.to_str().expect("utf-8"),
            blocks.to_str().expect("utf-8"),
        ],
    );
    let blocks = blocks.to_str().expect("utf-8");
    let (min, max, samples, series) = block(&run_tool(&promtool, &["tsdb", "list", blocks]));
    // Points are stamped at the end of each 15s tick: the first one tick
    // after the start, the last at the end (a block's max is exclusive).
    assert_eq!(min, START_MS + 15_000, "min time");
    assert_eq!(max, START_MS + DURATION_MS + 1, "max time");

    // promtool 2.42's dump opens the directory as a database, which needs
    // a write-ahead log directory, even an empty one.
    std::fs::create_dir_all(dir.path("blocks").join("wal")).expect("a wal dir");
    let stored = dump(&run_tool(&promtool, &["tsdb", "dump", blocks]));
    assert_eq!(stored.len() as u64, series);
    assert_eq!(
        stored.values().map(|v| v.len() as u64).sum::<u64>(),
        samples
    );
    let targets: BTreeSet<_> = stored
        .keys()
        .filter(|k| label(k, "__name__") == Some("target_info"))
        .collect();
    let jobs: BTreeSet<(Option<&str>, Option<&str>)> = stored
        .keys()
        .filter(|k| label(k, "__name__") != Some("target_info"))
        .map(|k| (label(k, "job"), label(k, "instance")))
        .collect();
    assert_eq!(
        targets.len(),
        jobs.len(),
        "one target_info per job and instance"
    );

    // The same run as OTLP/JSON: the same series; the gauge and the
    // counter, point for point.
    let otlp = dir.path("otlp");
    demo_stack(&format!("otlp-json:{}", otlp.display()));
    assert_eq!(
        series - targets.len() as u64,
        expected_series(&otlp),
        "the series tsim emitted"
    );
    for (otel, prom) in [
        ("process.cpu.utilization", "process_cpu_utilization_ratio"),
        ("dice_rolls_total", "dice_rolls_total"),
    ] {
        let emitted = otlp_points(&otlp, otel);
        assert!(!emitted.is_empty(), "{otel} emitted");
        let mut checked = 0;
        for (instance, ms, v) in &emitted {
            let series = stored
                .iter()
                .find(|(k, _)| {
                    label(k, "__name__") == Some(prom)
                        && (instance.is_empty() || label(k, "instance") == Some(instance))
                })
                .map(|(_, s)| s)
                .unwrap_or_else(|| panic!("{prom} {instance} not stored"));
            // Within an ulp or so: serde_json's default float parsing.
            let close = |(t, x): &(i64, f64)| t == ms && (x - v).abs() <= 1e-12 * v.abs().max(1.0);
            assert!(
                series.iter().any(close),
                "{prom}{{{instance}}} at {ms}: {v}"
            );
            checked += 1;
        }
        assert_eq!(checked, emitted.len());
    }
}

/// `examples/stack/prometheus.yml`, the scrape config the stack example
/// points Prometheus at, is one promtool accepts.
#[test]
fn the_stack_examples_prometheus_config_passes_promtool() {
    let out = std::process::Command::new(prometheus_tool("promtool"))
        .args(["check", "config", "examples/stack/prometheus.yml"])
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
