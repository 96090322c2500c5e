//! Logs that do not come from one trace: standalone streams (level,
//! message, attributes, body and instance drawn per record) and the health-check failures
//! of failed deployments.

use std::io;

use rand::RngExt;
use tsim_pack::program::{Op, Target};
use tsim_pack::NONE;

use super::{batch, poisson, Engine};
use crate::draw::body::{draw_body, Record};
use crate::draw::request::Trace;
use crate::draw::values::{draw_attrs, draw_text, severity, NoLookup};
use crate::sink::{Attributes, Body, LogRecord, Sink};
use crate::streams::{stream, Purpose};

impl<'p> Engine<'_, 'p> {
    pub(super) fn log_streams(
        &mut self,
        t0: u64,
        t1: u64,
        dt: f64,
        level: f64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = self.pack;
        for (si, stream) in pack.logs.streams.iter().enumerate() {
            // Piece by piece when the stream expects a great many (see
            // `batch`): memory stays bounded whatever the rate.
            let mean = stream.rate * level * dt;
            let k = batch::pieces(mean, "a log stream")?;
            for j in 0..k {
                let (a, b) = batch::piece(t0, t1, j, k);
                let rng = &mut self.streams.logs;
                let n = poisson(rng, mean / k as f64);
                let mut times: Vec<u64> =
                    (0..n).map(|_| rng.random_range(a..b.max(a + 1))).collect();
                times.sort_unstable();
                for at in times {
                    self.stream_record(si, stream, at, sink)?;
                }
            }
        }
        Ok(())
    }

    /// One record of a standalone stream: level, message and attributes
    /// drawn afresh (the level and message from a fixed shape if declared).
    fn stream_record(
        &mut self,
        si: usize,
        spec: &'p tsim_pack::LogStream,
        at: u64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = self.pack;
        let mut shape = (spec.shapes > 0).then(|| {
            let k = u64::from(self.streams.logs.random_range(0..spec.shapes));
            stream(
                self.streams.seed,
                Purpose::LogShapes,
                ((si as u64) << 32) | k,
            )
        });
        let rng = shape.as_mut().unwrap_or(&mut self.streams.logs);
        let level = draw_text(pack, rng, &spec.level).map_or("", |s| self.plan.str(s));
        let template = draw_text(pack, rng, &spec.message).map_or("", |s| self.plan.str(s));
        self.trace.clear();
        let Trace { drawn, text, .. } = &mut self.trace;
        let range = draw_attrs(
            pack,
            &mut self.streams.logs,
            spec.attrs,
            &spec.gen_attrs,
            drawn,
            text,
        );
        let fields = spec.body.as_ref().map(|body| {
            let record = Record {
                set: spec.attrs,
                drawn: range,
            };
            let Trace { drawn, text, .. } = &mut self.trace;
            let at = draw_body(
                pack,
                &mut self.streams.logs,
                body,
                record,
                &NoLookup,
                drawn,
                text,
            );
            (body.attrs, at)
        });
        let drawn = &self.trace.drawn;
        let slice = |r: (u32, u32)| drawn.get(r.0 as usize..r.1 as usize).unwrap_or(&[]);
        let text = &self.trace.text;
        let attributes = Attributes::new(pack, spec.attrs, slice(range), text);
        let fields = fields.map(|(set, at)| Attributes::new(pack, set, slice(at), text));
        let fill = |name: &str, out: &mut String| match attributes.get(name) {
            Some(v) => {
                v.write(out);
                true
            }
            None => false,
        };
        // A service's stream logs from one of its running instances, each
        // as likely.
        let (service, resource) = if spec.resource == NONE {
            (self.scenario, None)
        } else {
            let running = self.fleet.count(spec.resource).max(1);
            let k = self.streams.logs.random_range(0..running);
            (
                self.res_name(spec.resource),
                self.fleet.resource_ref(self.plan, spec.resource, k),
            )
        };
        sink.log(&LogRecord {
            time_ns: self.abs(at),
            service,
            resource,
            severity_number: severity(level),
            severity_text: level,
            body: Body {
                template,
                fill: Some(&fill),
                fields,
            },
            attributes,
            trace_id: None,
            span_id: None,
        })?;
        self.sum.logs += 1;
        Ok(())
    }

    /// Failed deployments log their health checks, once per instance per
    /// tick while the deployment's window overlaps the tick, from the
    /// window's start.
    pub(super) fn health_checks(
        &mut self,
        t0: u64,
        t1: u64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = self.pack;
        for i in 0..self.calendar.health.len() {
            let (cause, a, b, r) = self.calendar.health[i];
            if a >= t1 || b <= t0 {
                continue;
            }
            let check = pack.program.iter().find_map(|op| match op {
                Op::ErrorType(Target::Resource(x), t, _) if *x == r => Some(self.s(*t)),
                _ => None,
            });
            let at = t0.max(a);
            let instances = self.fleet.count(r).min(10);
            for k in 0..instances {
                self.message.clear();
                self.message.push_str(&format!(
                    "{} on {} {}: readiness probe returned 503",
                    check.unwrap_or("health_check_failed"),
                    self.res_name(r),
                    self.fleet.id(r, k)
                ));
                sink.log(&LogRecord {
                    time_ns: self.abs(at + u64::from(k)),
                    service: self.res_name(r),
                    resource: self.fleet.resource_ref(self.plan, r, k),
                    severity_number: 17,
                    severity_text: "ERROR",
                    body: Body::text(&self.message),
                    attributes: Attributes::empty(pack),
                    trace_id: None,
                    span_id: None,
                })?;
                self.sum.logs += 1;
            }
            self.emitter.touched.entry(cause).or_default().insert(r);
        }
        Ok(())
    }
}
