//! A successful export's response, decoded with the official types for its
//! `partial_success`: how many items the server rejected and why. An empty
//! or undecodable body of a successful response counts as full success (a
//! server may answer with no body; the spec says rejected counts default to
//! zero).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use crate::sink::deliver::retry::Attempt;
use crate::sink::otlp::Signal;

fn accepted(rejected: i64, message: String) -> Attempt {
    Attempt::Accepted {
        rejected: u64::try_from(rejected).unwrap_or(0),
        message,
    }
}

/// The outcome of a protobuf response body.
pub fn protobuf(signal: Signal, body: &[u8]) -> Attempt {
    let none = || accepted(0, String::new());
    match signal {
        Signal::Traces => match ExportTraceServiceResponse::decode(body) {
            Ok(r) => r
                .partial_success
                .map_or_else(none, |p| accepted(p.rejected_spans, p.error_message)),
            Err(_) => none(),
        },
        Signal::Metrics => match ExportMetricsServiceResponse::decode(body) {
            Ok(r) => r
                .partial_success
                .map_or_else(none, |p| accepted(p.rejected_data_points, p.error_message)),
            Err(_) => none(),
        },
        Signal::Logs => match ExportLogsServiceResponse::decode(body) {
            Ok(r) => r
                .partial_success
                .map_or_else(none, |p| accepted(p.rejected_log_records, p.error_message)),
            Err(_) => none(),
        },
    }
}

/// The outcome of an OTLP/JSON response body. Read as plain JSON: the
/// rejected count is an int64, which OTLP/JSON writes as a string, and
/// some servers as a number; both are taken.
pub fn json(signal: Signal, body: &[u8]) -> Attempt {
    let key = match signal {
        Signal::Traces => "rejectedSpans",
        Signal::Metrics => "rejectedDataPoints",
        Signal::Logs => "rejectedLogRecords",
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return accepted(0, String::new());
    };
    let partial = &v["partialSuccess"];
    let rejected = match &partial[key] {
        serde_json::Value::String(s) => s.parse::<i64>().unwrap_or(0),
        serde_json::Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    };
    let message = partial["errorMessage"].as_str().unwrap_or("").to_string();
    accepted(rejected, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess;

    #[test]
    fn partial_success_is_read_from_either_encoding() {
        let r = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 3,
                error_message: "too old".into(),
            }),
        };
        let want = Attempt::Accepted {
            rejected: 3,
            message: "too old".into(),
        };
        assert_eq!(protobuf(Signal::Traces, &r.encode_to_vec()), want);
        let text = br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}"#;
        assert_eq!(json(Signal::Traces, text), want);
        let ok = Attempt::Accepted {
            rejected: 0,
            message: String::new(),
        };
        assert_eq!(protobuf(Signal::Logs, b""), ok);
        assert_eq!(json(Signal::Metrics, b"{}"), ok);
        assert_eq!(
            json(
                Signal::Logs,
                br#"{"partialSuccess":{"rejectedLogRecords":2}}"#
            ),
            Attempt::Accepted {
                rejected: 2,
                message: String::new()
            }
        );
    }
}
