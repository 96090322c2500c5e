//! Parse snapshots: each file under `tests/parse/` shows one group of
//! constructs; its syntax tree (with spans) and, when it checks cleanly on
//! its own, its checked model are snapshotted. Spans are checked to lie
//! inside the file before snapshotting.

mod common;

use std::path::Path;

use tsim_compiler::source::{FileId, SourceMap};
use tsim_compiler::{check_source, syntax, Options};

/// Every `"a..b"` span string in the tree lies within the text, in order.
fn spans_in_bounds(v: &serde_json::Value, len: usize, name: &str) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                if k == "span" {
                    let s = x.as_str().unwrap_or_default();
                    let (a, b) = s.split_once("..").unwrap_or(("x", "y"));
                    let (a, b): (usize, usize) =
                        (a.parse().unwrap_or(usize::MAX), b.parse().unwrap_or(0));
                    assert!(a <= b && b <= len, "{name}: bad span {s}");
                }
                spans_in_bounds(x, len, name);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| spans_in_bounds(x, len, name)),
        _ => {}
    }
}

#[test]
fn every_construct_parses_to_its_snapshot() {
    let files = common::tsim_files(Path::new("tests/parse"));
    assert!(files.len() >= 8);
    for path in files {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("test input is readable");
        let mut sources = SourceMap::new();
        let id: FileId = sources.add(path.display().to_string(), text.as_str());
        let ast = match syntax::parse_file(id, &text) {
            Ok(ast) => ast,
            Err(d) => panic!("{name} does not parse: {:?}", d[0].kind),
        };
        let json = serde_json::to_value(&ast).expect("the AST serialises");
        spans_in_bounds(&json, text.len(), &name);
        insta::with_settings!({ snapshot_path => "snapshots/parse", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_yaml_snapshot!(format!("{name}.ast"), ast);
        });
        if name == "imports_and_params" {
            continue;
        }
        let out = check_source(&path.display().to_string(), &text, &Options::default());
        assert!(
            out.diagnostics.is_empty(),
            "{name}:\n{}",
            common::render(&out)
        );
        insta::with_settings!({ snapshot_path => "snapshots/parse", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_yaml_snapshot!(format!("{name}.model"), out.model);
        });
    }
}
