//! Series weights: a metric whose series come from its label generators
//! gives each row the product of its labels' pick shares, normalised over
//! the rows it emits; scope rows (per service, instance, endpoint) share
//! equally; labels without weights, metrics without labels and families
//! get equal shares. Lowering stays deterministic and the pack validates.

use tsim_compiler::lower::lower;
use tsim_compiler::{check_source, Kind, Model, Options};
use tsim_pack::{AttrValue, Pack, SeriesSet};

fn model(src: &str) -> Model {
    let out = check_source("test.tsim", src, &Options::default());
    let kinds: Vec<&Kind> = out.diagnostics.iter().map(|d| &d.kind).collect();
    assert!(kinds.is_empty(), "unexpected diagnostics: {kinds:?}");
    out.model.expect("a clean scenario has a model")
}

/// Lowers `src`, checking that the pack survives encoding and validation.
fn pack(src: &str) -> Pack {
    let p = lower(&model(src)).expect("the scenario lowers");
    let back = tsim_pack::decode(&tsim_pack::encode(&p)).expect("the pack validates");
    assert_eq!(back, p);
    p
}

fn text(p: &Pack, id: u32) -> &str {
    p.strings.get(id as usize).map_or("", String::as_str)
}

/// The series set of metric `name`.
fn set<'p>(p: &'p Pack, name: &str) -> &'p SeriesSet {
    let m = p
        .metrics
        .iter()
        .find(|m| text(p, m.name) == name)
        .unwrap_or_else(|| panic!("no metric {name}"));
    &p.series_sets[m.series_set as usize]
}

/// Each row as its label texts, in key order.
fn rows(p: &Pack, s: &SeriesSet) -> Vec<Vec<String>> {
    s.rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    AttrValue::Str(id) => text(p, *id).to_string(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

/// The weight of the row with these label texts, relative to the total.
fn weight_of(p: &Pack, s: &SeriesSet, row: &[&str]) -> f64 {
    let i = rows(p, s)
        .iter()
        .position(|r| r == row)
        .unwrap_or_else(|| panic!("no row {row:?} in {:?}", rows(p, s)));
    s.weights[i] / s.weights.iter().sum::<f64>()
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-9, "{what}: got {got}, want {want}");
}

fn assert_sums_to_one(s: &SeriesSet) {
    assert_eq!(s.weights.len(), s.rows.len());
    assert!(s.weights.iter().all(|w| w.is_finite() && *w >= 0.0));
    assert_close(s.weights.iter().sum(), 1.0, "the weights' sum");
}

/// Equal shares: no weights, or all the same.
fn assert_equal_shares(s: &SeriesSet) {
    assert!(
        s.weights.is_empty() || s.weights.iter().all(|w| *w == s.weights[0]),
        "not equal shares: {:?}",
        s.weights
    );
}

const MODELS: &[(&str, f64)] = &[
    ("claude-sonnet-4", 0.6),
    ("claude-opus-4", 0.2),
    ("claude-haiku-3-5", 0.2),
];
const TOKEN_TYPES: &[(&str, f64)] = &[
    ("input", 0.4),
    ("output", 0.3),
    ("cacheRead", 0.2),
    ("cacheCreation", 0.1),
];

const TOKENS: &str = r#"
    metric "tokens" counter unit "{token}" {
      labels {
        model = pick { "claude-sonnet-4": 6, "claude-opus-4": 2, "claude-haiku-3-5": 2 }
        token_type = pick { "input": 4, "output": 3, "cacheRead": 2, "cacheCreation": 1 }
      }
      series 12
      walk poisson(rate: 0.001/s)
    }
"#;

#[test]
fn two_weighted_labels_give_each_row_the_product_of_its_shares() {
    let p = pack(TOKENS);
    let s = set(&p, "tokens");
    assert_eq!(s.rows.len(), 12, "{:?}", rows(&p, s));
    assert_sums_to_one(s);
    assert_close(
        weight_of(&p, s, &["claude-sonnet-4", "input"]),
        0.24,
        "(claude-sonnet-4, input)",
    );
    for (m, mw) in MODELS {
        for (t, tw) in TOKEN_TYPES {
            assert_close(weight_of(&p, s, &[m, t]), mw * tw, &format!("({m}, {t})"));
        }
    }
}

#[test]
fn a_brownian_rate_gets_the_same_weights() {
    let src = TOKENS.replace(
        "walk poisson(rate: 0.001/s)",
        "walk brownian(start: 0, drift: 0.05, volatility: 50) within 0..100000",
    );
    let p = pack(&src);
    let s = set(&p, "tokens");
    assert_sums_to_one(s);
    assert_close(
        weight_of(&p, s, &["claude-opus-4", "cacheCreation"]),
        0.02,
        "(claude-opus-4, cacheCreation)",
    );
}

#[test]
fn fewer_series_than_combinations_are_normalised_over_the_rows_emitted() {
    let src = TOKENS.replace("series 12", "series 5");
    let p = pack(&src);
    let s = set(&p, "tokens");
    assert_eq!(s.rows.len(), 5);
    assert_sums_to_one(s);
    let share = |name: &str, table: &[(&str, f64)]| {
        table
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, w)| *w)
            .expect("a known label value")
    };
    let products: Vec<f64> = rows(&p, s)
        .iter()
        .map(|r| share(&r[0], MODELS) * share(&r[1], TOKEN_TYPES))
        .collect();
    let total: f64 = products.iter().sum();
    for (w, product) in s.weights.iter().zip(&products) {
        assert_close(*w, product / total, "a sampled row's weight");
    }
}

#[test]
fn without_series_the_default_combinations_are_weighted_too() {
    let src = TOKENS.replace("series 12", "");
    let p = pack(&src);
    let s = set(&p, "tokens");
    assert_eq!(s.rows.len(), 12, "{:?}", rows(&p, s));
    assert_sums_to_one(s);
    assert_close(
        weight_of(&p, s, &["claude-sonnet-4", "input"]),
        0.24,
        "(claude-sonnet-4, input)",
    );
}

#[test]
fn a_maybe_label_weighs_being_left_out_by_its_chance() {
    let p = pack(
        r#"
        metric "orders" counter {
          labels {
            coupon = maybe(25%, pick { "SAVE10": 3, "FREESHIP": 1 })
            premium = chance(10%)
          }
          series 6
          walk poisson(rate: 3/s)
        }
    "#,
    );
    let s = set(&p, "orders");
    assert_eq!(s.rows.len(), 6, "{:?}", rows(&p, s));
    assert_sums_to_one(s);
    for (coupon, cw) in [("", 0.75), ("SAVE10", 0.1875), ("FREESHIP", 0.0625)] {
        for (premium, pw) in [("Bool(true)", 0.1), ("Bool(false)", 0.9)] {
            assert_close(
                weight_of(&p, s, &[coupon, premium]),
                cw * pw,
                &format!("({coupon:?}, {premium})"),
            );
        }
    }
}

#[test]
fn a_metric_without_labels_has_equal_shares() {
    let p = pack(
        r#"
        service "api" { instances 3  endpoint "GET /" { latency 5ms } }
        metric "jobs" counter { walk poisson(rate: 3/s) }
        metric "cpu" gauge per instance { walk brownian(start: 0.3, drift: 0, volatility: 0.02) within 0..1 }
    "#,
    );
    let jobs = set(&p, "jobs");
    assert_eq!(jobs.rows.len(), 1);
    assert_equal_shares(jobs);
    let cpu = set(&p, "cpu");
    assert_eq!(cpu.rows.len(), 3);
    assert_equal_shares(cpu);
}

#[test]
fn a_constant_label_has_weight_one() {
    let p = pack(
        r#"
        metric "queue.depth" counter {
          labels {
            region = "us-east-1"
            queue = pick { "emails": 1, "webhooks": 3 }
          }
          series 2
          walk poisson(rate: 3/s)
        }
    "#,
    );
    let s = set(&p, "queue.depth");
    assert_eq!(s.rows.len(), 2);
    assert_sums_to_one(s);
    assert_close(weight_of(&p, s, &["us-east-1", "emails"]), 0.25, "emails");
    assert_close(
        weight_of(&p, s, &["us-east-1", "webhooks"]),
        0.75,
        "webhooks",
    );
}

#[test]
fn a_label_without_weights_shares_equally() {
    let p = pack(
        r#"
        metric "shards" counter {
          labels {
            tier = pick { "gold": 1, "free": 3 }
            shard = pool(3, "shard-{n}")
          }
          series 6
          walk poisson(rate: 3/s)
        }
        metric "only.pool" counter {
          labels { shard = pool(4, "shard-{n}") }
          series 4
          walk poisson(rate: 3/s)
        }
    "#,
    );
    let s = set(&p, "shards");
    assert_eq!(s.rows.len(), 6, "{:?}", rows(&p, s));
    assert_sums_to_one(s);
    for r in rows(&p, s) {
        let want = if r[0] == "gold" {
            0.25 / 3.0
        } else {
            0.75 / 3.0
        };
        let r: Vec<&str> = r.iter().map(String::as_str).collect();
        assert_close(weight_of(&p, s, &r), want, &format!("{r:?}"));
    }
    assert_equal_shares(set(&p, "only.pool"));
}

#[test]
fn scope_rows_share_equally_and_labels_split_each() {
    let p = pack(
        r#"
        service "api" { endpoint "GET /" { latency 5ms } }
        service "web" { endpoint "GET /" { latency 5ms } }
        metric "jobs" counter per service {
          labels { queue = pick { "emails": 1, "webhooks": 3 } }
          series 2
          walk poisson(rate: 3/s)
        }
    "#,
    );
    let s = set(&p, "jobs");
    assert_eq!(s.rows.len(), 4, "{:?}", rows(&p, s));
    assert_sums_to_one(s);
    for service in ["api", "web"] {
        assert_close(
            weight_of(&p, s, &[service, "emails"]),
            0.125,
            &format!("{service} emails"),
        );
        assert_close(
            weight_of(&p, s, &[service, "webhooks"]),
            0.375,
            &format!("{service} webhooks"),
        );
    }
}

#[test]
fn families_keep_equal_shares() {
    let p = pack(
        r#"
        family host { hosts 20  labels { os.type = "linux" } }
        family kubernetes { clusters 2  nodes 10  pods 100  containers 2 }
    "#,
    );
    assert!(!p.series_sets.is_empty());
    for s in &p.series_sets {
        assert!(s.weights.is_empty(), "a family set has weights");
    }
}

#[test]
fn weights_are_deterministic() {
    let a = tsim_pack::encode(&pack(TOKENS));
    let b = tsim_pack::encode(&pack(TOKENS));
    assert_eq!(a, b);
}
