//! Default span attributes from the OpenTelemetry semantic conventions
//! (the release `tsim_pack::SEMCONV_VERSION` names): HTTP server and client, RPC, database and messaging.
//! User attributes with the same key replace these.

use crate::model::{Attr, Generator, PatternPart, Scalar};

/// The port every simulated HTTP and RPC server listens on.
pub const SERVER_PORT: i64 = 443;

/// How many distinct values a route parameter takes in `url.path`.
pub const PATH_IDS: u64 = 100_000;

fn text(key: &str, value: &str) -> Attr {
    Attr {
        key: key.into(),
        value: Generator::Const(Scalar::Str(value.into())),
    }
}

fn int(key: &str, value: i64) -> Attr {
    Attr {
        key: key.into(),
        value: Generator::Const(Scalar::Int(value)),
    }
}

/// A concrete path for a route template, drawn per request: every
/// `{param}` becomes one of [`PATH_IDS`] numbers (`/users/{id}` ->
/// `/users/48213`); a route without parameters is constant.
pub fn url_path(route: &str) -> Generator {
    let mut parts = Vec::new();
    let mut rest = route;
    let mut params = 0;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        parts.push(PatternPart::Lit(rest[..open].to_string()));
        parts.push(PatternPart::Counter(0));
        params += 1;
        rest = &rest[open + close + 1..];
    }
    if params == 0 {
        return Generator::Const(Scalar::Str(route.into()));
    }
    if !rest.is_empty() {
        parts.push(PatternPart::Lit(rest.to_string()));
    }
    Generator::Pool {
        size: PATH_IDS,
        pattern: parts,
    }
}

/// The well-known port of a database or messaging system, if any.
fn system_port(system: &str) -> Option<i64> {
    Some(match system {
        "postgresql" => 5432,
        "mysql" | "mariadb" => 3306,
        "mssql" | "microsoft.sql_server" => 1433,
        "oracle.db" | "oracle" => 1521,
        "mongodb" => 27017,
        "redis" => 6379,
        "cassandra" => 9042,
        "elasticsearch" | "opensearch" => 9200,
        "kafka" => 9092,
        "rabbitmq" => 5672,
        "nats" => 4222,
        _ => return None,
    })
}

/// Splits `GET /users/{id}` into method and route, if it is an HTTP name.
pub fn http_name(name: &str) -> Option<(String, String)> {
    const METHODS: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    let (method, route) = name.split_once(' ')?;
    (METHODS.contains(&method) && route.starts_with('/'))
        .then(|| (method.to_string(), route.to_string()))
}

/// Attributes of an HTTP server span (`http.response.status_code` and
/// `error.type` are drawn per request).
pub fn http_server(method: &str, route: &str, service: &str) -> Vec<Attr> {
    vec![
        text("http.request.method", method),
        text("http.route", route),
        Attr {
            key: "url.path".into(),
            value: url_path(route),
        },
        text("url.scheme", "https"),
        text("server.address", service),
        int("server.port", SERVER_PORT),
        text("network.protocol.version", "1.1"),
    ]
}

/// Attributes of an RPC server span: gRPC, the endpoint's name as the
/// method (the span's name, as the conventions want).
pub fn rpc_server(method: &str, service: &str) -> Vec<Attr> {
    vec![
        text("rpc.system.name", "grpc"),
        text("rpc.method", method),
        text("server.address", service),
        int("server.port", SERVER_PORT),
    ]
}

/// The operation (first word) of a database statement, upper-cased.
pub fn db_operation(statement: &str) -> Option<String> {
    let word = statement.split_whitespace().next()?;
    word.chars()
        .all(|c| c.is_ascii_alphabetic())
        .then(|| word.to_ascii_uppercase())
}

/// The table a SQL statement names after `FROM`, `INTO`, `UPDATE` or `JOIN`.
pub fn db_collection(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        matches!(
            w[0].to_ascii_uppercase().as_str(),
            "FROM" | "INTO" | "UPDATE" | "JOIN"
        )
        .then(|| {
            w[1].trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .to_string()
        })
        .filter(|t| !t.is_empty())
    })
}

/// A low-cardinality summary of a statement, `{operation} {table}`
/// (`SELECT users`), as `db.query.summary` and the span name have it; the
/// statement's first word when it names no table.
pub fn db_summary(statement: &str) -> String {
    match (db_operation(statement), db_collection(statement)) {
        (Some(o), Some(c)) => format!("{o} {c}"),
        (Some(o), None) => o,
        _ => statement
            .split_whitespace()
            .next()
            .unwrap_or(statement)
            .to_string(),
    }
}

/// Attributes of a database client span. `db.operation.name` and
/// `db.collection.name` are not parsed out of the statement (the
/// conventions say not to, for systems that run several operations in one
/// statement); the summary carries them. The database's name is its
/// `db.namespace` unless it declares one.
pub fn db_client(system: &str, statement: &str, database: &str) -> Vec<Attr> {
    let mut attrs = vec![
        text("db.system.name", system),
        text("db.namespace", database),
        text("db.query.text", statement),
        text("db.query.summary", &db_summary(statement)),
        text("server.address", database),
    ];
    if let Some(port) = system_port(system) {
        attrs.push(int("server.port", port));
    }
    attrs
}

/// Attributes of a messaging producer span.
pub fn messaging_send(system: &str, topic: &str, queue: &str) -> Vec<Attr> {
    let mut attrs = vec![
        text("messaging.system", system),
        text("messaging.destination.name", topic),
        text("messaging.operation.type", "send"),
        text("messaging.operation.name", "send"),
        text("server.address", queue),
    ];
    if let Some(port) = system_port(system) {
        attrs.push(int("server.port", port));
    }
    attrs
}

/// Attributes of a messaging consumer span.
pub fn messaging_process(system: &str, topic: &str) -> Vec<Attr> {
    vec![
        text("messaging.system", system),
        text("messaging.destination.name", topic),
        text("messaging.operation.type", "process"),
        text("messaging.operation.name", "process"),
    ]
}

/// `base` with `extra` applied on top: same keys replaced in place, new keys appended.
pub fn merge(mut base: Vec<Attr>, extra: &[Attr]) -> Vec<Attr> {
    for a in extra {
        match base.iter_mut().find(|b| b.key == a.key) {
            Some(b) => b.value = a.value.clone(),
            None => base.push(a.clone()),
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sql_operation_and_table() {
        assert_eq!(
            db_operation("select * from users").as_deref(),
            Some("SELECT")
        );
        assert_eq!(
            db_collection("INSERT INTO orders (id) VALUES (1)").as_deref(),
            Some("orders")
        );
        assert_eq!(
            http_name("GET /users/{id}"),
            Some(("GET".into(), "/users/{id}".into()))
        );
        assert_eq!(http_name("charge"), None);
        assert_eq!(
            db_summary("SELECT * FROM users WHERE id = $1"),
            "SELECT users"
        );
        assert_eq!(db_summary("BEGIN"), "BEGIN");
    }

    #[test]
    fn a_route_template_becomes_a_drawn_path() {
        assert_eq!(
            url_path("/users/{id}/orders/{order}"),
            Generator::Pool {
                size: PATH_IDS,
                pattern: vec![
                    PatternPart::Lit("/users/".into()),
                    PatternPart::Counter(0),
                    PatternPart::Lit("/orders/".into()),
                    PatternPart::Counter(0),
                ],
            }
        );
        assert_eq!(
            url_path("/checkout"),
            Generator::Const(Scalar::Str("/checkout".into()))
        );
    }
}
