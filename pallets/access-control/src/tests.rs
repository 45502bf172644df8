//! Unit tests of the access-control pallet: every extrinsic's happy path, errors and events,
//! deposit and bond accounting, and receipts signed with real sr25519 keys.

use crate::{
	mock::*, testing_utils::*, Credited, Error, Event, GrantCount, GrantKeysOf, Grants, HoldReason,
	Proxies, PublishedKeys, Receipt, UmbralKeysOf,
};
use cpchain_primitives::{
	access::{receipt_payload, GrantId, GrantKeys, ProxyStatus, UmbralKeys, REENCRYPTION_KEY_LEN},
	data::IntervalRange,
	reputation::Signal,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Zero, MultiSignature};

const STREAM: u64 = 0;

fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

fn peer_id(fill: u8) -> BoundedVec<u8, frame_support::traits::ConstU32<64>> {
	let mut bytes = vec![0x12, 0x20];
	bytes.extend([fill; 32]);
	BoundedVec::truncate_from(bytes)
}

fn key(fill: u8) -> [u8; REENCRYPTION_KEY_LEN] {
	let mut k = [fill; REENCRYPTION_KEY_LEN];
	k[0] = 0x02;
	k
}

fn range(first: u64, last: u64) -> IntervalRange {
	IntervalRange { first, last }
}

fn proxies(
	list: &[AccountId],
) -> BoundedVec<AccountId, frame_support::traits::ConstU32<MAX_PROXIES>> {
	BoundedVec::truncate_from(list.to_vec())
}

fn held(reason: HoldReason, who: &AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::AccessControl(reason), who)
}

fn umbral(fill: u8) -> UmbralKeys {
	UmbralKeys { public: key(fill), verifying: key(fill.wrapping_add(1)) }
}

/// Charlie and Dave registered as proxies; Alice's stream 0 has next interval 5; Alice (keys
/// 10, 11) and Bob (keys 20, 21) published Umbral keys.
fn setup() {
	set_stream(STREAM, &alice(), 5);
	for (who, fill) in [(alice(), 10), (bob(), 20)] {
		assert_set_umbral_keys(&who, umbral(fill));
	}
	for (who, fill) in [(charlie(), 1), (dave(), 2)] {
		assert_register_proxy(&who, &peer_id(fill), key(fill));
	}
}

/// Alice grants Bob intervals 0..=4 of stream 0 until block 100 through Charlie and Dave.
fn grant_bob() -> GrantId {
	assert_grant(&alice(), STREAM, &bob(), range(0, 4), 100, &[charlie(), dave()], 2)
}

fn receipt(
	signer: Sr25519Keyring,
	grant: GrantId,
	proxy: &AccountId,
	total: u64,
) -> Receipt<MultiSignature> {
	let genesis = H256::from_slice(System::block_hash(0).as_ref());
	let message = receipt_payload(genesis, grant, proxy, total);
	Receipt { grant, total_served: total, signature: signer.sign(&message).into() }
}

fn receipts(
	list: Vec<Receipt<MultiSignature>>,
) -> BoundedVec<Receipt<MultiSignature>, frame_support::traits::ConstU32<MAX_RECEIPTS>> {
	BoundedVec::truncate_from(list)
}

// ---- grants ----

#[test]
fn grant_holds_deposit_indexes_and_authorizes() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let id = grant_bob();
		assert_eq!(held(HoldReason::GrantDeposit, &alice()), GRANT_DEPOSIT);
		assert_eq!(GrantCount::<Test>::get(STREAM), 1);
		System::assert_last_event(
			Event::GrantCreated {
				grant: id,
				stream: STREAM,
				grantor: alice(),
				grantee: bob(),
				intervals: range(0, 4),
				expires_at: 100,
			}
			.into(),
		);
		assert!(AccessControl::is_authorized(&bob(), STREAM, 0));
		assert!(AccessControl::is_authorized(&bob(), STREAM, 4));
		assert!(!AccessControl::is_authorized(&bob(), STREAM, 5), "outside the range");
		assert!(!AccessControl::is_authorized(&eve(), STREAM, 0), "not the grantee");
		assert!(!AccessControl::is_authorized(&bob(), 9, 0), "another stream");
		let view = AccessControl::grant_view(id).expect("exists");
		assert_eq!((&view.grantee, view.threshold, view.proxies.len()), (&bob(), 2, 2));
		assert_eq!(AccessControl::grants_by_stream(STREAM), vec![view.clone()]);
		assert_eq!(AccessControl::grants_of(&bob()), vec![view]);
		assert!(AccessControl::grants_of(&eve()).is_empty());
	});
}

#[test]
fn grants_may_reach_into_the_future_but_not_without_end() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let last_allowed = 5 + MAX_FUTURE;
		let grant = |last| {
			AccessControl::grant(
				signed(&alice()),
				STREAM,
				bob(),
				range(3, last),
				100,
				proxies(&[charlie()]),
				1,
			)
		};
		assert_noop!(grant(last_allowed + 1), Error::<Test>::IntervalBeyondStream);
		assert_ok!(grant(last_allowed));
		assert!(AccessControl::is_authorized(&bob(), STREAM, last_allowed));
	});
}

#[test]
fn grant_rejects_bad_input() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let call = |who: AccountId, stream, grantee: AccountId, r, exp, p: &[AccountId], t| {
			AccessControl::grant(signed(&who), stream, grantee, r, exp, proxies(p), t)
		};
		let both = [charlie(), dave()];
		assert_noop!(
			call(alice(), 7, bob(), range(0, 1), 100, &both, 1),
			Error::<Test>::UnknownStream
		);
		assert_noop!(
			call(eve(), STREAM, bob(), range(0, 1), 100, &both, 1),
			Error::<Test>::NotStreamOwner
		);
		assert_noop!(
			call(alice(), STREAM, alice(), range(0, 1), 100, &both, 1),
			Error::<Test>::SelfGrant
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(2, 1), 100, &both, 1),
			Error::<Test>::InvalidIntervalRange
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 1, &both, 1),
			Error::<Test>::AlreadyExpired
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 100, &[], 1),
			Error::<Test>::NoProxies
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 100, &both, 0),
			Error::<Test>::InvalidThreshold
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 100, &both, 3),
			Error::<Test>::InvalidThreshold
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 100, &[charlie(), charlie()], 1),
			Error::<Test>::DuplicateProxy
		);
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 100, &[eve()], 1),
			Error::<Test>::NotProxy
		);
		assert_unregister_proxy(&dave());
		assert_noop!(
			call(alice(), STREAM, bob(), range(0, 1), 100, &both, 1),
			Error::<Test>::ProxyLeaving
		);
	});
}

#[test]
fn grants_per_stream_are_capped_and_need_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		for _ in 0..MAX_GRANTS {
			grant_bob();
		}
		assert_noop!(
			AccessControl::grant(
				signed(&alice()),
				STREAM,
				bob(),
				range(0, 1),
				100,
				proxies(&[charlie()]),
				1
			),
			Error::<Test>::TooManyGrants
		);
		// A pauper's stream: no funds for the deposit (keys put in place, deposit-free).
		set_stream(1, &ferdie(), 0);
		UmbralKeysOf::<Test>::insert(ferdie(), PublishedKeys { keys: umbral(30), deposit: 0 });
		assert_noop!(
			AccessControl::grant(
				signed(&ferdie()),
				1,
				bob(),
				range(0, 1),
				100,
				proxies(&[charlie()]),
				1
			),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn expired_grants_authorize_nothing_and_anyone_may_remove_them() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let id = grant_bob();
		run_to_block(99);
		assert!(AccessControl::is_authorized(&bob(), STREAM, 1));
		assert_noop!(
			AccessControl::remove_expired(signed(&eve()), id),
			Error::<Test>::GrantStillValid
		);
		run_to_block(100);
		assert!(!AccessControl::is_authorized(&bob(), STREAM, 1));
		assert_remove_expired(&eve(), id);
		System::assert_last_event(Event::GrantRemoved { grant: id }.into());
		assert_eq!(held(HoldReason::GrantDeposit, &alice()), 0);
		assert_eq!(Balances::balance(&alice()), ENDOWMENT - KEY_DEPOSIT, "all but the key deposit");
		assert!(Grants::<Test>::get(id).is_none());
		assert_eq!(GrantCount::<Test>::get(STREAM), 0);
		assert!(AccessControl::grants_of(&bob()).is_empty());
		assert_noop!(
			AccessControl::remove_expired(signed(&eve()), id),
			Error::<Test>::UnknownGrant
		);
	});
}

#[test]
fn grants_of_a_closed_stream_authorize_nothing_and_can_be_removed() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let id = grant_bob();
		close_stream(STREAM);
		assert!(!AccessControl::is_authorized(&bob(), STREAM, 1));
		assert_remove_expired(&eve(), id);
		assert_eq!(held(HoldReason::GrantDeposit, &alice()), 0);
	});
}

#[test]
fn grantor_or_current_owner_revokes() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let first = grant_bob();
		let second = grant_bob();
		assert_noop!(
			AccessControl::revoke(signed(&bob()), first),
			Error::<Test>::NotAllowedToRevoke
		);
		assert_noop!(AccessControl::revoke(signed(&alice()), 42), Error::<Test>::UnknownGrant);
		assert_revoke(&alice(), first);
		System::assert_last_event(Event::GrantRevoked { grant: first, by: alice() }.into());
		assert_eq!(held(HoldReason::GrantDeposit, &alice()), GRANT_DEPOSIT);
		assert!(AccessControl::is_authorized(&bob(), STREAM, 1), "the second grant holds");

		// The device changed hands: the new owner may revoke the old owner's grant, and the
		// deposit goes back to the grantor.
		set_stream(STREAM, &eve(), 5);
		assert!(AccessControl::is_authorized(&bob(), STREAM, 1), "grants survive a transfer");
		assert_revoke(&eve(), second);
		System::assert_last_event(Event::GrantRevoked { grant: second, by: eve() }.into());
		assert_eq!(held(HoldReason::GrantDeposit, &alice()), 0);
		assert_eq!(Balances::balance(&alice()), ENDOWMENT - KEY_DEPOSIT, "all but the key deposit");
		assert!(!AccessControl::is_authorized(&bob(), STREAM, 1));
	});
}

// ---- proxies ----

#[test]
fn proxy_lifecycle_holds_and_releases_the_bond() {
	ExtBuilder::default().build_and_execute(|| {
		assert_register_proxy(&charlie(), &peer_id(1), key(1));
		System::assert_last_event(
			Event::ProxyRegistered {
				proxy: charlie(),
				peer_id: peer_id(1),
				reencryption_key: key(1),
			}
			.into(),
		);
		assert_eq!(held(HoldReason::ProxyBond, &charlie()), PROXY_BOND);
		let view = AccessControl::proxy_view(&charlie()).expect("registered");
		assert_eq!((view.status, view.served), (ProxyStatus::Active, 0));

		assert_noop!(AccessControl::withdraw_proxy(signed(&charlie())), Error::<Test>::NotLeaving);
		assert_unregister_proxy(&charlie());
		let until = 1 + UNBOND_DELAY;
		System::assert_last_event(Event::ProxyLeaving { proxy: charlie(), until }.into());
		assert_noop!(
			AccessControl::unregister_proxy(signed(&charlie())),
			Error::<Test>::ProxyLeaving
		);
		run_to_block(until - 1);
		assert_noop!(AccessControl::withdraw_proxy(signed(&charlie())), Error::<Test>::StillBonded);
		run_to_block(until);
		assert_withdraw_proxy(&charlie());
		System::assert_last_event(Event::ProxyWithdrawn { proxy: charlie() }.into());
		assert_eq!(held(HoldReason::ProxyBond, &charlie()), 0);
		assert_eq!(Balances::balance(&charlie()), ENDOWMENT);
		assert!(Proxies::<Test>::get(charlie()).is_none());
	});
}

#[test]
fn proxy_registration_rejects_bad_input() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			AccessControl::register_proxy(
				signed(&charlie()),
				BoundedVec::truncate_from(vec![1, 2, 3]),
				key(1)
			),
			Error::<Test>::InvalidPeerId
		);
		let mut uncompressed = key(1);
		uncompressed[0] = 0x04;
		assert_noop!(
			AccessControl::register_proxy(signed(&charlie()), peer_id(1), uncompressed),
			Error::<Test>::InvalidReencryptionKey
		);
		assert_noop!(
			AccessControl::register_proxy(signed(&ferdie()), peer_id(1), key(1)),
			Error::<Test>::InsufficientBalance
		);
		assert_register_proxy(&charlie(), &peer_id(1), key(1));
		assert_noop!(
			AccessControl::register_proxy(signed(&charlie()), peer_id(2), key(2)),
			Error::<Test>::AlreadyProxy
		);
		assert_noop!(AccessControl::unregister_proxy(signed(&dave())), Error::<Test>::NotProxy);
		assert_noop!(AccessControl::withdraw_proxy(signed(&dave())), Error::<Test>::NotProxy);
	});
}

// ---- attestations ----

#[test]
fn receipts_credit_growth_and_feed_reputation() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let id = grant_bob();
		let r = receipt(Sr25519Keyring::Bob, id, &charlie(), 20);
		assert_attest_service(&charlie(), vec![r]);
		System::assert_last_event(
			Event::ServiceAttested { proxy: charlie(), receipts: 1, served: 20, credited: 20 }
				.into(),
		);
		assert_eq!(Credited::<Test>::get(id, charlie()), 20);
		assert_eq!(Signals::get(), vec![(charlie(), Signal::ProxyServed(20))]);

		// The next receipt counts only the growth, after the attestation period.
		let r = receipt(Sr25519Keyring::Bob, id, &charlie(), 30);
		assert_noop!(
			AccessControl::attest_service(signed(&charlie()), receipts(vec![r.clone()])),
			Error::<Test>::TooSoon
		);
		run_to_block(1 + ATTESTATION_PERIOD);
		assert_attest_service(&charlie(), vec![r]);
		System::assert_last_event(
			Event::ServiceAttested { proxy: charlie(), receipts: 1, served: 10, credited: 10 }
				.into(),
		);
		assert_eq!(AccessControl::proxy_view(&charlie()).expect("registered").served, 30);
	});
}

#[test]
fn credit_per_attestation_is_capped() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let a = grant_bob();
		let b = grant_bob();
		let list = vec![
			receipt(Sr25519Keyring::Bob, a, &dave(), MAX_SERVED as u64),
			receipt(Sr25519Keyring::Bob, b, &dave(), 1_000),
		];
		assert_attest_service(&dave(), list);
		System::assert_last_event(
			Event::ServiceAttested {
				proxy: dave(),
				receipts: 2,
				served: MAX_SERVED as u64 + 1_000,
				credited: MAX_SERVED,
			}
			.into(),
		);
		assert_eq!(Signals::get(), vec![(dave(), Signal::ProxyServed(MAX_SERVED))]);
	});
}

#[test]
fn bad_receipts_are_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let id = grant_bob();
		let attest = |who: AccountId, r: Receipt<MultiSignature>| {
			AccessControl::attest_service(signed(&who), receipts(vec![r]))
		};
		assert_noop!(
			AccessControl::attest_service(signed(&charlie()), receipts(vec![])),
			Error::<Test>::EmptyAttestation
		);
		assert_noop!(
			attest(eve(), receipt(Sr25519Keyring::Bob, id, &eve(), 5)),
			Error::<Test>::NotProxy
		);
		assert_noop!(
			attest(charlie(), receipt(Sr25519Keyring::Bob, 42, &charlie(), 5)),
			Error::<Test>::UnknownGrant
		);
		// Signed by the wrong key, or for another proxy, or for another count.
		assert_noop!(
			attest(charlie(), receipt(Sr25519Keyring::Alice, id, &charlie(), 5)),
			Error::<Test>::BadReceiptSignature
		);
		assert_noop!(
			attest(charlie(), receipt(Sr25519Keyring::Bob, id, &dave(), 5)),
			Error::<Test>::BadReceiptSignature
		);
		let mut forged = receipt(Sr25519Keyring::Bob, id, &charlie(), 5);
		forged.total_served = 6;
		assert_noop!(attest(charlie(), forged), Error::<Test>::BadReceiptSignature);
		assert_noop!(
			attest(charlie(), receipt(Sr25519Keyring::Bob, id, &charlie(), 0)),
			Error::<Test>::StaleReceipt
		);
		// A proxy that the grant does not name.
		assert_register_proxy(&eve(), &peer_id(5), key(5));
		assert_noop!(
			attest(eve(), receipt(Sr25519Keyring::Bob, id, &eve(), 5)),
			Error::<Test>::NotGrantProxy
		);
		// Replaying a credited receipt credits nothing.
		let r = receipt(Sr25519Keyring::Bob, id, &charlie(), 5);
		assert_ok!(attest(charlie(), r.clone()));
		run_to_block(1 + ATTESTATION_PERIOD);
		assert_noop!(attest(charlie(), r), Error::<Test>::StaleReceipt);
	});
}

#[test]
fn removing_a_grant_forgets_its_receipts() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let id = grant_bob();
		let r = receipt(Sr25519Keyring::Bob, id, &charlie(), 5);
		assert_attest_service(&charlie(), vec![r]);
		assert_revoke(&alice(), id);
		assert!(Credited::<Test>::iter_prefix(id).next().is_none());
		assert!(Signals::get().iter().all(|(_, s)| !s.is_penalty()));
	});
}

#[test]
fn unsigned_calls_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		assert_noop!(
			AccessControl::register_proxy(RuntimeOrigin::none(), peer_id(9), key(9)),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			AccessControl::revoke(RuntimeOrigin::root(), 0),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			AccessControl::set_umbral_keys(RuntimeOrigin::none(), umbral(9)),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			AccessControl::clear_umbral_keys(RuntimeOrigin::root()),
			sp_runtime::DispatchError::BadOrigin
		);
		// Bob holds his key deposit and nothing else.
		assert_eq!(Balances::total_balance_on_hold(&bob()), KEY_DEPOSIT);
		assert!(Balances::total_balance_on_hold(&eve()).is_zero());
	});
}

#[test]
fn publishing_keys_holds_one_deposit_and_clearing_releases_it() {
	ExtBuilder::default().build_and_execute(|| {
		assert_set_umbral_keys(&eve(), umbral(40));
		System::assert_last_event(Event::UmbralKeysSet { who: eve(), keys: umbral(40) }.into());
		assert_eq!(held(HoldReason::KeyDeposit, &eve()), KEY_DEPOSIT);
		assert_eq!(AccessControl::umbral_keys(&eve()), Some(umbral(40)));
		// Replacing the keys holds nothing more.
		assert_set_umbral_keys(&eve(), umbral(50));
		assert_eq!(held(HoldReason::KeyDeposit, &eve()), KEY_DEPOSIT);
		assert_eq!(AccessControl::umbral_keys(&eve()), Some(umbral(50)));
		assert_clear_umbral_keys(&eve());
		System::assert_last_event(Event::UmbralKeysCleared { who: eve() }.into());
		assert_eq!(held(HoldReason::KeyDeposit, &eve()), 0);
		assert_eq!(AccessControl::umbral_keys(&eve()), None);
		assert_eq!(Balances::free_balance(eve()), ENDOWMENT);
		assert_noop!(AccessControl::clear_umbral_keys(signed(&eve())), Error::<Test>::NoUmbralKeys);
	});
}

#[test]
fn malformed_or_unaffordable_keys_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let mut bad = umbral(40);
		bad.public[0] = 0x04;
		assert_noop!(
			AccessControl::set_umbral_keys(signed(&eve()), bad),
			Error::<Test>::InvalidUmbralKeys
		);
		let mut bad = umbral(40);
		bad.verifying[0] = 0x00;
		assert_noop!(
			AccessControl::set_umbral_keys(signed(&eve()), bad),
			Error::<Test>::InvalidUmbralKeys
		);
		assert_noop!(
			AccessControl::set_umbral_keys(signed(&ferdie()), umbral(40)),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn a_grant_needs_both_parties_keys_and_keeps_a_copy_of_them() {
	ExtBuilder::default().build_and_execute(|| {
		setup();
		let grant = |who: &AccountId, grantee: &AccountId, stream| {
			AccessControl::grant(
				signed(who),
				stream,
				grantee.clone(),
				range(0, 1),
				100,
				proxies(&[charlie()]),
				1,
			)
		};
		// Eve's stream, and Eve as grantee: she has published no keys.
		set_stream(1, &eve(), 5);
		assert_noop!(grant(&eve(), &bob(), 1), Error::<Test>::GrantorHasNoUmbralKeys);
		assert_noop!(grant(&alice(), &eve(), STREAM), Error::<Test>::GranteeHasNoUmbralKeys);

		let first = grant_bob();
		let copied = GrantKeys { grantor: umbral(10), grantee: umbral(20).public };
		assert_eq!(AccessControl::grant_keys(first), Some(copied));
		// New keys change the grants made from then on, not the ones made before.
		assert_set_umbral_keys(&alice(), umbral(60));
		assert_set_umbral_keys(&bob(), umbral(70));
		let second = grant_bob();
		assert_eq!(AccessControl::grant_keys(first), Some(copied));
		assert_eq!(
			AccessControl::grant_keys(second),
			Some(GrantKeys { grantor: umbral(60), grantee: umbral(70).public })
		);
		// Withdrawn keys do not unmake a grant; removing the grant removes its keys.
		assert_clear_umbral_keys(&bob());
		assert_eq!(AccessControl::grant_keys(second).map(|k| k.grantee), Some(umbral(70).public));
		assert_revoke(&alice(), second);
		assert_eq!(AccessControl::grant_keys(second), None);
		assert!(!GrantKeysOf::<Test>::contains_key(second));
		assert_noop!(grant(&alice(), &bob(), STREAM), Error::<Test>::GranteeHasNoUmbralKeys);
	});
}
