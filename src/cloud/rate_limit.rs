//! A shared, adaptive request rate per (account, region): every CloudFormation call rackfile makes to one
//! account and region waits its turn here, so racks planned or applied in parallel back off together when
//! AWS throttles, and a throttled account does not slow another.
//!
//! Additive increase, multiplicative decrease, as TCP does: unlimited until the first throttling answer;
//! each throttled attempt halves the rate, each successful one adds a little back, and once the rate is high
//! again the limit lifts. The SDK's own retries space out a single call (bounded exponential backoff); this
//! spaces out all calls. (The SDK's adaptive mode does the same in principle, but starts from a measured rate
//! of zero, so the first throttle of a short run made the next request wait 20 s.)

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The rate after the first throttle, in requests per second.
const RATE_AFTER_FIRST_THROTTLE: f64 = 8.0;
const MIN_RATE: f64 = 0.5;
/// Added per successful attempt.
const RECOVERY_STEP: f64 = 0.25;
/// Above this rate the limit lifts.
const UNLIMITED_ABOVE: f64 = 25.0;

#[derive(Debug, Default)]
pub struct RateLimit {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Requests per second; `None` while AWS has not throttled.
    rate: Option<f64>,
    /// The earliest time the next request may go.
    next_slot: Option<Instant>,
}

impl RateLimit {
    /// Waits until this request's turn.
    pub async fn acquire(&self) {
        let slot = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let Some(rate) = state.rate else {
                return;
            };
            let now = Instant::now();
            let slot = state.next_slot.map_or(now, |next| next.max(now));
            state.next_slot = Some(slot + Duration::from_secs_f64(1.0 / rate));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// An attempt was throttled.
    pub fn throttled(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.rate = Some(match state.rate {
            None => RATE_AFTER_FIRST_THROTTLE,
            Some(rate) => (rate / 2.0).max(MIN_RATE),
        });
    }

    /// An attempt got an answer that was not throttling.
    pub fn answered(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rate) = state.rate {
            let rate = rate + RECOVERY_STEP;
            state.rate = (rate <= UNLIMITED_ABOVE).then_some(rate);
            if state.rate.is_none() {
                state.next_slot = None;
            }
        }
    }

    /// Requests per second now; `None` when unlimited.
    pub fn rate(&self) -> Option<f64> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn time_of(limit: &RateLimit, requests: usize) -> Duration {
        let started = Instant::now();
        for _ in 0..requests {
            limit.acquire().await;
        }
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_until_throttled_then_spaced_then_halved_then_recovers() {
        let limit = RateLimit::default();
        assert_eq!(time_of(&limit, 100).await, Duration::ZERO);

        limit.throttled();
        assert_eq!(limit.rate(), Some(RATE_AFTER_FIRST_THROTTLE));
        // 9 gaps of 1/8 s between 10 requests.
        assert_eq!(time_of(&limit, 10).await, Duration::from_millis(1125));

        limit.throttled();
        limit.throttled();
        assert_eq!(limit.rate(), Some(2.0));
        let slower = time_of(&limit, 10).await;
        assert!(slower >= Duration::from_millis(4500), "{slower:?}");

        for _ in 0..200 {
            limit.answered();
        }
        assert_eq!(limit.rate(), None);
        assert_eq!(time_of(&limit, 100).await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn parallel_callers_share_the_turns() {
        let limit = std::sync::Arc::new(RateLimit::default());
        limit.throttled();
        let started = Instant::now();
        let callers: Vec<_> = (0..4)
            .map(|_| {
                let limit = limit.clone();
                tokio::spawn(async move { time_of(&limit, 4).await })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        // 16 requests at 8 per second, whoever makes them.
        assert_eq!(started.elapsed(), Duration::from_millis(1875));
    }

    #[test]
    fn never_slower_than_the_floor() {
        let limit = RateLimit::default();
        for _ in 0..50 {
            limit.throttled();
        }
        assert_eq!(limit.rate(), Some(MIN_RATE));
    }
}
