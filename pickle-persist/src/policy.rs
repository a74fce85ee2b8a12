//! Retention and save policies.
//!
//! Retention policies ([`Keep`]) compose by union: a step survives when any
//! policy keeps it, and the newest step that verifies is always kept. With
//! no retention policy every step is kept. A save policy ([`SaveEvery`])
//! says when [`Checkpointer::save_if_due`](crate::Checkpointer::save_if_due)
//! saves.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::meta::StepInfo;

/// Which steps retention keeps. Give several to
/// [`Checkpointer::keep`](crate::Checkpointer::keep): a step is kept when
/// any of them keeps it.
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    /// The `n` newest steps.
    Last(usize),
    /// Every step that is a multiple of `n` (0 keeps none).
    EveryNth(u64),
    /// The `n` steps with the best value of a metric recorded with
    /// [`Checkpointer::metric`](crate::Checkpointer::metric); steps without
    /// the metric (or with NaN) do not compete.
    Best {
        /// The metric's name.
        metric: String,
        /// How many to keep.
        n: usize,
        /// Whether lower or higher is better.
        order: Order,
    },
}

/// Whether lower or higher values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Lower is better (a loss).
    Min,
    /// Higher is better (an accuracy).
    Max,
}

impl Keep {
    /// The `n` best steps by `metric`, lower being better.
    pub fn lowest(metric: &str, n: usize) -> Keep {
        Keep::Best { metric: metric.to_owned(), n, order: Order::Min }
    }

    /// The `n` best steps by `metric`, higher being better.
    pub fn highest(metric: &str, n: usize) -> Keep {
        Keep::Best { metric: metric.to_owned(), n, order: Order::Max }
    }

    /// Adds the steps among `steps` (oldest first) this policy keeps.
    fn select(&self, steps: &[StepInfo], kept: &mut BTreeSet<u64>) {
        match self {
            Keep::Last(n) => kept.extend(steps.iter().rev().take(*n).map(|s| s.step)),
            Keep::EveryNth(0) => {}
            Keep::EveryNth(n) => kept.extend(steps.iter().map(|s| s.step).filter(|s| s % n == 0)),
            Keep::Best { metric, n, order } => {
                let mut scored: Vec<(f64, u64)> = steps
                    .iter()
                    .filter_map(|s| s.metric(metric).filter(|v| !v.is_nan()).map(|v| (v, s.step)))
                    .collect();
                // Best first; among equal values, the newer step.
                scored.sort_by(|a, b| {
                    let by_value = match order {
                        Order::Min => a.0.total_cmp(&b.0),
                        Order::Max => b.0.total_cmp(&a.0),
                    };
                    by_value.then(b.1.cmp(&a.1))
                });
                kept.extend(scored.iter().take(*n).map(|&(_, step)| step));
            }
        }
    }
}

/// The steps of `steps` (oldest first) that `policies` keep, or `None` when
/// there are no policies (keep everything).
pub(crate) fn keep_set(policies: &[Keep], steps: &[StepInfo]) -> Option<BTreeSet<u64>> {
    if policies.is_empty() {
        return None;
    }
    let mut kept = BTreeSet::new();
    for policy in policies {
        policy.select(steps, &mut kept);
    }
    Some(kept)
}

/// When [`Checkpointer::save_if_due`](crate::Checkpointer::save_if_due)
/// saves: at most once every `steps` steps and once every `interval`,
/// whichever comes first. The first call of a Checkpointer that has no
/// checkpoint yet always saves; after a resume, the intervals count from
/// the newest committed step and from the time the Checkpointer opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaveEvery {
    /// Save when at least this many steps passed since the last save.
    pub steps: Option<u64>,
    /// Save when at least this long passed since the last save.
    pub interval: Option<Duration>,
}

impl SaveEvery {
    /// Save every `n` steps.
    pub fn steps(n: u64) -> SaveEvery {
        SaveEvery { steps: Some(n), interval: None }
    }

    /// Save every `interval`.
    pub fn interval(interval: Duration) -> SaveEvery {
        SaveEvery { steps: None, interval: Some(interval) }
    }

    /// Also save every `n` steps.
    pub fn or_steps(self, n: u64) -> SaveEvery {
        SaveEvery { steps: Some(n), ..self }
    }

    /// Also save every `interval`.
    pub fn or_interval(self, interval: Duration) -> SaveEvery {
        SaveEvery { interval: Some(interval), ..self }
    }
}

/// The last save, as the save policy counts it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LastSave {
    pub step: Option<u64>,
    pub at: Instant,
}

impl SaveEvery {
    pub(crate) fn is_due(&self, step: u64, last: &LastSave, now: Instant) -> bool {
        let Some(last_step) = last.step else { return true };
        if self.steps.is_none() && self.interval.is_none() {
            return true;
        }
        let by_steps = self.steps.is_some_and(|n| step >= last_step.saturating_add(n.max(1)));
        let by_time = self.interval.is_some_and(|d| now.duration_since(last.at) >= d);
        by_steps || by_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn steps(metrics: &[(u64, Option<f64>)]) -> Vec<StepInfo> {
        metrics
            .iter()
            .map(|&(step, loss)| {
                let mut info = StepInfo::bare(step, UNIX_EPOCH);
                info.metrics.extend(loss.map(|v| ("loss".to_owned(), v)));
                info
            })
            .collect()
    }

    #[test]
    fn policies_compose_by_union() {
        let all = steps(&[
            (10, Some(0.5)),
            (20, Some(0.2)),
            (30, None),
            (40, Some(0.2)),
            (50, Some(f64::NAN)),
            (60, Some(0.9)),
        ]);
        let kept = |p: &[Keep]| keep_set(p, &all).map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(kept(&[]), None);
        assert_eq!(kept(&[Keep::Last(2)]), Some(vec![50, 60]));
        assert_eq!(kept(&[Keep::EveryNth(20)]), Some(vec![20, 40, 60]));
        assert_eq!(kept(&[Keep::EveryNth(0)]), Some(vec![]));
        // Ties go to the newer step; NaN and missing values do not compete.
        assert_eq!(kept(&[Keep::lowest("loss", 1)]), Some(vec![40]));
        assert_eq!(kept(&[Keep::lowest("loss", 3)]), Some(vec![10, 20, 40]));
        assert_eq!(kept(&[Keep::highest("loss", 1)]), Some(vec![60]));
        assert_eq!(kept(&[Keep::lowest("accuracy", 3)]), Some(vec![]));
        assert_eq!(kept(&[Keep::Last(1), Keep::EveryNth(30), Keep::lowest("loss", 1)]), Some(vec![30, 40, 60]));
    }

    #[test]
    fn save_every_counts_steps_or_time_whichever_first() {
        let t0 = Instant::now();
        let fresh = LastSave { step: None, at: t0 };
        let at_100 = LastSave { step: Some(100), at: t0 };
        let policy = SaveEvery::steps(50).or_interval(Duration::from_secs(60));
        assert!(policy.is_due(0, &fresh, t0));
        assert!(!policy.is_due(149, &at_100, t0 + Duration::from_secs(59)));
        assert!(policy.is_due(150, &at_100, t0));
        assert!(policy.is_due(101, &at_100, t0 + Duration::from_secs(60)));
        assert!(!SaveEvery::steps(50).is_due(149, &at_100, t0 + Duration::from_secs(3600)));
        assert!(SaveEvery::default().is_due(101, &at_100, t0));
    }
}
