//! Call helpers of the tests: each `assert_<call>` snapshots the pallet's whole state and the
//! reputation signals sent, dispatches the call (which must succeed), snapshots again and
//! checks that the call changed exactly what it should and emitted its event.
//!
//! The expected snapshot is built from the first one by hand and compared whole, so a report
//! that also changes something it should not (the term randomness, the election seed, another
//! offence's record) fails the helper (the shape of Astar's `testing_utils`).

use crate::{mock::*, Accumulator, CurrentTerm, Event, Reported, ReportedSeals, TermRandomness};
use alloc::collections::BTreeSet;
use cpchain_pallet_test_utils::{assert_transition, StateSnapshot};
use cpchain_primitives::{
	committee::TermIndex,
	consensus::{EquivocationProof, Phase, SealEquivocationProof},
	reputation::Signal,
};
use frame_system::pallet_prelude::HeaderFor;

/// The pallet's whole state and the signals it sent to the reputation system.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
	pub current_term: Option<TermIndex>,
	pub term_randomness: [u8; 32],
	pub accumulator: [u8; 32],
	pub reported: BTreeSet<(u64, u64, u32, Phase)>,
	pub reported_seals: BTreeSet<(u64, u64, u32)>,
	pub signals: Vec<(u64, Signal)>,
}

impl StateSnapshot for Snapshot {
	fn take() -> Self {
		Self {
			current_term: CurrentTerm::<Test>::get(),
			term_randomness: TermRandomness::<Test>::get(),
			accumulator: Accumulator::<Test>::get(),
			reported: Reported::<Test>::iter_keys().collect(),
			reported_seals: ReportedSeals::<Test>::iter_keys().collect(),
			signals: SIGNALS.with(|s| s.borrow().clone()),
		}
	}
}

/// Reports `proof`, two votes of account `offender`: recorded once, one penalty.
pub fn assert_report_equivocation(offender: u64, proof: EquivocationProof) {
	let d = proof.first.data.clone();
	assert_transition(
		Snapshot::take(),
		|| Dpor::report_equivocation(RuntimeOrigin::none(), Box::new(proof)),
		|s| {
			s.reported.insert((offender, d.height, d.view, d.phase));
			s.signals.push((offender, Signal::Equivocated));
		},
	);
	System::assert_last_event(
		Event::EquivocationReported { who: offender, height: d.height, view: d.view }.into(),
	);
}

/// Reports `proof`, two headers sealed by account `offender` as the leader of `height` and
/// `view`: recorded once, one penalty.
pub fn assert_report_seal_equivocation(
	offender: u64,
	height: u64,
	view: u32,
	proof: SealEquivocationProof<HeaderFor<Test>>,
) {
	assert_transition(
		Snapshot::take(),
		|| Dpor::report_seal_equivocation(RuntimeOrigin::none(), Box::new(proof)),
		|s| {
			s.reported_seals.insert((offender, height, view));
			s.signals.push((offender, Signal::Equivocated));
		},
	);
	System::assert_last_event(
		Event::SealEquivocationReported { who: offender, height, view }.into(),
	);
}
