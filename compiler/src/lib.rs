//! tsim's compiler front end: `.tsim` text in, a checked [`Model`] or a list
//! of [`Diagnostic`]s out.
//!
//! ```
//! use tsim_compiler::{check_source, Options};
//!
//! let src = r#"
//!     scenario "demo" { duration 10m  traffic { rate 50/s } }
//!     service "api" { endpoint "GET /" { latency lognormal(median: 20ms, p99: 200ms) } }
//! "#;
//! let out = check_source("demo.tsim", src, &Options::default());
//! assert!(out.diagnostics.is_empty());
//! assert_eq!(out.model.unwrap().settings.duration, 600.0);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
mod check;
pub mod diagnostic;
pub mod format;
pub mod lower;
mod message;
pub mod model;
pub mod read;
pub mod render;
pub mod resolve;
mod select;
mod semconv;
pub mod source;
pub mod suggest;
pub mod syntax;

use std::path::Path;

pub use check::estimate::{bytes, estimate, estimate_pack, sci, Estimate, Exceeded, RunWork};
pub use diagnostic::{Diagnostic, Kind, Severity, ALL_CODES};
pub use model::Model;
pub use render::{Record, Report};
pub use source::{SourceMap, Span};

/// What a compilation may be told from outside the source.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--set name=value` overrides, in order.
    pub overrides: Vec<(String, String)>,
    /// `--seed N`: replaces the scenario's seed.
    pub seed: Option<u64>,
}

/// The result of checking: the sources read, every diagnostic, and the
/// model when there were no errors.
#[derive(Debug)]
pub struct Outcome {
    /// Every file read (for rendering diagnostics).
    pub sources: SourceMap,
    /// Errors and warnings, ordered by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked scenario, when there were no errors.
    pub model: Option<Model>,
}

impl Outcome {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

fn finish(
    mut program: resolve::Program,
    mut diags: Vec<Diagnostic>,
    mut sources: SourceMap,
    options: &Options,
) -> Outcome {
    if resolve::stopped_loading(&diags) {
        return Outcome {
            model: None,
            diagnostics: diags,
            sources,
        };
    }
    let arms = select::arms(&program);
    let pristine = (!arms.is_empty()).then(|| program.clone());
    let (chosen, choice_diags) = select::choose(&mut program, &options.overrides, &mut sources);
    diags.extend(choice_diags);
    let (params, param_diags) =
        resolve::params(&program, &chosen, &options.overrides, &mut sources);
    diags.extend(param_diags);
    let (model, check_diags) = check::check(&program, &params, &sources);
    diags.extend(check_diags);
    if let Some(pristine) = pristine {
        for (param, arm, span) in &arms {
            if chosen.arms.iter().any(|(p, a)| p == param && a == arm) {
                continue;
            }
            let found = check_arm(&pristine, (param, arm), &mut sources);
            for d in found {
                let seen = diags.iter().any(|e| e.kind == d.kind && e.span == d.span);
                if !seen {
                    diags.push(d.with_label(*span, format!("when `${param}` is \"{arm}\"")));
                }
            }
        }
    }
    let ok = !diags.iter().any(|d| d.severity == Severity::Error);
    let mut model = if ok { model } else { None };
    if let (Some(m), Some(seed)) = (&mut model, options.seed) {
        m.settings.seed = seed;
    }
    if let Some(m) = &mut model {
        m.params = params
            .iter()
            .map(|(k, v)| (k.clone(), sources.text(v.span).to_string()))
            .collect();
    }
    Outcome {
        model,
        diagnostics: diags,
        sources,
    }
}

/// The errors of `program` with `param` choosing `arm` (an arm the run
/// did not choose, checked so that a mistake in it shows before it is
/// chosen). The other params keep their defaults: a `--set` meant for the
/// chosen arm must not fail an arm it was not meant for.
fn check_arm(
    program: &resolve::Program,
    (param, arm): (&str, &str),
    sources: &mut SourceMap,
) -> Vec<Diagnostic> {
    let mut program = program.clone();
    let overrides = vec![(param.to_string(), arm.to_string())];
    let (chosen, mut diags) = select::choose(&mut program, &overrides, sources);
    let (params, param_diags) = resolve::params(&program, &chosen, &overrides, sources);
    diags.extend(param_diags);
    let (_, check_diags) = check::check(&program, &params, sources);
    diags.extend(check_diags);
    diags.retain(|d| d.severity == Severity::Error);
    diags
}

/// Lowers a checked model and encodes it as pack bytes.
pub fn compile(model: &Model) -> Result<Vec<u8>, lower::LowerError> {
    Ok(tsim_pack::encode(&lower::lower(model)?))
}

/// Checks the scenario in file `path` and everything it imports.
pub fn check_file(path: &Path, options: &Options) -> Outcome {
    check_file_with(path, &read::read_source, options)
}

/// Checks the scenario at `path` and its imports, reading every file with
/// `read` (the CLI serves its built-in stock library this way).
pub fn check_file_with(path: &Path, read: resolve::Reader<'_>, options: &Options) -> Outcome {
    suggest::reset_budget();
    let mut sources = SourceMap::new();
    let (program, diags) = resolve::load(path, read, &mut sources);
    finish(program, diags, sources, options)
}

/// Checks source text that is not on disk (imports are not followed).
pub fn check_source(name: &str, text: &str, options: &Options) -> Outcome {
    suggest::reset_budget();
    let mut sources = SourceMap::new();
    let (program, diags) = resolve::load_text(name, text, &mut sources);
    finish(program, diags, sources, options)
}
