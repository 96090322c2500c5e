//! Wall-clock replay: a fixed span rate is held by deadlines (never
//! faster, and not far slower on an idle core), every trace is stamped so
//! its root ends when it is emitted, sharded senders never share a trace
//! id, and a scenario played at a speed covers its simulated time in the
//! matching real time.

mod common;

use std::collections::HashSet;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::pack;
use tsim_runtime::sim::{self, Live, Pace, Shard};
use tsim_runtime::sink::memory::MemorySink;

const SCENARIO: &str = r#"
scenario "live" { seed 3 duration 1h tick 1s traffic { rate 50/s } }
service "api" {
  endpoint "GET /a" { latency lognormal(median: 20ms, p99: 80ms)  call "db-svc" "q" }
}
service "db-svc" { endpoint "q" { latency 3ms } }
metric "up" gauge per service { walk constant(1) }
"#;

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

fn live(pace: Pace, shard: Shard) -> Live {
    Live {
        pace,
        jitter_ns: 0,
        shard,
        multiplier: 1.0,
        timeline_speed: 1.0,
    }
}

fn run(pace: Pace, shard: Shard, duration_ms: u64) -> (MemorySink, sim::Summary, i64, i64) {
    let p = pack(SCENARIO);
    let mut sink = MemorySink::default();
    let start = now_ns();
    let opts = sim::Options {
        start_ns: start,
        duration_ns: Some(duration_ms * 1_000_000),
        live: Some(live(pace, shard)),
        ..Default::default()
    };
    let sum = sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    (sink, sum, start, now_ns())
}

#[test]
fn a_span_rate_is_held_and_roots_end_when_they_are_sent() {
    let began = Instant::now();
    let (sink, sum, start, end) = run(Pace::Rate(4000.0), Shard::default(), 1500);
    let took = began.elapsed().as_secs_f64();
    // Deadlines from the start: never ahead of the rate (one trace of
    // slack), and on an idle core not far behind it.
    assert!(
        sum.spans as f64 <= 4000.0 * took + 2.0,
        "{} in {took}",
        sum.spans
    );
    assert!(sum.spans >= 4000 * 3 / 4, "{} in {took}", sum.spans);
    assert!(took < 3.0, "{took}");
    for s in &sink.spans {
        let end_ns = s.start_ns + s.duration_ns as i64;
        assert!(end_ns <= end, "a span ends in the future");
        assert!(
            s.start_ns >= start - 1_000_000_000,
            "stamped long before the run"
        );
        if s.parent.is_none() {
            // The root ended at most a few ms before it was handed over.
            assert!(end_ns >= start, "{end_ns} < {start}");
        }
    }
    // The tick metrics of the 1 s that passed were emitted.
    assert!(!sink.metrics.is_empty());
}

#[test]
fn shards_never_share_trace_ids() {
    let ids = |i| {
        let (sink, _, _, _) = run(Pace::Max, Shard { index: i, count: 3 }, 200);
        sink.spans
            .iter()
            .map(|s| s.trace_id)
            .collect::<HashSet<_>>()
    };
    let (a, b) = (ids(0), ids(1));
    assert!(a.len() > 100 && b.len() > 100);
    assert!(a.is_disjoint(&b));
    assert!(a.iter().all(|t| t[..4] == [0, 0, 0, 0]));
    assert!(b.iter().all(|t| t[..4] == [0, 0, 0, 1]));
}

/// A fleet's series never collide: every series of a shard carries its
/// index as `tsim.shard`, and a lone sender's carry none.
#[test]
fn every_series_of_a_shard_carries_its_index() {
    let (sharded, _, _, _) = run(Pace::Speed(60.0), Shard { index: 2, count: 3 }, 1500);
    assert!(!sharded.metrics.is_empty());
    for p in &sharded.metrics {
        assert!(p.metric.contains("tsim.shard=\"2\""), "{}", p.metric);
    }
    let (alone, _, _, _) = run(Pace::Speed(60.0), Shard::default(), 1500);
    assert!(!alone.metrics.is_empty());
    assert!(alone
        .metrics
        .iter()
        .all(|p| !p.metric.contains("tsim.shard")));
}

#[test]
fn a_scenario_played_at_a_speed_covers_its_time_in_real_time() {
    // 60x: 1.5 s of real time is 90 s of the scenario, 50 requests/s.
    let began = Instant::now();
    let (sink, sum, start, _) = run(Pace::Speed(60.0), Shard::default(), 90_000);
    let took = began.elapsed().as_secs_f64();
    assert!((1.45..4.0).contains(&took), "{took}");
    assert_eq!(sum.simulated_ns, 90_000_000_000);
    // 4,500 requests expected, Poisson: 4 sigma is about 270.
    let roots = sink.spans.iter().filter(|s| s.parent.is_none()).count() as f64;
    assert!((roots - 4500.0).abs() < 270.0, "{roots}");
    // Stamped on the scenario's clock from the start (ahead of the wall
    // clock at 60x): every root ends at its arrival, inside the 90 s.
    let last = start + 90_000_000_000;
    assert!(sink
        .spans
        .iter()
        .all(|s| s.start_ns + s.duration_ns as i64 <= last));
}

/// Two services, each with a weighted pair of root endpoints.
const MIX: &str = r#"
scenario "mix" { seed 9 duration 1h tick 1s traffic { rate 50/s } }
service "web" {
  endpoint "GET /a" { weight 75%  latency 1ms }
  endpoint "GET /b" { weight 25%  latency 1ms }
}
service "batch" {
  endpoint "job" { latency 1ms }
}
"#;

fn roots_of(sink: &MemorySink) -> std::collections::BTreeMap<(String, String), f64> {
    let mut n = std::collections::BTreeMap::new();
    for s in sink.spans.iter().filter(|s| s.parent.is_none()) {
        *n.entry((s.service.clone(), s.operation.clone()))
            .or_insert(0.0) += 1.0;
    }
    n
}

/// Within 4 sigma of a binomial share `p` of `n`.
fn near(count: f64, n: f64, p: f64) -> bool {
    (count - n * p).abs() <= 4.0 * (n * p * (1.0 - p)).sqrt()
}

#[test]
fn a_paced_run_keeps_the_declared_mix_of_roots() {
    let p = pack(MIX);
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns: now_ns(),
        duration_ns: Some(300_000_000),
        live: Some(live(Pace::Max, Shard::default())),
        ..Default::default()
    };
    sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    // The plan's group shares are the split between the services the
    // pack declares; the endpoints' weights are the scenario's.
    let plan = tsim_runtime::plan::Plan::new(&p);
    let shares: Vec<f64> = plan.groups.iter().map(|g| g.share).collect();
    let web_group = plan
        .groups
        .iter()
        .position(|g| {
            plan.resource(g.resource)
                .is_some_and(|r| plan.str(r.name) == "web")
        })
        .expect("a web group");
    let web_share = shares[web_group] / shares.iter().sum::<f64>();
    let live_roots = roots_of(&sink);
    let total: f64 = live_roots.values().sum();
    assert!(total > 2_000.0, "{total}");
    let key = |s: &str, o: &str| (s.to_string(), o.to_string());
    let web = live_roots[&key("web", "GET /a")] + live_roots[&key("web", "GET /b")];
    assert!(
        near(web, total, web_share),
        "{web} of {total}, want {web_share}"
    );
    let a = live_roots[&key("web", "GET /a")];
    assert!(near(a, web, 0.75), "{a} of {web}");
}

#[test]
fn a_multiplier_scales_the_scenarios_traffic() {
    let p = pack(SCENARIO);
    let mut sink = MemorySink::default();
    let mut l = live(Pace::Speed(60.0), Shard::default());
    l.multiplier = 2.0;
    let opts = sim::Options {
        start_ns: now_ns(),
        duration_ns: Some(30_000_000_000),
        live: Some(l),
        ..Default::default()
    };
    sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    // 50/s x 2 over 30 s: 3,000 requests, Poisson; 4 sigma is about 219.
    let roots = sink.spans.iter().filter(|s| s.parent.is_none()).count() as f64;
    assert!((roots - 3000.0).abs() < 4.0 * 3000f64.sqrt(), "{roots}");
}
