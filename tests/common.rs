//! Helpers shared by the integration tests: finding `.tsim` files and
//! rendering diagnostics the way snapshots expect (no colour, width 80).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use miette::{GraphicalReportHandler, GraphicalTheme};
use tsim_compiler::{Outcome, Report};

/// Every `.tsim` file under `dir`, recursively, sorted.
pub fn tsim_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "tsim"))
        .collect()
}

/// Every file under `dir`, recursively, sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Renders every diagnostic of an outcome as a terminal would show it.
pub fn render(out: &Outcome) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(80);
    let mut text = String::new();
    for d in &out.diagnostics {
        let report = Report::new(d, &out.sources);
        if handler.render_report(&mut text, &report).is_err() {
            text.push_str("<render failed>\n");
        }
        text.push('\n');
    }
    text
}

/// Runs the `tsim` binary built for these tests.
pub fn tsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsim"))
        .args(args)
        .output()
        .expect("the tsim binary runs")
}

/// The exit code of a run (-1 when killed by a signal).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// The path of a Prometheus tool (`promtool`, `prometheus`) on PATH. When
/// it is missing, runs `scripts/install-prometheus` (Debian's package) once
/// and looks again; panics, saying how to install it, when it is still
/// missing: the tests that need it never skip silently.
pub fn prometheus_tool(name: &str) -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let find = || {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    };
    if let Some(p) = find() {
        return p;
    }
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = find() {
        return p;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-prometheus");
    let ran = Command::new("bash").arg(&script).output();
    match (find(), ran) {
        (Some(p), _) => p,
        (None, Ok(out)) => panic!(
            "`{name}` is not installed and {} could not install it (exit {:?}):\n{}{}\ninstall Debian's `prometheus` package (it ships promtool), or Prometheus 2.x, and put `{name}` on PATH",
            script.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        (None, Err(e)) => panic!(
            "`{name}` is not installed and {} could not run: {e}; install Debian's `prometheus` package and put `{name}` on PATH",
            script.display()
        ),
    }
}

/// The subcommands `tsim --help` lists under `Commands:` (not `help`).
pub fn subcommands() -> Vec<String> {
    let out = tsim(&["--help"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect()
}
