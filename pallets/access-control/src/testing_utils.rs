//! Call helpers of the tests: each `assert_<call>` snapshots the pallet's whole state and the
//! funds of every test account, dispatches the call (which must succeed), snapshots again and
//! checks that the call changed exactly what it should and emitted its event.
//!
//! The expected snapshot is built from the first one by hand, and the whole of it is compared
//! with the second, so a call that also changes something it should not (another grant's
//! index entry, another account's hold, a reputation signal) fails the helper, not only a
//! call that forgets part of its work. This is the shape of Astar's `testing_utils`.

use crate::{
	mock::*, Credited, Event, Grant, GrantCount, GrantKeysOf, Grants, GrantsByStream, GrantsOf,
	HoldReason, NextGrantId, Proxies, Proxy, PublishedKeys, ReceiptOf, UmbralKeysOf,
};
use alloc::collections::{BTreeMap, BTreeSet};
use cpchain_pallet_test_utils::{assert_transition, StateSnapshot};
use cpchain_primitives::{
	access::{GrantId, GrantKeys, ProxyStatus, ReencryptionKey, UmbralKeys},
	data::{IntervalRange, StreamId},
	reputation::Signal,
};
use frame_support::{
	traits::{
		fungible::{Inspect, InspectHold},
		ConstU32,
	},
	BoundedVec,
};

/// What one account holds: free balance and each of the pallet's holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Funds {
	pub free: Balance,
	pub grant_deposits: Balance,
	pub proxy_bond: Balance,
	pub key_deposit: Balance,
}

/// The pallet's whole state, the funds of the test accounts and the reputation signals sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
	pub next_grant_id: GrantId,
	pub grants: BTreeMap<GrantId, Grant<Test>>,
	pub grants_by_stream: BTreeSet<(StreamId, GrantId)>,
	pub grant_count: BTreeMap<StreamId, u32>,
	pub grants_of: BTreeSet<(AccountId, StreamId, GrantId)>,
	pub umbral_keys: BTreeMap<AccountId, PublishedKeys<Test>>,
	pub grant_keys: BTreeMap<GrantId, GrantKeys>,
	pub proxies: BTreeMap<AccountId, Proxy<Test>>,
	pub credited: BTreeMap<(GrantId, AccountId), u64>,
	pub funds: BTreeMap<AccountId, Funds>,
	pub signals: Vec<(AccountId, Signal)>,
}

impl StateSnapshot for Snapshot {
	fn take() -> Self {
		let held = |reason: HoldReason, who: &AccountId| {
			Balances::balance_on_hold(&RuntimeHoldReason::AccessControl(reason), who)
		};
		Self {
			next_grant_id: NextGrantId::<Test>::get(),
			grants: Grants::<Test>::iter().collect(),
			grants_by_stream: GrantsByStream::<Test>::iter_keys().collect(),
			grant_count: GrantCount::<Test>::iter().collect(),
			grants_of: GrantsOf::<Test>::iter_keys().collect(),
			umbral_keys: UmbralKeysOf::<Test>::iter().collect(),
			grant_keys: GrantKeysOf::<Test>::iter().collect(),
			proxies: Proxies::<Test>::iter().collect(),
			credited: Credited::<Test>::iter().map(|(g, p, c)| ((g, p), c)).collect(),
			funds: [alice(), bob(), charlie(), dave(), eve(), ferdie()]
				.into_iter()
				.map(|who| {
					let funds = Funds {
						free: Balances::balance(&who),
						grant_deposits: held(HoldReason::GrantDeposit, &who),
						proxy_bond: held(HoldReason::ProxyBond, &who),
						key_deposit: held(HoldReason::KeyDeposit, &who),
					};
					(who, funds)
				})
				.collect(),
			signals: Signals::get(),
		}
	}
}

impl Snapshot {
	fn funds_of(&mut self, who: &AccountId) -> &mut Funds {
		self.funds.get_mut(who).expect("a test account")
	}
}

/// `grantor` grants `grantee` `intervals` of `stream` until `expires_at` through `proxies`
/// (`threshold` of them); returns the new grant's id.
pub fn assert_grant(
	grantor: &AccountId,
	stream: StreamId,
	grantee: &AccountId,
	intervals: IntervalRange,
	expires_at: u64,
	proxies: &[AccountId],
	threshold: u32,
) -> GrantId {
	let before = Snapshot::take();
	let id = before.next_grant_id;
	let proxies: BoundedVec<AccountId, ConstU32<MAX_PROXIES>> =
		BoundedVec::truncate_from(proxies.to_vec());
	let keys = GrantKeys {
		grantor: before.umbral_keys[grantor].keys,
		grantee: before.umbral_keys[grantee].keys.public,
	};
	let stored = proxies.clone();
	assert_transition(
		before,
		|| {
			AccessControl::grant(
				RuntimeOrigin::signed(grantor.clone()),
				stream,
				grantee.clone(),
				intervals,
				expires_at,
				proxies.clone(),
				threshold,
			)
		},
		|s| {
			s.next_grant_id = id + 1;
			s.grants.insert(
				id,
				Grant {
					stream,
					grantor: grantor.clone(),
					grantee: grantee.clone(),
					intervals,
					expires_at,
					proxies: stored,
					threshold,
					deposit: GRANT_DEPOSIT,
				},
			);
			s.grants_by_stream.insert((stream, id));
			*s.grant_count.entry(stream).or_default() += 1;
			s.grants_of.insert((grantee.clone(), stream, id));
			s.grant_keys.insert(id, keys);
			let funds = s.funds_of(grantor);
			funds.free -= GRANT_DEPOSIT;
			funds.grant_deposits += GRANT_DEPOSIT;
		},
	);
	System::assert_last_event(
		Event::GrantCreated {
			grant: id,
			stream,
			grantor: grantor.clone(),
			grantee: grantee.clone(),
			intervals,
			expires_at,
		}
		.into(),
	);
	id
}

/// The grant's removal from `s`: its entries and receipts gone, its deposit back.
fn grant_removed(s: &mut Snapshot, id: GrantId) {
	let g = s.grants.remove(&id).expect("the grant exists");
	s.grants_by_stream.remove(&(g.stream, id));
	s.grants_of.remove(&(g.grantee.clone(), g.stream, id));
	s.grant_keys.remove(&id);
	let count = s.grant_count.get_mut(&g.stream).expect("counted");
	*count -= 1;
	if *count == 0 {
		s.grant_count.remove(&g.stream);
	}
	s.credited.retain(|(grant, _), _| *grant != id);
	let funds = s.funds_of(&g.grantor);
	funds.free += g.deposit;
	funds.grant_deposits -= g.deposit;
}

/// `who` revokes grant `id`.
pub fn assert_revoke(who: &AccountId, id: GrantId) {
	assert_transition(
		Snapshot::take(),
		|| AccessControl::revoke(RuntimeOrigin::signed(who.clone()), id),
		|s| grant_removed(s, id),
	);
	System::assert_last_event(Event::GrantRevoked { grant: id, by: who.clone() }.into());
}

/// `who` removes the expired (or orphaned) grant `id`.
pub fn assert_remove_expired(who: &AccountId, id: GrantId) {
	assert_transition(
		Snapshot::take(),
		|| AccessControl::remove_expired(RuntimeOrigin::signed(who.clone()), id),
		|s| grant_removed(s, id),
	);
	System::assert_last_event(Event::GrantRemoved { grant: id }.into());
}

/// `who` registers as a proxy.
pub fn assert_register_proxy(who: &AccountId, peer_id: &[u8], key: ReencryptionKey) {
	let peer_id: BoundedVec<u8, ConstU32<64>> = BoundedVec::truncate_from(peer_id.to_vec());
	assert_transition(
		Snapshot::take(),
		|| AccessControl::register_proxy(RuntimeOrigin::signed(who.clone()), peer_id.clone(), key),
		|s| {
			s.proxies.insert(
				who.clone(),
				Proxy {
					peer_id: peer_id.clone(),
					reencryption_key: key,
					status: ProxyStatus::Active,
					bond: PROXY_BOND,
					served: 0,
					last_attested_at: None,
				},
			);
			let funds = s.funds_of(who);
			funds.free -= PROXY_BOND;
			funds.proxy_bond += PROXY_BOND;
		},
	);
	System::assert_last_event(
		Event::ProxyRegistered { proxy: who.clone(), peer_id, reencryption_key: key }.into(),
	);
}

/// `who` announces that it leaves; returns the block its bond is free from.
pub fn assert_unregister_proxy(who: &AccountId) -> u64 {
	let until = System::block_number() + UNBOND_DELAY;
	assert_transition(
		Snapshot::take(),
		|| AccessControl::unregister_proxy(RuntimeOrigin::signed(who.clone())),
		|s| s.proxies.get_mut(who).expect("a proxy").status = ProxyStatus::Leaving { until },
	);
	System::assert_last_event(Event::ProxyLeaving { proxy: who.clone(), until }.into());
	until
}

/// `who` withdraws its bond and stops being a proxy.
pub fn assert_withdraw_proxy(who: &AccountId) {
	assert_transition(
		Snapshot::take(),
		|| AccessControl::withdraw_proxy(RuntimeOrigin::signed(who.clone())),
		|s| {
			let bond = s.proxies.remove(who).expect("a proxy").bond;
			let funds = s.funds_of(who);
			funds.free += bond;
			funds.proxy_bond -= bond;
		},
	);
	System::assert_last_event(Event::ProxyWithdrawn { proxy: who.clone() }.into());
}

/// Proxy `who` attests `receipts`; returns the re-encryptions credited.
pub fn assert_attest_service(who: &AccountId, receipts: Vec<ReceiptOf<Test>>) -> u32 {
	let before = Snapshot::take();
	// The growth of every receipt over the last credited count, in order (a second receipt
	// for one grant counts from the first).
	let mut credited = before.credited.clone();
	let mut served: u64 = 0;
	for r in &receipts {
		let last = credited.insert((r.grant, who.clone()), r.total_served).unwrap_or(0);
		served += r.total_served - last;
	}
	let counted = served.min(MAX_SERVED.into()) as u32;
	let count = receipts.len() as u32;
	let now = System::block_number();
	assert_transition(
		before,
		|| {
			AccessControl::attest_service(
				RuntimeOrigin::signed(who.clone()),
				BoundedVec::truncate_from(receipts),
			)
		},
		|s| {
			s.credited = credited;
			let proxy = s.proxies.get_mut(who).expect("a proxy");
			proxy.served += u64::from(counted);
			proxy.last_attested_at = Some(now);
			s.signals.push((who.clone(), Signal::ProxyServed(counted)));
		},
	);
	System::assert_last_event(
		Event::ServiceAttested { proxy: who.clone(), receipts: count, served, credited: counted }
			.into(),
	);
	counted
}

/// `who` publishes `keys` (the first time for a deposit, later for nothing more).
pub fn assert_set_umbral_keys(who: &AccountId, keys: UmbralKeys) {
	assert_transition(
		Snapshot::take(),
		|| AccessControl::set_umbral_keys(RuntimeOrigin::signed(who.clone()), keys),
		|s| {
			let first = !s.umbral_keys.contains_key(who);
			s.umbral_keys.insert(who.clone(), PublishedKeys { keys, deposit: KEY_DEPOSIT });
			if first {
				let funds = s.funds_of(who);
				funds.free -= KEY_DEPOSIT;
				funds.key_deposit += KEY_DEPOSIT;
			}
		},
	);
	System::assert_last_event(Event::UmbralKeysSet { who: who.clone(), keys }.into());
}

/// `who` withdraws its Umbral keys and gets their deposit back.
pub fn assert_clear_umbral_keys(who: &AccountId) {
	assert_transition(
		Snapshot::take(),
		|| AccessControl::clear_umbral_keys(RuntimeOrigin::signed(who.clone())),
		|s| {
			let deposit = s.umbral_keys.remove(who).expect("published").deposit;
			let funds = s.funds_of(who);
			funds.free += deposit;
			funds.key_deposit -= deposit;
		},
	);
	System::assert_last_event(Event::UmbralKeysCleared { who: who.clone() }.into());
}
