//! The checks of one trace export request that need no run-wide state: ids,
//! times, name, kind, status, the minimal semantic conventions. It also
//! collects the id references that [`super::spans::SpanTracker`] checks.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;

use super::spans::SpanRef;
use super::{attr, check_resource, hex, kinds, Findings};

/// Checks every span of `req`, pushing the references of spans with valid
/// ids onto `refs`. Returns the number of spans.
pub(crate) fn check(
    req: &ExportTraceServiceRequest,
    f: &mut Findings,
    refs: &mut Vec<SpanRef>,
) -> u64 {
    let mut n = 0;
    for rs in &req.resource_spans {
        let service = check_resource(rs.resource.as_ref(), f);
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                n += 1;
                if let Some(r) = check_span(span, &service, f) {
                    refs.push(r);
                }
            }
        }
    }
    n
}

fn check_span(span: &Span, service: &str, f: &mut Findings) -> Option<SpanRef> {
    let who = || {
        format!(
            "span {:?} of {service} (trace {}, span {})",
            span.name,
            hex(&span.trace_id),
            hex(&span.span_id)
        )
    };
    let trace: Option<[u8; 16]> = span.trace_id.as_slice().try_into().ok();
    let trace = match trace {
        None => {
            f.add(kinds::SPAN_TRACE_ID_INVALID, || {
                format!(
                    "{}: trace_id has {} bytes, want 16",
                    who(),
                    span.trace_id.len()
                )
            });
            None
        }
        Some(t) if t == [0; 16] => {
            f.add(kinds::SPAN_TRACE_ID_INVALID, || {
                format!("{}: trace_id is all zero", who())
            });
            None
        }
        Some(t) => Some(u128::from_be_bytes(t)),
    };
    let id = match span_id(&span.span_id) {
        Err(()) => {
            f.add(kinds::SPAN_ID_INVALID, || {
                format!(
                    "{}: span_id has {} bytes, want 8",
                    who(),
                    span.span_id.len()
                )
            });
            None
        }
        Ok(None) => {
            f.add(kinds::SPAN_ID_INVALID, || {
                format!("{}: span_id is all zero", who())
            });
            None
        }
        Ok(Some(id)) => Some(id),
    };
    let parent = if span.parent_span_id.is_empty() {
        None
    } else {
        match span_id(&span.parent_span_id) {
            Err(()) => {
                f.add(kinds::PARENT_SPAN_ID_INVALID, || {
                    format!(
                        "{}: parent_span_id has {} bytes, want 0 or 8",
                        who(),
                        span.parent_span_id.len()
                    )
                });
                None
            }
            Ok(None) => {
                f.add(kinds::PARENT_SPAN_ID_INVALID, || {
                    format!("{}: parent_span_id is all zero", who())
                });
                None
            }
            Ok(Some(p)) => Some(p),
        }
    };
    if span.start_time_unix_nano == 0 {
        f.add(kinds::SPAN_START_MISSING, || {
            format!("{}: start_time_unix_nano is 0", who())
        });
    } else if span.start_time_unix_nano > span.end_time_unix_nano {
        f.add(kinds::SPAN_END_BEFORE_START, || {
            format!(
                "{}: end_time_unix_nano {} is before start_time_unix_nano {}",
                who(),
                span.end_time_unix_nano,
                span.start_time_unix_nano
            )
        });
    }
    if span.name.is_empty() {
        f.add(kinds::SPAN_NAME_EMPTY, || {
            format!("{}: the name is empty", who())
        });
    }
    match span.kind {
        0 => f.add(kinds::SPAN_KIND_UNSPECIFIED, || {
            format!("{}: kind is SPAN_KIND_UNSPECIFIED", who())
        }),
        1..=5 => {}
        k => f.add(kinds::SPAN_KIND_UNKNOWN, || {
            format!("{}: kind {k} is not a SpanKind", who())
        }),
    }
    if let Some(status) = &span.status {
        if !(0..=2).contains(&status.code) {
            f.add(kinds::SPAN_STATUS_UNKNOWN, || {
                format!("{}: status code {} is not a StatusCode", who(), status.code)
            });
        }
    }
    check_semconv(span, f, &who);
    match (trace, id) {
        (Some(trace), Some(span)) => Some(SpanRef {
            trace,
            span,
            parent,
        }),
        _ => None,
    }
}

/// `Ok(Some(id))` for 8 non-zero bytes, `Ok(None)` for 8 zero bytes, `Err` otherwise.
fn span_id(bytes: &[u8]) -> Result<Option<u64>, ()> {
    let b: [u8; 8] = bytes.try_into().map_err(|_| ())?;
    let id = u64::from_be_bytes(b);
    Ok((id != 0).then_some(id))
}

/// The minimal semantic conventions: a namespace in use needs its key attribute.
fn check_semconv(span: &Span, f: &mut Findings, who: &dyn Fn() -> String) {
    let (mut http, mut db, mut messaging) = (false, false, false);
    for kv in &span.attributes {
        let k = kv.key.as_str();
        http |= k.starts_with("http.");
        db |= k.starts_with("db.");
        messaging |= k.starts_with("messaging.");
    }
    let rules = [
        (
            http,
            "http.request.method",
            "http.*",
            kinds::SEMCONV_HTTP_METHOD,
        ),
        (db, "db.system.name", "db.*", kinds::SEMCONV_DB_SYSTEM),
        (
            messaging,
            "messaging.system",
            "messaging.*",
            kinds::SEMCONV_MESSAGING_SYSTEM,
        ),
    ];
    for (used, key, namespace, kind) in rules {
        if used && attr(&span.attributes, key).is_none() {
            f.add(kind, || {
                format!("{}: has {namespace} attributes but no {key}", who())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

    fn kv(k: &str, v: &str) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(v.into())),
            }),
            ..Default::default()
        }
    }

    fn good() -> Span {
        Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "GET /".into(),
            kind: 2,
            start_time_unix_nano: 10,
            end_time_unix_nano: 20,
            ..Default::default()
        }
    }

    fn run(spans: Vec<Span>, service: bool) -> (Findings, Vec<SpanRef>) {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: if service {
                        vec![kv("service.name", "api")]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut f = Findings::default();
        let mut refs = Vec::new();
        check(&req, &mut f, &mut refs);
        (f, refs)
    }

    #[test]
    fn a_good_span_has_no_findings() {
        let mut s = good();
        s.attributes = vec![kv("http.request.method", "GET"), kv("http.route", "/")];
        s.parent_span_id = vec![3; 8];
        let (f, refs) = run(vec![s], true);
        assert_eq!(f.total(), 0, "{f:?}");
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].parent, Some(u64::from_be_bytes([3; 8])));
    }

    #[test]
    fn each_kind_is_found() {
        let mut spans = Vec::new();
        let mut s = good();
        s.trace_id = vec![1; 15];
        spans.push(s);
        let mut s = good();
        s.trace_id = vec![0; 16];
        spans.push(s);
        let mut s = good();
        s.span_id = vec![1; 9];
        spans.push(s);
        let mut s = good();
        s.span_id = vec![0; 8];
        spans.push(s);
        let mut s = good();
        s.parent_span_id = vec![1; 4];
        spans.push(s);
        let mut s = good();
        s.start_time_unix_nano = 0;
        spans.push(s);
        let mut s = good();
        s.start_time_unix_nano = 30;
        spans.push(s);
        let mut s = good();
        s.name.clear();
        spans.push(s);
        let mut s = good();
        s.kind = 0;
        spans.push(s);
        let mut s = good();
        s.kind = 9;
        spans.push(s);
        let mut s = good();
        s.status = Some(Status {
            code: 5,
            ..Default::default()
        });
        spans.push(s);
        let mut s = good();
        s.attributes = vec![
            kv("http.route", "/"),
            kv("db.query.text", "x"),
            kv("messaging.operation.name", "send"),
        ];
        spans.push(s);
        let (f, refs) = run(spans, false);
        for kind in [
            kinds::SERVICE_NAME_MISSING,
            kinds::SPAN_ID_INVALID,
            kinds::SPAN_TRACE_ID_INVALID,
        ] {
            assert_eq!(
                f.count(kind),
                if kind == kinds::SERVICE_NAME_MISSING {
                    1
                } else {
                    2
                },
                "{kind}"
            );
        }
        for kind in [
            kinds::PARENT_SPAN_ID_INVALID,
            kinds::SPAN_START_MISSING,
            kinds::SPAN_END_BEFORE_START,
            kinds::SPAN_NAME_EMPTY,
            kinds::SPAN_KIND_UNSPECIFIED,
            kinds::SPAN_KIND_UNKNOWN,
            kinds::SPAN_STATUS_UNKNOWN,
            kinds::SEMCONV_HTTP_METHOD,
            kinds::SEMCONV_DB_SYSTEM,
            kinds::SEMCONV_MESSAGING_SYSTEM,
        ] {
            assert_eq!(f.count(kind), 1, "{kind}");
        }
        assert_eq!(refs.len(), 12 - 4);
    }
}
