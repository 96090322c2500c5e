//! NDJSON fixtures end to end: `tsim fixtures` builds the REFERENCE E tree
//! with answer keys, twice to identical bytes; every record has exactly the
//! schema's fields; `tsim run` reproduces a fixture from the same start; and
//! the first lines of every stock scenario's fixtures are reviewed snapshots.

mod common;

use common::tsim;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tsim_compiler::{check_file, compile, Options};
use tsim_runtime::sim;
use tsim_runtime::sink::ndjson::{NdjsonSink, FILES};

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const SCHEMAS: [(&str, &[&str]); 4] = [
    (
        "metrics.ndjson",
        &["timestamp", "service", "metric", "value", "unit"],
    ),
    (
        "logs.ndjson",
        &["timestamp", "service", "level", "message", "trace_id"],
    ),
    (
        "traces.ndjson",
        &[
            "timestamp",
            "trace_id",
            "span_id",
            "parent_span_id",
            "service",
            "operation",
            "duration_ms",
            "status",
        ],
    ),
    (
        "events.ndjson",
        &[
            "timestamp",
            "type",
            "service",
            "details",
            "severity",
            "version",
        ],
    ),
];

fn check_schema(dir: &Path) {
    for (file, fields) in SCHEMAS {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|_| panic!("{} has no {file}", dir.display()));
        let want: BTreeSet<&str> = fields.iter().copied().collect();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{file}: bad JSON {e}: {line}"));
            let keys: BTreeSet<&str> = v
                .as_object()
                .expect("an object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, want, "{file}: wrong fields in {line}");
            for (k, value) in v.as_object().expect("an object") {
                let numeric = matches!(k.as_str(), "value" | "duration_ms");
                let ok = if numeric {
                    value.is_number()
                } else {
                    value.is_string()
                };
                assert!(ok, "{file}: `{k}` has the wrong type in {line}");
            }
            let ts = v["timestamp"].as_str().expect("a timestamp");
            assert!(
                ts.ends_with('Z') && ts.len() == 27,
                "{file}: not an RFC 3339 UTC timestamp: {ts}"
            );
        }
    }
}

fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for f in common::walk(dir) {
        let bytes = std::fs::read(&f).expect("readable");
        out.push((f.strip_prefix(dir).expect("under dir").to_path_buf(), bytes));
    }
    out
}

#[test]
fn the_fixture_tree_is_complete_valid_and_reproducible() {
    let (a, b) = (temp("fixtures-a"), temp("fixtures-b"));
    let out = tsim(&["fixtures", "--out", &a.to_string_lossy()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    for folder in [
        "normal",
        "incidents/degradation",
        "incidents/outage",
        "incidents/cascade",
        "incidents/deployment",
        "noise/transient",
        "noise/high-volume",
        "noise/intermittent",
    ] {
        assert!(
            listing.contains(folder),
            "the listing lacks {folder}:\n{listing}"
        );
        let dir = a.join(folder);
        check_schema(&dir);
        let key: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("answer_key.json")).expect("an answer key"),
        )
        .expect("JSON");
        let incidents = key.as_array().expect("a list");
        if folder.starts_with("incidents/") {
            assert_eq!(incidents.len(), 1, "{folder}: one incident expected");
            let i = &incidents[0];
            assert!(i["start"].as_str() < i["end"].as_str());
            assert!(
                !i["affected_services"]
                    .as_array()
                    .expect("a list")
                    .is_empty(),
                "{folder}: nothing affected"
            );
        }
        if folder == "normal" {
            assert!(incidents.is_empty());
        }
    }
    let out = tsim(&["fixtures", "--out", &b.to_string_lossy()]);
    assert!(out.status.success());
    let (fa, fb) = (files_of(&a), files_of(&b));
    assert_eq!(fa.len(), fb.len());
    for ((pa, ba), (pb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs between two builds", pa.display());
    }
    // `tsim run` with the scenario's start reproduces the tree's fixture.
    let c = temp("fixtures-c");
    let out = tsim(&[
        "run",
        "scenarios/triage/outage.tsim",
        "--to",
        &format!("ndjson:{}", c.display()),
        "--start",
        "2026-01-05T14:00:00Z",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in FILES {
        assert!(
            std::fs::read(c.join(f)).ok() == std::fs::read(a.join("incidents/outage").join(f)).ok(),
            "{f} differs from the tree's"
        );
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("events/s"),
        "no summary line"
    );
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn the_first_lines_of_every_stock_scenario_are_snapshots() {
    let mut files = common::tsim_files(Path::new("scenarios"));
    files.retain(|f| !f.starts_with("scenarios/lib"));
    for path in files {
        let model = check_file(&path, &Options::default())
            .model
            .expect("checks");
        let pack = tsim_pack::decode(&compile(&model).expect("compiles")).expect("decodes");
        // Two ticks, and at most about 2,000 root requests.
        let rate = model.settings.traffic.rate.max(1.0);
        let cap = (2000.0 / rate * 1e9) as u64;
        let duration = (2 * pack.meta.tick_ns)
            .min(pack.meta.duration_ns)
            .min(cap.max(1_000_000));
        let dir = temp(&format!(
            "first-lines-{}",
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let mut sink = NdjsonSink::create(&dir).expect("a fixture dir");
        let opts = sim::Options {
            start_ns: 1_767_621_600_000_000_000,
            seed: None,
            duration_ns: Some(duration),
            ..Default::default()
        };
        let sum = sim::run(&pack, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
        check_schema(&dir);
        let mut text = String::new();
        for f in FILES {
            text.push_str(&format!("== {f}\n"));
            let body = std::fs::read_to_string(dir.join(f)).expect("written");
            for line in body.lines().take(3) {
                text.push_str(line);
                text.push('\n');
            }
        }
        text.push_str(&format!(
            "== answer key\n{}\n",
            tsim_runtime::answer::to_json(&sum.incidents)
        ));
        let name = path
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "__");
        insta::with_settings!({ snapshot_path => "snapshots/fixtures", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
