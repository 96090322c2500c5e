//! Declared is what comes out: requests drawn through compiled programs,
//! measured back with statistical tolerances (4 binomial standard
//! deviations for rates and mixes, 5% for quantiles) at fixed seeds. Each
//! test draws requests straight through the plan's walker, the same code
//! `tsim run` uses, so they are fast enough for `cargo test`.

mod common;

use std::collections::HashSet;

use common::pack;
use tsim_pack::{Pack, Status};
use tsim_runtime::draw::request::{ErrorType, Trace, Walker};
use tsim_runtime::plan::Plan;
use tsim_runtime::sink::{Attributes, Value};
use tsim_runtime::streams::{stream, Purpose};
use tsim_runtime::timeline::{State, Timeline};

/// Draws `n` requests through root 0 under `state`, handing each trace to `f`.
fn draw(pack: &Pack, state: &State, n: usize, seed: u64, mut f: impl FnMut(&Plan<'_>, &Trace)) {
    let plan = Plan::new(pack);
    let mut rng = stream(seed, Purpose::Requests, 0);
    let mut trace = Trace::default();
    let root = pack.calls.roots[0].endpoint;
    for _ in 0..n {
        trace.clear();
        Walker::new(&plan, state, &plan.instances, &mut rng, None, &mut trace).request(root);
        f(&plan, &trace);
    }
}

fn quiet(pack: &Pack) -> State {
    Timeline::new(pack, 1).quiet()
}

/// |observed - expected| within 4 binomial standard deviations.
fn assert_rate(what: &str, hits: u64, n: u64, p: f64) {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let diff = (hits as f64 - n as f64 * p).abs();
    assert!(
        diff <= 4.0 * sd,
        "{what}: {hits} of {n} = {:.5}, declared {p} (off by {:.1} sd)",
        hits as f64 / n as f64,
        diff / sd
    );
}

#[test]
fn declared_error_rates_come_out_within_four_sigma() {
    for (rate, text) in [(0.001, "0.1%"), (0.01, "1%"), (0.1, "10%")] {
        let p = pack(&format!(
            r#"scenario "e" {{ duration 1m }}
service "s" {{ endpoint "GET /x" {{ latency constant(1ms)  errors {text} }} }}"#
        ));
        let n = 200_000;
        for seed in [1, 2] {
            let mut failed = 0;
            draw(&p, &quiet(&p), n, seed, |_, t| {
                failed += u64::from(t.spans[0].failed)
            });
            assert_rate(
                &format!("errors {text} seed {seed}"),
                failed,
                n as u64,
                rate,
            );
        }
    }
}

#[test]
fn a_status_pick_comes_out_in_its_proportions() {
    let p = pack(
        r#"scenario "e" { duration 1m }
service "s" { endpoint "GET /x" { latency constant(1ms)  errors 100% status pick { 500: 5, 503: 3, 429: 2 } } }"#,
    );
    let n = 200_000u64;
    let mut counts = [0u64; 3];
    draw(&p, &quiet(&p), n as usize, 3, |_, t| {
        let s = &t.spans[0];
        assert!(s.failed);
        match s.code {
            Some(500) => counts[0] += 1,
            Some(503) => counts[1] += 1,
            Some(429) => {
                // Server 4xx leave the span status unset.
                assert_eq!(s.status, Status::Unset);
                counts[2] += 1
            }
            other => panic!("unexpected status code {other:?}"),
        }
        // error.type only when the span is an error (server 5xx).
        assert_eq!(s.error_type.is_some(), s.code.is_some_and(|c| c >= 500));
    });
    for (c, p) in counts.iter().zip([0.5, 0.3, 0.2]) {
        assert_rate("status share", *c, n, p);
    }
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize] as f64
}

#[test]
fn a_lognormal_latency_has_its_declared_median_and_p99_and_no_quantisation() {
    let p = pack(
        r#"scenario "e" { duration 1m }
service "s" { endpoint "GET /x" { latency lognormal(median: 40ms, p99: 300ms) } }"#,
    );
    let mut d = Vec::new();
    draw(&p, &quiet(&p), 100_000, 4, |_, t| {
        d.push(t.spans[0].end_ns - t.spans[0].start_ns)
    });
    d.sort_unstable();
    let (p50, p99) = (quantile(&d, 0.5) / 1e6, quantile(&d, 0.99) / 1e6);
    assert!(
        (p50 / 40.0 - 1.0).abs() < 0.05,
        "p50 {p50} ms, declared 40 ms"
    );
    assert!(
        (p99 / 300.0 - 1.0).abs() < 0.05,
        "p99 {p99} ms, declared 300 ms"
    );
    let distinct: HashSet<u64> = d.iter().copied().collect();
    assert!(
        distinct.len() as f64 >= 0.99 * d.len() as f64,
        "{} distinct durations of {}",
        distinct.len(),
        d.len()
    );
}

fn attribute_texts(p: &Pack, n: usize, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    draw(p, &quiet(p), n, 5, |plan, t| {
        let s = &t.spans[0];
        let site = &plan.sites[s.site as usize];
        let drawn = &t.drawn[s.drawn.0 as usize..s.drawn.1 as usize];
        let attrs = Attributes::new(p, site.attrs, drawn, &t.text);
        match attrs.get(key) {
            Some(Value::Str(v)) => out.push(v.to_string()),
            other => panic!("{key} = {other:?}"),
        }
    });
    out
}

#[test]
fn generated_ids_have_their_declared_cardinality() {
    let p = pack(
        r#"scenario "e" { duration 1m }
service "s" { endpoint "GET /x" { latency constant(1ms)
  attributes { request.id = "{uuid}"  user.id = pool(100000, "user-{n:06}") } } }"#,
    );
    let n = 100_000;
    let uuids: HashSet<String> = attribute_texts(&p, n, "request.id").into_iter().collect();
    assert!(
        uuids.len() as f64 >= 0.999 * n as f64,
        "{} distinct uuids",
        uuids.len()
    );
    let users: Vec<String> = attribute_texts(&p, n, "user.id");
    assert!(users
        .iter()
        .all(|u| u.len() == 11 && u.starts_with("user-")));
    let distinct: HashSet<&String> = users.iter().collect();
    // 100,000 draws from 100,000 values: 1 - 1/e of them, about 63,212.
    assert!(
        distinct.len() > 60_000,
        "{} distinct pool ids",
        distinct.len()
    );
}

#[test]
fn under_an_outage_retries_fail_the_caller_with_p_cubed() {
    let p = pack(
        r#"scenario "e" { duration 10m }
service "s" { endpoint "GET /x" { latency constant(1ms)
  query "db" "SELECT 1" retries 2 } }
database "db" { system postgresql  latency constant(2ms) }
timeline { at 1m for 5m outage "db" { errors 80% } }"#,
    );
    let state = Timeline::new(&p, 1).state(120_000_000_000);
    let n = 200_000u64;
    let (mut failed, mut attempts) = (0u64, 0u64);
    draw(&p, &state, n as usize, 6, |_, t| {
        failed += u64::from(t.spans[0].failed);
        attempts += t.spans.len() as u64 - 1;
        let last = t.spans.last().expect("spans");
        assert!(last.resend <= 2);
    });
    assert_rate("caller failures", failed, n, 0.8f64.powi(3));
    // Expected attempts per request: 1 + 0.8 + 0.64.
    let mean = attempts as f64 / n as f64;
    assert!((mean - 2.44).abs() < 0.02, "mean attempts {mean}");
}

#[test]
fn a_timeout_ends_the_client_span_at_the_timeout_with_a_timeout_error() {
    let p = pack(
        r#"scenario "e" { duration 1m }
service "s" { endpoint "GET /x" { latency constant(1ms)
  query "db" "SELECT 1" timeout 50ms } }
database "db" { system postgresql  latency uniform(10ms, 90ms) }"#,
    );
    let n = 50_000u64;
    let mut timed_out = 0;
    draw(&p, &quiet(&p), n as usize, 7, |_, t| {
        let q = &t.spans[1];
        assert!(q.end_ns - q.start_ns <= 50_000_000);
        if q.error_type
            == Some(ErrorType::Known(
                tsim_runtime::draw::request::KnownError::Timeout,
            ))
        {
            timed_out += 1;
            assert_eq!(q.end_ns - q.start_ns, 50_000_000);
            assert!(t.spans[0].failed);
        }
    });
    // P(uniform(10, 90) > 50) = 0.5.
    assert_rate("timeouts", timed_out, n, 0.5);
}

#[test]
fn a_cascade_leaves_an_independent_branch_at_its_baseline() {
    let p = pack(
        r#"scenario "e" { duration 10m }
service "front" { endpoint "GET /" { latency constant(1ms)
  call "a" "GET /a" on_error ignore
  call "b" "GET /b" on_error ignore } }
service "a" { endpoint "GET /a" { latency constant(1ms)  query "db" "SELECT 1" } }
service "b" { endpoint "GET /b" { latency constant(1ms)  errors 1% } }
database "db" { system postgresql  latency constant(1ms) }
timeline { at 0s for 10m cascade "db" { errors 100% } }"#,
    );
    // Late in the window, when the cascade has reached every level.
    let state = Timeline::new(&p, 1).state(590_000_000_000);
    let n = 100_000u64;
    let (mut a, mut b, mut root_failed) = ((0u64, 0u64), (0u64, 0u64), 0u64);
    draw(&p, &state, n as usize, 8, |plan, t| {
        for s in &t.spans {
            let site = &plan.sites[s.site as usize];
            if site.kind != tsim_pack::SpanKind::Server {
                continue;
            }
            match plan.str(site.name) {
                "GET /a" => a = (a.0 + 1, a.1 + u64::from(s.failed)),
                "GET /b" => b = (b.0 + 1, b.1 + u64::from(s.failed)),
                "GET /" => root_failed += u64::from(s.failed),
                _ => {}
            }
        }
    });
    // The front is two levels up: its breaker opens with 100% x 0.85^2 and
    // then calls nothing; otherwise it calls both branches.
    assert_rate("front at the second level", root_failed, n, 0.7225);
    assert!(a.0 > 20_000 && b.0 == a.0, "a seen {}, b seen {}", a.0, b.0);
    assert_eq!(a.1, a.0, "a depends on the failing database");
    assert_rate("b keeps its 1% baseline", b.1, b.0, 0.01);
}

#[test]
fn on_error_ignore_handles_a_failed_call_and_fail_propagates_it() {
    for (option, expected) in [("on_error ignore", 0.0), ("on_error fail", 1.0), ("", 1.0)] {
        let p = pack(&format!(
            r#"scenario "e" {{ duration 1m }}
service "front" {{ endpoint "GET /" {{ latency constant(1ms)  call "b" "GET /b" {option} }} }}
service "b" {{ endpoint "GET /b" {{ latency constant(1ms)  errors 100% }} }}"#
        ));
        let mut failed = 0u64;
        draw(&p, &quiet(&p), 1000, 9, |_, t| {
            failed += u64::from(t.spans[0].failed);
            assert!(t.spans[1].failed, "the client span sees the failure");
        });
        assert_eq!(failed as f64, expected * 1000.0, "{option:?}");
    }
}

#[test]
fn log_records_draw_their_level_and_attributes_per_record() {
    let p = pack(
        r#"scenario "l" { duration 100s  tick 10s }
logs "app" { rate 2000/s
  level pick { DEBUG: 20, INFO: 55, WARN: 15, ERROR: 10 }
  message "order {order.id}"
  attributes { order.id = pool(1000000, "ord-{n:07}") } }"#,
    );
    let mut sink = tsim_runtime::sink::memory::MemorySink::default();
    let opts = tsim_runtime::sim::Options {
        start_ns: 1_767_571_200_000_000_000,
        seed: Some(11),
        duration_ns: None,
        ..Default::default()
    };
    tsim_runtime::sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    let n = sink.logs.len() as u64;
    assert!(n > 190_000, "{n} records");
    for (level, share) in [
        ("DEBUG", 0.2),
        ("INFO", 0.55),
        ("WARN", 0.15),
        ("ERROR", 0.1),
    ] {
        let hits = sink.logs.iter().filter(|l| l.level == level).count() as u64;
        assert_rate(level, hits, n, share);
    }
    let ids: HashSet<&str> = sink.logs.iter().map(|l| l.message.as_str()).collect();
    // ~200,000 draws from 1,000,000 ids: about 181,000 distinct.
    assert!(
        ids.len() as f64 > 0.85 * n as f64,
        "{} distinct of {n}",
        ids.len()
    );
    assert!(sink
        .logs
        .iter()
        .all(|l| l.message.len() == "order ord-0000000".len()));
}

#[test]
fn a_pool_with_random_parts_has_exactly_its_size_and_huge_ranges_do_not_overflow() {
    let p = pack(
        r#"scenario "e" { duration 1m }
service "s" { endpoint "GET /x" { latency constant(1ms)
  attributes { user.id = pool(10, "u-{hex:6}")  x = -1e308..1e308 } } }"#,
    );
    let ids: HashSet<String> = attribute_texts(&p, 10_000, "user.id").into_iter().collect();
    assert_eq!(ids.len(), 10);
}

#[test]
fn fixed_shapes_do_not_depend_on_the_values_drawn() {
    // One shape: every trace calls the same operations, however often the
    // retried call fails.
    let p = pack(
        r#"scenario "v" { duration 1m  variants 1 }
service "api" { endpoint "GET /" { latency 5ms
  call "b" "x" retries 3
  call "c" "y" chance 50%
  call "c" "z" chance 50% } }
service "b" { endpoint "x" { latency 1ms errors 30%  call "c" "w" chance 50% } }
service "c" { endpoint "y" { latency 1ms }  endpoint "z" { latency 1ms }  endpoint "w" { latency 1ms } }"#,
    );
    let plan = Plan::new(&p);
    let quiet = quiet(&p);
    let mut rng = stream(1, Purpose::Requests, 0);
    let mut trace = Trace::default();
    let mut shapes = HashSet::new();
    for _ in 0..2000 {
        trace.clear();
        let root = p.calls.roots[0].endpoint;
        Walker::new(
            &plan,
            &quiet,
            &plan.instances,
            &mut rng,
            Some(42),
            &mut trace,
        )
        .request(root);
        let mut sites: Vec<u32> = trace.spans.iter().map(|s| s.site).collect();
        sites.dedup();
        shapes.insert(sites);
    }
    // Retries repeat the same sites, so after dedup one sequence remains
    // per distinct retry count; the chance branches never vary.
    let branches: HashSet<Vec<u32>> = shapes
        .iter()
        .map(|s| {
            let mut v = s.clone();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    assert_eq!(branches.len(), 1, "{branches:?}");
}

#[test]
fn label_weights_decide_each_series_share_of_a_poisson_counter() {
    let p = pack(
        r#"scenario "w" { duration 1h  tick 10s }
metric "errors_total" counter {
  labels { kind = pick { "a": 6, "b": 3, "c": 1 } }
  walk poisson(rate: 50/s) }"#,
    );
    let mut sink = tsim_runtime::sink::memory::MemorySink::default();
    let opts = tsim_runtime::sim::Options {
        start_ns: 1_767_571_200_000_000_000,
        seed: Some(12),
        duration_ns: None,
        ..Default::default()
    };
    tsim_runtime::sim::run(&p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    let last = |kind: &str| {
        sink.metrics
            .iter()
            .rev()
            .find(|m| m.metric == format!("errors_total{{kind=\"{kind}\"}}"))
            .map_or(0.0, |m| m.value)
    };
    let (a, b, c) = (last("a"), last("b"), last("c"));
    let n = a + b + c;
    // 50/s over an hour: Poisson with mean 180,000.
    let mean = 180_000.0f64;
    assert!(
        (n - mean).abs() <= 4.0 * mean.sqrt(),
        "total {n}, expected {mean}"
    );
    for (v, share) in [(a, 0.6), (b, 0.3), (c, 0.1)] {
        assert_rate("series share", v as u64, n as u64, share);
    }
}

#[test]
fn a_declared_hop_chance_and_repeat_come_out_as_declared() {
    let p = pack(
        r#"scenario "e" { duration 1m  hop constant(1ms) }
service "api" { endpoint "GET /" { latency constant(1ms)
  call "b" "x" chance 40%
  query "db" "SELECT 1" repeat normal(mean: 5, sd: 2) } }
service "b" { endpoint "x" { latency constant(2ms) } }
database "db" { system postgresql  latency constant(1ms) }"#,
    );
    let n = 100_000u64;
    let (mut calls, mut queries, mut queries_sq) = (0u64, 0f64, 0f64);
    draw(&p, &quiet(&p), n as usize, 13, |plan, t| {
        let mut q = 0f64;
        for s in &t.spans {
            let site = &plan.sites[s.site as usize];
            match site.kind {
                tsim_pack::SpanKind::Client
                    if site.peer != tsim_pack::NONE && plan.str(site.name) == "x" =>
                {
                    calls += 1;
                    // The client span is the server's 2 ms plus a 1 ms hop each way.
                    assert_eq!(s.end_ns - s.start_ns, 4_000_000);
                }
                tsim_pack::SpanKind::Client => q += 1.0,
                _ => {}
            }
        }
        queries += q;
        queries_sq += q * q;
    });
    assert_rate("chance 40%", calls, n, 0.4);
    // E[max(0, round(X))] for X ~ Normal(5, 2), computed by summing the
    // normal's mass over each integer's rounding interval.
    let phi = |x: f64| 0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2));
    let cdf = |x: f64| phi((x - 5.0) / 2.0);
    let expected: f64 = (1..40)
        .map(|k| k as f64 * (cdf(k as f64 + 0.5) - cdf(k as f64 - 0.5)))
        .sum();
    let mean = queries / n as f64;
    let sd = (queries_sq / n as f64 - mean * mean).sqrt();
    let se = sd / (n as f64).sqrt();
    assert!(
        (mean - expected).abs() <= 4.0 * se,
        "mean repeats {mean}, expected {expected}"
    );
}

/// The error function (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7).
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    if x >= 0.0 {
        y
    } else {
        -y
    }
}
