//! The conventions suite: every stock scenario is run for a short while,
//! what it emits is decoded with the official OTLP types, and each
//! resource, span, span event, metric and log record is checked against
//! the rules of the pinned semantic conventions (1.44.0): required
//! attributes, span names, status rules, metric names, instruments and
//! units from the release's own registry, the attributes of the duration
//! histograms, and no deprecated names anywhere (see `docs/conventions.md`).

#[path = "conventions/rules.rs"]
mod rules;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use rules::Registry;
use tsim_runtime::sim;
use tsim_runtime::sink::otlp::{BatchSizes, Collected, OtlpSink, Signal};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every stock scenario (the library files under `scenarios/lib` are
/// imported by them, not run on their own).
fn stock() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/triage"] {
        for e in std::fs::read_dir(root().join(dir)).expect("scenarios/") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "tsim") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Compiles a stock scenario, its load turned down where it has a `rate`
/// or `hosts` param (the rules are about shapes, not volume).
fn compile(path: &Path) -> tsim_pack::Pack {
    let src = std::fs::read_to_string(path).expect("reads");
    let mut overrides = Vec::new();
    for (param, value) in [("rate", "200/s"), ("hosts", "3")] {
        if src.contains(&format!("param {param} ")) {
            overrides.push((param.to_string(), value.to_string()));
        }
    }
    let opts = tsim_compiler::Options {
        overrides,
        seed: None,
    };
    let out = tsim_compiler::check_file(path, &opts);
    let model = out
        .model
        .unwrap_or_else(|| panic!("{} does not check", path.display()));
    tsim_pack::decode(&tsim_compiler::compile(&model).expect("compiles")).expect("decodes")
}

fn run(path: &Path) -> Collected {
    let pack = compile(path);
    let tick = pack.meta.tick_ns.max(1_000_000_000);
    let opts = sim::Options {
        start_ns: 1_767_621_600_000_000_000,
        // Two ticks, at least 10 s: every metric reports twice, errors
        // happen (the heaviest stock scenario then emits about a million
        // records).
        duration_ns: Some(
            (tick * 2)
                .max(10_000_000_000)
                .min(pack.meta.duration_ns.max(1)),
        ),
        ..Default::default()
    };
    let mut sink = OtlpSink::new(Collected::default(), BatchSizes::default());
    sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    sink.into_requests()
}

fn check(reg: &Registry, c: &Collected, out: &mut Vec<String>) -> (u64, u64, u64) {
    let mut counts = (0, 0, 0);
    for (signal, body, _) in &c.requests {
        match signal {
            Signal::Traces => {
                let req = ExportTraceServiceRequest::decode(&body[..]).expect("decodes");
                for rs in &req.resource_spans {
                    if let Some(r) = &rs.resource {
                        rules::resource(reg, out, r, &rs.schema_url);
                    }
                    for ss in &rs.scope_spans {
                        for s in &ss.spans {
                            rules::span(reg, out, s);
                            counts.0 += 1;
                        }
                    }
                }
            }
            Signal::Metrics => {
                let req = ExportMetricsServiceRequest::decode(&body[..]).expect("decodes");
                for rm in &req.resource_metrics {
                    if let Some(r) = &rm.resource {
                        rules::not_deprecated(reg, out, "resource", &r.attributes);
                    }
                    for sm in &rm.scope_metrics {
                        for m in &sm.metrics {
                            rules::metric(reg, out, m);
                            counts.1 += 1;
                        }
                    }
                }
            }
            Signal::Logs => {
                let req = ExportLogsServiceRequest::decode(&body[..]).expect("decodes");
                for rl in &req.resource_logs {
                    for sl in &rl.scope_logs {
                        for l in &sl.log_records {
                            rules::log(reg, out, l);
                            counts.2 += 1;
                        }
                    }
                }
            }
        }
    }
    counts
}

#[test]
fn every_stock_scenario_follows_the_pinned_conventions() {
    let reg = Registry::load(&root().join("docs/semconv"));
    assert!(reg.metrics.contains_key("http.server.request.duration"));
    assert!(reg.deprecated.contains("peer.service"));
    let mut problems = BTreeSet::new();
    let scenarios = stock();
    assert!(scenarios.len() >= 10, "{scenarios:?}");
    for path in &scenarios {
        let mut out = Vec::new();
        let (spans, metrics, logs) = check(&reg, &run(path), &mut out);
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into());
        assert!(spans + metrics + logs > 0, "{name} emitted nothing");
        problems.extend(out.into_iter().map(|p| format!("{name}: {p}")));
    }
    let list: Vec<&String> = problems.iter().take(60).collect();
    assert!(
        problems.is_empty(),
        "{} deviations:\n{list:#?}",
        problems.len()
    );
}

#[test]
fn the_rules_catch_what_they_are_about() {
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span, Status};
    let reg = Registry::load(&root().join("docs/semconv"));
    let kv = |k: &str, v: any_value::Value| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let s = |v: &str| any_value::Value::StringValue(v.into());
    // An HTTP server span with a 404 marked ERROR, a templated path and the
    // deprecated peer.service: each is caught.
    let span = Span {
        name: "GET /users/{id}".into(),
        kind: SpanKind::Server as i32,
        attributes: vec![
            kv("http.request.method", s("GET")),
            kv("http.route", s("/users/{id}")),
            kv("url.path", s("/users/{id}")),
            kv("url.scheme", s("https")),
            kv("server.port", any_value::Value::IntValue(443)),
            kv("http.response.status_code", any_value::Value::IntValue(404)),
            kv("error.type", s("404")),
            kv("peer.service", s("x")),
        ],
        status: Some(Status {
            code: 2,
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut out = Vec::new();
    rules::span(&reg, &mut out, &span);
    let all = out.join("\n");
    for expected in [
        "code 404 with status Error",
        "url.path is a template",
        "`peer.service`",
    ] {
        assert!(all.contains(expected), "{expected} not caught in:\n{all}");
    }
}
