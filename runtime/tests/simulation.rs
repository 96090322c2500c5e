//! Whole runs checked statistically and structurally, within stated
//! tolerances: error rates inside and outside an outage, latency growth over
//! a degradation ramp, the traffic curve's peak/night and weekday/weekend
//! ratios, Brownian increments against drift and volatility, and the shape
//! of every trace, log, counter and histogram.

mod common;

use std::collections::{HashMap, HashSet};

use common::pack;
use tsim_pack::Pack;
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::memory::MemorySink;

/// Monday 2026-01-05 00:00:00 UTC.
const MONDAY: i64 = 1_767_571_200_000_000_000;

fn run(p: &Pack, start_ns: i64) -> (MemorySink, Summary) {
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns,
        seed: None,
        duration_ns: None,
        ..Default::default()
    };
    let sum = sim::run(p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    (sink, sum)
}

fn roots(sink: &MemorySink) -> impl Iterator<Item = &tsim_runtime::sink::memory::Span> {
    sink.spans.iter().filter(|s| s.parent.is_none())
}

#[test]
fn the_error_rate_rises_inside_an_outage_window_only() {
    let p = pack(
        r#"scenario "o" { seed 3 duration 40m tick 10s traffic { rate 20/s } }
        service "api" { endpoint "GET /" { latency 5ms query "db" "SELECT 1" } }
        database "db" { system postgresql latency 2ms }
        timeline { at 10m for 10m outage "db" { errors 80% } }"#,
    );
    let (sink, sum) = run(&p, MONDAY);
    let window = (MONDAY + 600_000_000_000, MONDAY + 1_200_000_000_000);
    let (mut inside, mut inside_err, mut outside, mut outside_err) = (0f64, 0f64, 0f64, 0f64);
    for s in roots(&sink) {
        if (window.0..window.1).contains(&s.start_ns) {
            inside += 1.0;
            inside_err += f64::from(u8::from(s.error));
        } else {
            outside += 1.0;
            outside_err += f64::from(u8::from(s.error));
        }
    }
    let (rin, rout) = (inside_err / inside, outside_err / outside);
    // 12,000 requests in the window: 0.8 +- 0.03 is many standard errors wide.
    assert!(
        (rin - 0.8).abs() < 0.03,
        "error rate inside the outage {rin}"
    );
    assert!(rout < 0.005, "error rate outside the outage {rout}");
    assert_eq!(sum.incidents.len(), 1);
    assert_eq!(sum.incidents[0].root_cause, "db");
    assert_eq!(sum.incidents[0].affected_services, vec!["api".to_string()]);
    let kinds: Vec<&str> = sink.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["incident_start", "incident_end"]);
}

#[test]
fn latency_grows_along_a_degradation_ramp() {
    let p = pack(
        r#"scenario "d" { seed 4 duration 40m tick 10s traffic { rate 20/s } }
        service "api" { endpoint "GET /" { latency 10ms } }
        timeline { at 10m ramp 20m for 20m degradation "api" { latency x1 -> x5 } }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let mean_at = |from_min: i64, to_min: i64| {
        let (a, b) = (
            MONDAY + from_min * 60_000_000_000,
            MONDAY + to_min * 60_000_000_000,
        );
        let d: Vec<f64> = roots(&sink)
            .filter(|s| (a..b).contains(&s.start_ns))
            .map(|s| s.duration_ns as f64 / 1e6)
            .collect();
        d.iter().sum::<f64>() / d.len() as f64
    };
    let before = mean_at(0, 10);
    assert!((before - 10.0).abs() < 0.1, "before the ramp {before}ms");
    // Ramp progress at minute m is (m - 10) / 20: factor 1 + 4 * progress.
    for (a, b, expected) in [
        (14, 16, 1.0 + 4.0 * 0.25),
        (19, 21, 3.0),
        (28, 30, 1.0 + 4.0 * 0.95),
    ] {
        let got = mean_at(a, b) / before;
        assert!(
            (got - expected).abs() / expected < 0.05,
            "minutes {a}-{b}: factor {got}, expected {expected}"
        );
    }
}

#[test]
fn the_traffic_curve_has_its_peak_night_and_weekend_ratios() {
    let p = pack(
        r#"scenario "t" { seed 5 duration 7d tick 1m
             traffic { rate 2/s timezone "UTC" peaks 09:00-12:00 night 20% weekend 50% } }
        service "api" { endpoint "GET /" { latency 1ms } }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let mut per_hour: HashMap<(i64, i64), f64> = HashMap::new();
    for s in roots(&sink) {
        let secs = (s.start_ns - MONDAY) / 1_000_000_000;
        *per_hour
            .entry((secs / 86_400, secs % 86_400 / 3600))
            .or_default() += 1.0;
    }
    let avg = |days: &[i64], hour: i64| {
        days.iter()
            .map(|d| per_hour.get(&(*d, hour)).copied().unwrap_or(0.0))
            .sum::<f64>()
            / days.len() as f64
    };
    let weekdays = [0, 1, 2, 3, 4];
    let peak = avg(&weekdays, 10);
    let night = avg(&weekdays, 3);
    let weekend_peak = avg(&[5, 6], 10);
    // ~7,200 requests per peak hour: ratios within 10%.
    assert!((peak / 7200.0 - 1.0).abs() < 0.05, "peak hour {peak}");
    assert!(
        (peak / night / 5.0 - 1.0).abs() < 0.1,
        "peak/night {}",
        peak / night
    );
    assert!(
        (peak / weekend_peak / 2.0 - 1.0).abs() < 0.1,
        "weekday/weekend {}",
        peak / weekend_peak
    );
}

#[test]
fn brownian_increments_match_drift_and_volatility() {
    let p = pack(
        r#"scenario "b" { seed 6 duration 20000s tick 1s }
        metric "walk" gauge { walk brownian(start: 0, drift: 0.5, volatility: 2) }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let values: Vec<f64> = sink
        .metrics
        .iter()
        .filter(|m| m.metric == "walk")
        .map(|m| m.value)
        .collect();
    assert_eq!(values.len(), 20_000);
    let inc: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let n = inc.len() as f64;
    let mean = inc.iter().sum::<f64>() / n;
    let sd = (inc.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // Standard error of the mean is 2/sqrt(20000) = 0.014: allow 4 of them; sd within 3%.
    assert!((mean - 0.5).abs() < 0.057, "mean increment {mean}");
    assert!((sd / 2.0 - 1.0).abs() < 0.03, "sd of increments {sd}");
}

#[test]
fn traces_logs_counters_and_histograms_are_well_formed() {
    let src =
        std::fs::read_to_string("../scenarios/checkout.tsim").expect("the stock checkout scenario");
    // At a lower rate, through its outage (30m), degradation ramp (50m) and
    // failed deployment (1h10m).
    let mut p = pack(&src.replace("rate 200/s", "rate 5/s"));
    p.meta.duration_ns = 80 * 60_000_000_000;
    let (sink, sum) = run(&p, MONDAY);
    assert!(sum.spans > 100_000);
    assert_eq!(sum.incidents.len(), 3);
    let mut by_id: HashMap<([u8; 16], [u8; 8]), &tsim_runtime::sink::memory::Span> = HashMap::new();
    for s in &sink.spans {
        assert!(
            by_id.insert((s.trace_id, s.span_id), s).is_none(),
            "duplicate span id"
        );
    }
    let traces: HashSet<[u8; 16]> = sink.spans.iter().map(|s| s.trace_id).collect();
    for s in &sink.spans {
        if let Some(p) = s.parent {
            let parent = by_id.get(&(s.trace_id, p)).expect("no orphan parent span");
            assert!(
                s.start_ns >= parent.start_ns,
                "a child starts before its parent"
            );
            assert!(
                s.start_ns + s.duration_ns as i64 <= parent.start_ns + parent.duration_ns as i64,
                "a child ends after its parent"
            );
        }
    }
    for l in &sink.logs {
        if let Some(t) = l.trace_id {
            assert!(
                traces.contains(&t),
                "a log names a trace that was not emitted"
            );
        }
    }
    assert!(
        sink.logs.iter().any(|l| l.level == "ERROR"),
        "the outage produced no error logs"
    );
    // Counters and histogram series never decrease.
    let mut last: HashMap<String, f64> = HashMap::new();
    let mut counts: HashMap<(i64, String), f64> = HashMap::new();
    let monotonic = |m: &str| {
        m.contains("_bucket")
            || m.contains("_count")
            || m.contains("_sum")
            || m.contains("requests_total")
    };
    for m in &sink.metrics {
        let key = format!("{}/{}", m.service, m.metric);
        if monotonic(&m.metric) {
            if let Some(prev) = last.insert(key.clone(), m.value) {
                assert!(
                    m.value >= prev,
                    "{key} decreased from {prev} to {}",
                    m.value
                );
            }
        }
        if m.metric.contains("_count") {
            counts.insert((m.time_ns, key.replace("_count", "_bucket")), m.value);
        }
    }
    // Every histogram's +Inf bucket equals its count at the same instant.
    let mut checked = 0;
    for m in sink
        .metrics
        .iter()
        .filter(|m| m.metric.contains("le=\"+Inf\""))
    {
        let base = format!(
            "{}/{}",
            m.service,
            m.metric
                .replace(",le=\"+Inf\"", "")
                .replace("{le=\"+Inf\"}", "")
        );
        let count = counts
            .get(&(m.time_ns, base.clone()))
            .unwrap_or_else(|| panic!("{base} has no count"));
        assert_eq!(
            m.value, *count,
            "{base}: the buckets do not sum to the count"
        );
        checked += 1;
    }
    assert!(checked > 0, "no histogram was checked");
}

#[test]
fn the_same_pack_seed_and_start_give_the_same_run() {
    let out = tsim_compiler::check_file(
        std::path::Path::new("../scenarios/triage/outage.tsim"),
        &tsim_compiler::Options::default(),
    );
    let model = out.model.expect("checks");
    let bytes = tsim_compiler::compile(&model).expect("compiles");
    let p = tsim_pack::decode(&bytes).expect("decodes");
    let (a, _) = run(&p, MONDAY);
    let (b, _) = run(&p, MONDAY);
    assert_eq!(a.spans, b.spans);
    assert_eq!(a.logs, b.logs);
    assert_eq!(a.metrics, b.metrics);
    let (c, _) = run(&p, MONDAY + 1);
    assert_ne!(
        a.spans, c.spans,
        "a different start must give different ids"
    );
}

#[test]
fn a_short_outage_inside_one_tick_fails_the_requests_of_its_own_window() {
    // A 4 s outage inside a 10 s tick: faults apply by each request's time.
    let p = pack(
        r#"scenario "s" { seed 6 duration 10m tick 10s traffic { rate 200/s } }
        service "api" { endpoint "GET /" { latency 1ms } }
        timeline { at 5m3s for 4s outage "api" { errors 100% } }"#,
    );
    let (sink, sum) = run(&p, MONDAY);
    let (a, b) = (MONDAY + 303_000_000_000, MONDAY + 307_000_000_000);
    let (mut inside, mut inside_err, mut outside_err) = (0u64, 0u64, 0u64);
    for s in roots(&sink) {
        if (a..b).contains(&s.start_ns) {
            inside += 1;
            inside_err += u64::from(s.error);
        } else {
            outside_err += u64::from(s.error);
        }
    }
    assert!(inside > 600, "{inside} requests in the 4 s window");
    assert_eq!(inside_err, inside, "every request inside the window fails");
    assert_eq!(outside_err, 0, "no request outside the window fails");
    assert_eq!(sum.incidents.len(), 1);
    assert_eq!(sum.incidents[0].affected_services, vec!["api".to_string()]);
}

#[test]
fn every_occurrence_of_a_repeating_incident_is_in_the_answer_key_with_its_events() {
    let p = pack(
        r#"scenario "r" { seed 7 duration 30m tick 10s traffic { rate 20/s } }
        service "api" { endpoint "GET /" { latency 1ms  query "db" "SELECT 1" } }
        service "other" { endpoint "GET /o" { latency 1ms } }
        database "db" { system postgresql latency 1ms }
        timeline { every 10m for 2m outage "db" { errors 50% } }"#,
    );
    let (sink, sum) = run(&p, MONDAY);
    let starts: Vec<&str> = sum.incidents.iter().map(|i| i.start.as_str()).collect();
    assert_eq!(
        starts,
        vec![
            "2026-01-05T00:00:00Z",
            "2026-01-05T00:10:00Z",
            "2026-01-05T00:20:00Z"
        ]
    );
    for i in &sum.incidents {
        assert_eq!(i.root_cause, "db");
        // Only the service that queries the database is affected.
        assert_eq!(i.affected_services, vec!["api".to_string()], "{i:?}");
    }
    let kinds: Vec<&str> = sink.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["incident_start", "incident_end"].repeat(3));
    // Errors only inside the occurrences.
    for s in roots(&sink).filter(|s| s.error) {
        let into = (s.start_ns - MONDAY) % 600_000_000_000;
        assert!(into < 120_000_000_000, "an error {into} ns into a period");
    }
}

#[test]
fn a_deployment_changes_the_service_version_from_its_start() {
    let p = pack(
        r#"scenario "v" { seed 8 duration 10m tick 1m traffic { rate 20/s } }
        service "api" { version "1.0.0" endpoint "GET /" { latency 1ms } }
        timeline { at 5m30s deploy "api" version "2.0.0" }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let at = MONDAY + 330_000_000_000;
    let (mut old, mut new) = (0, 0);
    for s in roots(&sink) {
        let want = if s.start_ns < at { "1.0.0" } else { "2.0.0" };
        assert_eq!(s.version, want, "span at {}", s.start_ns - MONDAY);
        if s.start_ns < at {
            old += 1
        } else {
            new += 1
        }
    }
    assert!(old > 1000 && new > 1000, "{old} before, {new} after");
}

#[test]
fn a_failure_is_credited_to_the_incident_that_caused_it() {
    // A degradation and an outage overlap on the same service.
    let p = pack(
        r#"scenario "a" { seed 9 duration 10m tick 10s traffic { rate 100/s } }
        service "api" { endpoint "GET /" { latency 5ms  query "db" "SELECT 1" } }
        database "db" { system postgresql  latency 1ms }
        timeline {
          at 1m for 5m degradation "api" { latency x2 }
          at 2m for 1m outage "api"
        }"#,
    );
    let (_, sum) = run(&p, MONDAY);
    assert_eq!(sum.incidents.len(), 2);
    for i in &sum.incidents {
        assert_eq!(i.affected_services, vec!["api".to_string()], "{i:?}");
    }
}

#[test]
fn scattered_errors_fail_the_span_and_its_client_but_not_the_caller() {
    let p = pack(
        r#"scenario "h" { seed 10 duration 2m tick 10s traffic { rate 100/s } }
        service "api" { endpoint "GET /" { latency 5ms  call "users" "GET /u" } }
        service "users" { endpoint "GET /u" { latency 2ms } }
        timeline { at 0s for 2m intermittent errors 20% }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let by_id: HashMap<[u8; 8], &tsim_runtime::sink::memory::Span> =
        sink.spans.iter().map(|s| (s.span_id, s)).collect();
    let mut checked = 0;
    for s in sink
        .spans
        .iter()
        .filter(|s| s.service == "users" && s.error)
    {
        let client = by_id[&s.parent.expect("a parent")];
        assert!(client.error, "the client span sees the failure");
        assert_eq!(client.status, tsim_pack::Status::Error);
        let root = by_id[&client.parent.expect("a parent")];
        // The root fails only by its own scattered error, never by this one.
        assert!(!root.error || root.code == Some(500));
        checked += 1;
    }
    assert!(checked > 1000, "{checked} scattered failures");
    let roots_failed = roots(&sink).filter(|s| s.error).count() as f64;
    let roots_n = roots(&sink).count() as f64;
    // Only the root's own 20%, not 1 - 0.8^2.
    assert!(
        (roots_failed / roots_n - 0.2).abs() < 0.02,
        "{}",
        roots_failed / roots_n
    );
}

#[test]
fn a_burst_with_errors_0_removes_the_baseline_errors() {
    let p = pack(
        r#"scenario "b" { seed 11 duration 4m tick 10s traffic { rate 200/s } }
        service "api" { endpoint "GET /" { latency 5ms errors 10% } }
        timeline { at 1m for 1m burst x2 { errors 0% } }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let window = MONDAY + 60_000_000_000..MONDAY + 120_000_000_000;
    let inside = roots(&sink).filter(|s| window.contains(&s.start_ns));
    assert_eq!(inside.filter(|s| s.error).count(), 0);
    let outside: Vec<_> = roots(&sink)
        .filter(|s| !window.contains(&s.start_ns))
        .collect();
    let rate = outside.iter().filter(|s| s.error).count() as f64 / outside.len() as f64;
    assert!((rate - 0.1).abs() < 0.01, "baseline {rate}");
}

#[test]
fn a_cascade_on_a_consumer_does_not_reach_its_producer() {
    let p = pack(
        r#"scenario "c" { seed 12 duration 4m tick 10s traffic { rate 50/s } }
        service "api" { endpoint "GET /" { latency 5ms  publish "bus" "orders" } }
        service "mailer" { endpoint "send" { consume "bus" "orders"  latency 4ms } }
        queue "bus" { system kafka }
        timeline { at 1m for 2m cascade "mailer" { errors 100% } }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    assert_eq!(roots(&sink).filter(|s| s.error).count(), 0);
    assert!(sink.spans.iter().any(|s| s.service == "mailer" && s.error));
}

#[test]
fn extreme_latencies_are_held_at_a_day_and_counted_never_wrapped() {
    let p = pack(
        r#"scenario "x" { seed 13 duration 1m tick 10s traffic { rate 200/s } }
        service "api" { endpoint "GET /" { latency pareto(scale: 5ms, shape: 0.01) } }"#,
    );
    let (sink, sum) = run(&p, MONDAY);
    assert!(sum.capped_spans > 0);
    for s in &sink.spans {
        assert!(s.start_ns >= MONDAY && s.duration_ns <= 86_400_000_000_000);
    }
}

#[test]
fn anomalies_never_push_a_gauge_past_its_bounds_nor_a_counter_backwards() {
    let p = pack(
        r#"scenario "g" { seed 14 duration 20m tick 10s traffic { rate 50/s } }
        service "api" { endpoint "GET /" { latency 5ms } }
        metric "cpu" gauge { walk brownian(start: 0.8, drift: 0, volatility: 0.02) within 0..1 }
        metric "requests" counter from spans
        timeline {
          at 5m for 5m spike "cpu" x3
          at 5m for 5m spike "requests" x3
          at 12m for 5m drop "requests" x0.1
        }"#,
    );
    let (sink, _) = run(&p, MONDAY);
    let cpu: Vec<f64> = sink
        .metrics
        .iter()
        .filter(|m| m.metric == "cpu")
        .map(|m| m.value)
        .collect();
    assert!(cpu.len() > 100);
    assert!(cpu.iter().all(|v| (0.0..=1.0).contains(v)), "{cpu:?}");
    let mut last: HashMap<&str, f64> = HashMap::new();
    for m in sink
        .metrics
        .iter()
        .filter(|m| m.metric.starts_with("requests"))
    {
        let prev = last.insert(&m.metric, m.value).unwrap_or(0.0);
        assert!(
            m.value >= prev,
            "{} went from {prev} to {}",
            m.metric,
            m.value
        );
    }
    assert!(!last.is_empty());
}
