//! The words users see for grammar rules, and the conversion of pest's
//! errors into `tsim::syntax` diagnostics ("expected `{`, found `lantency`",
//! with a did-you-mean when a keyword was misspelt).

use pest::error::{ErrorVariant, InputLocation};

use super::parser::Rule;
use crate::diagnostic::{Diagnostic, Kind};
use crate::source::{FileId, Span};
use crate::suggest;

/// The keyword a rule's text starts with, if the rule is a keyword.
pub fn keyword(rule: Rule) -> Option<String> {
    rule_name(rule).strip_prefix("kw_").map(str::to_string)
}

/// True for the `kw_*` rules and closing braces: tokens the builder skips.
pub fn is_keyword(rule: Rule) -> bool {
    rule == Rule::rbrace || keyword(rule).is_some()
}

/// The rule's name in the grammar (the generated enum's `Debug` form).
fn rule_name(rule: Rule) -> String {
    format!("{rule:?}")
}

/// The keyword that opens a statement rule (`rate_stmt` -> `rate`).
pub fn statement_keyword(rule: Rule) -> String {
    let name = rule_name(rule);
    for suffix in ["_stmt", "_opt", "_override"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return match stem {
                "error_logs" => "errors".into(),
                "service_ref" => "service".into(),
                s => s.into(),
            };
        }
    }
    name
}

/// What to call a rule in "expected ..." messages.
pub fn describe(rule: Rule) -> String {
    if let Some(kw) = keyword(rule) {
        return format!("`{kw}`");
    }
    let plain = match rule {
        Rule::EOI => "end of file",
        Rule::file => "a top-level item (`scenario`, `service`, `metric`, `timeline`, ...)",
        Rule::rbrace => "`}`",
        Rule::item => "a top-level item",
        Rule::value | Rule::atom | Rule::magnitude => "a value",
        Rule::string | Rule::string_inner => "a quoted string",
        Rule::ident | Rule::arg_name => "a name",
        Rule::attr_key => "an attribute name",
        Rule::assign => "`name = value`",
        Rule::quantity | Rule::number | Rule::unsigned => "a number",
        Rule::time_window => "a time window such as `09:00-12:00`",
        Rule::time_of_day => "a time of day such as `09:00`",
        Rule::metric_kind => "`counter`, `gauge`, `updown` or `histogram`",
        Rule::action_kind => "an incident, noise or anomaly (`outage`, `spike`, ...)",
        Rule::timeline_entry | Rule::at_when | Rule::every_when => "`at` or `every`",
        Rule::pick_entry => "`choice: weight`",
        Rule::call_arg => "an argument",
        Rule::setting => "a setting such as `hosts 10`",
        Rule::duration => "a duration such as `5m`",
        Rule::on_error_opt => "`on_error`",
        _ => "",
    };
    if !plain.is_empty() {
        return plain.to_string();
    }
    format!("`{}`", statement_keyword(rule).replace('_', " "))
}

/// The keywords that start a top-level item.
pub const ITEM_KEYWORDS: &[&str] = &[
    "import",
    "param",
    "scenario",
    "select",
    "resource",
    "attributes",
    "service",
    "database",
    "queue",
    "metric",
    "family",
    "logs",
    "timeline",
];

/// Converts pest's first error into a diagnostic.
pub fn syntax_error(file: FileId, text: &str, err: pest::error::Error<Rule>) -> Diagnostic {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = match &err.variant {
        // After a value, `->` and `..` could always follow; listing them
        // in every "expected" would only add noise.
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter(|r| !matches!(r, Rule::ramp_tail | Rule::range_tail))
            .map(|r| describe(*r))
            .collect(),
        ErrorVariant::CustomError { message } if message.contains("stack limit") => {
            vec!["less deeply nested values (the parser's depth limit was reached)".into()]
        }
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    expected.sort();
    expected.dedup();
    let keywords: Vec<String> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } if positives.contains(&Rule::file) => {
            ITEM_KEYWORDS.iter().map(|k| k.to_string()).collect()
        }
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| keyword(*r)).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let (found, len) = found_at(text, pos);
    let word = text.get(pos..pos + len).unwrap_or("");
    let suggestion = if word.chars().all(|c| c.is_alphanumeric() || c == '_') && !word.is_empty() {
        suggest::closest(word, keywords.iter().map(String::as_str))
    } else {
        None
    };
    let expected = join_or(&expected);
    let start = u32::try_from(pos).unwrap_or(u32::MAX);
    let end = u32::try_from(pos + len).unwrap_or(u32::MAX);
    Diagnostic::error(
        Kind::Syntax {
            expected,
            found,
            suggestion,
        },
        Span { file, start, end },
    )
}

/// Describes the token at `pos` and its length in bytes.
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("end of file".into(), 0);
    };
    if first.is_alphanumeric() || first == '_' {
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        return (format!("`{}`", &rest[..len]), len);
    }
    if first == '"' {
        return match rest[1..].find(['"', '\n']) {
            Some(i) if rest.as_bytes().get(1 + i) == Some(&b'"') => {
                ("a quoted string".into(), i + 2)
            }
            Some(i) => (
                "a string that is never closed (no `\"` before the end of its line)".into(),
                i + 1,
            ),
            None => (
                "a string that is never closed (no `\"` before the end of the file)".into(),
                rest.len(),
            ),
        };
    }
    (format!("`{first}`"), first.len_utf8())
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => "something else".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
