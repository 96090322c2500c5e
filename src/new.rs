//! `tsim new`: writes a new scenario file from one of the templates under
//! `src/templates/` (built into the binary), named after the file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// `tsim new` flags.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The scenario's name: writes NAME.tsim (`.tsim` is added unless NAME
    /// ends with it), never over an existing file.
    #[arg(value_name = "NAME")]
    name: PathBuf,
    /// What the scenario starts as.
    #[arg(long, value_enum, default_value_t = Template::Web)]
    template: Template,
}

/// The templates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// A frontend, an API, a cache and a database over a working day: traces, derived metrics, logs.
    Web,
    /// A steady high rate through a small call graph, for load tests.
    Load,
    /// Metrics only: a host fleet and custom gauges, counters and a histogram.
    Metrics,
    /// A service and its database with an outage, a degradation, a failed deploy and a cascade.
    Incident,
}

impl Template {
    /// The template's text, with `__NAME__` and `__FILE__` placeholders.
    pub fn text(self) -> &'static str {
        match self {
            Template::Web => include_str!("templates/web.tsim"),
            Template::Load => include_str!("templates/load.tsim"),
            Template::Metrics => include_str!("templates/metrics.tsim"),
            Template::Incident => include_str!("templates/incident.tsim"),
        }
    }
}

/// Runs `tsim new`.
pub fn run(args: NewArgs) -> ExitCode {
    let (file, name) = match target(&args.name) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: NAME {e}");
            return ExitCode::from(2);
        }
    };
    let text = fill(args.template.text(), &name, &file.display().to_string());
    if let Err(e) = create(&file, &text) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let template = args.template.to_possible_value();
    let template = template.as_ref().map_or("", |v| v.get_name());
    crate::outln!(
        "wrote {} (template {template}); check it with `tsim check {}`",
        file.display(),
        file.display()
    );
    ExitCode::SUCCESS
}

/// The file to write and the scenario name (its stem) for NAME.
fn target(name: &Path) -> Result<(PathBuf, String), String> {
    let shown = name.display();
    let text = name
        .to_str()
        .ok_or_else(|| format!("`{shown}` is not valid UTF-8; choose a plain name"))?;
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "`{}` holds the control character {c:?}; choose a plain name",
            text.escape_debug()
        ));
    }
    let file = if text.ends_with(".tsim") {
        name.to_path_buf()
    } else {
        PathBuf::from(format!("{text}.tsim"))
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty() && !text.ends_with('/'))
        .map(str::to_string)
        .ok_or_else(|| format!("`{shown}` names no file; try `tsim new checkout`"))?;
    Ok((file, stem))
}

/// The template with its placeholders filled: the name inside a string
/// literal (escaped), the file name inside comments.
fn fill(template: &str, name: &str, file: &str) -> String {
    let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
    template
        .replace("__NAME__", &quoted)
        .replace("__FILE__", file)
}

/// Writes `text` to a new `file`; an existing file (or symlink) is never
/// replaced, and a failed write leaves no file behind.
fn create(file: &Path, text: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => format!(
                "{} already exists; choose another NAME or remove it first",
                file.display()
            ),
            _ => format!("cannot create {}: {e}", file.display()),
        })?;
    if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_all()) {
        drop(f);
        let _ = std::fs::remove_file(file);
        return Err(format!("cannot write {}: {e}", file.display()));
    }
    Ok(())
}
