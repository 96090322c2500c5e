//! Robustness: random and mutated inputs never panic the parser or the
//! checker. Mutations start from every real `.tsim` file in the repository
//! (deleting, duplicating, swapping and splicing byte ranges, inserting
//! tokens) and from token soups; a fixed seed keeps failures reproducible.

mod common;

use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use tsim_compiler::{check_source, Options};

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "..",
    "->",
    "~",
    "$",
    "\"",
    "\"x\"",
    "service",
    "endpoint",
    "metric",
    "timeline",
    "at",
    "every",
    "for",
    "ramp",
    "outage",
    "spike",
    "x3",
    "x1 -> x5",
    "5ms",
    "1h10m",
    "200/s",
    "20%",
    "-3",
    "1e999",
    "99999999999999999999",
    "09:00-25:00",
    "2026-13-40T00:00:00Z",
    "pick {",
    "lognormal(median:",
    "pool(0,",
    "\"{n:99}\"",
    "\\",
    "\n",
    " ",
    "é",
    "🙂",
    "call",
    "query",
    "parallel {",
    "walk",
    "within",
    "0..1",
    "$x",
    "param x = ",
    "import \"a.tsim\"",
    "scenario \"s\" {",
    "gauge",
    "histogram",
    "from spans",
    "buckets [",
    "family host {",
];

fn corpus() -> Vec<String> {
    let mut files = common::tsim_files(Path::new("scenarios"));
    files.extend(common::tsim_files(Path::new("examples")));
    files.extend(common::tsim_files(Path::new("tests/parse")));
    files.extend(common::tsim_files(Path::new("tests/invalid")));
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn mutate(rng: &mut Pcg64, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..6) {
        let len = bytes.len().max(1);
        let a = rng.random_range(0..len).min(bytes.len());
        let b = (a + rng.random_range(0..40)).min(bytes.len());
        match rng.random_range(0..6) {
            0 => {
                bytes.drain(a..b);
            }
            1 => {
                let chunk = bytes[a..b].to_vec();
                let at = rng.random_range(0..=bytes.len());
                bytes.splice(at..at, chunk);
            }
            2 => {
                let tok = TOKENS[rng.random_range(0..TOKENS.len())]
                    .as_bytes()
                    .to_vec();
                bytes.splice(a..a, tok);
            }
            3 if a < bytes.len() => bytes[a] = rng.random(),
            4 => bytes.truncate(a),
            _ => {
                let last = bytes.len().saturating_sub(1);
                if b < bytes.len() {
                    bytes.swap(a.min(last), b);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_files_never_panic() {
    let corpus = corpus();
    assert!(corpus.len() > 20);
    let mut rng = Pcg64::seed_from_u64(0x7517);
    for i in 0..10_000 {
        let base = &corpus[i % corpus.len()];
        let text = mutate(&mut rng, base);
        let out = check_source("fuzz.tsim", &text, &Options::default());
        // Rendering must not panic either (spans must be valid for miette).
        let _ = common::render(&out);
    }
}

#[test]
fn token_soup_never_panics() {
    let mut rng = Pcg64::seed_from_u64(42);
    for _ in 0..3000 {
        let n = rng.random_range(0..60);
        let text: Vec<&str> = (0..n)
            .map(|_| TOKENS[rng.random_range(0..TOKENS.len())])
            .collect();
        let text = text.join(if rng.random() { " " } else { "" });
        let out = check_source("soup.tsim", &text, &Options::default());
        let _ = common::render(&out);
    }
}

#[test]
fn deep_nesting_is_rejected_without_overflowing_the_stack() {
    let deep = format!(
        "attributes {{ a = {}1{} }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let out = check_source("deep.tsim", &deep, &Options::default());
    let _ = common::render(&out);
    let parallel = format!(
        "service \"a\" {{ endpoint \"b\" {{ {} }} }}",
        "parallel { ".repeat(3000) + &"}".repeat(3000)
    );
    let _ = check_source("deep2.tsim", &parallel, &Options::default());
}
