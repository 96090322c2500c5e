//! `tsim fmt`: formats `.tsim` files in place (each written as a temporary
//! beside it and renamed over it), or with `--check` lists the files that
//! would change with a short diff. A file that does not parse is refused
//! with its syntax diagnostics and left as it was.

mod diff;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use tsim_compiler::format::{format_source, FormatError};
use tsim_compiler::{Outcome, SourceMap};

/// `tsim fmt` flags.
#[derive(Args, Debug)]
pub struct FmtArgs {
    /// The `.tsim` files to format; a directory means every `.tsim` file
    /// under it (symlinks inside it are not followed).
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that would change, each with the
    /// first differences, and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

/// What happened to one file.
enum Done {
    Unchanged,
    Changed,
    Failed,
}

/// Runs `tsim fmt`.
pub fn run(args: FmtArgs) -> ExitCode {
    if let Some(p) = args.paths.iter().find(|p| crate::stock::path(p).is_some()) {
        eprintln!(
            "error: {}: a stock scenario is built into tsim and cannot be formatted; pass a file or directory",
            p.display()
        );
        return ExitCode::from(2);
    }
    let files = crate::cli::expand(&args.paths);
    if files.is_empty() {
        eprintln!("error: no .tsim files found under the given directories");
        return ExitCode::from(2);
    }
    let (mut changed, mut failed) = (0usize, 0usize);
    for file in &files {
        match one(file, args.check) {
            Done::Unchanged => {}
            Done::Changed => changed += 1,
            Done::Failed => failed += 1,
        }
    }
    let verb = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    eprintln!(
        "{} files: {changed} {verb}, {} already formatted, {failed} refused",
        files.len(),
        files.len() - changed - failed
    );
    if failed > 0 || (args.check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats (or checks) one file, printing what went wrong.
fn one(file: &Path, check: bool) -> Done {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return Done::Failed;
        }
    };
    let mut sources = SourceMap::new();
    let id = sources.add(file.display().to_string(), text.as_str());
    let formatted = match format_source(id, &text) {
        Ok(f) => f,
        Err(FormatError::Syntax(diagnostics)) => {
            crate::cli::print_human(&Outcome {
                sources,
                diagnostics,
                model: None,
            });
            eprintln!("{}: not formatted: it does not parse", file.display());
            return Done::Failed;
        }
        Err(FormatError::Changed(why)) => {
            eprintln!(
                "error: {}: not formatted: {why} (a tsim bug; please report it with the file)",
                file.display()
            );
            return Done::Failed;
        }
    };
    if formatted == text {
        return Done::Unchanged;
    }
    if check {
        crate::outln!("{}", file.display());
        crate::stdout(format_args!("{}", diff::first_hunks(&text, &formatted)));
        return Done::Changed;
    }
    match write(file, &formatted) {
        Ok(()) => {
            eprintln!("{}: formatted", file.display());
            Done::Changed
        }
        Err(e) => {
            eprintln!("error: {e}");
            Done::Failed
        }
    }
}

/// Replaces `file` with `text`: a temporary in the same directory, given
/// the file's permissions, renamed over it. A symlink named on the command
/// line is followed: the file it points to is formatted, the link kept.
fn write(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use tsim_runtime::sink::output::{commit, TempFile};
    let is_link = std::fs::symlink_metadata(file)?.file_type().is_symlink();
    let target = if is_link {
        std::fs::canonicalize(file)?
    } else {
        file.to_path_buf()
    };
    let file = target.as_path();
    let mut temp = TempFile::create(file)?;
    temp.write_all(text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(file) {
        std::fs::set_permissions(temp.temp_path(), meta.permissions())?;
    }
    commit(&mut [&mut temp])
}
