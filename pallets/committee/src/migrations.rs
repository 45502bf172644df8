//! Storage migrations of the committee pallet.

/// Version 1: committees carry their consensus keys, frozen when elected ([`CommitteeKeys`]).
pub mod v1 {
	use crate::{Committees, Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	#[allow(unused_imports)]
	use crate::CommitteeKeys;

	/// Freezes the keys of every stored committee (the current term and the elected ones) as
	/// they are registered at the upgrade: the keys those terms would have used until now.
	pub struct FreezeKeys<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for FreezeKeys<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut terms = 0u64;
			for (term, members) in Committees::<T>::iter() {
				Pallet::<T>::freeze_keys(term, &members);
				terms = terms.saturating_add(1);
			}
			// Per term: the committee, each member's keys, one write.
			let members = u64::from(T::MaxCommitteeSize::get());
			T::DbWeight::get().reads_writes(terms.saturating_mul(members.saturating_add(1)), terms)
		}
	}

	/// [`FreezeKeys`] from storage version 0 to 1.
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, FreezeKeys<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 2: the grindable election entropy is gone. `EntropyAccumulator`, a hash chain over
/// every block's parent hash, was written in every block and read by nothing the runtime uses
/// (the election seed comes from pallet-dpor's VRF accumulator); the block author can grind a
/// parent hash, so no runtime should take it as randomness either.
pub mod v2 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::ValueQuery,
		storage_alias,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// The removed storage value, under its old key.
	#[storage_alias]
	pub type EntropyAccumulator<T: Config> =
		StorageValue<Pallet<T>, <T as frame_system::Config>::Hash, ValueQuery>;

	/// Removes [`EntropyAccumulator`].
	pub struct RemoveEntropyAccumulator<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RemoveEntropyAccumulator<T> {
		fn on_runtime_upgrade() -> Weight {
			EntropyAccumulator::<T>::kill();
			T::DbWeight::get().writes(1)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(
				!EntropyAccumulator::<T>::exists(),
				"the entropy accumulator is still stored"
			);
			Ok(())
		}
	}

	/// [`RemoveEntropyAccumulator`] from storage version 1 to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		RemoveEntropyAccumulator<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
