//! Test helpers shared by CPChain's pallets (a dev-dependency of each, never in the runtime).
//!
//! Every pallet's `testing_utils` module has one `Snapshot` of the pallet's whole state and an
//! `assert_<call>` helper per call that builds the state it expects from the snapshot before
//! the call, by hand, and compares it whole with the snapshot after (the shape of Astar's
//! `testing_utils`): a call that also changes something it should not fails the helper. The
//! comparison itself is the same for every pallet and lives here.

use core::fmt::Debug;

/// A pallet's whole state (and what it sent to other pallets), as its tests see it.
pub trait StateSnapshot: Debug + PartialEq + Sized {
	/// The state now.
	fn take() -> Self;
}

/// Dispatches `call`, which must succeed, and checks that the state went from `before` to
/// exactly what `expected` makes of it.
///
/// # Panics
///
/// If the call fails, or if the state after it differs from the expected one in any field.
#[track_caller]
pub fn assert_transition<S: StateSnapshot, R, E: Debug>(
	before: S,
	call: impl FnOnce() -> Result<R, E>,
	expected: impl FnOnce(&mut S),
) -> R {
	let mut want = before;
	let out = match call() {
		Ok(out) => out,
		Err(e) => panic!("the call failed: {e:?}"),
	};
	expected(&mut want);
	assert_eq!(S::take(), want, "the call changed something else, or not all it should");
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::cell::Cell;

	thread_local! {
		static STATE: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
	}

	#[derive(Debug, PartialEq)]
	struct Pair(u32, u32);

	impl StateSnapshot for Pair {
		fn take() -> Self {
			let (a, b) = STATE.with(Cell::get);
			Pair(a, b)
		}
	}

	fn set_a(a: u32, also_b: bool) -> Result<u32, &'static str> {
		STATE.with(|s| s.set((a, if also_b { a } else { s.get().1 })));
		Ok(a)
	}

	#[test]
	fn the_expected_change_passes_and_returns_the_calls_output() {
		STATE.with(|s| s.set((0, 0)));
		assert_eq!(assert_transition(Pair::take(), || set_a(7, false), |s| s.0 = 7), 7);
	}

	#[test]
	#[should_panic(expected = "the call changed something else")]
	fn a_change_beyond_the_expected_one_fails() {
		STATE.with(|s| s.set((0, 0)));
		assert_transition(Pair::take(), || set_a(7, true), |s| s.0 = 7);
	}

	#[test]
	#[should_panic(expected = "the call changed something else")]
	fn a_missing_change_fails() {
		STATE.with(|s| s.set((0, 0)));
		assert_transition(Pair::take(), || set_a(7, false), |s| *s = Pair(7, 7));
	}

	#[test]
	#[should_panic(expected = "the call failed")]
	fn a_failed_call_fails() {
		assert_transition(Pair::take(), || Err::<(), _>("no"), |_| {});
	}
}
