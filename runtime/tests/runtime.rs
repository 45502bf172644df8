//! Integration tests of the real runtime: genesis presets, pallet constraints and a signed
//! transfer applied through `Executive`, the way a block author applies it.

mod common;

use codec::Encode;
use common::genesis_ext;
use cpchain_runtime::{
	genesis_config_presets::{preset_names, ENDOWMENT},
	AllPalletsWithSystem, Balances, BalancesCall, Executive, Runtime, RuntimeCall, SignedPayload,
	System, TxExtension, UncheckedExtrinsic, EXISTENTIAL_DEPOSIT, VERSION,
};
use frame_support::traits::IntegrityTest;
use sp_core::{crypto::Pair as _, sr25519};
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::Era,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	MultiSignature,
};

#[test]
fn presets_are_development_and_local_testnet() {
	let names: Vec<String> = preset_names().into_iter().collect();
	assert_eq!(names, vec![DEV_RUNTIME_PRESET.to_string(), LOCAL_TESTNET_RUNTIME_PRESET.into()]);
	assert!(cpchain_runtime::genesis_config_presets::get_preset(&"mainnet".into()).is_none());
}

#[test]
fn development_genesis_has_one_authority_and_sudo_alice() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let (term, committee) = committee_of_block(1);
		assert_eq!(term, 0);
		assert_eq!(
			committee,
			vec![(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Alice.public().into())]
		);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(Balances::free_balance(Sr25519Keyring::Bob.to_account_id()), ENDOWMENT);
		assert_eq!(Balances::free_balance(Sr25519Keyring::Charlie.to_account_id()), 0);
	});
}

#[test]
fn local_testnet_genesis_has_four_authorities() {
	genesis_ext(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let (_, committee) = committee_of_block(1);
		let expected: Vec<_> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| (k.to_account_id(), k.public().into()))
		.collect();
		assert_eq!(committee, expected);
		// Dave's RNode bond is held, not spent.
		let dave = Sr25519Keyring::Dave.to_account_id();
		let bond = cpchain_runtime::configs::reputation::RNodeBond::get();
		assert_eq!(Balances::free_balance(&dave), ENDOWMENT - bond);
		assert_eq!(
			<Balances as frame_support::traits::fungible::Inspect<_>>::total_balance(&dave),
			ENDOWMENT
		);
	});
}

#[test]
fn pallet_integrity_tests_hold() {
	// Includes pallet-contracts' check that its memory limits fit the runtime's memory.
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(AllPalletsWithSystem::integrity_test);
}

#[test]
fn metadata_v15_carries_pallet_docs() {
	use frame_support::__private::metadata::RuntimeMetadata;
	let versions = Runtime::metadata_versions();
	assert!(versions.contains(&15), "metadata versions offered: {versions:?}");
	let prefixed = Runtime::metadata_at_version(15).expect("v15 is offered");
	let metadata: frame_support::__private::metadata::RuntimeMetadataPrefixed =
		codec::Decode::decode(&mut &prefixed[..]).expect("metadata decodes");
	let RuntimeMetadata::V15(v15) = metadata.1 else { panic!("asked for v15") };
	let names: Vec<_> = v15.pallets.iter().map(|p| p.name.as_str()).collect();
	// Every pallet of the runtime, and nothing else, in the order of their indices (which
	// the metadata follows, not the order of declaration).
	assert_eq!(
		names,
		[
			"System",             // 0
			"Timestamp",          // 1
			"Utility",            // 2
			"Sudo",               // 3
			"Balances",           // 10
			"TransactionPayment", // 11
			"Authorship",         // 22
			"Session",            // 23
			"Dpor",               // 24
			"Contracts",          // 40
			"Reputation",         // 50
			"Committee",          // 51
			"DataRegistry",       // 60
			"AccessControl",      // 61
			"Market",             // 62
			"Dispute",            // 63
		]
	);
	// polkadot.js apps shows each call's doc comment: the call enum's variants carry them.
	let balances = v15.pallets.iter().find(|p| p.name == "Balances").expect("checked above");
	let calls = balances.calls.as_ref().expect("Balances has calls");
	let call_type = v15.types.resolve(calls.ty.id).expect("call type is in the registry");
	let scale_info::TypeDef::Variant(variants) = &call_type.type_def else {
		panic!("calls are an enum")
	};
	let transfer = variants
		.variants
		.iter()
		.find(|v| v.name == "transfer_allow_death")
		.expect("transfer_allow_death is a call");
	assert!(!transfer.docs.is_empty(), "call docs are stripped from the metadata");
}

fn signed_transfer(
	signer: &sr25519::Pair,
	nonce: u32,
	dest: sp_runtime::AccountId32,
	value: u128,
) -> UncheckedExtrinsic {
	let call =
		RuntimeCall::Balances(BalancesCall::transfer_keep_alive { dest: dest.into(), value });
	let tx_ext: TxExtension = (
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	let genesis = System::block_hash(0);
	let payload = SignedPayload::from_raw(
		call.clone(),
		tx_ext.clone(),
		((), VERSION.spec_version, VERSION.transaction_version, genesis, genesis, (), (), (), ()),
	);
	let signature = payload.using_encoded(|e| signer.sign(e));
	UncheckedExtrinsic::new_signed(
		call,
		sp_runtime::AccountId32::from(signer.public()).into(),
		MultiSignature::Sr25519(signature),
		tx_ext,
	)
}

#[test]
fn signed_transfer_moves_funds_and_charges_a_fee() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.pair();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let amount = 1_000 * EXISTENTIAL_DEPOSIT;
		let before = Balances::free_balance(Sr25519Keyring::Alice.to_account_id());

		let xt = signed_transfer(&alice, 0, charlie.clone(), amount);
		let result = Executive::apply_extrinsic(xt).expect("valid transaction");
		assert!(result.is_ok(), "dispatch failed: {result:?}");

		assert_eq!(Balances::free_balance(&charlie), amount);
		let after = Balances::free_balance(Sr25519Keyring::Alice.to_account_id());
		assert!(after < before - amount, "no fee was charged: {before} -> {after}");
		System::assert_has_event(
			pallet_balances::Event::Transfer {
				from: Sr25519Keyring::Alice.to_account_id(),
				to: charlie,
				amount,
			}
			.into(),
		);
	});
}

#[test]
fn tampered_or_replayed_transactions_are_rejected() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.pair();
		let charlie = Sr25519Keyring::Charlie.to_account_id();

		// Signed by Bob's key but claiming to be Alice: bad proof.
		let mut forged = signed_transfer(
			&Sr25519Keyring::Bob.pair(),
			0,
			charlie.clone(),
			10 * EXISTENTIAL_DEPOSIT,
		);
		if let sp_runtime::generic::Preamble::Signed(ref mut who, _, _) = forged.preamble {
			*who = Sr25519Keyring::Alice.to_account_id().into();
		}
		assert_eq!(
			Executive::apply_extrinsic(forged),
			Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof))
		);

		// A valid transfer, then the same bytes again: the nonce is stale.
		let xt = signed_transfer(&alice, 0, charlie.clone(), 10 * EXISTENTIAL_DEPOSIT);
		assert!(Executive::apply_extrinsic(xt.clone()).is_ok());
		assert_eq!(
			Executive::apply_extrinsic(xt),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Stale))
		);
		assert_eq!(Balances::free_balance(&charlie), 10 * EXISTENTIAL_DEPOSIT);
	});
}

#[test]
fn garbage_does_not_decode_as_an_extrinsic() {
	let garbage = vec![0x01u8, 0x02, 0x03, 0x04, 0x05];
	assert!(<UncheckedExtrinsic as codec::Decode>::decode(&mut &garbage[..]).is_err());
	// The encoded form of a real extrinsic round-trips.
	let xt = sp_io::TestExternalities::default().execute_with(|| {
		signed_transfer(&Sr25519Keyring::Alice.pair(), 0, Sr25519Keyring::Bob.to_account_id(), 1)
	});
	let bytes = xt.encode();
	assert!(<UncheckedExtrinsic as codec::Decode>::decode(&mut &bytes[..]).is_ok());
}

/// Runs the block hooks that drive terms, the way block execution does at each block.
fn advance_to(block: cpchain_runtime::BlockNumber) {
	use frame_support::traits::OnInitialize;
	while System::block_number() < block {
		let next = System::block_number() + 1;
		System::reset_events();
		System::initialize(&next, &System::parent_hash(), &Default::default());
		<cpchain_runtime::Committee as OnInitialize<_>>::on_initialize(next);
		<cpchain_runtime::Session as OnInitialize<_>>::on_initialize(next);
	}
}

/// Makes `who` an RNode with real session keys (generated in the test keystore, with their
/// proof of ownership) that campaigns for the next ten terms.
fn join_and_campaign(who: &sp_keyring::Sr25519Keyring) -> cpchain_runtime::SessionKeys {
	use cpchain_runtime::{Committee, Reputation, RuntimeOrigin, Session, SessionKeys};
	let account = who.to_account_id();
	let origin = || RuntimeOrigin::signed(account.clone());
	let bond = cpchain_runtime::configs::reputation::RNodeBond::get();
	Reputation::bond(origin(), bond).expect("endowed account bonds");
	let seed = format!("//{who}//session").into_bytes();
	let generated: sp_session::OpaqueGeneratedSessionKeys =
		SessionKeys::generate(&account.encode(), Some(seed)).into();
	let keys =
		<SessionKeys as codec::Decode>::decode(&mut &generated.keys[..]).expect("keys decode");
	Session::set_keys(origin(), keys.clone(), generated.proof).expect("proof of ownership holds");
	Committee::claim_campaign(origin(), 10).expect("an RNode with keys campaigns");
	keys
}

#[test]
fn development_genesis_bonds_alice_as_a_committee_of_one() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert!(pallet_reputation::Pallet::<Runtime>::is_rnode(&alice));
		assert_eq!(pallet_committee::Pallet::<Runtime>::committee(0), vec![alice.clone()]);
		assert_eq!(pallet_committee::CommitteeSize::<Runtime>::get(), 1);
		assert_eq!(pallet_session::Validators::<Runtime>::get(), vec![alice]);
	});
}

#[test]
fn elections_change_the_authority_set_term_after_term() {
	use cpchain_runtime::{Committee, Reputation, RuntimeEvent, RuntimeOrigin, TERM_LENGTH};
	use sp_keystore::{testing::MemoryKeystore, KeystoreExt};

	let mut ext = genesis_ext(LOCAL_TESTNET_RUNTIME_PRESET);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| {
		let genesis: Vec<_> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.to_account_id())
		.collect();
		assert_eq!(pallet_session::Validators::<Runtime>::get(), genesis);

		// Two newcomers campaign; the committee shrinks to two seats, so they are elected.
		let eve = join_and_campaign(&Sr25519Keyring::Eve);
		let ferdie = join_and_campaign(&Sr25519Keyring::Ferdie);
		Committee::set_committee_size(RuntimeOrigin::root(), 2).expect("root sets the size");
		let newcomers =
			[Sr25519Keyring::Eve.to_account_id(), Sr25519Keyring::Ferdie.to_account_id()];

		// Term 1 starts: the committee of term 2 is elected, term 1 is still the genesis one.
		advance_to(TERM_LENGTH);
		assert_eq!(pallet_committee::CurrentTerm::<Runtime>::get(), 1);
		assert_eq!(pallet_session::Validators::<Runtime>::get(), genesis);
		let mut elected = Committee::committee(2);
		elected.sort();
		let mut expected = newcomers.to_vec();
		expected.sort();
		assert_eq!(elected, expected);
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			RuntimeEvent::Committee(pallet_committee::Event::CommitteeElected {
				term: 2,
				fallback: false,
				..
			})
		)));
		// Elected members cannot walk away with their bond.
		assert_eq!(
			Reputation::unbond(RuntimeOrigin::signed(newcomers[0].clone()), 1),
			Err(pallet_reputation::Error::<Runtime>::InCommittee.into())
		);

		// Term 2 starts: the newcomers author blocks and finalise them.
		advance_to(2 * TERM_LENGTH);
		assert_eq!(pallet_committee::CurrentTerm::<Runtime>::get(), 2);
		let mut validators = pallet_session::Validators::<Runtime>::get();
		validators.sort();
		assert_eq!(validators, expected);
		let (term, committee) = committee_of_block(u64::from(2 * TERM_LENGTH) + 1);
		assert_eq!(term, 2);
		let mut keys: Vec<_> = committee.into_iter().map(|(_, key)| key).collect();
		keys.sort();
		let mut expected_keys = vec![eve.dpor.clone(), ferdie.dpor.clone()];
		expected_keys.sort();
		assert_eq!(keys, expected_keys);
		let digest_has_committee = System::digest().logs.iter().any(|item| {
			item.consensus_try_to::<cpchain_primitives::consensus::ConsensusLog<
				cpchain_primitives::consensus::AuthorityId,
			>>(&cpchain_primitives::consensus::DPOR_ENGINE_ID)
				.is_some_and(|log| {
					let cpchain_primitives::consensus::ConsensusLog::NewCommittee { term, members } =
						log;
					term == 2 && members.len() == 2
				})
		});
		assert!(digest_has_committee, "the first block of term 2 announces its committee");

		// Term 3: they campaigned for ten terms and stay; reputations were recomputed.
		advance_to(3 * TERM_LENGTH);
		let mut validators = pallet_session::Validators::<Runtime>::get();
		validators.sort();
		assert_eq!(validators, expected);
		assert!(pallet_reputation::Reputations::<Runtime>::get(&newcomers[0]) > 0);
	});
}

/// The committee of block `number` with the members' `dpor` keys, as the engine and
/// pallet-dpor see it.
fn committee_of_block(
	number: u64,
) -> (u32, Vec<(cpchain_runtime::AccountId, cpchain_primitives::consensus::AuthorityId)>) {
	<cpchain_runtime::configs::consensus::ElectedCommittee as cpchain_primitives::committee::CommitteeProvider<_>>::committee_of_block(number)
}

#[test]
fn authors_and_impeached_leaders_feed_reputation() {
	use cpchain_primitives::consensus::{pre_digest_item, vrf_input, PreDigest};
	use cpchain_runtime::{Authorship, Dpor};
	use frame_support::traits::{OnFinalize, OnInitialize};
	use sp_core::crypto::VrfSecret;
	use sp_runtime::Digest;

	genesis_ext(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let keyring = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		];
		// Builds block `number` at `view`, sealed by its leader, running the hooks that see it.
		let block_at_view = |number: u32, view: u32| {
			let author = cpchain_primitives::consensus::leader(number.into(), view, 4);
			let randomness = Dpor::randomness_of_term(0);
			let vrf = keyring[author as usize]
				.pair()
				.vrf_sign(&vrf_input(&randomness, 0, number.into()).into_sign_data());
			let digest =
				Digest { logs: vec![pre_digest_item(&PreDigest { term: 0, view, author, vrf })] };
			System::initialize(&number, &System::parent_hash(), &digest);
			Dpor::on_initialize(number);
			Authorship::on_initialize(number);
			// As in block execution: pallet-authorship forgets the block's author.
			Authorship::on_finalize(number);
		};
		let activity = |who: Sr25519Keyring| {
			pallet_reputation::Activities::<Runtime>::get(who.to_account_id())
		};
		// Block 2 at view 0: led by member 2 mod 4 = 2, Charlie.
		block_at_view(2, 0);
		assert_eq!(activity(Sr25519Keyring::Charlie).authored, 1);
		assert_eq!(activity(Sr25519Keyring::Charlie).penalty_points, 0);
		let seed = pallet_dpor::Accumulator::<Runtime>::get();
		assert_ne!(seed, [0; 32], "the VRF output feeds the election seed");
		// Block 3 at view 2: Dave (view 0) and Alice (view 1) were impeached, Bob built it.
		block_at_view(3, 2);
		assert_eq!(activity(Sr25519Keyring::Bob).authored, 1);
		assert_eq!(activity(Sr25519Keyring::Dave).penalty_points, 1);
		assert_eq!(activity(Sr25519Keyring::Alice).penalty_points, 1);
		assert_eq!(activity(Sr25519Keyring::Bob).penalty_points, 0);
		assert_eq!(activity(Sr25519Keyring::Charlie).penalty_points, 0);
		// The impeached leaders missed their slots too.
		assert_eq!(activity(Sr25519Keyring::Dave).missed, 1);
		assert_eq!(activity(Sr25519Keyring::Alice).missed, 1);
		assert_eq!(activity(Sr25519Keyring::Bob).missed, 0);
		assert_ne!(pallet_dpor::Accumulator::<Runtime>::get(), seed);
	});
}

/// Two COMMIT votes of `who` (slot `voter`) for different blocks at `height`, view 0, of
/// `term`, signed with `key`.
fn equivocation(
	key: &sr25519::Pair,
	voter: u32,
	term: u32,
	height: u64,
) -> cpchain_primitives::consensus::EquivocationProof {
	use cpchain_primitives::consensus::{EquivocationProof, Phase, SignedVote, VoteData};
	let genesis = System::block_hash(0);
	let vote = |block: u8| {
		let data = VoteData {
			term,
			height,
			view: 0,
			phase: Phase::Commit,
			block: Some(sp_core::H256::repeat_byte(block)),
		};
		let signature = key.sign(&data.signing_payload(&genesis)).into();
		SignedVote { data, voter, signature }
	};
	EquivocationProof { first: vote(1), second: vote(2) }
}

#[test]
fn keys_are_frozen_per_term_and_an_equivocation_costs_bond_after_key_changes_and_term_ends() {
	use cpchain_runtime::{Dpor, Reputation, RuntimeOrigin, Session, SessionKeys, TERM_LENGTH};
	use frame_support::traits::fungible::InspectHold;
	use sp_keystore::{testing::MemoryKeystore, KeystoreExt};

	let mut ext = genesis_ext(LOCAL_TESTNET_RUNTIME_PRESET);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| {
		advance_to(1);
		let charlie = Sr25519Keyring::Charlie;
		let account = charlie.to_account_id();
		let (term, members) = committee_of_block(2);
		let slot = members.iter().position(|(who, _)| *who == account).expect("a member") as u32;
		let genesis_key = members[slot as usize].1.clone();

		// Charlie registers a new consensus key in term 0: the keys of terms 0 and 1 were
		// frozen when they were elected, so its slot keeps the old key (a stolen account key
		// takes no consensus slot mid-term) and the slot order does not move.
		let seed = format!("//{charlie}//new").into_bytes();
		let generated: sp_session::OpaqueGeneratedSessionKeys =
			SessionKeys::generate(&account.encode(), Some(seed)).into();
		let keys =
			<SessionKeys as codec::Decode>::decode(&mut &generated.keys[..]).expect("keys decode");
		Session::set_keys(RuntimeOrigin::signed(account.clone()), keys.clone(), generated.proof)
			.expect("new keys");
		assert_eq!(committee_of_block(2), (term, members.clone()));
		assert_eq!(committee_of_block(u64::from(TERM_LENGTH) + 1).1, members, "term 1 too");

		// It equivocates with the key of its slot, then purges its keys: the report still
		// lands (the proof is checked against the keys frozen for its term), and burns part
		// of its bond.
		let proof = equivocation(&charlie.pair(), slot, term, 2);
		Session::purge_keys(RuntimeOrigin::signed(account.clone())).expect("keys purged");
		assert_eq!(committee_of_block(2).1, members, "purging moves no slot mid-term");
		let reason = cpchain_runtime::RuntimeHoldReason::Reputation(
			pallet_reputation::HoldReason::RNodeBond,
		);
		let held = cpchain_runtime::Balances::balance_on_hold(&reason, &account);
		let issuance = cpchain_runtime::Balances::total_issuance();
		Dpor::report_equivocation(RuntimeOrigin::none(), Box::new(proof.clone()))
			.expect("the report lands after purge_keys");
		let slashed = held - cpchain_runtime::Balances::balance_on_hold(&reason, &account);
		let expected = cpchain_runtime::configs::reputation::EquivocationSlash::get() * held;
		assert!(expected > 0);
		assert_eq!(slashed, expected, "the bond is hit");
		assert_eq!(cpchain_runtime::Balances::total_issuance(), issuance - slashed, "burnt");

		// A second equivocation of term 0, reported in term 1 (the votes' term has ended),
		// lands too and hits the bond again.
		let later = equivocation(&charlie.pair(), slot, term, 3);
		advance_to(TERM_LENGTH + 2);
		assert_eq!(pallet_committee::CurrentTerm::<Runtime>::get(), 1);
		let held = cpchain_runtime::Balances::balance_on_hold(&reason, &account);
		Dpor::report_equivocation(RuntimeOrigin::none(), Box::new(later))
			.expect("the report lands after the term ended");
		assert!(cpchain_runtime::Balances::balance_on_hold(&reason, &account) < held);
		assert!(!Reputation::is_rnode(&account) || held - slashed > 0);
		let _ = genesis_key;
	});
}

#[test]
fn a_leader_that_seals_two_blocks_at_one_view_loses_bond_even_after_purging_its_keys() {
	use cpchain_primitives::{
		consensus::DPOR_ENGINE_ID,
		consensus::{
			leader, pre_digest_item, seal_payload, vrf_input, PreDigest, SealEquivocationProof,
		},
	};
	use cpchain_runtime::{opaque::Header, Dpor, RuntimeOrigin, Session};
	use frame_support::traits::fungible::InspectHold;
	use sp_core::crypto::VrfSecret;
	use sp_runtime::{traits::Header as _, Digest, DigestItem};

	let mut ext = genesis_ext(LOCAL_TESTNET_RUNTIME_PRESET);
	ext.execute_with(|| {
		advance_to(1);
		let height = 2u64;
		let (term, members) = committee_of_block(height);
		let slot = leader(height, 0, members.len() as u32);
		let account = members[slot as usize].0.clone();
		let key = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.into_iter()
		.find(|k| k.to_account_id() == account)
		.expect("a dev member leads")
		.pair();
		let genesis = System::block_hash(0);
		// Two different blocks of the leader of (2, 0), sealed with its frozen key.
		let block = |salt: u8| {
			let vrf = key.vrf_sign(&vrf_input(&[0; 32], term, height).into_sign_data());
			let pre = PreDigest { term, view: 0, author: slot, vrf };
			let mut header = Header::new(
				height as u32,
				sp_core::H256::repeat_byte(salt),
				sp_core::H256::repeat_byte(salt),
				System::block_hash(1),
				Digest { logs: vec![pre_digest_item(&pre)] },
			);
			let seal = key.sign(&seal_payload(&genesis, &header.hash()));
			header.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, seal.encode()));
			header
		};
		let proof = Box::new(SealEquivocationProof { first: block(1), second: block(2) });

		Session::purge_keys(RuntimeOrigin::signed(account.clone())).expect("keys purged");
		let reason = cpchain_runtime::RuntimeHoldReason::Reputation(
			pallet_reputation::HoldReason::RNodeBond,
		);
		let held = Balances::balance_on_hold(&reason, &account);
		let issuance = Balances::total_issuance();
		Dpor::report_seal_equivocation(RuntimeOrigin::none(), proof.clone())
			.expect("the report lands after purge_keys");
		let slashed = held - Balances::balance_on_hold(&reason, &account);
		let expected = cpchain_runtime::configs::reputation::EquivocationSlash::get() * held;
		assert!(expected > 0);
		assert_eq!(slashed, expected, "the bond is hit");
		assert_eq!(Balances::total_issuance(), issuance - slashed, "burnt");
		assert_eq!(
			Dpor::report_seal_equivocation(RuntimeOrigin::none(), proof),
			Err(pallet_dpor::Error::<Runtime>::AlreadyReported.into()),
			"once"
		);
	});
}
