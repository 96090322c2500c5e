//! Error recovery for syntax errors: pest stops at the first error, so
//! after one the parse resumes at the next top-level item (a line that
//! starts, at column 0, with an item keyword such as `service` or
//! `metric`), and one run reports an error per broken item instead of one
//! per file. At most [`MAX_ERRORS`] are reported per file; the last one
//! says that reading stopped there.

use pest::Parser;

use super::names::{self, ITEM_KEYWORDS};
use super::parser::{Rule, TsimParser};
use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// The most syntax errors reported for one file.
pub const MAX_ERRORS: usize = 50;

/// Every syntax error of `text`, resuming after each at the next item;
/// empty when the whole text parses.
pub fn syntax_errors(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut offset = 0usize;
    while diags.len() < MAX_ERRORS {
        let Some(rest) = text.get(offset..) else {
            break;
        };
        let Err(e) = TsimParser::parse(Rule::file, rest) else {
            break;
        };
        let mut d = names::syntax_error(file, rest, e);
        let shift = u32::try_from(offset).unwrap_or(u32::MAX);
        d.span.start = d.span.start.saturating_add(shift);
        d.span.end = d.span.end.saturating_add(shift);
        let at = d.span.start as usize;
        if diags.len() + 1 == MAX_ERRORS {
            let span = d.span;
            d = d.with_label(
                span,
                format!("the {MAX_ERRORS}th syntax error: reading stops here"),
            );
        }
        diags.push(d);
        // An item left open is reported at the next item's keyword: resume
        // there, so that item's own errors are found too.
        let here = (at > offset && opens_item(text, at)).then_some(at);
        match here.or_else(|| next_item(text, at)) {
            Some(next) if next > offset => offset = next,
            _ => break,
        }
    }
    diags
}

/// True when byte `pos` starts a line that opens a top-level item: an
/// item keyword at column 0, followed by a space, `{` or `"`.
fn opens_item(text: &str, pos: usize) -> bool {
    let line_start = pos == 0 || text.as_bytes().get(pos - 1) == Some(&b'\n');
    let Some(line) = text.get(pos..) else {
        return false;
    };
    line_start
        && ITEM_KEYWORDS.iter().any(|k| {
            line.strip_prefix(k)
                .is_some_and(|r| r.starts_with([' ', '\t', '{', '"']))
        })
}

/// The start of the first line after byte `after` that opens a top-level
/// item.
fn next_item(text: &str, after: usize) -> Option<usize> {
    let mut pos = text.get(after..)?.find('\n')? + after + 1;
    loop {
        if opens_item(text, pos) {
            return Some(pos);
        }
        pos += text.get(pos..)?.find('\n')? + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_at_the_next_item_after_each_error() {
        let text = "service \"a\" { endpoint \"x\" { latency } }\n\
                    // a comment\n\
                    service \"b\" { endpont \"y\" { } }\n\
                    metric \"m\" gauge { walk nope( }\n\
                    service \"c\" { endpoint \"z\" { latency 1ms } }\n";
        let diags = syntax_errors(FileId(0), text);
        assert_eq!(diags.len(), 3, "{diags:?}");
        let lines: Vec<usize> = diags
            .iter()
            .map(|d| text[..d.span.start as usize].matches('\n').count())
            .collect();
        assert_eq!(lines, [0, 2, 3]);
    }

    #[test]
    fn the_last_reported_error_says_reading_stopped() {
        let text = "service \"a\" { endpoint \"x\" { latency } }\n".repeat(60);
        let diags = syntax_errors(FileId(0), &text);
        assert_eq!(diags.len(), MAX_ERRORS);
        let last = diags.last().map(|d| d.labels.len());
        assert_eq!(last, Some(1), "{diags:?}");
        assert!(diags[..MAX_ERRORS - 1].iter().all(|d| d.labels.is_empty()));
    }

    #[test]
    fn an_item_left_open_does_not_hide_the_next_items_errors() {
        let text = "service \"a\" { endpoint \"x\" { latency 1ms }\n\
                    service \"b\" { endpoint \"y\" { latency } }\n";
        let diags = syntax_errors(FileId(0), text);
        assert_eq!(diags.len(), 2, "{diags:?}");
    }

    #[test]
    fn a_clean_file_has_none_and_an_indented_keyword_is_no_boundary() {
        assert!(syntax_errors(
            FileId(0),
            "service \"a\" { endpoint \"x\" { latency 1ms } }\n"
        )
        .is_empty());
        let text = "service \"a\" { endpoint \"x\" { latency }\n  service \"b\" { }\n";
        assert_eq!(syntax_errors(FileId(0), text).len(), 1);
        assert_eq!(next_item("a\nservices x\nservice \"b\"", 0), Some(13));
    }
}
