//! Benchmarks of the access-control pallet (frame-benchmarking v2).
//!
//! Each benchmark sets up the worst case its extrinsic can meet: grants naming as many
//! proxies as allowed, each with a credited receipt to clear, and attestations with as many
//! receipts as allowed, each naming the attesting proxy last and carrying a real signature.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;

/// A funded account.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, index, 0);
	fund::<T>(&who);
	who
}

/// Funds `who` for every deposit and bond a benchmark takes.
fn fund<T: Config>(who: &T::AccountId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let per_use = T::GrantDeposit::get()
		.saturating_add(T::ProxyBond::get())
		.saturating_add(T::KeyDeposit::get());
	let amount =
		per_use.saturating_mul(1_000u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, amount);
}

/// A SHA2-256 `PeerId` (the form every key type may take).
fn peer_id<T: Config>(fill: u8) -> BoundedVec<u8, T::MaxPeerIdLen> {
	let mut bytes = alloc::vec![0x12, 0x20];
	bytes.extend([fill; 32]);
	BoundedVec::truncate_from(bytes)
}

fn reencryption_key() -> ReencryptionKey {
	let mut key = [7u8; cpchain_primitives::access::REENCRYPTION_KEY_LEN];
	key[0] = 0x02;
	key
}

fn umbral_keys() -> UmbralKeys {
	let mut verifying = reencryption_key();
	verifying[0] = 0x03;
	UmbralKeys { public: reencryption_key(), verifying }
}

/// Umbral keys for `who`, put in place without a deposit (grantees need not be funded).
fn publish<T: Config>(who: &T::AccountId) {
	UmbralKeysOf::<T>::insert(who, PublishedKeys { keys: umbral_keys(), deposit: Zero::zero() });
}

/// Registered proxy number `index`.
fn proxy<T: Config>(index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>("proxy", index);
	Pallet::<T>::register_proxy(
		RawOrigin::Signed(who.clone()).into(),
		peer_id::<T>(index as u8),
		reencryption_key(),
	)
	.expect("funded, new proxy; qed");
	who
}

/// `p` registered proxies, `last` the last of them if given.
fn proxies<T: Config>(
	p: u32,
	last: Option<T::AccountId>,
) -> BoundedVec<T::AccountId, T::MaxProxiesPerGrant>
where
	T::Currency: Mutate<T::AccountId>,
{
	let others = if last.is_some() { p.saturating_sub(1) } else { p };
	let mut list: alloc::vec::Vec<_> = (0..others).map(|i| proxy::<T>(1_000 + i)).collect();
	list.extend(last);
	BoundedVec::truncate_from(list)
}

/// A grant of interval 0 of a new stream of `owner` to `grantee` through `list`, with a
/// credited receipt per proxy.
fn grant_with<T: Config>(
	owner: &T::AccountId,
	grantee: &T::AccountId,
	list: BoundedVec<T::AccountId, T::MaxProxiesPerGrant>,
	with_receipts: bool,
) -> GrantId {
	let stream = T::BenchmarkHelper::stream_of(owner);
	publish::<T>(owner);
	publish::<T>(grantee);
	let id = NextGrantId::<T>::get();
	let threshold = list.len() as u32;
	let expires_at = frame_system::Pallet::<T>::block_number().saturating_add(1_000u32.into());
	if with_receipts {
		for proxy in &list {
			Credited::<T>::insert(id, proxy, 1);
		}
	}
	Pallet::<T>::grant(
		RawOrigin::Signed(owner.clone()).into(),
		stream,
		grantee.clone(),
		IntervalRange { first: 0, last: 0 },
		expires_at,
		list,
		threshold,
	)
	.expect("owner's stream, registered proxies; qed");
	id
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn grant(p: Linear<1, { T::MaxProxiesPerGrant::get() }>) {
		let owner = funded::<T>("owner", 0);
		let stream = T::BenchmarkHelper::stream_of(&owner);
		let grantee: T::AccountId = account("grantee", 0, 0);
		publish::<T>(&owner);
		publish::<T>(&grantee);
		let list = proxies::<T>(p, None);
		let expires_at = frame_system::Pallet::<T>::block_number().saturating_add(1_000u32.into());

		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			stream,
			grantee.clone(),
			IntervalRange { first: 0, last: 0 },
			expires_at,
			list,
			p,
		);

		assert!(Pallet::<T>::is_authorized(&grantee, stream, 0));
		assert!(GrantKeysOf::<T>::iter_keys().next().is_some());
	}

	#[benchmark]
	fn revoke(p: Linear<1, { T::MaxProxiesPerGrant::get() }>) {
		let owner = funded::<T>("owner", 0);
		let grantee: T::AccountId = account("grantee", 0, 0);
		let id = grant_with::<T>(&owner, &grantee, proxies::<T>(p, None), true);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert!(Grants::<T>::get(id).is_none());
	}

	#[benchmark]
	fn remove_expired(p: Linear<1, { T::MaxProxiesPerGrant::get() }>) {
		let owner = funded::<T>("owner", 0);
		let grantee: T::AccountId = account("grantee", 0, 0);
		let id = grant_with::<T>(&owner, &grantee, proxies::<T>(p, None), true);
		let expires_at = Grants::<T>::get(id).map(|g| g.expires_at).unwrap_or_default();
		frame_system::Pallet::<T>::set_block_number(expires_at);
		let caller = funded::<T>("caller", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);

		assert!(Grants::<T>::get(id).is_none());
	}

	#[benchmark]
	fn register_proxy() {
		let who = funded::<T>("proxy", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), peer_id::<T>(0), reencryption_key());

		assert!(Proxies::<T>::contains_key(&who));
	}

	#[benchmark]
	fn unregister_proxy() {
		let who = proxy::<T>(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(Proxies::<T>::get(&who).is_some_and(|p| p.status != ProxyStatus::Active));
	}

	#[benchmark]
	fn withdraw_proxy() {
		let who = proxy::<T>(0);
		Pallet::<T>::unregister_proxy(RawOrigin::Signed(who.clone()).into())
			.expect("active proxy; qed");
		let until =
			frame_system::Pallet::<T>::block_number().saturating_add(T::ProxyUnbondDelay::get());
		frame_system::Pallet::<T>::set_block_number(until);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!Proxies::<T>::contains_key(&who));
	}

	#[benchmark]
	fn attest_service(n: Linear<1, { T::MaxReceiptsPerCall::get() }>) {
		let owner = funded::<T>("owner", 0);
		let attester = proxy::<T>(0);
		let genesis = Pallet::<T>::genesis_hash();
		let list = proxies::<T>(T::MaxProxiesPerGrant::get(), Some(attester.clone()));
		let mut receipts = alloc::vec::Vec::new();
		for _ in 0..n {
			let grantee = T::BenchmarkHelper::signer();
			let id = grant_with::<T>(&owner, &grantee, list.clone(), false);
			let message = receipt_payload(genesis, id, &attester, 1);
			let signature = T::BenchmarkHelper::sign(&grantee, &message);
			receipts.push(Receipt { grant: id, total_served: 1, signature });
		}
		let receipts = BoundedVec::truncate_from(receipts);

		#[extrinsic_call]
		_(RawOrigin::Signed(attester.clone()), receipts);

		let served = Proxies::<T>::get(&attester).map(|p| p.served).unwrap_or_default();
		assert_eq!(served, u64::from(n.min(T::MaxServedPerPeriod::get())));
	}

	/// The first publication: a deposit is held.
	#[benchmark]
	fn set_umbral_keys() {
		let who = funded::<T>("owner", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), umbral_keys());

		assert!(UmbralKeysOf::<T>::contains_key(&who));
	}

	#[benchmark]
	fn clear_umbral_keys() {
		let who = funded::<T>("owner", 0);
		Pallet::<T>::set_umbral_keys(RawOrigin::Signed(who.clone()).into(), umbral_keys())
			.expect("funded, well-formed keys; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!UmbralKeysOf::<T>::contains_key(&who));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
