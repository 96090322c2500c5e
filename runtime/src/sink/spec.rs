//! Sink specs, as `--to` spells them: `ndjson:DIR`, `otlp-json:DIR`,
//! `openmetrics:FILE` (the metric history as one OpenMetrics file), `null`, `otlp-grpc://HOST:PORT`, `otlp-http://HOST:PORT[/PREFIX]`
//! (`?encoding=json` for OTLP/JSON bodies), and a bare `otlp`, which reads
//! the standard `OTEL_EXPORTER_OTLP_*` variables as every OpenTelemetry SDK
//! does: `ENDPOINT`, `PROTOCOL` (`grpc`, `http/protobuf`, `http/json`),
//! `HEADERS`, `COMPRESSION`, `TIMEOUT`, and their per-signal variants
//! (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, ...; a per-signal HTTP endpoint
//! is used as given, the general one gets `/v1/<signal>` appended).
//! `otlp-grpcs://` and `otlp-https://` (and `https://` endpoints in the
//! environment) are the same over TLS. `honeycomb:DATASET` sends to the
//! Honeycomb Events API; `prom-rw://HOST:PORT/PATH` (`prom-rws://` over
//! TLS) to a Prometheus remote-write receiver.

use std::path::PathBuf;
use std::time::Duration;

use super::otlp::export::Transport;
use super::otlp::Signal;

/// Where a run's output goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// NDJSON fixtures in a directory.
    Ndjson(PathBuf),
    /// OTLP/JSON lines files in a directory.
    OtlpJson(PathBuf),
    /// The metric history as one OpenMetrics file (for promtool's backfill).
    OpenMetrics(PathBuf),
    /// Nowhere (benchmarks).
    Null,
    /// An OTLP endpoint.
    Otlp(Otlp),
    /// The Honeycomb Events API, into this dataset.
    Honeycomb(String),
    /// A Prometheus remote-write receiver at this URL
    /// (`http://127.0.0.1:9090/api/v1/write`).
    RemoteWrite(String),
}

/// An OTLP endpoint as a spec or the environment gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Otlp {
    /// gRPC, or HTTP with protobuf or JSON bodies.
    pub transport: Transport,
    /// Per signal ([`Signal::ALL`] order): `http://host:port` for gRPC,
    /// the full URL for HTTP.
    pub urls: [String; 3],
    /// Headers from the environment, per signal.
    pub headers: [Vec<(String, String)>; 3],
    /// Gzip asked for by the environment.
    pub gzip: bool,
    /// A timeout asked for by the environment.
    pub timeout: Option<Duration>,
}

const SPELLINGS: &str = "`ndjson:DIR`, `otlp-json:DIR`, `openmetrics:FILE`, `honeycomb:DATASET`, `prom-rw://HOST:PORT/PATH` (`prom-rws://` over TLS), `otlp-grpc://HOST:PORT`, `otlp-http://HOST:PORT` (`otlp-grpcs://`, `otlp-https://` over TLS), `otlp` (from OTEL_EXPORTER_OTLP_*) or `null`";

/// Parses a `--to` spec; `env` reads an environment variable.
pub fn parse(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, String> {
    if s == "null" {
        return Ok(Target::Null);
    }
    if s == "otlp" {
        return from_env(env).map(Target::Otlp);
    }
    if let Some((scheme, rest)) = s.split_once("://") {
        return match scheme {
            "otlp-grpc" => grpc(rest, "http").map(Target::Otlp),
            "otlp-grpcs" => grpc(rest, "https").map(Target::Otlp),
            "otlp-http" => http(rest, "http").map(Target::Otlp),
            "otlp-https" => http(rest, "https").map(Target::Otlp),
            "prom-rw" => remote_write(rest, "http", scheme).map(Target::RemoteWrite),
            "prom-rws" => remote_write(rest, "https", scheme).map(Target::RemoteWrite),
            _ => Err(format!("unknown sink `{scheme}://`: expected {SPELLINGS}")),
        };
    }
    match s.split_once(':') {
        Some(("ndjson", dir)) if !dir.is_empty() => Ok(Target::Ndjson(PathBuf::from(dir))),
        Some(("otlp-json", dir)) if !dir.is_empty() => Ok(Target::OtlpJson(PathBuf::from(dir))),
        Some(("openmetrics", file)) if !file.is_empty() => {
            Ok(Target::OpenMetrics(PathBuf::from(file)))
        }
        Some(("honeycomb", dataset)) => honeycomb(dataset).map(Target::Honeycomb),
        _ => Err(format!("expected {SPELLINGS}, found `{s}`")),
    }
}

/// Checks a Honeycomb dataset name: not empty, no slash (the API takes
/// URL-encoded spaces and other characters, but not slashes).
fn honeycomb(dataset: &str) -> Result<String, String> {
    let d = dataset.trim();
    if d.is_empty() {
        return Err("`honeycomb:`: the dataset is missing, e.g. `honeycomb:checkout`".into());
    }
    if d.contains('/') {
        return Err(format!(
            "`honeycomb:{d}`: a dataset name cannot contain `/` (Honeycomb refuses it)"
        ));
    }
    Ok(d.to_string())
}

/// `HOST:PORT/PATH` as the receiver's URL; the path is required (it
/// differs between receivers: `/api/v1/write`, `/api/v1/push`, ...).
fn remote_write(rest: &str, scheme: &str, spelled: &str) -> Result<String, String> {
    let example = format!("{spelled}://127.0.0.1:9090/api/v1/write");
    let Some(i) = rest.find('/') else {
        return Err(format!(
            "`{spelled}://{rest}`: the path of the receiver is missing, e.g. `{example}` (Prometheus) or `/api/v1/push` (Mimir, Cortex)"
        ));
    };
    let (a, path) = rest.split_at(i);
    authority(a)?;
    if path.len() < 2 || path.contains(char::is_whitespace) {
        return Err(format!(
            "`{spelled}://{rest}`: expected HOST:PORT/PATH, e.g. `{example}`"
        ));
    }
    Ok(format!("{scheme}://{a}{path}"))
}

/// Checks `HOST:PORT` (a name or address, and a port number).
fn authority(a: &str) -> Result<(), String> {
    let (host, port) = a
        .rsplit_once(':')
        .ok_or_else(|| format!("`{a}`: expected HOST:PORT, e.g. 127.0.0.1:4317"))?;
    if host.is_empty() {
        return Err(format!("`{a}`: the host is missing (expected HOST:PORT)"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("`{a}`: `{port}` is not a port number (0-65535)"))?;
    Ok(())
}

fn bare(transport: Transport, urls: [String; 3]) -> Otlp {
    Otlp {
        transport,
        urls,
        headers: Default::default(),
        gzip: false,
        timeout: None,
    }
}

fn grpc(rest: &str, scheme: &str) -> Result<Otlp, String> {
    let a = rest.trim_end_matches('/');
    authority(a)?;
    let url = format!("{scheme}://{a}");
    Ok(bare(Transport::Grpc, [url.clone(), url.clone(), url]))
}

fn http(rest: &str, scheme: &str) -> Result<Otlp, String> {
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let json = match query {
        "" | "encoding=protobuf" => false,
        "encoding=json" => true,
        other => {
            return Err(format!(
                "`?{other}`: expected `?encoding=json` or `?encoding=protobuf`"
            ))
        }
    };
    let (a, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    authority(a)?;
    let url = |s: Signal| format!("{scheme}://{a}{prefix}/v1/{}", s.name());
    Ok(bare(
        Transport::Http { json },
        [url(Signal::Traces), url(Signal::Metrics), url(Signal::Logs)],
    ))
}

/// The variable `OTEL_EXPORTER_OTLP_<SIGNAL>_<what>`, else the general one.
fn var(env: &dyn Fn(&str) -> Option<String>, signal: Option<Signal>, what: &str) -> Option<String> {
    let specific = signal.and_then(|s| {
        env(&format!(
            "OTEL_EXPORTER_OTLP_{}_{what}",
            s.name().to_ascii_uppercase()
        ))
    });
    specific
        .or_else(|| env(&format!("OTEL_EXPORTER_OTLP_{what}")))
        .filter(|v| !v.trim().is_empty())
}

fn protocol(v: &str) -> Result<Transport, String> {
    match v.trim() {
        "grpc" => Ok(Transport::Grpc),
        "http/protobuf" => Ok(Transport::Http { json: false }),
        "http/json" => Ok(Transport::Http { json: true }),
        other => Err(format!(
            "OTEL_EXPORTER_OTLP_PROTOCOL=`{other}`: expected `grpc`, `http/protobuf` or `http/json`"
        )),
    }
}

/// The `OTEL_EXPORTER_OTLP_*` configuration.
fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Otlp, String> {
    // The spec's default protocol is http/protobuf.
    let transport =
        var(env, None, "PROTOCOL").map_or(Ok(Transport::Http { json: false }), |v| protocol(&v))?;
    for s in Signal::ALL {
        if let Some(p) = var(env, Some(s), "PROTOCOL") {
            if protocol(&p)? != transport {
                return Err(format!(
                    "OTEL_EXPORTER_OTLP_{}_PROTOCOL=`{p}` differs from the general protocol; tsim sends all signals one way",
                    s.name().to_ascii_uppercase()
                ));
            }
        }
    }
    let default = match transport {
        Transport::Grpc => "http://localhost:4317",
        Transport::Http { .. } => "http://localhost:4318",
    };
    let general = env("OTEL_EXPORTER_OTLP_ENDPOINT")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    let url = |s: Signal| -> Result<String, String> {
        let key = format!(
            "OTEL_EXPORTER_OTLP_{}_ENDPOINT",
            s.name().to_ascii_uppercase()
        );
        let own = env(&key).filter(|v| !v.trim().is_empty());
        let u = match (&own, transport) {
            (Some(u), _) => u.trim().to_string(),
            (None, Transport::Grpc) => general.trim().to_string(),
            (None, Transport::Http { .. }) => {
                format!("{}/v1/{}", general.trim().trim_end_matches('/'), s.name())
            }
        };
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(format!("{u}: expected an http:// or https:// URL"));
        }
        Ok(u)
    };
    let urls = [
        url(Signal::Traces)?,
        url(Signal::Metrics)?,
        url(Signal::Logs)?,
    ];
    let headers =
        |s: Signal| var(env, Some(s), "HEADERS").map_or(Ok(Vec::new()), |h| header_list(&h));
    let headers = [
        headers(Signal::Traces)?,
        headers(Signal::Metrics)?,
        headers(Signal::Logs)?,
    ];
    let gzip = match var(env, None, "COMPRESSION").as_deref().map(str::trim) {
        None | Some("none") => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(format!(
                "OTEL_EXPORTER_OTLP_COMPRESSION=`{other}`: expected `gzip` or `none`"
            ))
        }
    };
    let timeout = match var(env, None, "TIMEOUT") {
        None => None,
        Some(t) => Some(Duration::from_millis(t.trim().parse::<u64>().map_err(
            |_| format!("OTEL_EXPORTER_OTLP_TIMEOUT=`{t}`: expected milliseconds, e.g. 10000"),
        )?)),
    };
    Ok(Otlp {
        transport,
        urls,
        headers,
        gzip,
        timeout,
    })
}

/// Parses `k=v,k2=v2` (values percent-decoded, as the spec's W3C baggage
/// format says).
pub fn header_list(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("OTEL_EXPORTER_OTLP_HEADERS: `{p}` is not key=value"))?;
            Ok((k.trim().to_string(), percent_decode(v.trim())))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a `--header k=v`, substituting `${NAME}` from the environment;
/// an unset variable is an error naming it.
pub fn header(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        format!("`{s}`: expected NAME=VALUE, e.g. x-honeycomb-team=${{HONEYCOMB_API_KEY}}")
    })?;
    if k.trim().is_empty() {
        return Err(format!("`{s}`: the header name is missing"));
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{s}`: `${{` without its closing `}}`"))?;
        let name = &after[..end];
        let value = env(name).ok_or_else(|| {
            format!(
                "header `{}`: the environment variable `{name}` is not set",
                k.trim()
            )
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((k.trim().to_string(), out))
}

#[cfg(test)]
mod tests;
