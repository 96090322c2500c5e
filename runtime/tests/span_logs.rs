//! Logs derived from spans: an error log's `{peer}` names where the
//! failure came from (the failing dependency deepest down, or the backend
//! of a failed query), never "unknown"; an access log's `{request}` is the
//! concrete path drawn from the route template.

mod common;

use std::collections::BTreeMap;

use common::pack;
use tsim_runtime::sim;
use tsim_runtime::sink::memory::MemorySink;

const SCENARIO: &str = r#"
scenario "origins" { seed 11 duration 2m tick 1s traffic { rate 50/s } }
service "edge" {
  endpoint "GET /users/{id}" { latency 5ms  call "users" "load" }
}
service "users" {
  endpoint "load" { latency 3ms  errors 20%  query "db" "SELECT * FROM users" }
}
database "db" { system postgresql  latency 1ms  errors 10% }
logs from spans { access  errors message "upstream {peer} failed" }
"#;

fn run() -> MemorySink {
    let mut sink = MemorySink::default();
    let opts = sim::Options {
        start_ns: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    sim::run(&pack(SCENARIO), &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    sink
}

#[test]
fn error_logs_name_where_the_failure_came_from() {
    let sink = run();
    let mut by: BTreeMap<(String, String), u64> = BTreeMap::new();
    for l in sink.logs.iter().filter(|l| l.level == "ERROR") {
        *by.entry((l.service.clone(), l.message.clone()))
            .or_default() += 1;
    }
    assert!(by.keys().all(|(_, m)| !m.contains("unknown")), "{by:?}");
    // The edge only ever fails because of users (itself or its database).
    let edge: Vec<&String> = by
        .keys()
        .filter(|(s, _)| s == "edge")
        .map(|(_, m)| m)
        .collect();
    assert!(!edge.is_empty(), "{by:?}");
    for m in edge {
        assert!(
            m == "upstream users failed" || m == "upstream db failed",
            "{m}"
        );
    }
    // Failures of the database reach the edge named as the database.
    assert!(
        by.contains_key(&("edge".into(), "upstream db failed".into())),
        "{by:?}"
    );
    assert!(
        by.contains_key(&("users".into(), "upstream users failed".into())),
        "{by:?}"
    );
}

#[test]
fn access_logs_carry_the_concrete_path() {
    let sink = run();
    let access: Vec<&str> = sink
        .logs
        .iter()
        .filter(|l| l.service == "edge" && l.level == "INFO")
        .map(|l| l.message.as_str())
        .collect();
    assert!(access.len() > 3000, "{}", access.len());
    let mut ids = std::collections::HashSet::new();
    for m in &access {
        let rest = m
            .strip_prefix("GET /users/")
            .unwrap_or_else(|| panic!("{m}"));
        let id = rest.split(' ').next().unwrap_or("");
        let n: u64 = id.parse().unwrap_or_else(|_| panic!("{m}"));
        assert!(n < 100_000, "{m}");
        ids.insert(n);
    }
    // Drawn per request from 100,000 ids: nearly all distinct.
    assert!(
        ids.len() as f64 > access.len() as f64 * 0.9,
        "{}",
        ids.len()
    );
}
