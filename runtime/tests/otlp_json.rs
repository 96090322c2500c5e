//! The OTLP/JSON lines sink read back with the official OpenTelemetry
//! types: every line of `traces.jsonl`, `metrics.jsonl` and `logs.jsonl`
//! decodes as an export request, the counts match the run's summary, ids,
//! parents, resources, statuses, events, links and histograms are well
//! formed, batches respect their sizes, and a run is byte-for-byte
//! reproducible.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use common::{pack, OTLP_SCENARIO as SCENARIO};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as Number;
use tsim_pack::Pack;
use tsim_runtime::sim::{self, Summary};
use tsim_runtime::sink::otlp_json::{
    OtlpJsonSink, FILES, LOGS_PER_LINE, POINTS_PER_LINE, SPANS_PER_LINE,
};

/// Monday 2026-01-05 14:00:00 UTC.
const START: i64 = 1_767_621_600_000_000_000;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tsim-otlp-json-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs the pack for `minutes` into `dir` (created with its parents).
fn run_into(p: &Pack, dir: &Path, minutes: u64) -> Summary {
    let mut sink = OtlpJsonSink::create(dir).expect("creates the directory and files");
    let opts = sim::Options {
        start_ns: START,
        seed: None,
        duration_ns: Some(minutes * 60_000_000_000),
        ..Default::default()
    };
    let sum = sim::run(p, &opts, &mut sink, &mut |_, _, _| {}).expect("runs");
    assert_eq!(sink.dir(), dir);
    sum
}

/// Every line of a file (each ending with a newline), decoded.
fn lines<T: serde::de::DeserializeOwned>(dir: &Path, file: &str) -> Vec<T> {
    let text = std::fs::read_to_string(dir.join(file)).expect(file);
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{file} ends mid-line"
    );
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                panic!("{file} line {}: {e}: {}", i + 1, &l[..l.len().min(300)])
            })
        })
        .collect()
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn string_attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(kvs, key) {
        Some(Any::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn no_duplicate_keys(kvs: &[KeyValue], what: &str) {
    let mut seen = HashSet::new();
    for kv in kvs {
        assert!(seen.insert(&kv.key), "{what}: duplicate key {}", kv.key);
    }
}

#[test]
fn every_line_decodes_as_an_otlp_export_request_and_matches_the_summary() {
    let p = pack(SCENARIO);
    let ids = tsim_pack::InstanceIndex::new(&p);
    let dir = temp_dir("decode").join("nested/out");
    let sum = run_into(&p, &dir, 2);
    assert!(sum.spans > 0 && sum.logs > 0 && sum.metrics > 0, "{sum:?}");

    // Traces.
    let traces: Vec<ExportTraceServiceRequest> = lines(&dir, FILES[0]);
    assert_eq!(
        traces.len() as u64,
        sum.spans.div_ceil(SPANS_PER_LINE as u64),
        "full batches of {SPANS_PER_LINE} spans, then the rest"
    );
    let mut spans = Vec::new();
    let (mut errors, mut exceptions, mut links, mut codes) = (0, 0, 0, 0);
    for req in &traces {
        let mut resources = HashSet::new();
        let mut in_line = 0;
        for rs in &req.resource_spans {
            let res = rs.resource.as_ref().expect("a resource");
            no_duplicate_keys(&res.attributes, "resource");
            let name = string_attr(&res.attributes, "service.name").expect("service.name");
            let instance =
                string_attr(&res.attributes, "service.instance.id").expect("service.instance.id");
            // One of the service's instance ids (UUIDs).
            let (r, k) = ids.get(instance).expect("a known instance id");
            let r = p.resources.get(r as usize).expect("its resource");
            assert_eq!(p.strings[r.name as usize], name, "{instance} #{k}");
            assert_eq!(
                string_attr(&res.attributes, "telemetry.sdk.name"),
                Some("tsim")
            );
            assert_eq!(
                string_attr(&res.attributes, "telemetry.sdk.language"),
                Some("rust")
            );
            assert_eq!(
                string_attr(&res.attributes, "deployment.environment.name"),
                Some("test")
            );
            if name == "api" {
                assert_eq!(
                    string_attr(&res.attributes, "service.version"),
                    Some("1.2.3")
                );
            }
            let key = format!("{:?}", res.attributes);
            assert!(resources.insert(key), "one entry per resource in a line");
            assert_eq!(rs.scope_spans.len(), 1);
            let scope = rs.scope_spans[0].scope.as_ref().expect("a scope");
            assert_eq!(scope.name, tsim_runtime::sink::SCOPE_NAME);
            assert_eq!(scope.version, tsim_runtime::VERSION);
            for s in &rs.scope_spans[0].spans {
                in_line += 1;
                assert_eq!(s.trace_id.len(), 16, "trace id of {}", s.name);
                assert_eq!(s.span_id.len(), 8, "span id of {}", s.name);
                assert!(
                    s.parent_span_id.is_empty() || s.parent_span_id.len() == 8,
                    "parent id of {}",
                    s.name
                );
                assert!((1..=5).contains(&s.kind), "kind {}", s.kind);
                assert!(s.start_time_unix_nano >= START as u64);
                assert!(s.end_time_unix_nano >= s.start_time_unix_nano);
                no_duplicate_keys(&s.attributes, "span");
                let status = s.status.as_ref().map_or(0, |st| st.code);
                assert!((0..=2).contains(&status));
                errors += usize::from(status == 2);
                if let Some(Any::IntValue(c)) = attr(&s.attributes, "http.response.status_code") {
                    assert!((100..600).contains(c));
                    codes += 1;
                }
                for e in &s.events {
                    assert_eq!(e.name, "exception");
                    assert!(e.time_unix_nano >= s.start_time_unix_nano);
                    assert_eq!(
                        string_attr(&e.attributes, "exception.type"),
                        Some("UpstreamError")
                    );
                    exceptions += 1;
                }
                for l in &s.links {
                    assert_eq!(l.trace_id.len(), 16);
                    assert_eq!(l.span_id.len(), 8);
                    links += 1;
                }
                spans.push((
                    s.trace_id.clone(),
                    s.span_id.clone(),
                    s.parent_span_id.clone(),
                ));
            }
        }
        assert!(in_line <= SPANS_PER_LINE, "{in_line} spans in one line");
    }
    assert_eq!(spans.len() as u64, sum.spans);
    assert!(errors > 0, "no span with status code 2");
    assert!(exceptions > 0, "no exception event");
    assert!(links > 0, "no link (consumer to producer)");
    assert!(codes > 0, "no http.response.status_code");
    let ids: HashSet<(&[u8], &[u8])> = spans
        .iter()
        .map(|(t, s, _)| (t.as_slice(), s.as_slice()))
        .collect();
    assert_eq!(ids.len(), spans.len(), "span ids are unique");
    for (t, s, parent) in &spans {
        if !parent.is_empty() {
            assert!(
                ids.contains(&(t.as_slice(), parent.as_slice())),
                "span {s:02x?}: parent {parent:02x?} is not in its trace"
            );
        }
    }

    // Logs.
    let logs: Vec<ExportLogsServiceRequest> = lines(&dir, FILES[2]);
    assert_eq!(logs.len() as u64, sum.logs.div_ceil(LOGS_PER_LINE as u64));
    let mut records = 0u64;
    let (mut correlated, mut worker) = (0, 0);
    for req in &logs {
        let mut in_line = 0;
        for rl in &req.resource_logs {
            let res = rl.resource.as_ref().expect("a resource");
            assert!(string_attr(&res.attributes, "service.name").is_some());
            for sl in &rl.scope_logs {
                for r in &sl.log_records {
                    in_line += 1;
                    assert!(r.time_unix_nano >= START as u64);
                    assert_eq!(r.observed_time_unix_nano, r.time_unix_nano);
                    assert!((1..=24).contains(&r.severity_number));
                    assert!(!r.severity_text.is_empty());
                    let body = r.body.as_ref().and_then(|b| b.value.as_ref());
                    let Some(Any::StringValue(text)) = body else {
                        panic!("body {body:?}")
                    };
                    assert!(!text.is_empty() && !text.contains('{'), "{text}");
                    if !r.trace_id.is_empty() {
                        assert_eq!(r.trace_id.len(), 16);
                        assert_eq!(r.span_id.len(), 8);
                        assert!(ids.contains(&(r.trace_id.as_slice(), r.span_id.as_slice())));
                        correlated += 1;
                    }
                    if string_attr(&r.attributes, "job.id").is_some() {
                        worker += 1;
                    }
                }
            }
        }
        assert!(in_line <= LOGS_PER_LINE);
        records += in_line as u64;
    }
    assert_eq!(records, sum.logs);
    assert!(correlated > 0 && worker > 0, "{correlated} {worker}");

    // Metrics.
    let metrics: Vec<ExportMetricsServiceRequest> = lines(&dir, FILES[1]);
    assert_eq!(
        metrics.len() as u64,
        sum.metrics.div_ceil(POINTS_PER_LINE as u64)
    );
    let mut points = 0u64;
    let mut kinds: HashMap<&str, &str> = HashMap::new();
    let mut histograms = 0;
    for req in &metrics {
        let mut in_line = 0;
        for rm in &req.resource_metrics {
            let res = rm.resource.as_ref().expect("a resource");
            assert!(string_attr(&res.attributes, "service.name").is_some());
            for sm in &rm.scope_metrics {
                let mut entries = HashSet::new();
                for m in &sm.metrics {
                    let data = m.data.as_ref().expect("data");
                    let kind = match data {
                        Data::Gauge(_) => "gauge",
                        Data::Sum(_) => "sum",
                        Data::Histogram(_) => "histogram",
                        other => panic!("{other:?}"),
                    };
                    assert!(
                        entries.insert((m.name.as_str(), kind)),
                        "one entry per metric"
                    );
                    assert_eq!(*kinds.entry(&m.name).or_insert(kind), kind);
                    match data {
                        Data::Gauge(g) => {
                            for d in &g.data_points {
                                assert!(matches!(d.value, Some(Number::AsDouble(_))));
                                assert!(attr(&d.attributes, "service.name").is_none());
                                in_line += 1;
                            }
                        }
                        Data::Sum(s) => {
                            assert_eq!(s.aggregation_temporality, 2);
                            assert!(s.is_monotonic);
                            for d in &s.data_points {
                                assert!(d.start_time_unix_nano <= d.time_unix_nano);
                                assert!(matches!(d.value, Some(Number::AsDouble(v)) if v >= 0.0));
                                in_line += 1;
                            }
                        }
                        Data::Histogram(h) => {
                            assert_eq!(h.aggregation_temporality, 2);
                            assert_eq!(m.unit, "s");
                            for d in &h.data_points {
                                assert_eq!(d.bucket_counts.len(), d.explicit_bounds.len() + 1);
                                assert_eq!(d.bucket_counts.iter().sum::<u64>(), d.count);
                                assert!(d.start_time_unix_nano <= d.time_unix_nano);
                                if d.count > 0 {
                                    let (min, max) = (d.min.expect("min"), d.max.expect("max"));
                                    assert!(min <= max && d.sum.expect("sum") >= 0.0);
                                }
                                histograms += 1;
                                in_line += 1;
                            }
                        }
                        _ => unreachable!(),
                    }
                }
            }
        }
        assert!(in_line <= POINTS_PER_LINE);
        points += in_line as u64;
    }
    assert_eq!(points, sum.metrics);
    assert_eq!(kinds.get("system.cpu.utilization"), Some(&"gauge"));
    assert_eq!(kinds.get("api.requests"), Some(&"sum"));
    assert_eq!(
        kinds.get("http.server.request.duration"),
        Some(&"histogram")
    );
    assert!(histograms > 0);
    let _ = std::fs::remove_dir_all(temp_dir("decode"));
}

#[test]
fn the_same_seed_and_start_give_byte_identical_files() {
    let p = pack(SCENARIO);
    let (a, b) = (temp_dir("same-a"), temp_dir("same-b"));
    let (sa, sb) = (run_into(&p, &a, 1), run_into(&p, &b, 1));
    assert_eq!(
        (sa.spans, sa.logs, sa.metrics),
        (sb.spans, sb.logs, sb.metrics)
    );
    for f in FILES {
        let (x, y) = (
            std::fs::read(a.join(f)).expect(f),
            std::fs::read(b.join(f)).expect(f),
        );
        assert!(!x.is_empty(), "{f} is empty");
        assert!(x == y, "{f} differs between two identical runs");
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
