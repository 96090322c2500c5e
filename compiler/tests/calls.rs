//! Lowering endpoints to call programs: one program per endpoint, roots
//! and their weights, step options, attributes split into constant and
//! generated ones, the hop, and the expected-size limit.

use std::path::Path;

use tsim_compiler::lower::lower;
use tsim_compiler::{check_file, check_source, Kind, Model, Options};
use tsim_pack::{AttrValue, Dist, EndpointProgram, Gen, OnError, Pack, Protocol, Step};

fn model(src: &str) -> Model {
    let out = check_source("test.tsim", src, &Options::default());
    let kinds: Vec<&Kind> = out.diagnostics.iter().map(|d| &d.kind).collect();
    assert!(kinds.is_empty(), "unexpected diagnostics: {kinds:?}");
    out.model.expect("a clean scenario has a model")
}

/// The message and help of the `tsim::too_big` diagnostic that checking
/// `src` reports (a trace too big is refused by `tsim check` already).
fn too_big(src: &str) -> String {
    let out = check_source("test.tsim", src, &Options::default());
    let found = out
        .diagnostics
        .iter()
        .find(|d| d.kind.code() == "tsim::too_big");
    match found {
        Some(d) => format!("{} {}", d.kind.message(), d.kind.help().unwrap_or_default()),
        None => panic!("no tsim::too_big among {:?}", out.diagnostics),
    }
}

fn pack(src: &str) -> Pack {
    lower(&model(src)).expect("the scenario lowers")
}

fn checkout() -> Pack {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/checkout.tsim");
    let out = check_file(&path, &Options::default());
    let m = out.model.expect("checkout.tsim checks");
    lower(&m).expect("checkout.tsim lowers")
}

fn text(p: &Pack, id: u32) -> &str {
    p.strings.get(id as usize).map_or("", String::as_str)
}

fn endpoint<'p>(p: &'p Pack, name: &str) -> &'p EndpointProgram {
    p.calls
        .endpoints
        .iter()
        .find(|e| text(p, e.name) == name)
        .expect("the endpoint has a program")
}

/// Every step, parallel blocks flattened.
fn flat(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::new();
    for s in steps {
        match s {
            Step::Parallel(inner) => out.extend(flat(inner)),
            s => out.push(s),
        }
    }
    out
}

/// The endpoint's span attribute keys: constant, then generated.
fn keys(p: &Pack, e: &EndpointProgram) -> Vec<String> {
    let set = p
        .attr_sets
        .get(e.attrs as usize)
        .cloned()
        .unwrap_or_default();
    let consts = set.iter().map(|a| text(p, a.key).to_string());
    let gens = e.gen_attrs.iter().map(|g| text(p, g.key).to_string());
    consts.chain(gens).collect()
}

#[test]
fn checkout_has_one_program_per_endpoint_in_model_order() {
    let p = checkout();
    let names: Vec<&str> = p.calls.endpoints.iter().map(|e| text(&p, e.name)).collect();
    assert_eq!(
        names,
        [
            "GET /checkout",
            "POST /orders",
            "GET /users/{id}",
            "charge",
            "reserve"
        ]
    );
    let services: Vec<&str> = p
        .calls
        .endpoints
        .iter()
        .map(|e| text(&p, p.resources[e.resource as usize].name))
        .collect();
    assert_eq!(
        services,
        [
            "api-gateway",
            "order-service",
            "user-service",
            "payment-service",
            "inventory-service"
        ]
    );
    let gateway = endpoint(&p, "GET /checkout");
    assert!(matches!(gateway.protocol, Protocol::Http { method, route }
        if text(&p, method) == "GET" && text(&p, route) == "/checkout"));
    assert_eq!(endpoint(&p, "charge").protocol, Protocol::Rpc);
    assert_eq!(gateway.errors.rate, 0.005);
    let charge = endpoint(&p, "charge");
    assert!(
        matches!(&charge.errors.error_type, Some(Gen::Const(AttrValue::Str(s)))
        if text(&p, *s) == "PaymentGatewayTimeout")
    );
    assert!(matches!(&charge.errors.status, Some(Gen::Pick(codes)) if codes.len() == 2));
    assert!(
        matches!(charge.latency, Dist::LogNormal { mu, .. } if (mu - 0.12f64.ln()).abs() < 1e-9)
    );
}

#[test]
fn checkout_has_one_root_with_all_the_traffic() {
    let p = checkout();
    let roots = &p.calls.roots;
    assert_eq!(roots.len(), 1);
    assert_eq!(
        text(&p, p.calls.endpoints[roots[0].endpoint as usize].name),
        "GET /checkout"
    );
    let total: f64 = roots.iter().map(|r| r.weight).sum();
    assert!((total - 1.0).abs() < 1e-12, "weights sum to {total}");
    assert!(
        roots.iter().all(|r| r.shapes == 0),
        "no variants declared: shapes are drawn"
    );
}

#[test]
fn checkout_calls_point_at_their_callees() {
    let p = checkout();
    let gateway = endpoint(&p, "GET /checkout");
    let callees: Vec<&str> = flat(&gateway.steps)
        .iter()
        .filter_map(|s| match s {
            Step::Call { endpoint, .. } => {
                Some(text(&p, p.calls.endpoints[*endpoint as usize].name))
            }
            _ => None,
        })
        .collect();
    assert_eq!(callees, ["GET /users/{id}", "POST /orders"]);
    let Some(Step::Call { attrs, .. }) = gateway.steps.first() else {
        panic!("the first step is a call");
    };
    let attrs: Vec<(&str, String)> = p.attr_sets[*attrs as usize]
        .iter()
        .map(|a| match a.value {
            AttrValue::Str(s) => (text(&p, a.key), text(&p, s).to_string()),
            v => (text(&p, a.key), format!("{v:?}")),
        })
        .collect();
    assert_eq!(
        attrs,
        [
            ("service.peer.name", "user-service".to_string()),
            ("http.request.method", "GET".to_string()),
            ("url.template", "/users/{id}".to_string()),
            ("server.address", "user-service".to_string()),
            ("server.port", "Int(443)".to_string()),
        ]
    );
    let orders = endpoint(&p, "POST /orders");
    assert!(
        matches!(orders.steps.first(), Some(Step::Internal { program, .. }) if program.steps.is_empty())
    );
    assert!(matches!(orders.steps.get(1), Some(Step::Parallel(inner)) if inner.len() == 2));
}

#[test]
fn checkout_query_keeps_its_retries_and_timeout() {
    let p = checkout();
    let reserve = endpoint(&p, "reserve");
    let Some(Step::Query { call, options }) = reserve.steps.first() else {
        panic!("reserve queries postgres");
    };
    assert_eq!(options.retries, 2);
    assert_eq!(options.timeout_ns, Some(200_000_000));
    assert_eq!(options.chance, 1.0);
    assert_eq!(options.repeat, Dist::Constant(1.0));
    assert_eq!(options.on_error, OnError::Fail);
    assert_eq!(text(&p, call.name), "UPDATE stock");
    assert_eq!(
        text(&p, p.resources[call.backend as usize].name),
        "postgres"
    );
    assert_eq!(call.kind, tsim_pack::SpanKind::Client);
    assert!(matches!(call.latency, Dist::LogNormal { .. }));
}

#[test]
fn span_attributes_split_into_constant_and_generated_once_each() {
    let p = checkout();
    let users = endpoint(&p, "GET /users/{id}");
    let keys = keys(&p, users);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "a key appears twice: {keys:?}");
    assert_eq!(
        keys.first().map(String::as_str),
        Some("http.request.method")
    );
    // `url.path` from the route template, then the declared `user.id`.
    assert_eq!(users.gen_attrs.len(), 2);
    assert_eq!(text(&p, users.gen_attrs[0].key), "url.path");
    assert!(matches!(
        &users.gen_attrs[0].gen,
        Gen::Pool { size: 100_000, .. }
    ));
    assert_eq!(text(&p, users.gen_attrs[1].key), "user.id");
    assert!(matches!(
        &users.gen_attrs[1].gen,
        Gen::Pool { size: 5000, .. }
    ));
}

#[test]
fn later_attributes_override_earlier_ones() {
    let p = pack(
        r#"
        attributes { tier = "global"  region = "eu"  sampled = chance(50%) }
        service "api" {
          attributes { tier = pick { "a": 1, "b": 1 }  sampled = true }
          endpoint "GET /" { latency 5ms  attributes { tier = "edge"  http.route = "/custom" } }
        }
        "#,
    );
    let e = endpoint(&p, "GET /");
    let consts: Vec<(&str, AttrValue)> = p.attr_sets[e.attrs as usize]
        .iter()
        .map(|a| (text(&p, a.key), a.value))
        .collect();
    let get = |k: &str| consts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    assert!(matches!(get("tier"), Some(AttrValue::Str(s)) if text(&p, s) == "edge"));
    assert!(matches!(get("http.route"), Some(AttrValue::Str(s)) if text(&p, s) == "/custom"));
    assert_eq!(get("sampled"), Some(AttrValue::Bool(true)));
    assert!(
        e.gen_attrs.is_empty(),
        "every generator was overridden by a constant"
    );
    let keys = keys(&p, e);
    assert_eq!(keys.iter().filter(|k| *k == "tier").count(), 1);
    assert_eq!(keys.iter().filter(|k| *k == "http.route").count(), 1);
}

#[test]
fn on_error_ignore_reaches_the_pack() {
    let p = pack(
        r#"
        service "api" {
          endpoint "GET /" {
            call "recs" "top" on_error ignore timeout 50ms
            query "cache" "GET key" on_error ignore
            publish "bus" "seen" on_error fail
          }
        }
        service "recs" { endpoint "top" { latency 5ms } }
        database "cache" { system redis }
        queue "bus" { system kafka }
        service "audit" { endpoint "record" { consume "bus" "seen" } }
        "#,
    );
    let e = endpoint(&p, "GET /");
    let modes: Vec<OnError> = e
        .steps
        .iter()
        .map(|s| match s {
            Step::Call { options, .. }
            | Step::Query { options, .. }
            | Step::Publish { options, .. }
            | Step::Internal { options, .. } => options.on_error,
            Step::Parallel(_) => OnError::Fail,
        })
        .collect();
    assert_eq!(modes, [OnError::Ignore, OnError::Ignore, OnError::Fail]);
    let Some(Step::Publish {
        consumers, call, ..
    }) = e.steps.get(2)
    else {
        panic!("the third step publishes");
    };
    assert_eq!(text(&p, call.name), "send seen");
    let audit: Vec<&str> = consumers
        .iter()
        .map(|c| text(&p, p.calls.endpoints[*c as usize].name))
        .collect();
    assert_eq!(audit, ["record"]);
    assert_eq!(
        p.calls.endpoints[consumers[0] as usize].protocol,
        Protocol::Consumer
    );
}

#[test]
fn unknown_on_error_word_is_reported_with_a_suggestion() {
    let src = r#"
        service "api" { endpoint "GET /" { call "recs" "top" on_error ignor } }
        service "recs" { endpoint "top" { latency 5ms } }
    "#;
    let out = check_source("test.tsim", src, &Options::default());
    assert!(out.model.is_none());
    let [d] = out.diagnostics.as_slice() else {
        panic!("one diagnostic, got {:?}", out.diagnostics);
    };
    assert_eq!(d.kind.code(), "tsim::unknown_on_error");
    assert_eq!(d.kind.message(), "unknown error handling `on_error ignor`");
    assert_eq!(d.kind.help().as_deref(), Some("did you mean `ignore`?"));

    let far = src.replace("ignor", "skip");
    let out = check_source("test.tsim", &far, &Options::default());
    let help = out.diagnostics.first().and_then(|d| d.kind.help());
    assert!(help.is_some_and(|h| h.starts_with("try `on_error ignore`")));
}

#[test]
fn on_error_takes_a_word() {
    let src = r#"service "api" { endpoint "GET /" { query "db" "SELECT 1" on_error 5 } }
        database "db" { }"#;
    let out = check_source("test.tsim", src, &Options::default());
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
    assert_eq!(codes, ["tsim::unit_mismatch"]);
}

#[test]
fn hop_defaults_to_lognormal_200us_1ms_and_can_be_set() {
    let p = pack(r#"service "api" { endpoint "GET /" { latency 5ms } }"#);
    let Dist::LogNormal { mu, sigma } = p.calls.hop else {
        panic!("the default hop is lognormal, got {:?}", p.calls.hop);
    };
    assert!((mu - 200e-6f64.ln()).abs() < 1e-12);
    let p99 = (mu + 2.326_347_874_040_841 * sigma).exp();
    assert!((p99 - 1e-3).abs() < 1e-12);
    assert_eq!(p.calls.stagger, Dist::Exponential { mean: 50e-6 });

    let p = pack(
        r#"scenario "s" { hop lognormal(median: 300us, p99: 2ms) }
        service "api" { endpoint "GET /" { latency 5ms } }"#,
    );
    assert!(
        matches!(p.calls.hop, Dist::LogNormal { mu, .. } if (mu - 300e-6f64.ln()).abs() < 1e-12)
    );
    let p = pack(r#"scenario "s" { hop 1ms } service "api" { endpoint "GET /" { } }"#);
    assert_eq!(p.calls.hop, Dist::Constant(0.001));
}

#[test]
fn hop_is_a_duration() {
    let out = check_source(
        "test.tsim",
        r#"scenario "s" { hop 200/s } service "api" { endpoint "GET /" { } }"#,
        &Options::default(),
    );
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
    assert_eq!(codes, ["tsim::unit_mismatch"]);
}

#[test]
fn variants_become_shapes_of_roots() {
    let p = pack(
        r#"scenario "s" { variants 8 }
        service "api" {
          endpoint "GET /a" { weight 75% }
          endpoint "GET /b" { variants 3 }
        }"#,
    );
    let shapes: Vec<(u32, f64)> = p.calls.roots.iter().map(|r| (r.shapes, r.weight)).collect();
    assert_eq!(shapes, [(8, 0.75), (3, 0.25)]);
}

#[test]
fn roots_split_evenly_across_services_then_by_weight() {
    let p = pack(
        r#"
        service "web" { endpoint "GET /" { call "core" "work" }  endpoint "GET /b" { weight 20% } }
        service "cron" { endpoint "tick" { } }
        service "core" { endpoint "work" { } }
        "#,
    );
    let roots: Vec<(&str, f64)> = p
        .calls
        .roots
        .iter()
        .map(|r| {
            (
                text(&p, p.calls.endpoints[r.endpoint as usize].name),
                r.weight,
            )
        })
        .collect();
    assert_eq!(roots.len(), 3);
    let total: f64 = roots.iter().map(|r| r.1).sum();
    assert!((total - 1.0).abs() < 1e-12);
    assert_eq!(roots[0].0, "GET /");
    assert!((roots[0].1 - 0.4).abs() < 1e-12);
    assert!((roots[1].1 - 0.1).abs() < 1e-12);
    assert_eq!(roots[2], ("tick", 0.5));
}

#[test]
fn out_of_range_counts_are_rejected_not_clamped() {
    for (src, what) in [
        (
            r#"service "a" { endpoint "e" { call "b" "f" retries 101 } } service "b" { endpoint "f" { } }"#,
            "retries",
        ),
        (r#"scenario "s" { variants 2000000 }"#, "variants"),
    ] {
        let out = check_source("test.tsim", src, &Options::default());
        let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
        assert_eq!(codes, ["tsim::out_of_range"], "{what}");
    }
}

#[test]
fn a_trace_expected_to_exceed_a_million_spans_is_an_error() {
    let src = r#"
        service "batch" { endpoint "run" { call "worker" "shard" repeat 1000 } }
        service "worker" { endpoint "shard" { query "db" "UPDATE rows" repeat 1000 } }
        database "db" { }
    "#;
    let err = too_big(src);
    assert!(err.contains("`batch` \"run\""), "{err}");
    assert!(err.contains("1.0e6 spans a trace"), "{err}");

    let fits = r#"
        service "batch" { endpoint "run" { call "worker" "shard" repeat 1000 chance 50% } }
        service "worker" { endpoint "shard" { query "db" "UPDATE rows" repeat 1000 } }
        database "db" { }
    "#;
    assert!(lower(&model(fits)).is_ok(), "about 501,001 spans is fine");
}

#[test]
fn a_repeat_without_a_finite_mean_is_an_error() {
    let src = r#"
        service "api" { endpoint "GET /" { query "db" "SELECT 1" repeat pareto(scale: 1, shape: 1) } }
        database "db" { }
    "#;
    let err = too_big(src);
    assert!(err.contains("unbounded"), "{err}");
}

#[test]
fn consumers_count_towards_the_trace_size() {
    let src = r#"
        service "api" { endpoint "POST /" { publish "bus" "t" repeat 1000 } }
        service "sink" { endpoint "eat" { consume "bus" "t"  query "db" "INSERT x" repeat 1000 } }
        queue "bus" { }
        database "db" { }
    "#;
    let err = too_big(src);
    assert!(err.contains("`api` \"POST /\""), "{err}");
}

#[test]
fn the_lowered_pack_survives_the_codec() {
    let p = checkout();
    let back = tsim_pack::decode(&tsim_pack::encode(&p)).expect("the pack validates");
    assert_eq!(back, p);
}

#[test]
fn retries_count_towards_the_trace_size() {
    // Three levels of `retries 100`: up to 101^3 attempts of the leaf
    // query, as many client spans, so the bound is far above a million
    // even though each level makes 2 spans per attempt on average.
    let src = r#"
        service "a" { endpoint "GET /" { call "b" "f" retries 100 timeout 1us } }
        service "b" { endpoint "f" { call "c" "g" retries 100 timeout 1us } }
        service "c" { endpoint "g" { query "db" "SELECT 1" retries 100 timeout 1us } }
        database "db" { }
    "#;
    let err = too_big(src);
    assert!(err.contains("`a` \"GET /\""), "{err}");

    // Without the retries the same trace holds 6 spans.
    let plain = r#"
        service "a" { endpoint "GET /" { call "b" "f" timeout 1us } }
        service "b" { endpoint "f" { call "c" "g" timeout 1us } }
        service "c" { endpoint "g" { query "db" "SELECT 1" timeout 1us } }
        database "db" { }
    "#;
    assert!(lower(&model(plain)).is_ok());

    // 1000 x 1000 queries fit (about 1,002,001 spans is the limit's
    // neighbour, see above); with `retries 1` on the inner query they
    // count twice and no longer do.
    let fits = r#"
        service "batch" { endpoint "run" { call "worker" "shard" repeat 1000 chance 40% } }
        service "worker" { endpoint "shard" { query "db" "UPDATE rows" repeat 1000 } }
        database "db" { }
    "#;
    assert!(lower(&model(fits)).is_ok(), "about 400,801 spans is fine");
    let retried = fits.replace("repeat 1000 }", "repeat 1000 retries 2 }");
    let err = too_big(&retried);
    assert!(err.contains("`batch` \"run\""), "{err}");
}

#[test]
fn a_wide_normal_repeat_counts_its_rounded_positive_part() {
    // `normal(mean: 1, sd: 2000)`: max(0, mean) is 1, but half the draws
    // are positive and average about 1,600 after rounding, so the expected
    // count is about 800. 800 x 1,300 queries is over the limit, while
    // 1 x 1,300 would not be.
    let src = r#"
        service "a" { endpoint "GET /" { call "b" "f" repeat normal(mean: 1, sd: 2000) } }
        service "b" { endpoint "f" { query "db" "SELECT 1" repeat 1300 } }
        database "db" { }
    "#;
    let err = too_big(src);
    assert!(err.contains("`a` \"GET /\""), "{err}");

    // A narrow normal is its mean: 15 x 1302 spans.
    let narrow = src
        .replace("sd: 2000", "sd: 1")
        .replace("mean: 1,", "mean: 15,");
    assert!(lower(&model(&narrow)).is_ok());
}

#[test]
fn the_size_estimate_is_the_same_every_time() {
    let src = r#"
        service "a" { endpoint "GET /" { call "b" "f" repeat normal(mean: 1, sd: 2000) } }
        service "b" { endpoint "f" { query "db" "SELECT 1" repeat 1300 } }
        database "db" { }
    "#;
    let first = too_big(src);
    for _ in 0..5 {
        assert_eq!(too_big(src), first);
    }
}

#[test]
fn the_stock_batch_trace_still_fits() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/ingest-load.tsim");
    let out = check_file(&path, &Options::default());
    let m = out.model.expect("ingest-load.tsim checks");
    assert!(lower(&m).is_ok(), "its ~100,000-span batch root fits");
}
