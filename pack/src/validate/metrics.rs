//! SERI- and METR-section checks: series keys and rows (each as wide as
//! the keys), series weights (none, or one per row summing to 1), and each
//! metric's strings, series set, span source and `within` bounds.

use super::Ctx;
use crate::error::PackError;
use crate::types::*;

/// How far the weights of a series set may sum from 1.
const SERIES_WEIGHT_TOLERANCE: f64 = 1e-9;

impl Ctx<'_> {
    /// A series set's weights: none (equal shares), or one per row, each
    /// finite and >= 0, summing to 1.
    fn series_weights(&self, i: usize, s: &SeriesSet) -> Result<(), PackError> {
        if s.weights.is_empty() {
            return Ok(());
        }
        let at = format!("series set {i}");
        if s.weights.len() != s.rows.len() {
            return Err(self.bad(format!(
                "{at} has {} weights for {} rows (want 0 or {})",
                s.weights.len(),
                s.rows.len(),
                s.rows.len()
            )));
        }
        let mut sum = 0.0;
        for &w in &s.weights {
            self.nonneg(w, "weight", &at)?;
            sum += w;
        }
        if (sum - 1.0).abs() <= SERIES_WEIGHT_TOLERANCE {
            Ok(())
        } else {
            Err(self.bad(format!("{at}: the weights sum to {sum}, not 1")))
        }
    }

    pub(super) fn series_sets(&self) -> Result<(), PackError> {
        for (i, s) in self.pack.series_sets.iter().enumerate() {
            for k in &s.keys {
                self.s(*k, "a series set")?;
            }
            for row in &s.rows {
                if row.len() != s.keys.len() {
                    return Err(self.bad("a series row has the wrong width".into()));
                }
                for v in row {
                    self.value(v, "a series set")?;
                }
            }
            self.series_weights(i, s)?;
        }
        Ok(())
    }

    pub(super) fn metrics(&self) -> Result<(), PackError> {
        for (i, m) in self.pack.metrics.iter().enumerate() {
            self.s(m.name, "a metric")?;
            self.s(m.unit, "a metric")?;
            self.s(m.description, "a metric")?;
            if m.series_set as usize >= self.pack.series_sets.len() {
                return Err(self.bad(format!(
                    "series set {} out of range in a metric",
                    m.series_set
                )));
            }
            if let MetricSource::Spans { of } = m.source {
                self.opt_res(of, "a metric")?;
            }
            // A histogram's observations are drawn one by one: as the
            // compiler limits them (1e7 per series and tick).
            let per_tick = m.rate * self.pack.meta.tick_ns as f64 / 1e9;
            if !(m.rate.is_finite() && m.rate >= 0.0 && per_tick <= 1e7) {
                return Err(self.bad(format!(
                    "metric {i}: observation rate {}/s is negative, not finite or over 1e7 per tick",
                    m.rate
                )));
            }
            if let Some((lo, hi)) = m.within {
                if !lo.is_finite() || !hi.is_finite() {
                    return Err(self.bad(format!(
                        "metric {i}: within bounds {lo}..{hi} are not finite"
                    )));
                }
                if lo > hi {
                    return Err(self.bad(format!("metric {i}: within {lo}..{hi} has min > max")));
                }
            }
        }
        Ok(())
    }
}
