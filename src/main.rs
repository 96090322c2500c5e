//! The `tsim` command line: parses flags and calls the compiler and
//! runtime crates. It holds no logic of its own beyond output formatting.

mod cli;
mod dirs;
mod execute;
mod live;
mod progress;
mod receive;
mod run;
mod send;

fn main() -> std::process::ExitCode {
    cli::run()
}
