//! Benchmarks of the dispute pallet (frame-benchmarking v2).
//!
//! Each benchmark sets up the worst case its call can meet: funding that searches every block
//! a draw may be pushed to, the longest evidence, a conclusion in which half the seats voted
//! against the ruling (a penalty transfer each) and the other half share the loser's fee, and a
//! draw over the most candidates.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Hooks};
use frame_system::RawOrigin;
use sp_runtime::traits::One;

/// A funded account. Every benchmark's setup starts here, at block 1 (see [`at_block_one`]).
fn funded<T: Config>(name: &'static str) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	at_block_one::<T>();
	let who: T::AccountId = account(name, 0, 0);
	let fee = T::FeePerJuror::get().saturating_mul(T::MaxJury::get().into());
	let amount = fee
		.saturating_mul(MAX_ROUNDS.into())
		.saturating_add(T::JurorStake::get())
		.saturating_mul(4u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, amount);
	who
}

/// Moves a chain at block 0 to block 1. frame-benchmarking runs a benchmark's setup at the
/// block number of the chain it is given (0 at a real chain's genesis, 1 in the pallet's mock)
/// and moves a zero block number to 1 only after the setup, just before the measured call: a
/// setup that plans by the block number (a dispute's periods, its draw block) must see the
/// block the call will see.
fn at_block_one<T: Config>() {
	if frame_system::Pallet::<T>::block_number().is_zero() {
		frame_system::Pallet::<T>::set_block_number(One::one());
	}
}

/// A dispute opened by the buyer of a fresh order: (dispute, buyer, seller).
fn opened<T: Config>() -> (DisputeId, T::AccountId, T::AccountId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let (buyer, seller) = (funded::<T>("buyer"), funded::<T>("seller"));
	let (order, intervals) = T::BenchmarkHelper::order(&buyer, &seller);
	let id = NextDisputeId::<T>::get();
	Pallet::<T>::open_dispute(RawOrigin::Signed(buyer.clone()).into(), order, intervals)
		.expect("the buyer of a disputable order; qed");
	(id, buyer, seller)
}

/// A dispute opened and funded among `candidates` fresh candidate jurors, its round calling
/// for `jury` seats, at the block of its draw (not made yet). Returns the dispute, the parties,
/// the candidates and the block.
fn funded_round<T: Config>(
	candidates: u32,
	jury: u32,
) -> (DisputeId, T::AccountId, T::AccountId, Vec<T::AccountId>, BlockNumberFor<T>)
where
	T::Currency: Mutate<T::AccountId>,
{
	let candidates = T::BenchmarkHelper::candidates(candidates);
	let (id, buyer, seller) = opened::<T>();
	Pallet::<T>::fund(RawOrigin::Signed(seller.clone()).into(), id)
		.expect("the seller matches in time; qed");
	let mut d = Disputes::<T>::get(id).expect("opened; qed");
	if let Some(r) = d.rounds.last_mut() {
		r.jury = jury;
	}
	let Phase::Evidence { draw_at } = d.phase else { panic!("funded; qed") };
	Disputes::<T>::insert(id, d);
	frame_system::Pallet::<T>::set_block_number(draw_at);
	(id, buyer, seller, candidates, draw_at)
}

/// [`funded_round`] with its jury drawn. Returns the dispute, the parties and the jurors.
fn voting<T: Config>(
	candidates: u32,
	jury: u32,
) -> (DisputeId, T::AccountId, T::AccountId, Vec<T::AccountId>)
where
	T::Currency: Mutate<T::AccountId>,
{
	let (id, buyer, seller, candidates, draw_at) = funded_round::<T>(candidates, jury);
	Pallet::<T>::on_initialize(draw_at);
	let drawn = candidates.into_iter().filter(|j| Jurors::<T>::contains_key(id, j)).collect();
	(id, buyer, seller, drawn)
}

fn salt() -> [u8; 32] {
	[7; 32]
}

/// `juror` commits to `vote`.
fn commit<T: Config>(id: DisputeId, juror: &T::AccountId, vote: Party) {
	let c = commitment(id, 0, juror, vote, &salt());
	Pallet::<T>::commit_vote(RawOrigin::Signed(juror.clone()).into(), id, c)
		.expect("a juror commits in time; qed");
}

/// Moves to the first block of the reveal.
fn to_reveal<T: Config>(id: DisputeId) {
	if let Some(Dispute { phase: Phase::Voting { commit_until, .. }, .. }) = Disputes::<T>::get(id)
	{
		frame_system::Pallet::<T>::set_block_number(commit_until);
	}
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn open_dispute() {
		let (buyer, seller) = (funded::<T>("buyer"), funded::<T>("seller"));
		let (order, intervals) = T::BenchmarkHelper::order(&buyer, &seller);

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), order, intervals);

		assert!(OrderDisputes::<T>::contains_key(order));
	}

	/// Every block the draw may go to is full but the last.
	#[benchmark]
	fn fund() {
		let (id, _, seller) = opened::<T>();
		let first = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::EvidencePeriod::get())
			.saturating_add(1u32.into());
		let full: BoundedVec<DisputeId, T::MaxDrawsPerBlock> = BoundedVec::truncate_from(
			(0..T::MaxDrawsPerBlock::get()).map(|i| u64::MAX - u64::from(i)).collect(),
		);
		for delay in 0..MAX_DRAW_DELAY {
			Draws::<T>::insert(first.saturating_add(delay.into()), full.clone());
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(seller), id);

		assert!(matches!(Disputes::<T>::get(id).map(|d| d.phase), Some(Phase::Evidence { .. })));
	}

	#[benchmark]
	fn submit_evidence() {
		let (id, buyer, _) = opened::<T>();
		let cid = BoundedVec::truncate_from(alloc::vec![b'b'; T::MaxCidLen::get() as usize]);

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), id, H256::repeat_byte(1), cid);

		assert!(EvidenceOf::<T>::contains_key(id, 0));
	}

	#[benchmark]
	fn commit_vote() {
		let (id, _, _, jurors) = voting::<T>(T::InitialJury::get(), T::InitialJury::get());
		let juror = jurors[0].clone();
		let c = commitment(id, 0, &juror, Party::Buyer, &salt());

		#[extrinsic_call]
		_(RawOrigin::Signed(juror.clone()), id, c);

		assert_eq!(Jurors::<T>::get(id, &juror).and_then(|s| s.commitment), Some(c));
	}

	#[benchmark]
	fn reveal_vote() {
		let (id, _, _, jurors) = voting::<T>(T::InitialJury::get(), T::InitialJury::get());
		let juror = jurors[0].clone();
		commit::<T>(id, &juror, Party::Buyer);
		to_reveal::<T>(id);

		#[extrinsic_call]
		_(RawOrigin::Signed(juror.clone()), id, Party::Buyer, salt());

		assert_eq!(Jurors::<T>::get(id, &juror).and_then(|s| s.vote), Some(Party::Buyer));
	}

	#[benchmark]
	fn denounce() {
		let (id, _, _, jurors) = voting::<T>(T::InitialJury::get(), T::InitialJury::get());
		let juror = jurors[0].clone();
		commit::<T>(id, &juror, Party::Buyer);
		let denouncer = funded::<T>("denouncer");

		#[extrinsic_call]
		_(RawOrigin::Signed(denouncer), id, juror.clone(), Party::Buyer, salt());

		assert!(Jurors::<T>::get(id, &juror).is_some_and(|s| s.denounced));
	}

	/// The seller lost the first round and appeals.
	#[benchmark]
	fn appeal() {
		let (id, _, seller, jurors) = voting::<T>(T::InitialJury::get(), T::InitialJury::get());
		for j in &jurors {
			commit::<T>(id, j, Party::Buyer);
		}
		to_reveal::<T>(id);
		for j in &jurors {
			Pallet::<T>::reveal_vote(RawOrigin::Signed(j.clone()).into(), id, Party::Buyer, salt())
				.expect("revealed in time; qed");
		}
		let Some(Phase::Voting { reveal_until, .. }) = Disputes::<T>::get(id).map(|d| d.phase)
		else {
			panic!("drawn; qed")
		};
		frame_system::Pallet::<T>::set_block_number(reveal_until);
		Pallet::<T>::advance(RawOrigin::Signed(seller.clone()).into(), id)
			.expect("the reveal is over; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(seller), id);

		assert_eq!(Disputes::<T>::get(id).map(|d| d.rounds.len()), Some(2));
	}

	/// `advance` counting a round's votes.
	#[benchmark]
	fn tally() {
		let (id, buyer, _, _) = voting::<T>(T::InitialJury::get(), T::InitialJury::get());
		let Some(Phase::Voting { reveal_until, .. }) = Disputes::<T>::get(id).map(|d| d.phase)
		else {
			panic!("drawn; qed")
		};
		frame_system::Pallet::<T>::set_block_number(reveal_until);

		#[block]
		{
			Pallet::<T>::advance(RawOrigin::Signed(buyer).into(), id)
				.expect("the reveal is over; qed");
		}

		assert!(matches!(Disputes::<T>::get(id).map(|d| d.phase), Some(Phase::Appealable { .. })));
	}

	/// `advance` ending a dispute whose `j` seats all revealed, half of them against the
	/// ruling: each of those pays a penalty to the others, who share the loser's fee. The
	/// dispute has as many rounds as juries up to `MaxJury` allow (each round's fees paid out)
	/// and the most evidence from both sides (all of it removed).
	#[benchmark]
	fn conclude(j: Linear<1, { Pallet::<T>::max_seats() }>) {
		let (id, buyer, seller, jurors) = voting::<T>(j, j);
		let mut d = Disputes::<T>::get(id).expect("drawn; qed");
		let mut jury = T::InitialJury::get().saturating_mul(2).saturating_add(1);
		while jury <= T::MaxJury::get() {
			let fee = Pallet::<T>::fee_for(jury).expect("a bounded jury's fee; qed");
			for who in [&buyer, &seller] {
				T::Currency::hold(&HoldReason::Fee.into(), who, fee).expect("funded; qed");
			}
			d.rounds
				.try_push(RoundFees { jury, buyer: fee, seller: fee })
				.expect("integrity_test: MaxJury is reached within MAX_ROUNDS; qed");
			jury = jury.saturating_mul(2).saturating_add(1);
		}
		let cid = BoundedVec::truncate_from(alloc::vec![b'b'; T::MaxCidLen::get() as usize]);
		let most = T::MaxEvidence::get();
		for index in 0..most.saturating_mul(2) {
			let by = if index < most { Party::Buyer } else { Party::Seller };
			let evidence = Evidence { by, hash: H256::repeat_byte(1), cid: cid.clone() };
			EvidenceOf::<T>::insert(id, index, evidence);
		}
		d.evidence = (most, most);
		let mut votes = (0, 0);
		for (i, juror) in jurors.iter().enumerate() {
			let vote = if i % 2 == 0 { Party::Buyer } else { Party::Seller };
			match vote {
				Party::Buyer => votes.0 += 1,
				Party::Seller => votes.1 += 1,
			}
			Jurors::<T>::mutate(id, juror, |s| {
				if let Some(s) = s {
					s.vote = Some(vote);
				}
			});
		}
		let now = frame_system::Pallet::<T>::block_number();
		d.tally = votes;
		d.phase = Phase::Appealable { ruling: Some(Party::Buyer), until: now };

		Disputes::<T>::insert(id, d);

		#[block]
		{
			Pallet::<T>::advance(RawOrigin::Signed(buyer).into(), id)
				.expect("the appeal period is over; qed");
		}

		assert!(!Disputes::<T>::contains_key(id));
	}

	/// A draw of `j` seats among `c` candidates.
	#[benchmark]
	fn draw_jury(
		c: Linear<{ T::MaxJury::get() }, { T::MaxCandidates::get() }>,
		j: Linear<1, { T::MaxJury::get() }>,
	) {
		let (id, _, _, _, draw_at) = funded_round::<T>(c, j);

		#[block]
		{
			Pallet::<T>::on_initialize(draw_at);
		}

		assert_eq!(Jurors::<T>::iter_prefix(id).count() as u32, j);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().at_genesis().build(),
		crate::mock::Test
	);
}
