//! Rendering diagnostics: as miette reports (for terminals and snapshots)
//! and as flat JSON records (for CI and editors).

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, SourceMap, Span};

/// The longest source line (in bytes) shown as a snippet. miette cannot
/// draw a label past column 65,535 (its padding width overflows), and a
/// line that long is unreadable anyway: a diagnostic on one names its
/// place as `file:line:column` in the message instead.
pub const MAX_SNIPPET_LINE: usize = 4096;

/// A diagnostic bound to its source text, ready for miette.
#[derive(Debug)]
pub struct Report {
    message: String,
    code: &'static str,
    help: Option<String>,
    severity: miette::Severity,
    /// `None` when a label sits on a line too long to show.
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

/// A file as miette reads it: only the lines around a label are handed to
/// miette's own reader (found through the file's line index), so each of
/// thousands of diagnostics in a big file costs its few lines, not a scan
/// from the top of the file.
#[derive(Debug)]
struct Excerpt(Arc<SourceFile>);

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let f = &self.0;
        let bytes = f.text.as_bytes();
        let start = span.offset();
        let end = start.saturating_add(span.len());
        if end > bytes.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (first, _) = f.line_of(start);
        let (last, _) = f.line_of(end.saturating_sub(1).max(start));
        let top = first.saturating_sub(before);
        let starts = f.line_starts();
        let from = starts.get(top).copied().unwrap_or(0);
        let to = last
            .checked_add(after)
            .and_then(|l| l.checked_add(1))
            .and_then(|l| starts.get(l))
            .copied()
            .unwrap_or(bytes.len());
        let window = bytes.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((start - from).into(), span.len());
        let c = window.read_span(&local, before, after)?;
        let data: &'a [u8] = c.data();
        let offset = from + c.span().offset();
        Ok(Box::new(MietteSpanContents::new_named(
            f.name.clone(),
            data,
            SourceSpan::new(offset.into(), data.len()),
            c.line() + top,
            c.column(),
            c.line_count() + top,
        )))
    }
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

/// Whether `span` touches a line of `text` longer than [`MAX_SNIPPET_LINE`].
fn on_long_line(text: &str, span: Span) -> bool {
    let (start, end) = (span.start as usize, span.end as usize);
    let before = text.get(..start).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let after = text.get(end..).unwrap_or("");
    let line_end = end + after.find('\n').unwrap_or(after.len());
    line_end.saturating_sub(line_start) > MAX_SNIPPET_LINE
}

/// `message (at file:line:column)`, for a report shown without a snippet.
fn placed(message: String, sources: &SourceMap, span: Span) -> String {
    match sources.get(span.file) {
        Some(f) => {
            let (line, column) = f.line_col(span.start);
            format!(
                "{message} (at {}:{line}:{column}; the line is too long to show)",
                f.name
            )
        }
        None => message,
    }
}

impl Report {
    /// Binds `diag` to the sources it points into.
    pub fn new(diag: &Diagnostic, sources: &SourceMap) -> Report {
        let file = sources.get(diag.span.file).cloned();
        let text: Arc<str> = file
            .as_ref()
            .map_or_else(|| Arc::from(""), |f| f.text.clone());
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(diag.kind.label()),
            source_span(diag.span),
        )];
        let mut related = Vec::new();
        for l in &diag.labels {
            if l.span.file == diag.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(l.text.clone()),
                    source_span(l.span),
                ));
            } else if let Some(f) = sources.get(l.span.file) {
                let long = on_long_line(&f.text, l.span);
                related.push(Report {
                    message: if long {
                        placed(l.text.clone(), sources, l.span)
                    } else {
                        l.text.clone()
                    },
                    code: diag.kind.code(),
                    help: None,
                    severity: miette::Severity::Advice,
                    source: (!long).then(|| Excerpt(f.clone())),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(l.text.clone()),
                        source_span(l.span),
                    )],
                    related: Vec::new(),
                });
            }
        }
        let long = std::iter::once(diag.span)
            .chain(
                diag.labels
                    .iter()
                    .filter(|l| l.span.file == diag.span.file)
                    .map(|l| l.span),
            )
            .any(|s| on_long_line(&text, s));
        let message = if long {
            placed(diag.kind.message(), sources, diag.span)
        } else {
            diag.kind.message()
        };
        Report {
            message,
            code: diag.kind.code(),
            help: diag.kind.help(),
            severity: match diag.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source: file.filter(|_| !long).map(Excerpt),
            labels,
            related,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// A diagnostic as one flat, machine-readable record.
#[derive(Debug, Serialize, PartialEq)]
pub struct Record {
    /// The file, as named on the command line or in an import.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 1-based line where the span ends.
    pub end_line: usize,
    /// 1-based column where the span ends.
    pub end_column: usize,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// Advice, if any.
    pub help: Option<String>,
}

impl Record {
    /// Flattens `diag` using `sources` for file names and positions.
    pub fn new(diag: &Diagnostic, sources: &SourceMap) -> Record {
        let (file, (line, column), (end_line, end_column)) = match sources.get(diag.span.file) {
            Some(f) => (
                f.name.clone(),
                f.line_col(diag.span.start),
                f.line_col(diag.span.end),
            ),
            None => (String::new(), (0, 0), (0, 0)),
        };
        Record {
            file,
            line,
            column,
            end_line,
            end_column,
            severity: diag.severity,
            code: diag.kind.code(),
            message: diag.kind.message(),
            help: diag.kind.help(),
        }
    }
}
