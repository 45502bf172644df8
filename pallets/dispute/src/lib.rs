//! # Dispute pallet
//!
//! Disputes over the delivery or quality of some intervals of a market order, decided by a
//! jury of bonded RNodes, whose ruling settles only the disputed intervals' escrow.
//!
//! ## Pallet API
//!
//! Parties: [`Pallet::open_dispute`], [`Pallet::fund`], [`Pallet::submit_evidence`],
//! [`Pallet::appeal`]. Jurors: [`Pallet::commit_vote`], [`Pallet::reveal_vote`]. Anyone:
//! [`Pallet::denounce`], [`Pallet::advance`].
//!
//! ## Overview
//!
//! **Opening.** The buyer or the seller of an open order disputes some of its intervals that
//! have started and have not reached their settlement block, and pays the first round's fee:
//! `FeePerJuror` for each of the `InitialJury` jurors. The market freezes those intervals: no
//! settlement, confirmation or idle-time sweep moves their escrow until the dispute rules
//! (and, since intervals settle in order, the order's later intervals wait too).
//!
//! **The fee rule** (Kleros' escrow rule). The other side must match the fee within
//! `ResponsePeriod` blocks, or lose the dispute by default: a side that will not pay for a
//! jury cannot make the other one wait, and a claim nobody answers is granted.
//!
//! **Evidence.** Either side submits the hash and CID of ERC-1497-shaped JSON documents (at
//! most `MaxEvidence` each, so that neither can fill the other's room) until the votes are
//! revealed.
//!
//! **The jury.** `EvidencePeriod` blocks after both paid, in the initialisation of a block
//! fixed when the second fee was paid (so that nobody chooses the block, and so the seed), the
//! jury is drawn: `InitialJury` seats (an odd number), without replacement, from the bonded
//! RNodes ([`JurorSource`]) other than the buyer, the seller and the dispute's earlier jurors,
//! each weighted by `min(bond, BondCap) × reputation`. The seed is the chain's randomness
//! (DPoR's accumulator of VRF outputs) for the dispute and round, never a block hash. A drawn
//! RNode that cannot put up `JurorStake` is passed over. Fewer candidates than seats make a
//! smaller jury; none makes a round that rules for nobody.
//!
//! **Votes.** Jurors commit to `blake2_256((VOTE_DOMAIN, dispute, round, juror, vote, salt))`
//! for `CommitPeriod` blocks, then reveal `vote` and `salt` for `RevealPeriod` blocks. The
//! commitment names the juror, so copying another's commitment reveals nothing to count.
//! Anyone who shows a juror's vote and salt before the reveal opens ([`Pallet::denounce`])
//! takes half the juror's stake; the rest is burnt and the vote does not count: whoever a
//! juror shows its vote to (a briber checking it was bought) can take half its stake at once.
//! A juror reveals only once the reveal is open (`cpc market vote reveal` waits for the
//! finalised block to reach it), since a reveal sent early fails and still shows the salt.
//!
//! **Ruling and appeals.** The revealed majority rules (a tie, or no vote, rules for nobody).
//! For `AppealPeriod` blocks the round's loser (either side after a tie) may appeal by paying
//! the next round's fee, whose jury is twice the last plus one, up to `MaxJury`; the other
//! side must match it as at the opening. Then the ruling is final and anyone
//! [`Pallet::advance`]s the dispute to its end:
//!
//! - the market settles the disputed intervals: refunded for the buyer, paid for the seller,
//!   by the ordinary rule (paid if recorded in time and granted) for nobody;
//! - the winner's fees are released; the loser's fee of each round is shared by that round's
//!   jurors who voted with the final ruling (what no juror earned goes to the winner); after a
//!   ruling for nobody both sides get their fees back;
//! - a juror who did not reveal, or voted against the final ruling, loses `IncoherencePenalty`
//!   of its stake to the round's jurors who voted with it (burnt if there are none);
//! - the loser is reported to the reputation system (`DisputeLost`).
//!
//! Every fee and stake is a hold ([`HoldReason`]), so funds are conserved except for what is
//! burnt (denounced stakes, penalties nobody earned), which the events report.
//!
//! ## Low Level / Implementation Details
//!
//! Phases move on by time, lazily: calls check the block number, and [`Pallet::advance`]
//! makes the step that time allows (a default win, a tally, a conclusion). Only the jury draw
//! happens in a hook, at most `MaxDrawsPerBlock` per block; a full block pushes a draw to the
//! next block with room, at most [`MAX_DRAW_DELAY`] blocks later; beyond that, `advance`
//! draws it once that block has passed (a full queue delays a jury, it never costs a side the
//! dispute). A conclusion pays at most
//! the seats of every round (the sum of the jury sizes, bounded by `MaxJury`).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
mod views;
pub mod weights;

use alloc::vec::Vec;
use codec::Encode;
use cpchain_primitives::{
	data::IntervalRange,
	dispute::{ArbitrableOrders, DisputeId, JurorSource, Party, Ruling},
	market::OrderId,
	reputation::{ReputationSink, Signal},
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		Randomness,
	},
};
use frame_system::pallet_prelude::*;
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	ArithmeticError, Perbill,
};

pub use cpchain_primitives::dispute::{commitment, Phase, VOTE_DOMAIN};
pub use pallet::*;
pub use types::{Dispute, Evidence, RoundFees, Seat, MAX_ROUNDS};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime: an order to dispute and candidate jurors.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An open order of `buyer` from `seller` (both funded by the benchmark) and intervals of
	/// it that can be disputed now.
	fn order(buyer: &AccountId, seller: &AccountId) -> (OrderId, IntervalRange);
	/// Makes `n` candidate jurors, each with a bond, reputation and the money for stakes, and
	/// returns them.
	fn candidates(n: u32) -> Vec<AccountId>;
}

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The subject under which a jury asks the chain's randomness for its seed (with the dispute
/// and the round).
pub const JURY_SUBJECT: &[u8] = b"cpchain/dispute/jury/v1";

/// How many blocks past its planned block a jury draw may be pushed when blocks are full of
/// draws; beyond that, it waits for [`Pallet::advance`].
pub const MAX_DRAW_DELAY: u32 = 16;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The parties' fees for the rounds of their disputes.
		#[codec(index = 0)]
		Fee,
		/// A juror's stake while its dispute runs.
		#[codec(index = 1)]
		JurorStake,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency of fees and stakes.
		type Currency: Inspect<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The market whose orders are disputed.
		type Orders: ArbitrableOrders<Self::AccountId>;

		/// Where jurors come from (the bonded RNodes).
		type Jurors: JurorSource<Self::AccountId, BalanceOf<Self>>;

		/// The seed of jury draws (DPoR's VRF accumulator in the CPChain runtime).
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Where a dispute's loser is reported.
		type Reputation: ReputationSink<Self::AccountId>;

		/// What each side pays per juror of a round.
		#[pallet::constant]
		type FeePerJuror: Get<BalanceOf<Self>>;

		/// What a drawn juror puts up while the dispute runs.
		#[pallet::constant]
		type JurorStake: Get<BalanceOf<Self>>;

		/// The part of its stake a juror loses for not revealing or voting against the final
		/// ruling.
		#[pallet::constant]
		type IncoherencePenalty: Get<Perbill>;

		/// The most bond that counts towards a candidate juror's weight.
		#[pallet::constant]
		type BondCap: Get<BalanceOf<Self>>;

		/// Jurors of a dispute's first round (odd).
		#[pallet::constant]
		type InitialJury: Get<u32>;

		/// The largest jury an appeal may call for.
		#[pallet::constant]
		type MaxJury: Get<u32>;

		/// The most candidate jurors weighed in a draw (the reputation pallet's bound on
		/// RNodes).
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// The most jury draws in one block's initialisation.
		#[pallet::constant]
		type MaxDrawsPerBlock: Get<u32>;

		/// The most pieces of evidence each side submits to one dispute.
		#[pallet::constant]
		type MaxEvidence: Get<u32>;

		/// The longest CID of a piece of evidence, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// Blocks a side has to match the other's fee.
		#[pallet::constant]
		type ResponsePeriod: Get<BlockNumberFor<Self>>;

		/// Blocks between the second fee and the jury draw.
		#[pallet::constant]
		type EvidencePeriod: Get<BlockNumberFor<Self>>;

		/// Blocks jurors have to commit.
		#[pallet::constant]
		type CommitPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks jurors have to reveal.
		#[pallet::constant]
		type RevealPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks the loser of a round has to appeal.
		#[pallet::constant]
		type AppealPeriod: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's dispatchables and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up what the benchmarks need from outside the pallet.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The id the next dispute gets.
	#[pallet::storage]
	pub type NextDisputeId<T: Config> = StorageValue<_, DisputeId, ValueQuery>;

	/// Disputes that have not ended, by id.
	// Twox64Concat: ids are assigned by the chain.
	#[pallet::storage]
	pub type Disputes<T: Config> = StorageMap<_, Twox64Concat, DisputeId, Dispute<T>>;

	/// The running dispute of an order (one at a time).
	#[pallet::storage]
	pub type OrderDisputes<T: Config> = StorageMap<_, Twox64Concat, OrderId, DisputeId>;

	/// The jurors of each dispute, every round's, by account (an account sits once per
	/// dispute).
	#[pallet::storage]
	pub type Jurors<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		DisputeId,
		Blake2_128Concat,
		T::AccountId,
		Seat<BalanceOf<T>>,
	>;

	/// The evidence of each dispute, in the order it came.
	#[pallet::storage]
	pub type EvidenceOf<T: Config> =
		StorageDoubleMap<_, Twox64Concat, DisputeId, Twox64Concat, u32, Evidence<T>>;

	/// The disputes whose jury is drawn in the initialisation of each block.
	#[pallet::storage]
	pub type Draws<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<DisputeId, T::MaxDrawsPerBlock>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A dispute was opened over `intervals` of `order`; the other side must match `fee`
		/// by block `respond_by`.
		DisputeOpened {
			dispute: DisputeId,
			order: OrderId,
			intervals: IntervalRange,
			claimant: Party,
			fee: BalanceOf<T>,
			respond_by: BlockNumberFor<T>,
		},
		/// Both sides paid the round's fee; its jury is drawn at block `draw_at`.
		Funded { dispute: DisputeId, round: u32, draw_at: BlockNumberFor<T> },
		/// A piece of evidence was submitted.
		EvidenceSubmitted {
			dispute: DisputeId,
			index: u32,
			by: Party,
			hash: H256,
			cid: BoundedVec<u8, T::MaxCidLen>,
		},
		/// A round's jury was drawn; they commit until `commit_until`, reveal until
		/// `reveal_until`.
		JuryDrawn {
			dispute: DisputeId,
			round: u32,
			jurors: Vec<T::AccountId>,
			commit_until: BlockNumberFor<T>,
			reveal_until: BlockNumberFor<T>,
		},
		/// A juror committed (or changed) its vote.
		VoteCommitted { dispute: DisputeId, juror: T::AccountId },
		/// A juror revealed its vote.
		VoteRevealed { dispute: DisputeId, juror: T::AccountId, vote: Party },
		/// A juror's vote was shown before the reveal: `reward` of its stake went to
		/// `denouncer`, `burnt` was burnt, and its vote does not count.
		VoteDenounced {
			dispute: DisputeId,
			juror: T::AccountId,
			denouncer: T::AccountId,
			reward: BalanceOf<T>,
			burnt: BalanceOf<T>,
		},
		/// A round's votes were counted; its loser may appeal until `appeal_until`.
		RoundRuled {
			dispute: DisputeId,
			round: u32,
			ruling: Ruling,
			votes: (u32, u32),
			appeal_until: BlockNumberFor<T>,
		},
		/// A round's ruling was appealed by `by`, who paid `fee`; the other side must match it
		/// by `respond_by`.
		Appealed {
			dispute: DisputeId,
			round: u32,
			by: Party,
			fee: BalanceOf<T>,
			respond_by: BlockNumberFor<T>,
		},
		/// The dispute ended with `ruling`: `to_jurors` of the loser's fees went to jurors,
		/// `penalties` moved between jurors, `burnt` was burnt.
		DisputeConcluded {
			dispute: DisputeId,
			order: OrderId,
			ruling: Ruling,
			by_default: bool,
			to_jurors: BalanceOf<T>,
			penalties: BalanceOf<T>,
			burnt: BalanceOf<T>,
		},
		/// The market refused the ruling (its own rules should make that impossible: the
		/// intervals were frozen for this dispute); the dispute ended anyway.
		RulingNotApplied { dispute: DisputeId, order: OrderId, error: DispatchError },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No open order has this id.
		UnknownOrder,
		/// Only the order's buyer or seller may do this.
		NotAParty,
		/// The order already has a running dispute.
		AlreadyDisputed,
		/// No running dispute has this id.
		UnknownDispute,
		/// The dispute is not in the phase this needs, or its time for it is over.
		WrongPhase,
		/// Only the side the dispute waits for may pay.
		NotYourTurn,
		/// The caller cannot afford the fee.
		InsufficientBalance,
		/// The caller submitted `MaxEvidence` pieces of evidence to the dispute already.
		TooMuchEvidence,
		/// The caller has no seat in the dispute's current round.
		NotAJuror,
		/// The juror revealed already, or was denounced.
		AlreadyRevealed,
		/// The vote and salt do not match the juror's commitment (or there is none).
		CommitmentMismatch,
		/// Only the loser of the round (either side after a tie) may appeal.
		NotTheLoser,
		/// The next jury would be larger than `MaxJury`.
		NoMoreAppeals,
		/// Nothing about the dispute is due yet.
		NothingToAdvance,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			let due = Draws::<T>::take(n);
			let mut weight = T::DbWeight::get().reads_writes(1, 1);
			if due.is_empty() {
				return weight;
			}
			let candidates = Self::candidates();
			let c = candidates.len() as u32;
			for id in due {
				let draws = Self::draw_jury(id, &candidates, n);
				weight = weight.saturating_add(T::WeightInfo::draw_jury(c, draws));
			}
			weight
		}

		fn integrity_test() {
			let initial = T::InitialJury::get();
			assert!(initial % 2 == 1, "the first jury must be odd");
			assert!(T::MaxJury::get() >= initial, "MaxJury must allow the first jury");
			assert!(
				u64::from(T::MaxJury::get()) < u64::from(initial) << (MAX_ROUNDS - 1),
				"MaxJury must be reached within MAX_ROUNDS rounds"
			);
			assert!(T::MaxDrawsPerBlock::get() > 0, "a block must be able to draw a jury");
			assert!(!T::FeePerJuror::get().is_zero(), "the fee rule needs a fee");
			assert!(!T::CommitPeriod::get().is_zero(), "jurors need time to commit");
			assert!(!T::RevealPeriod::get().is_zero(), "jurors need time to reveal");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Disputes `intervals` of `order`, as its buyer or its seller.
		///
		/// The intervals must have started and not reached their settlement block; the market
		/// freezes them until the dispute ends. Holds the first round's fee (`FeePerJuror` ×
		/// `InitialJury`) from the caller; the other side must match it within
		/// `ResponsePeriod` blocks or lose. Emits `DisputeOpened`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::open_dispute())]
		pub fn open_dispute(
			origin: OriginFor<T>,
			order: OrderId,
			intervals: IntervalRange,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let parties = T::Orders::parties(order).ok_or(Error::<T>::UnknownOrder)?;
			let claimant = if who == parties.buyer {
				Party::Buyer
			} else if who == parties.seller {
				Party::Seller
			} else {
				return Err(Error::<T>::NotAParty.into());
			};
			ensure!(!OrderDisputes::<T>::contains_key(order), Error::<T>::AlreadyDisputed);
			let jury = T::InitialJury::get();
			let fee = Self::fee_for(jury)?;
			Self::hold(HoldReason::Fee, &who, fee)?;
			T::Orders::freeze(order, intervals)?;
			let id = NextDisputeId::<T>::get();
			NextDisputeId::<T>::put(id.checked_add(1).ok_or(ArithmeticError::Overflow)?);
			let mut round = RoundFees { jury, buyer: Zero::zero(), seller: Zero::zero() };
			round.set(claimant, fee);
			let respond_by = Self::now().saturating_add(T::ResponsePeriod::get());
			let dispute = Dispute {
				order,
				intervals,
				claimant,
				buyer: parties.buyer,
				seller: parties.seller,
				phase: Phase::Funding { party: claimant.other(), until: respond_by },
				rounds: BoundedVec::truncate_from(alloc::vec![round]),
				tally: (0, 0),
				evidence: (0, 0),
			};
			Disputes::<T>::insert(id, dispute);
			OrderDisputes::<T>::insert(order, id);
			Self::deposit_event(Event::DisputeOpened {
				dispute: id,
				order,
				intervals,
				claimant,
				fee,
				respond_by,
			});
			Ok(())
		}

		/// Matches the other side's fee for the current round (at the opening or after an
		/// appeal), before the response period ends. The round's jury is then drawn
		/// `EvidencePeriod` blocks later. Emits `Funded`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::fund())]
		pub fn fund(origin: OriginFor<T>, dispute: DisputeId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let Phase::Funding { party, until } = d.phase else {
				return Err(Error::<T>::WrongPhase.into());
			};
			ensure!(Self::now() <= until, Error::<T>::WrongPhase);
			ensure!(d.party_of(&who) == Some(party), Error::<T>::NotYourTurn);
			let round = d.round();
			let fees = d.rounds.last_mut().ok_or(Error::<T>::WrongPhase)?;
			let fee = Self::fee_for(fees.jury)?;
			Self::hold(HoldReason::Fee, &who, fee)?;
			fees.set(party, fee);
			let draw_at = Self::schedule_draw(dispute);
			d.phase = Phase::Evidence { draw_at };
			Disputes::<T>::insert(dispute, d);
			Self::deposit_event(Event::Funded { dispute, round, draw_at });
			Ok(())
		}

		/// Submits a piece of evidence, as the buyer or the seller, until the current round's
		/// votes are revealed: the hash of an ERC-1497-shaped JSON document and its CID.
		/// Emits `EvidenceSubmitted`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::submit_evidence())]
		pub fn submit_evidence(
			origin: OriginFor<T>,
			dispute: DisputeId,
			hash: H256,
			cid: BoundedVec<u8, T::MaxCidLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let by = d.party_of(&who).ok_or(Error::<T>::NotAParty)?;
			let open = match d.phase {
				Phase::Funding { .. } | Phase::Evidence { .. } => true,
				Phase::Voting { reveal_until, .. } => Self::now() < reveal_until,
				Phase::Appealable { .. } => false,
			};
			ensure!(open, Error::<T>::WrongPhase);
			let index = d.evidence_count();
			let mine = match by {
				Party::Buyer => &mut d.evidence.0,
				Party::Seller => &mut d.evidence.1,
			};
			ensure!(*mine < T::MaxEvidence::get(), Error::<T>::TooMuchEvidence);
			*mine += 1;
			EvidenceOf::<T>::insert(dispute, index, Evidence { by, hash, cid: cid.clone() });
			Disputes::<T>::insert(dispute, d);
			Self::deposit_event(Event::EvidenceSubmitted { dispute, index, by, hash, cid });
			Ok(())
		}

		/// Commits the caller's vote, as a juror of the dispute's current round, before the
		/// commit period ends: `commitment` is [`commitment`]`(dispute, round, juror, vote,
		/// salt)`. A later commitment replaces an earlier one. Emits `VoteCommitted`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::commit_vote())]
		pub fn commit_vote(
			origin: OriginFor<T>,
			dispute: DisputeId,
			commitment: H256,
		) -> DispatchResult {
			let juror = ensure_signed(origin)?;
			let d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let Phase::Voting { commit_until, .. } = d.phase else {
				return Err(Error::<T>::WrongPhase.into());
			};
			ensure!(Self::now() < commit_until, Error::<T>::WrongPhase);
			let mut seat = Self::seat_in_round(dispute, &d, &juror)?;
			ensure!(!seat.denounced, Error::<T>::AlreadyRevealed);
			seat.commitment = Some(commitment);
			Jurors::<T>::insert(dispute, &juror, seat);
			Self::deposit_event(Event::VoteCommitted { dispute, juror });
			Ok(())
		}

		/// Reveals the caller's committed vote and salt, as a juror of the current round,
		/// after the commit period and before the reveal period ends. Emits `VoteRevealed`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::reveal_vote())]
		pub fn reveal_vote(
			origin: OriginFor<T>,
			dispute: DisputeId,
			vote: Party,
			salt: [u8; 32],
		) -> DispatchResult {
			let juror = ensure_signed(origin)?;
			let mut d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let Phase::Voting { commit_until, reveal_until } = d.phase else {
				return Err(Error::<T>::WrongPhase.into());
			};
			let now = Self::now();
			ensure!(now >= commit_until && now < reveal_until, Error::<T>::WrongPhase);
			let mut seat = Self::seat_in_round(dispute, &d, &juror)?;
			ensure!(seat.vote.is_none() && !seat.denounced, Error::<T>::AlreadyRevealed);
			ensure!(
				seat.commitment == Some(commitment(dispute, d.round(), &juror, vote, &salt)),
				Error::<T>::CommitmentMismatch
			);
			seat.vote = Some(vote);
			match vote {
				Party::Buyer => d.tally.0 = d.tally.0.saturating_add(1),
				Party::Seller => d.tally.1 = d.tally.1.saturating_add(1),
			}
			Jurors::<T>::insert(dispute, &juror, seat);
			Disputes::<T>::insert(dispute, d);
			Self::deposit_event(Event::VoteRevealed { dispute, juror, vote });
			Ok(())
		}

		/// Shows that `juror`'s committed vote was `vote` (with `salt`) before the reveal
		/// period: the caller takes half the juror's stake, the rest is burnt, and the vote
		/// does not count. Anyone may call it. Emits `VoteDenounced`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::denounce())]
		pub fn denounce(
			origin: OriginFor<T>,
			dispute: DisputeId,
			juror: T::AccountId,
			vote: Party,
			salt: [u8; 32],
		) -> DispatchResult {
			let denouncer = ensure_signed(origin)?;
			let d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let Phase::Voting { commit_until, .. } = d.phase else {
				return Err(Error::<T>::WrongPhase.into());
			};
			ensure!(Self::now() < commit_until, Error::<T>::WrongPhase);
			let mut seat = Self::seat_in_round(dispute, &d, &juror)?;
			ensure!(!seat.denounced, Error::<T>::AlreadyRevealed);
			ensure!(
				seat.commitment == Some(commitment(dispute, d.round(), &juror, vote, &salt)),
				Error::<T>::CommitmentMismatch
			);
			let stake = seat.stake;
			let reward = stake / 2u32.into();
			let burnt = stake.saturating_sub(reward);
			let reason = HoldReason::JurorStake.into();
			if !reward.is_zero() && denouncer != juror {
				Self::transfer_held(&reason, &juror, &denouncer, reward)?;
			} else if !reward.is_zero() {
				T::Currency::release(&reason, &juror, reward, Precision::Exact)?;
			}
			Self::burn_held(&reason, &juror, burnt)?;
			seat.stake = Zero::zero();
			seat.denounced = true;
			seat.commitment = None;
			Jurors::<T>::insert(dispute, &juror, seat);
			Self::deposit_event(Event::VoteDenounced { dispute, juror, denouncer, reward, burnt });
			Ok(())
		}

		/// Appeals the current round's ruling, as its loser (either side after a tie), before
		/// the appeal period ends: pays the next round's fee (`FeePerJuror` for each of twice
		/// the last jury plus one, at most `MaxJury`); the other side must match it within
		/// `ResponsePeriod` blocks or lose. Emits `Appealed`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::appeal())]
		pub fn appeal(origin: OriginFor<T>, dispute: DisputeId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let Phase::Appealable { ruling, until } = d.phase else {
				return Err(Error::<T>::WrongPhase.into());
			};
			let now = Self::now();
			ensure!(now < until, Error::<T>::WrongPhase);
			let by = d.party_of(&who).ok_or(Error::<T>::NotAParty)?;
			ensure!(ruling != Some(by), Error::<T>::NotTheLoser);
			let last = d.rounds.last().map(|r| r.jury).ok_or(Error::<T>::WrongPhase)?;
			let jury = last.saturating_mul(2).saturating_add(1);
			ensure!(jury <= T::MaxJury::get(), Error::<T>::NoMoreAppeals);
			let fee = Self::fee_for(jury)?;
			let mut round = RoundFees { jury, buyer: Zero::zero(), seller: Zero::zero() };
			round.set(by, fee);
			d.rounds.try_push(round).map_err(|_| Error::<T>::NoMoreAppeals)?;
			Self::hold(HoldReason::Fee, &who, fee)?;
			let respond_by = now.saturating_add(T::ResponsePeriod::get());
			d.phase = Phase::Funding { party: by.other(), until: respond_by };
			d.tally = (0, 0);
			let round = d.round();
			Disputes::<T>::insert(dispute, d);
			Self::deposit_event(Event::Appealed { dispute, round, by, fee, respond_by });
			Ok(())
		}

		/// Moves a dispute on as time allows; anyone may call it:
		/// - the response period is over and a side did not pay: the other side wins;
		/// - the jury's draw block has passed without the draw (the queue was full): the jury
		///   is drawn now;
		/// - the reveal period is over: the round's votes are counted (`RoundRuled`);
		/// - the appeal period is over: the ruling is final and the dispute ends
		///   (`DisputeConcluded`): escrow, fees and stakes are paid out as the ruling says.
		#[pallet::call_index(7)]
		#[pallet::weight(
			T::WeightInfo::conclude(Pallet::<T>::max_seats())
				.saturating_add(T::Orders::rule_weight())
				.max(T::WeightInfo::tally())
				// A draw may try every candidate's stake before its seats are filled.
				.max(T::WeightInfo::draw_jury(T::MaxCandidates::get(), T::MaxCandidates::get()))
		)]
		pub fn advance(origin: OriginFor<T>, dispute: DisputeId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let mut d = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
			let now = Self::now();
			match d.phase {
				Phase::Funding { party, until } if now > until => {
					let seats = Self::conclude(dispute, d, Some(party.other()), true)?;
					Ok(Some(
						T::WeightInfo::conclude(seats).saturating_add(T::Orders::rule_weight()),
					)
					.into())
				}
				// A draw the queue had no room for (or whose planned block passed without it).
				Phase::Evidence { draw_at } if now > draw_at => {
					let candidates = Self::candidates();
					let c = candidates.len() as u32;
					let draws = Self::draw_jury(dispute, &candidates, now);
					Ok(Some(T::WeightInfo::draw_jury(c, draws)).into())
				}
				Phase::Voting { reveal_until, .. } if now >= reveal_until => {
					let ruling = d.majority();
					let appeal_until = now.saturating_add(T::AppealPeriod::get());
					d.phase = Phase::Appealable { ruling, until: appeal_until };
					let (round, votes) = (d.round(), d.tally);
					Disputes::<T>::insert(dispute, d);
					Self::deposit_event(Event::RoundRuled {
						dispute,
						round,
						ruling,
						votes,
						appeal_until,
					});
					Ok(Some(T::WeightInfo::tally()).into())
				}
				Phase::Appealable { ruling, until } if now >= until => {
					let seats = Self::conclude(dispute, d, ruling, false)?;
					Ok(Some(
						T::WeightInfo::conclude(seats).saturating_add(T::Orders::rule_weight()),
					)
					.into())
				}
				_ => Err(Error::<T>::NothingToAdvance.into()),
			}
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// The fee of a round with `jury` jurors, for each side.
	fn fee_for(jury: u32) -> Result<BalanceOf<T>, DispatchError> {
		T::FeePerJuror::get()
			.checked_mul(&jury.into())
			.ok_or_else(|| ArithmeticError::Overflow.into())
	}

	/// The most seats a dispute can have over all its rounds: what a conclusion pays at most.
	pub fn max_seats() -> u32 {
		let (mut jury, mut total) = (T::InitialJury::get(), 0u32);
		while jury <= T::MaxJury::get() {
			total = total.saturating_add(jury);
			jury = jury.saturating_mul(2).saturating_add(1);
		}
		total
	}

	/// The caller's seat in the dispute's current round.
	fn seat_in_round(
		dispute: DisputeId,
		d: &Dispute<T>,
		juror: &T::AccountId,
	) -> Result<Seat<BalanceOf<T>>, DispatchError> {
		Jurors::<T>::get(dispute, juror)
			.filter(|s| s.round == d.round())
			.ok_or_else(|| Error::<T>::NotAJuror.into())
	}

	/// Plans the jury draw of `dispute` in the first block from `EvidencePeriod` blocks on
	/// that has room, at most [`MAX_DRAW_DELAY`] blocks later. When every one of those is
	/// full, the draw is left unplanned at the last of them, and [`Pallet::advance`] makes it
	/// once that block has passed: a full queue delays a jury, it never costs a side the
	/// dispute.
	fn schedule_draw(dispute: DisputeId) -> BlockNumberFor<T> {
		// At least the next block: this block's initialisation has run.
		let first =
			Self::now().saturating_add(T::EvidencePeriod::get()).saturating_add(1u32.into());
		for delay in 0..=MAX_DRAW_DELAY {
			let at = first.saturating_add(delay.into());
			if Draws::<T>::try_mutate(at, |due| due.try_push(dispute)).is_ok() {
				return at;
			}
		}
		first.saturating_add(MAX_DRAW_DELAY.into())
	}

	/// The candidate jurors and their weights: `min(bond, BondCap) × reputation`, at most
	/// `MaxCandidates` of them, those of weight zero left out.
	fn candidates() -> Vec<(T::AccountId, u128)> {
		let cap = T::BondCap::get();
		T::Jurors::candidates()
			.into_iter()
			.take(T::MaxCandidates::get() as usize)
			.filter_map(|(who, bond, reputation)| {
				let bond: u128 = bond.min(cap).unique_saturated_into();
				let weight = bond.saturating_mul(u128::from(reputation));
				(weight > 0).then_some((who, weight))
			})
			.collect()
	}

	/// Draws the current round's jury of `dispute` from `candidates` at block `now` and opens
	/// the vote. Returns the draws made, which its weight counts: one per seat filled and one
	/// per candidate passed over because it could not put up the stake, so at most the
	/// candidates.
	fn draw_jury(
		dispute: DisputeId,
		candidates: &[(T::AccountId, u128)],
		now: BlockNumberFor<T>,
	) -> u32 {
		let Some(mut d) = Disputes::<T>::get(dispute) else { return 0 };
		if !matches!(d.phase, Phase::Evidence { .. }) {
			return 0;
		}
		let round = d.round();
		let seats = d.rounds.last().map_or(0, |r| r.jury);
		let mut pool: Vec<(T::AccountId, u128)> = candidates
			.iter()
			.filter(|(who, _)| {
				who != &d.buyer && who != &d.seller && !Jurors::<T>::contains_key(dispute, who)
			})
			.cloned()
			.collect();
		let (seed, _) = T::Randomness::random(&(JURY_SUBJECT, dispute, round).encode());
		let stake = T::JurorStake::get();
		let mut jurors = Vec::new();
		let mut draw = 0u32;
		while (jurors.len() as u32) < seats && !pool.is_empty() {
			let total: u128 = pool.iter().map(|(_, w)| *w).fold(0u128, |a, w| a.saturating_add(w));
			let pick = sp_io::hashing::blake2_128(&(seed, draw).encode());
			draw = draw.saturating_add(1);
			let mut point = u128::from_le_bytes(pick) % total.max(1);
			let mut index = pool.len() - 1;
			for (i, (_, w)) in pool.iter().enumerate() {
				if point < *w {
					index = i;
					break;
				}
				point -= *w;
			}
			let (who, _) = pool.swap_remove(index);
			// A juror who cannot put up the stake is passed over.
			if Self::hold(HoldReason::JurorStake, &who, stake).is_err() {
				continue;
			}
			Jurors::<T>::insert(
				dispute,
				&who,
				Seat { round, stake, commitment: None, vote: None, denounced: false },
			);
			jurors.push(who);
		}
		if jurors.is_empty() {
			// Nobody to judge: the round rules for nobody, which either side may appeal.
			let appeal_until = now.saturating_add(T::AppealPeriod::get());
			d.phase = Phase::Appealable { ruling: None, until: appeal_until };
			Disputes::<T>::insert(dispute, d);
			Self::deposit_event(Event::RoundRuled {
				dispute,
				round,
				ruling: None,
				votes: (0, 0),
				appeal_until,
			});
			return draw;
		}
		let commit_until = now.saturating_add(T::CommitPeriod::get());
		let reveal_until = commit_until.saturating_add(T::RevealPeriod::get());
		d.phase = Phase::Voting { commit_until, reveal_until };
		d.tally = (0, 0);
		Disputes::<T>::insert(dispute, d);
		Self::deposit_event(Event::JuryDrawn {
			dispute,
			round,
			jurors,
			commit_until,
			reveal_until,
		});
		draw
	}

	/// Ends `dispute` with `ruling`: the market settles the disputed intervals, fees and
	/// stakes are paid out, the loser is reported, and the dispute's storage is removed.
	/// Returns the seats paid.
	fn conclude(
		id: DisputeId,
		d: Dispute<T>,
		ruling: Ruling,
		by_default: bool,
	) -> Result<u32, DispatchError> {
		let fee_reason = HoldReason::Fee.into();
		let stake_reason = HoldReason::JurorStake.into();
		let seats: Vec<(T::AccountId, Seat<BalanceOf<T>>)> =
			Jurors::<T>::drain_prefix(id).collect();
		let coherent = |s: &Seat<BalanceOf<T>>| {
			!s.denounced && s.vote.is_some() && (ruling.is_none() || s.vote == ruling)
		};
		let (mut to_jurors, mut penalties, mut burnt): (BalanceOf<T>, BalanceOf<T>, BalanceOf<T>) =
			Default::default();
		for (round, fees) in d.rounds.iter().enumerate() {
			let round = round as u32;
			let winners: Vec<&T::AccountId> = seats
				.iter()
				.filter(|(_, s)| s.round == round && coherent(s))
				.map(|(who, _)| who)
				.collect();
			// The fees: the winner's back; the loser's to the round's coherent jurors (what
			// does not divide evenly, or all when there are none, to the winner).
			match ruling {
				None => {
					Self::release(&fee_reason, &d.buyer, fees.buyer)?;
					Self::release(&fee_reason, &d.seller, fees.seller)?;
				}
				Some(winner) => {
					let (w, l) = (d.account(winner), d.account(winner.other()));
					Self::release(&fee_reason, w, fees.of(winner))?;
					let lost = fees.of(winner.other());
					let share = Self::share(lost, winners.len());
					for juror in &winners {
						Self::transfer_held(&fee_reason, l, juror, share)?;
					}
					let paid = share.saturating_mul((winners.len() as u32).into());
					to_jurors = to_jurors.saturating_add(paid);
					Self::transfer_held(&fee_reason, l, w, lost.saturating_sub(paid))?;
				}
			}
			// The stakes: every incoherent juror's penalty to the round's coherent jurors,
			// burnt when there are none.
			let mut pot: BalanceOf<T> = Zero::zero();
			let mut pot_from = Vec::new();
			for (who, seat) in seats.iter().filter(|(_, s)| s.round == round) {
				if coherent(seat) || seat.denounced {
					continue;
				}
				let penalty = T::IncoherencePenalty::get() * seat.stake;
				pot = pot.saturating_add(penalty);
				pot_from.push((who, penalty));
			}
			let share = Self::share(pot, winners.len());
			let mut owed: Vec<(&T::AccountId, BalanceOf<T>)> =
				winners.iter().map(|w| (*w, share)).collect();
			for (from, mut penalty) in pot_from {
				// Pay the coherent jurors from this penalty, as far as it goes.
				for (to, due) in owed.iter_mut() {
					let amount = (*due).min(penalty);
					if amount.is_zero() {
						continue;
					}
					Self::transfer_held(&stake_reason, from, to, amount)?;
					*due = due.saturating_sub(amount);
					penalty = penalty.saturating_sub(amount);
					penalties = penalties.saturating_add(amount);
				}
				// What does not divide evenly, or all when nobody was coherent, is burnt.
				Self::burn_held(&stake_reason, from, penalty)?;
				burnt = burnt.saturating_add(penalty);
			}
		}
		// Every juror gets back its stake less its penalty.
		for (who, seat) in &seats {
			let penalty = if coherent(seat) || seat.denounced {
				Zero::zero()
			} else {
				T::IncoherencePenalty::get() * seat.stake
			};
			Self::release(&stake_reason, who, seat.stake.saturating_sub(penalty))?;
		}
		let _ = EvidenceOf::<T>::clear_prefix(id, d.evidence_count(), None);
		Disputes::<T>::remove(id);
		OrderDisputes::<T>::remove(d.order);
		if let Some(winner) = ruling {
			T::Reputation::note(d.account(winner.other()), Signal::DisputeLost);
		}
		// The market settles the disputed intervals as ruled; if it cannot (which its own
		// rules should make impossible), the dispute still ends, with the failure reported.
		if let Err(error) =
			frame_support::storage::with_storage_layer(|| T::Orders::rule(d.order, ruling))
		{
			Self::deposit_event(Event::RulingNotApplied { dispute: id, order: d.order, error });
		}
		Self::deposit_event(Event::DisputeConcluded {
			dispute: id,
			order: d.order,
			ruling,
			by_default,
			to_jurors,
			penalties,
			burnt,
		});
		Ok(seats.len() as u32)
	}

	/// `amount` divided among `n` (rounded down), zero for nobody.
	fn share(amount: BalanceOf<T>, n: usize) -> BalanceOf<T> {
		if n == 0 {
			return Zero::zero();
		}
		amount / (n as u32).into()
	}

	fn hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&reason.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	fn release(
		reason: &T::RuntimeHoldReason,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::release(reason, who, amount, Precision::Exact).map(|_| ())
	}

	/// Moves `amount` held from `from` to `to`'s free balance. `Force`: what is held was
	/// committed when it was put up.
	fn transfer_held(
		reason: &T::RuntimeHoldReason,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		if amount.is_zero() || from == to {
			return Self::release(reason, from, amount);
		}
		T::Currency::transfer_on_hold(
			reason,
			from,
			to,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		)
		.map(|_| ())
	}

	fn burn_held(
		reason: &T::RuntimeHoldReason,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::burn_held(reason, who, amount, Precision::Exact, Fortitude::Force).map(|_| ())
	}

	/// Checks the pallet's invariants: ids below the next one; one running dispute per order,
	/// both ways; every dispute's rounds within bounds, its current round's fees paid as its
	/// phase says and its evidence counted; every seat in a round of its dispute, at most the
	/// round's jury; every planned draw in the future and of a dispute waiting for it; and
	/// every account's fee and stake holds exactly what the disputes say.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut fees: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut stakes: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let next = NextDisputeId::<T>::get();
		let now = Self::now();
		for (id, d) in Disputes::<T>::iter() {
			ensure!(id < next, "dispute id not below NextDisputeId");
			ensure!(OrderDisputes::<T>::get(d.order) == Some(id), "dispute not its order's");
			ensure!(!d.rounds.is_empty(), "dispute without a round");
			ensure!(
				d.rounds.iter().all(|r| r.jury <= T::MaxJury::get() && r.jury % 2 == 1),
				"a round's jury is even or above MaxJury"
			);
			for (i, r) in d.rounds.iter().enumerate() {
				let current = i + 1 == d.rounds.len();
				let waiting = matches!(d.phase, Phase::Funding { .. });
				let paid = [r.buyer, r.seller].iter().filter(|f| !f.is_zero()).count();
				ensure!(
					paid == 2 || (current && waiting && paid == 1),
					"a round's fees do not match the dispute's phase"
				);
				for (who, amount) in [(&d.buyer, r.buyer), (&d.seller, r.seller)] {
					let f = fees.entry(who.clone()).or_insert_with(Zero::zero);
					*f = f.saturating_add(amount);
				}
			}
			ensure!(
				d.evidence.0 <= T::MaxEvidence::get()
					&& d.evidence.1 <= T::MaxEvidence::get()
					&& EvidenceOf::<T>::iter_prefix(id).count() as u32 == d.evidence_count(),
				"evidence count wrong"
			);
			let mut per_round = alloc::vec![0u32; d.rounds.len()];
			for (who, seat) in Jurors::<T>::iter_prefix(id) {
				ensure!(who != d.buyer && who != d.seller, "a party sits on its own jury");
				let n = per_round.get_mut(seat.round as usize).ok_or("seat in no round")?;
				*n += 1;
				ensure!(!seat.denounced || seat.stake.is_zero(), "denounced juror keeps a stake");
				let s = stakes.entry(who).or_insert_with(Zero::zero);
				*s = s.saturating_add(seat.stake);
			}
			for (n, r) in per_round.iter().zip(d.rounds.iter()) {
				ensure!(*n <= r.jury, "more seats than the round's jury");
			}
			if let Phase::Evidence { draw_at } = d.phase {
				// Planned in a future block, or left for `advance` (the queue was full).
				ensure!(
					draw_at > now || !Draws::<T>::get(draw_at).contains(&id),
					"a planned jury draw in the past"
				);
			}
		}
		for (order, id) in OrderDisputes::<T>::iter() {
			ensure!(
				Disputes::<T>::get(id).is_some_and(|d| d.order == order),
				"order dispute of no dispute"
			);
		}
		for (at, due) in Draws::<T>::iter() {
			ensure!(at > now, "a planned draw in the past");
			for id in due {
				ensure!(
					Disputes::<T>::get(id)
						.is_some_and(|d| d.phase == Phase::Evidence { draw_at: at }),
					"a planned draw of a dispute not waiting for it"
				);
			}
		}
		for (who, amount) in fees {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Fee.into(), &who) == amount,
				"fee hold does not match the account's disputes"
			);
		}
		for (who, amount) in stakes {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::JurorStake.into(), &who) == amount,
				"stake hold does not match the account's seats"
			);
		}
		Ok(())
	}
}
