//! How a span fails: its own declared rate (and declared status code and
//! `error.type`), a timeline fault aimed at its resource or reaching it
//! through a cascade (drawn block by block so the failure is credited to
//! the block that caused it), or a scattered, handled timeline error.

use rand::RngExt;
use rand_pcg::Pcg64;
use tsim_pack::ErrorModel;

use super::super::values::{chance, DVal, GenCtx, NoLookup};
use super::{ErrorType, KnownError, Walker};
use crate::timeline::{Cause, Fault};

/// How a span failed.
pub(super) enum Failure<'f> {
    /// Its own declared rate.
    Own,
    /// A timeline fault aimed at it (or a cascade reaching it).
    Fault(&'f Fault, Cause),
    /// A scattered timeline error, handled where it happens.
    Handled(&'f Fault, Cause),
}

fn pick_weighted<T: Copy>(rng: &mut Pcg64, items: &[(T, f64)]) -> Option<T> {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random::<f64>() * total;
    for (v, w) in items {
        if x < *w {
            return Some(*v);
        }
        x -= w;
    }
    items.last().map(|i| i.0)
}

impl<'a> Walker<'a, '_> {
    /// Decides whether a span fails: its own rate (replaced while an
    /// `errors` override is active on it or on everything), then each
    /// active block's injected share on its resource and its cascade, then
    /// scattered handled errors. Each block is drawn on its own, so a
    /// failure is credited to the block that caused it.
    pub(super) fn failure(
        &mut self,
        base: f64,
        resource: Option<&'a Fault>,
        cascade: Option<&'a Fault>,
    ) -> Option<Failure<'a>> {
        let global = &self.state.global;
        let replaced = resource.is_some_and(|f| f.errors_set) || global.errors_set;
        if !replaced && chance(self.rng, base) {
            return Some(Failure::Own);
        }
        for f in [resource, cascade].into_iter().flatten() {
            for &(cause, p) in &f.shares {
                if chance(self.rng, p) {
                    return Some(Failure::Fault(f, cause));
                }
            }
        }
        for &(cause, p) in &global.shares {
            if chance(self.rng, p) {
                return Some(Failure::Handled(global, cause));
            }
        }
        None
    }

    /// A declared failure's status (when `coded`: HTTP and gRPC
    /// endpoints; 500 unless declared) and `error.type`.
    pub(super) fn declared(
        &mut self,
        model: &ErrorModel,
        span: usize,
        coded: bool,
    ) -> (Option<u16>, Option<ErrorType>) {
        let ctx = GenCtx {
            pack: self.plan.pack,
        };
        let code = if coded {
            let drawn = model
                .status
                .as_ref()
                .and_then(|g| ctx.draw(self.rng, g, &mut self.trace.text, &NoLookup));
            Some(match drawn {
                Some(DVal::Int(c)) if (100..600).contains(&c) => c as u16,
                _ => 500,
            })
        } else {
            None
        };
        let ty = model
            .error_type
            .as_ref()
            .and_then(|g| ctx.draw(self.rng, g, &mut self.trace.text, &NoLookup))
            .map(ErrorType::Declared);
        if let (Some(s), Some(_)) = (self.trace.spans.get_mut(span), ty) {
            s.exception = true;
        }
        (code, ty)
    }

    /// A timeline fault's status (when `coded`) and `error.type`.
    pub(super) fn injected(&mut self, f: &Fault, coded: bool) -> (Option<u16>, Option<ErrorType>) {
        let code = coded.then(|| pick_weighted(self.rng, &f.codes).unwrap_or(500));
        let ty = pick_weighted(self.rng, &f.types).map(|s| ErrorType::Declared(DVal::Str(s)));
        let ty = ty.or(if f.spread {
            Some(ErrorType::Known(KnownError::CircuitBreakerOpen))
        } else {
            None
        });
        (code, ty)
    }
}
