//! How big a trace is expected to be: the spans of a root endpoint's own
//! span, plus, for every step, its chance times its expected repeat count
//! times its attempts times the spans it makes (a call: client and server
//! span and what the callee does; a query: one span; a publish: one span
//! and every consumer's trace). Every retry is counted as if it happened
//! (`retries 2` is 3 attempts), so the estimate is a bound on what retries
//! can add. A repeat count is the runtime's: a draw rounded to the nearest
//! whole number, never below 0.

use tsim_pack::{EndpointProgram, Step, StepOptions};

use super::repeat_count::expected_count;

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
            Step::Internal { program, options } => {
                Some(times(options, 1.0 + self.steps(&program.steps)?))
            }
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

/// One endpoint along the heaviest path of a trace: what makes it big.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    /// The endpoint's program index.
    pub endpoint: u32,
    /// Expected spans of a trace rooted here (its own span included).
    pub spans: f64,
    /// How many call and publish steps it has (its fan-out).
    pub fan_out: usize,
    /// Whether the step taken next repeats or retries (runs more than
    /// once on average).
    pub repeats: bool,
}

impl Sizes<'_> {
    /// The path from endpoint `i` that holds the most spans, following at
    /// each endpoint the call (or publish) step that adds the most; shows
    /// what multiplies a trace's size. Ends at an endpoint that calls
    /// nothing (at most as many hops as there are endpoints).
    pub fn heaviest_path(&mut self, i: u32) -> Vec<Hop> {
        let mut out = Vec::new();
        let mut at = Some(i);
        while let Some(idx) = at.take() {
            if out.len() > self.programs.len() {
                break;
            }
            let Some(spans) = self.trace(idx) else {
                break;
            };
            let programs = self.programs;
            let Some(program) = programs.get(idx as usize) else {
                break;
            };
            let mut fan_out = 0;
            let mut best: Option<(f64, u32, bool)> = None;
            let mut todo: Vec<&[Step]> = vec![&program.steps];
            while let Some(list) = todo.pop() {
                for step in list {
                    let (targets, options): (Vec<u32>, &StepOptions) = match step {
                        Step::Parallel(inner) => {
                            todo.push(inner);
                            continue;
                        }
                        Step::Internal { program, .. } => {
                            todo.push(&program.steps);
                            continue;
                        }
                        Step::Call {
                            endpoint, options, ..
                        } => (vec![*endpoint], options),
                        Step::Publish {
                            consumers, options, ..
                        } => (consumers.clone(), options),
                        Step::Query { .. } => continue,
                    };
                    fan_out += 1;
                    let runs = times(options, 1.0);
                    for t in targets {
                        let weight = runs * self.trace(t).unwrap_or(0.0);
                        if best.is_none_or(|b| weight > b.0) {
                            best = Some((weight, t, runs > 1.0));
                        }
                    }
                }
            }
            out.push(Hop {
                endpoint: idx,
                spans,
                fan_out,
                repeats: best.is_some_and(|b| b.2),
            });
            at = best.map(|b| b.1);
        }
        out
    }
}

/// The expected spans of a step that makes `spans` spans per attempt.
fn times(o: &StepOptions, spans: f64) -> f64 {
    let attempts = 1.0 + f64::from(o.retries);
    let runs = o.chance * expected_count(&o.repeat) * attempts;
    if runs > 0.0 {
        runs * spans
    } else {
        0.0
    }
}
