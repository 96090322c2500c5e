//! Rendering diagnostics: as miette reports (for terminals and snapshots)
//! and as flat JSON records (for CI and editors).

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

/// A diagnostic bound to its source text, ready for miette.
#[derive(Debug)]
pub struct Report {
    message: String,
    code: &'static str,
    help: Option<String>,
    severity: miette::Severity,
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

impl Report {
    /// Binds `diag` to the sources it points into.
    pub fn new(diag: &Diagnostic, sources: &SourceMap) -> Report {
        let (name, text) = match sources.get(diag.span.file) {
            Some(f) => (f.name.clone(), f.text.clone()),
            None => ("<unknown>".to_string(), Arc::from("")),
        };
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
                related.push(Report {
                    message: l.text.clone(),
                    code: diag.kind.code(),
                    help: None,
                    severity: miette::Severity::Advice,
                    source: NamedSource::new(f.name.clone(), f.text.clone()),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(l.text.clone()),
                        source_span(l.span),
                    )],
                    related: Vec::new(),
                });
            }
        }
        Report {
            message: diag.kind.message(),
            code: diag.kind.code(),
            help: diag.kind.help(),
            severity: match diag.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source: NamedSource::new(name, text),
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
        Some(&self.source)
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
