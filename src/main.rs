//! The `tsim` command line: parses flags and calls the compiler and
//! runtime crates. It holds no logic of its own beyond output formatting.

mod bench;
mod cli;
mod completions;
mod dirs;
mod diskwatch;
mod execute;
mod fixtures;
mod fixtures_list;
mod fmt;
mod help;
mod honeycomb;
mod linediff;
mod live;
mod new;
mod preview;
mod progress;
mod receive;
mod run;
mod scenario_test;
mod send;
mod serve;
mod stock;
mod work;

/// Writes a line to stdout, like `println!`, but a closed pipe (`tsim ... |
/// head`) ends the process quietly with status 0 instead of a panic; any
/// other write error is reported, status 1.
macro_rules! outln {
    ($($t:tt)*) => { $crate::stdout(format_args!("{}\n", format_args!($($t)*))) };
}
pub(crate) use outln;

/// Writes to stdout; see [`outln`].
pub fn stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

fn main() -> std::process::ExitCode {
    cli::run()
}
