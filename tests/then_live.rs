//! `tsim run --then-live` end to end: a backfill that continues in real
//! time writes exactly what the same simulated run writes, and takes as
//! long as the part that lies in the future; the flag's misuses are usage
//! errors that say what to do.

mod common;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::{code, tsim};

fn scenario(dir: &std::path::Path) -> String {
    let path = dir.join("s.tsim");
    std::fs::write(
        &path,
        r#"
scenario "follow" { seed 9 duration 1h tick 250ms traffic { rate 100/s } }
service "api" { endpoint "GET /a" { latency 5ms  call "db-svc" "q" } }
service "db-svc" { endpoint "q" { latency 2ms  errors 5% } }
metric "up" gauge per service { walk constant(1) }
"#,
    )
    .expect("writes");
    path.display().to_string()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tsim-then-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("creates");
    d
}

#[test]
fn then_live_writes_the_simulated_run_and_waits_for_its_future_part() {
    let dir = tmp("same");
    let file = scenario(&dir);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    // 3 s of history, 1.5 s of future.
    let start = tsim_runtime::time::rfc3339(now.as_secs() as i64 - 3, now.subsec_nanos());
    let (live, plain) = (dir.join("live"), dir.join("plain"));
    let clock = Instant::now();
    let out = tsim(&[
        "run",
        &file,
        "--start",
        &start,
        "--duration",
        "4500ms",
        "--then-live",
        "--to",
        &format!("ndjson:{}", live.display()),
    ]);
    let took = clock.elapsed().as_secs_f64();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!((1.2..6.0).contains(&took), "took {took}s");
    let out = tsim(&[
        "run",
        &file,
        "--start",
        &start,
        "--duration",
        "4500ms",
        "--to",
        &format!("ndjson:{}", plain.display()),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    for f in [
        "traces.ndjson",
        "metrics.ndjson",
        "logs.ndjson",
        "events.ndjson",
    ] {
        let (a, b) = (
            std::fs::read(live.join(f)).expect("reads"),
            std::fs::read(plain.join(f)).expect("reads"),
        );
        assert!(a == b, "{f} differs");
    }
    assert!(
        std::fs::metadata(live.join("traces.ndjson"))
            .expect("exists")
            .len()
            > 10_000
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn then_live_misuses_are_usage_errors() {
    let dir = tmp("misuse");
    let file = scenario(&dir);
    let sink = format!("ndjson:{}", dir.join("out").display());
    let cases: [(&[&str], &str); 3] = [
        (
            &["--then-live", "--rate", "1k/s", "--to", "null"],
            "does not combine with --rate",
        ),
        (
            &["--then-live", "--start", "now-1h", "--to", &sink],
            "give --duration",
        ),
        (&["--duration", "0", "--to", "null"], "--then-live"),
    ];
    for (args, says) in cases {
        let mut all = vec!["run", file.as_str()];
        all.extend_from_slice(args);
        let out = tsim(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(!dir.join("out").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
