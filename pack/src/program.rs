//! The timeline program: a small instruction set the runtime evaluates at
//! every tick. The traffic shape comes first; then each `AT` or `EVERY`
//! opens a block whose effect instructions apply, scaled by the block's
//! activation (0 outside its window, rising linearly over its ramp to 1),
//! until the next block. `END` closes the program.
//!
//! | opcode | instruction | operands |
//! | --- | --- | --- |
//! | 0x00 | `END` | |
//! | 0x01 | `TRAFFIC` | rate f64 (per second), timezone str |
//! | 0x02 | `PEAK` | start, end (seconds since local midnight) |
//! | 0x03 | `NIGHT` | level f64 |
//! | 0x04 | `WEEKEND` | level f64 |
//! | 0x10 | `AT` | start, length, ramp (ns) |
//! | 0x11 | `EVERY` | period, length (ns), jitter u8 |
//! | 0x20 | `ERRORS` | target, from f64, to f64 |
//! | 0x21 | `LATENCY` | target, from f64, to f64 |
//! | 0x22 | `RATE` | target, from f64, to f64 |
//! | 0x23 | `STATUS` | target, code, weight f64 |
//! | 0x24 | `ERROR_TYPE` | target, name str, weight f64 |
//! | 0x25 | `CASCADE` | target |
//! | 0x26 | `ANOMALY` | metric str, kind u8, from f64, to f64 |
//! | 0x27 | `SHIFT` | metric str, relative f64 |
//! | 0x30 | `EVENT` | event index |
//! | 0x31 | `INCIDENT` | kind str, target, severity str |
//!
//! A target is a kind byte (0 everything, 1 service, 2 database, 3 queue,
//! 4 metric) and a resource index (or a string for metrics).

use serde::Serialize;

use crate::error::PackError;
use crate::types::StrId;
use crate::wire::{Reader, Writer};

/// What an effect applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Target {
    /// Everything.
    All,
    /// A resource (service, database or queue) by index.
    Resource(u32),
}

/// Anomaly kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum AnomalyKind {
    /// A brief multiplication.
    Spike = 0,
    /// A brief reduction.
    Drop = 1,
    /// A level shift (multiplicative).
    Shift = 2,
    /// A trend moving from one factor to another.
    Trend = 3,
}

/// One instruction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Op {
    /// End of program.
    End,
    /// Peak root-request rate and the zone of the daily shape.
    Traffic {
        /// Per second.
        rate: f64,
        /// IANA zone, `UTC` or an offset.
        timezone: StrId,
    },
    /// A busy window of the local day.
    Peak {
        /// Seconds since midnight.
        start: u32,
        /// Seconds since midnight.
        end: u32,
    },
    /// Level outside the peaks.
    Night(f64),
    /// Weekend level.
    Weekend(f64),
    /// Opens a one-off block.
    At {
        /// Offset from the run's start.
        start_ns: u64,
        /// Length.
        length_ns: u64,
        /// Ramp-up.
        ramp_ns: u64,
    },
    /// Opens a repeating block.
    Every {
        /// Period.
        period_ns: u64,
        /// Length of each occurrence.
        length_ns: u64,
        /// Jittered period.
        jitter: bool,
    },
    /// Error share, moving from `from` to `to` with the activation.
    Errors(Target, f64, f64),
    /// Latency factor.
    Latency(Target, f64, f64),
    /// Traffic factor.
    Rate(Target, f64, f64),
    /// A status code of failures and its weight.
    Status(Target, u16, f64),
    /// An `error.type` of failures and its weight.
    ErrorType(Target, StrId, f64),
    /// The failure spreads to callers along the call graph.
    Cascade(Target),
    /// A multiplicative anomaly on a metric.
    Anomaly {
        /// Metric name.
        metric: StrId,
        /// Kind.
        kind: AnomalyKind,
        /// Factor at the start.
        from: f64,
        /// Factor at full strength.
        to: f64,
    },
    /// An additive level shift on a metric (fraction of its value).
    Shift {
        /// Metric name.
        metric: StrId,
        /// Relative change.
        relative: f64,
    },
    /// Emit event N when the block starts.
    Event(u32),
    /// An incident for the answer key.
    Incident {
        /// `outage`, `degradation`, ...
        kind: StrId,
        /// Root cause.
        target: Target,
        /// Severity text.
        severity: StrId,
    },
}

fn put_target(w: &mut Writer, t: Target) {
    match t {
        Target::All => w.byte(0),
        Target::Resource(i) => {
            w.byte(1);
            w.u(u64::from(i));
        }
    }
}

fn get_target(r: &mut Reader<'_>) -> Result<Target, PackError> {
    match r.byte()? {
        0 => Ok(Target::All),
        1 => Ok(Target::Resource(r.u32()?)),
        b => Err(PackError::Invalid {
            what: format!("unknown target kind {b} in the program"),
        }),
    }
}

/// Encodes a program.
pub fn encode(ops: &[Op], w: &mut Writer) {
    for op in ops {
        match *op {
            Op::End => w.byte(0x00),
            Op::Traffic { rate, timezone } => {
                w.byte(0x01);
                w.f(rate);
                w.u(u64::from(timezone));
            }
            Op::Peak { start, end } => {
                w.byte(0x02);
                w.u(u64::from(start));
                w.u(u64::from(end));
            }
            Op::Night(v) => {
                w.byte(0x03);
                w.f(v);
            }
            Op::Weekend(v) => {
                w.byte(0x04);
                w.f(v);
            }
            Op::At {
                start_ns,
                length_ns,
                ramp_ns,
            } => {
                w.byte(0x10);
                w.u(start_ns);
                w.u(length_ns);
                w.u(ramp_ns);
            }
            Op::Every {
                period_ns,
                length_ns,
                jitter,
            } => {
                w.byte(0x11);
                w.u(period_ns);
                w.u(length_ns);
                w.byte(u8::from(jitter));
            }
            Op::Errors(t, a, b) | Op::Latency(t, a, b) | Op::Rate(t, a, b) => {
                w.byte(match op {
                    Op::Errors(..) => 0x20,
                    Op::Latency(..) => 0x21,
                    _ => 0x22,
                });
                put_target(w, t);
                w.f(a);
                w.f(b);
            }
            Op::Status(t, code, weight) => {
                w.byte(0x23);
                put_target(w, t);
                w.u(u64::from(code));
                w.f(weight);
            }
            Op::ErrorType(t, s, weight) => {
                w.byte(0x24);
                put_target(w, t);
                w.u(u64::from(s));
                w.f(weight);
            }
            Op::Cascade(t) => {
                w.byte(0x25);
                put_target(w, t);
            }
            Op::Anomaly {
                metric,
                kind,
                from,
                to,
            } => {
                w.byte(0x26);
                w.u(u64::from(metric));
                w.byte(kind as u8);
                w.f(from);
                w.f(to);
            }
            Op::Shift { metric, relative } => {
                w.byte(0x27);
                w.u(u64::from(metric));
                w.f(relative);
            }
            Op::Event(i) => {
                w.byte(0x30);
                w.u(u64::from(i));
            }
            Op::Incident {
                kind,
                target,
                severity,
            } => {
                w.byte(0x31);
                w.u(u64::from(kind));
                put_target(w, target);
                w.u(u64::from(severity));
            }
        }
    }
}

/// Decodes a program; it must end with exactly one `END`.
pub fn decode(r: &mut Reader<'_>) -> Result<Vec<Op>, PackError> {
    let mut ops = Vec::new();
    loop {
        let op = match r.byte()? {
            0x00 => {
                ops.push(Op::End);
                r.finish()?;
                return Ok(ops);
            }
            0x01 => Op::Traffic {
                rate: r.f()?,
                timezone: r.u32()?,
            },
            0x02 => Op::Peak {
                start: r.u32()?,
                end: r.u32()?,
            },
            0x03 => Op::Night(r.f()?),
            0x04 => Op::Weekend(r.f()?),
            0x10 => Op::At {
                start_ns: r.u()?,
                length_ns: r.u()?,
                ramp_ns: r.u()?,
            },
            0x11 => Op::Every {
                period_ns: r.u()?,
                length_ns: r.u()?,
                jitter: r.byte()? != 0,
            },
            0x20 => Op::Errors(get_target(r)?, r.f()?, r.f()?),
            0x21 => Op::Latency(get_target(r)?, r.f()?, r.f()?),
            0x22 => Op::Rate(get_target(r)?, r.f()?, r.f()?),
            0x23 => {
                let t = get_target(r)?;
                let code = u16::try_from(r.u()?).map_err(|_| PackError::Invalid {
                    what: "status code".into(),
                })?;
                Op::Status(t, code, r.f()?)
            }
            0x24 => Op::ErrorType(get_target(r)?, r.u32()?, r.f()?),
            0x25 => Op::Cascade(get_target(r)?),
            0x26 => {
                let metric = r.u32()?;
                let kind = match r.byte()? {
                    0 => AnomalyKind::Spike,
                    1 => AnomalyKind::Drop,
                    2 => AnomalyKind::Shift,
                    3 => AnomalyKind::Trend,
                    b => {
                        return Err(PackError::Invalid {
                            what: format!("unknown anomaly kind {b}"),
                        })
                    }
                };
                Op::Anomaly {
                    metric,
                    kind,
                    from: r.f()?,
                    to: r.f()?,
                }
            }
            0x27 => Op::Shift {
                metric: r.u32()?,
                relative: r.f()?,
            },
            0x30 => Op::Event(r.u32()?),
            0x31 => Op::Incident {
                kind: r.u32()?,
                target: get_target(r)?,
                severity: r.u32()?,
            },
            b => {
                return Err(PackError::Invalid {
                    what: format!("unknown opcode 0x{b:02x} in the program"),
                })
            }
        };
        ops.push(op);
    }
}

/// Byte offset of each instruction, for the disassembly.
pub fn offsets(ops: &[Op]) -> Vec<usize> {
    let mut out = Vec::with_capacity(ops.len());
    let mut w = Writer::default();
    for op in ops {
        out.push(w.buf.len());
        encode(std::slice::from_ref(op), &mut w);
    }
    out
}
