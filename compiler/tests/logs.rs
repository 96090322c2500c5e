//! Lowering logs to generators: a stream's level, message and attributes,
//! and a span rule's level and message, reach the pack as what the runtime
//! draws per record (not pre-sampled templates); `variants N` on a stream
//! becomes N fixed (level, message) shapes; levels and messages that are not
//! strings are reported.

use std::path::Path;

use tsim_compiler::lower::lower;
use tsim_compiler::{check_file, check_source, Model, Options};
use tsim_pack::{AttrValue, Gen, Pack, Part};

fn model(src: &str) -> Model {
    let out = check_source("test.tsim", src, &Options::default());
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
    assert!(codes.is_empty(), "unexpected diagnostics: {codes:?}");
    out.model.expect("a clean scenario has a model")
}

fn pack(src: &str) -> Pack {
    let p = lower(&model(src)).expect("the scenario lowers");
    let back = tsim_pack::decode(&tsim_pack::encode(&p)).expect("the pack validates");
    assert_eq!(back, p);
    p
}

fn text(p: &Pack, id: u32) -> &str {
    p.strings.get(id as usize).map_or("", String::as_str)
}

/// A pick's choices as (text, weight), or a constant's text with weight 1.
fn texts<'p>(p: &'p Pack, g: &Gen) -> Vec<(&'p str, f64)> {
    let one = |v: &AttrValue| match v {
        AttrValue::Str(s) => text(p, *s),
        other => panic!("not a string: {other:?}"),
    };
    match g {
        Gen::Const(v) => vec![(one(v), 1.0)],
        Gen::Pick(choices) => choices.iter().map(|(v, w)| (one(v), *w)).collect(),
        other => panic!("not a string generator: {other:?}"),
    }
}

/// The constant attributes of set `set`, as (key, value).
fn consts(p: &Pack, set: u32) -> Vec<(&str, AttrValue)> {
    p.attr_sets[set as usize]
        .iter()
        .map(|a| (text(p, a.key), a.value))
        .collect()
}

const WORKER: &str = r#"
    service "api" { endpoint "GET /" { latency 5ms } }
    logs "worker" {
      service "api"
      rate 500/s
      level pick { DEBUG: 20, INFO: 55, WARN: 15, ERROR: 10 }
      message pick { "order {order.id} paid": 3, "order {order.id} cancelled": 1 }
      attributes {
        log.source = "worker"
        order.id = pool(1000000, "ord-{n:08}")
        reason = maybe(10%, pick { "timeout": 2, "fraud": 1 })
      }
    }
"#;

#[test]
fn a_stream_lowers_to_generators_drawn_per_record() {
    let p = pack(WORKER);
    let [s] = p.logs.streams.as_slice() else {
        panic!("one stream, got {:?}", p.logs.streams);
    };
    assert_eq!(text(&p, s.name), "worker");
    assert_eq!(s.resource, 0);
    assert_eq!(s.rate, 500.0);
    assert_eq!(s.shapes, 0, "no variants: every record is drawn afresh");
    // The declared weights, not a quantised sample of them.
    assert_eq!(
        texts(&p, &s.level),
        [
            ("DEBUG", 20.0),
            ("INFO", 55.0),
            ("WARN", 15.0),
            ("ERROR", 10.0)
        ]
    );
    // Templates with their placeholders, for the runtime to fill.
    assert_eq!(
        texts(&p, &s.message),
        [
            ("order {order.id} paid", 3.0),
            ("order {order.id} cancelled", 1.0)
        ]
    );
    let log_source = p.strings.iter().position(|t| t == "worker").unwrap() as u32;
    assert_eq!(
        consts(&p, s.attrs),
        [("log.source", AttrValue::Str(log_source))]
    );
    let gens: Vec<&str> = s.gen_attrs.iter().map(|g| text(&p, g.key)).collect();
    assert_eq!(gens, ["order.id", "reason"]);
    match &s.gen_attrs[0].gen {
        Gen::Pool { size, pattern } => {
            assert_eq!(*size, 1_000_000);
            assert!(matches!(
                pattern.as_slice(),
                [Part::Lit(_), Part::Counter(8)]
            ));
        }
        other => panic!("order.id should be a pool, got {other:?}"),
    }
    assert!(matches!(&s.gen_attrs[1].gen, Gen::Maybe(p, _) if *p == 0.1));
}

#[test]
fn declared_variants_become_stream_shapes() {
    let src = WORKER.replace("rate 500/s", "rate 500/s  variants 100");
    let p = pack(&src);
    assert_eq!(p.logs.streams[0].shapes, 100);
    // Attribute values are still drawn per record.
    assert!(matches!(
        p.logs.streams[0].gen_attrs[0].gen,
        Gen::Pool {
            size: 1_000_000,
            ..
        }
    ));
    // The scenario's trace `variants` are not log shapes.
    let src = format!("scenario \"s\" {{ variants 8 }}\n{WORKER}");
    assert_eq!(pack(&src).logs.streams[0].shapes, 0);
}

#[test]
fn a_stream_defaults_to_info_and_may_have_no_service() {
    let p = pack(r#"logs "tick" { rate 1/s  message "tick" }"#);
    let s = &p.logs.streams[0];
    assert_eq!(s.resource, tsim_pack::NONE);
    assert_eq!(texts(&p, &s.level), [("INFO", 1.0)]);
    assert_eq!(texts(&p, &s.message), [("tick", 1.0)]);
    assert!(consts(&p, s.attrs).is_empty() && s.gen_attrs.is_empty());
}

#[test]
fn span_rules_lower_their_level_and_message_to_generators() {
    let p = pack(
        r#"
        service "api" { endpoint "GET /" { latency 5ms } }
        logs from spans {
          access level pick { DEBUG: 20, INFO: 55, WARN: 15, ERROR: 10 }
          errors level ERROR
            message pick { "{operation} failed: {error.type}": 3, "upstream {peer} failed": 1 }
            attributes { log.source = "span"  attempt = 1..3 }
        }
    "#,
    );
    let [access, errors] = p.logs.span_rules.as_slice() else {
        panic!("two rules, got {:?}", p.logs.span_rules);
    };
    assert!(!access.errors_only && errors.errors_only);
    assert_eq!(
        texts(&p, &access.level),
        [
            ("DEBUG", 20.0),
            ("INFO", 55.0),
            ("WARN", 15.0),
            ("ERROR", 10.0)
        ]
    );
    assert_eq!(
        texts(&p, &access.message),
        [("{request} {status} {duration_ms}ms", 1.0)]
    );
    assert_eq!(texts(&p, &errors.level), [("ERROR", 1.0)]);
    assert_eq!(
        texts(&p, &errors.message),
        [
            ("{operation} failed: {error.type}", 3.0),
            ("upstream {peer} failed", 1.0)
        ]
    );
    let keys: Vec<&str> = consts(&p, errors.attrs).iter().map(|a| a.0).collect();
    assert_eq!(keys, ["log.source"]);
    assert!(matches!(
        errors.gen_attrs.as_slice(),
        [g] if text(&p, g.key) == "attempt" && g.gen == Gen::IntRange(1, 3)
    ));
}

#[test]
fn the_default_span_rules_have_constant_levels_and_messages() {
    let p = pack(
        r#"service "api" { endpoint "GET /" { latency 5ms } }
           logs from spans { access errors }"#,
    );
    let [access, errors] = p.logs.span_rules.as_slice() else {
        panic!("two rules");
    };
    assert_eq!(texts(&p, &access.level), [("INFO", 1.0)]);
    assert_eq!(texts(&p, &errors.level), [("ERROR", 1.0)]);
    assert_eq!(
        texts(&p, &errors.message),
        [("{request} failed: {error.type}", 1.0)]
    );
}

#[test]
fn levels_and_messages_must_be_strings() {
    for (what, src) in [
        (
            "number level",
            r#"logs "l" { rate 1/s  level 5  message "m" }"#,
        ),
        (
            "range level",
            r#"logs "l" { rate 1/s  level 1..3  message "m" }"#,
        ),
        (
            "maybe level",
            r#"logs "l" { rate 1/s  level maybe(50%, "INFO")  message "m" }"#,
        ),
        (
            "pool message",
            r#"logs "l" { rate 1/s  message pool(10, "m-{n}") }"#,
        ),
        (
            "numbers in a message pick",
            r#"logs "l" { rate 1/s  message pick { 1: 2, "m": 1 } }"#,
        ),
        (
            "span rule level",
            r#"service "api" { endpoint "GET /" { } } logs from spans { errors level chance(50%) }"#,
        ),
    ] {
        let out = check_source("test.tsim", src, &Options::default());
        let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
        assert_eq!(codes, ["tsim::unit_mismatch"], "{what}");
        assert!(out.model.is_none(), "{what}");
    }
}

#[test]
fn message_pick_templates_are_checked_like_a_single_message() {
    let src = r#"logs "l" { rate 1/s  message pick { "ok {id}": 1, "broken {id": 1 } }"#;
    let out = check_source("test.tsim", src, &Options::default());
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
    assert_eq!(codes, ["tsim::bad_pattern"]);
}

#[test]
fn lowering_logs_is_deterministic() {
    let a = tsim_pack::encode(&pack(WORKER));
    let b = tsim_pack::encode(&pack(WORKER));
    assert_eq!(a, b);
}

#[test]
fn every_shipped_scenario_lowers_to_valid_logs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut paths = Vec::new();
    for sub in [dir.clone(), dir.join("triage")] {
        for entry in std::fs::read_dir(&sub).expect("scenarios/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "tsim") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 10, "{paths:?}");
    for path in paths {
        let out = check_file(&path, &Options::default());
        let m = out
            .model
            .unwrap_or_else(|| panic!("{} checks", path.display()));
        let p = lower(&m).unwrap_or_else(|e| panic!("{} lowers: {e}", path.display()));
        tsim_pack::decode(&tsim_pack::encode(&p))
            .unwrap_or_else(|e| panic!("{} validates: {e}", path.display()));
    }
}
