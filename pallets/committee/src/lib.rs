//! # Committee pallet
//!
//! The runtime half of DPoR's committee: campaigns, the term schedule and the
//! reputation-weighted election of the committee that produces and finalises blocks.
//!
//! ## Pallet API
//!
//! Dispatchables: [`Pallet::claim_campaign`], [`Pallet::withdraw_campaign`] and (root)
//! [`Pallet::set_committee_size`]. The pallet drives `pallet-session` as its
//! [`SessionManager`] (one session = one term) and implements [`CommitteeMembership`] for the
//! reputation pallet.
//!
//! ## Overview
//!
//! Time is cut into **terms** of `TermLength` blocks (sessions of `pallet-session`). An
//! RNode (see the reputation pallet) with registered session keys **claims a campaign** for
//! 1..=`MaxCampaignTerms` future terms. When term `t + 1` starts, the committee of term
//! `t + 2` is elected: reputations are recomputed, and `CommitteeSize` members are drawn
//! from the campaigners of `t + 2` by reputation-weighted sampling without replacement, a
//! share of the seats coming from the lower-reputation part (see [`election::elect`]).
//! `pallet-session` queues the new committee's keys one term ahead, so the committee of term
//! `t + 2` is known a full term before it starts, and the DPoR engine follows it (it reads
//! each block's committee through `DporApi`).
//!
//! If fewer than `CommitteeSize` eligible candidates campaigned, the genesis committee
//! serves instead (or, with no genesis committee, the current one stays).
//!
//! When a term starts the pallet deposits a [`ConsensusLog::NewCommittee`] digest with the
//! members' consensus keys.
//!
//! ## Frozen keys
//!
//! The consensus keys of a committee are frozen when it is elected ([`CommitteeKeys`]): the
//! keys of term `t + 2` are fixed in the first block of term `t + 1`, a block the committee of
//! term `t + 1` finalises. A member that changes or purges its session keys later changes
//! nothing for the terms already elected: its slot keeps its key and the slot order stays,
//! so a stolen account key cannot take a consensus slot mid-term, and an equivocation is
//! checked against the key the member had in the equivocation's term. Frozen keys are kept
//! for [`KEY_HISTORY`] terms after their term ended (equivocation reports may land then).
//!
//! ## Randomness and its trust model
//!
//! The election seed comes from [`Config::Randomness`]. The CPChain runtime gives it
//! pallet-dpor's accumulator of the VRF outputs that block authors sign over (the term's
//! randomness, the term, the height): an output is unique for the key and the input, so the
//! author of the last block before an election cannot try versions of its block to pick a
//! seed; it can only withhold its block (and is impeached, the next leader's output counting
//! instead). A source that a block author can grind, such as a hash of block hashes, would
//! let one author bias the committee: the pallet had one (`EntropyAccumulator`) until storage
//! version 2, which removes it ([`migrations::v2`]).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod election;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod testing_utils;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::Encode;
use cpchain_primitives::{
	committee::{CommitteeMembership, TermIndex},
	consensus::{ConsensusLog, DPOR_ENGINE_ID},
	reputation::ReputationProvider,
};
use frame_support::{
	pallet_prelude::*,
	traits::{Contains, Randomness},
};
use frame_system::pallet_prelude::*;
use pallet_session::SessionManager;
use sp_runtime::{
	traits::{Convert, UniqueSaturatedInto},
	DigestItem, Percent,
};

pub use pallet::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::committee";

/// Prepares benchmark accounts in the runtime's own way.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an RNode with session keys and a non-zero reputation.
	fn make_eligible(who: &AccountId);
}

/// How many terms after it ended a committee's frozen keys are kept: longer than an
/// equivocation report lives in the transaction pool (64 blocks, terms of 20 or more).
pub const KEY_HISTORY: TermIndex = 4;

/// The subject under which the election asks [`Config::Randomness`] for its seed.
pub const ELECTION_SUBJECT: &[u8] = b"cpchain/committee/election";

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Who is an RNode and how reputable; recomputed before every election.
		type Reputation: ReputationProvider<Self::AccountId>;

		/// Whether an account has registered session keys (it cannot serve without them).
		type HasSessionKeys: Contains<Self::AccountId>;

		/// The consensus key of a committee member, for the `NewCommittee` digest.
		type AuthorityId: Member + Parameter + MaxEncodedLen;

		/// The consensus key of an account, if it registered one.
		type AuthorityOf: Convert<Self::AccountId, Option<Self::AuthorityId>>;

		/// The source of the election seed. See the crate docs for its trust model.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Blocks per term. Must equal the session period given to `pallet-session`.
		#[pallet::constant]
		type TermLength: Get<BlockNumberFor<Self>>;

		/// The largest committee.
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;

		/// The largest number of campaigners per term; bounds the election.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// The largest number of terms one campaign covers.
		#[pallet::constant]
		type MaxCampaignTerms: Get<u32>;

		/// The share of campaigners, lowest reputation first, that forms the low partition.
		#[pallet::constant]
		type LowReputationShare: Get<Percent>;

		/// The share of the seats drawn from the low partition at every election (rounded
		/// down: a committee of 4 with 25% gives the low partition one seat, a committee of
		/// 1 none).
		#[pallet::constant]
		type LowReputationSeats: Get<Percent>;

		/// Weights of this pallet's dispatchables and hooks.
		type WeightInfo: WeightInfo;

		/// Makes accounts eligible candidates in benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The term in progress.
	#[pallet::storage]
	pub type CurrentTerm<T> = StorageValue<_, TermIndex, ValueQuery>;

	/// The number of members to elect (3f + 1 in production; 1 on a development chain).
	#[pallet::storage]
	pub type CommitteeSize<T> = StorageValue<_, u32, ValueQuery>;

	/// The committee of each term: the current one, and those already elected.
	#[pallet::storage]
	pub type Committees<T: Config> =
		StorageMap<_, Twox64Concat, TermIndex, BoundedVec<T::AccountId, T::MaxCommitteeSize>>;

	/// The committee of each term with its members' consensus keys, in slot order, frozen when
	/// it was elected (members without keys then are left out): the current and the elected
	/// terms, and the last [`KEY_HISTORY`] terms.
	#[pallet::storage]
	pub type CommitteeKeys<T: Config> = StorageMap<
		_,
		Twox64Concat,
		TermIndex,
		BoundedVec<(T::AccountId, T::AuthorityId), T::MaxCommitteeSize>,
	>;

	/// The committee that serves whenever an election has too few candidates.
	#[pallet::storage]
	pub type GenesisCommittee<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxCommitteeSize>, ValueQuery>;

	/// Campaigners of each future term that has not been elected yet.
	#[pallet::storage]
	pub type Candidates<T: Config> = StorageMap<
		_,
		Twox64Concat,
		TermIndex,
		BoundedVec<T::AccountId, T::MaxCandidates>,
		ValueQuery,
	>;

	/// The last term each campaigner campaigns for.
	// Hasher: Blake2_128Concat, as account ids may be chosen by users.
	#[pallet::storage]
	pub type CampaignUntil<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, TermIndex>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The committee of terms 0 and 1, and the fallback committee. Empty leaves the
		/// first validators to `pallet-session`'s own genesis keys.
		pub committee: Vec<T::AccountId>,
		/// The number of members to elect; 0 means the size of `committee` (at least 1).
		pub committee_size: u32,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut sorted = self.committee.clone();
			sorted.sort();
			sorted.dedup();
			assert_eq!(sorted.len(), self.committee.len(), "duplicate genesis committee member");
			let committee: BoundedVec<_, _> = self
				.committee
				.clone()
				.try_into()
				.expect("genesis committee larger than MaxCommitteeSize");
			// 0 means "as many as the genesis committee", and at least one.
			let size = if self.committee_size == 0 {
				(committee.len() as u32).max(1)
			} else {
				self.committee_size
			};
			assert!(size >= 1, "the committee size must be at least 1");
			assert!(size <= T::MaxCommitteeSize::get(), "committee size above MaxCommitteeSize");
			CommitteeSize::<T>::put(size);
			GenesisCommittee::<T>::put(&committee);
			if !committee.is_empty() {
				Committees::<T>::insert(0, &committee);
				Committees::<T>::insert(1, &committee);
				// Whichever genesis build runs later sees the session keys: pallet-session's
				// (which asks `new_session_genesis`, freezing again) or this one.
				Pallet::<T>::freeze_keys(0, &committee);
				Pallet::<T>::freeze_keys(1, &committee);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An RNode campaigns for the terms `first..=last`.
		CampaignClaimed { who: T::AccountId, first: TermIndex, last: TermIndex },
		/// A campaigner withdrew from the terms not elected yet.
		CampaignWithdrawn { who: T::AccountId },
		/// The committee of `term` was elected (or, with `fallback`, taken from the genesis or
		/// current committee for lack of candidates).
		CommitteeElected { term: TermIndex, members: Vec<T::AccountId>, fallback: bool },
		/// A term started.
		TermStarted { term: TermIndex },
		/// Root changed the number of members to elect.
		CommitteeSizeSet { size: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only RNodes may campaign: bond first (`reputation.bond`).
		NotRNode,
		/// Register session keys first (`session.set_keys`).
		NoSessionKeys,
		/// The number of terms must be between 1 and `MaxCampaignTerms`.
		InvalidTerms,
		/// The account already campaigns for a term not elected yet; wait until it is over
		/// or withdraw.
		AlreadyCampaigning,
		/// A term already has `MaxCandidates` campaigners.
		TooManyCandidates,
		/// The account does not campaign for any term not elected yet.
		NotCampaigning,
		/// The committee size must be between 1 and `MaxCommitteeSize`.
		InvalidCommitteeSize,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxCommitteeSize::get() > 0, "MaxCommitteeSize must be positive");
			assert!(
				T::MaxCandidates::get() >= T::MaxCommitteeSize::get(),
				"MaxCandidates must allow a full committee"
			);
			assert!(T::MaxCampaignTerms::get() > 0, "MaxCampaignTerms must be positive");
			let length: u64 = T::TermLength::get().unique_saturated_into();
			assert!(length > 0, "TermLength must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Campaign for the next `terms` terms that have not been elected yet.
		///
		/// ## Dispatch Origin
		/// Signed by an RNode.
		///
		/// ## Details
		/// In term `c` the next election (at the start of `c + 1`) is for term `c + 2`, so the
		/// campaign covers `c + 2 ..= c + 1 + terms`. A campaigner that stops being an RNode
		/// or loses its keys is skipped by the elections.
		///
		/// ## Errors
		/// `NotRNode`, `NoSessionKeys`, `InvalidTerms`, `AlreadyCampaigning`,
		/// `TooManyCandidates`.
		///
		/// ## Events
		/// `CampaignClaimed`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim_campaign((*terms).min(T::MaxCampaignTerms::get())))]
		pub fn claim_campaign(origin: OriginFor<T>, terms: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Reputation::is_rnode(&who), Error::<T>::NotRNode);
			ensure!(T::HasSessionKeys::contains(&who), Error::<T>::NoSessionKeys);
			ensure!((1..=T::MaxCampaignTerms::get()).contains(&terms), Error::<T>::InvalidTerms);
			let first = Self::first_open_term();
			if let Some(until) = CampaignUntil::<T>::get(&who) {
				ensure!(until < first, Error::<T>::AlreadyCampaigning);
			}
			let last = first.saturating_add(terms - 1);
			for term in first..=last {
				Candidates::<T>::try_mutate(term, |candidates| {
					candidates.try_push(who.clone()).map_err(|_| Error::<T>::TooManyCandidates)
				})?;
			}
			CampaignUntil::<T>::insert(&who, last);
			Self::deposit_event(Event::CampaignClaimed { who, first, last });
			Ok(())
		}

		/// Withdraw from every term not elected yet.
		///
		/// ## Dispatch Origin
		/// Signed by the campaigner.
		///
		/// ## Details
		/// Terms already elected are not affected: a member serves its elected terms.
		///
		/// ## Errors
		/// `NotCampaigning`.
		///
		/// ## Events
		/// `CampaignWithdrawn`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::withdraw_campaign(T::MaxCampaignTerms::get()))]
		pub fn withdraw_campaign(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let first = Self::first_open_term();
			let until = CampaignUntil::<T>::get(&who).ok_or(Error::<T>::NotCampaigning)?;
			ensure!(until >= first, Error::<T>::NotCampaigning);
			for term in first..=until {
				Candidates::<T>::mutate(term, |candidates| candidates.retain(|c| c != &who));
			}
			CampaignUntil::<T>::remove(&who);
			Self::deposit_event(Event::CampaignWithdrawn { who });
			let terms = until.saturating_sub(first).saturating_add(1);
			Ok(Some(T::WeightInfo::withdraw_campaign(terms)).into())
		}

		/// Set the number of members elected from the next election on.
		///
		/// ## Dispatch Origin
		/// Root.
		///
		/// ## Details
		/// For BFT finality the size should be `3f + 1`.
		///
		/// ## Errors
		/// `InvalidCommitteeSize`.
		///
		/// ## Events
		/// `CommitteeSizeSet`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_committee_size())]
		pub fn set_committee_size(origin: OriginFor<T>, size: u32) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(
				(1..=T::MaxCommitteeSize::get()).contains(&size),
				Error::<T>::InvalidCommitteeSize
			);
			CommitteeSize::<T>::put(size);
			Self::deposit_event(Event::CommitteeSizeSet { size });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The first term whose committee has not been elected yet.
	pub fn first_open_term() -> TermIndex {
		CurrentTerm::<T>::get().saturating_add(2)
	}

	/// The term of the block with number `block`.
	pub fn term_of(block: BlockNumberFor<T>) -> TermIndex {
		let length = T::TermLength::get();
		let term: u64 = (block / length.max(1u32.into())).unique_saturated_into();
		term.try_into().unwrap_or(TermIndex::MAX)
	}

	/// The committee of `term`, if known.
	pub fn committee(term: TermIndex) -> Vec<T::AccountId> {
		Committees::<T>::get(term).map(|c| c.into_inner()).unwrap_or_default()
	}

	/// The consensus keys of the committee of `term`, in slot order.
	pub fn committee_keys(term: TermIndex) -> Vec<T::AuthorityId> {
		Self::frozen_committee(term).into_iter().map(|(_, key)| key).collect()
	}

	/// The committee of `term` with the consensus keys frozen when it was elected, in slot
	/// order; empty for a term not elected or forgotten.
	pub fn frozen_committee(term: TermIndex) -> Vec<(T::AccountId, T::AuthorityId)> {
		CommitteeKeys::<T>::get(term).map(|c| c.into_inner()).unwrap_or_default()
	}

	/// Freezes the consensus keys of `committee`, just elected for `term`.
	pub(crate) fn freeze_keys(term: TermIndex, committee: &[T::AccountId]) {
		let keys: Vec<_> = committee
			.iter()
			.filter_map(|who| T::AuthorityOf::convert(who.clone()).map(|key| (who.clone(), key)))
			.collect();
		// As long as the committee, which is bounded by the same constant.
		CommitteeKeys::<T>::insert(term, BoundedVec::truncate_from(keys));
	}

	/// Elects the committee of `term` from its campaigners; see the crate docs.
	fn elect(term: TermIndex) -> (BoundedVec<T::AccountId, T::MaxCommitteeSize>, bool) {
		let campaigners = Candidates::<T>::take(term);
		for who in campaigners.iter() {
			if CampaignUntil::<T>::get(who).is_some_and(|until| until <= term) {
				CampaignUntil::<T>::remove(who);
			}
		}
		let eligible: Vec<_> = campaigners
			.into_iter()
			.filter(|who| T::Reputation::is_rnode(who) && T::HasSessionKeys::contains(who))
			.map(|who| {
				let reputation = T::Reputation::reputation(&who);
				(who, reputation)
			})
			.collect();
		let size = CommitteeSize::<T>::get().min(T::MaxCommitteeSize::get());
		let (subject_hash, _) = T::Randomness::random(&(ELECTION_SUBJECT, term).encode());
		let seed = sp_io::hashing::blake2_256(subject_hash.as_ref());
		let split = election::Split {
			low_share: T::LowReputationShare::get(),
			low_seats: T::LowReputationSeats::get().mul_floor(size),
		};
		let elected = election::elect(eligible, size, split, seed);
		let filled = elected.len();
		if filled == size as usize && size > 0 {
			return (BoundedVec::truncate_from(elected), false);
		}
		let genesis = GenesisCommittee::<T>::get();
		let fallback = if genesis.is_empty() {
			Committees::<T>::get(term.saturating_sub(1)).unwrap_or_default()
		} else {
			genesis
		};
		log::info!(
			target: LOG_TARGET,
			"term {term}: only {filled} of {size} seats could be filled, the fallback committee serves",
		);
		(fallback, true)
	}

	/// Checks the pallet's invariants.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let current = CurrentTerm::<T>::get();
		let size = CommitteeSize::<T>::get();
		ensure!(size >= 1 && size <= T::MaxCommitteeSize::get(), "committee size out of range");
		for (term, members) in Committees::<T>::iter() {
			ensure!(term.saturating_add(1) >= current, "a committee older than the last term");
			let mut sorted = members.clone().into_inner();
			sorted.sort();
			sorted.dedup();
			ensure!(sorted.len() == members.len(), "duplicate committee member");
		}
		for (term, members) in Committees::<T>::iter() {
			if term < current {
				continue;
			}
			let frozen = CommitteeKeys::<T>::get(term).ok_or("a committee without frozen keys")?;
			ensure!(
				frozen.iter().all(|(who, _)| members.contains(who)),
				"a frozen key of an account outside its committee"
			);
		}
		for (term, _) in CommitteeKeys::<T>::iter() {
			ensure!(term.saturating_add(KEY_HISTORY) >= current, "frozen keys kept too long");
		}
		for (term, candidates) in Candidates::<T>::iter() {
			ensure!(term >= Self::first_open_term(), "candidates of an elected term");
			for who in candidates.iter() {
				ensure!(
					CampaignUntil::<T>::get(who).is_some_and(|until| until >= term),
					"a candidate without a campaign"
				);
			}
		}
		Ok(())
	}
}

impl<T: Config> SessionManager<T::AccountId> for Pallet<T> {
	/// Elects the committee of term `new_index` (called as term `new_index - 1` starts).
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		let recompute_weight = T::Reputation::recompute();
		let candidates = Candidates::<T>::decode_len(new_index).unwrap_or(0) as u32;
		let (committee, fallback) = Self::elect(new_index);
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			recompute_weight.saturating_add(T::WeightInfo::elect(candidates)),
			DispatchClass::Mandatory,
		);
		if committee.is_empty() {
			// Neither candidates nor any committee to fall back on: leave the session's own.
			return None;
		}
		Committees::<T>::insert(new_index, &committee);
		Self::freeze_keys(new_index, &committee);
		let members = committee.into_inner();
		Self::deposit_event(Event::CommitteeElected {
			term: new_index,
			members: members.clone(),
			fallback,
		});
		Some(members)
	}

	fn new_session_genesis(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		// Genesis: terms 0 and 1 are served by the genesis committee, stored by the genesis
		// build of this pallet if it ran first (otherwise pallet-session takes its own keys'
		// validators, and this pallet's build freezes the keys). pallet-session sets the
		// genesis keys before it asks, so the keys frozen here are complete.
		let committee = Committees::<T>::get(new_index)?;
		Self::freeze_keys(new_index, &committee);
		Some(committee.into_inner())
	}

	fn end_session(_end_index: SessionIndex) {}

	fn start_session(start_index: SessionIndex) {
		CurrentTerm::<T>::put(start_index);
		if let Some(old) = start_index.checked_sub(2) {
			Committees::<T>::remove(old);
		}
		if let Some(old) = start_index.checked_sub(KEY_HISTORY.saturating_add(1)) {
			CommitteeKeys::<T>::remove(old);
		}
		let members = Self::committee_keys(start_index);
		if !members.is_empty() {
			let log = ConsensusLog::NewCommittee { term: start_index, members };
			frame_system::Pallet::<T>::deposit_log(DigestItem::Consensus(
				DPOR_ENGINE_ID,
				log.encode(),
			));
		}
		Self::deposit_event(Event::TermStarted { term: start_index });
	}
}

impl<T: Config> CommitteeMembership<T::AccountId> for Pallet<T> {
	fn is_in_committee(who: &T::AccountId) -> bool {
		let current = CurrentTerm::<T>::get();
		(current..=current.saturating_add(2))
			.any(|term| Committees::<T>::get(term).is_some_and(|c| c.contains(who)))
	}
}

/// The index of a session of `pallet-session`: one session is one term.
pub type SessionIndex = TermIndex;
