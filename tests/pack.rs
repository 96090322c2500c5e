//! The pack end to end: every stock scenario compiles, round-trips, gives
//! the same bytes from another working directory and its inspect output is
//! a reviewed snapshot; a different seed changes values, not structure; the
//! loader rejects every truncation and every bit flip; of mutated packs
//! (with a recomputed checksum, so structural validation is exercised) a
//! rejected one gets a one-line error and an accepted one inspects and
//! runs; the checked-in golden pack still loads.

mod common;
mod fuzzing;

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use tsim_compiler::{check_file, compile, Options};
use tsim_pack::{crc32, decode, encode, peek_version, PackError, FORMAT_VERSION};

fn stock() -> Vec<PathBuf> {
    let mut files = common::tsim_files(Path::new("scenarios"));
    files.retain(|f| !f.starts_with("scenarios/lib"));
    files
}

fn compile_path(path: &Path, seed: Option<u64>) -> Vec<u8> {
    let out = check_file(
        path,
        &Options {
            seed,
            ..Options::default()
        },
    );
    let model = out
        .model
        .unwrap_or_else(|| panic!("{} does not check", path.display()));
    compile(&model).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn snapshot_name(path: &Path) -> String {
    path.with_extension("")
        .to_string_lossy()
        .replace(['/', '\\'], "__")
}

#[test]
fn every_stock_scenario_compiles_round_trips_and_matches_its_inspect_snapshot() {
    for path in stock() {
        let bytes = compile_path(&path, None);
        let pack = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            encode(&pack),
            bytes,
            "{}: decode then encode changed the bytes",
            path.display()
        );
        let text = tsim_runtime::inspect::text(&pack, &bytes);
        insta::with_settings!({ snapshot_path => "snapshots/inspect", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(snapshot_name(&path), text);
        });
    }
}

/// `inspect --format json` holds the text form's facts, structured: the
/// same header and counts, one entry per resource, root, metric, stream,
/// rule, event and instruction (each instruction with the text form's
/// line), and sample spans with their attributes as typed values.
#[test]
fn the_inspect_json_holds_the_facts_of_the_text_form() {
    for path in stock() {
        let bytes = compile_path(&path, None);
        let pack = decode(&bytes).expect("decodes");
        let text = tsim_runtime::inspect::text(&pack, &bytes);
        let j = tsim_runtime::inspect::json(&pack, &bytes);
        let name = path.display();
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("crc32 {}", j["crc32"].as_str().unwrap_or("?"))),
            "{name}"
        );
        assert_eq!(j["name"], pack.strings[pack.meta.name as usize], "{name}");
        let len = |k: &str| j[k].as_array().map_or(usize::MAX, Vec::len);
        assert_eq!(len("resources"), pack.resources.len(), "{name}");
        assert_eq!(len("traces"), pack.calls.roots.len(), "{name}");
        assert_eq!(len("metrics"), pack.metrics.len(), "{name}");
        assert_eq!(len("events"), pack.events.len(), "{name}");
        assert_eq!(len("program"), pack.program.len(), "{name}");
        assert_eq!(j["counts"]["instructions"], pack.program.len(), "{name}");
        let streams = j["logs"]["streams"].as_array().map_or(0, Vec::len);
        assert_eq!(streams, pack.logs.streams.len(), "{name}");
        for op in j["program"].as_array().into_iter().flatten() {
            let line = format!(
                "  {:04x}  {}",
                op["offset"].as_u64().unwrap_or(0),
                op["text"].as_str().unwrap_or("?")
            );
            assert!(
                text.lines().any(|l| l == line),
                "{name}: {line} not in the text form"
            );
            assert!(op["op"].is_string(), "{op}");
        }
        for m in j["metrics"].as_array().into_iter().flatten().take(24) {
            let quoted = format!("{:?}", m["name"].as_str().unwrap_or("?"));
            assert!(text.contains(&format!("  {quoted} ")), "{name}: {quoted}");
        }
        for t in j["traces"].as_array().into_iter().flatten() {
            let spans = t["spans"].as_array().cloned().unwrap_or_default();
            assert!(
                !spans.is_empty() && spans.len() as u64 <= t["spans_in_all"].as_u64().unwrap_or(0),
                "{name}: {t}"
            );
            for s in &spans {
                assert!(
                    s["attributes"].is_object() && s["duration_ns"].is_u64(),
                    "{s}"
                );
            }
        }
    }
}

#[test]
fn the_same_source_gives_the_same_bytes_from_another_directory() {
    let root = std::env::current_dir().expect("a working directory");
    let elsewhere = std::env::temp_dir().join(format!("tsim-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).expect("a temporary directory");
    for path in stock() {
        let a = elsewhere.join("a.pack");
        let b = elsewhere.join("b.pack");
        let run = |cwd: &Path, src: &Path, out: &Path| {
            let status = Command::new(env!("CARGO_BIN_EXE_tsim"))
                .current_dir(cwd)
                .args([
                    "compile",
                    &src.to_string_lossy(),
                    "-o",
                    &out.to_string_lossy(),
                ])
                .output()
                .expect("tsim runs");
            assert!(
                status.status.success(),
                "{}",
                String::from_utf8_lossy(&status.stderr)
            );
        };
        run(&root, &path, &a);
        run(&elsewhere, &root.join(&path), &b);
        let (a, b) = (
            std::fs::read(&a).expect("pack a"),
            std::fs::read(&b).expect("pack b"),
        );
        assert!(
            a == b,
            "{}: bytes differ between working directories",
            path.display()
        );
    }
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[test]
fn a_different_seed_changes_the_seed_not_the_programs() {
    // Programs hold distributions, not samples: the seed is a run-time input.
    let path = Path::new("scenarios/checkout.tsim");
    let a = decode(&compile_path(path, Some(1))).expect("pack");
    let b = decode(&compile_path(path, Some(2))).expect("pack");
    assert_ne!(a.meta.seed, b.meta.seed);
    // String ids may move (resource picks are sampled with the seed), the
    // programs' distributions do not.
    let shape = |p: &tsim_pack::Pack| {
        let eps = p.calls.endpoints.iter();
        let dists: Vec<_> = eps
            .map(|e| (e.latency.clone(), e.errors.rate, e.steps.len()))
            .collect();
        (dists, p.calls.roots.clone(), p.calls.hop.clone())
    };
    assert_eq!(shape(&a), shape(&b), "programs do not depend on the seed");
    assert_eq!(a.resources.len(), b.resources.len());
    assert_eq!(a.metrics.len(), b.metrics.len());
    assert_eq!(a.program.len(), b.program.len());
    let names = |p: &tsim_pack::Pack| {
        p.metrics
            .iter()
            .map(|m| p.strings[m.name as usize].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b));
}

fn small_pack() -> Vec<u8> {
    compile_path(Path::new("examples/hello.tsim"), None)
}

fn with_fixed_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len().saturating_sub(4);
    let crc = crc32(&bytes[..n]);
    if bytes.len() >= 4 {
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
    }
    bytes
}

#[test]
fn every_truncation_of_a_small_pack_fails_cleanly() {
    let bytes = small_pack();
    assert!(decode(&bytes).is_ok());
    for len in 0..bytes.len() {
        let err = decode(&bytes[..len]).expect_err("a truncated pack was accepted");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn every_bit_flip_is_detected() {
    let bytes = small_pack();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut m = bytes.clone();
            m[i] ^= 1 << bit;
            assert!(
                decode(&m).is_err(),
                "flipping bit {bit} of byte {i} went unnoticed"
            );
        }
    }
}

#[test]
fn mutated_packs_with_valid_checksums_fail_in_one_line_or_run() {
    // Byte edits anywhere (the table included) with the checksum fixed:
    // a rejected pack says why in one line; an accepted one (say, a
    // changed float) must then be usable: inspect renders it and a bounded
    // run ends. `tests/fuzz_pack.rs` fuzzes section by section.
    let _serial = fuzzing::serial();
    let bytes = small_pack();
    let mut rng = Pcg64::seed_from_u64(7);
    let (mut accepted, total) = (0, 3000);
    for _ in 0..total {
        let mut m = bytes.clone();
        for _ in 0..rng.random_range(1..4) {
            let i = rng.random_range(0..m.len());
            match rng.random_range(0..3) {
                0 => m[i] = rng.random(),
                1 => {
                    m.remove(i);
                }
                _ => m.insert(i, rng.random()),
            }
        }
        let m = with_fixed_crc(m);
        match decode(&m) {
            Ok(pack) => {
                accepted += 1;
                let shared = m.clone();
                let ran = fuzzing::guarded(fuzzing::packs::RUN_BUDGET, move || {
                    fuzzing::packs::survive(&pack, &shared)
                });
                assert!(
                    matches!(ran, Ok(Ok(_))),
                    "an accepted mutation did not survive: {ran:?}\n{m:?}"
                );
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
            }
        }
    }
    // Most mutations break a checked structure: the table, a count, a tag.
    assert!(accepted * 2 < total, "{accepted} of {total} accepted");
}

#[test]
fn random_files_are_rejected() {
    let mut rng = Pcg64::seed_from_u64(11);
    for len in [0usize, 1, 7, 8, 12, 64, 4096] {
        let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        assert!(decode(&junk).is_err());
        let mut pack_like = b"TSIMPACK".to_vec();
        pack_like.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        pack_like.extend(&junk);
        assert!(decode(&with_fixed_crc(pack_like)).is_err());
    }
}

#[test]
fn another_format_version_names_the_versions() {
    let mut bytes = small_pack();
    bytes[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = decode(&with_fixed_crc(bytes)).expect_err("a future version was accepted");
    assert_eq!(
        err,
        PackError::UnsupportedVersion {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        }
    );
    assert!(err.to_string().contains("upgrade tsim"), "{err}");
}

#[test]
fn the_golden_pack_still_loads() {
    let golden =
        std::fs::read("tests/golden/hello.pack").expect("tests/golden/hello.pack is checked in");
    let version = peek_version(&golden).expect("the golden pack has a header");
    assert_eq!(
        version, FORMAT_VERSION,
        "the golden pack is format {version} but this build reads {FORMAT_VERSION}: the format moved on. \
         Regenerate it with `cargo run -- compile examples/hello.tsim -o tests/golden/hello.pack`, \
         review `tsim inspect`, and say in the commit why the version changed"
    );
    let pack = decode(&golden).unwrap_or_else(|e| panic!("the golden pack no longer loads: {e}"));
    assert_eq!(pack.strings[pack.meta.name as usize], "hello");
    assert!(
        small_pack() == golden,
        "examples/hello.tsim no longer compiles to the golden pack: sampling or layout changed. \
         If that was deliberate, regenerate it (see above)"
    );
}

#[test]
fn the_loader_reports_file_problems_in_one_line() {
    let missing = tsim_runtime::load(Path::new("no/such.pack")).expect_err("a missing file loaded");
    assert!(missing.to_string().starts_with("no/such.pack: cannot read"));
    let dir = std::env::temp_dir().join(format!("tsim-bad-pack-{}", std::process::id()));
    std::fs::write(&dir, b"not a pack at all").expect("temp file");
    let bad = tsim_runtime::load(&dir).expect_err("junk loaded");
    assert!(bad.to_string().contains("not a tsim pack"), "{bad}");
    assert!(!bad.to_string().contains('\n'));
    let _ = std::fs::remove_file(&dir);
}
