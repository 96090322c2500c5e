//! Process-driven metrics: one state per series, advanced every tick.
//!
//! - Brownian: `v += drift*dt + N(0, volatility*sqrt(dt))`, clamped to `within`;
//! - mean-reverting: `v += speed*(mean - v)*dt + N(0, volatility*sqrt(dt))`;
//! - constant: `value + N(0, noise)`;
//! - Poisson: arrivals in the tick at an intensity that is itself a process
//!   (scaled by the traffic curve).
//!
//! Gauges report the value; counters treat the value as the metric's rate
//! per second (bounded by `within`), shared by its series by their label
//! weights, and add `rate * share * dt` scaled by the traffic curve (or the
//! arrivals of a Poisson rate, shared the same way), so they never
//! decrease; histograms observe the value `rate` times per second
//! (jittered by up to 10%) into cumulative buckets. Anomalies multiply what
//! is reported (or added) and shift it, in one place, before a gauge is
//! held to its bounds.
//!
//! A per-instance series has a row per instance slot a service ever has;
//! the rows of the instances running now share the service's volume
//! between them, and a replaced instance's series starts again from the
//! process's start (a new process).

use rand::RngExt;
use rand_distr::{Distribution, Normal, Poisson};
use rand_pcg::Pcg64;
use tsim_pack::{MetricKind, MetricSource, Pack, Process};

use super::fleet::Renewed;
use super::series::{row_labels, Emit, Series};
use crate::sink::{HistogramPoint, Point};

/// State of one series.
#[derive(Clone, Debug)]
struct State {
    value: f64,
    intensity: f64,
    total: f64,
    sum: f64,
    count: u64,
    min: f64,
    max: f64,
    buckets: Vec<u64>,
}

/// One process-driven metric.
pub struct Driven<'p> {
    /// Index in the pack's metrics.
    pub metric: usize,
    states: Vec<State>,
    /// Each series' share of the metric's volume (its label weight).
    shares: Vec<f64>,
    /// Series labels.
    pub series: Vec<Series<'p>>,
    /// Per series: the instance slots of its resource (per-instance rows).
    slots: Vec<u32>,
    /// Where it starts.
    fresh: State,
}

/// All process-driven metrics.
pub struct Processes<'p> {
    /// The metrics.
    pub metrics: Vec<Driven<'p>>,
}

fn initial(p: &Process) -> f64 {
    match p {
        Process::Constant { value, .. } => *value,
        Process::Brownian { start, .. } | Process::MeanRevert { start, .. } => *start,
        Process::Poisson { rate } => initial(rate),
    }
}

fn gauss(rng: &mut Pcg64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return 0.0;
    }
    Normal::new(0.0, sd).map_or(0.0, |n| n.sample(rng))
}

/// Advances a level process by `dt` seconds.
pub fn step(rng: &mut Pcg64, p: &Process, v: f64, dt: f64) -> f64 {
    match p {
        Process::Constant { value, noise } => value + gauss(rng, *noise),
        Process::Brownian {
            drift, volatility, ..
        } => v + drift * dt + gauss(rng, volatility * dt.sqrt()),
        Process::MeanRevert {
            mean,
            speed,
            volatility,
            ..
        } => v + speed * (mean - v) * dt + gauss(rng, volatility * dt.sqrt()),
        Process::Poisson { rate } => step(rng, rate, v, dt),
    }
}

fn poisson(rng: &mut Pcg64, lambda: f64) -> f64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0.0;
    }
    Poisson::new(lambda).map_or(0.0, |d| d.sample(rng))
}

impl<'p> Processes<'p> {
    /// Sets up every process-driven metric.
    pub fn new(pack: &'p Pack, scenario: &'p str, shard: super::Shard) -> Processes<'p> {
        let mut metrics = Vec::new();
        let instances = tsim_pack::InstanceIndex::new(pack);
        for (mi, m) in pack.metrics.iter().enumerate() {
            let MetricSource::Process(p) = &m.source else {
                continue;
            };
            let Some(set) = pack.series_sets.get(m.series_set as usize) else {
                continue;
            };
            let v = initial(p);
            let state = State {
                value: v,
                intensity: v,
                total: 0.0,
                sum: 0.0,
                count: 0,
                min: f64::NAN,
                max: f64::NAN,
                buckets: vec![0; m.buckets.len() + 1],
            };
            let series = row_labels(pack, m, set, (scenario, &instances), shard);
            let slots = series
                .iter()
                .map(|s| s.instance.map_or(1, |(r, _)| tsim_pack::slots(pack, r)))
                .collect();
            metrics.push(Driven {
                metric: mi,
                states: vec![state.clone(); set.rows.len()],
                fresh: state,
                slots,
                shares: if set.weights.len() == set.rows.len() {
                    set.weights.clone()
                } else {
                    vec![1.0 / set.rows.len().max(1) as f64; set.rows.len()]
                },
                series,
            });
        }
        Processes { metrics }
    }

    /// Starts the series of renewed instances again.
    pub fn renew(&mut self, renewed: &Renewed) {
        if renewed.is_empty() {
            return;
        }
        for d in &mut self.metrics {
            for (st, s) in d.states.iter_mut().zip(&d.series) {
                if s.instance
                    .is_some_and(|i| renewed.binary_search(&i).is_ok())
                {
                    *st = d.fresh.clone();
                }
            }
        }
    }

    /// Advances every series by `dt` seconds and emits through
    /// `emit(metric, series, suffix, le, value)`. `anomaly(metric)` gives
    /// (factor, relative shift); `level` is the traffic curve now;
    /// `running` each resource's instance count now.
    #[allow(clippy::too_many_arguments)]
    pub fn tick(
        &mut self,
        pack: &Pack,
        rng: &mut Pcg64,
        (dt, level): (f64, f64),
        running: &[u32],
        anomaly: &dyn Fn(u32) -> (f64, f64),
        emit: &mut Emit<'_, 'p>,
    ) {
        for d in &mut self.metrics {
            let m = &pack.metrics[d.metric];
            let MetricSource::Process(p) = &m.source else {
                continue;
            };
            let (factor, shift) = anomaly(m.name);
            let clamp = |x: f64| m.within.map_or(x, |(lo, hi)| x.clamp(lo, hi));
            let rows = d.states.iter_mut().zip(&d.series).zip(&d.shares);
            for (((st, series), &share), &slots) in rows.zip(&d.slots) {
                // The running instances take their service's whole share.
                let share = match series.instance {
                    Some((r, _)) => {
                        let n = running
                            .get(r as usize)
                            .copied()
                            .unwrap_or(1)
                            .clamp(1, slots);
                        share * f64::from(slots) / f64::from(n)
                    }
                    None => share,
                };
                let (moved, arrivals) = match p {
                    Process::Poisson { rate } => {
                        st.intensity = step(rng, rate, st.intensity, dt).max(0.0);
                        let n = poisson(rng, st.intensity * share * dt * level * factor);
                        (n, Some(n))
                    }
                    _ => {
                        st.value = clamp(step(rng, p, st.value, dt));
                        (st.value, None)
                    }
                };
                match m.kind {
                    MetricKind::Gauge | MetricKind::UpDown => {
                        let shown = match arrivals {
                            // Counted events (restarts) add up in an
                            // up-down counter; a gauge shows the tick's.
                            Some(n) if m.kind == MetricKind::UpDown => {
                                st.total += n;
                                st.total
                            }
                            Some(n) => n,
                            None => clamp(moved * factor * (1.0 + shift)),
                        };
                        // An up-down counter is a non-monotonic cumulative
                        // sum of its current level.
                        let point = if m.kind == MetricKind::UpDown {
                            Point::Sum {
                                value: shown,
                                monotonic: false,
                            }
                        } else {
                            Point::Gauge(shown)
                        };
                        emit(d.metric, series, point);
                    }
                    MetricKind::Counter => {
                        let inc = match arrivals {
                            Some(n) => n,
                            None => (moved.max(0.0) * share * dt * level * factor).max(0.0),
                        };
                        st.total += inc * (1.0 + shift).max(0.0);
                        emit(
                            d.metric,
                            series,
                            Point::Sum {
                                value: st.total,
                                monotonic: true,
                            },
                        );
                    }
                    MetricKind::Histogram => {
                        let n = match arrivals {
                            Some(n) => n as u64,
                            None => poisson(rng, m.rate * dt * level) as u64,
                        };
                        let centre = match arrivals {
                            Some(_) => st.intensity,
                            None => moved,
                        };
                        for _ in 0..n {
                            let obs = clamp(
                                centre
                                    * (1.0 + rng.random_range(-0.1..=0.1))
                                    * factor
                                    * (1.0 + shift),
                            );
                            st.sum += obs;
                            st.count += 1;
                            st.min = if st.min.is_nan() {
                                obs
                            } else {
                                st.min.min(obs)
                            };
                            st.max = if st.max.is_nan() {
                                obs
                            } else {
                                st.max.max(obs)
                            };
                            let b = m
                                .buckets
                                .iter()
                                .position(|&x| obs <= x)
                                .unwrap_or(m.buckets.len());
                            if let Some(c) = st.buckets.get_mut(b) {
                                *c += 1;
                            }
                        }
                        emit(
                            d.metric,
                            series,
                            Point::Histogram(HistogramPoint {
                                bounds: &m.buckets,
                                counts: &st.buckets,
                                count: st.count,
                                sum: st.sum,
                                min: st.min,
                                max: st.max,
                                exemplars: &[],
                            }),
                        );
                    }
                }
            }
        }
    }
}
