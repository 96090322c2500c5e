//! `tsim fixtures --list DIR`: on a tree built by `tsim fixtures --out`, it
//! lists every folder with the record counts the build printed and the
//! answer keys' entries; a DIR that is not a tree, a missing file and a
//! broken answer key are clear errors.

mod common;

use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tsim-fixtures-list-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The table rows of a `tsim fixtures` or `--list` output, sorted.
fn rows(stdout: &[u8]) -> Vec<String> {
    let mut rows: Vec<String> = String::from_utf8_lossy(stdout)
        .lines()
        .skip(1)
        .filter(|l| l.split_whitespace().count() == 6)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    rows.sort();
    rows
}

#[test]
fn lists_a_built_tree_with_the_counts_it_was_built_with() {
    let d = temp("built");
    let built = common::tsim(&["fixtures", "--out", d.to_str().unwrap()]);
    assert_eq!(
        common::code(&built),
        0,
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let listed = common::tsim(&["fixtures", "--list", d.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(
        common::code(&listed),
        0,
        "{stdout}{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(stdout.starts_with("fixture "), "{stdout}");
    let want = rows(&built.stdout);
    assert_eq!(rows(&listed.stdout), want);
    assert!(want.len() >= 8, "{want:?}");
    for group in ["normal ", "incidents/outage ", "noise/transient "] {
        assert!(
            want.iter().any(|r| r.starts_with(group)),
            "{group}: {want:?}"
        );
    }
    assert!(stdout.contains(&format!("{} fixtures under {}", want.len(), d.display())));
    // One row checked against the files themselves.
    let outage = d.join("incidents/outage");
    let count = |f: &str| {
        std::fs::read_to_string(outage.join(f))
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .count()
    };
    let key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outage.join("answer_key.json")).unwrap())
            .unwrap();
    let row = format!(
        "incidents/outage {} {} {} {} {}",
        count("metrics.ndjson"),
        count("logs.ndjson"),
        count("traces.ndjson"),
        count("events.ndjson"),
        key.as_array().map_or(0, Vec::len)
    );
    assert!(rows(&listed.stdout).contains(&row), "{row} in {stdout}");

    // A missing file and a broken answer key: listed with `-`, named, status 1.
    std::fs::remove_file(outage.join("logs.ndjson")).unwrap();
    std::fs::write(
        d.join("noise/transient/answer_key.json"),
        "{\"not\": \"a list\"}",
    )
    .unwrap();
    std::fs::write(d.join("README"), "mine").unwrap();
    let listed = common::tsim(&["fixtures", "--list", d.to_str().unwrap()]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&listed.stdout),
        String::from_utf8_lossy(&listed.stderr),
    );
    assert_eq!(common::code(&listed), 1, "{stdout}{stderr}");
    assert!(
        rows(&listed.stdout)
            .iter()
            .any(|r| r.starts_with("incidents/outage ") && r.contains(" - ")),
        "{stdout}"
    );
    assert!(
        stderr.contains("incidents/outage/logs.ndjson is missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("noise/transient/answer_key.json is not a JSON array"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped") && stderr.contains("README"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_dir_that_is_not_a_fixture_tree_is_a_clear_error() {
    let d = temp("foreign");
    let out = common::tsim(&["fixtures", "--list", d.to_str().unwrap()]);
    assert_eq!(common::code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("does not exist; make one with `tsim fixtures --out"));
    std::fs::create_dir_all(d.join("other")).unwrap();
    let out = common::tsim(&["fixtures", "--list", d.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(common::code(&out), 1, "{stderr}");
    assert!(
        stderr.contains("is not a fixture tree: it has no normal/, incidents/ or noise/ folder"),
        "{stderr}"
    );
    assert!(!stderr.contains("note:"), "{stderr}");
    let file = d.join("file");
    std::fs::write(&file, "x").unwrap();
    let out = common::tsim(&["fixtures", "--list", file.to_str().unwrap()]);
    assert_eq!(common::code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));
    let out = common::tsim(&["fixtures", "--list", d.to_str().unwrap(), "--out", "x"]);
    assert_eq!(common::code(&out), 2, "--list with --out is a usage error");
    let _ = std::fs::remove_dir_all(&d);
}
