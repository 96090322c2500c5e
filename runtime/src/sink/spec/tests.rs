//! Tests of the sink specs and the OTLP environment.

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

fn otlp(t: Target) -> Otlp {
    match t {
        Target::Otlp(o) => o,
        other => panic!("not OTLP: {other:?}"),
    }
}

#[test]
fn spellings_of_the_issue_parse() {
    assert_eq!(parse("null", &no_env), Ok(Target::Null));
    assert_eq!(
        parse("ndjson:out", &no_env),
        Ok(Target::Ndjson("out".into()))
    );
    assert_eq!(
        parse("otlp-json:o", &no_env),
        Ok(Target::OtlpJson("o".into()))
    );
    assert_eq!(
        parse("openmetrics:history.om", &no_env),
        Ok(Target::OpenMetrics("history.om".into()))
    );
    let g = otlp(parse("otlp-grpc://127.0.0.1:4317", &no_env).unwrap());
    assert_eq!(g.transport, Transport::Grpc);
    assert_eq!(g.urls[0], "http://127.0.0.1:4317");
    let h = otlp(parse("otlp-http://localhost:4318", &no_env).unwrap());
    assert_eq!(h.transport, Transport::Http { json: false });
    assert_eq!(h.urls[2], "http://localhost:4318/v1/logs");
    let j = otlp(parse("otlp-http://h:1/otlp/?encoding=json", &no_env).unwrap());
    assert_eq!(j.transport, Transport::Http { json: true });
    assert_eq!(j.urls[1], "http://h:1/otlp/v1/metrics");
    let gs = otlp(parse("otlp-grpcs://api.example:443", &no_env).unwrap());
    assert_eq!(
        (gs.transport, gs.urls[0].as_str()),
        (Transport::Grpc, "https://api.example:443")
    );
    let hs = otlp(parse("otlp-https://api.example:443", &no_env).unwrap());
    assert_eq!(hs.urls[0], "https://api.example:443/v1/traces");
}

#[test]
fn bad_specs_say_what_was_expected() {
    for (spec, says) in [
        ("otlp-grpc://localhost", "HOST:PORT"),
        ("otlp-grpc://:4317", "host is missing"),
        ("otlp-http://h:99999", "not a port number"),
        ("otlp-http://h:1?encoding=xml", "encoding=json"),
        ("kafka://h:1", "unknown sink"),
        ("ndjson:", "expected"),
        ("openmetrics:", "openmetrics:FILE"),
    ] {
        let e = parse(spec, &no_env).unwrap_err();
        assert!(e.contains(says), "{spec}: {e}");
    }
}

#[test]
fn bare_otlp_reads_the_sdk_environment() {
    let d = otlp(parse("otlp", &no_env).unwrap());
    assert_eq!(d.transport, Transport::Http { json: false });
    assert_eq!(d.urls[0], "http://localhost:4318/v1/traces");
    let env = env_of(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4317"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-team=a%20b, k=v"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "only=metrics"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
    ]);
    let g = otlp(parse("otlp", &env).unwrap());
    assert_eq!(g.transport, Transport::Grpc);
    assert_eq!(g.urls[0], "http://collector:4317");
    assert_eq!(g.urls[2], "http://logs:4317");
    assert_eq!(
        g.headers[0],
        vec![
            ("x-team".to_string(), "a b".to_string()),
            ("k".into(), "v".into())
        ]
    );
    assert_eq!(
        g.headers[1],
        vec![("only".to_string(), "metrics".to_string())]
    );
    assert!(g.gzip);
    assert_eq!(g.timeout, Some(Duration::from_millis(2500)));
    let http = env_of(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"),
    ]);
    let h = otlp(parse("otlp", &http).unwrap());
    assert_eq!(h.transport, Transport::Http { json: true });
    assert_eq!(h.urls[0], "http://t:9/custom");
    assert_eq!(h.urls[1], "http://c:4318/v1/metrics");
    let bad = env_of(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")]);
    assert!(parse("otlp", &bad).unwrap_err().contains("expected `grpc`"));
    let mixed = env_of(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")]);
    assert!(parse("otlp", &mixed).unwrap_err().contains("one way"));
}

#[test]
fn header_flags_substitute_the_environment() {
    let env = env_of(&[("KEY", "s3cret")]);
    assert_eq!(
        header("x-honeycomb-team=${KEY}", &env),
        Ok(("x-honeycomb-team".to_string(), "s3cret".to_string()))
    );
    assert_eq!(
        header("a=pre-${KEY}-post", &env),
        Ok(("a".to_string(), "pre-s3cret-post".to_string()))
    );
    assert!(header("a=${MISSING}", &env)
        .unwrap_err()
        .contains("`MISSING` is not set"));
    assert!(header("a=${KEY", &env).unwrap_err().contains("closing"));
    assert!(header("novalue", &env).unwrap_err().contains("NAME=VALUE"));
}

#[test]
fn honeycomb_takes_a_dataset_without_slashes() {
    let env = env_of(&[]);
    assert_eq!(
        parse("honeycomb:checkout", &env),
        Ok(Target::Honeycomb("checkout".into()))
    );
    assert_eq!(
        parse("honeycomb:My Dataset", &env),
        Ok(Target::Honeycomb("My Dataset".into()))
    );
    assert!(parse("honeycomb:", &env)
        .unwrap_err()
        .contains("dataset is missing"));
    assert!(parse("honeycomb:a/b", &env)
        .unwrap_err()
        .contains("cannot contain `/`"));
}

#[test]
fn remote_write_takes_host_port_and_a_path() {
    assert_eq!(
        parse("prom-rw://127.0.0.1:9090/api/v1/write", &no_env),
        Ok(Target::RemoteWrite(
            "http://127.0.0.1:9090/api/v1/write".into()
        ))
    );
    assert_eq!(
        parse("prom-rws://mimir.example:443/api/v1/push", &no_env),
        Ok(Target::RemoteWrite(
            "https://mimir.example:443/api/v1/push".into()
        ))
    );
    assert!(parse("prom-rw://127.0.0.1:9090", &no_env)
        .unwrap_err()
        .contains("/api/v1/write"));
    assert!(parse("prom-rw://127.0.0.1/api/v1/write", &no_env)
        .unwrap_err()
        .contains("HOST:PORT"));
    assert!(parse("prom-rw://127.0.0.1:9090/", &no_env)
        .unwrap_err()
        .contains("HOST:PORT/PATH"));
}
