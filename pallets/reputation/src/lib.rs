//! # Reputation pallet
//!
//! Who may take part in DPoR, and how much the chain trusts them.
//!
//! ## Pallet API
//!
//! Dispatchables: [`Pallet::bond`], [`Pallet::bond_extra`], [`Pallet::unbond`],
//! [`Pallet::withdraw_unbonded`] and (root) [`Pallet::set_weights`]. Other pallets use it
//! through [`ReputationSink`] (report signals) and [`ReputationProvider`] (read reputations,
//! recompute them at a term boundary).
//!
//! ## Overview
//!
//! An account becomes an **RNode** by bonding at least [`Config::RNodeBond`]: the amount is
//! put on hold (a fungible hold with [`HoldReason::RNodeBond`]), not transferred. It stays an
//! RNode while its active bond is at least the minimum. Unbonding moves part of the bond into
//! an unlocking chunk that `withdraw_unbonded` releases after [`Config::UnbondDelay`] blocks;
//! an RNode that sits in the current or an elected committee cannot unbond. An RNode that
//! wants to be elected also registers its consensus session key with `session.set_keys`.
//!
//! Every RNode has a **reputation**, recomputed once per term by the committee pallet (through
//! [`ReputationProvider::recompute`]) from on-chain signals only:
//!
//! | dimension | raw value |
//! |---|---|
//! | bond | the active bond |
//! | activity | transactions sent in the window (account nonce growth) |
//! | maintenance | share of its slots in which it authored a block |
//! | data | data records registered and data sales, reported by the data and market pallets |
//! | proxy | re-encryptions served, attested through the access-control pallet |
//!
//! Each dimension becomes a rank score among all RNodes (see [`score::rank_scores`]); the
//! reputation is their weighted sum with the runtime parameter [`Weights`], reduced by a share
//! per penalty point (impeachment 1 point, lost dispute 2, equivocation 5; points halve at
//! every recomputation). Unlike the original CPChain there is no floor: a node penalised to
//! zero cannot be drawn by the election.
//!
//! A proven equivocation ([`Signal::Equivocated`]) also burns [`Config::EquivocationSlash`] of
//! the account's bond, active first, then unlocking chunks, whether or not it is still an
//! RNode; an RNode left below the minimum leaves the RNodes and the rest of its active bond
//! starts unlocking.
//!
//! ## Low Level / Implementation Details
//!
//! The RNode set is a bounded list ([`Config::MaxRNodes`]), so the recomputation is one
//! bounded pass with `O(n log n)` work, benchmarked against `n`. All arithmetic is integer and
//! saturating; the result depends only on state.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod score;
#[cfg(test)]
mod testing_utils;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

use alloc::vec::Vec;
use cpchain_primitives::{
	committee::CommitteeMembership,
	reputation::{ReputationProvider, ReputationScore, ReputationSink, Signal},
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::{Fortitude, Precision},
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	Perbill,
};

pub use pallet::*;
pub use types::{Activity, Ledger, ReputationWeights, UnlockChunk};
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::reputation";

/// Penalty points per penalty signal.
pub fn penalty_points(signal: &Signal) -> u32 {
	match signal {
		Signal::Impeached => 1,
		Signal::DisputeLost => 2,
		Signal::Equivocated => 5,
		_ => 0,
	}
}

/// Balance type of the currency that bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The ledger type of the runtime.
pub type LedgerOf<T> = Ledger<
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as frame_system::Config>::Nonce,
	<T as Config>::MaxUnlockingChunks,
>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The bond of an RNode, active or unlocking.
		#[codec(index = 0)]
		RNodeBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency that bonds are held in.
		type Currency: Inspect<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Tells whether an account is in the current or an elected committee (it then may not
		/// unbond).
		type Committee: CommitteeMembership<Self::AccountId>;

		/// The minimum active bond of an RNode.
		#[pallet::constant]
		type RNodeBond: Get<BalanceOf<Self>>;

		/// Blocks between `unbond` and the moment the amount can be withdrawn.
		#[pallet::constant]
		type UnbondDelay: Get<BlockNumberFor<Self>>;

		/// The largest number of RNodes; bounds the recomputation.
		#[pallet::constant]
		type MaxRNodes: Get<u32>;

		/// The largest number of unlocking chunks per RNode.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// The share of its bond (active and unlocking) an RNode loses, burnt, for each proven
		/// equivocation ([`Signal::Equivocated`]).
		#[pallet::constant]
		type EquivocationSlash: Get<Perbill>;

		/// Weights of this pallet's dispatchables and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The bond of every account that has bonded and not withdrawn everything yet.
	// Hasher: Blake2_128Concat, as account ids may be chosen by users (e.g. derived keys).
	#[pallet::storage]
	pub type Ledgers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, LedgerOf<T>>;

	/// The RNodes (accounts whose active bond is at least the minimum), in admission order.
	#[pallet::storage]
	pub type RNodes<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxRNodes>, ValueQuery>;

	/// Signals of each RNode gathered since the last recomputation.
	#[pallet::storage]
	pub type Activities<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Activity, ValueQuery>;

	/// The reputation of each RNode as of the last recomputation.
	#[pallet::storage]
	pub type Reputations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ReputationScore, ValueQuery>;

	/// How the dimensions of reputation are combined.
	#[pallet::storage]
	pub type Weights<T: Config> = StorageValue<_, ReputationWeights, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// RNodes bonded at genesis, with their bonds. Each gets the same initial reputation,
		/// so that the first elections treat them equally.
		pub rnodes: Vec<(T::AccountId, BalanceOf<T>)>,
		/// The weights; `None` keeps [`ReputationWeights::default`].
		pub weights: Option<ReputationWeights>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let weights = self.weights.unwrap_or_default();
			assert!(weights.is_valid(), "genesis reputation weights are invalid");
			Weights::<T>::put(weights);
			for (who, amount) in &self.rnodes {
				assert!(!Ledgers::<T>::contains_key(who), "duplicate genesis RNode");
				assert!(*amount >= T::RNodeBond::get(), "genesis RNode bond below the minimum");
				Pallet::<T>::do_bond(who, *amount).expect("genesis RNode can bond its amount");
				Reputations::<T>::insert(who, Pallet::<T>::initial_reputation(&weights));
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account bonded and became an RNode.
		Bonded { who: T::AccountId, amount: BalanceOf<T> },
		/// An RNode added to its bond.
		BondedExtra { who: T::AccountId, amount: BalanceOf<T> },
		/// An RNode started unbonding an amount, withdrawable from block `unlock_at`.
		Unbonded { who: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// An account stopped being an RNode (it unbonded everything).
		RNodeLeft { who: T::AccountId },
		/// Unlocked bond was released to the account.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// An RNode received penalty points.
		Penalised { who: T::AccountId, signal: Signal, points: u32 },
		/// Part of an account's bond was burnt for a proven equivocation.
		Slashed { who: T::AccountId, amount: BalanceOf<T> },
		/// The reputation of every RNode was recomputed.
		ReputationsRecomputed { rnodes: u32 },
		/// Root changed the reputation weights.
		WeightsSet { weights: ReputationWeights },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already an RNode; use `bond_extra` to add to its bond.
		AlreadyRNode,
		/// The account is not an RNode; `bond` first.
		NotRNode,
		/// The amount is below `RNodeBond`, or unbonding would leave an active bond below it
		/// (unbond everything or keep at least the minimum).
		BondTooLow,
		/// The amount is zero.
		ZeroAmount,
		/// The free balance cannot cover the amount to hold.
		InsufficientBalance,
		/// The list of RNodes is full (`MaxRNodes`).
		TooManyRNodes,
		/// The RNode sits in the current or an elected committee and cannot unbond until its
		/// terms are over.
		InCommittee,
		/// There are `MaxUnlockingChunks` chunks already; withdraw the unlocked ones first.
		TooManyUnlockingChunks,
		/// Unbonding more than the active bond.
		NotEnoughBonded,
		/// Nothing is unlocked yet.
		NothingToWithdraw,
		/// The account has no bond at all.
		NoLedger,
		/// A weight is above 100, or all weights are zero.
		InvalidWeights,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxRNodes::get() > 0, "MaxRNodes must be positive");
			assert!(T::MaxUnlockingChunks::get() > 0, "MaxUnlockingChunks must be positive");
			assert!(!T::RNodeBond::get().is_zero(), "RNodeBond must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Bond `amount` and become an RNode.
		///
		/// ## Dispatch Origin
		/// Signed by the account that becomes an RNode.
		///
		/// ## Details
		/// Puts `amount` on hold (it stays in the account, unusable). To be elected into a
		/// committee the RNode also registers session keys (`session.set_keys`) and claims a
		/// campaign (`committee.claim_campaign`).
		///
		/// ## Errors
		/// `ZeroAmount`, `BondTooLow` (below `RNodeBond`), `AlreadyRNode`,
		/// `InsufficientBalance`, `TooManyRNodes`.
		///
		/// ## Events
		/// `Bonded`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::bond())]
		pub fn bond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			ensure!(amount >= T::RNodeBond::get(), Error::<T>::BondTooLow);
			ensure!(!Self::is_rnode(&who), Error::<T>::AlreadyRNode);
			Self::do_bond(&who, amount)?;
			Self::deposit_event(Event::Bonded { who, amount });
			Ok(())
		}

		/// Add `amount` to the bond of an RNode.
		///
		/// ## Dispatch Origin
		/// Signed by the RNode.
		///
		/// ## Errors
		/// `ZeroAmount`, `NotRNode`, `InsufficientBalance`.
		///
		/// ## Events
		/// `BondedExtra`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Self::rnode_ledger(&who)?;
			Self::hold(&who, amount)?;
			ledger.active = ledger.active.saturating_add(amount);
			Ledgers::<T>::insert(&who, ledger);
			Self::deposit_event(Event::BondedExtra { who, amount });
			Ok(())
		}

		/// Start unbonding `amount` of an RNode's bond.
		///
		/// ## Dispatch Origin
		/// Signed by the RNode.
		///
		/// ## Details
		/// The amount stays on hold for `UnbondDelay` blocks, then `withdraw_unbonded` releases
		/// it. Unbonding the whole bond ends the RNode status at once (the account leaves the
		/// RNode list and can no longer be elected); a partial unbond must leave at least
		/// `RNodeBond`. Refused while the RNode sits in the current or an elected committee.
		///
		/// ## Errors
		/// `ZeroAmount`, `NotRNode`, `InCommittee`, `NotEnoughBonded`, `BondTooLow`,
		/// `TooManyUnlockingChunks`.
		///
		/// ## Events
		/// `Unbonded`, and `RNodeLeft` when nothing active remains.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unbond(T::MaxRNodes::get()))]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Self::rnode_ledger(&who)?;
			ensure!(!T::Committee::is_in_committee(&who), Error::<T>::InCommittee);
			ensure!(amount <= ledger.active, Error::<T>::NotEnoughBonded);
			let remaining = ledger.active.saturating_sub(amount);
			ensure!(
				remaining.is_zero() || remaining >= T::RNodeBond::get(),
				Error::<T>::BondTooLow
			);

			let unlock_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondDelay::get());
			ledger
				.unlocking
				.try_push(UnlockChunk { amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?;
			ledger.active = remaining;
			Ledgers::<T>::insert(&who, ledger);
			Self::deposit_event(Event::Unbonded { who: who.clone(), amount, unlock_at });
			if remaining.is_zero() {
				Self::leave(&who);
			}
			Ok(())
		}

		/// Release every unlocking chunk whose delay has passed.
		///
		/// ## Dispatch Origin
		/// Signed by the (former) RNode.
		///
		/// ## Details
		/// The ledger is removed once nothing is bonded or unlocking any more.
		///
		/// ## Errors
		/// `NoLedger`, `NothingToWithdraw`.
		///
		/// ## Events
		/// `Withdrawn`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded(T::MaxUnlockingChunks::get()))]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NoLedger)?;
			let chunks = ledger.unlocking.len() as u32;
			let now = frame_system::Pallet::<T>::block_number();
			let mut amount = BalanceOf::<T>::zero();
			ledger.unlocking.retain(|chunk| {
				if chunk.unlock_at <= now {
					amount = amount.saturating_add(chunk.amount);
					false
				} else {
					true
				}
			});
			ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
			T::Currency::release(&HoldReason::RNodeBond.into(), &who, amount, Precision::Exact)?;
			if ledger.active.is_zero() && ledger.unlocking.is_empty() {
				Ledgers::<T>::remove(&who);
			} else {
				Ledgers::<T>::insert(&who, ledger);
			}
			Self::deposit_event(Event::Withdrawn { who, amount });
			Ok(Some(T::WeightInfo::withdraw_unbonded(chunks)).into())
		}

		/// Set how the dimensions of reputation are combined.
		///
		/// ## Dispatch Origin
		/// Root.
		///
		/// ## Details
		/// Takes effect at the next recomputation (the next term boundary).
		///
		/// ## Errors
		/// `InvalidWeights`: a weight above 100, or all weights zero.
		///
		/// ## Events
		/// `WeightsSet`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_weights())]
		pub fn set_weights(origin: OriginFor<T>, weights: ReputationWeights) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(weights.is_valid(), Error::<T>::InvalidWeights);
			Weights::<T>::put(weights);
			Self::deposit_event(Event::WeightsSet { weights });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `who` is an RNode now.
	pub fn is_rnode(who: &T::AccountId) -> bool {
		Self::rnode_ledger(who).is_ok()
	}

	/// The ledger of `who` if it is an RNode (active bond at least the minimum).
	fn rnode_ledger(who: &T::AccountId) -> Result<LedgerOf<T>, Error<T>> {
		Ledgers::<T>::get(who)
			.filter(|ledger| ledger.active >= T::RNodeBond::get())
			.ok_or(Error::<T>::NotRNode)
	}

	/// The reputation a genesis RNode starts with: as if it ranked first by bond and had no
	/// other signal yet, which is what the first recomputation gives RNodes of equal bonds.
	/// All genesis RNodes are equal.
	fn initial_reputation(weights: &ReputationWeights) -> ReputationScore {
		score::combine(score::Ranks { bond: 100, ..Default::default() }, 0, weights)
	}

	fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		T::Currency::hold(&HoldReason::RNodeBond.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	/// Bonds `amount` for a new RNode (no active bond yet). Used by `bond` and genesis.
	fn do_bond(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let mut rnodes = RNodes::<T>::get();
		rnodes.try_push(who.clone()).map_err(|_| Error::<T>::TooManyRNodes)?;
		Self::hold(who, amount)?;
		let nonce_mark = frame_system::Pallet::<T>::account_nonce(who);
		let ledger = match Ledgers::<T>::get(who) {
			// Re-joining while an earlier bond is still unlocking: keep the chunks.
			Some(mut ledger) => {
				ledger.active = amount;
				ledger.nonce_mark = nonce_mark;
				ledger
			}
			None => Ledger { active: amount, unlocking: BoundedVec::new(), nonce_mark },
		};
		Ledgers::<T>::insert(who, ledger);
		RNodes::<T>::put(rnodes);
		Ok(())
	}

	/// Removes `who` from the RNode set (its ledger stays until everything is withdrawn).
	fn leave(who: &T::AccountId) {
		RNodes::<T>::mutate(|rnodes| rnodes.retain(|r| r != who));
		Activities::<T>::remove(who);
		Reputations::<T>::remove(who);
		Self::deposit_event(Event::RNodeLeft { who: who.clone() });
	}

	/// Recomputes every RNode's reputation and starts a new window. See the crate docs.
	pub fn do_recompute() -> Weight {
		let rnodes = RNodes::<T>::get();
		let n = rnodes.len() as u32;
		let weights = Weights::<T>::get();

		// One pass to read every RNode's state, one to rank each dimension, one to write.
		let mut entries = Vec::with_capacity(rnodes.len());
		let mut raw: [Vec<u128>; 5] = Default::default();
		for who in rnodes.into_iter() {
			let ledger = Ledgers::<T>::get(&who);
			let signals = Activities::<T>::get(&who);
			let nonce = frame_system::Pallet::<T>::account_nonce(&who);
			let (bond, sent) = match &ledger {
				Some(ledger) => (
					ledger.active.unique_saturated_into(),
					nonce.saturating_sub(ledger.nonce_mark).unique_saturated_into(),
				),
				None => (0u128, 0u128),
			};
			raw[0].push(bond);
			raw[1].push(sent);
			raw[2].push(score::maintenance_value(signals.authored, signals.missed));
			raw[3].push(u128::from(signals.data));
			raw[4].push(u128::from(signals.proxy));
			entries.push((who, ledger, nonce, signals.penalty_points));
		}
		let [bonds, activity, maintenance, data, proxy] =
			raw.map(|values| score::rank_scores(&values));
		for (i, (who, ledger, nonce, penalty_points)) in entries.into_iter().enumerate() {
			// `rank_scores` returns one score per value, so every index is in range.
			let at = |scores: &Vec<u32>| scores.get(i).copied().unwrap_or_default();
			let ranks = score::Ranks {
				bond: at(&bonds),
				activity: at(&activity),
				maintenance: at(&maintenance),
				data: at(&data),
				proxy: at(&proxy),
			};
			Reputations::<T>::insert(&who, score::combine(ranks, penalty_points, &weights));
			// A new window: counters restart, penalties halve, the nonce mark moves on.
			Activities::<T>::insert(
				&who,
				Activity { penalty_points: penalty_points / 2, ..Default::default() },
			);
			if let Some(mut ledger) = ledger {
				ledger.nonce_mark = nonce;
				Ledgers::<T>::insert(&who, ledger);
			}
		}
		Self::deposit_event(Event::ReputationsRecomputed { rnodes: n });
		T::WeightInfo::recompute(n)
	}

	/// Checks the pallet's invariants: every RNode has a ledger with at least the minimum
	/// bond, no duplicates, and the hold equals the sum of all ledgers' bonds.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let rnodes = RNodes::<T>::get();
		for (i, who) in rnodes.iter().enumerate() {
			ensure!(Self::is_rnode(who), "an RNode in the list has no sufficient bond");
			ensure!(!rnodes[..i].contains(who), "duplicate RNode in the list");
		}
		for (who, ledger) in Ledgers::<T>::iter() {
			let total = ledger
				.unlocking
				.iter()
				.fold(ledger.active, |sum, chunk| sum.saturating_add(chunk.amount));
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::RNodeBond.into(), &who) == total,
				"the held bond differs from the ledger"
			);
			ensure!(
				ledger.active.is_zero() || rnodes.contains(&who),
				"a bonded account is missing from the RNode list"
			);
		}
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// Burns [`Config::EquivocationSlash`] of `who`'s bond, active first, then unlocking
	/// chunks (latest first): an equivocator that started unbonding after the fact loses as
	/// much. When the active bond falls below the minimum, the rest of it starts unlocking
	/// (joining the latest chunk if no chunk is free) and the account leaves the RNodes.
	fn slash(who: &T::AccountId) {
		let Some(mut ledger) = Ledgers::<T>::get(who) else { return };
		let total = ledger
			.unlocking
			.iter()
			.fold(ledger.active, |sum, chunk| sum.saturating_add(chunk.amount));
		let mut due = T::EquivocationSlash::get().mul_floor(total);
		if due.is_zero() {
			return;
		}
		let burnt = match T::Currency::burn_held(
			&HoldReason::RNodeBond.into(),
			who,
			due,
			Precision::BestEffort,
			Fortitude::Force,
		) {
			Ok(burnt) => burnt,
			Err(e) => {
				log::error!(target: LOG_TARGET, "cannot burn the bond of an equivocator: {e:?}");
				return;
			}
		};
		due = burnt;
		let from_active = due.min(ledger.active);
		ledger.active = ledger.active.saturating_sub(from_active);
		due = due.saturating_sub(from_active);
		for chunk in ledger.unlocking.iter_mut().rev() {
			let cut = due.min(chunk.amount);
			chunk.amount = chunk.amount.saturating_sub(cut);
			due = due.saturating_sub(cut);
		}
		ledger.unlocking.retain(|chunk| !chunk.amount.is_zero());
		let was_rnode = RNodes::<T>::get().contains(who);
		if !ledger.active.is_zero() && ledger.active < T::RNodeBond::get() {
			let unlock_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondDelay::get());
			let rest = core::mem::take(&mut ledger.active);
			if let Err(chunk) = ledger.unlocking.try_push(UnlockChunk { amount: rest, unlock_at }) {
				// No free chunk: the latest one takes it, and unlocks no earlier than this.
				if let Some(last) = ledger.unlocking.last_mut() {
					last.amount = last.amount.saturating_add(chunk.amount);
					last.unlock_at = last.unlock_at.max(unlock_at);
				}
			}
		}
		let left = was_rnode && ledger.active.is_zero();
		if ledger.active.is_zero() && ledger.unlocking.is_empty() {
			Ledgers::<T>::remove(who);
		} else {
			Ledgers::<T>::insert(who, ledger);
		}
		Self::deposit_event(Event::Slashed { who: who.clone(), amount: burnt });
		if left {
			Self::leave(who);
		}
	}
}

impl<T: Config> ReputationSink<T::AccountId> for Pallet<T> {
	fn note(who: &T::AccountId, signal: Signal) {
		if signal == Signal::Equivocated {
			// Penalty points first (while it may still be an RNode), then the bond, which is
			// hit whether or not the account is still an RNode.
			Self::note_activity(who, signal);
			Self::slash(who);
		} else {
			Self::note_activity(who, signal);
		}
	}
}

impl<T: Config> Pallet<T> {
	fn note_activity(who: &T::AccountId, signal: Signal) {
		if !Self::is_rnode(who) {
			return;
		}
		let points = penalty_points(&signal);
		Activities::<T>::mutate(who, |a| match signal {
			Signal::BlockAuthored => a.authored = a.authored.saturating_add(1),
			Signal::SlotMissed => a.missed = a.missed.saturating_add(1),
			Signal::DataContributed(n) | Signal::DataSold(n) => a.data = a.data.saturating_add(n),
			Signal::ProxyServed(n) => a.proxy = a.proxy.saturating_add(n),
			Signal::Impeached | Signal::DisputeLost | Signal::Equivocated => {
				a.penalty_points = a.penalty_points.saturating_add(points)
			}
		});
		if points > 0 {
			Self::deposit_event(Event::Penalised { who: who.clone(), signal, points });
		}
	}
}

impl<T: Config> ReputationProvider<T::AccountId> for Pallet<T> {
	fn is_rnode(who: &T::AccountId) -> bool {
		Pallet::<T>::is_rnode(who)
	}

	fn reputation(who: &T::AccountId) -> ReputationScore {
		if Pallet::<T>::is_rnode(who) {
			Reputations::<T>::get(who)
		} else {
			0
		}
	}

	fn recompute() -> Weight {
		Self::do_recompute()
	}
}
