//! Retries with exponential backoff, for errors that may pass (a daemon that is starting).

use std::{future::Future, time::Duration};

/// How often and how patiently to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
	/// Attempts in all, the first included (at least 1).
	pub attempts: u32,
	/// The wait after the first failure; doubled after each further one.
	pub initial_backoff: Duration,
	/// The longest wait between two attempts.
	pub max_backoff: Duration,
}

impl Default for RetryPolicy {
	/// Five attempts over about three seconds.
	fn default() -> Self {
		Self {
			attempts: 5,
			initial_backoff: Duration::from_millis(200),
			max_backoff: Duration::from_secs(2),
		}
	}
}

/// Why a retried call failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure<E> {
	/// An error that retrying does not help.
	Final(E),
	/// Every attempt failed transiently; the last reason.
	Exhausted { attempts: u32, last: String },
}

impl RetryPolicy {
	/// The wait after failed attempt number `attempt` (1-based).
	pub fn backoff(&self, attempt: u32) -> Duration {
		let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
		self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
	}

	/// Runs `call` until it succeeds, fails for good, or the attempts are spent. `classify`
	/// turns an error into `Ok(final error)` or `Err(transient reason)`.
	pub(crate) async fn run<T, E, R, F, Fut, C>(
		&self,
		call: F,
		classify: C,
	) -> Result<T, Failure<R>>
	where
		F: Fn() -> Fut,
		Fut: Future<Output = Result<T, E>>,
		C: Fn(E) -> Result<R, String>,
	{
		let attempts = self.attempts.max(1);
		let mut last = String::new();
		for attempt in 1..=attempts {
			match call().await {
				Ok(value) => return Ok(value),
				Err(error) => match classify(error) {
					Ok(final_error) => return Err(Failure::Final(final_error)),
					Err(reason) => last = reason,
				},
			}
			if attempt < attempts {
				tokio::time::sleep(self.backoff(attempt)).await;
			}
		}
		Err(Failure::Exhausted { attempts, last })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::atomic::{AtomicU32, Ordering};

	const FAST: RetryPolicy = RetryPolicy {
		attempts: 4,
		initial_backoff: Duration::from_millis(1),
		max_backoff: Duration::from_millis(2),
	};

	#[test]
	fn backoff_doubles_up_to_the_cap() {
		let p = RetryPolicy::default();
		let waits: Vec<_> = (1..=6).map(|a| p.backoff(a).as_millis()).collect();
		assert_eq!(waits, [200, 400, 800, 1600, 2000, 2000]);
	}

	#[tokio::test]
	async fn transient_errors_are_retried_until_success() {
		let calls = AtomicU32::new(0);
		let result: Result<u32, Failure<String>> = FAST
			.run(
				|| async {
					let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
					if n < 3 {
						Err("refused")
					} else {
						Ok(n)
					}
				},
				|e| Err(e.to_string()),
			)
			.await;
		assert_eq!(result, Ok(3));
	}

	#[tokio::test]
	async fn attempts_are_bounded_and_final_errors_stop_at_once() {
		let calls = AtomicU32::new(0);
		let result: Result<(), Failure<String>> = FAST
			.run(
				|| async {
					calls.fetch_add(1, Ordering::SeqCst);
					Err::<(), _>("refused")
				},
				|e| Err(e.to_string()),
			)
			.await;
		assert_eq!(result, Err(Failure::Exhausted { attempts: 4, last: "refused".into() }));
		assert_eq!(calls.load(Ordering::SeqCst), 4);

		calls.store(0, Ordering::SeqCst);
		let result: Result<(), Failure<String>> = FAST
			.run(
				|| async {
					calls.fetch_add(1, Ordering::SeqCst);
					Err::<(), _>("bad cid")
				},
				|e| Ok(e.to_string()),
			)
			.await;
		assert_eq!(result, Err(Failure::Final("bad cid".into())));
		assert_eq!(calls.load(Ordering::SeqCst), 1);
	}
}
