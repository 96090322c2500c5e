//! The conventions suite: every stock scenario is run for a short while,
//! what it emits is decoded with the official OTLP types, and each
//! resource, span, span event, metric and log record is checked against
//! the rules of the pinned semantic conventions (1.44.0): required
//! attributes, span names, status rules, metric names, instruments and
//! units from the release's own registry, the attributes of the duration
//! histograms, and no deprecated names anywhere (see `docs/conventions.md`).

#[path = "conventions/rules.rs"]
mod rules;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
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

/// What one run emitted, counted.
#[derive(Default)]
struct Counts {
    spans: u64,
    metrics: u64,
    logs: u64,
    /// HTTP client spans whose `url.full` path matched their server span's.
    urls: u64,
    /// gRPC spans, and those that failed.
    grpc: u64,
    grpc_failed: u64,
}

/// Every HTTP client span's `url.full` path is its server span's
/// `url.path` (spans of a trace may sit in different requests).
#[derive(Default)]
struct Urls {
    /// Client span id -> (span name, url.full path).
    clients: HashMap<Vec<u8>, (String, String)>,
    /// Parent span id -> url.path of an HTTP server span.
    servers: HashMap<Vec<u8>, String>,
}

impl Urls {
    fn add(&mut self, s: &Span) {
        let a = &s.attributes;
        if rules::get(a, "http.request.method").is_none() {
            return;
        }
        if s.kind == SpanKind::Client as i32 {
            if let Ok(path) = rules::url_full_path(a) {
                self.clients
                    .insert(s.span_id.clone(), (s.name.clone(), path));
            }
        } else if s.kind == SpanKind::Server as i32 {
            if let Some(path) = rules::get(a, "url.path") {
                self.servers.insert(s.parent_span_id.clone(), path);
            }
        }
    }

    /// Compares each client with its server span; returns the matches.
    fn check(&self, out: &mut Vec<String>) -> u64 {
        let mut matched = 0;
        for (id, (name, path)) in &self.clients {
            match self.servers.get(id) {
                Some(p) if p == path => matched += 1,
                Some(p) => out.push(format!(
                    "http client: `{name}` url.full path `{path}`, its server span's url.path `{p}`"
                )),
                None => out.push(format!("http client: `{name}` has no server span")),
            }
        }
        matched
    }
}

fn check(reg: &Registry, c: &Collected, out: &mut Vec<String>) -> Counts {
    let mut counts = Counts::default();
    let mut urls = Urls::default();
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
                            urls.add(s);
                            counts.spans += 1;
                            if rules::get(&s.attributes, "rpc.system.name").as_deref()
                                == Some("grpc")
                            {
                                counts.grpc += 1;
                                counts.grpc_failed += u64::from(
                                    rules::get(&s.attributes, "rpc.response.status_code")
                                        .is_some_and(|c| c != "OK"),
                                );
                            }
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
                            counts.metrics += 1;
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
                            counts.logs += 1;
                        }
                    }
                }
            }
        }
    }
    counts.urls = urls.check(out);
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
    let mut total = Counts::default();
    for path in &scenarios {
        let mut out = Vec::new();
        let c = check(&reg, &run(path), &mut out);
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into());
        assert!(c.spans + c.metrics + c.logs > 0, "{name} emitted nothing");
        problems.extend(out.into_iter().map(|p| format!("{name}: {p}")));
        total.urls += c.urls;
        total.grpc += c.grpc;
        total.grpc_failed += c.grpc_failed;
    }
    // The rules about url.full and gRPC codes had something to check.
    assert!(total.urls > 1000, "{} url.full checked", total.urls);
    assert!(
        total.grpc > 1000 && total.grpc_failed > 10,
        "{} gRPC spans, {} failed",
        total.grpc,
        total.grpc_failed
    );
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
    // A gRPC server span failed with NOT_FOUND (not a server error), a
    // gRPC client span with an integer code, an HTTP client span whose
    // url.full names another host and a template path.
    let error = Some(Status {
        code: 2,
        ..Default::default()
    });
    let grpc = |kind: SpanKind, code: any_value::Value| Span {
        name: "charge".into(),
        kind: kind as i32,
        attributes: vec![
            kv("rpc.system.name", s("grpc")),
            kv("rpc.method", s("charge")),
            kv("server.address", s("payment-service")),
            kv("rpc.response.status_code", code),
            kv("error.type", s("NOT_FOUND")),
        ],
        status: error.clone(),
        ..Default::default()
    };
    let client = Span {
        name: "GET /users/{id}".into(),
        kind: SpanKind::Client as i32,
        attributes: vec![
            kv("http.request.method", s("GET")),
            kv("url.template", s("/users/{id}")),
            kv("url.full", s("https://elsewhere:443/users/{id}")),
            kv("service.peer.name", s("user-service")),
            kv("server.address", s("user-service")),
            kv("server.port", any_value::Value::IntValue(443)),
        ],
        ..Default::default()
    };
    let mut out = Vec::new();
    rules::span(&reg, &mut out, &grpc(SpanKind::Server, s("NOT_FOUND")));
    rules::span(
        &reg,
        &mut out,
        &grpc(SpanKind::Client, any_value::Value::IntValue(5)),
    );
    rules::span(&reg, &mut out, &client);
    let all = out.join("\n");
    for expected in [
        "code NOT_FOUND with error=true",
        "no string rpc.response.status_code",
        "authority is not server.address:server.port",
    ] {
        assert!(all.contains(expected), "{expected} not caught in:\n{all}");
    }
    let mut fixed = client.attributes.clone();
    fixed[2] = kv("url.full", s("https://user-service:443/users/{id}"));
    assert!(rules::url_full_path(&fixed).is_err_and(|e| e.contains("not concrete")));
    fixed[2] = kv("url.full", s("https://user-service:443/users/42"));
    assert_eq!(rules::url_full_path(&fixed).as_deref(), Ok("/users/42"));
}
