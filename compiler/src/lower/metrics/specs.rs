//! The metrics each family emits: name, kind, unit, the process that
//! drives it, its bounds, and the level (host, node, pod, container) whose
//! series set it uses.

use tsim_pack::{MetricKind, Process};

/// A family metric: name, kind, unit, process, bounds, level.
pub(super) type Spec = (
    &'static str,
    MetricKind,
    &'static str,
    fn() -> Process,
    Option<(f64, f64)>,
    Level,
);

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Level {
    Host,
    Node,
    Pod,
    Container,
}

fn util() -> Process {
    Process::Brownian {
        start: 0.35,
        drift: 0.0,
        volatility: 0.01,
    }
}
fn memory() -> Process {
    Process::MeanRevert {
        start: 4e9,
        mean: 4e9,
        speed: 0.01,
        volatility: 2e7,
    }
}
fn io() -> Process {
    Process::Poisson {
        rate: Box::new(Process::MeanRevert {
            start: 5e5,
            mean: 5e5,
            speed: 0.05,
            volatility: 2e4,
        }),
    }
}
pub(super) fn ops() -> Process {
    Process::Poisson {
        rate: Box::new(Process::Constant {
            value: 50.0,
            noise: 5.0,
        }),
    }
}
fn cores() -> Process {
    Process::Constant {
        value: 2.0,
        noise: 0.0,
    }
}
/// A container's memory limit: 8 GiB, fixed (a limit does not wander).
fn memory_limit() -> Process {
    Process::Constant {
        value: 8_589_934_592.0,
        noise: 0.0,
    }
}
/// CPU seconds per second of a host: its cores (2) times a utilisation
/// near 35%.
fn cpu_seconds() -> Process {
    Process::Constant {
        value: 0.7,
        noise: 0.05,
    }
}
fn rare() -> Process {
    Process::Poisson {
        rate: Box::new(Process::Constant {
            value: 0.0005,
            noise: 0.0,
        }),
    }
}
pub(super) fn percent_level() -> Process {
    Process::MeanRevert {
        start: 50.0,
        mean: 50.0,
        speed: 0.05,
        volatility: 2.0,
    }
}

pub(super) const HOST: &[Spec] = &[
    (
        "system.cpu.utilization",
        MetricKind::Gauge,
        "1",
        util,
        Some((0.0, 1.0)),
        Level::Host,
    ),
    (
        "system.cpu.time",
        MetricKind::Counter,
        "s",
        cpu_seconds,
        None,
        Level::Host,
    ),
    (
        "system.memory.usage",
        MetricKind::UpDown,
        "By",
        memory,
        Some((0.0, 6.4e10)),
        Level::Host,
    ),
    (
        "system.memory.utilization",
        MetricKind::Gauge,
        "1",
        util,
        Some((0.0, 1.0)),
        Level::Host,
    ),
    (
        "system.disk.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Host,
    ),
    (
        "system.disk.operations",
        MetricKind::Counter,
        "{operation}",
        ops,
        None,
        Level::Host,
    ),
    (
        "system.filesystem.usage",
        MetricKind::UpDown,
        "By",
        memory,
        Some((0.0, 1e12)),
        Level::Host,
    ),
    (
        "system.network.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Host,
    ),
    (
        "system.network.errors",
        MetricKind::Counter,
        "{error}",
        rare,
        None,
        Level::Host,
    ),
    (
        "tsim.system.cpu.load_average.1m",
        MetricKind::Gauge,
        "{thread}",
        util,
        Some((0.0, 64.0)),
        Level::Host,
    ),
];

pub(super) const KUBERNETES: &[Spec] = &[
    (
        "k8s.node.cpu.usage",
        MetricKind::Gauge,
        "{cpu}",
        util,
        Some((0.0, 64.0)),
        Level::Node,
    ),
    (
        "k8s.node.memory.usage",
        MetricKind::UpDown,
        "By",
        memory,
        Some((0.0, 2.6e11)),
        Level::Node,
    ),
    (
        "k8s.node.network.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Node,
    ),
    (
        "k8s.pod.cpu.usage",
        MetricKind::Gauge,
        "{cpu}",
        util,
        Some((0.0, 16.0)),
        Level::Pod,
    ),
    (
        "k8s.pod.memory.usage",
        MetricKind::UpDown,
        "By",
        memory,
        Some((0.0, 6.4e10)),
        Level::Pod,
    ),
    (
        "k8s.pod.network.io",
        MetricKind::Counter,
        "By",
        io,
        None,
        Level::Pod,
    ),
    (
        "k8s.container.cpu.limit.current",
        MetricKind::UpDown,
        "{cpu}",
        cores,
        None,
        Level::Container,
    ),
    (
        "k8s.container.memory.limit.current",
        MetricKind::UpDown,
        "By",
        memory_limit,
        None,
        Level::Container,
    ),
    (
        "k8s.container.restart.count",
        MetricKind::UpDown,
        "{restart}",
        rare,
        None,
        Level::Container,
    ),
    (
        "k8s.deployment.pod.available",
        MetricKind::UpDown,
        "{pod}",
        cores,
        None,
        Level::Pod,
    ),
];
