//! Checking and lowering the timeline: repeating entries' events, windows
//! that overrides need, `every` periods, failure status codes, and the
//! nesting limits the pack enforces.

use tsim_compiler::lower::lower;
use tsim_compiler::{check_source, Kind, Model, Options};
use tsim_pack::program::Op;
use tsim_pack::{EventDef, Pack, MAX_CALL_DEPTH, MAX_STEP_DEPTH};

fn model(src: &str) -> Model {
    let out = check_source("test.tsim", src, &Options::default());
    let kinds: Vec<&Kind> = out.diagnostics.iter().map(|d| &d.kind).collect();
    assert!(kinds.is_empty(), "unexpected diagnostics: {kinds:?}");
    out.model.expect("a clean scenario has a model")
}

fn pack(src: &str) -> Pack {
    lower(&model(src)).expect("the scenario lowers")
}

/// The codes of every diagnostic of `src`.
fn codes(src: &str) -> Vec<&'static str> {
    let out = check_source("test.tsim", src, &Options::default());
    out.diagnostics.iter().map(|d| d.kind.code()).collect()
}

fn text(p: &Pack, id: u32) -> &str {
    p.strings.get(id as usize).map_or("", String::as_str)
}

fn kinds(p: &Pack) -> Vec<&str> {
    p.events.iter().map(|e| text(p, e.kind)).collect()
}

/// The ops of each timeline block (`AT` or `EVERY` and what follows it).
fn blocks(p: &Pack) -> Vec<&[Op]> {
    let starts: Vec<usize> = p
        .program
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op, Op::At { .. } | Op::Every { .. }))
        .map(|(i, _)| i)
        .collect();
    let end = p.program.len().saturating_sub(1);
    starts
        .iter()
        .enumerate()
        .map(|(n, &s)| &p.program[s..starts.get(n + 1).copied().unwrap_or(end)])
        .collect()
}

fn event_ops(block: &[Op]) -> Vec<u32> {
    block
        .iter()
        .filter_map(|op| match op {
            Op::Event(i) => Some(*i),
            _ => None,
        })
        .collect()
}

const SERVICES: &str = r#"
    scenario "s" { duration 1h }
    service "api" { endpoint "GET /" { latency 5ms } }
"#;

#[test]
fn a_repeating_config_change_has_its_event_in_its_block() {
    let p = pack(&format!(
        r#"{SERVICES} timeline {{ every 3m config "api" message "pool size 10 -> 50" }}"#
    ));
    assert_eq!(kinds(&p), ["config_change"]);
    let ev: &EventDef = &p.events[0];
    assert_eq!(ev.at_ns, 0, "at the start of each occurrence");
    assert_eq!(text(&p, ev.details), "pool size 10 -> 50");
    assert_eq!(text(&p, ev.severity), "low");
    assert_eq!(ev.resource, 0);
    let b = blocks(&p);
    assert_eq!(b.len(), 1);
    assert!(matches!(
        b[0][0],
        Op::Every {
            period_ns: 180_000_000_000,
            length_ns: 0,
            jitter: false
        }
    ));
    assert_eq!(event_ops(b[0]), [0]);
}

#[test]
fn repeating_deploys_and_scaling_have_events() {
    let p = pack(&format!(
        r#"{SERVICES} timeline {{
            every 4m deploy "api" version "2.0.0"
            every ~10m for 1m scale "api" instances 6
        }}"#
    ));
    assert_eq!(kinds(&p), ["deployment", "scaling"]);
    assert!(p.events.iter().all(|e| e.at_ns == 0));
    assert_eq!(text(&p, p.events[0].version), "2.0.0");
    assert_eq!(text(&p, p.events[0].details), "deployed 2.0.0");
    assert_eq!(text(&p, p.events[1].details), "scaled to 6 instances");
    let b = blocks(&p);
    assert_eq!(event_ops(b[0]), [0]);
    assert_eq!(event_ops(b[1]), [1]);
}

#[test]
fn a_repeating_failed_deploy_has_a_deploy_event_but_no_incident_events() {
    let p = pack(&format!(
        r#"{SERVICES} timeline {{ every 10m deploy "api" version "2.0.0" fails health_check }}"#
    ));
    // The runtime makes each occurrence's incident start and end.
    assert_eq!(kinds(&p), ["deployment"]);
    let b = blocks(&p);
    assert!(
        matches!(
            b[0][0],
            Op::Every {
                length_ns: 300_000_000_000,
                ..
            }
        ),
        "a failing deploy fails for 5 minutes: {:?}",
        b[0][0]
    );
    assert!(b[0].iter().any(|op| matches!(op, Op::Incident { .. })));
    assert_eq!(event_ops(b[0]), [0]);
}

#[test]
fn repeating_incidents_have_no_event_defs() {
    let p = pack(&format!(
        r#"{SERVICES} timeline {{ every ~10m for 1m outage "api" }}"#
    ));
    assert!(p.events.is_empty(), "{:?}", kinds(&p));
    let b = blocks(&p);
    assert!(b[0].iter().any(|op| matches!(op, Op::Incident { .. })));
    assert!(event_ops(b[0]).is_empty());
}

#[test]
fn one_off_entries_keep_their_events_at_their_offsets() {
    let p = pack(&format!(
        r#"{SERVICES} timeline {{
            at 10m config "api" message "pool size 10 -> 50"
            at 20m for 5m outage "api"
            at 40m deploy "api" version "2.2.0" fails health_check
        }}"#
    ));
    let got: Vec<(&str, u64)> = p
        .events
        .iter()
        .map(|e| (text(&p, e.kind), e.at_ns / 1_000_000_000))
        .collect();
    assert_eq!(
        got,
        [
            ("config_change", 600),
            ("incident_start", 1200),
            ("incident_end", 1500),
            ("deployment", 2400),
            ("incident_start", 2400),
            ("incident_end", 2700),
        ]
    );
    assert!(p.events.iter().all(|e| e.resource == 0), "all about `api`");
}

#[test]
fn overrides_need_a_window() {
    let entry = |e: &str| format!("{SERVICES} timeline {{ {e} }}");
    for bad in [
        r#"at 1m config "api" { errors 50% }"#,
        r#"at 1m config "api" latency x3"#,
        r#"at 1m deploy "api" version "2" errors 10%"#,
        r#"every 5m config "api" { errors 50% }"#,
        r#"every 5m intermittent errors 15%"#,
        r#"every 5m outage "api""#,
        r#"every 5m burst x3"#,
    ] {
        assert_eq!(codes(&entry(bad)), ["tsim::missing_length"], "{bad}");
    }
    for good in [
        r#"at 1m for 5m config "api" { errors 50% }"#,
        r#"at 1m ramp 2m config "api" { latency x1 -> x3 }"#,
        r#"at 1m config "api" message "pool size 10 -> 50""#,
        r#"at 1m deploy "api" version "2" fails health_check errors 50%"#,
        r#"at 1m outage "api""#,
        r#"every 5m for 1m config "api" { errors 50% }"#,
        r#"every 5m deploy "api" version "2""#,
        r#"every 5m scale "api" instances 3"#,
    ] {
        assert!(codes(&entry(good)).is_empty(), "{good}");
    }
}

#[test]
fn every_period_is_at_least_a_second() {
    let entry = |e: &str| format!("{SERVICES} timeline {{ {e} }}");
    for bad in [
        r#"every 1ns for 1ns outage "api""#,
        r#"every 999ms for 1ms outage "api""#,
        r#"every ~500ms for 100ms outage "api""#,
        r#"every ~0s outage "api""#,
    ] {
        assert_eq!(codes(&entry(bad)), ["tsim::period_too_short"], "{bad}");
    }
    assert!(codes(&entry(r#"every 1s for 500ms outage "api""#)).is_empty());
}

#[test]
fn failure_status_codes_are_errors() {
    let svc = |errors: &str| format!(r#"service "api" {{ endpoint "GET /" {{ {errors} }} }}"#);
    for bad in [
        "errors 20% status 200",
        "errors 20% status 399",
        "errors 20% status 600",
        "errors 20% status pick { 500: 3, 204: 1 }",
    ] {
        assert_eq!(codes(&svc(bad)), ["tsim::bad_status"], "{bad}");
    }
    assert_eq!(
        codes(&svc("errors 20% status pick { 200: 3, 301: 1 }")),
        ["tsim::bad_status", "tsim::bad_status"]
    );
    assert_eq!(
        codes(&svc(r#"errors 20% status "oops""#)),
        ["tsim::out_of_range"]
    );
    for good in [
        "errors 20% status 400",
        "errors 20% status 599",
        "errors 20% status pick { 500: 3, 404: 1 }",
    ] {
        assert!(codes(&svc(good)).is_empty(), "{good}");
    }
    let backend = r#"database "db" { errors 1% status 201 }"#;
    assert_eq!(codes(backend), ["tsim::bad_status"]);
    let timeline =
        format!("{SERVICES} timeline {{ at 1m for 1m outage \"api\" {{ status 302 }} }}");
    assert_eq!(codes(&timeline), ["tsim::bad_status"]);
}

fn nested(levels: usize) -> String {
    format!(
        r#"service "api" {{
            endpoint "GET /" {{ {}query "db" "SELECT 1"{} }}
        }}
        database "db" {{ }}"#,
        "parallel { ".repeat(levels),
        " }".repeat(levels)
    )
}

fn chain(endpoints: usize) -> String {
    let mut src = String::from("service \"chain\" {\n");
    for i in 0..endpoints {
        let call = if i + 1 < endpoints {
            format!(r#"call "chain" "hop {}""#, i + 1)
        } else {
            String::new()
        };
        src.push_str(&format!(
            "  endpoint \"hop {i}\" {{ latency 1ms {call} }}\n"
        ));
    }
    src.push('}');
    src
}

#[test]
fn parallel_nesting_stops_at_the_packs_limit() {
    // The deepest nesting the pack holds checks, lowers and decodes.
    let p = pack(&nested(MAX_STEP_DEPTH));
    tsim_pack::decode(&tsim_pack::encode(&p)).expect("the pack loads");
    assert_eq!(codes(&nested(MAX_STEP_DEPTH + 1)), ["tsim::too_deep"]);
    assert_eq!(codes(&nested(MAX_STEP_DEPTH + 20)), ["tsim::too_deep"]);
}

#[test]
fn call_chains_stop_at_the_packs_limit() {
    let p = pack(&chain(MAX_CALL_DEPTH));
    tsim_pack::decode(&tsim_pack::encode(&p)).expect("the pack loads");
    assert_eq!(codes(&chain(MAX_CALL_DEPTH + 1)), ["tsim::too_deep"]);
    // One report per chain, at its first endpoint, however long it is.
    let out = check_source(
        "test.tsim",
        &chain(MAX_CALL_DEPTH + 10),
        &Options::default(),
    );
    assert_eq!(out.diagnostics.len(), 1);
    assert!(
        matches!(&out.diagnostics[0].kind, Kind::TooDeep { what, depth, .. }
            if what.contains("\"hop 0\"") && *depth == MAX_CALL_DEPTH + 10),
        "{:?}",
        out.diagnostics[0].kind
    );
}

#[test]
fn publishes_to_consumers_count_towards_the_call_depth() {
    // hop 0 .. hop 62 call each other (63 endpoints), hop 62 publishes,
    // and two consumers make the chain 64 and, via a second hop, 65 deep.
    let mut src = chain(MAX_CALL_DEPTH - 1).replace(
        &format!("endpoint \"hop {}\" {{ latency 1ms  }}", MAX_CALL_DEPTH - 2),
        &format!(
            "endpoint \"hop {}\" {{ latency 1ms publish \"bus\" \"t\" }}",
            MAX_CALL_DEPTH - 2
        ),
    );
    src.push_str(
        r#"
        queue "bus" { }
        service "sink" { endpoint "eat" { consume "bus" "t" } }
    "#,
    );
    assert!(codes(&src).is_empty(), "64 endpoints deep is fine");
    let deeper = src.replace(
        r#"endpoint "eat" { consume "bus" "t" }"#,
        r#"endpoint "eat" { consume "bus" "t" call "sink" "store" } endpoint "store" { }"#,
    );
    assert_eq!(codes(&deeper), ["tsim::too_deep"]);
}
