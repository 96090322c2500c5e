//! The checks of one logs export request: times, trace context lengths,
//! severity numbers, and each resource's `service.name`.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::{check_resource, kinds, Findings};

/// Checks every log record of `req`; returns the number of records.
pub(crate) fn check(req: &ExportLogsServiceRequest, f: &mut Findings) -> u64 {
    let mut n = 0;
    for rl in &req.resource_logs {
        let service = check_resource(rl.resource.as_ref(), f);
        for sl in &rl.scope_logs {
            for rec in &sl.log_records {
                n += 1;
                check_record(rec, &service, f);
            }
        }
    }
    n
}

fn check_record(rec: &LogRecord, service: &str, f: &mut Findings) {
    let who = || {
        let body = rec
            .body
            .as_ref()
            .and_then(|b| b.value.as_ref())
            .map(|v| {
                let mut s = format!("{v:?}");
                s.truncate(60);
                s
            })
            .unwrap_or_default();
        format!("a log record of {service} ({body})")
    };
    if rec.time_unix_nano == 0 && rec.observed_time_unix_nano == 0 {
        f.add(kinds::LOG_TIME_MISSING, || {
            format!(
                "{}: neither time_unix_nano nor observed_time_unix_nano is set",
                who()
            )
        });
    }
    if !rec.trace_id.is_empty() && rec.trace_id.len() != 16 {
        f.add(kinds::LOG_TRACE_ID_INVALID, || {
            format!(
                "{}: trace_id has {} bytes, want 0 or 16",
                who(),
                rec.trace_id.len()
            )
        });
    }
    if !rec.span_id.is_empty() && rec.span_id.len() != 8 {
        f.add(kinds::LOG_SPAN_ID_INVALID, || {
            format!(
                "{}: span_id has {} bytes, want 0 or 8",
                who(),
                rec.span_id.len()
            )
        });
    }
    if !(0..=24).contains(&rec.severity_number) {
        f.add(kinds::LOG_SEVERITY_INVALID, || {
            format!(
                "{}: severity_number {} is outside 0..=24",
                who(),
                rec.severity_number
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};

    #[test]
    fn each_kind_is_found() {
        let good = LogRecord {
            time_unix_nano: 5,
            severity_number: 9,
            ..Default::default()
        };
        let records = vec![
            good.clone(),
            LogRecord {
                observed_time_unix_nano: 5,
                trace_id: vec![1; 16],
                span_id: vec![1; 8],
                ..Default::default()
            },
            LogRecord {
                time_unix_nano: 0,
                ..good.clone()
            },
            LogRecord {
                trace_id: vec![1; 8],
                ..good.clone()
            },
            LogRecord {
                span_id: vec![1; 16],
                ..good.clone()
            },
            LogRecord {
                severity_number: 25,
                ..good.clone()
            },
        ];
        let req = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: records,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut f = Findings::default();
        assert_eq!(check(&req, &mut f), 6);
        for kind in [
            kinds::SERVICE_NAME_MISSING,
            kinds::LOG_TIME_MISSING,
            kinds::LOG_TRACE_ID_INVALID,
            kinds::LOG_SPAN_ID_INVALID,
            kinds::LOG_SEVERITY_INVALID,
        ] {
            assert_eq!(f.count(kind), 1, "{kind}");
        }
        assert_eq!(f.total(), 5);
    }
}
