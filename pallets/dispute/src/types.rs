//! What the dispute pallet stores: disputes, their rounds, jurors' seats and evidence.

use codec::{Decode, Encode, MaxEncodedLen};
use cpchain_primitives::{
	data::IntervalRange,
	dispute::{Party, Phase, Ruling},
	market::OrderId,
};
use frame_support::{
	traits::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{BalanceOf, Config};

/// The most rounds of a dispute (the first and its appeals). Each appeal doubles the jury
/// plus one, so `MaxJury` reaches this bound only if it is above 255 × `InitialJury`, which
/// `integrity_test` refuses.
pub const MAX_ROUNDS: u32 = 8;

/// What each side paid for one round, and how large its jury was meant to be.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct RoundFees<Balance> {
	/// Jurors the round calls for.
	pub jury: u32,
	/// What the buyer paid for it (held).
	pub buyer: Balance,
	/// What the seller paid for it (held).
	pub seller: Balance,
}

impl<Balance: Copy> RoundFees<Balance> {
	/// What `party` paid.
	pub fn of(&self, party: Party) -> Balance {
		match party {
			Party::Buyer => self.buyer,
			Party::Seller => self.seller,
		}
	}

	/// Records that `party` paid `amount`.
	pub fn set(&mut self, party: Party, amount: Balance) {
		match party {
			Party::Buyer => self.buyer = amount,
			Party::Seller => self.seller = amount,
		}
	}
}

/// A dispute over some intervals of an order.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Dispute<T: Config> {
	/// The order whose intervals are disputed.
	pub order: OrderId,
	/// The disputed intervals (frozen in the market until the dispute ends).
	pub intervals: IntervalRange,
	/// Who opened the dispute.
	pub claimant: Party,
	/// The order's buyer.
	pub buyer: T::AccountId,
	/// The order's seller.
	pub seller: T::AccountId,
	/// Where the dispute stands.
	pub phase: Phase<BlockNumberFor<T>>,
	/// The fees of every round so far, the current one last.
	pub rounds: BoundedVec<RoundFees<BalanceOf<T>>, ConstU32<MAX_ROUNDS>>,
	/// Revealed votes of the current round: for the buyer, for the seller.
	pub tally: (u32, u32),
	/// Pieces of evidence submitted so far: by the buyer, by the seller (each at most
	/// `MaxEvidence`, so that neither side can fill the other's room).
	pub evidence: (u32, u32),
}

impl<T: Config> Dispute<T> {
	/// The account of `party`.
	pub fn account(&self, party: Party) -> &T::AccountId {
		match party {
			Party::Buyer => &self.buyer,
			Party::Seller => &self.seller,
		}
	}

	/// The side `who` is on, if any.
	pub fn party_of(&self, who: &T::AccountId) -> Option<Party> {
		if who == &self.buyer {
			Some(Party::Buyer)
		} else if who == &self.seller {
			Some(Party::Seller)
		} else {
			None
		}
	}

	/// Pieces of evidence submitted so far, by either side.
	pub fn evidence_count(&self) -> u32 {
		self.evidence.0.saturating_add(self.evidence.1)
	}

	/// The current round, counting from 0.
	pub fn round(&self) -> u32 {
		(self.rounds.len() as u32).saturating_sub(1)
	}

	/// How the current round's revealed votes rule: the majority, or nobody on a tie.
	pub fn majority(&self) -> Ruling {
		let (buyer, seller) = self.tally;
		match buyer.cmp(&seller) {
			core::cmp::Ordering::Greater => Some(Party::Buyer),
			core::cmp::Ordering::Less => Some(Party::Seller),
			core::cmp::Ordering::Equal => None,
		}
	}
}

/// A juror's seat in one round of a dispute.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Seat<Balance> {
	/// The round the juror sits in.
	pub round: u32,
	/// The stake held from the juror while the dispute runs (zero once denounced).
	pub stake: Balance,
	/// The juror's commitment, once made.
	pub commitment: Option<H256>,
	/// The juror's vote, once revealed.
	pub vote: Option<Party>,
	/// Whether someone showed the juror's vote before the reveal (its stake is gone and its
	/// vote does not count).
	pub denounced: bool,
}

/// A piece of evidence: the hash of an ERC-1497-shaped JSON document, and where it is (a CID).
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Evidence<T: Config> {
	/// Who submitted it.
	pub by: Party,
	/// The hash of the document.
	pub hash: H256,
	/// Where the document is.
	pub cid: BoundedVec<u8, T::MaxCidLen>,
}
