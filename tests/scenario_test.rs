//! `tsim test`: the whole stock library's snapshots (committed beside each
//! scenario under `scenarios/`, the big ones run smaller by their
//! `// tsim test:` line) match their runs; in a scratch directory a missing
//! snapshot fails, `--update` writes it, a changed scenario fails with a
//! line diff naming what moved, a library is skipped, and usage errors
//! exit 2.

mod common;

use common::{code, tsim};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_stock_library_matches_its_snapshots() {
    let out = tsim(&["test", "scenarios"]);
    assert_eq!(
        code(&out),
        0,
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("14 passed, 0 failed, 0 written, 1 skipped"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn snapshots_are_written_compared_and_diffed() {
    let dir = std::env::temp_dir().join(format!("tsim-test-cmd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch dir");
    let d = dir.to_string_lossy().into_owned();
    std::fs::write(dir.join("lib.tsim"), "param rate = 20/s\n").expect("writes");
    let scenario = |errors: &str| {
        format!(
            "import \"lib.tsim\"\nscenario \"shop\" {{ duration 2m  traffic {{ rate $rate }} }}\n\
             service \"web\" {{ endpoint \"GET /\" {{ latency 20ms  errors {errors} status 503 }} }}\n\
             timeline {{ at 30s for 30s outage \"web\" }}\n"
        )
    };
    std::fs::write(dir.join("shop.tsim"), scenario("1%")).expect("writes");

    let missing = tsim(&["test", &d]);
    assert_eq!(code(&missing), 1, "{}", stdout(&missing));
    assert!(
        stdout(&missing).contains("no snapshot"),
        "{}",
        stdout(&missing)
    );
    assert!(
        stdout(&missing).contains("skipped"),
        "the library: {}",
        stdout(&missing)
    );

    let update = tsim(&["test", &d, "--update"]);
    assert_eq!(code(&update), 0, "{}", stdout(&update));
    let snap = std::fs::read_to_string(dir.join("shop.snap")).expect("the snapshot");
    assert!(snap.contains("scenario \"shop\" from shop.tsim"), "{snap}");
    assert!(snap.contains("incident outage web"), "{snap}");
    assert!(!dir.join("lib.snap").exists());

    let again = tsim(&["test", &d]);
    assert_eq!(code(&again), 0, "{}", stdout(&again));
    assert!(stdout(&again).contains("1 passed, 0 failed, 0 written, 1 skipped"));

    std::fs::write(dir.join("shop.tsim"), scenario("5%")).expect("writes");
    let changed = tsim(&["test", &d]);
    assert_eq!(code(&changed), 1, "{}", stdout(&changed));
    let text = stdout(&changed);
    assert!(
        text.contains(" - requests ") && text.contains(" + requests "),
        "{text}"
    );
    assert!(text.contains("--update"), "{text}");

    let capped = tsim(&["test", &d, "--duration", "1m"]);
    assert_eq!(code(&capped), 1, "{}", stdout(&capped));
    assert!(
        stdout(&capped)
            .contains(" + run seed 1, start 2026-01-05T00:00:00Z, duration 1m (declared 2m)"),
        "{}",
        stdout(&capped)
    );

    // A file that imports a scenario to redefine its params is a scenario
    // too, not a library.
    std::fs::write(
        dir.join("fast.tsim"),
        "import \"shop.tsim\"\nparam rate = 40/s\n",
    )
    .expect("writes");
    let fast = tsim(&["test", &d, "--update"]);
    assert_eq!(code(&fast), 0, "{}", stdout(&fast));
    let snap = std::fs::read_to_string(dir.join("fast.snap")).expect("the importer's snapshot");
    assert!(snap.contains("from fast.tsim"), "{snap}");

    // A scenario's own `// tsim test:` line runs it smaller; a bad one fails.
    let small = dir.join("small");
    std::fs::create_dir_all(&small).expect("mkdir");
    let body = scenario("1%").replace("import \"lib.tsim\"\n", "param rate = 20/s\n");
    std::fs::write(
        small.join("s.tsim"),
        format!("// tsim test: --set rate=5/s --duration 1m\n{body}"),
    )
    .expect("writes");
    let s = small.to_string_lossy().into_owned();
    assert_eq!(code(&tsim(&["test", &s, "--update"])), 0);
    let snap = std::fs::read_to_string(small.join("s.snap")).expect("snapshot");
    assert!(
        snap.contains("from s.tsim (tsim test: --set rate=5/s --duration 1m)"),
        "{snap}"
    );
    assert!(snap.contains("duration 1m (declared 2m)"), "{snap}");
    std::fs::write(
        small.join("s.tsim"),
        format!("// tsim test: --speed 2x\n{body}"),
    )
    .expect("writes");
    let bad = tsim(&["test", &s]);
    assert_eq!(code(&bad), 1);
    assert!(
        stdout(&bad).contains("expected --set NAME=VALUE or --duration D"),
        "{}",
        stdout(&bad)
    );

    assert_eq!(code(&tsim(&["test", &d, "--duration", "0"])), 2);
    assert_eq!(code(&tsim(&["test", "stock:checkout"])), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
