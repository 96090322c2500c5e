//! Metric points of a tick: derived RED metrics and process-driven ones,
//! with anomalies applied to derived gauges. A per-instance series is
//! emitted while its instance runs, in that instance's resource, its
//! cumulative points counted from when the instance started.

use std::io;

use tsim_pack::MetricSource;

use super::{series, Engine};
use crate::sink::{MetricRecord, Point, Sink};

impl<'p> Engine<'_, 'p> {
    pub(super) fn metrics(
        &mut self,
        t1: u64,
        dt: f64,
        level: f64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = self.pack;
        let (time_ns, start_ns) = (self.abs(t1), self.start_ns);
        let state = &self.state;
        let (plan, fleet) = (self.plan, &self.fleet);
        let anomaly = |m: u32| state.anomalies.get(&m).copied().unwrap_or((1.0, 0.0));
        let mut failure: io::Result<()> = Ok(());
        let mut emitted = 0u64;
        {
            let mut collect = |metric: usize, series: &series::Series<'p>, point: Point<'_>| {
                let Some(m) = pack.metrics.get(metric) else {
                    return;
                };
                let point = match point {
                    // Anomalies bend derived gauges here; process metrics
                    // apply theirs before holding gauges to their bounds.
                    Point::Gauge(v) if matches!(m.source, MetricSource::Spans { .. }) => {
                        let (f, shift) = anomaly(m.name);
                        Point::Gauge(v * f * (1.0 + shift))
                    }
                    p => p,
                };
                let (resource, start_ns) = match series.instance {
                    Some((r, k)) if !fleet.runs(r, k) => return,
                    Some((r, k)) => {
                        let started = start_ns.saturating_add(fleet.started(r, k) as i64);
                        (fleet.resource_ref(plan, r, k), started)
                    }
                    None => (None, start_ns),
                };
                if failure.is_ok() {
                    let s = |id: u32| pack.strings.get(id as usize).map_or("", String::as_str);
                    failure = sink.metric(&MetricRecord {
                        time_ns,
                        start_ns,
                        metric: metric as u32,
                        name: s(m.name),
                        kind: m.kind,
                        unit: s(m.unit),
                        description: s(m.description),
                        service: series.service,
                        resource,
                        labels: &series.labels,
                        point,
                    });
                    emitted += 1;
                }
            };
            self.emitter.red.flush(pack, dt, &mut collect);
            self.procs.tick(
                pack,
                &mut self.streams.process,
                (dt, level),
                fleet.counts(),
                &anomaly,
                &mut collect,
            );
        }
        self.sum.metrics += emitted;
        failure
    }
}
