//! Prometheus output: OpenTelemetry names translated as the OpenTelemetry
//! specification says ([`naming`], [`target`]), the text exposition format
//! 0.0.4 and OpenMetrics 1.0 ([`exposition`]), the families and series of
//! a run ([`catalog`]), the OpenMetrics history file of
//! `--to openmetrics:FILE` ([`history`]) and the latest value of every
//! series for a live page ([`latest`]) with its HTTP server ([`http`]), and
//! remote write 1.0 ([`remote_write`]).

pub mod catalog;
pub mod exposition;
pub mod history;
pub mod http;
pub mod latest;
pub mod naming;
pub mod remote_write;
pub mod target;

pub use history::{OpenMetricsSink, Written, MEMORY_LIMIT};
pub use latest::{Latest, LatestSink};
pub use remote_write::RemoteWriteSink;
