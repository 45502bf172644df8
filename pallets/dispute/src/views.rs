//! What the runtime API (`DisputeApi`) shows: running disputes as plain views, read in bounded
//! pages.

use alloc::vec::Vec;
use cpchain_primitives::{
	dispute::{DisputeId, DisputeView, EvidenceView, SeatView},
	market::{OrderId, Page},
};
use frame_system::pallet_prelude::BlockNumberFor;

use crate::{
	BalanceOf, Config, Disputes, EvidenceOf, Jurors, NextDisputeId, OrderDisputes, Pallet,
};

impl<T: Config> Pallet<T> {
	/// Dispute `id` as the runtime API shows it: its seats (at most the sum of the jury sizes)
	/// and evidence (at most `MaxEvidence`) included.
	pub fn dispute_view(
		id: DisputeId,
	) -> Option<DisputeView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		let d = Disputes::<T>::get(id)?;
		let jurors = Jurors::<T>::iter_prefix(id)
			.map(|(juror, s)| SeatView {
				juror,
				round: s.round,
				committed: s.commitment.is_some(),
				vote: s.vote,
				denounced: s.denounced,
			})
			.collect();
		let evidence = EvidenceOf::<T>::iter_prefix(id)
			.map(|(_, e)| EvidenceView { by: e.by, hash: e.hash, cid: e.cid.into_inner() })
			.collect::<Vec<_>>();
		Some(DisputeView {
			id,
			order: d.order,
			intervals: d.intervals,
			claimant: d.claimant,
			buyer: d.buyer,
			seller: d.seller,
			phase: d.phase,
			rounds: d.rounds.iter().map(|r| (r.jury, r.buyer, r.seller)).collect(),
			tally: d.tally,
			jurors,
			evidence,
		})
	}

	/// The running disputes among ids `from ..= from + max - 1` (`max` capped at
	/// [`cpchain_primitives::market::MAX_PAGE`]).
	pub fn disputes_page(
		from: DisputeId,
		max: u32,
	) -> Page<DisputeView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Page::of(from, max, NextDisputeId::<T>::get(), Self::dispute_view)
	}

	/// The running dispute of `order`.
	pub fn dispute_of_order(order: OrderId) -> Option<DisputeId> {
		OrderDisputes::<T>::get(order)
	}
}
