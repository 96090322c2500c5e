//! `tsim new`: every template writes a scenario that checks clean and runs
//! for a minute; an existing file is never replaced.

mod common;

use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tsim-new-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temp dir");
    d
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_template_checks_clean_and_runs_for_a_minute() {
    let d = temp("templates");
    for template in ["web", "load", "metrics", "incident"] {
        let name = d.join(format!("my-{template}"));
        let file = d.join(format!("my-{template}.tsim"));
        let out = common::tsim(&["new", name.to_str().unwrap(), "--template", template]);
        assert_eq!(common::code(&out), 0, "{template}: {}", text(&out));
        let src = std::fs::read_to_string(&file).expect("written");
        assert!(
            src.contains(&format!("scenario \"my-{template}\" {{")),
            "{template}: named after the file:\n{src}"
        );
        assert!(src.starts_with("// "), "{template}: opens with a comment");
        assert!(
            !src.contains("__"),
            "{template}: a placeholder left:\n{src}"
        );
        let out = common::tsim(&["check", file.to_str().unwrap()]);
        assert_eq!(common::code(&out), 0, "{template}: {}", text(&out));
        assert!(
            text(&out).contains("ok (0 errors, 0 warnings)"),
            "{template}: {}",
            text(&out)
        );
        let out = common::tsim(&[
            "run",
            file.to_str().unwrap(),
            "--to",
            "null",
            "--duration",
            "1m",
        ]);
        assert_eq!(common::code(&out), 0, "{template}: {}", text(&out));
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_existing_file_is_never_replaced_and_bad_names_are_refused() {
    let d = temp("refuse");
    let file = d.join("taken.tsim");
    std::fs::write(&file, "// mine\n").unwrap();
    for name in [d.join("taken"), file.clone()] {
        let out = common::tsim(&["new", name.to_str().unwrap()]);
        assert_eq!(common::code(&out), 1, "{}", text(&out));
        assert!(
            text(&out).contains("taken.tsim already exists"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "// mine\n");
    let out = common::tsim(&["new", d.join("no/such/dir/x").to_str().unwrap()]);
    assert_eq!(common::code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("cannot create"), "{}", text(&out));
    let out = common::tsim(&["new", "a\nb"]);
    assert_eq!(common::code(&out), 2, "{}", text(&out));
    let out = common::tsim(&["new", "x", "--template", "nope"]);
    assert_eq!(common::code(&out), 2, "{}", text(&out));
    let _ = std::fs::remove_dir_all(&d);
}
