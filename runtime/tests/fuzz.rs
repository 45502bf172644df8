//! A fuzzer of the real runtime: random sequences of signed (and some unsigned) extrinsics
//! from several accounts, made of every pallet's calls with valid and invalid arguments,
//! applied through `Executive` block after block, the way a block author applies them. After
//! every block it checks that
//!
//! - nothing panicked (a panic fails the test with the seed that reproduces it),
//! - every pallet's `try_state` holds (`AllPalletsWithSystem::try_state`, `Select::All`),
//! - the ledger adds up: the free and reserved balances of all accounts sum to the total
//!   issuance,
//! - the total issuance changed by exactly what the block's events account for: fees (burnt
//!   here), slashes, burns and dust down; mints and issues up; nothing else,
//!
//! and every eighth block, and after the last, that the entire state decodes.
//!
//! Calls are generated from the runtime's own metadata (its `RuntimeCall` type), so a new
//! pallet or call is fuzzed without touching this file: every argument type is filled from
//! pools of values that hit existing state (the test accounts, small ids, the balances that
//! matter: zero, the existential deposit, the RNode bond, whole endowments, `u128::MAX`) or
//! at random, and sequences are sometimes longer than their bound. A few structured calls
//! (valid session keys, bonds, campaigns, transfers) make the elections, bonds and data
//! layer reach states random bytes would not.
//!
//! Root is Alice (sudo) and may dispatch anything except what rewrites state by design
//! (`System::set_storage`, `kill_*`, code upgrades, heap pages, `Balances::force_set_balance`
//! and `force_adjust_total_issuance`): those are dropped before they are signed.
//!
//! In CI it runs `CPCHAIN_FUZZ_CASES` cases (default 6) of `CPCHAIN_FUZZ_BLOCKS` blocks
//! (default 60, three terms) from `CPCHAIN_FUZZ_SEED` (default fixed, so CI is repeatable);
//! for a long run set them, e.g.
//! `CPCHAIN_FUZZ_CASES=500 CPCHAIN_FUZZ_SEED=$RANDOM cargo test --release --features
//! runtime-benchmarks,try-runtime -p cpchain-runtime --test fuzz -- --nocapture`.
//! A failure prints the seed of its case (`CPCHAIN_FUZZ_CASE_SEED=<it>` runs that case alone),
//! the block and the calls of that block.
//!
//! Needs the runtime's `try-runtime` feature (the scripts' build has it).
#![cfg(feature = "try-runtime")]

mod common;

use codec::{Compact, Decode, DecodeLimit, Encode};
use common::genesis_ext;
use cpchain_primitives::{
	access::{UmbralKeys, REENCRYPTION_KEY_LEN},
	consensus::{leader, pre_digest_item, vrf_input, PreDigest},
	data::{DeviceKey, IntervalRange, StreamParams},
	market::{ListingKind, OrderSpan},
};
use cpchain_runtime::{
	genesis_config_presets::ENDOWMENT, AccountId, AllPalletsWithSystem, Balance, Dpor, Executive,
	Header, Runtime, RuntimeCall, RuntimeEvent, SessionKeys, SignedPayload, System, TxExtension,
	UncheckedExtrinsic, EXISTENTIAL_DEPOSIT, VERSION,
};
use frame_support::{
	__private::metadata::{RuntimeMetadata, RuntimeMetadataPrefixed},
	storage::{with_transaction, TransactionOutcome},
	traits::{
		GetCallMetadata, PalletsInfoAccess, TryDecodeEntireStorage, TryState, TryStateSelect,
	},
};
use scale_info::{PortableRegistry, TypeDef, TypeDefPrimitive};
use sp_core::{crypto::VrfSecret, sr25519, Pair as _};
use sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring;
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{
	generic::Era, traits::Header as _, transaction_validity::TransactionSource, Digest,
	DispatchError, MultiSignature,
};
use std::collections::BTreeMap;

/// How deep calls nest (`Utility::batch`, `Sudo::sudo`) in generated calls.
const MAX_NESTING: u32 = 2;
/// The decoder's nesting bound, the runtime's own for extrinsics.
const DECODE_DEPTH: u32 = 256;
/// Extrinsics per block, at most.
const MAX_EXTRINSICS: u64 = 12;

/// SplitMix64: a small, seedable generator; the fuzzer needs repeatability, not secrecy.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
	/// A number below `n` (`n > 0`).
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
	/// True with probability `percent`/100.
	fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}
	fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
		&items[self.below(items.len() as u64) as usize]
	}
	fn bytes(&mut self, len: usize) -> Vec<u8> {
		(0..len).map(|_| self.next() as u8).collect()
	}
}

/// The fuzzer's view of the runtime's call type, from its metadata.
struct CallTypes {
	registry: PortableRegistry,
	call: u32,
}

impl CallTypes {
	fn new() -> Self {
		let bytes = Runtime::metadata_at_version(15).expect("the runtime offers metadata v15");
		let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).expect("metadata decodes");
		let RuntimeMetadata::V15(v15) = prefixed.1 else { panic!("asked for v15") };
		Self { call: v15.outer_enums.call_enum_ty.id, registry: v15.types }
	}
}

/// Generates the SCALE encoding of a random value of a type of the registry.
struct Generator<'a> {
	types: &'a CallTypes,
	rng: &'a mut Rng,
	accounts: &'a [AccountId],
	depth: u32,
}

impl Generator<'_> {
	fn call(&mut self) -> Vec<u8> {
		let mut out = Vec::new();
		self.value(self.types.call, &mut out);
		out
	}

	fn value(&mut self, id: u32, out: &mut Vec<u8>) {
		let types = self.types;
		let ty = types.registry.resolve(id).expect("the registry holds its own types");
		if ty.path.segments.last().is_some_and(|s| s == "AccountId32") {
			if self.rng.chance(95) {
				out.extend_from_slice(AsRef::<[u8]>::as_ref(self.rng.pick(self.accounts)));
			} else {
				out.extend(self.rng.bytes(32));
			}
			return;
		}
		if id == self.types.call {
			if self.depth >= MAX_NESTING {
				// A leaf: `System::remark`.
				out.extend(
					RuntimeCall::System(frame_system::Call::remark { remark: vec![] }).encode(),
				);
				return;
			}
			self.depth += 1;
		}
		match &ty.type_def {
			TypeDef::Composite(c) => {
				for field in &c.fields {
					self.value(field.ty.id, out);
				}
			}
			TypeDef::Variant(v) if !v.variants.is_empty() => {
				let variant = self.rng.pick(&v.variants).clone();
				out.push(variant.index);
				for field in &variant.fields {
					self.value(field.ty.id, out);
				}
			}
			TypeDef::Variant(_) => {}
			TypeDef::Sequence(s) => {
				let len = if self.is_byte(s.type_param.id) {
					self.length()
				} else {
					// Past most bounds, without nesting thousands of calls.
					self.length().min(17 + self.rng.below(48) as usize)
				};
				Compact(len as u32).encode_to(out);
				self.elements(s.type_param.id, len, out);
			}
			TypeDef::Array(a) => self.elements(a.type_param.id, a.len as usize, out),
			TypeDef::Tuple(t) => {
				for field in &t.fields {
					self.value(field.id, out);
				}
			}
			TypeDef::Primitive(p) => self.primitive(p, out),
			TypeDef::Compact(c) => self.compact(c.type_param.id, out),
			TypeDef::BitSequence(_) => Compact(0u32).encode_to(out),
		}
		if id == self.types.call {
			self.depth -= 1;
		}
	}

	/// Mostly short, sometimes past any bound the runtime sets.
	fn length(&mut self) -> usize {
		match self.rng.below(20) {
			0 => 40 + self.rng.below(300) as usize,
			1..=4 => 0,
			_ => 1 + self.rng.below(4) as usize,
		}
	}

	fn is_byte(&self, id: u32) -> bool {
		matches!(
			self.types.registry.resolve(id).map(|t| &t.type_def),
			Some(TypeDef::Primitive(TypeDefPrimitive::U8))
		)
	}

	fn elements(&mut self, element: u32, len: usize, out: &mut Vec<u8>) {
		if self.is_byte(element) {
			let len = if len > 0 && len < 8 { len * 8 } else { len };
			out.extend(self.rng.bytes(len));
		} else {
			for _ in 0..len {
				self.value(element, out);
			}
		}
	}

	fn integer(&mut self, max: u128) -> u128 {
		let pool: [u128; 12] = [
			0,
			1,
			2,
			3,
			EXISTENTIAL_DEPOSIT - 1,
			EXISTENTIAL_DEPOSIT,
			cpchain_runtime::configs::reputation::RNodeBond::get(),
			cpchain_runtime::CPC,
			ENDOWMENT / 10,
			ENDOWMENT,
			10,
			u128::MAX,
		];
		let value = if self.rng.chance(85) {
			*self.rng.pick(&pool)
		} else {
			u128::from(self.rng.next()) << 64 | u128::from(self.rng.next())
		};
		if value > max {
			value % (max.saturating_add(1)).max(1)
		} else {
			value
		}
	}

	fn primitive(&mut self, p: &TypeDefPrimitive, out: &mut Vec<u8>) {
		match p {
			TypeDefPrimitive::Bool => out.push(self.rng.below(2) as u8),
			TypeDefPrimitive::Char => (self.rng.below(128) as u32).encode_to(out),
			TypeDefPrimitive::Str => {
				let len = self.length().min(64);
				let s: String =
					(0..len).map(|_| (b'a' + self.rng.below(26) as u8) as char).collect();
				s.encode_to(out);
			}
			TypeDefPrimitive::U8 | TypeDefPrimitive::I8 => out.push(self.rng.next() as u8),
			TypeDefPrimitive::U16 | TypeDefPrimitive::I16 => {
				(self.integer(u16::MAX.into()) as u16).encode_to(out)
			}
			TypeDefPrimitive::U32 | TypeDefPrimitive::I32 => {
				(self.integer(u32::MAX.into()) as u32).encode_to(out)
			}
			TypeDefPrimitive::U64 | TypeDefPrimitive::I64 => {
				(self.integer(u64::MAX.into()) as u64).encode_to(out)
			}
			TypeDefPrimitive::U128 | TypeDefPrimitive::I128 => {
				self.integer(u128::MAX).encode_to(out)
			}
			TypeDefPrimitive::U256 | TypeDefPrimitive::I256 => out.extend(self.rng.bytes(32)),
		}
	}

	/// A compact integer, or a compact of a one-field wrapper (`Perbill`, ...).
	fn compact(&mut self, inner: u32, out: &mut Vec<u8>) {
		let width = match self.types.registry.resolve(inner).map(|t| &t.type_def) {
			Some(TypeDef::Primitive(TypeDefPrimitive::U8)) => u128::from(u8::MAX),
			Some(TypeDef::Primitive(TypeDefPrimitive::U16)) => u16::MAX.into(),
			Some(TypeDef::Primitive(TypeDefPrimitive::U64)) => u64::MAX.into(),
			Some(TypeDef::Primitive(TypeDefPrimitive::U128)) => u128::MAX,
			_ => u32::MAX.into(),
		};
		let value = self.integer(width);
		if width == u128::MAX {
			Compact(value).encode_to(out);
		} else if width == u128::from(u64::MAX) {
			Compact(value as u64).encode_to(out);
		} else {
			Compact(value as u32).encode_to(out);
		}
	}
}

/// Calls that rewrite state by design (root's tools): never dispatched by the fuzzer.
fn rewrites_state(call: &RuntimeCall) -> bool {
	use frame_system::Call as S;
	use pallet_balances::Call as B;
	use pallet_sudo::Call as Sudo;
	use pallet_utility::Call as U;
	match call {
		RuntimeCall::System(
			S::set_heap_pages { .. }
			| S::set_code { .. }
			| S::set_code_without_checks { .. }
			| S::set_storage { .. }
			| S::kill_storage { .. }
			| S::kill_prefix { .. }
			| S::authorize_upgrade { .. }
			| S::authorize_upgrade_without_checks { .. }
			| S::apply_authorized_upgrade { .. },
		) => true,
		RuntimeCall::Balances(
			B::force_set_balance { .. } | B::force_adjust_total_issuance { .. },
		) => true,
		RuntimeCall::Sudo(
			Sudo::sudo { call }
			| Sudo::sudo_unchecked_weight { call, .. }
			| Sudo::sudo_as { call, .. },
		) => rewrites_state(call),
		RuntimeCall::Utility(
			U::batch { calls } | U::batch_all { calls } | U::force_batch { calls },
		) => calls.iter().any(rewrites_state),
		RuntimeCall::Utility(
			U::as_derivative { call, .. }
			| U::dispatch_as { call, .. }
			| U::with_weight { call, .. }
			| U::dispatch_as_fallible { call, .. },
		) => rewrites_state(call),
		RuntimeCall::Utility(U::if_else { main, fallback }) => {
			rewrites_state(main) || rewrites_state(fallback)
		}
		_ => false,
	}
}

/// The test accounts: the endowed keyring accounts and two without funds.
fn signers() -> Vec<Sr25519Keyring> {
	vec![
		Sr25519Keyring::Alice,
		Sr25519Keyring::Bob,
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
		Sr25519Keyring::One,
		Sr25519Keyring::Two,
	]
}

fn tx_extension(nonce: u32) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

fn signed(call: RuntimeCall, signer: &sr25519::Pair, nonce: u32) -> UncheckedExtrinsic {
	let genesis = System::block_hash(0);
	let ext = tx_extension(nonce);
	let payload = SignedPayload::from_raw(
		call.clone(),
		ext.clone(),
		((), VERSION.spec_version, VERSION.transaction_version, genesis, genesis, (), (), (), ()),
	);
	let signature = payload.using_encoded(|e| signer.sign(e));
	UncheckedExtrinsic::new_signed(
		call,
		AccountId::from(signer.public()).into(),
		MultiSignature::Sr25519(signature),
		ext,
	)
}

/// Structured calls that reach states random arguments rarely do.
fn structured_call(rng: &mut Rng, who: &Sr25519Keyring, accounts: &[AccountId]) -> RuntimeCall {
	let account = who.to_account_id();
	match rng.below(13) {
		0 => {
			// Real session keys with their proof of ownership (the keystore makes them).
			let seed = format!("//{who}//session").into_bytes();
			let generated: sp_session::OpaqueGeneratedSessionKeys =
				SessionKeys::generate(&account.encode(), Some(seed)).into();
			let keys = SessionKeys::decode(&mut &generated.keys[..]).expect("keys decode");
			RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof: generated.proof })
		}
		1 => RuntimeCall::Reputation(pallet_reputation::Call::bond {
			amount: cpchain_runtime::configs::reputation::RNodeBond::get(),
		}),
		2 => RuntimeCall::Committee(pallet_committee::Call::claim_campaign {
			terms: 1 + rng.below(5) as u32,
		}),
		3 => RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: rng.pick(accounts).clone().into(),
			value: cpchain_runtime::CPC * u128::from(1 + rng.below(1000)),
		}),
		4 => RuntimeCall::Sudo(pallet_sudo::Call::sudo {
			call: Box::new(RuntimeCall::Committee(pallet_committee::Call::set_committee_size {
				size: 1 + rng.below(6) as u32,
			})),
		}),
		// Well-formed keys and peer ids, which random bytes almost never are.
		5 => RuntimeCall::AccessControl(pallet_access_control::Call::set_umbral_keys {
			keys: UmbralKeys { public: point(rng), verifying: point(rng) },
		}),
		6 => {
			let mut peer_id = vec![0x12, 0x20];
			peer_id.extend((0..32).map(|_| rng.next() as u8));
			RuntimeCall::AccessControl(pallet_access_control::Call::register_proxy {
				peer_id: peer_id.try_into().expect("a SHA2-256 PeerId fits"),
				reencryption_key: point(rng),
			})
		}
		// The market: a new device, its stream and a subscription listing of it in one batch
		// (the ids are those the chain assigns next, unless another call takes them first),
		// orders from listings, and their settlement, confirmation and cancellation.
		8 => {
			let device = pallet_data_registry::NextDeviceId::<Runtime>::get();
			let stream = pallet_data_registry::NextStreamId::<Runtime>::get();
			let mut raw = [0u8; 32];
			raw.iter_mut().for_each(|b| *b = rng.next() as u8);
			let calls = vec![
				RuntimeCall::DataRegistry(pallet_data_registry::Call::register_device {
					key: DeviceKey::Sr25519(sr25519::Public::from_raw(raw)),
					metadata: Default::default(),
				}),
				RuntimeCall::DataRegistry(pallet_data_registry::Call::create_stream {
					device,
					name: b"fuzz".to_vec().try_into().expect("fits"),
					schema: Default::default(),
					params: StreamParams {
						period_ms: 1_000,
						encryption_interval: 1,
						upload_interval: 1,
					},
				}),
				RuntimeCall::Market(pallet_market::Call::create_listing {
					stream,
					kind: ListingKind::Subscription {
						start: 0,
						max_intervals: 50,
						interval_blocks: 1 + rng.below(3) as u32,
					},
					price: cpchain_runtime::CPC * u128::from(1 + rng.below(10)),
					title: b"fuzz".to_vec().try_into().expect("fits"),
					description: Default::default(),
					tags: Default::default(),
					licence_hash: Default::default(),
					terms_cid: None,
				}),
			];
			RuntimeCall::Utility(pallet_utility::Call::batch_all { calls })
		}
		9 => RuntimeCall::Market(pallet_market::Call::place_order {
			listing: rng.below(pallet_market::NextListingId::<Runtime>::get() + 1),
			span: OrderSpan::Next(1 + rng.below(5) as u32),
			max_price: cpchain_runtime::CPC * 20,
		}),
		10 => {
			let order = rng.below(pallet_market::NextOrderId::<Runtime>::get() + 1);
			match rng.below(3) {
				0 => RuntimeCall::Market(pallet_market::Call::settle { order, max: 16 }),
				1 => RuntimeCall::Market(pallet_market::Call::confirm { order, max: 16 }),
				_ => RuntimeCall::Market(pallet_market::Call::cancel_order { order }),
			}
		}
		11 => {
			// Disputes over the orders there are: opened on their first intervals, funded,
			// moved on.
			let order = rng.below(pallet_market::NextOrderId::<Runtime>::get() + 1);
			let dispute = rng.below(pallet_dispute::NextDisputeId::<Runtime>::get() + 1);
			match rng.below(3) {
				0 => RuntimeCall::Dispute(pallet_dispute::Call::open_dispute {
					order,
					intervals: pallet_market::Orders::<Runtime>::get(order).map_or(
						IntervalRange { first: 0, last: 0 },
						|o| IntervalRange { first: o.intervals.first, last: o.intervals.first },
					),
				}),
				1 => RuntimeCall::Dispute(pallet_dispute::Call::fund { dispute }),
				_ => RuntimeCall::Dispute(pallet_dispute::Call::advance { dispute }),
			}
		}
		_ => RuntimeCall::AccessControl(pallet_access_control::Call::grant {
			stream: rng.below(4),
			grantee: rng.pick(accounts).clone(),
			intervals: IntervalRange { first: 0, last: rng.below(8) },
			expires_at: 1 + rng.below(200) as u32,
			proxies: vec![rng.pick(accounts).clone()].try_into().expect("one proxy fits"),
			threshold: 1,
		}),
	}
}

/// A compressed secp256k1 point as the pallets check it (prefix and length).
fn point(rng: &mut Rng) -> [u8; REENCRYPTION_KEY_LEN] {
	let mut key = [0u8; REENCRYPTION_KEY_LEN];
	key[0] = 2 + (rng.next() % 2) as u8;
	for byte in &mut key[1..] {
		*byte = rng.next() as u8;
	}
	key
}

/// The signing key of each consensus key the fuzzer can make: the keyring's (the genesis
/// committee's) and the session keys of `structured_call`.
fn consensus_keys() -> BTreeMap<Vec<u8>, sr25519::Pair> {
	let mut keys = BTreeMap::new();
	for who in signers() {
		keys.insert(raw(&who.public()), who.pair());
		let session = sr25519::Pair::from_string(&format!("//{who}//session"), None)
			.expect("a valid derivation path");
		keys.insert(raw(&session.public()), session);
	}
	keys
}

fn raw(key: &sr25519::Public) -> Vec<u8> {
	AsRef::<[u8]>::as_ref(key).to_vec()
}

/// The block's pre-digest, made by its view-0 leader when the fuzzer holds its key: a block
/// whose leader's key it does not hold has no pre-digest (the runtime must cope with both).
fn digest_of(number: u32, keys: &BTreeMap<Vec<u8>, sr25519::Pair>) -> Digest {
	use cpchain_primitives::committee::CommitteeProvider;
	let (term, members) =
		<cpchain_runtime::configs::consensus::ElectedCommittee as CommitteeProvider<_>>::committee_of_block(
			number.into(),
		);
	let Ok(n) = u32::try_from(members.len()) else { return Digest::default() };
	if n == 0 {
		return Digest::default();
	}
	let author = leader(number.into(), 0, n);
	let key: &sr25519::Public = members[author as usize].1.as_ref();
	let Some(pair) = keys.get(&raw(key)) else { return Digest::default() };
	let randomness = Dpor::randomness_of_term(term);
	let vrf = pair.vrf_sign(&vrf_input(&randomness, term, number.into()).into_sign_data());
	Digest { logs: vec![pre_digest_item(&PreDigest { term, view: 0, author, vrf })] }
}

/// What the block's events say the total issuance moved by.
fn accounted_issuance_change() -> i128 {
	use pallet_balances::Event as B;
	let mut delta: i128 = 0;
	for record in System::events() {
		let change = match record.event {
			RuntimeEvent::Balances(
				B::Minted { amount, .. } | B::Issued { amount } | B::MintedCredit { amount },
			) => amount as i128,
			RuntimeEvent::Balances(
				B::Burned { amount, .. }
				| B::BurnedHeld { amount, .. }
				| B::Rescinded { amount }
				| B::BurnedDebt { amount }
				| B::DustLost { amount, .. }
				| B::Slashed { amount, .. },
			) => -(amount as i128),
			RuntimeEvent::Balances(B::TotalIssuanceForced { old, new }) => {
				new as i128 - old as i128
			}
			RuntimeEvent::Balances(B::Unexpected(kind)) => {
				panic!("pallet-balances reported an inconsistency: {kind:?}")
			}
			_ => 0,
		};
		delta = delta.saturating_add(change);
	}
	delta
}

/// The sum of every account's free and reserved balance.
fn ledger_total() -> Balance {
	frame_system::Account::<Runtime>::iter_values()
		.map(|info| info.data.free.saturating_add(info.data.reserved))
		.fold(0, Balance::saturating_add)
}

/// Every check of one block; `Err` names the broken one.
fn check_block(number: u32, issuance_before: Balance, decode_state: bool) -> Result<(), String> {
	try_state(number)?;
	let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	let ledger = ledger_total();
	if ledger != issuance {
		return Err(format!("the accounts hold {ledger}, the total issuance says {issuance}"));
	}
	let moved = issuance as i128 - issuance_before as i128;
	let accounted = accounted_issuance_change();
	if moved != accounted {
		return Err(format!(
			"the total issuance moved by {moved}, the block's events account for {accounted}"
		));
	}
	if decode_state {
		AllPalletsWithSystem::try_decode_entire_state()
			.map_err(|e| format!("the state does not decode: {e:?}"))?;
	}
	Ok(())
}

/// Every pallet's `try_state`; on failure, the name and error of each pallet that failed
/// (running them all at once only says that something did, and logs the rest).
fn try_state(number: u32) -> Result<(), String> {
	if AllPalletsWithSystem::try_state(number, TryStateSelect::All).is_ok() {
		return Ok(());
	}
	let broken: Vec<String> = <AllPalletsWithSystem as PalletsInfoAccess>::infos()
		.into_iter()
		.filter_map(|pallet| {
			let only = TryStateSelect::Only(vec![pallet.name.as_bytes().to_vec()]);
			AllPalletsWithSystem::try_state(number, only)
				.err()
				.map(|e| format!("{}: {e:?}", pallet.name))
		})
		.collect();
	Err(format!("try_state: {}", broken.join("; ")))
}

/// Starts block `number` on `parent` as the chain would (the leader's pre-digest when the
/// test holds its key, the timestamp inherent); returns the total issuance before it.
fn start_block(
	number: u32,
	parent: sp_core::H256,
	keys: &BTreeMap<Vec<u8>, sr25519::Pair>,
) -> Balance {
	let header = Header::new(
		number,
		Default::default(),
		Default::default(),
		parent,
		digest_of(number, keys),
	);
	// Taken before the block's hooks, whose events count too.
	let issuance_before = pallet_balances::TotalIssuance::<Runtime>::get();
	Executive::initialize_block(&header);
	let now = u64::from(number) * cpchain_runtime::MILLI_SECS_PER_BLOCK;
	let timestamp =
		UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set { now }));
	Executive::apply_extrinsic(timestamp)
		.expect("the timestamp inherent applies")
		.expect("the timestamp inherent dispatches");
	issuance_before
}

/// The state of the local testnet's genesis, before block 1 (`genesis_ext` leaves the block
/// number at 1 for tests that dispatch without producing blocks).
fn genesis() -> sp_io::TestExternalities {
	let mut ext = genesis_ext(LOCAL_TESTNET_RUNTIME_PRESET);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| System::set_block_number(0));
	ext
}

/// What one case did, for the report.
#[derive(Default, Debug)]
struct Stats {
	/// The pallets with a call that dispatched successfully.
	pallets: std::collections::BTreeSet<&'static str>,
	blocks: u64,
	extrinsics: u64,
	dispatched: u64,
	dispatch_errors: u64,
	invalid: u64,
	refused: u64,
	undecodable: u64,
	dropped_root_tools: u64,
}

/// Runs one case: `blocks` blocks from the local testnet's genesis.
fn run_case(seed: u64, blocks: u32, types: &CallTypes) -> Stats {
	let mut rng = Rng(seed);
	let mut stats = Stats::default();
	genesis().execute_with(|| {
		let signers = signers();
		let accounts: Vec<AccountId> = signers.iter().map(|k| k.to_account_id()).collect();
		let keys = consensus_keys();
		let mut parent = System::block_hash(0);
		for number in 1..=blocks {
			let issuance_before = start_block(number, parent, &keys);

			let mut applied: Vec<String> = Vec::new();
			for _ in 0..rng.below(MAX_EXTRINSICS + 1) {
				let who = *rng.pick(&signers);
				let call = if rng.chance(25) {
					structured_call(&mut rng, &who, &accounts)
				} else {
					let bytes =
						Generator { types, rng: &mut rng, accounts: &accounts, depth: 0 }.call();
					match RuntimeCall::decode_all_with_depth_limit(DECODE_DEPTH, &mut &bytes[..]) {
						Ok(call) => call,
						Err(_) => {
							stats.undecodable += 1;
							continue;
						}
					}
				};
				if rewrites_state(&call) {
					stats.dropped_root_tools += 1;
					continue;
				}
				let nonce = System::account_nonce(who.to_account_id());
				let unsigned = rng.below(40) == 0;
				let xt = match if unsigned { 0 } else { 1 + rng.below(39) } {
					// An unsigned extrinsic, as the node's own off-chain code submits them:
					// only the unsigned reports may validate.
					0 => UncheckedExtrinsic::new_bare(call.clone()),
					// A stale or future nonce.
					1 => signed(call.clone(), &who.pair(), nonce.wrapping_add(1)),
					// Signed by another key than the sender's.
					2 => {
						let mut xt = signed(call.clone(), &Sr25519Keyring::Bob.pair(), nonce);
						if let sp_runtime::generic::Preamble::Signed(ref mut from, _, _) =
							xt.preamble
						{
							*from = who.to_account_id().into();
						}
						xt
					}
					_ => signed(call.clone(), &who.pair(), nonce),
				};
				stats.extrinsics += 1;
				// The transaction pool's check first, as on the chain: what it refuses never
				// reaches a block (a second timestamp inherent, say, which a block may not hold
				// and whose dispatch panics). Validation starts a block of its own, so its
				// changes are rolled back.
				let source =
					if unsigned { TransactionSource::Local } else { TransactionSource::External };
				let validity = with_transaction(|| {
					let validity = Executive::validate_transaction(source, xt.clone(), parent);
					TransactionOutcome::Rollback(Ok::<_, DispatchError>(validity))
				})
				.expect("within the storage layer limit");
				if let Err(refused) = validity {
					stats.refused += 1;
					applied.push(format!("{who}: {call:?} -> refused by the pool: {refused:?}"));
					continue;
				}
				// As a block builder does: an extrinsic that is invalid leaves nothing behind
				// (a signed call of a mandatory inherent, say, has its fee taken before its
				// dispatch fails as `BadMandatory`; the builder drops it with its changes).
				let outcome = with_transaction(|| {
					let outcome = Executive::apply_extrinsic(xt);
					if outcome.is_ok() {
						TransactionOutcome::Commit(Ok::<_, DispatchError>(outcome))
					} else {
						TransactionOutcome::Rollback(Ok(outcome))
					}
				})
				.expect("within the storage layer limit");
				match &outcome {
					Ok(Ok(())) => {
						stats.dispatched += 1;
						stats.pallets.insert(call.get_call_metadata().pallet_name);
					}
					Ok(Err(_)) => stats.dispatch_errors += 1,
					Err(_) => stats.invalid += 1,
				}
				applied.push(format!("{who}: {call:?} -> {outcome:?}"));
			}
			let header = Executive::finalize_block();
			let decode_state = number % 8 == 0 || number == blocks;
			if let Err(broken) = check_block(number, issuance_before, decode_state) {
				panic!(
					"case with seed {seed:#x}, block #{number}: {broken}\nits extrinsics:\n{}",
					applied.join("\n")
				);
			}
			parent = header.hash();
			stats.blocks += 1;
		}
	});
	stats
}

fn env_or(name: &str, default: u64) -> u64 {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_extrinsics_never_break_the_runtime() {
	let cases = env_or("CPCHAIN_FUZZ_CASES", 6);
	let blocks = env_or("CPCHAIN_FUZZ_BLOCKS", 60) as u32;
	let mut seeds = Rng(env_or("CPCHAIN_FUZZ_SEED", 0xc9c_f022));
	// One case alone, by the seed a failure printed.
	let only = std::env::var("CPCHAIN_FUZZ_CASE_SEED")
		.ok()
		.and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok());
	let cases = if only.is_some() { 1 } else { cases };
	let types = CallTypes::new();
	let mut total = Stats::default();
	for case in 0..cases {
		let seed = only.unwrap_or_else(|| seeds.next());
		let stats = run_case(seed, blocks, &types);
		println!("case {case} (seed {seed:#x}): {stats:?}");
		total.blocks += stats.blocks;
		total.extrinsics += stats.extrinsics;
		total.dispatched += stats.dispatched;
		total.dispatch_errors += stats.dispatch_errors;
		total.invalid += stats.invalid;
		total.refused += stats.refused;
		total.pallets.extend(stats.pallets);
		total.undecodable += stats.undecodable;
		total.dropped_root_tools += stats.dropped_root_tools;
	}
	println!("{cases} cases: {total:?}");
	// The fuzzer must exercise the runtime, not only bounce off it: every pallet of the
	// project that signed accounts call has calls that went through (pallet-dpor takes only
	// unsigned reports of the node's own).
	for pallet in ["AccessControl", "Balances", "Committee", "DataRegistry", "Market", "Reputation"]
	{
		assert!(total.pallets.contains(pallet), "no call of {pallet} dispatched: {total:?}");
	}
	assert!(total.dispatch_errors > 0 && total.refused > 0, "no failing calls: {total:?}");
}

/// The checks are not vacuous: a minted coin nobody accounts for, a broken pallet invariant
/// and a block without its events are each caught.
#[test]
fn the_checks_catch_what_they_claim_to() {
	genesis().execute_with(|| {
		// Block 1 as the fuzzer makes it, with no extrinsic but the inherent: the checks pass.
		let before = start_block(1, System::block_hash(0), &consensus_keys());
		Executive::finalize_block();
		assert_eq!(check_block(1, before, true), Ok(()));

		// Issuance that no account holds.
		pallet_balances::TotalIssuance::<Runtime>::put(before + 1);
		let broken = check_block(1, before, false).expect_err("the ledger check fails");
		assert!(broken.contains("the accounts hold"), "{broken}");
		pallet_balances::TotalIssuance::<Runtime>::put(before);

		// A coin minted into an account, issuance and ledger in step, but no event says so.
		let alice = Sr25519Keyring::Alice.to_account_id();
		frame_system::Account::<Runtime>::mutate(&alice, |a| a.data.free += 5);
		pallet_balances::TotalIssuance::<Runtime>::put(before + 5);
		let broken = check_block(1, before, false).expect_err("the accounting check fails");
		assert!(broken.contains("moved by 5"), "{broken}");
		frame_system::Account::<Runtime>::mutate(&alice, |a| a.data.free -= 5);
		pallet_balances::TotalIssuance::<Runtime>::put(before);

		// A pallet invariant: a committee size of zero.
		pallet_committee::CommitteeSize::<Runtime>::put(0);
		let broken = check_block(1, before, false).expect_err("try_state fails");
		assert!(broken.contains("committee size out of range"), "{broken}");
	});
}

/// Migrations, storage versions, the decoding of all storage and every pallet's `try_state`
/// on both presets' genesis, through the runtime API's code path.
#[test]
fn the_runtime_upgrade_checks_pass_on_every_preset() {
	for preset in [sp_genesis_builder::DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		genesis_ext(preset).execute_with(|| {
			Executive::try_runtime_upgrade(frame_support::traits::UpgradeCheckSelect::All)
				.unwrap_or_else(|e| panic!("{preset}: {e:?}"));
		});
	}
}
