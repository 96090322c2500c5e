//! The expected repeat count of a step: E[max(0, round(X))] of its
//! `repeat` distribution, as the runtime rounds and floors its draws,
//! summed exactly for the first terms and in closed form for the tail
//! (the normal's tail through `erfc`).

use tsim_pack::Dist;
/// How many terms of the survival sum [`expected_count`] adds up before
/// it takes the rest from the distribution's tail in closed form.
const SUM_TERMS: u32 = 10_000;

/// The expected repeat count of a draw from `d`: E[max(0, round(X))], as
/// the runtime rounds (half away from zero) and floors at 0. That is
/// `sum over k >= 1 of P(X >= k - 1/2)`; the first [`SUM_TERMS`] terms are
/// added exactly and the rest is E[max(0, X - SUM_TERMS)] (the same sum's
/// integral, which is all but exact that far from 0). Deterministic;
/// infinite for a Pareto without a finite mean. Where it matters: a normal
/// with a large `sd` relative to its `mean` draws many counts that round
/// to 0, so its expected count is well above `max(0, mean)`.
pub fn expected_count(d: &Dist) -> f64 {
    let count = |v: f64| {
        let r = v.round();
        if r > 0.0 {
            r
        } else {
            0.0
        }
    };
    let e = match *d {
        Dist::Constant(v) => count(v),
        Dist::Pick(ref entries) => {
            let total: f64 = entries.iter().map(|(_, w)| w).sum();
            if total > 0.0 {
                entries.iter().map(|(v, w)| count(*v) * w).sum::<f64>() / total
            } else {
                0.0
            }
        }
        // In halves: `max - min` of a range such as -1e308..1e308 would
        // overflow to infinity and make every probability 0.
        Dist::Uniform { min, max } if max > min => {
            let (lo, hi) = (min / 2.0, max / 2.0);
            let half_width = hi - lo;
            survival_sum(
                |t| ((hi - t / 2.0) / half_width).clamp(0.0, 1.0),
                |c| {
                    if c >= max {
                        0.0
                    } else if c <= min {
                        (lo + hi) - c
                    } else {
                        (hi - c / 2.0) * (hi - c / 2.0) / half_width
                    }
                },
            )
        }
        Dist::Uniform { min, .. } => count(min),
        Dist::Normal { mean, sd } if sd != 0.0 && sd.is_finite() => {
            let sd = sd.abs();
            survival_sum(
                |t| upper_tail((t - mean) / sd),
                |c| {
                    let z = (mean - c) / sd;
                    sd * density(z) + (mean - c) * (1.0 - upper_tail(z))
                },
            )
        }
        Dist::Normal { mean, .. } => count(mean),
        Dist::LogNormal { mu, sigma } if sigma != 0.0 && sigma.is_finite() => {
            let sigma = sigma.abs();
            let mean = (mu + sigma * sigma / 2.0).exp();
            survival_sum(
                |t| upper_tail((t.ln() - mu) / sigma),
                |c| {
                    let z = (c.ln() - mu) / sigma;
                    mean * upper_tail(z - sigma) - c * upper_tail(z)
                },
            )
        }
        Dist::LogNormal { mu, .. } => count(mu.exp()),
        Dist::Exponential { mean } if mean > 0.0 => {
            // P(X >= k - 1/2) is geometric in k.
            let q = (-1.0 / mean).exp();
            if q < 1.0 {
                (-0.5 / mean).exp() / (1.0 - q)
            } else {
                mean
            }
        }
        Dist::Exponential { .. } => 0.0,
        Dist::Pareto { shape, .. } if shape <= 1.0 => f64::INFINITY,
        Dist::Pareto { scale, shape } => survival_sum(
            |t| {
                if t <= scale {
                    1.0
                } else {
                    (scale / t).powf(shape)
                }
            },
            |c| {
                if c <= scale {
                    scale * shape / (shape - 1.0) - c
                } else {
                    scale.powf(shape) * c.powf(1.0 - shape) / (shape - 1.0)
                }
            },
        ),
    };
    if e > 0.0 {
        e
    } else {
        0.0
    }
}

/// `sum for k in 1..=SUM_TERMS of survival(k - 1/2)`, plus `tail(SUM_TERMS)`
/// (E[max(0, X - c)] at c = `SUM_TERMS`). Stops early once the survival
/// is negligible.
fn survival_sum(survival: impl Fn(f64) -> f64, tail: impl Fn(f64) -> f64) -> f64 {
    let mut total = 0.0;
    for k in 1..=SUM_TERMS {
        let p = survival(f64::from(k) - 0.5);
        if p.is_nan() || p <= 1e-15 {
            return total;
        }
        total += p;
    }
    total + tail(f64::from(SUM_TERMS)).max(0.0)
}

/// The standard normal density.
fn density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// P(Z >= z) for a standard normal Z.
fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit,
/// relative error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn a_range_as_wide_as_floats_go_is_not_expected_to_be_empty() {
        let d = Dist::Uniform {
            min: -1e308,
            max: 1e308,
        };
        assert!(expected_count(&d) > 1e300);
        let small = Dist::Uniform { min: 0.0, max: 4.0 };
        // E[max(0, round(X))] for X uniform on 0..4 is 2.
        assert!((expected_count(&small) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn expected_counts_of_exact_distributions() {
        assert_eq!(expected_count(&Dist::Constant(3.0)), 3.0);
        assert_eq!(expected_count(&Dist::Constant(2.5)), 3.0);
        assert_eq!(expected_count(&Dist::Constant(0.4)), 0.0);
        assert_eq!(expected_count(&Dist::Constant(-2.0)), 0.0);
        assert_eq!(
            expected_count(&Dist::Pick(vec![(1.0, 3.0), (5.0, 1.0)])),
            2.0
        );
        assert_eq!(
            expected_count(&Dist::Pick(vec![(-4.0, 1.0), (4.0, 1.0)])),
            2.0
        );
        let u = expected_count(&Dist::Uniform { min: 1.0, max: 5.0 });
        assert!(close(u, 3.0, 1e-12), "{u}");
        // Rounding 0..1 gives 0 below 0.5 and 1 above: half a repeat.
        let u = expected_count(&Dist::Uniform { min: 0.0, max: 1.0 });
        assert!(close(u, 0.5, 1e-12), "{u}");
        let u = expected_count(&Dist::Uniform {
            min: -10.0,
            max: 10.0,
        });
        // Counts 1..=9 with width 1 and 10 with width 0.5, over 20.
        assert!(close(u, (45.0 + 5.0) / 20.0, 1e-12), "{u}");
        let ln = expected_count(&Dist::LogNormal {
            mu: 0.0,
            sigma: 0.0,
        });
        assert_eq!(ln, 1.0);
    }

    #[test]
    fn a_wide_normal_counts_its_positive_part() {
        // max(0, mean) would say 1; most of the mass rounds to 0 or to far
        // more than 1. E[max(0, X)] = sd * phi(0.1) + mean * Phi(0.1).
        let e = expected_count(&Dist::Normal {
            mean: 1.0,
            sd: 10.0,
        });
        assert!(close(e, 10.0 * 0.396_952_547 + 0.539_827_837, 1e-3), "{e}");
        let negative = expected_count(&Dist::Normal {
            mean: -2.0,
            sd: 1.0,
        });
        assert!(negative > 0.0 && negative < 0.05, "{negative}");
        // A narrow normal is its mean.
        let narrow = expected_count(&Dist::Normal {
            mean: 15.0,
            sd: 0.5,
        });
        assert!(close(narrow, 15.0, 1e-6), "{narrow}");
        // Beyond the exact terms, the tail is added in closed form.
        let far = expected_count(&Dist::Normal {
            mean: 1e6,
            sd: 10.0,
        });
        assert!(close(far, 1e6, 1e-9), "{far}");
    }

    #[test]
    fn heavy_tails_and_exponentials() {
        let pareto = expected_count(&Dist::Pareto {
            scale: 1.0,
            shape: 2.0,
        });
        assert!(pareto > 1.9 && pareto < 2.1, "{pareto}");
        let heavy = Dist::Pareto {
            scale: 1.0,
            shape: 1.0,
        };
        assert!(expected_count(&heavy).is_infinite());
        let exp = expected_count(&Dist::Exponential { mean: 3.0 });
        assert!(close(exp, 3.0, 0.01), "{exp}");
        let ln = expected_count(&Dist::LogNormal {
            mu: 0.0,
            sigma: 1.0,
        });
        assert!(close(ln, 1f64.exp().sqrt(), 0.02), "{ln}");
    }

    #[test]
    fn expected_counts_are_deterministic() {
        let d = Dist::Normal { mean: 3.0, sd: 7.0 };
        let first = expected_count(&d).to_bits();
        for _ in 0..10 {
            assert_eq!(expected_count(&d).to_bits(), first);
        }
    }
}
