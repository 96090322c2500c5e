//! The three signals every network sink delivers and accounts for:
//! traces, metrics and logs.

/// An OTLP signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metric data points.
    Metrics,
    /// Log records.
    Logs,
}

impl Signal {
    /// All three, in the order summaries list them.
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

    /// `traces`, `metrics` or `logs` (as in `/v1/traces`).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// What one item is called: `spans`, `points`, `logs`.
    pub fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "points",
            Signal::Logs => "logs",
        }
    }

    /// Index in [`Signal::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
