//! `tsim preview`: the traffic curve by hour (levels from the scenario's
//! peaks, night and weekend), each timeline window at its place in the run,
//! and a sample request per root.

mod common;

use common::{code, tsim};

#[test]
fn the_checkout_preview_shows_its_curve_windows_and_a_request() {
    let out = tsim(&["preview", "stock:checkout"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("traffic: peak 200/s root requests, America/New_York"),
        "{text}"
    );
    // Peak hours at 100%, nights at the declared 20%, weekends at 60% of that.
    assert!(text.contains("    10:00   200.0/s"), "{text}");
    assert!(text.contains("    03:00    40.0/s"), "{text}");
    assert!(text.contains("    03:00    24.0/s"), "{text}");
    let hours = text
        .lines()
        .filter(|l| l.contains(":00 ") && l.contains("/s "))
        .count();
    assert_eq!(hours, 48, "{text}");
    let outage = text
        .lines()
        .find(|l| l.trim_start().starts_with("outage postgres"))
        .unwrap_or_else(|| panic!("no outage line:\n{text}"));
    // 30m..40m of 2h over 48 columns: columns 12..16.
    let chart = outage.split('|').nth(1).unwrap_or_default();
    assert_eq!(chart.len(), 48, "{outage}");
    assert_eq!(chart.find('#'), Some(12), "{outage}");
    assert_eq!(chart.matches('#').count(), 4, "{outage}");
    assert!(outage.ends_with("30m..40m"), "{outage}");
    assert!(
        text.contains("SERVER api-gateway \"GET /checkout\""),
        "{text}"
    );
}

#[test]
fn a_window_at_the_runs_end_and_no_timeline_show_as_such() {
    let dir = std::env::temp_dir().join(format!("tsim-preview-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch dir");
    let late = dir.join("late.tsim");
    std::fs::write(
        &late,
        "scenario \"late\" { duration 10m }\nservice \"a\" { endpoint \"GET /\" { latency 1ms } }\n\
         timeline { at 9m for 1m outage \"a\" }\n",
    )
    .expect("writes");
    let out = tsim(&["preview", &late.to_string_lossy()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("9m..10m"), "{text}");
    let flat = dir.join("flat.tsim");
    std::fs::write(&flat, "scenario \"flat\" { duration 10m }\nservice \"a\" { endpoint \"GET /\" { latency 1ms } }\n")
        .expect("writes");
    let out = tsim(&["preview", &flat.to_string_lossy()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(no timeline entries)"), "{text}");
    assert!(
        text.contains("    03:00    10.0/s"),
        "a flat default curve: {text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
