//! The voter's Prometheus metrics: where it is and how much it holds. The buffer gauges are
//! what an operator watches under attack: each has a fixed bound (docs/dpor-engine.md,
//! "Bounds"), whatever peers send.

use substrate_prometheus_endpoint::{register, Counter, Gauge, PrometheusError, Registry, U64};

/// The voter's metrics.
#[derive(Clone)]
pub struct Metrics {
	/// The height being decided.
	pub height: Gauge<U64>,
	/// The voter's view at that height.
	pub view: Gauge<U64>,
	/// Signed votes of the current height held (including second votes kept as evidence).
	pub votes: Gauge<U64>,
	/// Proposals of the current height waiting for their block.
	pub pending_proposals: Gauge<U64>,
	/// Checked messages of the next height held.
	pub future_messages: Gauge<U64>,
	/// Equivocation reports this node submitted.
	pub equivocations_reported: Counter<U64>,
	/// Voter state writes that failed (the voter stops voting until one succeeds).
	pub failed_writes: Counter<U64>,
}

impl Metrics {
	/// Registers the metrics in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let gauge = |name: &str, help: &str| register(Gauge::new(name, help)?, registry);
		let counter = |name: &str, help: &str| register(Counter::new(name, help)?, registry);
		Ok(Self {
			height: gauge("cpchain_dpor_height", "The height the DPoR voter decides")?,
			view: gauge("cpchain_dpor_view", "The DPoR voter's view at that height")?,
			votes: gauge("cpchain_dpor_buffered_votes", "Signed votes of the current height held")?,
			pending_proposals: gauge(
				"cpchain_dpor_pending_proposals",
				"Proposals of the current height waiting for their block",
			)?,
			future_messages: gauge(
				"cpchain_dpor_future_messages",
				"Checked messages of the next height held",
			)?,
			equivocations_reported: counter(
				"cpchain_dpor_equivocations_reported",
				"Equivocation reports submitted by this node",
			)?,
			failed_writes: counter("cpchain_dpor_failed_writes", "Voter state writes that failed")?,
		})
	}
}
