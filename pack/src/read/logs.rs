//! Decoding the LOGS section: the standalone streams, then the
//! span-derived rules, their levels, messages and attributes as generators.

use super::calls::{gen, gen_attrs, MIN_GEN};
use super::{invalid, opt_u32};
use crate::error::PackError;
use crate::types::*;
use crate::wire::Reader;

/// A stream: name, resource, rate, level, message, attribute set, generated
/// attribute count, shapes, body flag.
const MIN_STREAM: usize = 1 + 1 + 8 + MIN_GEN + MIN_GEN + 1 + 1 + 1 + 1;
/// A rule: flag, level, message, attribute set, generated attribute count,
/// body flag.
const MIN_SPAN_RULE: usize = 1 + MIN_GEN + MIN_GEN + 1 + 1 + 1;

/// The LOGS section: a count of streams and the streams, then a count of
/// rules and the rules.
pub(super) fn logs(r: &mut Reader<'_>) -> Result<Logs, PackError> {
    let mut logs = Logs::default();
    for _ in 0..r.count(MIN_STREAM)? {
        logs.streams.push(log_stream(r)?);
    }
    for _ in 0..r.count(MIN_SPAN_RULE)? {
        logs.span_rules.push(span_rule(r)?);
    }
    Ok(logs)
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
        body: body(r)?,
    })
}

/// A flag, then the body's attribute set and generated fields.
fn body(r: &mut Reader<'_>) -> Result<Option<LogBody>, PackError> {
    match r.byte()? {
        0 => Ok(None),
        1 => Ok(Some(LogBody {
            attrs: r.u32()?,
            gen_attrs: gen_attrs(r)?,
        })),
        b => Err(invalid(format!("bad log body flag {b}"))),
    }
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
        body: body(r)?,
    })
}
