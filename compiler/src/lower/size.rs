//! How big a trace is expected to be: the spans of a root endpoint's own
//! span, plus, for every step, its chance times its mean repeat count times
//! the spans it makes (a call: client and server span and what the callee
//! does; a query: one span; a publish: one span and every consumer's
//! trace). Retries are not counted.

use tsim_pack::{Dist, EndpointProgram, Step, StepOptions};

/// Where the memoised walk is for one endpoint.
#[derive(Clone, Copy)]
enum State {
    /// Not visited yet.
    Todo,
    /// Being visited: reaching it again means a cycle.
    Active,
    /// Expected spans below the endpoint's own span.
    Done(f64),
}

/// Expected trace sizes over a set of endpoint programs.
pub struct Sizes<'p> {
    programs: &'p [EndpointProgram],
    memo: Vec<State>,
}

impl<'p> Sizes<'p> {
    /// Sizes over `programs` (indices in steps refer into it).
    pub fn new(programs: &'p [EndpointProgram]) -> Self {
        Sizes {
            programs,
            memo: vec![State::Todo; programs.len()],
        }
    }

    /// Expected spans of a trace rooted at endpoint `i`, its own span
    /// included; `None` when its calls form a cycle or name no endpoint.
    pub fn trace(&mut self, i: u32) -> Option<f64> {
        Some(1.0 + self.below(i)?)
    }

    fn below(&mut self, i: u32) -> Option<f64> {
        let idx = usize::try_from(i).ok()?;
        match *self.memo.get(idx)? {
            State::Done(n) => return Some(n),
            State::Active => return None,
            State::Todo => {}
        }
        self.memo[idx] = State::Active;
        let programs = self.programs;
        let n = self.steps(&programs.get(idx)?.steps)?;
        self.memo[idx] = State::Done(n);
        Some(n)
    }

    fn steps(&mut self, steps: &[Step]) -> Option<f64> {
        let mut total = 0.0;
        for s in steps {
            total += self.step(s)?;
        }
        Some(total)
    }

    fn step(&mut self, step: &Step) -> Option<f64> {
        match step {
            Step::Parallel(inner) => self.steps(inner),
            Step::Call {
                endpoint, options, ..
            } => Some(times(options, 2.0 + self.below(*endpoint)?)),
            Step::Query { options, .. } => Some(times(options, 1.0)),
            Step::Publish {
                consumers, options, ..
            } => {
                let mut spans = 1.0;
                for c in consumers {
                    spans += 1.0 + self.below(*c)?;
                }
                Some(times(options, spans))
            }
        }
    }
}

/// The expected spans of a step that makes `spans` spans each time.
fn times(o: &StepOptions, spans: f64) -> f64 {
    let runs = o.chance * mean(&o.repeat);
    if runs > 0.0 {
        runs * spans
    } else {
        0.0
    }
}

/// The mean of a distribution, never below 0 (a count below 0 is 0);
/// infinite for a Pareto without a finite mean.
pub fn mean(d: &Dist) -> f64 {
    let m = match d {
        Dist::Constant(v) => *v,
        Dist::Uniform { min, max } => (min + max) / 2.0,
        Dist::Normal { mean, .. } => *mean,
        Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        Dist::Exponential { mean } => *mean,
        Dist::Pareto { scale, shape } if *shape > 1.0 => scale * shape / (shape - 1.0),
        Dist::Pareto { .. } => f64::INFINITY,
        Dist::Pick(entries) => {
            let total: f64 = entries.iter().map(|(_, w)| w).sum();
            if total > 0.0 {
                entries.iter().map(|(v, w)| v * w).sum::<f64>() / total
            } else {
                0.0
            }
        }
    };
    if m > 0.0 {
        m
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_of_distributions() {
        assert_eq!(mean(&Dist::Constant(3.0)), 3.0);
        assert_eq!(mean(&Dist::Uniform { min: 1.0, max: 5.0 }), 3.0);
        assert_eq!(
            mean(&Dist::Normal {
                mean: -2.0,
                sd: 1.0
            }),
            0.0
        );
        assert_eq!(mean(&Dist::Pick(vec![(1.0, 3.0), (5.0, 1.0)])), 2.0);
        let pareto = Dist::Pareto {
            scale: 1.0,
            shape: 2.0,
        };
        assert_eq!(mean(&pareto), 2.0);
        let heavy = Dist::Pareto {
            scale: 1.0,
            shape: 1.0,
        };
        assert!(mean(&heavy).is_infinite());
        let ln = mean(&Dist::LogNormal {
            mu: 0.0,
            sigma: 0.0,
        });
        assert!((ln - 1.0).abs() < 1e-12);
    }
}
