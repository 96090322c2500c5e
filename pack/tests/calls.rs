//! Format 2's `CALL` section: round trip, validation of every cross-reference
//! and range, call-graph cycles and depth, hostile nesting and truncation.

mod common;

use common::{section, with_section};
use tsim_pack::program::Op;
use tsim_pack::*;

/// Strings of the sample pack, by index.
const STRINGS: &[&str] = &[
    "demo",                 // 0
    "GET",                  // 1
    "/users",               // 2
    "GET /users",           // 3
    "user.id",              // 4
    "user-",                // 5
    "SELECT users",         // 6
    "send orders",          // 7
    "db.system",            // 8
    "postgres",             // 9
    "timeout",              // 10
    "lookup",               // 11
    "consume orders",       // 12
    "api",                  // 13
    "http.response.status", // 14
    "cpu",                  // 15
];

fn options(chance: f64) -> StepOptions {
    StepOptions {
        chance,
        retries: 0,
        timeout_ns: None,
        repeat: Dist::Constant(1.0),
        on_error: OnError::Fail,
    }
}

fn backend(backend: u32, name: StrId, kind: SpanKind) -> BackendCall {
    BackendCall {
        backend,
        name,
        kind,
        attrs: 1,
        gen_attrs: vec![GenAttr {
            key: 4,
            gen: Gen::IntRange(-5, 5),
        }],
        latency: Dist::Pareto {
            scale: 0.001,
            shape: 2.5,
        },
        errors: ErrorModel {
            rate: 0.001,
            status: None,
            error_type: Some(Gen::Const(AttrValue::Str(10))),
        },
    }
}

fn endpoint(resource: u32, name: StrId, protocol: Protocol, steps: Vec<Step>) -> EndpointProgram {
    EndpointProgram {
        resource,
        name,
        protocol,
        latency: Dist::Constant(0.002),
        errors: ErrorModel::default(),
        attrs: 0,
        gen_attrs: vec![],
        steps,
        events: vec![],
        links: vec![],
    }
}

/// A small pack whose `Calls` use every variant of every enum in them.
fn sample() -> Pack {
    let attr_sets = vec![
        vec![],
        vec![Attr {
            key: 8,
            value: AttrValue::Str(9),
        }],
    ];
    let resource = |kind, name| Resource {
        kind,
        name,
        version: 0,
        instances: 1,
        attrs: 0,
    };
    let resources = vec![
        resource(ResourceKind::Service, 13),
        resource(ResourceKind::Service, 0),
        resource(ResourceKind::Database, 9),
        resource(ResourceKind::Queue, 7),
    ];
    let every_gen = vec![
        GenAttr {
            key: 4,
            gen: Gen::Const(AttrValue::Float(1.5)),
        },
        GenAttr {
            key: 4,
            gen: Gen::Const(AttrValue::Bool(true)),
        },
        GenAttr {
            key: 4,
            gen: Gen::Const(AttrValue::Bool(false)),
        },
        GenAttr {
            key: 4,
            gen: Gen::Pick(vec![
                (AttrValue::Str(5), 2.0),
                (AttrValue::Int(-7), 1.0),
                (AttrValue::Float(0.25), 0.0),
            ]),
        },
        GenAttr {
            key: 4,
            gen: Gen::IntRange(i64::MIN, i64::MAX),
        },
        GenAttr {
            key: 4,
            gen: Gen::FloatRange(-1.0, 1.0),
        },
        GenAttr {
            key: 4,
            gen: Gen::Pattern(vec![
                Part::Lit(5),
                Part::Counter(5),
                Part::Hex(16),
                Part::Uuid,
                Part::Attr(8),
            ]),
        },
        GenAttr {
            key: 4,
            gen: Gen::Pool {
                size: 1000,
                pattern: vec![Part::Lit(5), Part::Counter(18), Part::Hex(64)],
            },
        },
        GenAttr {
            key: 4,
            gen: Gen::Bool(0.3),
        },
        GenAttr {
            key: 4,
            gen: Gen::Dist(Dist::Normal { mean: 5.0, sd: 1.0 }),
        },
        GenAttr {
            key: 4,
            gen: Gen::Maybe(0.5, Box::new(Gen::Maybe(1.0, Box::new(Gen::Bool(0.0))))),
        },
    ];
    let mut api = endpoint(
        0,
        3,
        Protocol::Http {
            method: 1,
            route: 2,
        },
        vec![
            Step::Call {
                endpoint: 1,
                attrs: 1,
                options: StepOptions {
                    chance: 0.9,
                    retries: 2,
                    timeout_ns: Some(u64::MAX),
                    repeat: Dist::Uniform { min: 1.0, max: 3.0 },
                    on_error: OnError::Ignore,
                },
            },
            Step::Parallel(vec![
                Step::Query {
                    call: backend(2, 6, SpanKind::Client),
                    options: options(1.0),
                },
                Step::Publish {
                    call: backend(3, 7, SpanKind::Producer),
                    consumers: vec![2, 2],
                    options: options(0.0),
                },
                Step::Parallel(vec![Step::Call {
                    endpoint: 1,
                    attrs: 0,
                    options: options(0.5),
                }]),
                Step::Parallel(vec![]),
            ]),
            Step::Internal {
                program: Box::new(endpoint(
                    0,
                    12,
                    Protocol::Internal,
                    vec![Step::Call {
                        endpoint: 1,
                        attrs: 0,
                        options: options(1.0),
                    }],
                )),
                options: options(0.25),
            },
        ],
    );
    api.events = vec![EventDecl {
        name: 13,
        chance: 0.2,
        attrs: 1,
        gen_attrs: vec![],
    }];
    api.links = vec![LinkDecl {
        endpoint: 1,
        chance: 0.3,
        attrs: 0,
        gen_attrs: vec![],
    }];
    api.latency = Dist::LogNormal {
        mu: -4.0,
        sigma: 0.5,
    };
    api.errors = ErrorModel {
        rate: 0.01,
        status: Some(Gen::Pick(vec![
            (AttrValue::Int(500), 3.0),
            (AttrValue::Int(503), 1.0),
        ])),
        error_type: Some(Gen::Const(AttrValue::Str(10))),
    };
    api.attrs = 1;
    api.gen_attrs = every_gen;
    let mut lookup = endpoint(
        1,
        11,
        Protocol::Rpc,
        vec![Step::Query {
            call: backend(2, 6, SpanKind::Client),
            options: options(1.0),
        }],
    );
    lookup.latency = Dist::Exponential { mean: 0.01 };
    let consumer = endpoint(1, 12, Protocol::Consumer, vec![]);
    let calls = Calls {
        endpoints: vec![api, lookup, consumer],
        roots: vec![
            Root {
                endpoint: 0,
                weight: 1.0,
                shapes: 0,
            },
            Root {
                endpoint: 1,
                weight: 0.0,
                shapes: 3,
            },
        ],
        hop: Dist::Normal {
            mean: 0.0005,
            sd: 0.0001,
        },
        stagger: Dist::Pick(vec![(0.0, 1.0), (0.001, 3.0)]),
    };
    let series_sets = vec![SeriesSet {
        keys: vec![],
        rows: vec![vec![]],
        weights: vec![],
    }];
    let metrics = vec![MetricDef {
        name: 15,
        kind: MetricKind::Gauge,
        unit: 0,
        description: 0,
        series_set: 0,
        source: MetricSource::Process(Process::Constant {
            value: 50.0,
            noise: 1.0,
        }),
        within: Some((0.0, 100.0)),
        buckets: vec![],
        rate: 0.0,
    }];
    Pack {
        meta: Meta {
            tick_ns: 1_000_000_000,
            ..Meta::default()
        },
        strings: STRINGS.iter().map(|s| s.to_string()).collect(),
        attr_sets,
        resources,
        calls,
        series_sets,
        metrics,
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

fn ep(pack: &mut Pack, i: usize) -> &mut EndpointProgram {
    &mut pack.calls.endpoints[i]
}

/// The sample's `Parallel` step of endpoint 0.
fn parallel(pack: &mut Pack) -> &mut Vec<Step> {
    match &mut ep(pack, 0).steps[1] {
        Step::Parallel(steps) => steps,
        _ => unreachable!(),
    }
}

fn query(pack: &mut Pack) -> &mut BackendCall {
    match &mut parallel(pack)[0] {
        Step::Query { call, .. } => call,
        _ => unreachable!(),
    }
}

fn publish(pack: &mut Pack) -> (&mut BackendCall, &mut Vec<u32>) {
    match &mut parallel(pack)[1] {
        Step::Publish {
            call, consumers, ..
        } => (call, consumers),
        _ => unreachable!(),
    }
}

fn first_call_options(pack: &mut Pack) -> &mut StepOptions {
    match &mut ep(pack, 0).steps[0] {
        Step::Call { options, .. } => options,
        _ => unreachable!(),
    }
}

fn gen(pack: &mut Pack, i: usize) -> &mut Gen {
    &mut ep(pack, 0).gen_attrs[i].gen
}

/// A `CALL` section by hand: one endpoint (service 0, name 0) whose first
/// generated attribute and steps are written by the closures; no roots.
fn call_section(gens: impl FnOnce(&mut Writer), steps: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    w.u(1); // endpoints
    w.u(0); // resource
    w.u(0); // name
    w.byte(1); // rpc
    w.byte(0); // constant latency
    w.f(0.001);
    w.f(0.0); // error rate
    w.byte(0); // no status
    w.byte(0); // no error type
    w.u(0); // attribute set
    gens(&mut w);
    steps(&mut w);
    w.u(0); // events
    w.u(0); // links
    w.u(0); // roots
    w.byte(0); // hop
    w.f(0.0);
    w.byte(0); // stagger
    w.f(0.0);
    w.buf
}

fn no_gens(w: &mut Writer) {
    w.u(0);
}

/// `levels` `Parallel` blocks, each inside the one before.
fn nested_parallels(levels: usize) -> impl FnOnce(&mut Writer) {
    move |w: &mut Writer| {
        for _ in 0..levels {
            w.u(1);
            w.byte(3);
        }
        w.u(0);
    }
}

/// One generated attribute wrapped in `levels` `Maybe`s.
fn nested_maybes(levels: usize) -> impl FnOnce(&mut Writer) {
    move |w: &mut Writer| {
        w.u(1);
        w.u(0); // key
        for _ in 0..levels {
            w.byte(8);
            w.f(0.5);
        }
        w.byte(6);
        w.f(0.5);
    }
}

fn no_steps(w: &mut Writer) {
    w.u(0);
}

fn decode_with_call(body: &[u8]) -> Result<Pack, PackError> {
    let mut pack = sample();
    pack.calls = Calls::default();
    decode(&with_section(&encode(&pack), b"CALL", body))
}

#[test]
fn calls_round_trip_with_every_variant() {
    let pack = sample();
    let bytes = encode(&pack);
    assert_eq!(&bytes[8..10], &4u16.to_le_bytes());
    assert_eq!(FORMAT_VERSION, 4);
    assert!(TAGS.contains(b"CALL") && !TAGS.contains(b"TRAC"));
    let back = decode(&bytes).expect("the sample decodes");
    assert_eq!(back, pack);
    // Deterministic: the same pack gives the same bytes, and so does its copy.
    assert_eq!(encode(&pack), bytes);
    assert_eq!(encode(&back), bytes);
}

#[test]
fn the_empty_calls_are_valid() {
    let mut pack = sample();
    pack.calls = Calls::default();
    assert_eq!(decode(&encode(&pack)), Ok(pack));
}

#[test]
fn a_cyclic_call_graph_is_rejected() {
    // lookup (1) calls api (0), which calls lookup: through a parallel block.
    assert_rejected(
        |p| {
            ep(p, 1).steps.push(Step::Parallel(vec![Step::Call {
                endpoint: 0,
                attrs: 0,
                options: options(1.0),
            }]))
        },
        "the calls form a cycle: endpoint 0 `GET /users` -> endpoint 1 `lookup` -> endpoint 0 `GET /users`",
    );
}

#[test]
fn a_cycle_through_publish_consumers_is_rejected() {
    // The consumer (2) publishes to itself.
    assert_rejected(
        |p| {
            let call = backend(3, 7, SpanKind::Producer);
            ep(p, 2).steps.push(Step::Publish {
                call,
                consumers: vec![2],
                options: options(1.0),
            });
        },
        "the calls form a cycle: endpoint 2 `consume orders` -> endpoint 2 `consume orders`",
    );
}

#[test]
fn a_long_cycle_is_found_without_recursion_and_named_briefly() {
    let mut pack = sample();
    let n = 20_000u32;
    pack.calls.endpoints = (0..n)
        .map(|i| {
            endpoint(
                1,
                11,
                Protocol::Rpc,
                vec![Step::Call {
                    endpoint: (i + 1) % n,
                    attrs: 0,
                    options: options(1.0),
                }],
            )
        })
        .collect();
    pack.calls.roots.clear();
    let message = decode(&encode(&pack)).unwrap_err().to_string();
    assert!(message.contains("cycle"), "{message}");
    assert!(message.contains("(19992 more)"), "{message}");
    assert!(message.len() < 400, "{message}");
}

#[test]
fn call_chains_deeper_than_the_limit_are_rejected() {
    let chain = |len: usize| {
        let mut pack = sample();
        pack.calls.endpoints = (0..len)
            .map(|i| {
                let steps = if i + 1 < len {
                    vec![Step::Call {
                        endpoint: (i + 1) as u32,
                        attrs: 0,
                        options: options(1.0),
                    }]
                } else {
                    vec![]
                };
                endpoint(1, 11, Protocol::Rpc, steps)
            })
            .collect();
        pack.calls.roots.truncate(1);
        decode(&encode(&pack))
    };
    assert!(chain(MAX_CALL_DEPTH).is_ok());
    let message = chain(MAX_CALL_DEPTH + 1).unwrap_err().to_string();
    assert!(message.contains("65 endpoints deep"), "{message}");
}

#[test]
fn a_shared_callee_is_not_a_cycle() {
    // api calls lookup twice (sequentially and in a parallel block) and the
    // consumer twice: a diamond, not a cycle; the sample has it already.
    let mut pack = sample();
    ep(&mut pack, 1).steps.push(Step::Call {
        endpoint: 2,
        attrs: 0,
        options: options(1.0),
    });
    assert!(decode(&encode(&pack)).is_ok());
}

#[test]
fn out_of_range_endpoints_are_rejected() {
    assert_rejected(
        |p| {
            parallel(p)[2] = Step::Parallel(vec![Step::Call {
                endpoint: 3,
                attrs: 0,
                options: options(1.0),
            }])
        },
        "endpoint 0 step 1.2.0: endpoint 3 out of range",
    );
    assert_rejected(
        |p| publish(p).1.push(7),
        "endpoint 0 step 1.1 consumer: endpoint 7 out of range",
    );
    assert_rejected(
        |p| p.calls.roots[1].endpoint = 3,
        "root 1: endpoint 3 out of range",
    );
}

#[test]
fn a_probability_above_one_is_rejected() {
    assert_eq!(
        rejected(|p| first_call_options(p).chance = 1.5),
        "pack is corrupt: endpoint 0 step 0: chance 1.5 is not in 0..=1"
    );
    assert_rejected(
        |p| ep(p, 1).errors.rate = 1.5,
        "endpoint 1: error rate 1.5 is not in 0..=1",
    );
    assert_rejected(
        |p| query(p).errors.rate = -0.5,
        "endpoint 0 step 1.0: error rate -0.5 is not in 0..=1",
    );
    assert_rejected(
        |p| *gen(p, 8) = Gen::Bool(1.5),
        "endpoint 0 attribute `user.id`: probability 1.5 is not in 0..=1",
    );
    assert_rejected(
        |p| *gen(p, 10) = Gen::Maybe(0.5, Box::new(Gen::Maybe(1.5, Box::new(Gen::Bool(0.0))))),
        "maybe probability 1.5 is not in 0..=1",
    );
}

#[test]
fn a_within_with_min_above_max_is_rejected() {
    assert_eq!(
        rejected(|p| p.metrics[0].within = Some((5.0, 1.0))),
        "pack is corrupt: metric 0: within 5..1 has min > max"
    );
    let mut pack = sample();
    pack.metrics[0].within = Some((3.0, 3.0));
    assert!(decode(&encode(&pack)).is_ok());
}

#[test]
fn bad_numbers_are_rejected() {
    assert_rejected(
        |p| p.calls.roots[0].weight = -1.0,
        "root 0: weight -1 is negative",
    );
    assert_rejected(
        |p| {
            p.calls.hop = Dist::Normal {
                mean: 0.0,
                sd: -1.0,
            }
        },
        "the hop: normal sd -1 is negative",
    );
    assert_rejected(
        |p| {
            ep(p, 0).latency = Dist::LogNormal {
                mu: 0.0,
                sigma: -0.1,
            }
        },
        "endpoint 0 latency: log-normal sigma -0.1 is negative",
    );
    assert_rejected(
        |p| ep(p, 1).latency = Dist::Exponential { mean: -1.0 },
        "endpoint 1 latency: exponential mean -1 is negative",
    );
    assert_rejected(
        |p| {
            query(p).latency = Dist::Pareto {
                scale: 0.0,
                shape: 1.0,
            }
        },
        "endpoint 0 step 1.0 latency: pareto scale 0 is not positive",
    );
    assert_rejected(
        |p| {
            query(p).latency = Dist::Pareto {
                scale: 1.0,
                shape: 0.0,
            }
        },
        "pareto shape 0 is not positive",
    );
    assert_rejected(
        |p| first_call_options(p).repeat = Dist::Uniform { min: 3.0, max: 1.0 },
        "endpoint 0 step 0 repeat: uniform min 3 is above max 1",
    );
    assert_rejected(
        |p| p.calls.stagger = Dist::Pick(vec![(1.0, 0.0), (2.0, 0.0)]),
        "the stagger: the weights sum to 0",
    );
    assert_rejected(
        |p| p.calls.stagger = Dist::Pick(vec![]),
        "the stagger: a weighted choice has no choices",
    );
    assert_rejected(
        |p| p.calls.stagger = Dist::Pick(vec![(1.0, -1.0), (2.0, 2.0)]),
        "the stagger: weight -1 is negative",
    );
    assert_rejected(
        |p| p.calls.stagger = Dist::Pick(vec![(1.0, f64::MAX), (2.0, f64::MAX)]),
        "the stagger: the weights sum to inf",
    );
    assert_rejected(
        |p| *gen(p, 3) = Gen::Pick(vec![(AttrValue::Int(1), 0.0)]),
        "endpoint 0 attribute `user.id`: the weights sum to 0",
    );
    assert_rejected(
        |p| *gen(p, 4) = Gen::IntRange(5, 1),
        "integer range 5..=1 has lo > hi",
    );
    assert_rejected(
        |p| *gen(p, 5) = Gen::FloatRange(2.0, 1.0),
        "range 2..1 has lo > hi",
    );
    assert_rejected(
        |p| *gen(p, 6) = Gen::Pattern(vec![Part::Counter(19)]),
        "counter width 19 is above 18",
    );
    assert_rejected(
        |p| *gen(p, 6) = Gen::Pattern(vec![Part::Hex(65)]),
        "hex width 65 is above 64",
    );
    assert_rejected(
        |p| {
            *gen(p, 7) = Gen::Pool {
                size: 0,
                pattern: vec![Part::Uuid],
            }
        },
        "endpoint 0 attribute `user.id`: pool size is 0",
    );
    assert_rejected(
        |p| {
            *gen(p, 9) = Gen::Dist(Dist::Normal {
                mean: 0.0,
                sd: -2.0,
            })
        },
        "normal sd -2 is negative",
    );
    assert_rejected(
        |p| first_call_options(p).timeout_ns = Some(0),
        "endpoint 0 step 0: timeout is zero",
    );
}

#[test]
fn wrong_kinds_of_resources_and_spans_are_rejected() {
    assert_rejected(
        |p| ep(p, 0).resource = 2,
        "endpoint 0: resource 2 is a database, not a service",
    );
    assert_rejected(
        |p| query(p).backend = 3,
        "endpoint 0 step 1.0: resource 3 is a queue, not a database",
    );
    assert_rejected(
        |p| publish(p).0.backend = 0,
        "endpoint 0 step 1.1: resource 0 is a service, not a queue",
    );
    assert_rejected(
        |p| query(p).kind = SpanKind::Producer,
        "endpoint 0 step 1.0: span kind Producer should be Client",
    );
    assert_rejected(
        |p| publish(p).0.kind = SpanKind::Client,
        "endpoint 0 step 1.1: span kind Client should be Producer",
    );
    assert_rejected(
        |p| ep(p, 1).resource = 9,
        "resource 9 out of range in endpoint 1",
    );
}

#[test]
fn dangling_strings_and_attribute_sets_are_rejected() {
    let n = STRINGS.len() as u32;
    assert_rejected(
        |p| {
            ep(p, 0).protocol = Protocol::Http {
                method: 1,
                route: n,
            }
        },
        &format!("string {n} out of range in endpoint 0"),
    );
    assert_rejected(
        |p| ep(p, 2).name = n,
        &format!("string {n} out of range in endpoint 2"),
    );
    assert_rejected(
        |p| *gen(p, 0) = Gen::Const(AttrValue::Str(n)),
        &format!("string {n} out of range in endpoint 0 attribute `user.id`"),
    );
    assert_rejected(
        |p| *gen(p, 6) = Gen::Pattern(vec![Part::Attr(n)]),
        &format!("string {n} out of range"),
    );
    assert_rejected(
        |p| ep(p, 0).gen_attrs[2].key = n,
        &format!("string {n} out of range in endpoint 0 generated attribute 2"),
    );
    assert_rejected(
        |p| {
            ep(p, 0).errors.error_type = Some(Gen::Pick(vec![(AttrValue::Str(n), 1.0)]));
        },
        &format!("string {n} out of range in endpoint 0 error type"),
    );
    assert_rejected(
        |p| publish(p).0.name = n,
        &format!("string {n} out of range in endpoint 0 step 1.1"),
    );
    assert_rejected(
        |p| {
            if let Step::Call { attrs, .. } = &mut ep(p, 0).steps[0] {
                *attrs = 2;
            }
        },
        "attribute set 2 out of range in endpoint 0 step 0",
    );
    assert_rejected(
        |p| ep(p, 1).attrs = 2,
        "attribute set 2 out of range in endpoint 1",
    );
}

#[test]
fn parallel_nesting_is_bounded() {
    let ok = decode_with_call(&call_section(no_gens, nested_parallels(MAX_STEP_DEPTH)));
    assert!(ok.is_ok(), "{ok:?}");
    for levels in [MAX_STEP_DEPTH + 1, 1_000_000] {
        let err = decode_with_call(&call_section(no_gens, nested_parallels(levels)));
        assert_eq!(
            err.unwrap_err().to_string(),
            "pack is corrupt: steps nested deeper than 64 `parallel` blocks"
        );
    }
}

#[test]
fn maybe_nesting_is_bounded() {
    let ok = decode_with_call(&call_section(nested_maybes(MAX_GEN_DEPTH), no_steps));
    assert!(ok.is_ok(), "{ok:?}");
    for levels in [MAX_GEN_DEPTH + 1, 1_000_000] {
        let err = decode_with_call(&call_section(nested_maybes(levels), no_steps));
        assert_eq!(
            err.unwrap_err().to_string(),
            "pack is corrupt: generators nested deeper than 8 `maybe`s"
        );
    }
}

#[test]
fn unknown_tags_are_rejected_by_name() {
    let step = |tag: u8| {
        move |w: &mut Writer| {
            w.u(1);
            w.byte(tag);
            w.u(0);
        }
    };
    let err = decode_with_call(&call_section(no_gens, step(5))).unwrap_err();
    assert_eq!(err.to_string(), "pack is corrupt: unknown step 5");
    let gen_tag = |w: &mut Writer| {
        w.u(1);
        w.u(0);
        w.byte(9);
        w.u(0);
    };
    let err = decode_with_call(&call_section(gen_tag, no_steps)).unwrap_err();
    assert_eq!(err.to_string(), "pack is corrupt: unknown generator 9");
}

#[test]
fn trailing_bytes_in_call_are_rejected() {
    let mut body = section(&encode(&sample()), b"CALL");
    body.push(0);
    assert_eq!(
        decode_with_call(&body),
        Err(PackError::TrailingBytes { what: "CALL" })
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
    // Truncations of the CALL section itself, behind a valid table and
    // checksum, so its reader (not the checksum) has to catch them.
    let body = section(&bytes, b"CALL");
    assert_eq!(decode_with_call(&body).map(|p| p.calls), Ok(sample().calls));
    for len in 0..body.len() {
        let truncated = with_section(&bytes, b"CALL", &body[..len]);
        assert!(decode(&truncated).is_err(), "a {len}-byte CALL decoded");
    }
}

#[test]
fn corrupt_call_bytes_never_panic() {
    let bytes = encode(&sample());
    let body = section(&bytes, b"CALL");
    for i in 0..body.len() {
        for v in [0x00, 0x01, 0x03, 0x08, 0x7F, 0x80, 0xFF, body[i] ^ 0x01] {
            let mut changed = body.clone();
            changed[i] = v;
            // Either outcome is fine; a panic or a hang is not.
            let _ = decode(&with_section(&bytes, b"CALL", &changed));
        }
    }
}
