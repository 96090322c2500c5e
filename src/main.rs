//! The `tsim` command line: parses flags and calls the compiler and
//! runtime crates. It holds no logic of its own beyond output formatting.

mod cli;
mod progress;
mod run;

fn main() -> std::process::ExitCode {
    cli::run()
}
