//! Decoding the CALL section: endpoints and their protocols, steps (with
//! bounded `parallel` nesting), step options, backend calls, error models,
//! roots, the hop and stagger; and the distributions, pattern parts and
//! generators (with bounded `maybe` nesting) it shares with LOGS.

use super::{attr_value, invalid};
use crate::calls::*;
use crate::error::PackError;
use crate::types::*;
use crate::wire::Reader;

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
pub(super) const MIN_GEN: usize = 2;
const MIN_ERRORS: usize = 8 + 1 + 1;
const MIN_STEP: usize = 2;
const MIN_ENDPOINT: usize = 1 + 1 + 1 + MIN_DIST + MIN_ERRORS + 1 + 1 + 1 + 1 + 1;
/// The fewest bytes of an event or a link: id, chance, set, count.
const MIN_EXTRA: usize = 1 + 8 + 1 + 1;
const MIN_ROOT: usize = 1 + 8 + 1;

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

pub(super) fn gen(r: &mut Reader<'_>, depth: usize) -> Result<Gen, PackError> {
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

pub(super) fn gen_attrs(r: &mut Reader<'_>) -> Result<Vec<GenAttr>, PackError> {
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
                4 => {
                    if depth >= MAX_STEP_DEPTH {
                        return Err(invalid(format!(
                            "steps nested deeper than {MAX_STEP_DEPTH} `parallel` blocks \
                             and `internal` steps"
                        )));
                    }
                    Step::Internal {
                        program: Box::new(program(r, depth + 1)?),
                        options: step_options(r)?,
                    }
                }
                b => return Err(invalid(format!("unknown step {b}"))),
            })
        })
        .collect()
}

/// One endpoint's (or `internal` step's) program; `depth` as in [`steps`].
fn program(r: &mut Reader<'_>, depth: usize) -> Result<EndpointProgram, PackError> {
    let (resource, name) = (r.u32()?, r.u32()?);
    let protocol = match r.byte()? {
        0 => Protocol::Http {
            method: r.u32()?,
            route: r.u32()?,
        },
        1 => Protocol::Rpc,
        2 => Protocol::Consumer,
        3 => Protocol::Internal,
        b => return Err(invalid(format!("unknown protocol {b}"))),
    };
    let (latency, errors, attrs) = (dist(r)?, error_model(r)?, r.u32()?);
    let gen_attrs = gen_attrs(r)?;
    let steps = steps(r, depth)?;
    let events = (0..r.count(MIN_EXTRA)?)
        .map(|_| {
            Ok(EventDecl {
                name: r.u32()?,
                chance: r.f()?,
                attrs: r.u32()?,
                gen_attrs: self::gen_attrs(r)?,
            })
        })
        .collect::<Result<_, PackError>>()?;
    let links = (0..r.count(MIN_EXTRA)?)
        .map(|_| {
            Ok(LinkDecl {
                endpoint: r.u32()?,
                chance: r.f()?,
                attrs: r.u32()?,
                gen_attrs: self::gen_attrs(r)?,
            })
        })
        .collect::<Result<_, PackError>>()?;
    Ok(EndpointProgram {
        resource,
        name,
        protocol,
        latency,
        errors,
        attrs,
        gen_attrs,
        steps,
        events,
        links,
    })
}

pub(super) fn calls(r: &mut Reader<'_>) -> Result<Calls, PackError> {
    let mut c = Calls::default();
    for _ in 0..r.count(MIN_ENDPOINT)? {
        c.endpoints.push(program(r, 0)?);
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
