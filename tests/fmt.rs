//! `tsim fmt`: formatting every stock, example and invalid scenario keeps
//! its meaning (the same syntax tree, the same diagnostics, the same pack
//! bytes), is idempotent and keeps every comment; a file that does not
//! parse is refused untouched; `--check` lists and diffs without writing;
//! and the stock library is kept formatted.

mod common;

use std::path::{Path, PathBuf};

use tsim_compiler::format::{format_source, shape};
use tsim_compiler::source::FileId;
use tsim_compiler::{check_file, compile, Options};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tsim-fmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temp dir");
    d
}

/// Copies every file under `from` to the same relative path under `to`.
fn copy_tree(from: &Path, to: &Path) {
    for f in common::walk(from) {
        let rel = f.strip_prefix(from).expect("under from");
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(&f, &dest).expect("copy");
    }
}

/// The `//` comments of a text, in order, found without the formatter's
/// lexer: outside strings, to the end of the line, trailing blanks dropped.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (mut in_string, mut escaped) = (false, false);
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            if in_string {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => in_string = false,
                    _ => escaped = false,
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '/' && chars.get(k + 1).is_some_and(|&(_, n)| n == '/') {
                out.push(line[i..].trim_end().to_string());
                break;
            }
        }
    }
    out
}

/// What a check of `path` says: each diagnostic's code and message, and
/// the pack bytes when it compiles.
fn meaning(path: &Path) -> (Vec<(String, String)>, Option<Vec<u8>>) {
    let out = check_file(path, &Options::default());
    let diags = out
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.kind.code().to_string(),
                format!("{:?} {:?}", d.kind, d.severity),
            )
        })
        .collect();
    (
        diags,
        out.model.as_ref().map(|m| compile(m).expect("lowers")),
    )
}

#[test]
fn formatting_every_scenario_keeps_its_meaning_and_comments_and_is_idempotent() {
    let base = temp("library");
    let (before, after) = (base.join("before"), base.join("after"));
    for dir in ["scenarios", "examples", "tests/invalid"] {
        copy_tree(&root().join(dir), &before.join(dir));
        copy_tree(&root().join(dir), &after.join(dir));
    }
    let dirs = ["scenarios", "examples", "tests/invalid"].map(|d| after.join(d));
    let dirs: Vec<&str> = dirs.iter().map(|d| d.to_str().expect("utf-8")).collect();
    let mut args = vec!["fmt"];
    args.extend(&dirs);
    let run = common::tsim(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // tests/invalid holds files that do not parse: refused, status 1.
    assert_eq!(common::code(&run), 1, "{stderr}");

    let (mut formatted, mut refused, mut compiled) = (0, 0, 0);
    for orig in common::tsim_files(&before) {
        let rel = orig.strip_prefix(&before).expect("under before");
        let new = after.join(rel);
        let Ok(text) = std::fs::read_to_string(&orig) else {
            continue; // not UTF-8: refused, checked below
        };
        let new_text = std::fs::read_to_string(&new).expect("readable");
        let Ok(tree) = tsim_compiler::syntax::parse_file(FileId(0), &text) else {
            assert_eq!(new_text, text, "{}: refused, so untouched", rel.display());
            assert!(
                stderr.contains(&format!(
                    "{}: not formatted: it does not parse",
                    new.display()
                )),
                "{}: {stderr}",
                rel.display()
            );
            refused += 1;
            continue;
        };
        formatted += 1;
        let new_tree =
            tsim_compiler::syntax::parse_file(FileId(0), &new_text).expect("formatted text parses");
        assert_eq!(
            shape(&tree),
            shape(&new_tree),
            "{}: syntax tree",
            rel.display()
        );
        let (old_meaning, mut new_meaning) = (meaning(&orig), meaning(&new));
        // Paths in messages (an import cycle's chain) name the copy.
        let (b, a) = (before.display().to_string(), after.display().to_string());
        for (_, m) in &mut new_meaning.0 {
            *m = m.replace(&a, &b);
        }
        assert_eq!(
            old_meaning.0,
            new_meaning.0,
            "{}: diagnostics",
            rel.display()
        );
        assert_eq!(
            old_meaning.1,
            new_meaning.1,
            "{}: pack bytes",
            rel.display()
        );
        compiled += usize::from(old_meaning.1.is_some());
        assert_eq!(
            comments(&text),
            comments(&new_text),
            "{}: comments",
            rel.display()
        );
        let again = format_source(FileId(0), &new_text).expect("formats again");
        assert_eq!(again, new_text, "{}: fmt(fmt(x)) == fmt(x)", rel.display());
        assert!(
            new_text.is_empty() || (new_text.ends_with('\n') && !new_text.ends_with("\n\n")),
            "{}: ends with one newline",
            rel.display()
        );
        assert!(
            new_text.lines().all(|l| l == l.trim_end()),
            "{}: trailing whitespace",
            rel.display()
        );
    }
    assert!(
        formatted >= 60 && refused >= 5 && compiled >= 15,
        "{formatted} {refused} {compiled}"
    );
    assert!(
        stderr.contains("unreadable_file.tsim"),
        "a file that is not UTF-8 is named: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn the_stock_library_examples_and_templates_are_formatted() {
    let dirs = ["scenarios", "examples", "src/templates"].map(|d| root().join(d));
    let mut args = vec!["fmt", "--check"];
    args.extend(dirs.iter().map(|d| d.to_str().expect("utf-8")));
    let out = common::tsim(&args);
    assert_eq!(
        common::code(&out),
        0,
        "run `tsim fmt scenarios examples src/templates`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_lists_and_diffs_without_writing_and_fmt_writes_in_place() {
    let d = temp("check");
    let messy = d.join("messy.tsim");
    let text = "scenario \"s\" {   duration 10m\n\n\n    traffic {rate 5/s} // keep me   \n}\n\n\nservice \"a\" { endpoint \"GET /\" { latency lognormal( median:1ms, p99:9ms ) } }\n";
    std::fs::write(&messy, text).unwrap();
    let tidy = d.join("tidy.tsim");
    let tidy_text = "scenario \"t\" {\n  duration 10m\n}\n";
    std::fs::write(&tidy, tidy_text).unwrap();

    let out = common::tsim(&["fmt", "--check", d.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(common::code(&out), 1, "{stdout}");
    assert!(
        stdout.starts_with(&format!("{}\n@@ -1 +1 @@\n", messy.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("-     traffic {rate 5/s} // keep me"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+   traffic { rate 5/s } // keep me"),
        "{stdout}"
    );
    assert!(!stdout.contains("tidy.tsim"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        text,
        "--check writes nothing"
    );

    let out = common::tsim(&["fmt", messy.to_str().unwrap(), tidy.to_str().unwrap()]);
    assert_eq!(
        common::code(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "scenario \"s\" { duration 10m\n\n  traffic { rate 5/s } // keep me\n}\n\nservice \"a\" { endpoint \"GET /\" { latency lognormal(median: 1ms, p99: 9ms) } }\n"
    );
    assert_eq!(std::fs::read_to_string(&tidy).unwrap(), tidy_text);
    let names: Vec<_> = common::walk(&d);
    assert_eq!(
        names,
        vec![messy.clone(), tidy.clone()],
        "no temporaries left"
    );
    let out = common::tsim(&["fmt", "--check", d.to_str().unwrap()]);
    assert_eq!(common::code(&out), 0);

    // A symlink named on the command line: its target is formatted, the
    // link kept.
    #[cfg(unix)]
    {
        let target = d.join("target.tsim");
        std::fs::write(&target, "scenario  \"l\" {}\n").unwrap();
        let link = d.join("link.tsim");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = common::tsim(&["fmt", link.to_str().unwrap()]);
        assert_eq!(
            common::code(&out),
            0,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "scenario \"l\" {}\n"
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_file_that_does_not_parse_is_refused_with_its_diagnostics() {
    let d = temp("refuse");
    let bad = d.join("bad.tsim");
    let text = "scenario \"s\" {\n    duration 10m\n  traffic { rate 5/s }\n";
    std::fs::write(&bad, text).unwrap();
    let out = common::tsim(&["fmt", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(common::code(&out), 1, "{stderr}");
    assert!(stderr.contains("bad.tsim:4:1"), "file:line:col: {stderr}");
    assert!(
        stderr.contains("not formatted: it does not parse"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), text);
    let out = common::tsim(&["fmt", "stock:checkout"]);
    assert_eq!(common::code(&out), 2);
    let out = common::tsim(&["fmt", d.join("nothing-here").to_str().unwrap()]);
    assert_eq!(common::code(&out), 1, "a missing file is an error");
    let _ = std::fs::remove_dir_all(&d);
}
