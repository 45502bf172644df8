//! Benchmarks of the DPoR pallet (frame-benchmarking v2).
//!
//! The block hook checks a real VRF output. The runtime has no host function to make one (a
//! VRF proof needs fresh randomness), so the author's key and its output for the benchmark's
//! block are fixed vectors below; `vector_tests` checks that they still verify and prints
//! fresh ones when an input of the transcript changes.

use super::*;
use alloc::{boxed::Box, vec::Vec};
use cpchain_primitives::consensus::{pre_digest_item, SignedVote, VoteData};
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use sp_core::sr25519::vrf::VrfSignature;
use sp_runtime::{traits::Header as _, Digest, DigestItem};

/// The block the benchmarks run: the first of term 0.
const HEIGHT: u64 = 1;
/// Its term.
const TERM: TermIndex = 0;
/// The VRF accumulator before the block: its term randomness derives from it.
const ACCUMULATOR: [u8; 32] = [7; 32];
/// The seed of the author's key (for the vector tests only).
#[cfg(test)]
const AUTHOR_SEED: [u8; 32] = *b"cpchain/dpor/benchmark/author/01";
/// The author's public key.
const AUTHOR_PUBLIC: [u8; 32] = [
	112, 17, 36, 151, 64, 253, 49, 35, 103, 72, 219, 98, 180, 179, 175, 40, 74, 108, 174, 194, 238,
	119, 243, 93, 238, 190, 87, 57, 172, 199, 59, 91,
];
/// The author's VRF signature (pre-output and proof) over the VRF input of [`HEIGHT`] in
/// [`TERM`], with the term randomness that [`ACCUMULATOR`] gives.
const AUTHOR_VRF: [u8; 96] = [
	104, 112, 205, 15, 109, 96, 184, 169, 182, 204, 125, 162, 244, 43, 46, 11, 0, 228, 199, 138,
	201, 253, 163, 202, 116, 93, 58, 32, 219, 141, 110, 9, 217, 75, 84, 252, 137, 211, 160, 177,
	55, 1, 26, 215, 141, 172, 33, 39, 253, 89, 85, 169, 193, 177, 84, 190, 59, 162, 163, 51, 16,
	243, 219, 5, 240, 118, 137, 193, 224, 162, 241, 253, 218, 15, 115, 209, 131, 117, 210, 96, 126,
	169, 130, 151, 143, 65, 124, 150, 145, 132, 234, 86, 128, 213, 91, 3,
];

/// The VRF input of the benchmark's block.
#[cfg(test)]
fn benchmark_vrf_input() -> sp_core::sr25519::vrf::VrfInput {
	let randomness =
		sp_io::hashing::blake2_256(&(TERM_RANDOMNESS_DOMAIN, ACCUMULATOR, TERM).encode());
	vrf_input(&randomness, TERM, HEIGHT)
}

/// A placeholder consensus key for member `i` (only the author's and the voter's keys are
/// ever used for cryptography).
fn member_key(i: u32) -> AuthorityId {
	let raw = sp_io::hashing::blake2_256(&(b"cpchain/dpor/benchmark/member", i).encode());
	sp_core::sr25519::Public::from_raw(raw).into()
}

/// Makes `n` accounts the committee of [`HEIGHT`], `key` at slot `slot`; returns them.
fn committee<T: Config>(n: u32, slot: u32, key: AuthorityId) -> Vec<T::AccountId> {
	let members: Vec<(T::AccountId, AuthorityId)> = (0..n)
		.map(|i| {
			let key = if i == slot { key.clone() } else { member_key(i) };
			(account("member", i, 0), key)
		})
		.collect();
	let accounts = members.iter().map(|(who, _)| who.clone()).collect();
	T::BenchmarkHelper::set_committee(HEIGHT, members);
	accounts
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The hook of a block at view `v` (the leaders of views `0..v` impeached), the first of
	/// its term, with a valid VRF output, a committee of the largest size (the committee is
	/// read whole; the impeachments are capped at its size, so its size is not a separate
	/// component: the two would not vary independently).
	#[benchmark]
	fn on_initialize(v: Linear<0, { T::MaxCommitteeSize::get() }>) {
		let n = T::MaxCommitteeSize::get();
		let author = leader(HEIGHT, v, n);
		let key: AuthorityId = sp_core::sr25519::Public::from_raw(AUTHOR_PUBLIC).into();
		let members = committee::<T>(n, author, key);
		let (term, _) = T::Committee::committee_of_block(HEIGHT);
		assert_eq!(term, TERM, "the benchmark's VRF vector is for block {HEIGHT} in term {TERM}");
		Accumulator::<T>::put(ACCUMULATOR);
		CurrentTerm::<T>::kill();
		let vrf = VrfSignature::decode(&mut &AUTHOR_VRF[..]).expect("a fixed valid vector; qed");
		let height: BlockNumberFor<T> = HEIGHT.unique_saturated_into();
		frame_system::Pallet::<T>::set_block_number(height);
		frame_system::Pallet::<T>::deposit_log(pre_digest_item(&PreDigest {
			term: TERM,
			view: v,
			author,
			vrf,
		}));

		#[block]
		{
			Pallet::<T>::on_initialize(height);
		}

		assert_ne!(Accumulator::<T>::get(), ACCUMULATOR, "the VRF output was accepted");
		assert_eq!(CurrentTerm::<T>::get(), Some(TERM));
		if v > 0 {
			let first = members[leader(HEIGHT, 0, n) as usize].clone();
			frame_system::Pallet::<T>::assert_has_event(
				Event::<T>::LeaderImpeached { who: first, view: 0 }.into(),
			);
		}
	}

	/// A report of two different COMMIT votes by the last member of a committee of `n`.
	#[benchmark]
	fn report_equivocation(n: Linear<1, { T::MaxCommitteeSize::get() }>) {
		let key = AuthorityId::generate_pair(None);
		let voter = n - 1;
		let members = committee::<T>(n, voter, key.clone());
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
		let vote = |block: u8| {
			let data = VoteData {
				term: TERM,
				height: HEIGHT,
				view: 0,
				phase: Phase::Commit,
				block: Some(H256::repeat_byte(block)),
			};
			let signature =
				key.sign(&data.signing_payload(&genesis)).expect("the key is in the keystore; qed");
			SignedVote { data, voter, signature }
		};
		let proof = Box::new(EquivocationProof { first: vote(1), second: vote(2) });
		let who = members[voter as usize].clone();

		#[extrinsic_call]
		_(RawOrigin::None, proof);

		assert!(Reported::<T>::contains_key((who, HEIGHT, 0, Phase::Commit)));
	}

	/// A report of two headers sealed by the leader of a height and view, the last member of
	/// a committee of `n`, each header padded to the largest size a proof may carry (what the
	/// runtime hashes grows with it).
	#[benchmark]
	fn report_seal_equivocation(n: Linear<1, { T::MaxCommitteeSize::get() }>) {
		let author = n - 1;
		// The view at which the last member leads the benchmark's height.
		let view = (author + n - (HEIGHT % u64::from(n)) as u32) % n;
		assert_eq!(leader(HEIGHT, view, n), author);
		let key = AuthorityId::generate_pair(None);
		let members = committee::<T>(n, author, key.clone());
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
		let vrf = VrfSignature::decode(&mut &AUTHOR_VRF[..]).expect("a fixed valid vector; qed");
		let pre = pre_digest_item(&PreDigest { term: TERM, view, author, vrf });
		let header = |salt: u8| {
			let mut header = HeaderFor::<T>::new(
				HEIGHT.unique_saturated_into(),
				H256::repeat_byte(salt),
				H256::repeat_byte(salt),
				H256::repeat_byte(0),
				Digest { logs: alloc::vec![pre.clone()] },
			);
			// Pad to the bound: the padding item, the seal (64 bytes and its prefix) and the
			// rest of the header fill `MAX_PROOF_HEADER_LEN` exactly.
			let room = (MAX_PROOF_HEADER_LEN as usize)
				.saturating_sub(header.encoded_size() + 1 + 4 + 2 + 64 + 2 + 4);
			header.digest_mut().push(DigestItem::Other(alloc::vec![salt; room]));
			let signature = key
				.sign(&seal_payload(&genesis, &header.hash()))
				.expect("the key is in the keystore; qed");
			header.digest_mut().push(DigestItem::Seal(
				cpchain_primitives::consensus::DPOR_ENGINE_ID,
				signature.encode(),
			));
			header
		};
		let (first, second) = (header(1), header(2));
		assert!(first.encoded_size() <= MAX_PROOF_HEADER_LEN as usize);
		assert!(first.encoded_size() + 16 > MAX_PROOF_HEADER_LEN as usize, "padded to the bound");
		let proof = Box::new(SealEquivocationProof { first, second });
		let who = members[author as usize].clone();

		#[extrinsic_call]
		_(RawOrigin::None, proof);

		assert!(ReportedSeals::<T>::contains_key((who, HEIGHT, view)));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}

#[cfg(test)]
mod vector_tests {
	use super::*;
	use sp_core::{crypto::VrfSecret, Pair};

	/// The fixed author key and VRF output verify; if not (the transcript or the term
	/// randomness changed), the failure prints fresh vectors to paste above.
	#[test]
	fn the_benchmark_vrf_vector_verifies() {
		let pair = sp_core::sr25519::Pair::from_seed(&AUTHOR_SEED);
		let input = benchmark_vrf_input();
		let fresh = pair.vrf_sign(&input.clone().into_sign_data());
		let valid = VrfSignature::decode(&mut &AUTHOR_VRF[..]).is_ok_and(|vrf| {
			pair.public().0 == AUTHOR_PUBLIC
				&& pair.public().vrf_verify(&input.into_sign_data(), &vrf)
		});
		assert!(
			valid,
			"stale benchmark vectors; use\nconst AUTHOR_PUBLIC: [u8; 32] = {:?};\nconst AUTHOR_VRF: [u8; 96] = {:?};",
			pair.public().0,
			fresh.encode(),
		);
	}
}
