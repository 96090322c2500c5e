//! Decoding each section into its types. Every count is bounded by the
//! bytes left, every section must be consumed exactly; cross-references are
//! checked afterwards by `validate`.
//!
//! This module reads the small sections (META, STRS, ATTR, RSRC, SERI,
//! METR, EVNT) and drives [`sections`]; `calls` reads CALL (with the
//! distributions and generators LOGS shares), `logs` reads LOGS.

mod calls;
mod logs;

use crate::error::PackError;
use crate::program;
use crate::types::*;
use crate::wire::Reader;

fn invalid(what: impl Into<String>) -> PackError {
    PackError::Invalid { what: what.into() }
}

fn attr_value(r: &mut Reader<'_>) -> Result<AttrValue, PackError> {
    Ok(match r.byte()? {
        0 => AttrValue::Str(r.u32()?),
        1 => AttrValue::Int(r.i()?),
        2 => AttrValue::Float(r.f()?),
        3 => AttrValue::Bool(false),
        4 => AttrValue::Bool(true),
        b => return Err(invalid(format!("unknown attribute type {b}"))),
    })
}

fn process(r: &mut Reader<'_>, depth: u8) -> Result<Process, PackError> {
    if depth > 4 {
        return Err(invalid("processes nested too deeply"));
    }
    Ok(match r.byte()? {
        0 => Process::Constant {
            value: r.f()?,
            noise: r.f()?,
        },
        1 => Process::Brownian {
            start: r.f()?,
            drift: r.f()?,
            volatility: r.f()?,
        },
        2 => Process::MeanRevert {
            start: r.f()?,
            mean: r.f()?,
            speed: r.f()?,
            volatility: r.f()?,
        },
        3 => Process::Poisson {
            rate: Box::new(process(r, depth + 1)?),
        },
        b => return Err(invalid(format!("unknown process {b}"))),
    })
}

fn opt_u32(r: &mut Reader<'_>) -> Result<u32, PackError> {
    match r.u32()? {
        0 => Ok(NONE),
        n => Ok(n - 1),
    }
}

fn meta(r: &mut Reader<'_>) -> Result<Meta, PackError> {
    let (name, description, seed, duration_ns, tick_ns) =
        (r.u32()?, r.u32()?, r.u()?, r.u()?, r.u()?);
    let start = match r.byte()? {
        0 => None,
        1 => Some((r.i()?, r.u32()?)),
        b => return Err(invalid(format!("bad start flag {b}"))),
    };
    Ok(Meta {
        name,
        description,
        seed,
        duration_ns,
        tick_ns,
        start,
    })
}

/// Decodes the ten sections.
#[allow(clippy::too_many_arguments)]
pub fn sections(
    meta_b: &[u8],
    strs: &[u8],
    attr: &[u8],
    rsrc: &[u8],
    call: &[u8],
    seri: &[u8],
    metr: &[u8],
    logs: &[u8],
    evnt: &[u8],
    prog: &[u8],
) -> Result<Pack, PackError> {
    let mut pack = Pack::default();

    let mut r = Reader::new(meta_b, "META");
    pack.meta = meta(&mut r)?;
    r.finish()?;

    let mut r = Reader::new(strs, "STRS");
    for _ in 0..r.count(1)? {
        let s = std::str::from_utf8(r.bytes()?).map_err(|_| invalid("a string is not UTF-8"))?;
        pack.strings.push(s.to_string());
    }
    r.finish()?;

    let mut r = Reader::new(attr, "ATTR");
    for _ in 0..r.count(1)? {
        let n = r.count(2)?;
        let set = (0..n)
            .map(|_| {
                Ok(Attr {
                    key: r.u32()?,
                    value: attr_value(&mut r)?,
                })
            })
            .collect::<Result<_, PackError>>()?;
        pack.attr_sets.push(set);
    }
    r.finish()?;

    let mut r = Reader::new(rsrc, "RSRC");
    for _ in 0..r.count(5)? {
        let kind = match r.byte()? {
            0 => ResourceKind::Service,
            1 => ResourceKind::Database,
            2 => ResourceKind::Queue,
            b => return Err(invalid(format!("unknown resource kind {b}"))),
        };
        pack.resources.push(Resource {
            kind,
            name: r.u32()?,
            version: r.u32()?,
            instances: r.u32()?,
            attrs: r.u32()?,
        });
    }
    r.finish()?;

    let mut r = Reader::new(call, "CALL");
    pack.calls = calls::calls(&mut r)?;
    r.finish()?;

    let mut r = Reader::new(seri, "SERI");
    // A set is at least a key count, a row count and a weight count.
    for set in 0..r.count(3)? {
        let nk = r.count(1)?;
        let keys = (0..nk).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        // Rows of a key-less set are empty, so bound them explicitly.
        let rows_n = if nk == 0 {
            match r.u()? {
                n @ (0 | 1) => n as usize,
                _ => return Err(invalid("a series set without keys has more than one row")),
            }
        } else {
            r.count(nk)?
        };
        let mut rows = Vec::with_capacity(rows_n);
        for _ in 0..rows_n {
            rows.push(
                (0..nk)
                    .map(|_| attr_value(&mut r))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        // No weights (equal shares) or one per row, eight bytes each.
        let nw = r.count(8)?;
        if nw != 0 && nw != rows_n {
            return Err(invalid(format!(
                "series set {set} has {nw} weights for {rows_n} rows (want 0 or {rows_n})"
            )));
        }
        let weights = (0..nw).map(|_| r.f()).collect::<Result<Vec<_>, _>>()?;
        pack.series_sets.push(SeriesSet {
            keys,
            rows,
            weights,
        });
    }
    r.finish()?;

    let mut r = Reader::new(metr, "METR");
    for _ in 0..r.count(16)? {
        let name = r.u32()?;
        let kind = match r.byte()? {
            0 => MetricKind::Counter,
            1 => MetricKind::Gauge,
            2 => MetricKind::UpDown,
            3 => MetricKind::Histogram,
            b => return Err(invalid(format!("unknown metric kind {b}"))),
        };
        let (unit, description, series_set) = (r.u32()?, r.u32()?, r.u32()?);
        let source = match r.byte()? {
            0 => MetricSource::Spans {
                of: opt_u32(&mut r)?,
            },
            1 => MetricSource::Process(process(&mut r, 0)?),
            b => return Err(invalid(format!("unknown metric source {b}"))),
        };
        let within = match r.byte()? {
            0 => None,
            1 => Some((r.f()?, r.f()?)),
            b => return Err(invalid(format!("bad bounds flag {b}"))),
        };
        let nb = r.count(8)?;
        let buckets = (0..nb).map(|_| r.f()).collect::<Result<_, _>>()?;
        pack.metrics.push(MetricDef {
            name,
            kind,
            unit,
            description,
            series_set,
            source,
            within,
            buckets,
            rate: r.f()?,
        });
    }
    r.finish()?;

    let mut r = Reader::new(logs, "LOGS");
    pack.logs = self::logs::logs(&mut r)?;
    r.finish()?;

    let mut r = Reader::new(evnt, "EVNT");
    for _ in 0..r.count(7)? {
        pack.events.push(EventDef {
            at_ns: r.u()?,
            kind: r.u32()?,
            resource: opt_u32(&mut r)?,
            details: r.u32()?,
            severity: r.u32()?,
            version: r.u32()?,
            instances: r.u32()?,
        });
    }
    r.finish()?;

    let mut r = Reader::new(prog, "PROG");
    pack.program = program::decode(&mut r)?;
    Ok(pack)
}
