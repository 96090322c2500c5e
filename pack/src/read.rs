//! Decoding each section into its types. Every count is bounded by the
//! bytes left, every section must be consumed exactly; cross-references are
//! checked afterwards by `validate`.

use crate::calls::*;
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

fn span_kind(r: &mut Reader<'_>) -> Result<SpanKind, PackError> {
    Ok(match r.byte()? {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        b => return Err(invalid(format!("unknown span kind {b}"))),
    })
}

/// Smallest encodings, for bounding counts: a `Pick` with no choices is a
/// tag and a count; a generator is at least a tag and a one-byte value.
const MIN_DIST: usize = 2;
const MIN_GEN: usize = 2;
const MIN_ERRORS: usize = 8 + 1 + 1;
const MIN_STEP: usize = 2;
const MIN_ENDPOINT: usize = 1 + 1 + 1 + MIN_DIST + MIN_ERRORS + 1 + 1 + 1;
const MIN_ROOT: usize = 1 + 8 + 1;
/// A stream: name, resource, rate, level, message, attribute set, generated
/// attribute count, shapes.
const MIN_STREAM: usize = 1 + 1 + 8 + MIN_GEN + MIN_GEN + 1 + 1 + 1;
/// A rule: flag, level, message, attribute set, generated attribute count.
const MIN_SPAN_RULE: usize = 1 + MIN_GEN + MIN_GEN + 1 + 1;

fn dist(r: &mut Reader<'_>) -> Result<Dist, PackError> {
    Ok(match r.byte()? {
        0 => Dist::Constant(r.f()?),
        1 => Dist::Uniform {
            min: r.f()?,
            max: r.f()?,
        },
        2 => Dist::Normal {
            mean: r.f()?,
            sd: r.f()?,
        },
        3 => Dist::LogNormal {
            mu: r.f()?,
            sigma: r.f()?,
        },
        4 => Dist::Exponential { mean: r.f()? },
        5 => Dist::Pareto {
            scale: r.f()?,
            shape: r.f()?,
        },
        6 => {
            let n = r.count(16)?;
            Dist::Pick(
                (0..n)
                    .map(|_| Ok((r.f()?, r.f()?)))
                    .collect::<Result<_, PackError>>()?,
            )
        }
        b => return Err(invalid(format!("unknown distribution {b}"))),
    })
}

fn parts(r: &mut Reader<'_>) -> Result<Vec<Part>, PackError> {
    let n = r.count(1)?;
    (0..n)
        .map(|_| {
            Ok(match r.byte()? {
                0 => Part::Lit(r.u32()?),
                1 => Part::Counter(r.byte()?),
                2 => Part::Hex(r.byte()?),
                3 => Part::Uuid,
                4 => Part::Attr(r.u32()?),
                b => return Err(invalid(format!("unknown pattern part {b}"))),
            })
        })
        .collect()
}

fn gen(r: &mut Reader<'_>, depth: usize) -> Result<Gen, PackError> {
    Ok(match r.byte()? {
        0 => Gen::Const(attr_value(r)?),
        1 => {
            // A value is at least one byte, its weight eight.
            let n = r.count(9)?;
            Gen::Pick(
                (0..n)
                    .map(|_| Ok((attr_value(r)?, r.f()?)))
                    .collect::<Result<_, PackError>>()?,
            )
        }
        2 => Gen::IntRange(r.i()?, r.i()?),
        3 => Gen::FloatRange(r.f()?, r.f()?),
        4 => Gen::Pattern(parts(r)?),
        5 => Gen::Pool {
            size: r.u()?,
            pattern: parts(r)?,
        },
        6 => Gen::Bool(r.f()?),
        7 => Gen::Dist(dist(r)?),
        8 => {
            if depth >= MAX_GEN_DEPTH {
                return Err(invalid(format!(
                    "generators nested deeper than {MAX_GEN_DEPTH} `maybe`s"
                )));
            }
            let p = r.f()?;
            Gen::Maybe(p, Box::new(gen(r, depth + 1)?))
        }
        b => return Err(invalid(format!("unknown generator {b}"))),
    })
}

fn opt_gen(r: &mut Reader<'_>) -> Result<Option<Gen>, PackError> {
    match r.byte()? {
        0 => Ok(None),
        1 => Ok(Some(gen(r, 0)?)),
        b => Err(invalid(format!("bad generator flag {b}"))),
    }
}

fn gen_attrs(r: &mut Reader<'_>) -> Result<Vec<GenAttr>, PackError> {
    let n = r.count(1 + MIN_GEN)?;
    (0..n)
        .map(|_| {
            Ok(GenAttr {
                key: r.u32()?,
                gen: gen(r, 0)?,
            })
        })
        .collect()
}

fn error_model(r: &mut Reader<'_>) -> Result<ErrorModel, PackError> {
    Ok(ErrorModel {
        rate: r.f()?,
        status: opt_gen(r)?,
        error_type: opt_gen(r)?,
    })
}

fn step_options(r: &mut Reader<'_>) -> Result<StepOptions, PackError> {
    let (chance, retries) = (r.f()?, r.u32()?);
    let timeout_ns = match r.byte()? {
        0 => None,
        1 => Some(r.u()?),
        b => return Err(invalid(format!("bad timeout flag {b}"))),
    };
    let repeat = dist(r)?;
    let on_error = match r.byte()? {
        0 => OnError::Fail,
        1 => OnError::Ignore,
        b => return Err(invalid(format!("unknown on-error behaviour {b}"))),
    };
    Ok(StepOptions {
        chance,
        retries,
        timeout_ns,
        repeat,
        on_error,
    })
}

fn backend_call(r: &mut Reader<'_>) -> Result<BackendCall, PackError> {
    let (backend, name, kind, attrs) = (r.u32()?, r.u32()?, span_kind(r)?, r.u32()?);
    Ok(BackendCall {
        backend,
        name,
        kind,
        attrs,
        gen_attrs: gen_attrs(r)?,
        latency: dist(r)?,
        errors: error_model(r)?,
    })
}

/// `depth` is the number of `Parallel` blocks around these steps.
fn steps(r: &mut Reader<'_>, depth: usize) -> Result<Vec<Step>, PackError> {
    let n = r.count(MIN_STEP)?;
    (0..n)
        .map(|_| {
            Ok(match r.byte()? {
                0 => {
                    let (endpoint, attrs) = (r.u32()?, r.u32()?);
                    Step::Call {
                        endpoint,
                        attrs,
                        options: step_options(r)?,
                    }
                }
                1 => {
                    let call = backend_call(r)?;
                    Step::Query {
                        call,
                        options: step_options(r)?,
                    }
                }
                2 => {
                    let call = backend_call(r)?;
                    let nc = r.count(1)?;
                    let consumers = (0..nc).map(|_| r.u32()).collect::<Result<_, _>>()?;
                    Step::Publish {
                        call,
                        consumers,
                        options: step_options(r)?,
                    }
                }
                3 => {
                    if depth >= MAX_STEP_DEPTH {
                        return Err(invalid(format!(
                            "steps nested deeper than {MAX_STEP_DEPTH} `parallel` blocks"
                        )));
                    }
                    Step::Parallel(steps(r, depth + 1)?)
                }
                b => return Err(invalid(format!("unknown step {b}"))),
            })
        })
        .collect()
}

fn calls(r: &mut Reader<'_>) -> Result<Calls, PackError> {
    let mut c = Calls::default();
    for _ in 0..r.count(MIN_ENDPOINT)? {
        let (resource, name) = (r.u32()?, r.u32()?);
        let protocol = match r.byte()? {
            0 => Protocol::Http {
                method: r.u32()?,
                route: r.u32()?,
            },
            1 => Protocol::Rpc,
            2 => Protocol::Consumer,
            b => return Err(invalid(format!("unknown protocol {b}"))),
        };
        let (latency, errors, attrs) = (dist(r)?, error_model(r)?, r.u32()?);
        let gen_attrs = gen_attrs(r)?;
        c.endpoints.push(EndpointProgram {
            resource,
            name,
            protocol,
            latency,
            errors,
            attrs,
            gen_attrs,
            steps: steps(r, 0)?,
        });
    }
    for _ in 0..r.count(MIN_ROOT)? {
        c.roots.push(Root {
            endpoint: r.u32()?,
            weight: r.f()?,
            shapes: r.u32()?,
        });
    }
    c.hop = dist(r)?;
    c.stagger = dist(r)?;
    Ok(c)
}

fn log_stream(r: &mut Reader<'_>) -> Result<LogStream, PackError> {
    let (name, resource, rate) = (r.u32()?, opt_u32(r)?, r.f()?);
    let (level, message, attrs) = (gen(r, 0)?, gen(r, 0)?, r.u32()?);
    let gen_attrs = gen_attrs(r)?;
    Ok(LogStream {
        name,
        resource,
        rate,
        level,
        message,
        attrs,
        gen_attrs,
        shapes: r.u32()?,
    })
}

fn span_rule(r: &mut Reader<'_>) -> Result<SpanLogRule, PackError> {
    let errors_only = match r.byte()? {
        0 => false,
        1 => true,
        b => return Err(invalid(format!("bad errors-only flag {b}"))),
    };
    let (level, message, attrs) = (gen(r, 0)?, gen(r, 0)?, r.u32()?);
    Ok(SpanLogRule {
        errors_only,
        level,
        message,
        attrs,
        gen_attrs: gen_attrs(r)?,
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
    pack.calls = calls(&mut r)?;
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
    for _ in 0..r.count(MIN_STREAM)? {
        pack.logs.streams.push(log_stream(&mut r)?);
    }
    for _ in 0..r.count(MIN_SPAN_RULE)? {
        pack.logs.span_rules.push(span_rule(&mut r)?);
    }
    r.finish()?;

    let mut r = Reader::new(evnt, "EVNT");
    for _ in 0..r.count(6)? {
        pack.events.push(EventDef {
            at_ns: r.u()?,
            kind: r.u32()?,
            resource: opt_u32(&mut r)?,
            details: r.u32()?,
            severity: r.u32()?,
            version: r.u32()?,
        });
    }
    r.finish()?;

    let mut r = Reader::new(prog, "PROG");
    pack.program = program::decode(&mut r)?;
    Ok(pack)
}
