//! The `SERI` section's weights: each row's share of a metric's volume.
//! They round-trip; a set has none (equal shares) or one per row; each is
//! finite and >= 0 and they sum to 1; hostile weight counts and NaN bytes
//! are refused by the reader without panicking.

mod common;

use common::{section, with_section};
use tsim_pack::program::Op;
use tsim_pack::*;

const STRINGS: &[&str] = &[
    "demo",            // 0
    "model",           // 1
    "token_type",      // 2
    "claude-sonnet-4", // 3
    "claude-opus-4",   // 4
    "input",           // 5
    "output",          // 6
    "tokens",          // 7
];

/// Two weighted sets (one of them key-less) and one with equal shares.
fn sample() -> Pack {
    let row = |m: u32, t: u32| vec![AttrValue::Str(m), AttrValue::Str(t)];
    let series_sets = vec![
        SeriesSet {
            keys: vec![1, 2],
            rows: vec![row(3, 5), row(3, 6), row(4, 5), row(4, 6)],
            weights: vec![0.45, 0.3, 0.15, 0.1],
        },
        SeriesSet {
            keys: vec![1],
            rows: vec![vec![AttrValue::Str(3)], vec![AttrValue::Str(4)]],
            weights: vec![],
        },
        SeriesSet {
            keys: vec![],
            rows: vec![vec![]],
            weights: vec![1.0],
        },
    ];
    let metric = |series_set| MetricDef {
        name: 7,
        kind: MetricKind::Counter,
        unit: 0,
        description: 0,
        series_set,
        source: MetricSource::Process(Process::Poisson {
            rate: Box::new(Process::Constant {
                value: 0.001,
                noise: 0.0,
            }),
        }),
        within: None,
        buckets: vec![],
        rate: 0.0,
    };
    Pack {
        meta: Meta {
            tick_ns: 1_000_000_000,
            ..Meta::default()
        },
        strings: STRINGS.iter().map(|s| s.to_string()).collect(),
        series_sets,
        metrics: vec![metric(0), metric(1), metric(2)],
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

/// A `SERI` body with one key-less set of `rows` rows (0 or 1) and the
/// given weight count and weight bytes.
fn keyless_set(rows: u64, weight_count: u64, weights: &[[u8; 8]]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u(1);
    w.u(0);
    w.u(rows);
    w.u(weight_count);
    for b in weights {
        w.buf.extend_from_slice(b);
    }
    w.buf
}

/// Decodes the sample with its `SERI` section replaced by `body` (the
/// sample's metrics all use set 0, so any one set is referenced).
fn decode_with_seri(body: &[u8]) -> Result<Pack, PackError> {
    let mut pack = sample();
    for m in &mut pack.metrics {
        m.series_set = 0;
    }
    decode(&with_section(&encode(&pack), b"SERI", body))
}

#[test]
fn weights_round_trip() {
    let pack = sample();
    let bytes = encode(&pack);
    assert_eq!(decode(&bytes), Ok(pack.clone()));
    assert_eq!(encode(&decode(&bytes).unwrap()), bytes);
}

#[test]
fn weights_need_not_be_exactly_one_in_sum() {
    let mut pack = sample();
    pack.series_sets[0].weights = vec![0.1 + 0.2, 0.7 - 1e-10, 0.0, 0.0];
    assert_eq!(decode(&encode(&pack)), Ok(pack));
}

#[test]
fn a_wrong_weight_count_is_rejected_by_name() {
    assert_rejected(
        |p| p.series_sets[0].weights = vec![0.5, 0.5],
        "series set 0 has 2 weights for 4 rows (want 0 or 4)",
    );
    assert_rejected(
        |p| p.series_sets[1].weights = vec![1.0],
        "series set 1 has 1 weights for 2 rows (want 0 or 2)",
    );
    // A key-less set with no rows can have no weights either.
    assert_eq!(
        decode_with_seri(&keyless_set(0, 1, &[1.0f64.to_le_bytes()]))
            .unwrap_err()
            .to_string(),
        "pack is corrupt: series set 0 has 1 weights for 0 rows (want 0 or 0)"
    );
}

#[test]
fn a_negative_weight_is_rejected() {
    assert_rejected(
        |p| p.series_sets[0].weights = vec![0.5, 0.5, 0.25, -0.25],
        "series set 0: weight -0.25 is negative",
    );
}

#[test]
fn a_nan_or_infinite_weight_is_rejected() {
    assert_rejected(
        |p| p.series_sets[0].weights = vec![f64::NAN, 0.5, 0.25, 0.25],
        "a non-finite number in SERI",
    );
    assert_rejected(
        |p| p.series_sets[2].weights = vec![f64::INFINITY],
        "a non-finite number in SERI",
    );
    // Straight from bytes, past the encoder.
    let nan = keyless_set(1, 1, &[f64::NAN.to_le_bytes()]);
    assert!(decode_with_seri(&nan)
        .unwrap_err()
        .to_string()
        .contains("a non-finite number in SERI"));
}

#[test]
fn weights_that_do_not_sum_to_one_are_rejected() {
    assert_rejected(
        |p| p.series_sets[0].weights = vec![0.25; 3].into_iter().chain([0.3]).collect(),
        "series set 0: the weights sum to 1.05, not 1",
    );
    assert_rejected(
        |p| p.series_sets[2].weights = vec![0.0],
        "series set 2: the weights sum to 0, not 1",
    );
    assert_rejected(|p| p.series_sets[2].weights = vec![1.0 + 1e-6], "not 1");
}

#[test]
fn a_huge_weight_count_is_refused_before_allocating() {
    let body = keyless_set(1, u64::from(u32::MAX), &[]);
    let err = decode_with_seri(&body).unwrap_err();
    assert!(matches!(err, PackError::Truncated { .. }), "{err}");
}

#[test]
fn every_truncation_of_seri_fails_cleanly() {
    let bytes = encode(&sample());
    let body = section(&bytes, b"SERI");
    assert_eq!(
        decode(&with_section(&bytes, b"SERI", &body)).map(|p| p.series_sets),
        Ok(sample().series_sets)
    );
    for len in 0..body.len() {
        let truncated = with_section(&bytes, b"SERI", &body[..len]);
        assert!(decode(&truncated).is_err(), "a {len}-byte SERI decoded");
    }
    let mut longer = body.clone();
    longer.push(0);
    assert!(decode(&with_section(&bytes, b"SERI", &longer)).is_err());
}

#[test]
fn corrupt_seri_bytes_never_panic() {
    let bytes = encode(&sample());
    let body = section(&bytes, b"SERI");
    for i in 0..body.len() {
        for v in [0x00, 0x01, 0x7F, 0x80, 0xFF, body[i] ^ 0x01] {
            let mut changed = body.clone();
            changed[i] = v;
            let _ = decode(&with_section(&bytes, b"SERI", &changed));
        }
    }
}
