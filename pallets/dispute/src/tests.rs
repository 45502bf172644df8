//! Unit tests of the dispute pallet: every call, its errors and events, the money of each way a
//! dispute ends, the attacks of parties, jurors and bystanders, the jury's draw, and a fuzz
//! test of random calls that checks the invariants and the conservation of funds after each.

use crate::{
	commitment, mock::*, Dispute, Disputes, Draws, Error, Event, EvidenceOf, HoldReason, Jurors,
	OrderDisputes, Phase, WeightInfo, MAX_DRAW_DELAY,
};
use cpchain_primitives::{
	data::IntervalRange,
	dispute::{DisputeId, Party},
	reputation::Signal,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold, Mutate},
		Get, Hooks,
	},
	BoundedVec,
};
use sp_core::H256;

const ORDER: u64 = 0;

fn range(first: u64, last: u64) -> IntervalRange {
	IntervalRange { first, last }
}

fn origin(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn now() -> u64 {
	System::block_number()
}

fn dispute(id: DisputeId) -> Dispute<Test> {
	Disputes::<Test>::get(id).expect("the dispute runs")
}

fn fees_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Fee.into(), &who)
}

fn stake_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::JurorStake.into(), &who)
}

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

/// Every endowed account's free and held balance.
fn total_money() -> Balance {
	[BUYER, SELLER, STRANGER]
		.into_iter()
		.chain(JUROR..JUROR + 40)
		.map(|who| Balances::total_balance(&who))
		.sum()
}

fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Court(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// The buyer disputes intervals 3..=4 of order 0: dispute 0.
fn open() -> DisputeId {
	let id = crate::NextDisputeId::<Test>::get();
	assert_ok!(Court::open_dispute(origin(BUYER), ORDER, range(3, 4)));
	id
}

/// The dispute's jurors of its current round, in no particular order.
fn jury(id: DisputeId) -> Vec<AccountId> {
	let round = dispute(id).round();
	Jurors::<Test>::iter_prefix(id).filter(|(_, s)| s.round == round).map(|(w, _)| w).collect()
}

/// Both sides paid; the jury is drawn: the block is then the draw's.
fn drawn(id: DisputeId) -> Vec<AccountId> {
	let d = dispute(id);
	if let Phase::Funding { party, .. } = d.phase {
		assert_ok!(Court::fund(origin(*d.account(party)), id));
	}
	let Phase::Evidence { draw_at } = dispute(id).phase else { panic!("not waiting for a draw") };
	run_to_block(draw_at);
	jury(id)
}

/// Each juror commits to its vote and, once the reveal opens, reveals it (`None`: it never
/// reveals). Then the reveal period ends.
fn vote(id: DisputeId, votes: &[(AccountId, Option<Party>)]) {
	let round = dispute(id).round();
	for (juror, v) in votes {
		let c = commitment(id, round, juror, v.unwrap_or(Party::Buyer), &salt(*juror));
		assert_ok!(Court::commit_vote(origin(*juror), id, c));
	}
	let Phase::Voting { commit_until, reveal_until } = dispute(id).phase else { panic!() };
	run_to_block(commit_until);
	for (juror, v) in votes {
		if let Some(v) = v {
			assert_ok!(Court::reveal_vote(origin(*juror), id, *v, salt(*juror)));
		}
	}
	run_to_block(reveal_until);
}

/// Counts the votes, lets the appeal period pass and ends the dispute.
fn conclude(id: DisputeId) {
	assert_ok!(Court::advance(origin(STRANGER), id));
	let Phase::Appealable { until, .. } = dispute(id).phase else { panic!("not ruled") };
	run_to_block(until);
	assert_ok!(Court::advance(origin(STRANGER), id));
	assert!(Disputes::<Test>::get(id).is_none());
}

mod opening {
	use super::*;

	#[test]
	fn a_party_opens_a_dispute_paying_the_first_rounds_fee_and_the_market_freezes() {
		ExtBuilder::default().build_and_execute(|| {
			let id = open();
			assert_eq!(fees_held(BUYER), 3 * FEE);
			assert_eq!(market_ruling(ORDER), Some(None), "frozen, not ruled");
			assert_eq!(OrderDisputes::<Test>::get(ORDER), Some(id));
			assert_eq!(
				dispute(id).phase,
				Phase::Funding { party: Party::Seller, until: 1 + RESPONSE }
			);
			System::assert_last_event(
				Event::DisputeOpened {
					dispute: id,
					order: ORDER,
					intervals: range(3, 4),
					claimant: Party::Buyer,
					fee: 3 * FEE,
					respond_by: 1 + RESPONSE,
				}
				.into(),
			);
		});
	}

	#[test]
	fn only_a_party_of_an_open_order_opens_one_dispute_it_can_pay_for() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Court::open_dispute(origin(STRANGER), ORDER, range(3, 4)),
				Error::<Test>::NotAParty
			);
			assert_noop!(
				Court::open_dispute(origin(BUYER), 7, range(3, 4)),
				Error::<Test>::UnknownOrder
			);
			add_order(1, PAUPER, SELLER);
			assert_noop!(
				Court::open_dispute(origin(PAUPER), 1, range(3, 4)),
				Error::<Test>::InsufficientBalance
			);
			// What the market refuses (here: intervals past their settlement) is refused.
			assert_noop!(
				Court::open_dispute(origin(SELLER), ORDER, range(99, 100)),
				sp_runtime::DispatchError::Other("not disputable")
			);
			open();
			assert_noop!(
				Court::open_dispute(origin(SELLER), ORDER, range(5, 5)),
				Error::<Test>::AlreadyDisputed
			);
		});
	}
}

mod fee_rule {
	use super::*;

	#[test]
	fn a_side_that_does_not_match_the_fee_in_time_loses_by_default() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let id = open();
			let seller0 = free(SELLER);
			run_to_block(1 + RESPONSE);
			assert_noop!(Court::advance(origin(STRANGER), id), Error::<Test>::NothingToAdvance);
			run_to_block(2 + RESPONSE);
			assert_noop!(Court::fund(origin(SELLER), id), Error::<Test>::WrongPhase);
			assert_ok!(Court::advance(origin(STRANGER), id));
			System::assert_last_event(
				Event::DisputeConcluded {
					dispute: id,
					order: ORDER,
					ruling: Some(Party::Buyer),
					by_default: true,
					to_jurors: 0,
					penalties: 0,
					burnt: 0,
				}
				.into(),
			);
			assert_eq!(market_ruling(ORDER), Some(Some(Some(Party::Buyer))));
			assert_eq!(fees_held(BUYER), 0);
			assert_eq!(free(SELLER), seller0);
			assert_eq!(Signals::get(), vec![(SELLER, Signal::DisputeLost)]);
			assert!(OrderDisputes::<Test>::get(ORDER).is_none());
			assert_eq!(total_money(), total);
		});
	}

	#[test]
	fn only_the_side_waited_for_pays_and_then_the_jury_is_planned() {
		ExtBuilder::default().build_and_execute(|| {
			let id = open();
			assert_noop!(Court::fund(origin(BUYER), id), Error::<Test>::NotYourTurn);
			assert_noop!(Court::fund(origin(STRANGER), id), Error::<Test>::NotYourTurn);
			assert_noop!(Court::fund(origin(SELLER), 9), Error::<Test>::UnknownDispute);
			run_to_block(1 + RESPONSE);
			assert_ok!(Court::fund(origin(SELLER), id));
			let draw_at = now() + EVIDENCE + 1;
			assert_eq!(dispute(id).phase, Phase::Evidence { draw_at });
			assert_eq!(Draws::<Test>::get(draw_at).into_inner(), vec![id]);
			assert_eq!(fees_held(SELLER), 3 * FEE);
			assert_noop!(Court::fund(origin(SELLER), id), Error::<Test>::WrongPhase);
			assert_noop!(Court::advance(origin(STRANGER), id), Error::<Test>::NothingToAdvance);
		});
	}

	#[test]
	fn a_full_block_of_draws_pushes_a_draw_to_the_next_block_with_room() {
		ExtBuilder::default().build_and_execute(|| {
			for order in 1..=3 {
				add_order(order, BUYER, SELLER);
			}
			let ids: Vec<DisputeId> = (0..=3)
				.map(|order| {
					let id = crate::NextDisputeId::<Test>::get();
					assert_ok!(Court::open_dispute(origin(BUYER), order, range(3, 4)));
					assert_ok!(Court::fund(origin(SELLER), id));
					id
				})
				.collect();
			let at = now() + EVIDENCE + 1;
			assert_eq!(Draws::<Test>::get(at).into_inner(), vec![ids[0], ids[1]]);
			assert_eq!(Draws::<Test>::get(at + 1).into_inner(), vec![ids[2], ids[3]]);
			run_to_block(at + 1);
			for id in ids {
				assert!(matches!(dispute(id).phase, Phase::Voting { .. }));
			}
		});
	}

	#[test]
	fn a_full_draw_queue_delays_the_jury_and_never_costs_a_side_the_dispute() {
		ExtBuilder::default().build_and_execute(|| {
			// Someone filled every block a draw could go to (with disputes of its own).
			let at = now() + EVIDENCE + 1;
			let last = at + u64::from(MAX_DRAW_DELAY);
			let id = open();
			// The seller pays in time: its payment is taken, whatever the queue.
			let fill = || {
				for b in at..=last {
					Draws::<Test>::insert(b, BoundedVec::truncate_from(vec![100, 101]));
				}
			};
			fill();
			assert_ok!(Court::fund(origin(SELLER), id));
			assert_eq!(dispute(id).phase, Phase::Evidence { draw_at: last });
			let _ = Draws::<Test>::clear(u32::MAX, None);
			// Nothing to draw before its block; after it, anyone draws the jury.
			System::set_block_number(last);
			assert_noop!(Court::advance(origin(STRANGER), id), Error::<Test>::NothingToAdvance);
			System::set_block_number(last + 1);
			assert_ok!(Court::advance(origin(STRANGER), id));
			assert_eq!(jury(id).len(), 3);
			assert!(matches!(dispute(id).phase, Phase::Voting { .. }));
		});
	}
}

mod voting {
	use super::*;

	#[test]
	fn the_jury_is_drawn_from_candidates_other_than_the_parties_and_puts_up_a_stake() {
		ExtBuilder::default().build_and_execute(|| {
			// The parties are candidates too: they never sit.
			Candidates::mutate(|c| {
				c.push((BUYER, 1_000, 1_000));
				c.push((SELLER, 1_000, 1_000));
			});
			let id = open();
			let jurors = drawn(id);
			assert_eq!(jurors.len(), 3);
			for j in &jurors {
				assert!((JUROR..JUROR + 10).contains(j), "{j} is not a candidate juror");
				assert_eq!(stake_held(*j), STAKE);
			}
			let Phase::Voting { commit_until, reveal_until } = dispute(id).phase else { panic!() };
			assert_eq!((commit_until, reveal_until), (now() + COMMIT, now() + COMMIT + REVEAL));
			assert!(events().iter().any(|e| matches!(e, Event::JuryDrawn { round: 0, .. })));
		});
	}

	#[test]
	fn the_majority_rules_the_losers_fee_pays_it_and_the_minority_pays_a_penalty() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let issuance = Balances::total_issuance();
			let id = open();
			let j = drawn(id);
			let before: Vec<Balance> = j.iter().map(|w| free(*w)).collect();
			let (buyer0, seller0) = (free(BUYER), free(SELLER));
			vote(
				id,
				&[
					(j[0], Some(Party::Buyer)),
					(j[1], Some(Party::Buyer)),
					(j[2], Some(Party::Seller)),
				],
			);
			assert_ok!(Court::advance(origin(STRANGER), id));
			System::assert_last_event(
				Event::RoundRuled {
					dispute: id,
					round: 0,
					ruling: Some(Party::Buyer),
					votes: (2, 1),
					appeal_until: now() + APPEAL,
				}
				.into(),
			);
			run_to_block(now() + APPEAL);
			assert_ok!(Court::advance(origin(STRANGER), id));
			// The seller's 30 goes 15 and 15 to the two coherent jurors; the third loses 20% of
			// its stake, 10 to each of them.
			let penalty = STAKE / 5;
			assert_eq!(free(j[0]), before[0] + STAKE + 3 * FEE / 2 + penalty / 2);
			assert_eq!(free(j[1]), before[1] + STAKE + 3 * FEE / 2 + penalty / 2);
			assert_eq!(free(j[2]), before[2] + STAKE - penalty);
			assert_eq!(free(BUYER), buyer0 + 3 * FEE);
			assert_eq!(free(SELLER), seller0);
			assert_eq!(fees_held(SELLER) + fees_held(BUYER), 0);
			assert_eq!(market_ruling(ORDER), Some(Some(Some(Party::Buyer))));
			assert_eq!(Signals::get(), vec![(SELLER, Signal::DisputeLost)]);
			assert_eq!(EvidenceOf::<Test>::iter_prefix(id).count(), 0);
			assert_eq!(Jurors::<Test>::iter_prefix(id).count(), 0);
			assert_eq!((total_money(), Balances::total_issuance()), (total, issuance));
		});
	}

	#[test]
	fn a_tie_rules_for_nobody_fees_go_back_and_silent_jurors_stakes_are_burnt() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let id = open();
			let j = drawn(id);
			let (buyer0, seller0, silent0) = (free(BUYER), free(SELLER), free(j[2]));
			vote(id, &[(j[0], Some(Party::Buyer)), (j[1], Some(Party::Seller)), (j[2], None)]);
			conclude(id);
			assert_eq!(market_ruling(ORDER), Some(Some(None)));
			assert_eq!((free(BUYER), free(SELLER)), (buyer0 + 3 * FEE, seller0 + 3 * FEE));
			// After a ruling for nobody every juror who revealed counts as coherent: the two
			// share the silent juror's penalty.
			let penalty = STAKE / 5;
			assert_eq!(free(j[2]), silent0 + STAKE - penalty);
			assert_eq!(total_money(), total);
			assert!(Signals::get().is_empty(), "nobody lost");
		});
	}

	#[test]
	fn a_vote_counts_only_when_revealed_with_its_salt_by_its_own_juror_in_time() {
		ExtBuilder::default().build_and_execute(|| {
			let id = open();
			let j = drawn(id);
			let c0 = commitment(id, 0, &j[0], Party::Seller, &salt(j[0]));
			assert_noop!(Court::commit_vote(origin(STRANGER), id, c0), Error::<Test>::NotAJuror);
			assert_ok!(Court::commit_vote(origin(j[0]), id, c0));
			// Another juror copies the first one's commitment: it cannot reveal it as its own.
			assert_ok!(Court::commit_vote(origin(j[1]), id, c0));
			assert_noop!(
				Court::reveal_vote(origin(j[0]), id, Party::Seller, salt(j[0])),
				Error::<Test>::WrongPhase
			);
			let Phase::Voting { commit_until, reveal_until } = dispute(id).phase else { panic!() };
			run_to_block(commit_until);
			assert_noop!(Court::commit_vote(origin(j[2]), id, c0), Error::<Test>::WrongPhase);
			assert_noop!(
				Court::reveal_vote(origin(j[1]), id, Party::Seller, salt(j[0])),
				Error::<Test>::CommitmentMismatch
			);
			assert_noop!(
				Court::reveal_vote(origin(j[0]), id, Party::Buyer, salt(j[0])),
				Error::<Test>::CommitmentMismatch
			);
			assert_noop!(
				Court::reveal_vote(origin(j[2]), id, Party::Buyer, salt(j[2])),
				Error::<Test>::CommitmentMismatch
			);
			assert_ok!(Court::reveal_vote(origin(j[0]), id, Party::Seller, salt(j[0])));
			assert_noop!(
				Court::reveal_vote(origin(j[0]), id, Party::Seller, salt(j[0])),
				Error::<Test>::AlreadyRevealed
			);
			run_to_block(reveal_until);
			assert_eq!(dispute(id).tally, (0, 1));
			// After the reveal period, votes no longer come in.
			assert_noop!(
				Court::reveal_vote(origin(j[2]), id, Party::Buyer, salt(j[2])),
				Error::<Test>::WrongPhase
			);
			conclude(id);
			assert_eq!(market_ruling(ORDER), Some(Some(Some(Party::Seller))));
		});
	}

	#[test]
	fn a_vote_shown_before_the_reveal_costs_its_juror_the_stake() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let issuance = Balances::total_issuance();
			let id = open();
			let j = drawn(id);
			let c = commitment(id, 0, &j[0], Party::Seller, &salt(j[0]));
			assert_ok!(Court::commit_vote(origin(j[0]), id, c));
			// A wrong guess denounces nobody.
			assert_noop!(
				Court::denounce(origin(STRANGER), id, j[0], Party::Buyer, salt(j[0])),
				Error::<Test>::CommitmentMismatch
			);
			let stranger0 = free(STRANGER);
			assert_ok!(Court::denounce(origin(STRANGER), id, j[0], Party::Seller, salt(j[0])));
			System::assert_last_event(
				Event::VoteDenounced {
					dispute: id,
					juror: j[0],
					denouncer: STRANGER,
					reward: STAKE / 2,
					burnt: STAKE / 2,
				}
				.into(),
			);
			assert_eq!(free(STRANGER), stranger0 + STAKE / 2);
			assert_eq!(stake_held(j[0]), 0);
			assert_eq!(Balances::total_issuance(), issuance - STAKE / 2);
			assert_noop!(Court::commit_vote(origin(j[0]), id, c), Error::<Test>::AlreadyRevealed);
			let Phase::Voting { commit_until, .. } = dispute(id).phase else { panic!() };
			run_to_block(commit_until);
			assert_noop!(
				Court::reveal_vote(origin(j[0]), id, Party::Seller, salt(j[0])),
				Error::<Test>::AlreadyRevealed
			);
			// Once the reveal is open, a shown vote is no longer news.
			assert_noop!(
				Court::denounce(origin(STRANGER), id, j[1], Party::Buyer, salt(j[1])),
				Error::<Test>::WrongPhase
			);
			assert_eq!(total_money(), total - STAKE / 2);
		});
	}

	#[test]
	fn evidence_comes_from_the_parties_and_neither_fills_the_others_room() {
		ExtBuilder::default().build_and_execute(|| {
			let id = open();
			let cid: BoundedVec<u8, _> = BoundedVec::truncate_from(b"bafyevidence".to_vec());
			assert_noop!(
				Court::submit_evidence(origin(STRANGER), id, H256::repeat_byte(1), cid.clone()),
				Error::<Test>::NotAParty
			);
			// The buyer fills its room (before the seller even answered) ...
			for i in 0..MAX_EVIDENCE {
				assert_ok!(Court::submit_evidence(
					origin(BUYER),
					id,
					H256::repeat_byte(i as u8),
					cid.clone()
				));
			}
			assert_noop!(
				Court::submit_evidence(origin(BUYER), id, H256::zero(), cid.clone()),
				Error::<Test>::TooMuchEvidence
			);
			// ... and the seller still has all of its own.
			for i in 0..MAX_EVIDENCE {
				assert_ok!(Court::submit_evidence(
					origin(SELLER),
					id,
					H256::repeat_byte(0x80 + i as u8),
					cid.clone()
				));
			}
			assert_noop!(
				Court::submit_evidence(origin(SELLER), id, H256::zero(), cid.clone()),
				Error::<Test>::TooMuchEvidence
			);
			assert_eq!(
				EvidenceOf::<Test>::get(id, MAX_EVIDENCE).map(|e| (e.by, e.hash)),
				Some((Party::Seller, H256::repeat_byte(0x80)))
			);
		});
	}
}

mod appeals {
	use super::*;

	#[test]
	fn the_loser_appeals_to_a_larger_fresh_jury_and_the_last_ruling_decides_every_round() {
		ExtBuilder::default().candidates(12).build_and_execute(|| {
			let total = total_money();
			let id = open();
			let first = drawn(id);
			vote(id, &first.iter().map(|j| (*j, Some(Party::Seller))).collect::<Vec<_>>());
			assert_ok!(Court::advance(origin(STRANGER), id));
			// The winner may not appeal; the loser may, paying for 7 jurors.
			assert_noop!(Court::appeal(origin(SELLER), id), Error::<Test>::NotTheLoser);
			assert_noop!(Court::appeal(origin(STRANGER), id), Error::<Test>::NotAParty);
			assert_ok!(Court::appeal(origin(BUYER), id));
			assert_eq!(fees_held(BUYER), 3 * FEE + 7 * FEE);
			assert_eq!(
				dispute(id).phase,
				Phase::Funding { party: Party::Seller, until: now() + RESPONSE }
			);
			let second = drawn(id);
			assert_eq!(second.len(), 7);
			assert!(second.iter().all(|j| !first.contains(j)), "a juror sits once per dispute");
			let before: Vec<Balance> = first.iter().map(|w| free(*w)).collect();
			vote(id, &second.iter().map(|j| (*j, Some(Party::Buyer))).collect::<Vec<_>>());
			assert_ok!(Court::advance(origin(STRANGER), id));
			// No third round: 15 jurors would exceed MaxJury.
			assert_noop!(Court::appeal(origin(SELLER), id), Error::<Test>::NoMoreAppeals);
			let Phase::Appealable { until, .. } = dispute(id).phase else { panic!() };
			run_to_block(until);
			assert_ok!(Court::advance(origin(STRANGER), id));
			assert_eq!(market_ruling(ORDER), Some(Some(Some(Party::Buyer))));
			// The first jury voted against the final ruling: penalised, and no fee for them
			// (the seller's first-round fee went to the buyer, nobody having earned it).
			for (j, b) in first.iter().zip(before) {
				assert_eq!(free(*j), b + STAKE - STAKE / 5);
			}
			assert_eq!(total_money(), total - 3 * (STAKE / 5));
		});
	}

	#[test]
	fn an_appeal_the_winner_does_not_fund_wins_for_the_appellant() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let id = open();
			let j = drawn(id);
			let before: Vec<Balance> = j.iter().map(|w| free(*w)).collect();
			vote(id, &j.iter().map(|j| (*j, Some(Party::Seller))).collect::<Vec<_>>());
			assert_ok!(Court::advance(origin(STRANGER), id));
			let buyer0 = free(BUYER);
			assert_ok!(Court::appeal(origin(BUYER), id));
			let Phase::Funding { until, .. } = dispute(id).phase else { panic!() };
			run_to_block(until + 1);
			assert_ok!(Court::advance(origin(STRANGER), id));
			assert_eq!(market_ruling(ORDER), Some(Some(Some(Party::Buyer))));
			// The buyer gets both its fees back and the seller's first-round fee, which no
			// juror earned (all voted against the final ruling, and pay their penalty).
			assert_eq!(free(BUYER), buyer0 + 3 * FEE + 3 * FEE);
			for (j, b) in j.iter().zip(before) {
				assert_eq!(free(*j), b + STAKE - STAKE / 5);
			}
			assert_eq!(total_money(), total - 3 * (STAKE / 5));
		});
	}

	#[test]
	fn the_appeal_window_closes() {
		ExtBuilder::default().build_and_execute(|| {
			let id = open();
			let j = drawn(id);
			vote(id, &j.iter().map(|j| (*j, Some(Party::Seller))).collect::<Vec<_>>());
			assert_ok!(Court::advance(origin(STRANGER), id));
			let Phase::Appealable { until, .. } = dispute(id).phase else { panic!() };
			run_to_block(until);
			assert_noop!(Court::appeal(origin(BUYER), id), Error::<Test>::WrongPhase);
		});
	}

	#[test]
	fn with_too_few_candidates_the_jury_is_smaller_and_with_none_the_round_rules_for_nobody() {
		ExtBuilder::default().candidates(2).build_and_execute(|| {
			let id = open();
			assert_eq!(drawn(id).len(), 2);
		});
		ExtBuilder::default().candidates(0).build_and_execute(|| {
			let id = open();
			assert!(drawn(id).is_empty());
			assert!(matches!(dispute(id).phase, Phase::Appealable { ruling: None, .. }));
		});
	}
}

mod draw {
	use super::*;

	#[test]
	fn a_candidate_without_reputation_or_stake_never_sits_and_weight_counts() {
		ExtBuilder::default().candidates(0).build_and_execute(|| {
			// 10 with no reputation, 11 who cannot put up a stake, 12 bonded 1000 (capped) at
			// reputation 30, 13 to 15 bonded 500 at reputation 10: weights 0, -, 30000, 5000 each.
			Candidates::set(vec![
				(10, 500, 0),
				(PAUPER, 500, 10),
				(12, 5_000, 30),
				(13, 500, 10),
				(14, 500, 10),
				(15, 500, 10),
			]);
			// Enough for a stake in every one of the 200 disputes below.
			for j in 12..=15 {
				assert_ok!(<Balances as Mutate<AccountId>>::mint_into(&j, 200 * STAKE));
			}
			let mut seats = std::collections::BTreeMap::<AccountId, u32>::new();
			for order in 1..=200u64 {
				add_order(order, BUYER, SELLER);
				let id = crate::NextDisputeId::<Test>::get();
				assert_ok!(Court::open_dispute(origin(BUYER), order, range(3, 4)));
				for j in drawn(id) {
					*seats.entry(j).or_default() += 1;
				}
			}
			assert!(!seats.contains_key(&10) && !seats.contains_key(&PAUPER), "{seats:?}");
			// 12 is in nearly every jury of 3; each of the others in about two thirds of the
			// rest's seats.
			assert!(seats[&12] > 180, "{seats:?}");
			assert!((13..=15).all(|j| seats[&j] > 100 && seats[&j] < 170), "{seats:?}");
		});
	}

	#[test]
	fn a_draw_weighs_every_candidate_it_passes_over_not_only_the_seats() {
		ExtBuilder::default().candidates(0).build_and_execute(|| {
			// Only 10 can put up a stake; 60 to 63 and the pauper have nothing.
			let mut candidates = vec![(10, 500, 10), (PAUPER, 500, 10)];
			candidates.extend((60..64).map(|who| (who, 500, 10)));
			Candidates::set(candidates);
			let id = open();
			assert_ok!(Court::fund(origin(SELLER), id));
			let Phase::Evidence { draw_at } = dispute(id).phase else { panic!("funded") };
			System::set_block_number(draw_at);
			let weight = <Court as Hooks<u64>>::on_initialize(draw_at);
			// A jury of 3 with one candidate able to sit: all six are drawn, one sits.
			assert_eq!(jury(id), vec![10]);
			let queue = <<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads_writes(1, 1);
			assert_eq!(weight, queue.saturating_add(<() as WeightInfo>::draw_jury(6, 6)));
		});
	}

	#[test]
	fn the_seed_decides_the_jury_and_a_block_hash_does_not() {
		let jury_with = |seed: u64| {
			let mut j = Vec::new();
			ExtBuilder::default().build_and_execute(|| {
				Seed::set(seed);
				let id = open();
				j = drawn(id);
				j.sort();
			});
			j
		};
		assert_eq!(jury_with(1), jury_with(1));
		assert!((2..6).any(|s| jury_with(s) != jury_with(1)), "the seed changes nothing");
	}
}

mod views {
	use super::*;

	#[test]
	fn a_view_shows_the_jury_and_evidence_but_no_commitment_and_pages_skip_ended_disputes() {
		ExtBuilder::default().build_and_execute(|| {
			add_order(1, BUYER, SELLER);
			let first = open();
			assert_ok!(Court::open_dispute(origin(SELLER), 1, range(3, 4)));
			let cid: BoundedVec<u8, _> = BoundedVec::truncate_from(b"bafyevidence".to_vec());
			assert_ok!(Court::submit_evidence(origin(BUYER), first, H256::repeat_byte(9), cid));
			let j = drawn(first);
			let c = commitment(first, 0, &j[0], Party::Buyer, &salt(j[0]));
			assert_ok!(Court::commit_vote(origin(j[0]), first, c));
			let view = Court::dispute_view(first).expect("running");
			assert_eq!((view.order, view.claimant, view.buyer), (ORDER, Party::Buyer, BUYER));
			assert_eq!(view.rounds, vec![(3, 3 * FEE, 3 * FEE)]);
			assert_eq!(view.jurors.len(), 3);
			let seat = view.jurors.iter().find(|s| s.juror == j[0]).expect("seated");
			assert!(seat.committed && seat.vote.is_none());
			assert_eq!(view.evidence.len(), 1);
			assert_eq!(view.evidence[0].cid, b"bafyevidence".to_vec());
			assert_eq!(Court::dispute_of_order(1), Some(first + 1));
			// The second dispute ends by default; the page skips it and says where to go on.
			run_to_block(now() + RESPONSE + 1);
			assert_ok!(Court::advance(origin(STRANGER), first + 1));
			let page = Court::disputes_page(0, 1);
			assert_eq!((page.items.len(), page.next), (1, Some(1)));
			let page = Court::disputes_page(1, 10);
			assert_eq!((page.items.len(), page.next), (0, None));
			assert!(Court::dispute_view(first + 1).is_none());
		});
	}
}

mod fuzz {
	use super::*;
	use cpchain_primitives::market::OrderId;
	use std::collections::BTreeMap;

	/// A small deterministic generator (xorshift64*), so that a failing seed replays.
	struct Rng(u64);
	impl Rng {
		fn next(&mut self) -> u64 {
			self.0 ^= self.0 >> 12;
			self.0 ^= self.0 << 25;
			self.0 ^= self.0 >> 27;
			self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
		}
		fn below(&mut self, n: u64) -> u64 {
			self.next() % n.max(1)
		}
		fn one_of<T: Copy>(&mut self, items: &[T]) -> T {
			items[self.below(items.len() as u64) as usize]
		}
	}

	/// What each event of the step burnt.
	fn burnt_by_events() -> Balance {
		events()
			.into_iter()
			.map(|e| match e {
				Event::VoteDenounced { burnt, .. } | Event::DisputeConcluded { burnt, .. } => burnt,
				_ => 0,
			})
			.sum()
	}

	/// Random calls of every kind, from the parties, jurors and strangers, over eight orders
	/// (some of whose parties are candidate jurors) and the disputes they open, with time
	/// passing and the market settling past ruled intervals so orders are disputed again.
	/// After every call: the pallet's invariants hold and every unit of money is where it was
	/// or reported burnt.
	#[test]
	fn random_calls_keep_every_invariant_and_every_unit_of_money() {
		let calls: u64 =
			std::env::var("DISPUTE_FUZZ_CALLS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
		let seed: u64 = std::env::var("DISPUTE_FUZZ_SEED")
			.ok()
			.and_then(|s| s.parse().ok())
			.unwrap_or(20261207);
		ExtBuilder::default().candidates(12).build_and_execute(|| {
			let mut rng = Rng(seed | 1);
			// Parties: the buyer, the seller, a stranger and two candidate jurors.
			let parties = [BUYER, SELLER, STRANGER, JUROR, JUROR + 1];
			let orders: Vec<(OrderId, AccountId, AccountId)> = (1..=8u64)
				.map(|id| {
					let buyer = parties[(id as usize) % parties.len()];
					let seller = parties[(id as usize + 1 + (id as usize / 5)) % parties.len()];
					(id, buyer, seller)
				})
				.collect();
			for (id, buyer, seller) in &orders {
				add_order(*id, *buyer, *seller);
			}
			let everyone: Vec<AccountId> =
				[BUYER, SELLER, STRANGER].into_iter().chain(JUROR..JUROR + 14).collect();
			let (money, issuance) = (total_money(), Balances::total_issuance());
			let (mut burnt, mut concluded): (Balance, u64) = (0, 0);
			// The vote each juror last committed to, by dispute and round.
			let mut committed = BTreeMap::<(DisputeId, u32, AccountId), Party>::new();
			let (mut ok, mut kinds) = (0u64, [0u64; 10]);
			let mut errors = BTreeMap::<(usize, String), u64>::new();
			for step in 0..calls {
				System::reset_events();
				let running: Vec<DisputeId> = Disputes::<Test>::iter_keys().collect();
				// Mostly a running dispute; sometimes any id, ended or never opened.
				let id = if !running.is_empty() && rng.below(5) != 0 {
					rng.one_of(&running)
				} else {
					rng.below(crate::NextDisputeId::<Test>::get() + 1)
				};
				let d = Disputes::<Test>::get(id);
				let round = d.as_ref().map_or(0, |d| d.round());
				// Mostly someone with a part to play: a party, or a juror of the round.
				let party =
					d.as_ref().map(|d| *d.account(rng.one_of(&[Party::Buyer, Party::Seller])));
				let jurors: Vec<AccountId> = Jurors::<Test>::iter_prefix(id)
					.filter(|(_, s)| s.round == round)
					.map(|(who, _)| who)
					.collect();
				let juror =
					if jurors.is_empty() { rng.one_of(&everyone) } else { rng.one_of(&jurors) };
				let anyone = rng.one_of(&everyone);
				// Votes get more calls (a round's jurors have only its periods to vote in),
				// time fewer.
				let kind = match rng.below(16) as usize {
					10..=12 => 3,
					13..=15 => 4,
					k => k,
				};
				let result = match kind {
					0 => {
						let (order, buyer, seller) = rng.one_of(&orders);
						let who = match rng.below(5) {
							0 => anyone,
							1 | 2 => seller,
							_ => buyer,
						};
						let first =
							if rng.below(10) == 0 { 98 + rng.below(4) } else { rng.below(8) };
						let last = if rng.below(10) == 0 {
							first.saturating_sub(1)
						} else {
							first + rng.below(3)
						};
						Court::open_dispute(origin(who), order, range(first, last))
					}
					1 => {
						let who = match d.as_ref().map(|d| d.phase) {
							Some(Phase::Funding { party, .. }) if rng.below(4) != 0 => {
								*d.as_ref().expect("running").account(party)
							}
							_ => party.unwrap_or(anyone),
						};
						Court::fund(origin(who), id)
					}
					2 => {
						let who = if rng.below(4) == 0 { anyone } else { party.unwrap_or(anyone) };
						let cid = BoundedVec::truncate_from(vec![b'b'; rng.below(70) as usize]);
						Court::submit_evidence(origin(who), id, H256::repeat_byte(step as u8), cid)
					}
					3 => {
						let vote = rng.one_of(&[Party::Buyer, Party::Seller]);
						let c = commitment(id, round, &juror, vote, &salt(juror));
						let r = Court::commit_vote(origin(juror), id, c);
						if r.is_ok() {
							committed.insert((id, round, juror), vote);
						}
						r
					}
					4 => {
						// Mostly the vote committed to, with the juror's salt.
						let vote = match committed.get(&(id, round, juror)) {
							Some(v) if rng.below(5) != 0 => *v,
							_ => rng.one_of(&[Party::Buyer, Party::Seller]),
						};
						let salt = if rng.below(8) == 0 { [0xee; 32] } else { salt(juror) };
						Court::reveal_vote(origin(juror), id, vote, salt)
					}
					5 => {
						// Someone shows a juror's vote, mostly the right one.
						let vote = match committed.get(&(id, round, juror)) {
							Some(v) if rng.below(4) != 0 => *v,
							_ => rng.one_of(&[Party::Buyer, Party::Seller]),
						};
						Court::denounce(origin(anyone), id, juror, vote, salt(juror))
					}
					6 => {
						let who = if rng.below(4) == 0 { anyone } else { party.unwrap_or(anyone) };
						Court::appeal(origin(who), id)
					}
					7 => Court::advance(origin(anyone), id).map(|_| ()).map_err(|e| e.error),
					8 => {
						run_to_block(now() + 1 + rng.below(2));
						Ok(())
					}
					_ => {
						// The market settles past ruled intervals: the order may be disputed
						// again.
						FrozenTable::mutate(|t| t.retain(|(_, _, r)| r.is_none()));
						Ok(())
					}
				};
				match result {
					Ok(()) => {
						ok += 1;
						kinds[kind] += 1;
					}
					Err(e) => *errors.entry((kind, format!("{e:?}"))).or_default() += 1,
				}
				burnt += burnt_by_events();
				concluded +=
					events().iter().filter(|e| matches!(e, Event::DisputeConcluded { .. })).count()
						as u64;
				crate::Pallet::<Test>::do_try_state()
					.unwrap_or_else(|e| panic!("step {step} (seed {seed}): {e:?}"));
				assert_eq!(
					total_money() + burnt,
					money,
					"step {step} (seed {seed}): money moved out unreported"
				);
				assert_eq!(
					Balances::total_issuance() + burnt,
					issuance,
					"step {step} (seed {seed}): issuance changed by more than was burnt"
				);
			}
			eprintln!(
				"seed {seed}: {ok} of {calls} calls succeeded, by kind {kinds:?}; \
				 {concluded} disputes concluded, {burnt} burnt"
			);
			// The run reached every call, not only its errors.
			for (kind, n) in kinds.iter().enumerate() {
				assert!(
					*n > 0,
					"call kind {kind} never succeeded in {calls} calls: {kinds:?} {errors:#?}"
				);
			}
			assert!(
				concluded > 0 && ok > calls / 5,
				"only {ok} of {calls} calls succeeded: {errors:#?}"
			);
		});
	}
}
