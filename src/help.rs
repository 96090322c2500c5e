//! The `Examples:` sections of every subcommand's `--help` (clap's
//! `after_help`), kept apart from the flag definitions in `cli.rs`.

/// `tsim check`.
pub const CHECK: &str = "\
Examples:
  tsim check scenario.tsim
  tsim check scenarios/ --format json
  tsim check stock:checkout --set rate=500/s";

/// `tsim compile`.
pub const COMPILE: &str = "\
Examples:
  tsim compile scenario.tsim -o scenario.pack
  tsim compile stock:checkout -o checkout.pack --seed 7";

/// `tsim run`.
pub const RUN: &str = "\
Examples:
  tsim run stock:checkout --to ndjson:out
  tsim run scenario.tsim --to null --duration 1m
  tsim run scenario.pack --to openmetrics:history.om --start now-35d
  tsim run scenario.tsim --to otlp-grpc://127.0.0.1:4317 --rate 1000/s
  tsim run stock:honeycomb-backfill --to honeycomb:backfill --start now-7d";

/// `tsim fixtures`.
pub const FIXTURES: &str = "\
Examples:
  tsim fixtures --out fixtures
  tsim fixtures --from scenarios/triage --out fixtures --start 2026-01-05T00:00:00Z
  tsim fixtures --list fixtures";

/// `tsim inspect`.
pub const INSPECT: &str = "\
Examples:
  tsim inspect scenario.pack
  tsim inspect stock:checkout --format json
  tsim inspect stock:claude-code --set variant=anomaly";

/// `tsim list`.
pub const LIST: &str = "\
Examples:
  tsim list
  tsim list | grep triage";

/// `tsim receive`.
pub const RECEIVE: &str = "\
Examples:
  tsim receive --grpc 127.0.0.1:4317 --http 127.0.0.1:4318
  tsim receive --fail-rate 10% --summary report.json";

/// `tsim serve`.
pub const SERVE: &str = "\
Examples:
  tsim serve stock:claude-code --set variant=load-test
  tsim serve scenario.tsim --listen 0.0.0.0:9464 --speed 60x";

/// `tsim bench`.
pub const BENCH: &str = "\
Examples:
  tsim bench
  tsim bench --seconds 10 --json";

/// `tsim fmt`.
pub const FMT: &str = "\
Examples:
  tsim fmt scenario.tsim
  tsim fmt scenarios/
  tsim fmt --check scenarios/";

/// `tsim new`.
pub const NEW: &str = "\
Examples:
  tsim new checkout
  tsim new spike-test --template load
  tsim new scenarios/db-outage --template incident";

/// `tsim completions`.
pub const COMPLETIONS: &str = "\
Examples:
  tsim completions bash > ~/.local/share/bash-completion/completions/tsim
  tsim completions zsh > ~/.zfunc/_tsim
  tsim completions fish > ~/.config/fish/completions/tsim.fish";

/// `tsim preview`.
pub const PREVIEW: &str = "\
Examples:
  tsim preview stock:checkout
  tsim preview scenario.tsim --set rate=500/s";

/// `tsim test`.
pub const TEST: &str = "\
Examples:
  tsim test scenarios/
  tsim test scenarios/ --update
  tsim test scenario.tsim --duration 10m";
