//! Name translation, table by table, with the spec's own examples.

use super::*;

#[test]
fn the_specs_unit_table_and_its_examples() {
    let table = [
        // (OTel name, unit, type) -> Prometheus sample name, unit word
        (
            "system.filesystem.usage",
            "By",
            Type::Gauge,
            "system_filesystem_usage_bytes",
            "bytes",
        ),
        (
            "http.server.request.duration",
            "s",
            Type::Histogram,
            "http_server_request_duration_seconds",
            "seconds",
        ),
        (
            "http.client.duration",
            "ms",
            Type::Histogram,
            "http_client_duration_milliseconds",
            "milliseconds",
        ),
        (
            "system.network.dropped",
            "{packets}",
            Type::Counter,
            "system_network_dropped_total",
            "",
        ),
        (
            "system.network.dropped",
            "packets",
            Type::Gauge,
            "system_network_dropped_packets",
            "packets",
        ),
        (
            "system.memory.utilization",
            "1",
            Type::Gauge,
            "system_memory_utilization_ratio",
            "ratio",
        ),
        (
            "system.processes.created",
            "1",
            Type::Counter,
            "system_processes_created_total",
            "",
        ),
        (
            "speed",
            "m/s",
            Type::Gauge,
            "speed_meters_per_second",
            "meters_per_second",
        ),
        (
            "throughput",
            "By/s",
            Type::Gauge,
            "throughput_bytes_per_second",
            "bytes_per_second",
        ),
        (
            "requests.rate",
            "{request}/min",
            Type::Gauge,
            "requests_rate_per_minute",
            "per_minute",
        ),
        (
            "cpu.time",
            "s",
            Type::Counter,
            "cpu_time_seconds_total",
            "seconds",
        ),
        (
            "http_requests_total",
            "",
            Type::Counter,
            "http_requests_total",
            "",
        ),
        (
            "http_request_duration_seconds",
            "s",
            Type::Histogram,
            "http_request_duration_seconds",
            "seconds",
        ),
        (
            "otel_claude_code_cost_usd",
            "USD",
            Type::Counter,
            "otel_claude_code_cost_usd_total",
            "usd",
        ),
        ("tokens_total", "{token}", Type::Counter, "tokens_total", ""),
        ("bytes_total", "By", Type::Counter, "bytes_total", "bytes"),
        (
            "cpu_usage",
            "%",
            Type::Gauge,
            "cpu_usage_percent",
            "percent",
        ),
        (
            "temperature",
            "Cel",
            Type::Gauge,
            "temperature_celsius",
            "celsius",
        ),
        (
            "memory",
            "KiBy",
            Type::Gauge,
            "memory_kibibytes",
            "kibibytes",
        ),
        ("uptime", "d", Type::Gauge, "uptime_days", "days"),
        (
            "(lambda).function.executions(#)",
            "",
            Type::Gauge,
            "_lambda_function_executions_",
            "",
        ),
        ("2xx.count", "", Type::Gauge, "_2xx_count", ""),
        ("a..b", "s", Type::Gauge, "a_b_seconds", "seconds"),
    ];
    for (name, unit, ty, sample, word) in table {
        let n = names(name, unit, ty);
        assert_eq!(
            (n.sample.as_str(), n.unit.as_str()),
            (sample, word),
            "{name} [{unit}]"
        );
    }
}

#[test]
fn a_counter_family_drops_total_and_its_sample_has_it_once() {
    let n = names("http.server.requests", "", Type::Counter);
    assert_eq!(n.family, "http_server_requests");
    assert_eq!(n.sample, "http_server_requests_total");
    let n = names("dice_rolls_total", "", Type::Counter);
    assert_eq!(
        (n.family.as_str(), n.sample.as_str()),
        ("dice_rolls", "dice_rolls_total")
    );
}

#[test]
fn label_names_are_legal_and_collisions_merge_in_key_order() {
    assert_eq!(label_name("http.route"), "http_route");
    assert_eq!(label_name("2xx"), "key_2xx");
    assert_eq!(label_name("__name"), "_name");
    assert_eq!(label_name("a..b-c"), "a_b_c");
    assert_eq!(label_name("ok_name"), "ok_name");
    let merged = labels(&[
        ("foo.bar", "2".into()),
        ("method", "GET".into()),
        ("foo_bar", "1".into()),
    ]);
    assert_eq!(
        merged,
        [
            ("foo_bar".to_string(), "2;1".to_string()),
            ("method".to_string(), "GET".to_string())
        ]
    );
}

#[test]
fn job_joins_the_namespace() {
    assert_eq!(job(Some("shop"), "api"), "shop/api");
    assert_eq!(job(None, "api"), "api");
    assert_eq!(job(Some(""), "api"), "api");
}
