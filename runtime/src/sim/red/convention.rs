//! The semantic conventions' request-duration histograms among the `from
//! spans` metrics: a metric named `http.server.request.duration`,
//! `http.client.request.duration`, `db.client.operation.duration` or
//! `rpc.server.call.duration` counts only the spans the conventions say
//! (HTTP server spans, HTTP client spans, database client spans, RPC
//! server spans) and carries the conventions' attributes instead of tsim's
//! `status` and `endpoint` labels: method, route and status code for
//! HTTP, the system, namespace and query summary for databases, the
//! system and method for RPC, and `error.type` when the request failed.

use std::sync::OnceLock;

use tsim_pack::{Pack, ResourceKind, SpanKind, NONE};

use crate::draw::grpc::GrpcCode;
use crate::draw::request::ErrorType;
use crate::plan::Site;
use crate::sink::{Attributes, Label, Value};

/// Which convention a derived metric follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// tsim's own: every server span (or every call to a backend), with
    /// a `status` label.
    Plain,
    /// `http.server.request.duration`.
    HttpServer,
    /// `http.client.request.duration`.
    HttpClient,
    /// `db.client.operation.duration`.
    DbClient,
    /// `rpc.server.call.duration`.
    RpcServer,
}

impl Flavor {
    /// The flavour of a metric named `name`.
    pub fn of(name: &str) -> Flavor {
        match name {
            "http.server.request.duration" => Flavor::HttpServer,
            "http.client.request.duration" => Flavor::HttpClient,
            "db.client.operation.duration" => Flavor::DbClient,
            "rpc.server.call.duration" => Flavor::RpcServer,
            _ => Flavor::Plain,
        }
    }

    /// Whether a span of `site` counts into a metric of this flavour
    /// (Plain metrics decide for themselves).
    pub fn counts(self, pack: &Pack, site: &Site) -> bool {
        let attrs = Attributes::new(pack, site.attrs, &[], "");
        let http = attrs.get("http.request.method").is_some();
        let rpc = attrs.get("rpc.system.name").is_some();
        let to_database = site.peer != NONE
            && pack
                .resources
                .get(site.peer as usize)
                .is_some_and(|r| r.kind == ResourceKind::Database);
        match self {
            Flavor::Plain => true,
            Flavor::HttpServer => site.kind == SpanKind::Server && http,
            Flavor::HttpClient => site.kind == SpanKind::Client && http,
            Flavor::DbClient => site.kind == SpanKind::Client && to_database,
            Flavor::RpcServer => site.kind == SpanKind::Server && rpc,
        }
    }

    /// The attribute keys this flavour takes from the span's site.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Flavor::Plain => &[],
            Flavor::HttpServer => &["http.request.method", "http.route", "url.scheme"],
            Flavor::HttpClient => &["http.request.method", "server.address", "server.port"],
            Flavor::DbClient => &[
                "db.system.name",
                "db.namespace",
                "db.query.summary",
                "server.address",
                "server.port",
            ],
            Flavor::RpcServer => &["rpc.system.name", "rpc.method"],
        }
    }

    /// Appends the convention's labels of a span of `site` with its HTTP
    /// status `code` and gRPC status `rpc` that ended with `error` (when it
    /// failed).
    pub fn labels<'p>(
        self,
        pack: &'p Pack,
        site: &Site,
        (code, rpc): (Option<u16>, Option<GrpcCode>),
        error: Option<ErrorType>,
        out: &mut Vec<Label<'p>>,
    ) {
        let attrs = Attributes::new(pack, site.attrs, &[], "");
        for key in self.keys() {
            if let Some(value) = attrs.get(key) {
                out.push(Label { key, value });
            }
        }
        if let Some(c) = code.filter(|_| matches!(self, Flavor::HttpServer | Flavor::HttpClient)) {
            out.push(Label {
                key: "http.response.status_code",
                value: Value::Int(i64::from(c)),
            });
        }
        if let Some(c) = rpc.filter(|_| self == Flavor::RpcServer) {
            out.push(Label {
                key: "rpc.response.status_code",
                value: Value::Str(c.as_str()),
            });
        }
        if let Some(e) = error {
            out.push(Label {
                key: "error.type",
                value: Value::Str(error_text(pack, e)),
            });
        }
    }
}

/// An error type as the text `error.type` carries: the status code
/// (`"500"`), tsim's own type, a declared type, or `_OTHER` for a type
/// drawn per request (its text does not outlive the request).
pub fn error_text(pack: &Pack, e: ErrorType) -> &str {
    match e {
        ErrorType::Code(c) => code_text(c),
        ErrorType::Known(k) => k.as_str(),
        ErrorType::Declared(v) => match Value::from_drawn(pack, "", v) {
            Value::Str(s) if !s.is_empty() => s,
            _ => "_OTHER",
        },
    }
}

/// `"100"` to `"599"`; `_OTHER` for anything else.
fn code_text(c: u16) -> &'static str {
    static CODES: OnceLock<Vec<String>> = OnceLock::new();
    let codes = CODES.get_or_init(|| (100..600).map(|c: u16| c.to_string()).collect());
    c.checked_sub(100)
        .and_then(|i| codes.get(usize::from(i)))
        .map_or("_OTHER", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_text() {
        assert_eq!(code_text(500), "500");
        assert_eq!(code_text(100), "100");
        assert_eq!(code_text(599), "599");
        assert_eq!(code_text(600), "_OTHER");
        assert_eq!(code_text(42), "_OTHER");
        assert_eq!(
            Flavor::of("http.server.request.duration"),
            Flavor::HttpServer
        );
        assert_eq!(Flavor::of("requests"), Flavor::Plain);
    }
}
