//! Fuzzing the parser, the checker and the compiler with mutated real
//! files: every `.tsim` file in the repository is cut into tokens and
//! mutated (tokens inserted, deleted, duplicated, swapped, replaced by
//! hostile values, spliced from another file; bytes flipped; the text
//! truncated), then checked with its real imports. Every case must end
//! within its time budget and memory limit with a model or diagnostics
//! (with spans inside the file, rendered by miette); a model must compile
//! or say why not, and what it compiles to must decode. Token soups and
//! deep nesting are checked the same way. Each case has its own seed
//! (see `fuzzing`), so a failure names the case that replays it.

mod common;
mod fuzzing;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_compiler::{check_file_with, check_source, compile, Options, Outcome};

use fuzzing::{Failure, Run};

/// One case's wall-time budget: a stock scenario checks in milliseconds;
/// this leaves room for a loaded debug build, not for a hang.
const BUDGET: Duration = Duration::from_secs(20);

/// Tokens a mutation may insert: punctuation, keywords and fragments.
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
    "pick {",
    "lognormal(median:",
    "pool(0,",
    "\"{n:99}\"",
    "\\",
    "\n",
    " ",
    "//",
    "repeat",
    "retries",
    "chance",
    "variants",
    "series",
    "instances",
    "hosts",
    "errors",
    "latency",
    "rate",
    "tick",
    "duration",
    "seed",
    "logs",
];

/// Values chosen to break arithmetic, allocation and formatting.
const HOSTILE: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1e308",
    "1e309",
    "-1e308",
    "1e-320",
    "1e999",
    "NaN",
    "inf",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "4294967296",
    "99999999999999999999",
    "1e300ms",
    "1e18ns",
    "0ns",
    "0s",
    "0.000000001ns",
    "9999999999w",
    "1e15/s",
    "1e300/s",
    "0/s",
    "100000000%",
    "-5%",
    "1e300GiB",
    "x1e300",
    "x0",
    "x-1",
    "+1e300%",
    "1e6",
    "1000000",
    "65536",
    "2026-13-40T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "23:59:60",
    "00:00-00:00",
    "\"\u{202e}\u{0}\u{feff}\"",
    "\"\\u{ffff}\"",
    "\"日本語🙂\"",
    "\"{{{{{{\"",
    "\"{n:255}\"",
    "\"{n:0}\"",
    "\"{hex:99}\"",
    "é",
    "🙂",
    "\u{0}",
];

/// A corpus file: its path (imports resolve from it) and its text.
struct Seed {
    path: PathBuf,
    text: String,
}

fn corpus() -> Vec<Seed> {
    let mut files = common::tsim_files(Path::new("scenarios"));
    for dir in ["examples", "tests/parse", "tests/invalid"] {
        files.extend(common::tsim_files(Path::new(dir)));
    }
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            Some(Seed { path, text })
        })
        .collect()
}

/// Cuts `text` into tokens: strings, words (with their digits, dots and
/// units), whitespace runs and single punctuation characters. Joining the
/// tokens gives the text back.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '"' {
            rest[1..].find(['"', '\n']).map_or(rest.len(), |n| n + 2)
        } else if c.is_whitespace() {
            rest.find(|x: char| !x.is_whitespace())
                .unwrap_or(rest.len())
        } else if c.is_alphanumeric() || "_.%/".contains(c) {
            rest.find(|x: char| !(x.is_alphanumeric() || "_.%/".contains(x)))
                .unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        let len = len.min(rest.len()).max(c.len_utf8());
        let (tok, tail) = rest.split_at(len);
        out.push(tok);
        rest = tail;
    }
    out
}

fn pick<'a>(rng: &mut Pcg64, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// Applies one to five token-level or byte-level mutations to `base`,
/// splicing from `other` when it wants another file.
fn mutate(rng: &mut Pcg64, base: &str, other: &str) -> String {
    let mut toks: Vec<String> = tokens(base).into_iter().map(str::to_owned).collect();
    let theirs = tokens(other);
    for _ in 0..rng.random_range(1..6) {
        let n = toks.len();
        let at = rng.random_range(0..=n);
        match rng.random_range(0..10) {
            0 if at < n => {
                let end = (at + rng.random_range(1..8)).min(n);
                toks.drain(at..end);
            }
            1 if at < n => {
                let end = (at + rng.random_range(1..40)).min(n);
                let chunk = toks[at..end].to_vec();
                let to = rng.random_range(0..=n);
                toks.splice(to..to, chunk);
            }
            2 if n > 1 => {
                let b = rng.random_range(0..n);
                toks.swap(at.min(n - 1), b);
            }
            3 => toks.insert(at, format!(" {} ", pick(rng, TOKENS))),
            4 => {
                // A hostile value in place of a number-like token.
                let numbers: Vec<usize> = (0..n)
                    .filter(|&i| toks[i].starts_with(|c: char| c.is_ascii_digit()))
                    .collect();
                let value = pick(rng, HOSTILE).to_string();
                match numbers.get(rng.random_range(0..numbers.len().max(1))) {
                    Some(&i) => toks[i] = value,
                    None => toks.insert(at, value),
                }
            }
            5 if !theirs.is_empty() => {
                let a = rng.random_range(0..theirs.len());
                let b = (a + rng.random_range(1..60)).min(theirs.len());
                let chunk: Vec<String> = theirs[a..b].iter().map(|s| s.to_string()).collect();
                toks.splice(at..at, chunk);
            }
            6 => toks.truncate(at),
            7 => {
                // Long lines and deep nesting.
                let unit = pick(rng, &["[", "(", "{", "pick { \"a\": ", "a", "é", "\"x\" "]);
                toks.insert(at, unit.repeat(rng.random_range(50..3000)));
            }
            _ => {
                let mut bytes = toks.concat().into_bytes();
                if !bytes.is_empty() {
                    let i = rng.random_range(0..bytes.len());
                    bytes[i] = rng.random();
                }
                toks = vec![String::from_utf8_lossy(&bytes).into_owned()];
            }
        }
    }
    toks.concat()
}

/// What a checked case must satisfy; returns the problem, if any.
fn judge(out: &Outcome) -> Result<(), String> {
    for d in &out.diagnostics {
        let len = out.sources.get(d.span.file).map_or(0, |f| f.text.len());
        if d.span.start > d.span.end || d.span.end as usize > len {
            return Err(format!(
                "{}: span {:?} outside the file",
                d.kind.code(),
                d.span
            ));
        }
    }
    let text = common::render(out);
    if text.contains("<render failed>") {
        return Err(format!("miette could not render:\n{text}"));
    }
    let Some(model) = &out.model else {
        return match out.has_errors() {
            true => Ok(()),
            false => Err("no model and no error".into()),
        };
    };
    // A model compiles, or lowering says why; what it writes must load.
    match compile(model) {
        Ok(bytes) => match tsim_pack::decode(&bytes) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("the compiler wrote a pack that does not load: {e}")),
        },
        Err(e) if e.to_string().is_empty() => Err("lowering failed without a message".into()),
        Err(_) => Ok(()),
    }
}

/// Checks `text` as if it were the file at `path` (its imports are read
/// from disk) within the harness's budgets.
fn check_as(path: &Path, text: String) -> Result<Result<(), String>, Failure> {
    let path = path.to_path_buf();
    let text = Arc::new(text);
    fuzzing::guarded(BUDGET, move || {
        let root = path.clone();
        let read = move |p: &Path| -> std::io::Result<String> {
            match p == root {
                true => Ok(text.to_string()),
                false => std::fs::read_to_string(p),
            }
        };
        judge(&check_file_with(&path, &read, &Options::default()))
    })
}

fn verdict(target: &str, run: &Run, i: u64, text: &str, got: Result<Result<(), String>, Failure>) {
    let failure = match got {
        Ok(Ok(())) => return,
        Ok(Err(problem)) => Failure::Panic(problem),
        Err(f) => f,
    };
    fuzzing::fail(target, run, i, text.as_bytes(), "tsim", &failure);
}

#[test]
fn mutated_files_check_within_budget() {
    let _serial = fuzzing::serial();
    let corpus = corpus();
    assert!(
        corpus.len() > 60,
        "found only {} corpus files",
        corpus.len()
    );
    let run = Run::from_env(0x7517, 3000);
    for i in run.indexes() {
        let mut rng = run.rng(i);
        let seed = &corpus[i as usize % corpus.len()];
        let other = &corpus[rng.random_range(0..corpus.len())];
        let text = mutate(&mut rng, &seed.text, &other.text);
        let got = check_as(&seed.path, text.clone());
        verdict("fuzz", &run, i, &text, got);
    }
}

#[test]
fn token_soup_checks_within_budget() {
    let _serial = fuzzing::serial();
    let run = Run::from_env(42, 1500);
    for i in run.indexes() {
        let mut rng = run.rng(i);
        let n = rng.random_range(0..80);
        let words: Vec<&str> = (0..n)
            .map(|_| match rng.random_range(0..4) {
                0 => pick(&mut rng, HOSTILE),
                _ => pick(&mut rng, TOKENS),
            })
            .collect();
        let text = words.join(if rng.random() { " " } else { "" });
        let got = check_as(Path::new("soup.tsim"), text.clone());
        verdict("fuzz", &run, i, &text, got);
    }
}

#[test]
fn the_tokenizer_gives_the_text_back() {
    for seed in corpus() {
        assert_eq!(
            tokens(&seed.text).concat(),
            seed.text,
            "{}",
            seed.path.display()
        );
    }
}

/// The one diagnostic of a deeply nested input: its code, and its text.
fn only_error(name: &str, text: &str) -> (String, String) {
    let out = check_source(name, text, &Options::default());
    assert!(out.model.is_none(), "{name}: a model despite the nesting");
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.kind.code()).collect();
    assert!(!codes.is_empty(), "{name}: accepted without a diagnostic");
    (codes.join(","), common::render(&out))
}

#[test]
fn deep_nesting_is_rejected_without_overflowing_the_stack() {
    let lists = format!(
        "attributes {{ a = {}1{} }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (code, text) = only_error("deep.tsim", &lists);
    assert_eq!(code, "tsim::syntax", "{text}");
    assert!(
        text.contains("nested"),
        "the message names the nesting:\n{text}"
    );
    let parallel = format!(
        "service \"a\" {{ endpoint \"b\" {{ {} }} }}",
        "parallel { ".repeat(3000) + &"}".repeat(3000)
    );
    let (code, text) = only_error("deep2.tsim", &parallel);
    assert!(code.contains("tsim::"), "{text}");
    assert!(
        text.contains("nested"),
        "the message names the nesting:\n{text}"
    );
}
