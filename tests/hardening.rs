//! Hostile inputs found by a sweep: each was a crash, a hang, a memory
//! abort or a silently wrong result, and is now a clear diagnostic (or
//! works). Every test runs the `tsim` binary on a generated scenario.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{code, tsim};

const LEAF: &str = r#"service "api" { endpoint "GET /" { latency 5ms } }"#;

/// Writes `text` to a fresh file named `name` and returns its path.
fn scenario(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tsim-hardening-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

fn check(name: &str, text: &str) -> (Output, String) {
    let path = scenario(name, text);
    let out = tsim(&["check", &path.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, err)
}

/// Checks `text`, expects exit 1 with `code_name` and no panic, and
/// returns stderr with miette's line wrapping undone (words joined by one
/// space, the `│` gutters dropped).
fn refused(name: &str, text: &str, code_name: &str) -> String {
    let (out, err) = check(name, text);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains(code_name), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_billion_requests_a_second_is_refused_naming_the_rate_to_lower() {
    let text =
        format!("scenario \"s\" {{ duration 1s tick 1s traffic {{ rate 1e9/s }} }}\n{LEAF}\n");
    let err = refused("rate.tsim", &text, "tsim::too_big");
    assert!(err.contains("1.0e9 root requests"), "{err}");
    assert!(err.contains("`rate`"), "{err}");
    assert!(err.contains("rate.tsim:1:"), "{err}");
}

#[test]
fn a_rate_as_big_as_floats_go_is_refused_rather_than_emitting_nothing() {
    let text =
        format!("scenario \"s\" {{ duration 1s tick 1s traffic {{ rate 1e308/s }} }}\n{LEAF}\n");
    refused("rate308.tsim", &text, "tsim::too_big");
}

#[test]
fn a_billion_log_records_in_a_tick_is_refused_with_the_stream_rate_to_lower() {
    let text = format!(
        "scenario \"s\" {{ duration 1h tick 10s }}\n{LEAF}\nlogs \"w\" {{ rate 1e9/s message \"x\" }}\n"
    );
    let err = refused("logs.tsim", &text, "tsim::too_big");
    assert!(err.contains("log records/s"), "{err}");
    assert!(err.contains("log stream `rate`"), "{err}");
}

#[test]
fn a_billion_hosts_are_refused_before_any_series_is_built() {
    let text = format!(
        "scenario \"s\" {{ duration 1s tick 1s }}\n{LEAF}\nfamily host {{ hosts 1000000000 }}\n"
    );
    let started = Instant::now();
    let err = refused("hosts.tsim", &text, "tsim::too_big");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(err.contains("family `host`"), "{err}");
    assert!(err.contains("`hosts`"), "{err}");
}

#[test]
fn a_hundred_million_instances_are_out_of_range() {
    let text = "scenario \"s\" { duration 1s tick 1s }\n\
        service \"api\" { instances 100000000 endpoint \"GET /\" { latency 5ms } }\n\
        metric \"cpu\" gauge per instance { walk brownian(start: 0.5, drift: 0, volatility: 0.01) within 0..1 }\n";
    let err = refused("instances.tsim", text, "tsim::out_of_range");
    assert!(err.contains("1000000"), "{err}");
}

#[test]
fn a_metric_per_instance_over_a_million_series_is_too_big() {
    let text = "scenario \"s\" { duration 1s tick 1s }\n\
        service \"api\" { instances 1000000 endpoint \"GET /\" { latency 5ms } }\n\
        metric \"cpu\" gauge per instance { labels { core = pick { \"0\": 1, \"1\": 1 } } walk brownian(start: 0.5, drift: 0, volatility: 0.01) within 0..1 }\n";
    let err = refused("series.tsim", text, "tsim::too_big");
    assert!(err.contains("metric `cpu`"), "{err}");
}

#[test]
fn a_tick_shorter_than_a_millisecond_is_refused_not_raised_to_one() {
    let text = format!("scenario \"s\" {{ duration 1s tick 100us }}\n{LEAF}\n");
    let err = refused("tick.tsim", &text, "tsim::out_of_range");
    assert!(err.contains("1ms"), "{err}");
}

#[test]
fn starts_outside_what_nanoseconds_hold_are_refused_not_clamped() {
    for (name, start) in [
        ("y9999.tsim", "9999-01-01T00:00:00Z"),
        ("y0.tsim", "0000-01-01T00:00:00Z"),
        // The start fits, the end does not.
        ("end.tsim", "2262-04-11T23:00:00Z"),
    ] {
        let text = format!("scenario \"s\" {{ duration 2h tick 1s start {start} }}\n{LEAF}\n");
        let err = refused(name, &text, "tsim::out_of_range");
        assert!(err.contains("2262"), "{err}");
    }
    let ok =
        format!("scenario \"s\" {{ duration 2h tick 1s start 2262-04-11T20:00:00Z }}\n{LEAF}\n");
    let (out, err) = check("fits.tsim", &ok);
    assert_eq!(code(&out), 0, "{err}");
}

#[test]
fn a_start_flag_whose_run_ends_past_2262_is_refused() {
    let text = format!("scenario \"s\" {{ duration 2h tick 1s }}\n{LEAF}\n");
    let path = scenario("flag.tsim", &text);
    let out = tsim(&[
        "run",
        &path.to_string_lossy(),
        "--to",
        "null",
        "--start",
        "2262-04-11T23:00:00Z",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("2262"), "{err}");
}

#[test]
fn eight_thousand_nested_parallel_blocks_are_too_deep_not_a_stack_overflow() {
    let n = 8000;
    let text = format!(
        "service \"api\" {{ endpoint \"GET /\" {{ latency 5ms\n{}call \"api\" \"leaf\"\n{}\n}}\n endpoint \"leaf\" {{ latency 1ms }} }}\n",
        "parallel {\n".repeat(n),
        "}".repeat(n)
    );
    // A release build reports the 65th level; a debug build's smaller
    // stack budget stops the parser first. Either way a clear error.
    let err = refused("parallel.tsim", &text, "tsim::");
    assert!(
        err.contains("tsim::too_deep") && err.contains("more than the 64 allowed")
            || err.contains("tsim::syntax") && err.contains("depth limit"),
        "{err}"
    );
}

fn chain(n: usize, cycle: bool) -> String {
    let mut text = String::from("scenario \"s\" { duration 1s tick 1s }\n");
    for i in 0..n {
        let next = if i + 1 < n {
            format!(" call \"s{}\" \"e\"", i + 1)
        } else if cycle {
            " call \"s0\" \"e\"".to_string()
        } else {
            String::new()
        };
        text.push_str(&format!(
            "service \"s{i}\" {{ endpoint \"e\" {{ latency 1ms{next} }} }}\n"
        ));
    }
    text
}

#[test]
fn a_thirty_thousand_service_chain_is_too_deep_and_names_the_chain() {
    let err = refused("chain.tsim", &chain(30_000, false), "tsim::too_deep");
    assert!(err.contains("s0 \"e\" -> s1 \"e\""), "{err}");
    assert!(err.contains("more)"), "{err}");
    assert!(err.contains("30000 endpoints deep"), "{err}");
}

#[test]
fn a_fifty_thousand_service_cycle_is_reported_by_its_ends() {
    let err = refused("cycle.tsim", &chain(50_000, true), "tsim::call_cycle");
    assert!(err.contains("(49993 more)"), "{err}");
    assert!(
        err.len() < 20_000,
        "the message stays short: {} bytes",
        err.len()
    );
}

#[test]
fn a_diagnostic_past_column_65535_names_its_place_without_a_snippet() {
    let text = format!(
        "scenario \"s\" {{ duration 1s tick 1s }}\n{}service \"api\" {{ endpoint \"GET /\" {{ latency 5ms errors 120% }} }}\n",
        " ".repeat(70_000)
    );
    let err = refused("long.tsim", &text, "tsim::out_of_range");
    assert!(err.contains("long.tsim:2:70055"), "{err}");
}

#[test]
fn a_long_set_value_with_an_error_past_column_65535_is_reported() {
    let path = scenario("set.tsim", &format!("param x = 1\n{LEAF}\n"));
    let value = format!("x=[{}1s 2]", "1, ".repeat(30_000));
    let out = tsim(&["check", &path.to_string_lossy(), "--set", &value]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("tsim::"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A hang guard, not a benchmark: the time is compared with checking the
/// same scenario with every name right, measured in the same test, so a
/// loaded machine slows both alike.
#[test]
fn thousands_of_near_miss_names_check_in_bounded_time() {
    let scenario_with = |suffix: &str| {
        let mut text = String::from("scenario \"s\" { duration 1s tick 1s }\n");
        for i in 0..2000 {
            text.push_str(&format!(
                "service \"svc-{i:05}\" {{ endpoint \"e\" {{ latency 1ms call \"svc-{:05}{suffix}\" \"e\" }} }}\n",
                (i + 1) % 2000
            ));
        }
        text
    };
    // Right names, a cycle through every service: the same parse and walk.
    let started = Instant::now();
    refused("right.tsim", &scenario_with(""), "tsim::call_cycle");
    let right = started.elapsed();
    let started = Instant::now();
    let err = refused("near.tsim", &scenario_with("x"), "tsim::unknown_service");
    let near = started.elapsed();
    eprintln!("2,000 near misses: {near:?}; right names: {right:?}");
    assert!(
        near < right * 40 + Duration::from_secs(10),
        "2,000 near misses took {near:?}, the same scenario with right names {right:?}"
    );
    assert!(err.contains("did you mean `svc-00001`?"), "{err}");
}

#[test]
fn a_diamond_that_doubles_per_layer_blames_the_fan_out_not_repeat() {
    let mut text = String::from("scenario \"s\" { duration 1s tick 1s }\n");
    let layers = 30;
    for l in 0..layers {
        for k in ["a", "b"] {
            let calls = if l + 1 == layers {
                String::new()
            } else {
                format!(" call \"l{}a\" \"e\" call \"l{}b\" \"e\"", l + 1, l + 1)
            };
            text.push_str(&format!(
                "service \"l{l}{k}\" {{ endpoint \"e\" {{ latency 1ms{calls} }} }}\n"
            ));
        }
    }
    let err = refused("diamond.tsim", &text, "tsim::too_big");
    assert!(err.contains("a trace of `l0a` \"e\""), "{err}");
    assert!(err.contains("29 endpoints along it"), "{err}");
    assert!(err.contains("lower the fan-"), "{err}");
    assert!(!err.contains("`repeat` counts"), "{err}");
}

#[test]
fn a_35_day_backfill_and_a_2m_per_second_load_are_accepted() {
    let backfill = "scenario \"b\" { duration 35d tick 1m traffic { rate 500/s } }\n\
        service \"web\" { endpoint \"GET /\" { latency 20ms call \"api\" \"GET /x\" } }\n\
        service \"api\" { endpoint \"GET /x\" { latency 5ms } }\n\
        family host { hosts 200 }\n";
    let (out, err) = check("backfill.tsim", backfill);
    assert_eq!(code(&out), 0, "{err}");
    let load = "scenario \"l\" { duration 1h tick 10s traffic { rate 2000000/s } }\n\
        service \"web\" { endpoint \"GET /\" { latency 20ms call \"api\" \"GET /x\" } }\n\
        service \"api\" { endpoint \"GET /x\" { latency 5ms } }\n";
    let (out, err) = check("load.tsim", load);
    assert_eq!(code(&out), 0, "{err}");
}

#[test]
fn a_histogram_drawing_a_trillion_observations_a_second_is_refused() {
    // It used to hang `run` for minutes, deaf to SIGTERM (found by fuzzing).
    let text = "scenario \"h\" { duration 10m }\nmetric \"session.length\" histogram { buckets [60s, 5m, 10m] rate 1e12/s walk constant(value: 4m, noise: 30s) }\n";
    let err = refused("observations.tsim", text, "tsim::too_big");
    assert!(
        err.contains("1.0e13 observations per series in one tick"),
        "{err}"
    );
    assert!(err.contains("observations.tsim:2:"), "{err}");
}

#[test]
fn a_family_level_past_a_million_series_is_refused_naming_its_settings() {
    let text = format!(
        "scenario \"s\" {{ duration 1s tick 1s }}\n{LEAF}\nfamily kubernetes {{ pods 400000 containers 3 }}\n"
    );
    let err = refused("k8s.tsim", &text, "tsim::too_big");
    assert!(
        err.contains("1,200,000 series at its container level"),
        "{err}"
    );
    assert!(err.contains("`pods` 400,000 x `containers` 3"), "{err}");
    assert!(err.contains("limit of 1,000,000 series"), "{err}");
    assert!(
        err.contains("`pods`, `containers` or `series_multiplier`"),
        "{err}"
    );
    // The label points at the largest setting written.
    assert!(err.contains("k8s.tsim:3:26"), "{err}");
}

#[test]
fn a_metric_past_a_million_series_is_refused_with_its_factors() {
    let text = "scenario \"s\" { duration 1s tick 1s }\n\
        service \"api\" { instances 600000 endpoint \"GET /\" { latency 5ms } }\n\
        metric \"cpu\" gauge per instance { labels { core = pick { \"0\": 1, \"1\": 1 } } walk brownian(start: 0.5, drift: 0, volatility: 0.01) within 0..1 }\n";
    let err = refused("metric.tsim", text, "tsim::too_big");
    assert!(
        err.contains("metric `cpu` has 1,200,000 series (600,000 instances x 2 label sets)"),
        "{err}"
    );
}

#[test]
fn a_family_level_at_exactly_the_limit_keeps_every_series() {
    let text = format!(
        "scenario \"s\" {{ duration 1s tick 1s }}\n{LEAF}\nfamily kubernetes {{ nodes 1000000 }}\n"
    );
    let path = scenario("limit.tsim", &text);
    let pack = path.with_extension("pack");
    let out = tsim(&[
        "compile",
        &path.to_string_lossy(),
        "-o",
        &pack.to_string_lossy(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = tsim(&["inspect", &pack.to_string_lossy()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"k8s.node.cpu.usage\" gauge unit=\"{cpu}\" series=1000000 "),
        "{text}"
    );
}

#[test]
fn more_series_than_labels_can_make_is_refused_not_made_fewer() {
    let text = "scenario \"s\" { duration 1s tick 1s }\n\
        metric \"q\" gauge { labels { queue = pick { \"a\": 1, \"b\": 1 } env = pool(3, \"env-{n}\") } series 7 walk brownian(start: 1, drift: 0, volatility: 0.1) }\n";
    let err = refused("labels.tsim", text, "tsim::out_of_range");
    assert!(err.contains("`series` 7 is out of range"), "{err}");
    assert!(err.contains("at most 6 for metric `q`"), "{err}");
    let ok = text.replace("series 7", "series 6");
    let (out, err) = check("labels_ok.tsim", &ok);
    assert_eq!(code(&out), 0, "{err}");
}

#[test]
fn more_series_than_patterns_can_make_is_refused_at_check() {
    // `{hex:1}` makes 16 texts, `{n}` in a pool of 3 with a hex digit 48,
    // and a pattern borrowing `zone` (2 values) with `{hex:1}` 32.
    let cases = [
        ("host = \"h-{hex:1}\"", 17, "at most 16"),
        ("pod = pool(3, \"p-{n}-{hex:1}\")", 49, "at most 48"),
        (
            "zone = pick { \"a\": 1, \"b\": 1 } node = \"{zone}-{hex:1}\"",
            65,
            "at most 64",
        ),
    ];
    for (labels, n, most) in cases {
        let text = format!(
            "scenario \"s\" {{ duration 1s tick 1s }}\n\
             metric \"q\" gauge {{ labels {{ {labels} }} series {n} walk brownian(start: 1, drift: 0, volatility: 0.1) }}\n"
        );
        let err = refused("pattern.tsim", &text, "tsim::out_of_range");
        assert!(
            err.contains(&format!("`series` {n} is out of range")),
            "{err}"
        );
        assert!(err.contains(most), "{labels}: {err}");
        assert!(err.contains("pattern.tsim:2:"), "{err}");
    }
}

#[test]
fn a_declared_series_count_its_labels_can_make_compiles_even_with_skewed_weights() {
    // Sampling alone rarely meets the 1-in-a-billion values; the rest are
    // made in order, so every declared series exists.
    let text = "scenario \"s\" { duration 1s tick 1s }\n\
        metric \"q\" gauge { labels { a = pick { \"x\": 1000000000, \"y\": 1, \"z\": 1, \"w\": 1 } b = pick { \"u\": 1000000000, \"v\": 1 } } series 6 walk brownian(start: 1, drift: 0, volatility: 0.1) }\n";
    let path = scenario("skewed.tsim", text);
    let pack = path.with_extension("pack");
    let out = tsim(&[
        "compile",
        &path.to_string_lossy(),
        "-o",
        &pack.to_string_lossy(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = tsim(&["inspect", &pack.to_string_lossy()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"q\" gauge") && text.contains("series=6 "),
        "{text}"
    );
}

/// A checked model changed behind the checker's back: lowering fails with
/// a message instead of cutting the declaration short.
#[test]
fn lowering_fails_rather_than_cut_a_series_set_it_cannot_hold() {
    use tsim_compiler::{check_source, compile, Options};
    let text =
        format!("scenario \"s\" {{ duration 1s tick 1s }}\n{LEAF}\nfamily host {{ hosts 10 }}\n");
    let out = check_source("hosts.tsim", &text, &Options::default());
    let mut model = out.model.expect("the scenario checks");
    for (key, value) in &mut model.families[0].settings {
        if key == "hosts" {
            *value = 2_000_000.0;
        }
    }
    let err = compile(&model).expect_err("two million hosts do not lower");
    assert!(err.0.contains("family `host`"), "{err}");
    assert!(err.0.contains("2000000 series"), "{err}");

    let text = "scenario \"s\" { duration 1s tick 1s }\n\
        metric \"q\" gauge { labels { queue = pick { \"a\": 1, \"b\": 1 } } series 2 walk brownian(start: 1, drift: 0, volatility: 0.1) }\n";
    let out = check_source("labels.tsim", text, &Options::default());
    let mut model = out.model.expect("the scenario checks");
    model.metrics[0].series = Some(5);
    let err = compile(&model).expect_err("two label values do not make five series");
    assert!(err.0.contains("declares `series 5`"), "{err}");
    assert!(err.0.contains("only 2 distinct sets"), "{err}");
}

/// Runs `tsim run` with `args` and returns its exit code and stderr.
fn run(args: &[&str]) -> (i32, String) {
    let out = tsim(&[&["run"], args].concat());
    (
        code(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_duration_flag_past_the_run_limit_is_refused_before_anything_runs() {
    let dir = std::env::temp_dir().join(format!("tsim-hardening-long-{}", std::process::id()));
    let to = format!("ndjson:{}", dir.display());
    let (status, err) = run(&[
        "stock:checkout",
        "--to",
        &to,
        "--duration",
        "100000d",
        "--start",
        "1970-01-01T00:00:00Z",
    ]);
    assert_eq!(status, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --duration 100000d: the run would emit about "),
        "{err}"
    );
    assert!(
        err.contains("more than the limit of 1.0e13 records a run; shorten --duration"),
        "{err}"
    );
    assert!(!dir.exists(), "nothing is written");
    // Past what nanoseconds hold, the message says so rather than "not a duration".
    let (status, err) = run(&["stock:checkout", "--to", "null", "--duration", "1000000d"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("longer than 64-bit nanoseconds hold"), "{err}");
}

#[test]
fn a_multiplier_that_floods_a_tick_is_refused_naming_the_flag() {
    let (status, err) = run(&[
        "stock:checkout",
        "--to",
        "null",
        "--speed",
        "1x",
        "--multiplier",
        "1e9",
        "--duration",
        "1s",
    ]);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.starts_with("error: --multiplier 1e9: one tick would hold about "),
        "{err}"
    );
    assert!(
        err.contains("limit of 5.0e7 root requests per tick; lower --multiplier"),
        "{err}"
    );
}

#[test]
fn a_live_rate_whose_run_passes_the_limit_is_refused_and_one_until_stopped_is_not_counted() {
    let (status, err) = run(&[
        "stock:checkout",
        "--to",
        "null",
        "--rate",
        "1G/s",
        "--duration",
        "10000d",
    ]);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.starts_with("error: --duration 10000d, --rate 1G/s: the run would emit"),
        "{err}"
    );
    assert!(err.contains("1.0e9 spans/s"), "{err}");
    assert!(err.contains("shorten --duration or lower --rate"), "{err}");
}

/// The bytes of `about 12.5 MiB of FORMAT` in an estimate line.
fn estimated_bytes(err: &str, format: &str) -> f64 {
    let line = err
        .lines()
        .find(|l| l.starts_with("tsim: estimate: "))
        .unwrap_or_else(|| panic!("no estimate line: {err}"));
    let before = line
        .split(&format!(" of {format} into "))
        .next()
        .unwrap_or_default();
    let words: Vec<&str> = before.rsplit(' ').take(2).collect();
    let unit = match words[0] {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unit {other} in {line}"),
    };
    words[1].parse::<f64>().expect("a number") * unit
}

fn size_of(path: &std::path::Path) -> u64 {
    common::walk(path)
        .iter()
        .chain(std::iter::once(&path.to_path_buf()).filter(|p| p.is_file()))
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

#[test]
fn file_runs_print_an_estimate_within_a_factor_of_two_of_what_they_write() {
    let base = std::env::temp_dir().join(format!("tsim-hardening-est-{}", std::process::id()));
    for (scenario, format, spec, name) in [
        ("stock:checkout", "NDJSON", "ndjson", "checkout"),
        ("stock:demo-stack", "NDJSON", "ndjson", "demo"),
        ("stock:checkout", "OTLP/JSON", "otlp-json", "checkout-otlp"),
        (
            "stock:triage/normal",
            "OpenMetrics",
            "openmetrics",
            "normal.om",
        ),
    ] {
        let path = base.join(name);
        let to = format!("{spec}:{}", path.display());
        let (status, err) = run(&[scenario, "--to", &to, "--duration", "10m"]);
        assert_eq!(status, 0, "{err}");
        let estimate = estimated_bytes(&err, format);
        let actual = size_of(&path) as f64;
        let ratio = estimate / actual;
        assert!(
            (0.5..=2.0).contains(&ratio),
            "{scenario} {format}: estimated {estimate} bytes, wrote {actual} ({ratio:.2}x)"
        );
    }
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn a_file_run_bigger_than_the_free_space_is_refused_with_both_figures() {
    // A thousand days of checkout: about 1e11 records, tens of terabytes,
    // inside the record limit but past any test machine's free space.
    let dir = std::env::temp_dir().join(format!("tsim-hardening-full-{}", std::process::id()));
    let to = format!("ndjson:{}", dir.display());
    let (status, err) = run(&["stock:checkout", "--to", &to, "--duration", "1000d"]);
    assert_eq!(status, 2, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("tsim: estimate: about "), "{err}");
    assert!(lines[0].contains("TiB of NDJSON into "), "{err}");
    assert!(lines[1].starts_with("error: --to "), "{err}");
    assert!(lines[1].contains("TiB, more than the "), "{err}");
    assert!(lines[1].contains(" free there"), "{err}");
    assert!(lines[1].contains("--force"), "{err}");
    assert!(!dir.exists(), "nothing is written");
}

#[test]
fn a_size_whose_unit_overflows_a_float_is_a_bad_literal_not_a_corrupt_pack() {
    // Found by fuzzing: the number fits, times 2^30 it is infinite, and
    // the compiler wrote a pack its own decoder refuses.
    let text = format!("attributes {{ share = 1e300GiB }}\n{LEAF}\n");
    let err = refused("size.tsim", &text, "tsim::bad_literal");
    assert!(err.contains("`1e300GiB` is too large"), "{err}");
}

#[test]
fn fixtures_print_their_estimate_and_refuse_a_tree_past_the_free_space() {
    let base = std::env::temp_dir().join(format!("tsim-hardening-fx-{}", std::process::id()));
    let out = base.join("tree");
    let made = tsim(&["fixtures", "--out", &out.to_string_lossy()]);
    let err = String::from_utf8_lossy(&made.stderr);
    assert_eq!(code(&made), 0, "{err}");
    let estimate = estimated_bytes(&err, "NDJSON");
    let actual = size_of(&out) as f64;
    assert!(
        (0.5..=2.0).contains(&(estimate / actual)),
        "estimated {estimate} bytes, wrote {actual}"
    );
    // Eight years at 2000 requests a second: about 120 TiB of NDJSON.
    let from = base.join("from");
    std::fs::create_dir_all(&from).expect("from dir");
    std::fs::write(
        from.join("big.tsim"),
        format!(
            "scenario \"big\" {{ duration 3000d tick 1m traffic {{ rate 2000/s }} }}\n{LEAF}\n"
        ),
    )
    .expect("write scenario");
    let big = base.join("big");
    let refused = tsim(&[
        "fixtures",
        "--from",
        &from.to_string_lossy(),
        "--out",
        &big.to_string_lossy(),
    ]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(code(&refused), 1, "{err}");
    assert!(err.contains("TiB of NDJSON into "), "{err}");
    assert!(err.contains("error: --out "), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(!big.join("normal").exists(), "nothing is written");
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn a_pack_is_estimated_as_its_source_is_so_its_runs_are_held_to_the_same_limits() {
    use tsim_compiler::{check_file, compile, estimate, estimate_pack, Options};
    for name in ["checkout", "demo-stack", "ingest-load", "triage/outage"] {
        let path = PathBuf::from(format!("scenarios/{name}.tsim"));
        let out = check_file(&path, &Options::default());
        let model = out.model.unwrap_or_else(|| panic!("{name} checks"));
        let pack = tsim_pack::decode(&compile(&model).expect("compiles")).expect("loads");
        let (from_model, from_pack) = (estimate(&model), estimate_pack(&pack));
        for (what, a, b) in [
            ("spans/s", from_model.spans_per_s, from_pack.spans_per_s),
            ("logs/s", from_model.logs_per_s, from_pack.logs_per_s),
            ("points/s", from_model.points_per_s, from_pack.points_per_s),
            ("records", from_model.records, from_pack.records),
            ("bytes", from_model.ndjson_bytes, from_pack.ndjson_bytes),
        ] {
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "{name} {what}: model {a}, pack {b}"
            );
        }
    }
    let source = scenario(
        "pack.tsim",
        &format!("scenario \"s\" {{ duration 1h tick 1s traffic {{ rate 2000/s }} }}\n{LEAF}\n"),
    );
    let pack = source.with_extension("pack");
    let out = tsim(&[
        "compile",
        &source.to_string_lossy(),
        "-o",
        &pack.to_string_lossy(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let (status, err) = run(&[
        &pack.to_string_lossy(),
        "--to",
        "null",
        "--duration",
        "100000d",
        "--start",
        "1970-01-01T00:00:00Z",
    ]);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.starts_with("error: --duration 100000d: the run would emit about "),
        "{err}"
    );
}

#[test]
fn a_scenario_past_a_hundred_thousand_endpoints_is_refused_as_its_files_are_read() {
    let dir = std::env::temp_dir().join(format!("tsim-hardening-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for part in ["a", "b"] {
        let mut text = format!("service \"{part}\" {{\n");
        for i in 0..60_000 {
            text.push_str(&format!("  endpoint \"e{i}\" {{ }}\n"));
        }
        text.push_str("}\n");
        std::fs::write(dir.join(format!("{part}.tsim")), text).expect("write part");
    }
    // `c.tsim` does not exist: once the limit is passed nothing more is read.
    let root = dir.join("root.tsim");
    std::fs::write(
        &root,
        "import \"a.tsim\"\nimport \"b.tsim\"\nimport \"c.tsim\"\nscenario \"s\" { duration 1s tick 1s }\n",
    )
    .expect("write root");
    let out = tsim(&["check", &root.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("tsim::too_big"), "{err}");
    assert!(
        err.contains("the scenario declares at least 120,000 endpoints, databases and queues, more than the limit of 100,000"),
        "{err}"
    );
    assert!(err.contains("b.tsim:1:9"), "{err}");
    assert!(!err.contains("c.tsim"), "{err}");
}

#[test]
fn a_file_run_stops_before_the_disk_fills_and_keeps_nothing() {
    let dir = std::env::temp_dir().join(format!("tsim-hardening-full-{}", std::process::id()));
    let to = format!("ndjson:{}", dir.display());
    // A reserve larger than any disk: the watch trips at its first look.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tsim"))
        .args(["run", "stock:checkout", "--to", &to, "--duration", "30m"])
        .env("TSIM_DISK_RESERVE", u64::MAX.to_string())
        .output()
        .expect("run tsim");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 1, "{err}");
    assert!(err.contains("stopped before the disk filled"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tsim"))
        .args(["run", "stock:checkout", "--to", &to, "--duration", "1m"])
        .env("TSIM_DISK_RESERVE", "lots")
        .output()
        .expect("run tsim");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("TSIM_DISK_RESERVE=lots: expected a whole number of bytes"),
        "{err}"
    );
}

#[test]
fn a_file_run_at_rate_max_says_its_size_is_not_known_before() {
    let dir = std::env::temp_dir().join(format!("tsim-hardening-max-{}", std::process::id()));
    let to = format!("ndjson:{}", dir.display());
    let (status, err) = run(&[
        "stock:checkout",
        "--to",
        &to,
        "--rate",
        "max",
        "--duration",
        "1s",
    ]);
    assert_eq!(status, 0, "{err}");
    assert!(
        err.contains("--rate max writes NDJSON into")
            && err.contains("its size is not known before"),
        "{err}"
    );
    assert!(
        err.contains("before less than 256 MiB would be left"),
        "{err}"
    );
    let written = std::fs::read_dir(&dir).map_or(0, Iterator::count);
    assert!(written > 0, "the run wrote its files");
}
