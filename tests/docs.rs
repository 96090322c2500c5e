//! The language reference cannot drift: every ```tsim block in
//! `docs/language.md` must parse and check without errors or warnings, and
//! every diagnostic code must be listed there.

mod common;

use tsim_compiler::{check_source, Options, ALL_CODES};

fn blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```tsim" => current = Some((i + 2, String::new())),
            Some(_) if line.trim() == "```" => out.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn every_example_in_the_reference_checks() {
    let text = std::fs::read_to_string("docs/language.md").expect("docs/language.md exists");
    let blocks = blocks(&text);
    assert!(
        blocks.len() >= 13,
        "expected an example per construct, found {}",
        blocks.len()
    );
    for (line, body) in blocks {
        let out = check_source(
            &format!("docs/language.md:{line}"),
            &body,
            &Options::default(),
        );
        assert!(
            out.diagnostics.is_empty(),
            "example at docs/language.md:{line}:\n{}",
            common::render(&out)
        );
    }
}

#[test]
fn every_diagnostic_code_is_documented() {
    let text = std::fs::read_to_string("docs/language.md").expect("docs/language.md exists");
    for code in ALL_CODES {
        let short = code.trim_start_matches("tsim::");
        assert!(
            text.contains(short),
            "docs/language.md does not mention {code}"
        );
    }
}
