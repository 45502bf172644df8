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
//!   quorum timed out on view `v - 1`), so each of them gets a [`Signal::Impeached`].
//!
//! The committee itself is elected by `pallet-committee`; this pallet only reads it through
//! [`CommitteeProvider`]. The pallet never rejects a block: the node's block verifier
//! refuses blocks whose pre-digest, leader, seal or VRF is wrong before they are executed,
//! and a pre-digest that does not check out here is ignored (logged), never trusted.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use cpchain_primitives::{
	consensus::{leader, vrf_input, AuthorityId, PreDigest, VRF_OUTPUT_CONTEXT},
	dpor::{ReputationSink, Signal, TermIndex},
};
use frame_support::{
	pallet_prelude::*,
	traits::{FindAuthor, OneSessionHandler, Randomness},
	ConsensusEngineId,
};
use frame_system::pallet_prelude::*;
use sp_core::crypto::VrfPublic;
use sp_runtime::traits::UniqueSaturatedInto;

pub use pallet::*;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::dpor";

/// Domain of a term's randomness, derived from the accumulator when the term starts.
pub const TERM_RANDOMNESS_DOMAIN: &[u8] = b"cpchain/dpor/term-randomness/v1";

/// The committee in charge of a block, as pallet-committee elected it.
pub trait CommitteeProvider<AccountId> {
	/// The term of block `number` and its committee, in slot order: each member's account
	/// and consensus key (members without a key are left out, on both sides alike).
	fn committee_of_block(number: u64) -> (TermIndex, Vec<(AccountId, AuthorityId)>);
}

/// Upper bound of the reference time (picoseconds) of checking one VRF output on the
/// reference machine, measured in `docs/benchmarks.md`; rounded up.
pub const VRF_VERIFY_PICOS: u64 = 200_000_000;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The committee of each block.
		type Committee: CommitteeProvider<Self::AccountId>;
		/// Where impeachments are reported.
		type Reputation: ReputationSink<Self::AccountId>;
		/// The largest committee (bounds the impeachment loop).
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;
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
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_block(now.unique_saturated_into())
		}
	}
}

impl<T: Config> Pallet<T> {
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
				log.pre_runtime_try_to::<PreDigest>(&cpchain_primitives::dpor::DPOR_ENGINE_ID)
			{
				if found.is_some() {
					return None;
				}
				found = Some(pre);
			}
		}
		found
	}

	fn process_block(height: u64) -> Weight {
		let db = T::DbWeight::get();
		let (term, members) = T::Committee::committee_of_block(height);
		let mut weight = db.reads(4);
		if CurrentTerm::<T>::get() != Some(term) {
			TermRandomness::<T>::put(Self::randomness_of_term(term));
			CurrentTerm::<T>::put(term);
			weight = weight.saturating_add(db.writes(2));
		}
		let Some(pre) = Self::pre_digest() else { return weight };
		if pre.term != term {
			log::warn!(target: LOG_TARGET, "pre-digest of block {height} names term {} not {term}", pre.term);
			return weight;
		}
		let Some((_, key)) = members.get(pre.author as usize) else {
			log::warn!(target: LOG_TARGET, "pre-digest of block {height} names author {} of {}", pre.author, members.len());
			return weight;
		};

		let input = vrf_input(&TermRandomness::<T>::get(), term, height);
		weight = weight.saturating_add(Weight::from_parts(VRF_VERIFY_PICOS, 0));
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
				weight = weight.saturating_add(db.writes(1));
			}
			None => Self::deposit_event(Event::InvalidVrf { author: pre.author }),
		}

		// Views 0..pre.view of this height were impeached; at most one note per member.
		let n = members.len() as u32;
		let impeached = pre.view.min(n).min(T::MaxCommitteeSize::get());
		for view in 0..impeached {
			if let Some((who, _)) = members.get(leader(height, view, n) as usize) {
				T::Reputation::note(who, Signal::Impeached);
				Self::deposit_event(Event::LeaderImpeached { who: who.clone(), view });
			}
		}
		weight.saturating_add(db.writes(u64::from(impeached).saturating_mul(2)))
	}
}

/// The author of the block being executed, from its pre-digest.
impl<T: Config> FindAuthor<T::AccountId> for Pallet<T> {
	fn find_author<'a, I>(digests: I) -> Option<T::AccountId>
	where
		I: 'a + IntoIterator<Item = (ConsensusEngineId, &'a [u8])>,
	{
		let pre = digests.into_iter().find_map(|(id, mut data)| {
			(id == cpchain_primitives::dpor::DPOR_ENGINE_ID)
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

	fn on_genesis_session<'a, I: 'a>(_validators: I)
	where
		I: Iterator<Item = (&'a T::AccountId, AuthorityId)>,
	{
	}

	fn on_new_session<'a, I: 'a>(_changed: bool, _validators: I, _queued: I)
	where
		I: Iterator<Item = (&'a T::AccountId, AuthorityId)>,
	{
	}

	fn on_disabled(_index: u32) {}
}
