//! How often to ask CloudFormation while waiting: the first check at once, then short
//! intervals that back off to a cap, with jitter so parallel stacks do not poll in lockstep.

use std::time::Duration;

/// The waiting policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// The interval after the first check.
    pub initial: Duration,
    /// Each quiet tick multiplies the interval by this.
    pub factor: f64,
    /// The longest interval.
    pub max: Duration,
    /// Jitter as a fraction of the interval, e.g. 0.2 for ±20 %.
    pub jitter: f64,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_millis(1000),
            factor: 1.5,
            max: Duration::from_secs(10),
            jitter: 0.2,
        }
    }
}

impl PollPolicy {
    /// The interval before the next check, given the current one and whether the last check
    /// brought news (activity keeps the interval short). `random` is uniform in [0, 1).
    pub fn next(
        &self,
        current: Option<Duration>,
        had_news: bool,
        random: f64,
    ) -> (Duration, Duration) {
        let base = match current {
            None => self.initial,
            Some(_) if had_news => self.initial,
            Some(interval) => interval.mul_f64(self.factor).min(self.max),
        };
        let spread = (random * 2.0 - 1.0) * self.jitter;
        let jittered = base.mul_f64((1.0 + spread).max(0.0));
        (base, jittered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_while_quiet_up_to_the_cap() {
        let policy = PollPolicy::default();
        let mut current = None;
        let mut bases = Vec::new();
        for _ in 0..10 {
            let (base, _) = policy.next(current, false, 0.5);
            bases.push(base);
            current = Some(base);
        }
        assert_eq!(bases[0], Duration::from_millis(1000));
        assert_eq!(bases[1], Duration::from_millis(1500));
        assert!(bases.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(*bases.last().unwrap(), Duration::from_secs(10));
    }

    #[test]
    fn news_resets_to_the_short_interval() {
        let policy = PollPolicy::default();
        let (base, _) = policy.next(Some(Duration::from_secs(10)), true, 0.5);
        assert_eq!(base, policy.initial);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let policy = PollPolicy::default();
        let (_, low) = policy.next(None, false, 0.0);
        let (_, high) = policy.next(None, false, 0.999_999);
        assert_eq!(low, Duration::from_millis(800));
        assert!(high < Duration::from_millis(1200) && high > Duration::from_millis(1199));
    }
}
