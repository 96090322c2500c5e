//! Default span attributes from the stable OpenTelemetry semantic
//! conventions (HTTP, database, messaging). User attributes with the same
//! key replace these.

use crate::model::{Attr, Generator, Scalar};

fn text(key: &str, value: &str) -> Attr {
    Attr {
        key: key.into(),
        value: Generator::Const(Scalar::Str(value.into())),
    }
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

/// Attributes of an HTTP server span.
pub fn http_server(method: &str, route: &str, service: &str) -> Vec<Attr> {
    vec![
        text("http.request.method", method),
        text("http.route", route),
        text("url.scheme", "https"),
        text("server.address", service),
        text("network.protocol.version", "1.1"),
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

/// Attributes of a database client span.
pub fn db_client(system: &str, statement: &str, database: &str) -> Vec<Attr> {
    let mut attrs = vec![
        text("db.system.name", system),
        text("db.query.text", statement),
    ];
    if let Some(op) = db_operation(statement) {
        attrs.push(text("db.operation.name", &op));
    }
    if let Some(table) = db_collection(statement) {
        attrs.push(text("db.collection.name", &table));
    }
    attrs.push(text("server.address", database));
    attrs
}

/// Attributes of a messaging producer span.
pub fn messaging_send(system: &str, topic: &str, queue: &str) -> Vec<Attr> {
    vec![
        text("messaging.system", system),
        text("messaging.destination.name", topic),
        text("messaging.operation.type", "send"),
        text("server.address", queue),
    ]
}

/// Attributes of a messaging consumer span.
pub fn messaging_process(system: &str, topic: &str) -> Vec<Attr> {
    vec![
        text("messaging.system", system),
        text("messaging.destination.name", topic),
        text("messaging.operation.type", "process"),
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
    }
}
