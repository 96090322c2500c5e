//! Every bad input under `tests/invalid/` is rejected, and its rendered
//! diagnostics match a reviewed snapshot. A case is a `.tsim` file, or a
//! folder whose `main.tsim` is checked; a first line `// args: --set k=v`
//! passes overrides. Together the cases must exercise every diagnostic code,
//! and every code is documented exactly once in `docs/language.md`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tsim_compiler::{check_file, Options, ALL_CODES};

fn cases() -> Vec<(String, PathBuf)> {
    let dir = Path::new("tests/invalid");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            out.push((stem, p.join("main.tsim")));
        } else if p.extension().is_some_and(|x| x == "tsim") {
            out.push((stem, p));
        }
    }
    out.sort();
    out
}

fn overrides(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let Some(args) = text.lines().next().and_then(|l| l.strip_prefix("// args:")) else {
        return Vec::new();
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "--set")
        .filter_map(|w| w[1].split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_bad_input_is_rejected_with_its_snapshot() {
    let cases = cases();
    assert!(
        cases.len() >= 30,
        "expected at least 30 bad inputs, found {}",
        cases.len()
    );
    let mut seen_codes = BTreeSet::new();
    for (name, path) in &cases {
        let out = check_file(
            path,
            &Options {
                overrides: overrides(path),
                ..Options::default()
            },
        );
        assert!(
            !out.diagnostics.is_empty(),
            "{name}: no diagnostic for a bad input"
        );
        if name != "empty_service" {
            assert!(out.has_errors(), "{name}: expected an error");
            assert!(
                out.model.is_none(),
                "{name}: a model was produced despite errors"
            );
        }
        for d in &out.diagnostics {
            seen_codes.insert(d.kind.code());
            let file = out
                .sources
                .get(d.span.file)
                .map(|f| f.text.len())
                .unwrap_or(0);
            assert!(
                d.span.start <= d.span.end && d.span.end as usize <= file,
                "{name}: span out of bounds"
            );
        }
        insta::with_settings!({ snapshot_path => "snapshots/invalid", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name.as_str(), common::render(&out));
        });
    }
    let missing: Vec<&&str> = ALL_CODES
        .iter()
        .filter(|c| !seen_codes.contains(**c))
        .collect();
    assert!(missing.is_empty(), "no bad input exercises: {missing:?}");
}

/// The codes the "Diagnostics" table of `docs/language.md` lists, one
/// entry per mention: a row names one or more codes in its first cell
/// (`tsim::a`, `b`, `c`).
fn documented_codes() -> Vec<String> {
    let doc = std::fs::read_to_string("docs/language.md").expect("docs/language.md");
    let table = doc
        .split("## Diagnostics")
        .nth(1)
        .expect("docs/language.md has a Diagnostics section");
    table
        .lines()
        .filter(|l| l.starts_with("| `tsim::"))
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(|c| format!("tsim::{}", c.trim_start_matches("tsim::")))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_code_is_documented_once_and_nothing_else_is() {
    let documented = documented_codes();
    let codes: BTreeSet<&str> = ALL_CODES.iter().copied().collect();
    assert_eq!(
        codes.len(),
        ALL_CODES.len(),
        "two kinds of problem share a code: {ALL_CODES:?}"
    );
    for code in ALL_CODES {
        let mentions = documented.iter().filter(|d| d == code).count();
        assert_eq!(
            mentions, 1,
            "{code} is listed {mentions} times in the Diagnostics table of docs/language.md (want once)"
        );
    }
    let stale: Vec<&String> = documented
        .iter()
        .filter(|d| !codes.contains(d.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/language.md lists codes the compiler never reports: {stale:?}"
    );
}
