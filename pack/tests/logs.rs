//! Format 2's `LOGS` section: log streams and span-derived rules hold
//! generators (level, message, attributes) drawn per record. Round trip,
//! validation (levels and messages must be strings), truncation and
//! hostile bytes.

mod common;

use common::{section, with_section};
use tsim_pack::program::Op;
use tsim_pack::*;

/// Strings of the sample pack, by index.
const STRINGS: &[&str] = &[
    "demo",                             // 0
    "api",                              // 1
    "postgres",                         // 2
    "worker",                           // 3
    "INFO",                             // 4
    "WARN",                             // 5
    "job {job.id} done",                // 6
    "job {job.id} failed",              // 7
    "job.id",                           // 8
    "job-",                             // 9
    "log.source",                       // 10
    "span",                             // 11
    "{operation} failed: {error.type}", // 12
    "ERROR",                            // 13
    "{operation} {status}",             // 14
];

fn s(id: StrId) -> AttrValue {
    AttrValue::Str(id)
}

/// A pack with two streams and two rules: levels and messages as picks and
/// as constants, constant and generated attributes, with and without shapes,
/// with and without structured bodies.
fn sample() -> Pack {
    let resource = |kind, name| Resource {
        kind,
        name,
        version: 0,
        instances: 1,
        attrs: 0,
    };
    let logs = Logs {
        streams: vec![
            LogStream {
                name: 3,
                resource: 0,
                rate: 5.0,
                level: Gen::Pick(vec![(s(4), 9.0), (s(5), 1.0)]),
                message: Gen::Pick(vec![(s(6), 9.0), (s(7), 1.0)]),
                attrs: 0,
                gen_attrs: vec![
                    GenAttr {
                        key: 8,
                        gen: Gen::Pool {
                            size: 1_000_000,
                            pattern: vec![Part::Lit(9), Part::Counter(8)],
                        },
                    },
                    GenAttr {
                        key: 10,
                        gen: Gen::Maybe(0.1, Box::new(Gen::Const(s(11)))),
                    },
                ],
                shapes: 0,
                body: None,
            },
            LogStream {
                name: 3,
                resource: NONE,
                rate: 0.0,
                level: Gen::Const(s(4)),
                message: Gen::Const(s(6)),
                attrs: 1,
                gen_attrs: vec![],
                shapes: 100,
                body: Some(LogBody {
                    attrs: 1,
                    gen_attrs: vec![GenAttr {
                        key: 8,
                        gen: Gen::IntRange(1, 3),
                    }],
                }),
            },
        ],
        span_rules: vec![
            SpanLogRule {
                errors_only: false,
                level: Gen::Const(s(4)),
                message: Gen::Const(s(14)),
                attrs: 0,
                gen_attrs: vec![],
                body: Some(LogBody {
                    attrs: 0,
                    gen_attrs: vec![],
                }),
            },
            SpanLogRule {
                errors_only: true,
                level: Gen::Pick(vec![(s(13), 1.0)]),
                message: Gen::Pick(vec![(s(12), 3.0), (s(14), 0.0)]),
                attrs: 1,
                gen_attrs: vec![GenAttr {
                    key: 8,
                    gen: Gen::IntRange(1, 3),
                }],
                body: None,
            },
        ],
    };
    Pack {
        meta: Meta {
            tick_ns: 1_000_000_000,
            ..Meta::default()
        },
        strings: STRINGS.iter().map(|s| s.to_string()).collect(),
        attr_sets: vec![
            vec![],
            vec![Attr {
                key: 10,
                value: s(11),
            }],
        ],
        resources: vec![
            resource(ResourceKind::Service, 1),
            resource(ResourceKind::Database, 2),
        ],
        logs,
        program: vec![Op::End],
        ..Pack::default()
    }
}

/// The error `decode` gives for the sample after `change`, as text.
fn rejected(change: impl FnOnce(&mut Pack)) -> String {
    let mut pack = sample();
    change(&mut pack);
    match decode(&encode(&pack)) {
        Ok(_) => panic!("the changed pack was accepted"),
        Err(e) => e.to_string(),
    }
}

fn assert_rejected(change: impl FnOnce(&mut Pack), expected: &str) {
    let message = rejected(change);
    assert!(
        message.contains(expected),
        "expected `{expected}` in `{message}`"
    );
}

fn stream(p: &mut Pack, i: usize) -> &mut LogStream {
    &mut p.logs.streams[i]
}

fn rule(p: &mut Pack, i: usize) -> &mut SpanLogRule {
    &mut p.logs.span_rules[i]
}

fn decode_with_logs(body: &[u8]) -> Result<Pack, PackError> {
    let mut pack = sample();
    pack.logs = Logs::default();
    decode(&with_section(&encode(&pack), b"LOGS", body))
}

/// A `LOGS` section by hand: no streams, one rule whose flag byte is
/// `flag` and whose level generator is written by `level`.
fn rule_section(flag: u8, level: impl FnOnce(&mut Writer)) -> Vec<u8> {
    rule_section_with_body(flag, level, 0)
}

fn rule_section_with_body(flag: u8, level: impl FnOnce(&mut Writer), body: u8) -> Vec<u8> {
    let mut w = Writer::default();
    w.u(0); // streams
    w.u(1); // rules
    w.byte(flag);
    level(&mut w);
    w.byte(0); // message: a constant
    w.byte(0); // string 0
    w.u(0);
    w.u(0); // attribute set
    w.u(0); // generated attributes
    w.byte(body); // structured body flag
    if body == 1 {
        w.u(0); // its attribute set
        w.u(0); // its generated fields
    }
    w.buf
}

fn const_string(w: &mut Writer) {
    w.byte(0);
    w.byte(0);
    w.u(0);
}

/// A level wrapped in `levels` `Maybe`s.
fn nested_maybes(levels: usize) -> impl FnOnce(&mut Writer) {
    move |w: &mut Writer| {
        for _ in 0..levels {
            w.byte(8);
            w.f(0.5);
        }
        const_string(w);
    }
}

#[test]
fn logs_round_trip_with_picks_and_constants() {
    let pack = sample();
    let bytes = encode(&pack);
    let back = decode(&bytes).expect("the sample decodes");
    assert_eq!(back, pack);
    assert_eq!(encode(&back), bytes);
    let body = section(&bytes, b"LOGS");
    assert_eq!(decode_with_logs(&body).map(|p| p.logs), Ok(pack.logs));
}

#[test]
fn no_logs_are_valid() {
    let mut pack = sample();
    pack.logs = Logs::default();
    assert_eq!(decode(&encode(&pack)), Ok(pack));
}

#[test]
fn a_level_or_message_that_is_not_a_string_is_rejected() {
    assert_eq!(
        rejected(|p| stream(p, 0).level = Gen::Const(AttrValue::Int(5))),
        "pack is corrupt: log stream 0 level is an integer, not a string or a pick of strings"
    );
    assert_rejected(
        |p| stream(p, 0).level = Gen::IntRange(1, 3),
        "log stream 0 level is an integer range, not a string or a pick of strings",
    );
    assert_rejected(
        |p| stream(p, 0).level = Gen::Maybe(0.5, Box::new(Gen::Const(s(4)))),
        "log stream 0 level is a `maybe`, not a string",
    );
    assert_rejected(
        |p| stream(p, 0).level = Gen::Bool(0.5),
        "log stream 0 level is a chance, not a string",
    );
    assert_rejected(
        |p| stream(p, 1).message = Gen::Pick(vec![(s(6), 1.0), (AttrValue::Bool(true), 1.0)]),
        "log stream 1 message is a pick with a boolean, not a string or a pick of strings",
    );
    assert_rejected(
        |p| stream(p, 1).message = Gen::Pattern(vec![Part::Lit(6), Part::Uuid]),
        "log stream 1 message is a pattern, not a string",
    );
    assert_rejected(
        |p| {
            rule(p, 1).level = Gen::Pool {
                size: 3,
                pattern: vec![Part::Lit(4)],
            }
        },
        "span log rule 1 level is a pool, not a string",
    );
    assert_rejected(
        |p| rule(p, 0).message = Gen::Dist(Dist::Constant(1.0)),
        "span log rule 0 message is a distribution, not a string",
    );
    assert_rejected(
        |p| rule(p, 0).level = Gen::Const(AttrValue::Float(1.5)),
        "span log rule 0 level is a float, not a string",
    );
}

#[test]
fn levels_and_messages_get_the_generator_checks() {
    let n = STRINGS.len() as u32;
    assert_rejected(
        |p| stream(p, 0).level = Gen::Pick(vec![(s(4), 0.0), (s(5), 0.0)]),
        "log stream 0 level: the weights sum to 0",
    );
    assert_rejected(
        |p| stream(p, 0).message = Gen::Pick(vec![]),
        "log stream 0 message: a weighted choice has no choices",
    );
    assert_rejected(
        |p| rule(p, 1).message = Gen::Pick(vec![(s(12), -1.0), (s(14), 2.0)]),
        "span log rule 1 message: weight -1 is negative",
    );
    assert_rejected(
        |p| stream(p, 1).message = Gen::Const(s(n)),
        &format!("string {n} out of range in log stream 1 message"),
    );
    assert_rejected(
        |p| rule(p, 0).level = Gen::Pick(vec![(s(4), 1.0), (s(n), 1.0)]),
        &format!("string {n} out of range in span log rule 0 level"),
    );
}

#[test]
fn bad_rates_are_rejected() {
    assert_eq!(
        rejected(|p| stream(p, 0).rate = -1.0),
        "pack is corrupt: log stream 0: rate -1 is negative"
    );
    // The reader refuses non-finite floats before validation sees them.
    for rate in [f64::NAN, f64::INFINITY] {
        assert_eq!(
            rejected(|p| stream(p, 1).rate = rate),
            "pack is corrupt: a non-finite number in LOGS"
        );
    }
}

#[test]
fn a_stream_resource_must_be_a_service() {
    assert_rejected(
        |p| stream(p, 0).resource = 1,
        "log stream 0: resource 1 is a database, not a service",
    );
    assert_rejected(
        |p| stream(p, 1).resource = 7,
        "resource 7 out of range in log stream 1",
    );
}

#[test]
fn dangling_strings_attribute_sets_and_bad_attributes_are_rejected() {
    let n = STRINGS.len() as u32;
    assert_rejected(
        |p| stream(p, 1).name = n,
        &format!("string {n} out of range in log stream 1"),
    );
    assert_rejected(
        |p| stream(p, 1).attrs = 2,
        "attribute set 2 out of range in log stream 1",
    );
    assert_rejected(
        |p| rule(p, 0).attrs = 2,
        "attribute set 2 out of range in span log rule 0",
    );
    assert_rejected(
        |p| stream(p, 0).gen_attrs[1].key = n,
        &format!("string {n} out of range in log stream 0 generated attribute 1"),
    );
    assert_rejected(
        |p| {
            stream(p, 0).gen_attrs[0].gen = Gen::Pool {
                size: 0,
                pattern: vec![Part::Uuid],
            }
        },
        "log stream 0 attribute `job.id`: pool size is 0",
    );
    assert_rejected(
        |p| rule(p, 1).gen_attrs[0].gen = Gen::IntRange(5, 1),
        "span log rule 1 attribute `job.id`: integer range 5..=1 has lo > hi",
    );
    assert_rejected(
        |p| stream(p, 0).gen_attrs[1].gen = Gen::Maybe(1.5, Box::new(Gen::Const(s(11)))),
        "log stream 0 attribute `log.source`: maybe probability 1.5 is not in 0..=1",
    );
}

#[test]
fn a_bad_errors_only_flag_is_rejected() {
    assert!(decode_with_logs(&rule_section(1, const_string)).is_ok());
    let err = decode_with_logs(&rule_section(2, const_string)).unwrap_err();
    assert_eq!(err.to_string(), "pack is corrupt: bad errors-only flag 2");
}

#[test]
fn a_bad_body_flag_is_rejected() {
    assert!(decode_with_logs(&rule_section_with_body(1, const_string, 1)).is_ok());
    let err = decode_with_logs(&rule_section_with_body(1, const_string, 2)).unwrap_err();
    assert_eq!(err.to_string(), "pack is corrupt: bad log body flag 2");
}

#[test]
fn maybe_nesting_in_a_level_is_bounded() {
    // Within the depth limit the reader accepts it; validation then
    // rejects a `maybe` level by name.
    let err = decode_with_logs(&rule_section(0, nested_maybes(MAX_GEN_DEPTH))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pack is corrupt: span log rule 0 level is a `maybe`, not a string or a pick of strings"
    );
    for levels in [MAX_GEN_DEPTH + 1, 1_000_000] {
        let err = decode_with_logs(&rule_section(0, nested_maybes(levels))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "pack is corrupt: generators nested deeper than 8 `maybe`s"
        );
    }
}

#[test]
fn an_unknown_generator_tag_is_rejected_by_name() {
    let tag = |w: &mut Writer| {
        w.byte(9);
        w.u(0);
    };
    let err = decode_with_logs(&rule_section(0, tag)).unwrap_err();
    assert_eq!(err.to_string(), "pack is corrupt: unknown generator 9");
}

#[test]
fn counts_larger_than_the_section_are_refused() {
    for (streams, rules) in [(1u64 << 40, 0u64), (0, 1 << 40), (1, 0), (0, 1)] {
        let mut w = Writer::default();
        w.u(streams);
        w.u(rules);
        assert_eq!(
            decode_with_logs(&w.buf),
            Err(PackError::Truncated { what: "LOGS" }),
            "{streams} streams, {rules} rules"
        );
    }
}

#[test]
fn trailing_bytes_in_logs_are_rejected() {
    let mut body = section(&encode(&sample()), b"LOGS");
    body.push(0);
    assert_eq!(
        decode_with_logs(&body),
        Err(PackError::TrailingBytes { what: "LOGS" })
    );
}

#[test]
fn every_truncation_fails_cleanly() {
    let bytes = encode(&sample());
    for len in 0..bytes.len() {
        assert!(
            decode(&bytes[..len]).is_err(),
            "a {len}-byte prefix decoded"
        );
    }
    // Truncations of the LOGS section itself, behind a valid table and
    // checksum, so its reader (not the checksum) has to catch them.
    let body = section(&bytes, b"LOGS");
    for len in 0..body.len() {
        let truncated = with_section(&bytes, b"LOGS", &body[..len]);
        assert!(decode(&truncated).is_err(), "a {len}-byte LOGS decoded");
    }
}

#[test]
fn corrupt_logs_bytes_never_panic() {
    let bytes = encode(&sample());
    let body = section(&bytes, b"LOGS");
    for i in 0..body.len() {
        for v in [0x00, 0x01, 0x03, 0x08, 0x7F, 0x80, 0xFF, body[i] ^ 0x01] {
            let mut changed = body.clone();
            changed[i] = v;
            // Either outcome is fine; a panic or a hang is not.
            let _ = decode(&with_section(&bytes, b"LOGS", &changed));
        }
    }
}
