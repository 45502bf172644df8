//! # DPoR consensus pallet
//!
//! The runtime side of DPoR's consensus engine. Every DPoR block carries a pre-runtime digest
//! ([`PreDigest`]) with its term, its view, its author's committee index and a VRF output.
//! This pallet reads it at the start of each block and:
//!
//! - names the block's author ([`FindAuthor`]), for `pallet-authorship` and reputation;
//! - checks the VRF output against the author's committee key and the term's randomness, and
//!   folds it into an accumulator: the election seed ([`Randomness`]), which no block author
//!   can choose, only withhold (the VRF output is unique for its key and input);
//! - fixes each term's randomness (the VRF input of its blocks) when the term starts;
//! - lowers the reputation of impeached leaders: a block built at view `v` proves that the
//!   leaders of views `0..v` of its height were voted out (members enter view `v` only after a
//!   quorum timed out on view `v - 1`), so each of them gets a [`Signal::SlotMissed`] and a
//!   [`Signal::Impeached`];
//! - takes equivocation reports ([`Pallet::report_equivocation`]): two different votes signed
//!   by one committee member for one height, view and phase cost it a
//!   [`Signal::Equivocated`] (penalty points and part of its bond, in the reputation pallet).
//!   Proofs are checked against the consensus keys frozen for the votes' term, so key changes
//!   after the fact void nothing. Reports are unsigned transactions that only the node that
//!   saw the equivocation submits (through `DporApi`), checked again when included;
//! - takes seal-equivocation reports ([`Pallet::report_seal_equivocation`]): two different
//!   headers sealed by the leader of one height and view (the node's block import notices the
//!   second) cost the leader the same.
//!
//! The committee itself is elected by `pallet-committee`; this pallet only reads it through
//! [`CommitteeProvider`]. The pallet never rejects a block: the node's block verifier
//! refuses blocks whose pre-digest, leader, seal or VRF is wrong before they are executed,
//! and a pre-digest that does not check out here is ignored (logged), never trusted.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod testing_utils;
#[cfg(test)]
mod tests;
pub mod weights;

use cpchain_primitives::{
	committee::{CommitteeProvider, TermIndex},
	consensus::{
		leader, seal_payload, vrf_input, AuthorityId, EquivocationProof, Phase, PreDigest,
		SealEquivocationProof, MAX_PROOF_HEADER_LEN, VRF_OUTPUT_CONTEXT,
	},
	reputation::{ReputationSink, Signal},
};
use frame_support::{
	pallet_prelude::*,
	traits::{FindAuthor, OneSessionHandler, Randomness},
	ConsensusEngineId,
};
use frame_system::pallet_prelude::*;
use sp_core::crypto::VrfPublic;
use sp_core::H256;
use sp_runtime::{
	traits::UniqueSaturatedInto,
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionSource, TransactionValidity,
		TransactionValidityError, ValidTransaction,
	},
	RuntimeAppPublic,
};

pub use pallet::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::dpor";

/// Domain of a term's randomness, derived from the accumulator when the term starts.
pub const TERM_RANDOMNESS_DOMAIN: &[u8] = b"cpchain/dpor/term-randomness/v1";

/// Sets up the committee for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `members` (accounts with their consensus keys, in slot order) the committee
	/// that [`CommitteeProvider::committee_of_block`] returns for block `height`, each member
	/// one whose signals the reputation system records (the worst case).
	fn set_committee(height: u64, members: alloc::vec::Vec<(AccountId, AuthorityId)>);
}

/// How many blocks an equivocation report stays valid in the transaction pool.
pub const REPORT_LONGEVITY: u64 = 64;

// Equivocation reports are unsigned transactions checked by `ValidateUnsigned`, deprecated in
// favour of `#[pallet::authorize]` (which needs `frame_system::AuthorizeCall` in the runtime's
// transaction extensions, a change for every client): kept until that migration.
// (The macro's deprecation check binds a unit value.)
#[allow(deprecated, clippy::let_unit_value)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version (none of its storage has been migrated yet).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<Hash = H256> + frame_system::offchain::CreateBare<Call<Self>>
	{
		/// The committee of each block.
		type Committee: CommitteeProvider<Self::AccountId>;
		/// Where impeachments are reported.
		type Reputation: ReputationSink<Self::AccountId>;
		/// The largest committee (bounds the impeachment loop).
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;
		/// Weights of the hook and the extrinsic, from the benchmarks.
		type WeightInfo: WeightInfo;
		/// Sets up committees for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The term whose randomness [`TermRandomness`] holds.
	#[pallet::storage]
	pub type CurrentTerm<T: Config> = StorageValue<_, TermIndex, OptionQuery>;

	/// The randomness of the current term: the VRF input of its blocks, fixed when it starts.
	#[pallet::storage]
	pub type TermRandomness<T: Config> = StorageValue<_, [u8; 32], ValueQuery>;

	/// A hash chain over every checked VRF output since genesis: the election seed.
	#[pallet::storage]
	pub type Accumulator<T: Config> = StorageValue<_, [u8; 32], ValueQuery>;

	/// Equivocations already punished, by (voter account, height, view, phase): each is
	/// punished once. Grows only with proven misbehaviour of committee members.
	#[pallet::storage]
	pub type Reported<T: Config> =
		StorageMap<_, Blake2_128Concat, (T::AccountId, u64, u32, Phase), (), OptionQuery>;

	/// Seal equivocations already punished, by (leader account, height, view): each is
	/// punished once. Grows only with proven misbehaviour of committee members.
	#[pallet::storage]
	pub type ReportedSeals<T: Config> =
		StorageMap<_, Blake2_128Concat, (T::AccountId, u64, u32), (), OptionQuery>;

	#[pallet::error]
	pub enum Error<T> {
		/// The two votes are not by one voter for one height, view and phase with different
		/// blocks.
		NotAnEquivocation,
		/// The votes name another term than the one of their height.
		WrongTerm,
		/// The voter index is not in the committee of that height.
		UnknownVoter,
		/// A signature does not verify with the voter's committee key.
		BadSignature,
		/// This equivocation was already reported.
		AlreadyReported,
		/// A header of the proof is longer than `MAX_PROOF_HEADER_LEN` bytes.
		HeaderTooLong,
		/// The headers' author is not the leader of their height and view.
		NotTheLeader,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Reports a committee member that signed two different votes for one height, view
		/// and phase. Unsigned: only the node that saw both votes submits it (local
		/// transactions only), and it is checked again when included. The member gets an
		/// `Equivocated` penalty in the reputation system.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::report_equivocation(T::MaxCommitteeSize::get()))]
		pub fn report_equivocation(
			origin: OriginFor<T>,
			proof: alloc::boxed::Box<EquivocationProof>,
		) -> DispatchResult {
			ensure_none(origin)?;
			let who = Self::check_equivocation(&proof)?;
			let d = &proof.first.data;
			Reported::<T>::insert((who.clone(), d.height, d.view, d.phase), ());
			T::Reputation::note(&who, Signal::Equivocated);
			Self::deposit_event(Event::EquivocationReported {
				who,
				height: d.height,
				view: d.view,
			});
			Ok(())
		}

		/// Reports a leader that sealed two different headers for one height and view (a
		/// leader makes one block per view). Unsigned, like `report_equivocation`: submitted by
		/// the node whose block import saw both headers, checked again when included. The
		/// leader gets an `Equivocated` penalty in the reputation system.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::report_seal_equivocation(T::MaxCommitteeSize::get()))]
		pub fn report_seal_equivocation(
			origin: OriginFor<T>,
			proof: alloc::boxed::Box<SealEquivocationProof<HeaderFor<T>>>,
		) -> DispatchResult {
			ensure_none(origin)?;
			let (who, height, view) = Self::check_seal_equivocation(&proof)?;
			ReportedSeals::<T>::insert((who.clone(), height, view), ());
			T::Reputation::note(&who, Signal::Equivocated);
			Self::deposit_event(Event::SealEquivocationReported { who, height, view });
			Ok(())
		}
	}

	#[pallet::validate_unsigned]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		fn validate_unsigned(source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			// Reports come from the node that saw the offence, or inside blocks.
			if !matches!(source, TransactionSource::Local | TransactionSource::InBlock) {
				return InvalidTransaction::Call.into();
			}
			let valid = match call {
				Call::report_equivocation { proof } => {
					Self::check_equivocation(proof).map_err(|_| InvalidTransaction::BadProof)?;
					let d = &proof.first.data;
					ValidTransaction::with_tag_prefix("DporEquivocation").and_provides((
						proof.first.voter,
						d.term,
						d.height,
						d.view,
						d.phase,
					))
				}
				Call::report_seal_equivocation { proof } => {
					let (who, height, view) = Self::check_seal_equivocation(proof)
						.map_err(|_| InvalidTransaction::BadProof)?;
					ValidTransaction::with_tag_prefix("DporSealEquivocation")
						.and_provides((who, height, view))
				}
				_ => return InvalidTransaction::Call.into(),
			};
			valid
				.priority(TransactionPriority::MAX)
				.longevity(REPORT_LONGEVITY)
				.propagate(false)
				.build()
		}

		fn pre_dispatch(call: &Self::Call) -> Result<(), TransactionValidityError> {
			let checked = match call {
				Call::report_equivocation { proof } => Self::check_equivocation(proof).map(|_| ()),
				Call::report_seal_equivocation { proof } => {
					Self::check_seal_equivocation(proof).map(|_| ())
				}
				_ => return Err(InvalidTransaction::Call.into()),
			};
			checked.map_err(|_| InvalidTransaction::BadProof.into())
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The leader of `view` at this height was voted out by its committee.
		LeaderImpeached {
			/// The leader's account.
			who: T::AccountId,
			/// The view it led.
			view: u32,
		},
		/// A block's VRF output did not check out and was not used (the block came from a node
		/// that skipped the engine's verifier).
		InvalidVrf {
			/// The committee index the block claims as its author.
			author: u32,
		},
		/// A committee member was proven to have signed two different votes.
		EquivocationReported {
			/// The member's account.
			who: T::AccountId,
			/// The height of the votes.
			height: u64,
			/// Their view.
			view: u32,
		},
		/// A leader was proven to have sealed two different blocks for one height and view.
		SealEquivocationReported {
			/// The leader's account.
			who: T::AccountId,
			/// The height of the blocks.
			height: u64,
			/// Their view.
			view: u32,
		},
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_block(now.unique_saturated_into())
		}

		fn integrity_test() {
			assert!(T::MaxCommitteeSize::get() > 0, "MaxCommitteeSize must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants: the term whose randomness is stored is the term of the
	/// current block (every block's hook fixes it), and a term's randomness is set exactly
	/// when a term is (a BLAKE2 output is never all zeroes in practice).
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		match CurrentTerm::<T>::get() {
			None => {
				ensure!(TermRandomness::<T>::get() == [0; 32], "a term randomness without a term")
			}
			Some(term) => {
				let now: u64 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
				let (expected, _) = T::Committee::committee_of_block(now);
				ensure!(term == expected, "the stored term is not the current block's");
				ensure!(TermRandomness::<T>::get() != [0; 32], "a term without randomness");
			}
		}
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// Checks an equivocation proof against the committee of its height and the chain's
	/// genesis hash, and that it was not reported before; returns the offender.
	pub fn check_equivocation(proof: &EquivocationProof) -> Result<T::AccountId, Error<T>> {
		ensure!(proof.is_equivocation(), Error::<T>::NotAnEquivocation);
		let d = &proof.first.data;
		let (term, members) = T::Committee::committee_of_block(d.height);
		ensure!(term == d.term, Error::<T>::WrongTerm);
		let (who, key) =
			members.get(proof.first.voter as usize).ok_or(Error::<T>::UnknownVoter)?.clone();
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
		for vote in [&proof.first, &proof.second] {
			ensure!(
				key.verify(&vote.data.signing_payload(&genesis), &vote.signature),
				Error::<T>::BadSignature
			);
		}
		ensure!(
			!Reported::<T>::contains_key((who.clone(), d.height, d.view, d.phase)),
			Error::<T>::AlreadyReported
		);
		Ok(who)
	}

	/// Checks a seal-equivocation proof: both headers within [`MAX_PROOF_HEADER_LEN`], one
	/// (height, term, view, author) with different contents, the author the leader of that
	/// height and view in the committee frozen for the term, both seals by its key over this
	/// chain's genesis, not reported before. Returns the leader, the height and the view.
	pub fn check_seal_equivocation(
		proof: &SealEquivocationProof<HeaderFor<T>>,
	) -> Result<(T::AccountId, u64, u32), Error<T>> {
		for header in [&proof.first, &proof.second] {
			ensure!(
				header.encoded_size() <= MAX_PROOF_HEADER_LEN as usize,
				Error::<T>::HeaderTooLong
			);
		}
		let offence = proof.offence().ok_or(Error::<T>::NotAnEquivocation)?;
		let (term, members) = T::Committee::committee_of_block(offence.height);
		ensure!(term == offence.term, Error::<T>::WrongTerm);
		let n = u32::try_from(members.len()).map_err(|_| Error::<T>::UnknownVoter)?;
		ensure!(offence.author < n, Error::<T>::UnknownVoter);
		ensure!(
			offence.author == leader(offence.height, offence.view, n),
			Error::<T>::NotTheLeader
		);
		let (who, key) =
			members.get(offence.author as usize).ok_or(Error::<T>::UnknownVoter)?.clone();
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
		for (pre_hash, signature) in &offence.seals {
			ensure!(
				key.verify(&seal_payload(&genesis, pre_hash), signature),
				Error::<T>::BadSignature
			);
		}
		ensure!(
			!ReportedSeals::<T>::contains_key((who.clone(), offence.height, offence.view)),
			Error::<T>::AlreadyReported
		);
		Ok((who, offence.height, offence.view))
	}

	/// Submits `proof` as an unsigned `report_seal_equivocation` transaction to the local pool
	/// (called by the node through `DporApi`, with the off-chain pool extension registered).
	pub fn submit_unsigned_seal_equivocation_report(
		proof: SealEquivocationProof<HeaderFor<T>>,
	) -> Option<()> {
		use frame_system::offchain::{CreateBare, SubmitTransaction};
		let call = Call::report_seal_equivocation { proof: alloc::boxed::Box::new(proof) };
		let xt = <T as CreateBare<Call<T>>>::create_bare(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(xt).ok()
	}

	/// Submits `proof` as an unsigned `report_equivocation` transaction to the local pool
	/// (called by the node through `DporApi`, with the off-chain pool extension registered).
	pub fn submit_unsigned_equivocation_report(proof: EquivocationProof) -> Option<()> {
		use frame_system::offchain::{CreateBare, SubmitTransaction};
		let call = Call::report_equivocation { proof: alloc::boxed::Box::new(proof) };
		let xt = <T as CreateBare<Call<T>>>::create_bare(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(xt).ok()
	}

	/// The randomness of `term`: the stored one if `term` is the current term, otherwise what
	/// it will be when `term` starts now.
	pub fn randomness_of_term(term: TermIndex) -> [u8; 32] {
		if CurrentTerm::<T>::get() == Some(term) {
			TermRandomness::<T>::get()
		} else {
			sp_io::hashing::blake2_256(
				&(TERM_RANDOMNESS_DOMAIN, Accumulator::<T>::get(), term).encode(),
			)
		}
	}

	/// The pre-digest of the block being executed, if it has exactly one.
	pub fn pre_digest() -> Option<PreDigest> {
		let digest = frame_system::Pallet::<T>::digest();
		let mut found = None;
		for log in digest.logs() {
			if let Some(pre) =
				log.pre_runtime_try_to::<PreDigest>(&cpchain_primitives::consensus::DPOR_ENGINE_ID)
			{
				if found.is_some() {
					return None;
				}
				found = Some(pre);
			}
		}
		found
	}

	/// Runs the block hook; returns its weight: the benchmarked worst case for the block's
	/// view (a VRF check, a term start, the largest committee and the impeachments), whichever
	/// early return is taken.
	fn process_block(height: u64) -> Weight {
		let (term, members) = T::Committee::committee_of_block(height);
		let n = members.len() as u32;
		if CurrentTerm::<T>::get() != Some(term) {
			TermRandomness::<T>::put(Self::randomness_of_term(term));
			CurrentTerm::<T>::put(term);
		}
		let Some(pre) = Self::pre_digest() else { return T::WeightInfo::on_initialize(0) };
		// Views 0..pre.view of this height were impeached; at most one note per member.
		let impeached = pre.view.min(n).min(T::MaxCommitteeSize::get());
		let weight = T::WeightInfo::on_initialize(impeached);
		if pre.term != term {
			log::warn!(target: LOG_TARGET, "pre-digest of block {height} names term {} not {term}", pre.term);
			return weight;
		}
		let Some((_, key)) = members.get(pre.author as usize) else {
			log::warn!(target: LOG_TARGET, "pre-digest of block {height} names author {} of {}", pre.author, members.len());
			return weight;
		};

		let input = vrf_input(&TermRandomness::<T>::get(), term, height);
		let public: &sp_core::sr25519::Public = key.as_ref();
		let output = if public.vrf_verify(&input.clone().into_sign_data(), &pre.vrf) {
			pre.vrf.pre_output.make_bytes::<32>(VRF_OUTPUT_CONTEXT, &input, public).ok()
		} else {
			None
		};
		match output {
			Some(output) => {
				let next = sp_io::hashing::blake2_256(&(Accumulator::<T>::get(), output).encode());
				Accumulator::<T>::put(next);
			}
			None => Self::deposit_event(Event::InvalidVrf { author: pre.author }),
		}

		for view in 0..impeached {
			if let Some((who, _)) = members.get(leader(height, view, n) as usize) {
				// It missed its slot (maintenance) and was voted out (a penalty).
				T::Reputation::note(who, Signal::SlotMissed);
				T::Reputation::note(who, Signal::Impeached);
				Self::deposit_event(Event::LeaderImpeached { who: who.clone(), view });
			}
		}
		weight
	}
}

/// The author of the block being executed, from its pre-digest.
impl<T: Config> FindAuthor<T::AccountId> for Pallet<T> {
	fn find_author<'a, I>(digests: I) -> Option<T::AccountId>
	where
		I: 'a + IntoIterator<Item = (ConsensusEngineId, &'a [u8])>,
	{
		let pre = digests.into_iter().find_map(|(id, mut data)| {
			(id == cpchain_primitives::consensus::DPOR_ENGINE_ID)
				.then(|| PreDigest::decode(&mut data).ok())
				.flatten()
		})?;
		let height: u64 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		let (_, members) = T::Committee::committee_of_block(height);
		members.get(pre.author as usize).map(|(who, _)| who.clone())
	}
}

/// The election seed: a hash of `subject` and the accumulator of VRF outputs. The block number
/// returned is the current one: the seed depends on every block up to it.
impl<T: Config> Randomness<T::Hash, BlockNumberFor<T>> for Pallet<T> {
	fn random(subject: &[u8]) -> (T::Hash, BlockNumberFor<T>) {
		let seed = sp_io::hashing::blake2_256(&(subject, Accumulator::<T>::get()).encode());
		let hash = T::Hash::decode(&mut &seed[..]).unwrap_or_default();
		(hash, frame_system::Pallet::<T>::block_number())
	}
}

impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
	type Public = AuthorityId;
}

/// Session keys carry the DPoR key; the committee itself comes from pallet-committee, so a
/// new session needs no work here.
impl<T: Config> OneSessionHandler<T::AccountId> for Pallet<T> {
	type Key = AuthorityId;

	fn on_genesis_session<'a, I>(_validators: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, AuthorityId)>,
	{
	}

	fn on_new_session<'a, I>(_changed: bool, _validators: I, _queued: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, AuthorityId)>,
	{
	}

	fn on_disabled(_index: u32) {}
}
