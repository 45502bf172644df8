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
