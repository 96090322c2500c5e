//! The rules of the pinned semantic conventions (1.44.0) that the
//! conventions suite holds every emitted record to. Each check appends a
//! violation (`rule: what`) to `out`; `docs/conventions.md` lists them.

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, Metric};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, Span};

#[path = "requests.rs"]
mod requests;
use requests::grpc_status;
pub use requests::url_full_path;

/// The pinned release's registry: metric name -> (instrument, unit), and
/// the deprecated attribute and metric names.
pub struct Registry {
    pub metrics: BTreeMap<String, (String, String)>,
    pub deprecated: BTreeSet<String>,
    /// The first segments of conventional metric names (`http`, `k8s`, ...).
    pub namespaces: BTreeSet<String>,
}

impl Registry {
    pub fn load(docs: &std::path::Path) -> Registry {
        let table = std::fs::read_to_string(docs.join("metrics-1.44.0.tsv")).expect("metric table");
        let mut metrics = BTreeMap::new();
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            if let [name, instrument, unit] = cols[..] {
                metrics.insert(name.to_string(), (instrument.to_string(), unit.to_string()));
            }
        }
        let deprecated = std::fs::read_to_string(docs.join("deprecated-1.44.0.txt"))
            .expect("deprecated names")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_string)
            .collect();
        let namespaces = metrics
            .keys()
            .filter_map(|n| n.split('.').next())
            .map(str::to_string)
            .collect();
        Registry {
            metrics,
            deprecated,
            namespaces,
        }
    }
}

/// An attribute's value as text (ints as digits), if present.
pub fn get(attrs: &[KeyValue], key: &str) -> Option<String> {
    let v = attrs
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match v {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        _ => String::new(),
    })
}

fn is_int(attrs: &[KeyValue], key: &str) -> bool {
    attrs
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.as_ref())
        .is_some_and(|v| matches!(v, Value::IntValue(_)))
}

fn require(out: &mut Vec<String>, rule: &str, attrs: &[KeyValue], keys: &[&str]) {
    for k in keys {
        if get(attrs, k).is_none() {
            out.push(format!("{rule}: `{k}` missing"));
        }
    }
}

/// No deprecated attribute names.
pub fn not_deprecated(reg: &Registry, out: &mut Vec<String>, what: &str, attrs: &[KeyValue]) {
    for a in attrs {
        if reg.deprecated.contains(&a.key) {
            out.push(format!("deprecated: {what} attribute `{}`", a.key));
        }
    }
}

/// Whether `id` is a UUID in version 4 format, lower-case hex.
fn is_uuid(id: &str) -> bool {
    id.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && id
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && id.get(14..15) == Some("4")
        && matches!(id.get(19..20), Some("8" | "9" | "a" | "b"))
}

/// Resources: identity (a UUID instance id) and SDK attributes, the
/// schema URL.
pub fn resource(reg: &Registry, out: &mut Vec<String>, r: &Resource, schema_url: &str) {
    require(
        out,
        "resource",
        &r.attributes,
        &[
            "service.name",
            "service.instance.id",
            "telemetry.sdk.name",
            "telemetry.sdk.language",
            "telemetry.sdk.version",
        ],
    );
    if let Some(id) = get(&r.attributes, "service.instance.id").filter(|id| !is_uuid(id)) {
        out.push(format!(
            "resource: service.instance.id `{id}` is not a UUID"
        ));
    }
    if schema_url != tsim_runtime::sink::SCHEMA_URL {
        out.push(format!("resource: schema_url `{schema_url}`"));
    }
    not_deprecated(reg, out, "resource", &r.attributes);
}

/// One span, by its kind and the conventions its attributes say it follows.
pub fn span(reg: &Registry, out: &mut Vec<String>, s: &Span) {
    let a = &s.attributes;
    not_deprecated(reg, out, "span", a);
    let kind = SpanKind::try_from(s.kind).unwrap_or(SpanKind::Unspecified);
    let status = s.status.as_ref().map_or(StatusCode::Unset, |st| {
        StatusCode::try_from(st.code).unwrap_or(StatusCode::Unset)
    });
    let code: Option<i64> = get(a, "http.response.status_code").and_then(|c| c.parse().ok());
    let error = status == StatusCode::Error;
    if error != get(a, "error.type").is_some() {
        out.push(format!(
            "status: `{}` error={error} but error.type {:?}",
            s.name,
            get(a, "error.type")
        ));
    }
    let http = get(a, "http.request.method");
    match (kind, &http) {
        (SpanKind::Server, Some(method)) => {
            require(
                out,
                "http server",
                a,
                &["http.route", "url.path", "url.scheme", "server.port"],
            );
            if !is_int(a, "http.response.status_code") {
                out.push(format!(
                    "http server: `{}` has no integer status code",
                    s.name
                ));
            }
            let route = get(a, "http.route").unwrap_or_default();
            if s.name != format!("{method} {route}") {
                out.push(format!(
                    "http server: span name `{}` is not `{{method}} {{route}}`",
                    s.name
                ));
            }
            if get(a, "url.path").is_some_and(|p| p.contains('{')) {
                out.push(format!("http server: `{}` url.path is a template", s.name));
            }
            // Server spans: 5xx is an error, 4xx leaves the status unset.
            if let Some(c) = code {
                if (c >= 500) != error || (c < 500 && status != StatusCode::Unset) {
                    out.push(format!("http server: code {c} with status {status:?}"));
                }
            }
        }
        (SpanKind::Client, Some(_)) => {
            require(
                out,
                "http client",
                a,
                &[
                    "server.address",
                    "server.port",
                    "url.template",
                    "url.full",
                    "service.peer.name",
                ],
            );
            if let Err(e) = url_full_path(a) {
                out.push(format!("http client: `{}` {e}", s.name));
            }
            if let Some(c) = code {
                if (c >= 400) != error {
                    out.push(format!("http client: code {c} with status {status:?}"));
                }
            }
        }
        _ => {}
    }
    if get(a, "rpc.system.name").is_some() {
        require(out, "rpc", a, &["rpc.method", "server.address"]);
        if kind == SpanKind::Server && get(a, "rpc.method").as_deref() != Some(s.name.as_str()) {
            out.push(format!("rpc: span name `{}` is not rpc.method", s.name));
        }
    }
    if get(a, "rpc.system.name").as_deref() == Some("grpc") {
        grpc_status(out, s, kind, error);
    }
    if get(a, "db.system.name").is_some() {
        require(out, "db", a, &["db.query.summary", "server.address"]);
        if get(a, "db.query.summary").is_some_and(|q| q != s.name) {
            out.push(format!(
                "db: span name `{}` is not db.query.summary",
                s.name
            ));
        }
    }
    if get(a, "messaging.system").is_some() {
        require(
            out,
            "messaging",
            a,
            &[
                "messaging.destination.name",
                "messaging.operation.type",
                "messaging.operation.name",
            ],
        );
        if kind == SpanKind::Consumer && s.links.is_empty() {
            out.push(format!(
                "messaging: consumer `{}` has no link to its producer",
                s.name
            ));
        }
    }
    if kind == SpanKind::Internal {
        // An INTERNAL span serves no request: no HTTP or RPC server facts.
        const SERVER: [&str; 8] = [
            "http.request.method",
            "http.route",
            "http.response.status_code",
            "url.path",
            "url.scheme",
            "rpc.system.name",
            "rpc.method",
            "rpc.response.status_code",
        ];
        for k in SERVER {
            if get(a, k).is_some() {
                out.push(format!("internal: `{}` carries {k}", s.name));
            }
        }
    }
    for l in &s.links {
        if l.trace_id.len() != 16 || l.span_id.len() != 8 {
            out.push(format!("link: `{}` has a malformed span context", s.name));
        }
        not_deprecated(reg, out, "link", &l.attributes);
    }
    for e in &s.events {
        not_deprecated(reg, out, "event", &e.attributes);
        if e.name == "exception"
            && get(&e.attributes, "exception.type").is_none()
            && get(&e.attributes, "exception.message").is_none()
        {
            out.push("exception: neither exception.type nor exception.message".into());
        }
    }
}

/// The attributes a request-duration histogram may carry.
fn allowed_point_keys(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "http.server.request.duration" => &[
            "http.request.method",
            "http.route",
            "http.response.status_code",
            "error.type",
            "url.scheme",
            "network.protocol.name",
            "network.protocol.version",
            "server.address",
            "server.port",
        ],
        "http.client.request.duration" => &[
            "http.request.method",
            "http.response.status_code",
            "error.type",
            "server.address",
            "server.port",
            "url.scheme",
            "url.template",
        ],
        "db.client.operation.duration" => &[
            "db.system.name",
            "db.namespace",
            "db.query.summary",
            "db.operation.name",
            "db.collection.name",
            "db.response.status_code",
            "error.type",
            "server.address",
            "server.port",
        ],
        _ => return None,
    })
}

/// One metric: a conventional name is in the registry with its
/// instrument and unit; a duration histogram has only its attributes.
pub fn metric(reg: &Registry, out: &mut Vec<String>, m: &Metric) {
    let instrument = match &m.data {
        Some(Data::Gauge(_)) => "gauge",
        Some(Data::Sum(s)) if s.is_monotonic => "counter",
        Some(Data::Sum(_)) => "updowncounter",
        Some(Data::Histogram(_)) => "histogram",
        _ => "other",
    };
    let namespace = m.name.split('.').next().unwrap_or("");
    if reg.deprecated.contains(&m.name) {
        out.push(format!("deprecated: metric `{}`", m.name));
    } else if m.name.contains('.') && reg.namespaces.contains(namespace) {
        match reg.metrics.get(&m.name) {
            None => out.push(format!("metric: `{}` is not in the conventions", m.name)),
            Some((i, u)) => {
                if i != instrument || *u != m.unit {
                    out.push(format!(
                        "metric: `{}` is {instrument} in `{}`, the conventions say {i} in `{u}`",
                        m.name, m.unit
                    ));
                }
            }
        }
    }
    let points: Vec<&[KeyValue]> = match &m.data {
        Some(Data::Gauge(g)) => g.data_points.iter().map(|p| &p.attributes[..]).collect(),
        Some(Data::Sum(s)) => s.data_points.iter().map(|p| &p.attributes[..]).collect(),
        Some(Data::Histogram(h)) => h.data_points.iter().map(|p| &p.attributes[..]).collect(),
        _ => Vec::new(),
    };
    for attrs in points {
        not_deprecated(reg, out, "metric point", attrs);
        if let Some(allowed) = allowed_point_keys(&m.name) {
            for a in attrs {
                if !allowed.contains(&a.key.as_str()) {
                    out.push(format!("metric: `{}` point attribute `{}`", m.name, a.key));
                }
            }
        }
    }
}

/// One log record: severity, ids together, no unfilled placeholder.
pub fn log(reg: &Registry, out: &mut Vec<String>, l: &LogRecord) {
    not_deprecated(reg, out, "log", &l.attributes);
    if !(1..=24).contains(&l.severity_number) || l.severity_text.is_empty() {
        out.push(format!(
            "log: severity {} `{}`",
            l.severity_number, l.severity_text
        ));
    }
    if l.span_id.is_empty() != l.trace_id.is_empty() && !l.span_id.is_empty() {
        out.push("log: a span id without a trace id".into());
    }
    let texts: Vec<&str> = match l.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(Value::StringValue(s)) => vec![s.as_str()],
        // A structured body: each of its string fields.
        Some(Value::KvlistValue(list)) => list
            .values
            .iter()
            .filter_map(
                |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(Value::StringValue(s)) => Some(s.as_str()),
                    _ => None,
                },
            )
            .collect(),
        _ => Vec::new(),
    };
    for body in texts {
        let Some(open) = body.find('{') else { continue };
        let rest = &body[open + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with('}') {
            out.push(format!(
                "log: unfilled placeholder `{{{name}}}` in `{body}`"
            ));
        }
    }
}
