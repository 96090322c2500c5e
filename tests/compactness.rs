//! Compactness: a pack's span templates take fewer bytes than the same spans
//! encoded as OTLP protobuf (the official `opentelemetry-proto` messages,
//! 100 traces per `ExportTraceServiceRequest`, spans grouped by resource).
//! Run with `--nocapture` to print the per-scenario table quoted in notes.

mod common;

use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use tsim_compiler::{check_file, compile, Options};
use tsim_pack::{decode, AttrValue, Pack};

fn kv(pack: &Pack, set: u32) -> Vec<KeyValue> {
    pack.attr_sets[set as usize]
        .iter()
        .map(|a| {
            let value = match a.value {
                AttrValue::Str(s) => {
                    any_value::Value::StringValue(pack.strings[s as usize].clone())
                }
                AttrValue::Int(i) => any_value::Value::IntValue(i),
                AttrValue::Float(f) => any_value::Value::DoubleValue(f),
                AttrValue::Bool(b) => any_value::Value::BoolValue(b),
            };
            KeyValue {
                key: pack.strings[a.key as usize].clone(),
                value: Some(AnyValue { value: Some(value) }),
                ..Default::default()
            }
        })
        .collect()
}

/// OTLP bytes for every trace template, 100 traces per request.
fn otlp_bytes(pack: &Pack) -> usize {
    let start: u64 = 1_767_621_600_000_000_000;
    let mut total = 0;
    for (batch_no, batch) in pack.traces.chunks(100).enumerate() {
        let mut by_resource: Vec<Vec<Span>> = vec![Vec::new(); pack.resources.len()];
        for (t, trace) in batch.iter().enumerate() {
            let trace_id = ((batch_no * 100 + t) as u128 + 1).to_be_bytes().to_vec();
            for (i, s) in trace.spans.iter().enumerate() {
                let id = |n: usize| ((n as u64) + 1).to_be_bytes().to_vec();
                let span = Span {
                    trace_id: trace_id.clone(),
                    span_id: id(i),
                    parent_span_id: if s.parent == tsim_pack::NONE {
                        Vec::new()
                    } else {
                        id(s.parent as usize)
                    },
                    name: pack.strings[s.name as usize].clone(),
                    kind: s.kind as i32,
                    start_time_unix_nano: start + s.start_ns,
                    end_time_unix_nano: start + s.start_ns + s.duration_ns,
                    attributes: kv(pack, s.attrs),
                    status: Some(Status {
                        code: if s.status == tsim_pack::Status::Error {
                            status::StatusCode::Error as i32
                        } else {
                            0
                        },
                        message: String::new(),
                    }),
                    ..Default::default()
                };
                by_resource[s.resource as usize].push(span);
            }
        }
        let resource_spans = by_resource
            .into_iter()
            .enumerate()
            .filter(|(_, spans)| !spans.is_empty())
            .map(|(r, spans)| ResourceSpans {
                resource: Some(Resource {
                    attributes: kv(pack, pack.resources[r].attrs),
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "tsim".into(),
                        ..Default::default()
                    }),
                    spans,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            })
            .collect();
        total += ExportTraceServiceRequest { resource_spans }.encoded_len();
    }
    total
}

fn section(bytes: &[u8], tag: &[u8; 4]) -> usize {
    (0..10)
        .map(|i| 12 + i * 20)
        .find(|&at| bytes.get(at..at + 4) == Some(tag.as_slice()))
        .and_then(|at| bytes.get(at + 12..at + 20))
        .map_or(0, |l| {
            let mut a = [0u8; 8];
            a.copy_from_slice(l);
            u64::from_le_bytes(a) as usize
        })
}

#[test]
fn span_templates_are_smaller_than_otlp() {
    let mut files = common::tsim_files(Path::new("scenarios"));
    files.retain(|f| !f.starts_with("scenarios/lib"));
    println!(
        "| scenario | pack bytes | spans | pack B/span (TRAC+ATTR+STRS) | OTLP B/span | ratio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for path in files {
        let model = check_file(&path, &Options::default())
            .model
            .expect("checks");
        let bytes = compile(&model).expect("compiles");
        let pack = decode(&bytes).expect("decodes");
        let spans: usize = pack.traces.iter().map(|t| t.spans.len()).sum();
        if spans == 0 {
            println!("| {} | {} | 0 | - | - | - |", path.display(), bytes.len());
            continue;
        }
        // Generous to OTLP: count every string and attribute set against the spans.
        let pack_trace_bytes =
            section(&bytes, b"TRAC") + section(&bytes, b"ATTR") + section(&bytes, b"STRS");
        let otlp = otlp_bytes(&pack);
        let (p, o) = (
            pack_trace_bytes as f64 / spans as f64,
            otlp as f64 / spans as f64,
        );
        println!(
            "| {} | {} | {spans} | {p:.1} | {o:.1} | {:.1}x |",
            path.display(),
            bytes.len(),
            o / p
        );
        assert!(
            pack_trace_bytes < otlp,
            "{}: pack {pack_trace_bytes} B is not smaller than OTLP {otlp} B",
            path.display()
        );
    }
}
