//! The `tsim` binary end to end: exit codes (0 clean, 1 errors, 2 usage),
//! `--format json` records, `--set` overrides, and `--help` text.

mod common;

use common::{code, tsim};

#[test]
fn a_clean_file_exits_zero() {
    let out = tsim(&["check", "scenarios/checkout.tsim"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scenarios/checkout.tsim: ok"));
}

#[test]
fn a_file_with_errors_exits_one_and_names_file_line_and_column() {
    let out = tsim(&["check", "tests/invalid/unknown_service.tsim"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tsim::unknown_service"), "{err}");
    assert!(
        err.contains("tests/invalid/unknown_service.tsim:2:27"),
        "{err}"
    );
    assert!(err.contains("did you mean `user-service`?"), "{err}");
}

#[test]
fn one_bad_file_among_good_ones_fails_the_run() {
    let out = tsim(&[
        "check",
        "scenarios/checkout.tsim",
        "tests/invalid/call_cycle.tsim",
    ]);
    assert_eq!(code(&out), 1);
}

#[test]
fn warnings_alone_do_not_fail() {
    let out = tsim(&["check", "tests/invalid/empty_service.tsim"]);
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 warnings"));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(code(&tsim(&["check"])), 2);
    assert_eq!(code(&tsim(&["check", "--format", "xml", "a.tsim"])), 2);
    assert_eq!(code(&tsim(&["check", "--set", "novalue", "a.tsim"])), 2);
    assert_eq!(code(&tsim(&["frobnicate"])), 2);
}

#[test]
fn json_format_prints_machine_readable_records() {
    let out = tsim(&[
        "check",
        "--format",
        "json",
        "tests/invalid/many_errors_reported.tsim",
    ]);
    assert_eq!(code(&out), 1);
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let records = records.as_array().expect("an array of records");
    assert_eq!(records.len(), 5);
    let first = &records[0];
    assert_eq!(first["file"], "tests/invalid/many_errors_reported.tsim");
    assert_eq!(first["line"], 1);
    assert_eq!(first["column"], 37);
    assert_eq!(first["severity"], "error");
    assert_eq!(first["code"], "tsim::unit_mismatch");
    assert_eq!(first["message"], "expected a duration, found a number `10`");
    assert!(first["help"].as_str().is_some_and(|h| h.contains("10s")));
    let codes: Vec<&str> = records.iter().filter_map(|r| r["code"].as_str()).collect();
    assert!(codes.contains(&"tsim::window_outside_run"));
}

#[test]
fn json_format_of_a_clean_file_is_an_empty_array() {
    let out = tsim(&["check", "--format", "json", "scenarios/demo-stack.tsim"]);
    assert_eq!(code(&out), 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

#[test]
fn set_overrides_a_param_and_is_checked_like_source() {
    let ok = tsim(&[
        "check",
        "scenarios/honeycomb-backfill.tsim",
        "--set",
        "days=60d",
        "--set",
        "rate=90/s",
    ]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stderr));
    let wrong_kind = tsim(&[
        "check",
        "scenarios/honeycomb-backfill.tsim",
        "--set",
        "days=60",
    ]);
    assert_eq!(code(&wrong_kind), 1);
    assert!(String::from_utf8_lossy(&wrong_kind.stderr).contains("tsim::bad_override"));
    let unknown = tsim(&[
        "check",
        "--format",
        "json",
        "scenarios/honeycomb-backfill.tsim",
        "--set",
        "dayz=60d",
    ]);
    assert!(String::from_utf8_lossy(&unknown.stdout).contains("did you mean `days`?"));
}

#[test]
fn set_values_reach_the_checks() {
    // A 30-second run cannot hold the triage outage window at 15s..45s.
    let out = tsim(&[
        "check",
        "scenarios/triage/outage.tsim",
        "--set",
        "length=30s",
    ]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("tsim::window_outside_run"));
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let out = tsim(&["check", "no/such/file.tsim"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot read `no/such/file.tsim`: no such file"));
}

#[test]
fn help_describes_check() {
    let out = tsim(&["--help"]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("check"), "{text}");
    let check = String::from_utf8_lossy(&tsim(&["check", "--help"]).stdout).into_owned();
    for flag in ["--set", "--format", "Exit status"] {
        assert!(check.contains(flag), "check --help lacks {flag}");
    }
}

#[test]
fn compile_then_inspect_round_trips_and_bad_packs_fail_in_one_line() {
    let dir = std::env::temp_dir().join(format!("tsim-cli-pack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pack = dir.join("hello.pack");
    let out = tsim(&[
        "compile",
        "examples/hello.tsim",
        "-o",
        &pack.to_string_lossy(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = tsim(&["inspect", &pack.to_string_lossy()]);
    assert_eq!(code(&text), 0);
    assert!(String::from_utf8_lossy(&text.stdout).contains("pack \"hello\": format"));
    let run = tsim(&[
        "run",
        &pack.to_string_lossy(),
        "--to",
        "null",
        "--duration",
        "1m",
    ]);
    assert_eq!(
        code(&run),
        0,
        "a pack runs like its scenario: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json = tsim(&["inspect", "--format", "json", &pack.to_string_lossy()]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("inspect JSON");
    assert_eq!(v["name"], "hello");
    // A source and a stock scenario inspect as their packs do.
    let source = tsim(&["inspect", "--format", "json", "examples/hello.tsim"]);
    assert_eq!(source.stdout, json.stdout);
    let preset = tsim(&["inspect", "stock:claude-code", "--set", "variant=load-test"]);
    assert_eq!(
        code(&preset),
        0,
        "{}",
        String::from_utf8_lossy(&preset.stderr)
    );
    assert!(String::from_utf8_lossy(&preset.stdout).contains("duration 30m"));
    let stock = tsim(&["inspect", "stock:checkout"]);
    assert_eq!(
        code(&stock),
        0,
        "{}",
        String::from_utf8_lossy(&stock.stderr)
    );
    assert!(String::from_utf8_lossy(&stock.stdout).contains("pack \"checkout\": format"));
    let mut bytes = std::fs::read(&pack).expect("pack");
    bytes.truncate(bytes.len() / 2);
    let bad = dir.join("bad.pack");
    std::fs::write(&bad, &bytes).expect("write");
    let out = tsim(&["inspect", &bad.to_string_lossy()]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad.pack"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compile_refuses_a_scenario_with_errors() {
    let out = tsim(&[
        "compile",
        "tests/invalid/call_cycle.tsim",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("tsim::call_cycle"));
}

#[test]
fn run_rejects_bad_sinks_and_starts_as_usage_errors() {
    assert_eq!(
        code(&tsim(&["run", "examples/hello.tsim", "--to", "kafka:x"])),
        2
    );
    let out = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--start",
        "yesterday",
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
    let ok = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--start",
        "now-1d",
        "--duration",
        "1m",
    ]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stderr).contains("1m simulated"));
}

#[test]
fn seed_means_the_same_for_a_pack_and_its_source_and_set_on_a_pack_is_refused() {
    let dir = std::env::temp_dir().join(format!("tsim-cli-seed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pack = dir.join("checkout.pack");
    let pack = pack.to_string_lossy();
    let out = tsim(&["compile", "scenarios/checkout.tsim", "-o", &pack]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let run = |input: &str, name: &str| {
        let to = format!("ndjson:{}", dir.join(name).display());
        let args = [
            "run",
            input,
            "--to",
            &to,
            "--seed",
            "9",
            "--duration",
            "20s",
            "--start",
            "2026-01-05T14:00:00Z",
        ];
        let out = tsim(&args);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(dir.join(name).join("traces.ndjson")).expect("traces")
    };
    let from_source = run("scenarios/checkout.tsim", "a");
    assert!(!from_source.is_empty());
    assert_eq!(
        from_source,
        run(&pack, "b"),
        "--seed differs between source and pack"
    );
    let refused = tsim(&["run", &pack, "--to", "null", "--set", "rate=5/s"]);
    assert_eq!(code(&refused), 1);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("--set rate") && err.contains(".tsim source"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_multibyte_start_and_a_closed_stdout_are_errors_not_panics() {
    let out = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--start",
        "nowé",
    ]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("now-35d") && !err.contains("panicked"),
        "{err}"
    );
    // `tsim inspect PACK | head -1`: stdout closed before tsim writes.
    let dir = std::env::temp_dir().join(format!("tsim-pipe-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let pack = dir.join("hello.pack");
    let pack = pack.to_str().expect("utf-8 path");
    assert_eq!(
        code(&tsim(&["compile", "examples/hello.tsim", "-o", pack])),
        0
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tsim"))
        .args(["inspect", pack])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("waits");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn live_flags_without_a_live_run_and_duration_zero_are_usage_errors() {
    let out = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--jitter",
        "1s",
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a live run"));
    let out = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--duration",
        "0",
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("until stopped"));
    let out = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--rate",
        "1k/s",
        "--start",
        "now",
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--backdate"));
    let ok = tsim(&[
        "run",
        "examples/hello.tsim",
        "--to",
        "null",
        "--rate",
        "2000/s",
        "--duration",
        "500ms",
    ]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stderr));
}

#[test]
fn devices_fifos_other_encodings_and_symlink_loops_end_with_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("tsim-unreadable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates");
    // A device and a FIFO would read forever or block: refused at once.
    for cmd in [&["check", "/dev/zero"][..], &["inspect", "/dev/zero"][..]] {
        let out = tsim(cmd);
        assert_eq!(code(&out), 1, "{cmd:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    }
    let fifo = dir.join("pipe.tsim");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let importer = dir.join("a.tsim");
    std::fs::write(
        &importer,
        "import \"pipe.tsim\"\nscenario \"a\" { duration 1m }\n",
    )
    .expect("writes");
    let out = tsim(&["check", importer.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tsim::unreadable_file") && err.contains("FIFO"),
        "{err}"
    );
    std::fs::remove_file(&fifo).expect("removes the fifo");
    std::fs::remove_file(&importer).expect("removes");
    // An empty `.pack` is not run as an empty scenario.
    let empty = dir.join("empty.pack");
    std::fs::write(&empty, b"").expect("writes");
    let out = tsim(&["run", empty.to_str().expect("utf-8"), "--to", "null"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a tsim pack"));
    // UTF-16 is named; a UTF-8 byte order mark is skipped.
    let utf16 = dir.join("u16.tsim");
    std::fs::write(&utf16, b"\xFF\xFEs\x00c\x00").expect("writes");
    let out = tsim(&["check", utf16.to_str().expect("utf-8")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-16"));
    std::fs::remove_file(&utf16).expect("removes");
    let bom = dir.join("bom.tsim");
    let clean = std::fs::read("examples/hello.tsim").expect("reads hello");
    std::fs::write(&bom, [&b"\xEF\xBB\xBF"[..], &clean].concat()).expect("writes");
    assert_eq!(code(&tsim(&["check", bom.to_str().expect("utf-8")])), 0);
    // Two symlinks back to the directory: the walk does not follow them.
    std::os::unix::fs::symlink(&dir, dir.join("loop1")).expect("links");
    std::os::unix::fs::symlink(&dir, dir.join("loop2")).expect("links");
    let began = std::time::Instant::now();
    let out = tsim(&["check", dir.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(began.elapsed() < std::time::Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_stock_library_works_from_any_directory() {
    let dir = std::env::temp_dir().join(format!("tsim-stock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates");
    let in_dir = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tsim"))
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("runs")
    };
    let list = in_dir(&["list"]);
    assert_eq!(code(&list), 0);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("stock:checkout") && text.contains("stock:triage/outage"));
    assert_eq!(text.lines().count(), 14, "{text}");
    let run = in_dir(&["run", "stock:checkout", "--to", "null", "--duration", "1m"]);
    assert_eq!(code(&run), 0, "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(code(&in_dir(&["check", "stock:triage/outage"])), 0);
    // The README's first command, from a directory with no checkout.
    let fx = in_dir(&["fixtures", "--out", "fixtures"]);
    assert_eq!(code(&fx), 0, "{}", String::from_utf8_lossy(&fx.stderr));
    assert!(dir
        .join("fixtures/incidents/outage/answer_key.json")
        .is_file());
    let unknown = in_dir(&["run", "stock:nope", "--to", "null"]);
    assert_ne!(code(&unknown), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_measures_every_row_and_delivers_everything_it_draws() {
    let out = tsim(&["bench", "--seconds", "0.2", "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON rows");
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 6);
    for r in rows {
        assert!(r["spans"].as_u64().is_some_and(|n| n > 0), "{r}");
        assert!(r["spans_per_s"].as_f64().is_some_and(|v| v > 0.0), "{r}");
    }
    assert_eq!(code(&tsim(&["bench", "--seconds", "0"])), 2);
}

#[test]
fn deeply_nested_values_are_checked_in_linear_time() {
    let dir = std::env::temp_dir().join(format!("tsim-nest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates");
    for (n, says) in [
        (16, "expected"),
        (1000, "expected"),
        (100_000, "depth limit"),
    ] {
        let file = dir.join(format!("nest{n}.tsim"));
        let text = format!(
            "scenario \"a\" {{ duration 1m }}\nattributes {{ x = {} }}\n",
            "[".repeat(n)
        );
        std::fs::write(&file, text).expect("writes");
        let began = std::time::Instant::now();
        let out = tsim(&["check", file.to_str().expect("utf-8")]);
        // Each level used to be parsed three times: 16 levels took minutes.
        assert!(began.elapsed() < std::time::Duration::from_secs(10), "{n}");
        assert_eq!(code(&out), 1, "{n}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{n}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn values_too_large_to_mean_anything_are_refused_not_cut_to_zero() {
    let dir = std::env::temp_dir().join(format!("tsim-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates");
    let svc = "service \"s\" { endpoint \"e\" { latency 1ms } }\n";
    for (name, text, says) in [
        (
            "duration",
            format!("scenario \"a\" {{ duration 1e308s }}\n{svc}"),
            "the duration 1e308s is out of range",
        ),
        (
            "tick",
            format!("scenario \"a\" {{ duration 1m tick 1e300s }}\n{svc}"),
            "the tick 1e300s is out of range",
        ),
        (
            "latency",
            "scenario \"a\" { duration 1m }\nservice \"s\" { endpoint \"e\" { latency 1e308s } }\n"
                .to_string(),
            "up to 1d",
        ),
    ] {
        let file = dir.join(format!("{name}.tsim"));
        std::fs::write(&file, text).expect("writes");
        let out = tsim(&["check", file.to_str().expect("utf-8")]);
        assert_eq!(code(&out), 1, "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{name}: {err}");
    }
    // A repeat range as wide as floats go is expected to be unbounded, not
    // empty: compiling it is refused instead of running for minutes.
    let file = dir.join("repeat.tsim");
    std::fs::write(
        &file,
        "scenario \"a\" { duration 1m }\nservice \"s\" { endpoint \"e\" { latency 1ms call \"t\" \"f\" repeat -1e308..1e308 } }\nservice \"t\" { endpoint \"f\" { latency 1ms } }\n",
    )
    .expect("writes");
    let out = tsim(&["run", file.to_str().expect("utf-8"), "--to", "null"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unbounded number of spans"));
    let _ = std::fs::remove_dir_all(&dir);
}
