//! Tests of the consensus pallet on a mock runtime.

use codec::Encode;
use cpchain_primitives::{
	consensus::DPOR_ENGINE_ID,
	consensus::{pre_digest_item, vrf_input, PreDigest, VRF_OUTPUT_CONTEXT},
	reputation::Signal,
};
use frame_support::traits::{FindAuthor, Hooks, Randomness};
use sp_core::{crypto::VrfSecret, H256};
use sp_runtime::{Digest, DigestItem};

use crate::{
	mock::*, testing_utils::*, Accumulator, CurrentTerm, Event, TermRandomness,
	TERM_RANDOMNESS_DOMAIN,
};

/// Starts block `height` with the pre-digest that `signer` makes for author index `author`
/// at `view`, and runs the pallet's hook.
fn run_block(height: u64, author: u32, view: u32, signer: u64) {
	let term = (height / TERM) as u32;
	let randomness = crate::Pallet::<Test>::randomness_of_term(term);
	let vrf =
		pair(signer).as_ref().vrf_sign(&vrf_input(&randomness, term, height).into_sign_data());
	let pre = PreDigest { term, view, author, vrf };
	start_block(height, Digest { logs: vec![pre_digest_item(&pre)] });
}

fn start_block(height: u64, digest: Digest) {
	System::reset_events();
	System::set_block_number(height - 1);
	System::initialize(&height, &H256::repeat_byte(height as u8), &digest);
	Dpor::on_initialize(height);
}

fn signals() -> Vec<(u64, Signal)> {
	SIGNALS.with(|s| s.borrow_mut().drain(..).collect())
}

#[test]
fn a_valid_vrf_output_moves_the_accumulator_and_the_election_seed() {
	ExtBuilder::default().build_and_execute(|| {
		run_block(1, 1, 0, 2);
		let first = Accumulator::<Test>::get();
		assert_ne!(first, [0; 32]);
		let (seed, _) = <crate::Pallet<Test> as Randomness<H256, u64>>::random(b"election");
		run_block(2, 2, 0, 3);
		assert_ne!(Accumulator::<Test>::get(), first);
		let (next_seed, _) = <crate::Pallet<Test> as Randomness<H256, u64>>::random(b"election");
		assert_ne!(seed, next_seed);
		assert!(System::events().is_empty(), "no impeachment, no invalid VRF");
		assert!(signals().is_empty());
	});
}

#[test]
fn the_accumulated_output_is_the_vrf_output_of_the_author() {
	ExtBuilder::default().build_and_execute(|| {
		run_block(3, 3, 0, 4);
		let randomness = TermRandomness::<Test>::get();
		let input = vrf_input(&randomness, 0, 3);
		let output: [u8; 32] = pair(4).as_ref().make_bytes(VRF_OUTPUT_CONTEXT, &input);
		let expected = sp_io::hashing::blake2_256(&([0u8; 32], output).encode());
		assert_eq!(Accumulator::<Test>::get(), expected);
	});
}

#[test]
fn a_vrf_output_by_another_key_or_for_another_height_is_ignored() {
	ExtBuilder::default().build_and_execute(|| {
		// Author index 1 is account 2; account 3 signs.
		run_block(1, 1, 0, 3);
		assert_eq!(Accumulator::<Test>::get(), [0; 32]);
		System::assert_has_event(Event::InvalidVrf { author: 1 }.into());

		// The right key, but over height 7's input, in block 2.
		let vrf = pair(3)
			.as_ref()
			.vrf_sign(&vrf_input(&TermRandomness::<Test>::get(), 0, 7).into_sign_data());
		start_block(
			2,
			Digest { logs: vec![pre_digest_item(&PreDigest { term: 0, view: 0, author: 2, vrf })] },
		);
		assert_eq!(Accumulator::<Test>::get(), [0; 32]);
		System::assert_has_event(Event::InvalidVrf { author: 2 }.into());
	});
}

#[test]
fn a_pre_digest_of_another_term_an_unknown_author_or_a_duplicate_is_ignored() {
	ExtBuilder::default().build_and_execute(|| {
		let vrf = pair(2).as_ref().vrf_sign(&vrf_input(&[0; 32], 5, 1).into_sign_data());
		let wrong_term = PreDigest { term: 5, view: 3, author: 1, vrf: vrf.clone() };
		start_block(1, Digest { logs: vec![pre_digest_item(&wrong_term)] });
		let unknown = PreDigest { term: 0, view: 3, author: 9, vrf: vrf.clone() };
		start_block(2, Digest { logs: vec![pre_digest_item(&unknown)] });
		let ok = PreDigest { term: 0, view: 3, author: 0, vrf };
		start_block(3, Digest { logs: vec![pre_digest_item(&ok), pre_digest_item(&ok)] });
		start_block(
			4,
			Digest { logs: vec![DigestItem::PreRuntime(DPOR_ENGINE_ID, vec![1, 2, 3])] },
		);
		start_block(5, Digest::default());
		assert_eq!(Accumulator::<Test>::get(), [0; 32]);
		assert!(signals().is_empty(), "no impeachment is read from a pre-digest that is not used");
		assert!(System::events().is_empty());
	});
}

#[test]
fn a_block_at_view_two_impeaches_the_leaders_of_views_zero_and_one() {
	ExtBuilder::default().build_and_execute(|| {
		// Height 5, n = 4: view 0 is led by index 1 (account 2), view 1 by index 2 (account
		// 3), view 2 by index 3 (account 4), the author.
		run_block(5, 3, 2, 4);
		assert_eq!(
			signals(),
			vec![
				(2, Signal::SlotMissed),
				(2, Signal::Impeached),
				(3, Signal::SlotMissed),
				(3, Signal::Impeached)
			]
		);
		System::assert_has_event(Event::LeaderImpeached { who: 2, view: 0 }.into());
		System::assert_has_event(Event::LeaderImpeached { who: 3, view: 1 }.into());
		assert_ne!(Accumulator::<Test>::get(), [0; 32]);
	});
}

#[test]
fn many_views_impeach_each_member_at_most_once() {
	ExtBuilder::default().build_and_execute(|| {
		run_block(4, 1, 9, 2);
		let mut who: Vec<u64> = signals()
			.into_iter()
			.filter(|(_, s)| *s == Signal::Impeached)
			.map(|(w, _)| w)
			.collect();
		who.sort();
		assert_eq!(who, vec![1, 2, 3, 4]);
	});
}

#[test]
fn a_term_fixes_its_randomness_from_the_accumulator_when_it_starts() {
	ExtBuilder::default().build_and_execute(|| {
		for height in 1..TERM {
			let author = (height % 4) as u32;
			run_block(height, author, 0, u64::from(author) + 1);
		}
		assert_eq!(CurrentTerm::<Test>::get(), Some(0));
		let before = Accumulator::<Test>::get();
		let predicted = crate::Pallet::<Test>::randomness_of_term(1);
		assert_eq!(
			predicted,
			sp_io::hashing::blake2_256(&(TERM_RANDOMNESS_DOMAIN, before, 1u32).encode())
		);
		run_block(TERM, (TERM % 4) as u32, 0, TERM % 4 + 1);
		assert_eq!(CurrentTerm::<Test>::get(), Some(1));
		assert_eq!(TermRandomness::<Test>::get(), predicted);
		assert_eq!(crate::Pallet::<Test>::randomness_of_term(1), predicted);
		// The block of the new term was checked against the new randomness.
		assert_ne!(Accumulator::<Test>::get(), before);
	});
}

#[test]
fn the_author_is_the_member_at_the_pre_digest_index() {
	ExtBuilder::default().build_and_execute(|| {
		let vrf = pair(3).as_ref().vrf_sign(&vrf_input(&[0; 32], 0, 1).into_sign_data());
		let pre = PreDigest { term: 0, view: 0, author: 2, vrf };
		let encoded = pre.encode();
		let digests = vec![(DPOR_ENGINE_ID, &encoded[..])];
		assert_eq!(<crate::Pallet<Test> as FindAuthor<u64>>::find_author(digests), Some(3));
		let other = vec![(*b"aura", &encoded[..])];
		assert_eq!(<crate::Pallet<Test> as FindAuthor<u64>>::find_author(other), None);
		let unknown = PreDigest { author: 7, ..pre }.encode();
		assert_eq!(
			<crate::Pallet<Test> as FindAuthor<u64>>::find_author(vec![(
				DPOR_ENGINE_ID,
				&unknown[..]
			)]),
			None
		);
	});
}

#[allow(deprecated)]
mod equivocation {
	use super::*;
	use crate::{Error, Reported};
	use cpchain_primitives::consensus::{EquivocationProof, Phase, SignedVote, VoteData};
	use frame_support::{assert_noop, pallet_prelude::ValidateUnsigned};
	use sp_core::Pair;
	use sp_runtime::transaction_validity::{InvalidTransaction, TransactionSource};

	/// A vote of committee index `voter` signed by account `signer`'s key.
	fn vote(voter: u32, signer: u64, block: u8, genesis: &H256) -> SignedVote {
		let data = VoteData {
			term: 0,
			height: 3,
			view: 1,
			phase: Phase::Commit,
			block: Some(H256::repeat_byte(block)),
		};
		let signature = pair(signer).sign(&data.signing_payload(genesis));
		SignedVote { data, voter, signature }
	}

	fn genesis() -> H256 {
		System::block_hash(0)
	}

	fn proof(first: SignedVote, second: SignedVote) -> Box<EquivocationProof> {
		Box::new(EquivocationProof { first, second })
	}

	#[test]
	fn two_different_signed_votes_cost_the_member_once() {
		ExtBuilder::default().build_and_execute(|| {
			let g = genesis();
			// Index 2 is account 3.
			let p = proof(vote(2, 3, 1, &g), vote(2, 3, 2, &g));
			assert_report_equivocation(3, (*p).clone());
			assert_eq!(signals(), vec![(3, Signal::Equivocated)]);
			System::assert_last_event(
				Event::EquivocationReported { who: 3, height: 3, view: 1 }.into(),
			);
			assert!(Reported::<Test>::contains_key((3, 3, 1, Phase::Commit)));
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), p),
				Error::<Test>::AlreadyReported
			);
		});
	}

	#[test]
	fn anything_short_of_a_proven_equivocation_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let g = genesis();
			let same = proof(vote(2, 3, 1, &g), vote(2, 3, 1, &g));
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), same),
				Error::<Test>::NotAnEquivocation
			);
			let two_voters = proof(vote(2, 3, 1, &g), vote(1, 2, 2, &g));
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), two_voters),
				Error::<Test>::NotAnEquivocation
			);
			let mut other_phase = vote(2, 3, 2, &g);
			other_phase.data.phase = Phase::Prepare;
			other_phase.signature = pair(3).sign(&other_phase.data.signing_payload(&g));
			assert_noop!(
				Dpor::report_equivocation(
					RuntimeOrigin::none(),
					proof(vote(2, 3, 1, &g), other_phase)
				),
				Error::<Test>::NotAnEquivocation
			);
			// Signed by another member's key, or for another chain.
			let forged = proof(vote(2, 3, 1, &g), vote(2, 4, 2, &g));
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), forged),
				Error::<Test>::BadSignature
			);
			let other_chain = H256::repeat_byte(0xee);
			let replayed = proof(vote(2, 3, 1, &other_chain), vote(2, 3, 2, &other_chain));
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), replayed),
				Error::<Test>::BadSignature
			);
			let outsider = proof(vote(7, 3, 1, &g), vote(7, 3, 2, &g));
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), outsider),
				Error::<Test>::UnknownVoter
			);
			let mut wrong_term = proof(vote(2, 3, 1, &g), vote(2, 3, 2, &g));
			wrong_term.first.data.term = 4;
			wrong_term.second.data.term = 4;
			assert_noop!(
				Dpor::report_equivocation(RuntimeOrigin::none(), wrong_term),
				Error::<Test>::WrongTerm
			);
			// Only unsigned.
			assert_noop!(
				Dpor::report_equivocation(
					RuntimeOrigin::signed(1),
					proof(vote(2, 3, 1, &g), vote(2, 3, 2, &g))
				),
				sp_runtime::DispatchError::BadOrigin
			);
			assert!(signals().is_empty());
		});
	}

	#[test]
	fn reports_are_accepted_from_the_local_node_only() {
		ExtBuilder::default().build_and_execute(|| {
			let g = genesis();
			let call = crate::Call::report_equivocation {
				proof: proof(vote(2, 3, 1, &g), vote(2, 3, 2, &g)),
			};
			assert!(Dpor::validate_unsigned(TransactionSource::Local, &call).is_ok());
			assert!(Dpor::validate_unsigned(TransactionSource::InBlock, &call).is_ok());
			assert_eq!(
				Dpor::validate_unsigned(TransactionSource::External, &call),
				InvalidTransaction::Call.into()
			);
			let bad = crate::Call::report_equivocation {
				proof: proof(vote(2, 3, 1, &g), vote(2, 4, 2, &g)),
			};
			assert_eq!(
				Dpor::validate_unsigned(TransactionSource::Local, &bad),
				InvalidTransaction::BadProof.into()
			);
		});
	}
}

#[allow(deprecated)]
mod seal_equivocation {
	use super::*;
	use crate::{Error, ReportedSeals};
	use cpchain_primitives::consensus::{
		leader, seal_payload, SealEquivocationProof, MAX_PROOF_HEADER_LEN,
	};
	use frame_support::{assert_noop, pallet_prelude::ValidateUnsigned};
	use sp_core::Pair;
	use sp_runtime::{
		traits::Header as _,
		transaction_validity::{InvalidTransaction, TransactionSource},
	};

	type Header = sp_runtime::generic::Header<u64, sp_runtime::traits::BlakeTwo256>;

	const HEIGHT: u64 = 3;
	const VIEW: u32 = 1;

	/// The committee index of the leader of (`HEIGHT`, `VIEW`), and its account.
	fn the_leader() -> (u32, u64) {
		let index = leader(HEIGHT, VIEW, 4);
		(index, u64::from(index) + 1)
	}

	/// A header of `height` at `view` naming `author`, whose contents differ by `salt`, sealed
	/// by account `signer`'s key for the chain with genesis `genesis`.
	fn sealed(
		height: u64,
		view: u32,
		author: u32,
		signer: u64,
		salt: u8,
		genesis: &H256,
	) -> Header {
		let term = (height / TERM) as u32;
		let vrf =
			pair(signer).as_ref().vrf_sign(&vrf_input(&[0; 32], term, height).into_sign_data());
		let pre = PreDigest { term, view, author, vrf };
		let mut header = Header::new(
			height,
			H256::repeat_byte(salt),
			H256::repeat_byte(salt),
			H256::repeat_byte(2),
			Digest { logs: vec![pre_digest_item(&pre)] },
		);
		let signature = pair(signer).sign(&seal_payload(genesis, &header.hash()));
		header.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
		header
	}

	/// Two headers of the leader of (`HEIGHT`, `VIEW`), both sealed with its key.
	fn two_blocks(genesis: &H256) -> (Header, Header) {
		let (index, account) = the_leader();
		(
			sealed(HEIGHT, VIEW, index, account, 1, genesis),
			sealed(HEIGHT, VIEW, index, account, 2, genesis),
		)
	}

	fn proof(first: Header, second: Header) -> Box<SealEquivocationProof<Header>> {
		Box::new(SealEquivocationProof { first, second })
	}

	fn report(first: Header, second: Header) -> frame_support::dispatch::DispatchResult {
		Dpor::report_seal_equivocation(RuntimeOrigin::none(), proof(first, second))
	}

	#[test]
	fn two_blocks_sealed_by_one_leader_at_one_view_cost_it_once() {
		ExtBuilder::default().build_and_execute(|| {
			let g = System::block_hash(0);
			let (a, b) = two_blocks(&g);
			let (_, account) = the_leader();
			assert_report_seal_equivocation(
				account,
				HEIGHT,
				VIEW,
				SealEquivocationProof { first: a.clone(), second: b.clone() },
			);
			assert_eq!(signals(), vec![(account, Signal::Equivocated)]);
			System::assert_last_event(
				Event::SealEquivocationReported { who: account, height: HEIGHT, view: VIEW }.into(),
			);
			assert!(ReportedSeals::<Test>::contains_key((account, HEIGHT, VIEW)));
			assert_noop!(report(b, a), Error::<Test>::AlreadyReported);
		});
	}

	#[test]
	fn anything_short_of_two_blocks_of_the_leader_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let g = System::block_hash(0);
			let (index, account) = the_leader();
			let (a, b) = two_blocks(&g);
			// One header twice, and one header sealed twice (sr25519 seals differ every time,
			// the block does not).
			assert_noop!(report(a.clone(), a.clone()), Error::<Test>::NotAnEquivocation);
			let mut resealed = a.clone();
			resealed.digest_mut().pop();
			let signature = pair(account).sign(&seal_payload(&g, &resealed.hash()));
			resealed.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
			assert_ne!(resealed, a, "a fresh signature");
			assert_noop!(report(a.clone(), resealed), Error::<Test>::NotAnEquivocation);
			// Another height, another view, another author named.
			let other_height = sealed(HEIGHT + 4, VIEW, index, account, 2, &g);
			assert_noop!(report(a.clone(), other_height), Error::<Test>::NotAnEquivocation);
			let next = leader(HEIGHT, VIEW + 4, 4);
			assert_eq!(next, index, "view + n has the same leader");
			let other_view = sealed(HEIGHT, VIEW + 4, index, account, 2, &g);
			assert_noop!(report(a.clone(), other_view), Error::<Test>::NotAnEquivocation);
			let other_author = sealed(HEIGHT, VIEW, (index + 1) % 4, account, 2, &g);
			assert_noop!(report(a.clone(), other_author), Error::<Test>::NotAnEquivocation);
			// Without a seal.
			let mut unsealed = b.clone();
			unsealed.digest_mut().pop();
			assert_noop!(report(a.clone(), unsealed), Error::<Test>::NotAnEquivocation);
			// A seal with bytes after the signature is no seal (nodes refuse such blocks: the
			// bytes change the hash, not what was signed).
			let mut padded_seal = b.clone();
			if let Some(DigestItem::Seal(_, bytes)) = padded_seal.digest_mut().logs.last_mut() {
				bytes.push(0);
			}
			assert_noop!(report(a.clone(), padded_seal), Error::<Test>::NotAnEquivocation);
			// Two blocks by a member out of turn: no block of it would be imported anyway.
			let (other, other_account) = ((index + 1) % 4, u64::from((index + 1) % 4) + 1);
			assert_noop!(
				report(
					sealed(HEIGHT, VIEW, other, other_account, 1, &g),
					sealed(HEIGHT, VIEW, other, other_account, 2, &g)
				),
				Error::<Test>::NotTheLeader
			);
			assert_noop!(
				report(sealed(HEIGHT, VIEW, 7, 3, 1, &g), sealed(HEIGHT, VIEW, 7, 3, 2, &g)),
				Error::<Test>::UnknownVoter
			);
			// Sealed by another key, or for another chain.
			let forged = sealed(HEIGHT, VIEW, index, other_account, 2, &g);
			assert_noop!(report(a.clone(), forged), Error::<Test>::BadSignature);
			let other_chain = H256::repeat_byte(0xee);
			let (c, d) = two_blocks(&other_chain);
			assert_noop!(report(c, d), Error::<Test>::BadSignature);
			// A term that is not the height's.
			let wrong_term = |salt| {
				let mut h = sealed(HEIGHT, VIEW, index, account, salt, &g);
				h.digest_mut().logs.clear();
				let vrf = pair(account)
					.as_ref()
					.vrf_sign(&vrf_input(&[0; 32], 4, HEIGHT).into_sign_data());
				h.digest_mut().push(pre_digest_item(&PreDigest {
					term: 4,
					view: VIEW,
					author: index,
					vrf,
				}));
				let signature = pair(account).sign(&seal_payload(&g, &h.hash()));
				h.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
				h
			};
			assert_noop!(report(wrong_term(1), wrong_term(2)), Error::<Test>::WrongTerm);
			// Headers padded beyond the bound (a seal over a huge header is still refused
			// before anything is hashed).
			let padded = |salt| {
				let mut h = sealed(HEIGHT, VIEW, index, account, salt, &g);
				let seal = h.digest_mut().pop().expect("sealed");
				h.digest_mut().push(DigestItem::Other(vec![0; MAX_PROOF_HEADER_LEN as usize]));
				let signature = pair(account).sign(&seal_payload(&g, &h.hash()));
				assert_ne!(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()), seal);
				h.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
				h
			};
			assert_noop!(report(padded(1), padded(2)), Error::<Test>::HeaderTooLong);
			// Only unsigned.
			assert_noop!(
				Dpor::report_seal_equivocation(RuntimeOrigin::signed(1), proof(a, b)),
				sp_runtime::DispatchError::BadOrigin
			);
			assert!(signals().is_empty());
		});
	}

	#[test]
	fn seal_reports_are_accepted_from_the_local_node_only() {
		ExtBuilder::default().build_and_execute(|| {
			let g = System::block_hash(0);
			let (a, b) = two_blocks(&g);
			let call = crate::Call::report_seal_equivocation { proof: proof(a.clone(), b) };
			assert!(Dpor::validate_unsigned(TransactionSource::Local, &call).is_ok());
			assert!(Dpor::validate_unsigned(TransactionSource::InBlock, &call).is_ok());
			assert!(Dpor::pre_dispatch(&call).is_ok());
			assert_eq!(
				Dpor::validate_unsigned(TransactionSource::External, &call),
				InvalidTransaction::Call.into()
			);
			let bad = crate::Call::report_seal_equivocation { proof: proof(a.clone(), a) };
			assert_eq!(
				Dpor::validate_unsigned(TransactionSource::Local, &bad),
				InvalidTransaction::BadProof.into()
			);
			assert_eq!(Dpor::pre_dispatch(&bad), Err(InvalidTransaction::BadProof.into()));
		});
	}
}

#[test]
fn try_state_catches_a_stale_term_and_missing_randomness() {
	new_test_ext().execute_with(|| {
		run_block(1, 1, 0, 2);
		assert!(crate::Pallet::<Test>::do_try_state().is_ok());
		// A term that is not the current block's.
		CurrentTerm::<Test>::put(CurrentTerm::<Test>::get().unwrap_or(0) + 1);
		assert!(crate::Pallet::<Test>::do_try_state().is_err());
		// Randomness without a term, and a term without randomness.
		CurrentTerm::<Test>::kill();
		assert!(crate::Pallet::<Test>::do_try_state().is_err());
		CurrentTerm::<Test>::put(0);
		TermRandomness::<Test>::put([0; 32]);
		assert!(crate::Pallet::<Test>::do_try_state().is_err());
	});
}

#[test]
fn the_pallet_is_at_storage_version_0() {
	use frame_support::traits::{GetStorageVersion, StorageVersion};
	assert_eq!(crate::Pallet::<Test>::in_code_storage_version(), StorageVersion::new(0));
}
