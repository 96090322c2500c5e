//! `tsim fmt`: the canonical layout of `.tsim` text. Formatting works on
//! tokens (the grammar drops comments, so the syntax tree cannot be
//! printed back), keeps every comment and the user's line breaks, and is
//! idempotent. Only text that parses is formatted, and the result is
//! parsed again and compared with the original's syntax tree (positions
//! aside): a layout that changed the meaning is refused, never returned.

mod layout;
mod lexer;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// Why a text was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse: its syntax diagnostics.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would parse differently (a formatter bug; the
    /// file is left alone).
    Changed(String),
}

/// Formats `text` (file `file` of a [`crate::SourceMap`], for the
/// diagnostics' spans).
pub fn format_source(file: FileId, text: &str) -> Result<String, FormatError> {
    let before = crate::syntax::parse_file(file, text).map_err(FormatError::Syntax)?;
    let formatted = layout::print(&lexer::tokens(text));
    let after = crate::syntax::parse_file(file, &formatted).map_err(|d| {
        FormatError::Changed(format!(
            "the formatted text does not parse ({} diagnostics)",
            d.len()
        ))
    })?;
    if shape(&before) != shape(&after) {
        return Err(FormatError::Changed(
            "the formatted text parses to a different syntax tree".into(),
        ));
    }
    Ok(formatted)
}

/// A syntax tree as JSON without its `span` fields: what it means, not
/// where it was written.
pub fn shape(file: &crate::ast::File) -> serde_json::Value {
    let mut v = serde_json::to_value(file).unwrap_or(serde_json::Value::Null);
    strip_spans(&mut v);
    v
}

fn strip_spans(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(strip_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        match format_source(FileId(0), text) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn spacing_indent_and_blank_lines_are_canonical() {
        let src = "\n\n// top\nscenario   \"s\"{\n\n    duration 10m   // how long\n  traffic{rate 50/s\n peaks 09:00-12:00 ,14:00-17:00}\n\n\n\n}\nservice \"api\" {\n endpoint \"GET /\"{ latency lognormal( median:20ms ,p99 : 200ms )\n errors 1% status pick{500:3, \"503\" : 1}\n attributes { a.b=\"x\" c = 0..1 }\n\n  }\n}\n\n\n";
        let want = "// top\nscenario \"s\" {\n  duration 10m // how long\n  traffic { rate 50/s\n    peaks 09:00-12:00, 14:00-17:00 }\n}\nservice \"api\" {\n  endpoint \"GET /\" { latency lognormal(median: 20ms, p99: 200ms)\n    errors 1% status pick { 500:3, \"503\": 1 }\n    attributes { a.b = \"x\" c = 0..1 }\n  }\n}\n";
        assert_eq!(fmt(src), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn text_that_does_not_parse_is_refused() {
        let r = format_source(FileId(0), "scenario \"s\" {\n  duration 10m\n");
        assert!(matches!(r, Err(FormatError::Syntax(d)) if !d.is_empty()));
    }
}
