//! Fuzzing the parser, checker and compiler with scenarios generated from
//! the grammar (`grammar/tsim.pest`): proptest strategies build `.tsim`
//! text block by block (scenario and traffic, services with endpoints and
//! nested steps, databases, queues, metrics, families, logs, timelines,
//! params) from values that are mostly sensible and sometimes hostile
//! (huge, negative, NaN-like, overflowing, deeply nested, long, unicode),
//! so most cases pass the parser and reach the checker, and many reach
//! the compiler. The property is the one of `tests/fuzz.rs`: a model or
//! diagnostics within budget, a model compiles or says why, and its pack
//! loads. Proptest shrinks a failing scenario before printing it.

mod common;
mod fuzzing;

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tsim_compiler::{check_source, compile, Options};

use fuzzing::Run;

const BUDGET: Duration = Duration::from_secs(20);

fn one_of(words: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(words)
        .prop_map(str::to_owned)
        .boxed()
}

/// A number with or without its unit; sometimes far out of range.
fn quantity() -> BoxedStrategy<String> {
    let sane = (
        0u32..2000,
        one_of(&["ms", "s", "m", "h", "us", "%", "/s", "/m", "", "MiB", "x"]),
    )
        .prop_map(|(n, u)| match u.as_str() {
            "x" => format!("x{}", n % 20),
            _ => format!("{n}{u}"),
        });
    let hostile = one_of(&[
        "1e308",
        "1e309ms",
        "-1e308",
        "1e-320",
        "0",
        "-0",
        "-1",
        "18446744073709551616",
        "99999999999999999999d",
        "1e300/s",
        "1e15/s",
        "0/s",
        "100000000%",
        "-5%",
        "1e300GiB",
        "x1e300",
        "x0",
        "0ns",
        "9999999999w",
        "4294967296",
        "1h1h1h1h",
        ".5",
        "5e-9ns",
    ]);
    prop_oneof![8 => sane, 1 => hostile].boxed()
}

fn string() -> BoxedStrategy<String> {
    prop_oneof![
        6 => one_of(&["api", "db", "web", "GET /a", "POST /b", "kafka", "orders", "m", "UTC"]),
        1 => one_of(&["", "é日本🙂", "\\u{202e}", "{n:09}", "{hex:8}", "{n:99}", "a\\\"b", "Mars/x"]),
        1 => (1usize..5000).prop_map(|n| "x".repeat(n)),
    ]
    .prop_map(|s| format!("\"{s}\""))
    .boxed()
}

fn leaf() -> BoxedStrategy<String> {
    prop_oneof![
        6 => quantity(),
        2 => string(),
        1 => one_of(&["true", "false", "ERROR", "postgresql", "fail", "ignore", "instance"]),
        1 => one_of(&["$rate", "$x", "$undefined"]),
        1 => quantity().prop_map(|q| format!("~{q}")),
        1 => one_of(&["2026-01-05T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z"]),
        1 => one_of(&["09:00", "23:59:59", "25:00"]),
    ]
    .boxed()
}

/// A value: a leaf, or a list, pick, call, range or ramp of values.
fn value() -> BoxedStrategy<String> {
    leaf()
        .prop_recursive(4, 24, 4, |inner| {
            let args = prop::collection::vec(
                (
                    prop::option::of(one_of(&["median", "p99", "mean", "sd", "start"])),
                    inner.clone(),
                )
                    .prop_map(|(n, v)| n.map_or(v.clone(), |n| format!("{n}: {v}"))),
                0..4,
            );
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec((string(), inner.clone()), 0..4).prop_map(|v| {
                    let entries: Vec<String> = v.iter().map(|(k, x)| format!("{k}: {x}")).collect();
                    format!("pick {{ {} }}", entries.join(", "))
                }),
                (
                    one_of(&[
                        "lognormal",
                        "normal",
                        "uniform",
                        "pool",
                        "exponential",
                        "constant",
                        "pareto",
                        "maybe",
                        "chance",
                        "brownian",
                        "mean_revert",
                        "poisson",
                        "nope"
                    ]),
                    args
                )
                    .prop_map(|(f, a)| format!("{f}({})", a.join(", "))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}..{b}")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("{a} -> {b}")),
            ]
        })
        .boxed()
}

/// Values that fit a statement, so that many cases pass the checker.
fn fitting(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "weight" | "chance" | "night" | "weekend" => &["50%", "20%", "100%"],
        "latency" | "hop" => &[
            "lognormal(median: 10ms, p99: 50ms)",
            "constant(5ms)",
            "uniform(1ms, 5ms)",
        ],
        "errors" => &[
            "1%",
            "0.5% status 503",
            "2% status pick { 500: 3, 503: 1 } type \"E\"",
        ],
        "variants" | "series" | "instances" | "hosts" | "clusters" | "pods" => &["1", "3", "10"],
        "retries" => &["0", "2"],
        "timeout" | "for" | "ramp" => &["500ms", "2m", "5m"],
        "repeat" => &["3", "uniform(1, 3)", "normal(mean: 3, sd: 1)"],
        "on_error" => &["ignore", "fail"],
        "duration" => &["10m", "1h"],
        "tick" => &["10s", "1m"],
        "seed" => &["42"],
        "start" => &["2026-01-05T00:00:00Z"],
        "rate" => &["5/s", "0.5/s", "1/m"],
        "timezone" => &["\"UTC\"", "\"America/New_York\""],
        "version" => &["\"1.0.0\""],
        "system" => &["postgresql", "kafka", "redis"],
        "unit" => &["\"s\"", "\"By\"", "\"1\""],
        "buckets" => &["[0.1, 0.5, 1]", "[1, 5, 10, 50]"],
        "walk" => &[
            "brownian(start: 0.35, drift: 0, volatility: 0.02)",
            "mean_revert(mean: 0.2, speed: 0.01, volatility: 0.01)",
        ],
        "within" => &["0..1", "0..5000"],
        "extra_metrics" => &["0", "2"],
        "series_multiplier" => &["1", "2"],
        "level" => &["ERROR", "INFO", "pick { INFO: 80, WARN: 20 }"],
        "message" => &["\"upstream {peer} failed\"", "\"ok\""],
        "service" => &["\"api\""],
        "status" => &["503", "500"],
        _ => &["1"],
    }
}

/// Statements `kw value` from the given keywords, in any number: mostly
/// with a value that fits, sometimes with any value.
fn stmts(keywords: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    let stmt = proptest::sample::select(keywords).prop_flat_map(|k| {
        let v = prop_oneof![4 => one_of(fitting(k)), 1 => value()];
        (Just(k), v)
    });
    prop::collection::vec(stmt, 0..max)
        .prop_map(|v| {
            v.iter()
                .map(|(k, x)| format!("{k} {x}"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .boxed()
}

fn assigns(block: &'static str) -> BoxedStrategy<String> {
    prop::collection::vec(
        (
            one_of(&["a", "http.route", "app.x", "service.name", "\"q k\""]),
            value(),
        ),
        0..3,
    )
    .prop_map(move |v| {
        let body: Vec<String> = v.iter().map(|(k, x)| format!("{k} = {x}")).collect();
        format!("{block} {{ {} }}", body.join(" "))
    })
    .boxed()
}

/// A downstream step, `parallel` blocks nested up to six deep.
fn step() -> BoxedStrategy<String> {
    let opts = stmts(&["chance", "retries", "timeout", "repeat", "on_error"], 3);
    let leaf = (
        one_of(&["call", "query", "publish"]),
        string(),
        string(),
        opts,
    )
        .prop_map(|(k, a, b, o)| format!("{k} {a} {b} {o}"));
    leaf.prop_recursive(6, 32, 4, |inner| {
        prop::collection::vec(inner, 0..4)
            .prop_map(|v| format!("parallel {{\n{}\n}}", v.join("\n")))
    })
    .boxed()
}

fn endpoint() -> BoxedStrategy<String> {
    (
        string(),
        stmts(&["weight", "latency", "errors", "variants"], 4),
        prop::collection::vec(step(), 0..4),
        prop::option::of(assigns("attributes")),
        prop::option::of((string(), string())),
    )
        .prop_map(|(name, s, steps, attrs, consume)| {
            let consume = consume.map_or(String::new(), |(q, t)| format!("consume {q} {t}"));
            let attrs = attrs.unwrap_or_default();
            format!(
                "endpoint {name} {{\n{s}\n{attrs}\n{consume}\n{}\n}}",
                steps.join("\n")
            )
        })
        .boxed()
}

fn item() -> BoxedStrategy<String> {
    let scenario = (
        string(),
        stmts(&["duration", "tick", "seed", "variants", "hop", "start"], 5),
        stmts(&["rate", "night", "weekend", "timezone"], 3),
    )
        .prop_map(|(n, s, t)| format!("scenario {n} {{\n{s}\ntraffic {{ {t} }}\n}}"));
    let service = (
        string(),
        stmts(&["version", "instances"], 2),
        prop::collection::vec(endpoint(), 0..3),
    )
        .prop_map(|(n, s, e)| format!("service {n} {{\n{s}\n{}\n}}", e.join("\n")));
    let backend = (
        one_of(&["database", "queue"]),
        string(),
        stmts(&["system", "latency", "errors", "instances"], 4),
    )
        .prop_map(|(k, n, s)| format!("{k} {n} {{ {s} }}"));
    let metric = (
        string(),
        one_of(&["counter", "gauge", "updown", "histogram"]),
        one_of(&[
            "",
            "per instance",
            "per service",
            "per endpoint",
            "per galaxy",
            "from spans",
        ]),
        stmts(&["unit", "series", "buckets", "walk", "within", "rate"], 4),
    )
        .prop_map(|(n, k, h, s)| format!("metric {n} {k} {h} {{ {s} }}"));
    let family = (
        one_of(&["host", "kubernetes", "mainframe"]),
        stmts(
            &[
                "hosts",
                "extra_metrics",
                "series_multiplier",
                "clusters",
                "pods",
            ],
            3,
        ),
    )
        .prop_map(|(f, s)| format!("family {f} {{ {s} }}"));
    let logs = prop_oneof![
        stmts(&["level", "message"], 3)
            .prop_map(|s| format!("logs from spans {{ access {s} errors }}")),
        (
            string(),
            stmts(&["service", "rate", "level", "message", "variants"], 5)
        )
            .prop_map(|(n, s)| format!("logs {n} {{ {s} }}")),
    ];
    let timeline = prop::collection::vec(
        (
            one_of(&["at", "every"]),
            quantity(),
            stmts(&["for", "ramp"], 2),
            one_of(&[
                "outage",
                "degradation",
                "cascade",
                "deploy",
                "config",
                "scale",
                "spike",
                "drop",
                "shift",
                "trend",
                "burst",
                "intermittent",
            ]),
            prop::option::of(string()),
            stmts(
                &[
                    "errors",
                    "latency",
                    "rate",
                    "status",
                    "version",
                    "instances",
                    "message",
                ],
                3,
            ),
        )
            .prop_map(|(w, q, f, a, t, o)| {
                format!("{w} {q} {f} {a} {} {{ {o} }}", t.unwrap_or_default())
            }),
        0..4,
    )
    .prop_map(|v| format!("timeline {{\n{}\n}}", v.join("\n")));
    let param =
        (one_of(&["rate", "x", "days"]), value()).prop_map(|(n, v)| format!("param {n} = {v}"));
    prop_oneof![
        2 => scenario,
        4 => service,
        1 => backend,
        2 => metric,
        1 => family,
        1 => logs,
        2 => timeline,
        1 => param,
        1 => assigns("resource"),
    ]
    .boxed()
}

fn scenario_text() -> BoxedStrategy<String> {
    prop::collection::vec(item(), 1..8)
        .prop_map(|v| v.join("\n"))
        .boxed()
}

/// What a generated case must satisfy (as in `tests/fuzz.rs`).
fn judge(text: &str) -> Result<bool, String> {
    let out = check_source("generated.tsim", text, &Options::default());
    let rendered = common::render(&out);
    if rendered.contains("<render failed>") {
        return Err(format!("miette could not render:\n{rendered}"));
    }
    let Some(model) = out.model else {
        return match out.has_errors() {
            true => Ok(false),
            false => Err("no model and no error".into()),
        };
    };
    match compile(&model) {
        Ok(bytes) => tsim_pack::decode(&bytes)
            .map(|_| true)
            .map_err(|e| format!("the compiler wrote a pack that does not load: {e}")),
        Err(e) if e.to_string().is_empty() => Err("lowering failed without a message".into()),
        Err(_) => Ok(true),
    }
}

#[test]
fn generated_scenarios_check_within_budget() {
    let _serial = fuzzing::serial();
    let run = Run::from_env(0x6a33, 400);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&run.seed.to_le_bytes());
    let config = Config {
        cases: u32::try_from(run.cases).unwrap_or(u32::MAX),
        failure_persistence: None,
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let models = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&scenario_text(), |text| {
        let got = fuzzing::guarded(BUDGET, move || judge(&text));
        match got {
            Ok(Ok(model)) => {
                models.fetch_add(u64::from(model), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            Ok(Err(problem)) => Err(TestCaseError::fail(problem)),
            Err(failure) => Err(TestCaseError::fail(failure.to_string())),
        }
    });
    if let Err(e) = result {
        panic!(
            "{e}\nreplay: TSIM_FUZZ_SEED={} TSIM_FUZZ_CASES={} cargo test --test fuzz_grammar",
            run.seed, run.cases
        );
    }
    let models = models.into_inner();
    eprintln!(
        "fuzz_grammar: {models} of {} generated scenarios checked into a model",
        run.cases
    );
    // The generator must reach past the parser: some scenarios check.
    assert!(models > 0, "no generated scenario checked");
}
