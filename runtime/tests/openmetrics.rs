//! The OpenMetrics history sink: its file against what the engine emitted
//! (every point of every series, in the layout promtool backfills), and
//! the runs it refuses (too much history, no end, clashing names), which
//! leave no file behind.

mod common;

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use tsim_runtime::sim;
use tsim_runtime::sink::prom::OpenMetricsSink;
use tsim_runtime::sink::{EventRecord, LogRecord, MetricRecord, Point, Sink, SpanRecord};

const MONDAY: i64 = 1_700_438_400_000_000_000;

const SCENARIO: &str = r#"
scenario "om" { seed 3 duration 10m tick 10s traffic { rate 20/s } }
resource { deployment.environment.name = "test" }
service "api" {
  version "1.2.3"  instances 2
  endpoint "GET /orders" { latency lognormal(median: 20ms, p99: 120ms)  errors 5% status 500 }
}
metric "system.cpu.utilization" gauge per instance unit "1" {
  walk brownian(start: 0.3, drift: 0, volatility: 0.02) within 0..1
}
metric "api.requests" counter from spans of "api"
metric "http.server.request.duration" histogram unit "s" per endpoint from spans
"#;

/// Records (metric, labels, ms, value) of gauges and sums, and counts
/// histogram points.
#[derive(Default)]
struct Recorder {
    scalars: Vec<(String, String, i64, f64)>,
    histograms: u64,
}

impl Sink for Recorder {
    fn span(&mut self, _: &SpanRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn log(&mut self, _: &LogRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _: &EventRecord<'_>) -> io::Result<()> {
        Ok(())
    }
    fn metric(&mut self, m: &MetricRecord<'_>) -> io::Result<()> {
        let mut labels = String::new();
        for l in m.labels {
            labels.push_str(l.key);
            labels.push('=');
            l.value.write(&mut labels);
            labels.push(',');
        }
        // A per-instance series' instance is in its resource.
        if let Some(r) = &m.resource {
            labels.push_str("service.instance.id=");
            labels.push_str(r.instance_id);
            labels.push(',');
        }
        match m.point {
            Point::Gauge(v) | Point::Sum { value: v, .. } => {
                self.scalars
                    .push((m.name.to_string(), labels, m.time_ns / 1_000_000, v))
            }
            Point::Histogram(_) => self.histograms += 1,
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn opts(duration_ns: Option<u64>) -> sim::Options {
    sim::Options {
        start_ns: MONDAY,
        duration_ns,
        ..Default::default()
    }
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tsim-om-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temp dir");
    d
}

/// A sample line's (series: name and labels, timestamp ms, value).
fn parse(line: &str) -> (String, i64, f64) {
    let (series, rest) = match line.rfind('}') {
        Some(i) => (&line[..=i], line[i + 1..].trim()),
        None => line.split_once(' ').expect("name value"),
    };
    let mut parts = rest.split(' ');
    let value: f64 = parts.next().expect("a value").parse().expect("a float");
    let ts: f64 = parts.next().expect("a timestamp").parse().expect("seconds");
    (series.to_string(), (ts * 1000.0).round() as i64, value)
}

/// The metric a sample line belongs to: its family and labels without `le`.
fn metric_of(family: &str, series: &str) -> String {
    let labels = series
        .find('{')
        .map_or("", |i| &series[i..])
        .trim_end_matches('}');
    let labels = match labels.find(",le=\"") {
        Some(i) => &labels[..i],
        None => labels,
    };
    format!("{family}{labels}")
}

#[test]
fn the_file_holds_every_point_grouped_by_family_and_series_in_time_order() {
    let pack = common::pack(SCENARIO);
    let dir = temp("layout");
    let path = dir.join("history.om");
    let mut sink = OpenMetricsSink::create(&path, pack.meta.duration_ns).expect("created");
    let sum = sim::run(&pack, &opts(None), &mut sink, &mut |_, _, _| {}).expect("runs");
    let written = sink.written();
    let text = std::fs::read_to_string(&path).expect("committed");
    assert!(text.ends_with("# EOF\n"), "ends with # EOF");

    let mut rec = Recorder::default();
    sim::run(&pack, &opts(None), &mut rec, &mut |_, _, _| {}).expect("runs");

    // Families in one block each; each metric (a histogram's buckets,
    // count and sum together) contiguous; each series' times rising.
    let mut families = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut samples: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().expect("a name").to_string();
            assert!(!families.contains(&name), "family {name} appears twice");
            families.push(name);
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let family = families.last().expect("a sample after a # TYPE");
        assert!(
            line.starts_with(family.as_str()),
            "{line} outside its family {family}"
        );
        let (series, ms, value) = parse(line);
        let metric = metric_of(family, &series);
        if current.as_ref() != Some(&metric) {
            assert!(!done.contains(&metric), "{metric} is split");
            done.push(metric.clone());
            current = Some(metric);
        }
        let points = samples.entry(series.clone()).or_default();
        if let Some((t, _)) = points.last() {
            assert!(ms > *t, "{series}: {ms} after {t}");
        }
        points.push((ms, value));
    }
    assert_eq!(written.series as usize, samples.len());
    assert_eq!(
        written.samples as usize,
        samples.values().map(Vec::len).sum::<usize>()
    );
    assert_eq!(written.ignored, sum.spans + sum.logs + sum.events);
    assert!(written.ignored > 0, "the scenario has spans");

    // Every gauge and counter point the engine emitted, value for value.
    let gauges: Vec<_> = rec
        .scalars
        .iter()
        .filter(|s| s.0 == "system.cpu.utilization")
        .collect();
    assert_eq!(
        gauges.len() as u64,
        2 * (pack.meta.duration_ns / pack.meta.tick_ns)
    );
    for (_, labels, ms, v) in &gauges {
        let instance = labels
            .split(',')
            .find_map(|kv| kv.strip_prefix("service.instance.id="))
            .expect("per instance");
        let series = format!("system_cpu_utilization_ratio{{instance=\"{instance}\",job=\"api\"}}");
        let points = samples
            .get(&series)
            .unwrap_or_else(|| panic!("{series} missing"));
        assert!(points.contains(&(*ms, *v)), "{series} at {ms}: {v} missing");
    }
    let counters: Vec<_> = rec
        .scalars
        .iter()
        .filter(|s| s.0 == "api.requests")
        .collect();
    let stored: Vec<_> = samples
        .iter()
        .filter(|(k, _)| k.starts_with("api_requests_total{"))
        .collect();
    assert_eq!(
        stored.iter().map(|(_, v)| v.len()).sum::<usize>(),
        counters.len()
    );
    for (_, _, ms, v) in &counters {
        assert!(
            stored.iter().any(|(_, s)| s.contains(&(*ms, *v))),
            "api_requests_total at {ms}: {v} missing"
        );
    }
    assert!(rec.histograms > 0);
    // target_info: one per (job, instance) seen, at every tick.
    let targets: Vec<_> = samples
        .keys()
        .filter(|k| k.starts_with("target_info{"))
        .collect();
    assert!(!targets.is_empty());
    for t in &targets {
        assert!(t.contains("telemetry_sdk_name=\"tsim\""), "{t}");
        // The api service's resource; series of no service (the scenario's
        // name as their job) have only the SDK's attributes.
        let api = t.contains("job=\"api\"");
        assert_eq!(
            t.contains("deployment_environment_name=\"test\""),
            api,
            "{t}"
        );
        assert_eq!(t.contains("service_version=\"1.2.3\""), api, "{t}");
    }
    assert!(targets.iter().any(|t| t.contains("job=\"api\"")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_history_past_the_memory_limit_is_refused_before_the_run_and_leaves_no_file() {
    let pack = common::pack(SCENARIO);
    let dir = temp("limit");
    let path = dir.join("history.om");
    let mut sink = OpenMetricsSink::create(&path, 30 * 24 * 3_600_000_000_000)
        .expect("created")
        .with_limit(1 << 20);
    let e = sim::run(
        &pack,
        &opts(Some(30 * 24 * 3_600_000_000_000)),
        &mut sink,
        &mut |_, _, _| {},
    )
    .expect_err("refused");
    let text = e.to_string();
    assert!(
        text.contains("MiB in memory") && text.contains("shorten --duration"),
        "{text}"
    );
    drop(sink);
    assert!(
        std::fs::read_dir(&dir).expect("a dir").next().is_none(),
        "a file was left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_until_stopped_is_refused() {
    let pack = common::pack(SCENARIO);
    let dir = temp("endless");
    let mut sink = OpenMetricsSink::create(&dir.join("h.om"), u64::MAX).expect("created");
    let e = sim::run(&pack, &opts(None), &mut sink, &mut |_, _, _| {}).expect_err("refused");
    assert!(e.to_string().contains("give --duration"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_metrics_with_one_prometheus_name_are_refused() {
    let pack = common::pack(
        r#"
scenario "clash" { seed 1 duration 1m tick 10s traffic { rate 1/s } }
service "api" { endpoint "GET /" { latency 5ms } }
metric "queue.depth" gauge { walk brownian(start: 1, drift: 0, volatility: 0.1) within 0..10 }
metric "queue_depth" gauge { walk brownian(start: 1, drift: 0, volatility: 0.1) within 0..10 }
"#,
    );
    let dir = temp("clash");
    let mut sink =
        OpenMetricsSink::create(&dir.join("h.om"), pack.meta.duration_ns).expect("created");
    let e = sim::run(&pack, &opts(None), &mut sink, &mut |_, _, _| {}).expect_err("refused");
    assert!(
        e.to_string()
            .contains("`queue.depth` and `queue_depth` both become `queue_depth`"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
