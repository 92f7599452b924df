//! How often to ask CloudFormation while waiting: the first check at once, then short
//! intervals that back off to a cap, with jitter so parallel stacks do not poll in lockstep.
//! No interval is longer than a tenth of the wait so far: the end of an operation is seen
//! within ~10 % of its duration (a 30 s create is not followed by 10 s of polling slack),
//! while a long one still costs few calls.

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
    /// The longest interval as a fraction of the time waited so far (never under `initial`).
    pub slack: f64,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_millis(1000),
            factor: 1.5,
            max: Duration::from_secs(10),
            jitter: 0.2,
            slack: 0.1,
        }
    }
}

impl PollPolicy {
    /// The interval before the next check, given the current one, whether the last check
    /// brought news (activity keeps the interval short) and how long the wait has lasted.
    /// `random` is uniform in [0, 1).
    pub fn next(
        &self,
        current: Option<Duration>,
        had_news: bool,
        waited: Duration,
        random: f64,
    ) -> (Duration, Duration) {
        let ceiling = waited.mul_f64(self.slack).clamp(self.initial, self.max);
        let base = match current {
            None => self.initial,
            Some(_) if had_news => self.initial,
            Some(interval) => interval.mul_f64(self.factor).min(ceiling),
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
            let (base, _) = policy.next(current, false, Duration::from_secs(600), 0.5);
            bases.push(base);
            current = Some(base);
        }
        assert_eq!(bases[0], Duration::from_millis(1000));
        assert_eq!(bases[1], Duration::from_millis(1500));
        assert!(bases.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(*bases.last().unwrap(), Duration::from_secs(10));
    }

    #[test]
    fn no_interval_is_longer_than_a_tenth_of_the_wait_so_far() {
        let policy = PollPolicy::default();
        let quiet = |waited| {
            policy
                .next(Some(Duration::from_secs(8)), false, waited, 0.5)
                .0
        };
        assert_eq!(
            quiet(Duration::from_secs(5)),
            policy.initial,
            "never under the first"
        );
        assert_eq!(quiet(Duration::from_secs(30)), Duration::from_secs(3));
        assert_eq!(
            quiet(Duration::from_secs(600)),
            policy.max,
            "never over the cap"
        );
    }

    #[test]
    fn news_resets_to_the_short_interval() {
        let policy = PollPolicy::default();
        let (base, _) = policy.next(Some(Duration::from_secs(10)), true, Duration::ZERO, 0.5);
        assert_eq!(base, policy.initial);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let policy = PollPolicy::default();
        let (_, low) = policy.next(None, false, Duration::ZERO, 0.0);
        let (_, high) = policy.next(None, false, Duration::ZERO, 0.999_999);
        assert_eq!(low, Duration::from_millis(800));
        assert!(high < Duration::from_millis(1200) && high > Duration::from_millis(1199));
    }
}
