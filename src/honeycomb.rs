//! `tsim run --to honeycomb:DATASET`: the Honeycomb flags (dataset per
//! signal, API URL, key, sample rate), turned with the sending flags into
//! the runtime's Events API settings. The key's lookup (flag, environment,
//! `.env`) is the runtime's.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tsim_runtime::sink::honeycomb::client::{self, Config, DEFAULT_API};
use tsim_runtime::sink::honeycomb::key;

use crate::send::SendFlags;

/// Where Honeycomb events go.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Honeycomb (--to honeycomb:DATASET)")]
pub struct HoneycombFlags {
    /// Send each signal to its own dataset: DATASET-traces,
    /// DATASET-metrics and DATASET-logs (default: all in DATASET).
    #[arg(long)]
    pub dataset_per_signal: bool,
    /// The Events API (https://; http:// only to a loopback address).
    #[arg(long, value_name = "URL", default_value = DEFAULT_API)]
    pub honeycomb_url: String,
    /// The API key (an ingest key); default: HONEYCOMB_API_KEY, else a
    /// HONEYCOMB_API_KEY=... line in ./.env. Never printed.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// The sample rate every event carries (1: not sampled; N: each event
    /// stands for N).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub samplerate: u32,
}

impl HoneycombFlags {
    /// The datasets of traces, metrics and logs.
    fn datasets(&self, dataset: &str) -> [String; 3] {
        if self.dataset_per_signal {
            ["traces", "metrics", "logs"].map(|s| format!("{dataset}-{s}"))
        } else {
            [
                dataset.to_string(),
                dataset.to_string(),
                dataset.to_string(),
            ]
        }
    }

    /// The Events API settings for `dataset`; an error (no key, a bad URL)
    /// comes before anything is sent.
    pub fn config(
        &self,
        dataset: &str,
        send: &SendFlags,
        stop: Arc<AtomicBool>,
    ) -> Result<Config, String> {
        let env = |k: &str| std::env::var(k).ok();
        let here = std::env::current_dir()
            .map_err(|e| format!("cannot read the working directory: {e}"))?;
        let key = key::resolve(self.api_key.as_deref(), &env, &here)?;
        Ok(Config {
            api: client::check_api(&self.honeycomb_url)?,
            datasets: self.datasets(dataset),
            key,
            gzip: send.gzip,
            timeout: send.attempt_timeout(None)?,
            insecure_skip_verify: send.insecure_skip_verify,
            settings: send.settings(stop)?,
        })
    }
}
