//! The chain, through subxt over the node's WebSocket RPC.
//!
//! Calls are encoded with the runtime's own types from `cpchain-primitives` (SCALE), and
//! addressed by pallet and call *name*: subxt looks the indices up in the node's metadata,
//! so the client follows the runtime without generated code. Runtime API results and events
//! decode into the same types. Every transaction waits for finality, so what a command
//! reports is final and the next command reads it.

use anyhow::{anyhow, bail, Context, Result};
use codec::{Decode, Encode};
use sp_core::{crypto::AccountId32, sr25519, Pair};
use subxt::{
	config::SubstrateExtrinsicParamsBuilder,
	error::{DispatchError, TransactionEventsError},
	ext::scale_encode::{self, EncodeAsFields, FieldIter, TypeResolver},
	utils::MultiSignature,
	OnlineClient, SubstrateConfig,
};

/// Call arguments already SCALE-encoded with the runtime's types. subxt writes the pallet and
/// call indices from the metadata in front of them.
struct RawArgs(Vec<u8>);

impl EncodeAsFields for RawArgs {
	fn encode_as_fields_to<R: TypeResolver>(
		&self,
		_fields: &mut dyn FieldIter<'_, R::TypeId>,
		_types: &R,
		out: &mut Vec<u8>,
	) -> Result<(), scale_encode::Error> {
		out.extend_from_slice(&self.0);
		Ok(())
	}
}

/// A runtime call: pallet and call names, and the encoded arguments.
#[derive(Clone)]
pub struct Call {
	/// The pallet's name in the runtime (e.g. `DataRegistry`).
	pub pallet: &'static str,
	/// The call's name (e.g. `append_record`).
	pub name: &'static str,
	/// The SCALE-encoded arguments, in order.
	pub args: Vec<u8>,
}

impl Call {
	/// A call with these encoded arguments.
	pub fn new(pallet: &'static str, name: &'static str, args: impl Encode) -> Self {
		Self { pallet, name, args: args.encode() }
	}

	/// The call's bytes as the runtime decodes them (pallet index, call index, arguments), for
	/// nesting inside `utility.batch_all`.
	fn encoded(&self, metadata: &subxt::Metadata) -> Result<Vec<u8>> {
		let pallet = metadata
			.pallet_by_name(self.pallet)
			.ok_or_else(|| anyhow!("the runtime has no pallet {}", self.pallet))?;
		let call = pallet
			.call_variant_by_name(self.name)
			.ok_or_else(|| anyhow!("the runtime has no call {}.{}", self.pallet, self.name))?;
		let mut bytes = vec![pallet.call_index(), call.index];
		bytes.extend_from_slice(&self.args);
		Ok(bytes)
	}
}

/// Signs transactions with an sr25519 account.
#[derive(Clone)]
pub struct AccountSigner(pub sr25519::Pair);

impl subxt::tx::Signer<SubstrateConfig> for AccountSigner {
	fn account_id(&self) -> subxt::utils::AccountId32 {
		subxt::utils::AccountId32(self.0.public().0)
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.0.sign(payload).0)
	}
}

/// An event of a transaction: pallet, name and the encoded fields.
pub struct Event {
	/// The pallet that emitted it.
	pub pallet: String,
	/// The event's name.
	pub name: String,
	/// The SCALE-encoded fields.
	pub fields: Vec<u8>,
}

/// The outcome of a finalised transaction.
pub struct Included {
	/// The finalised block's number.
	pub block: u64,
	/// Its events.
	pub events: Vec<Event>,
}

impl Included {
	/// Decodes the fields of every `pallet.name` event.
	pub fn find<T: Decode>(&self, pallet: &str, name: &str) -> Result<Vec<T>> {
		self.events
			.iter()
			.filter(|e| e.pallet == pallet && e.name == name)
			.map(|e| {
				T::decode(&mut &e.fields[..]).map_err(|_| {
					anyhow!("cannot decode the {pallet}.{name} event: is the client older than the runtime?")
				})
			})
			.collect()
	}

	/// The first `pallet.name` event.
	pub fn first<T: Decode>(&self, pallet: &str, name: &str) -> Result<T> {
		self.find(pallet, name)?
			.into_iter()
			.next()
			.ok_or_else(|| anyhow!("the transaction emitted no {pallet}.{name} event"))
	}
}

/// Blocks for which a transaction stays valid after the finalised block it is built on. A
/// power of two: the runtime rounds eras up to one.
pub const MORTALITY: u64 = 16;
const _: () = assert!(MORTALITY.is_power_of_two());

/// The block a transaction's mortality counts from.
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint {
	/// Its number.
	pub number: u64,
	/// Its hash.
	pub hash: subxt::utils::H256,
}

impl Checkpoint {
	/// The last block at which a transaction mortal from here can be included: its era
	/// starts at this block and lasts `MORTALITY` blocks (a power of two, so the era is
	/// exactly that long).
	pub fn valid_until(&self) -> u64 {
		self.number.saturating_add(MORTALITY - 1)
	}
}

/// A connection to a node (cheap to clone: clones share the connection).
#[derive(Clone)]
pub struct Chain {
	client: OnlineClient<SubstrateConfig>,
	url: String,
}

impl Chain {
	/// Connects to the node at `url`.
	pub async fn connect(url: &str) -> Result<Self> {
		let client =
			OnlineClient::<SubstrateConfig>::from_insecure_url(url).await.map_err(|e| {
				anyhow!("cannot reach the node at {url}: {e} (is it running? see --node)")
			})?;
		Ok(Self { client, url: url.to_owned() })
	}

	/// The chain's genesis hash.
	pub fn genesis(&self) -> [u8; 32] {
		self.client.genesis_hash().0
	}

	/// Calls a runtime API method (`Trait_method`) at the last finalised block.
	pub async fn runtime_api<R: Decode>(&self, method: &str, args: impl Encode) -> Result<R> {
		let at = self
			.client
			.at_current_block()
			.await
			.with_context(|| format!("querying {}", self.url))?;
		let args = args.encode();
		let out = at
			.runtime_apis()
			.call_raw(method, Some(&args[..]))
			.await
			.with_context(|| format!("runtime API {method} failed"))?;
		R::decode(&mut &out[..]).map_err(|_| {
			anyhow!("cannot decode the answer of {method}: is the client older than the runtime?")
		})
	}

	/// The last finalised block's number.
	pub async fn finalized_number(&self) -> Result<u64> {
		Ok(self.client.at_current_block().await?.block_number())
	}

	/// Signs and submits `calls` (several go as one `utility.batch_all`, all or nothing), then
	/// waits until the transaction is finalised. A failed dispatch is an error naming the
	/// pallet's error.
	pub async fn submit(&self, signer: &AccountSigner, calls: &[Call]) -> Result<Included> {
		self.submit_with(signer, calls, |_| Ok(())).await
	}

	/// [`Chain::submit`], calling `before_send` with the last block at which the transaction
	/// can still be included (it is mortal) just before it is sent: a journal writes that
	/// down, so that a restarted client knows how long an unconfirmed transaction may still
	/// land.
	pub async fn submit_with(
		&self,
		signer: &AccountSigner,
		calls: &[Call],
		before_send: impl FnOnce(u64) -> Result<()>,
	) -> Result<Included> {
		let checkpoint = self.checkpoint().await?;
		before_send(checkpoint.valid_until())?;
		self.submit_at(signer, calls, checkpoint, None).await
	}

	/// The last finalised block, from which a transaction's mortality counts.
	pub async fn checkpoint(&self) -> Result<Checkpoint> {
		let at = self.client.at_current_block().await?;
		Ok(Checkpoint { number: at.block_number(), hash: at.block_hash() })
	}

	/// The account's next nonce by the last finalised block.
	pub async fn nonce(&self, account: &AccountSigner) -> Result<u64> {
		use subxt::tx::Signer;
		let at = self.client.at_current_block().await?;
		Ok(at.transactions().account_nonce(&Signer::<SubstrateConfig>::account_id(account)).await?)
	}

	/// Signs `calls` (several go as one `utility.batch_all`, all or nothing) as mortal from
	/// `checkpoint`, with `nonce` (or the account's next one), submits them and waits until
	/// the transaction is finalised. A failed dispatch is an error naming the pallet's error.
	pub async fn submit_at(
		&self,
		signer: &AccountSigner,
		calls: &[Call],
		checkpoint: Checkpoint,
		nonce: Option<u64>,
	) -> Result<Included> {
		let payload = match calls {
			[] => bail!("nothing to submit"),
			[one] => subxt::dynamic::tx(one.pallet, one.name, RawArgs(one.args.clone())),
			many => {
				let at = self.client.at_current_block().await?;
				let metadata = at.metadata();
				let inner =
					many.iter().map(|c| c.encoded(&metadata)).collect::<Result<Vec<_>>>()?;
				// `Vec<RuntimeCall>` encodes as a length and the calls' bytes.
				let mut args = codec::Compact(inner.len() as u32).encode();
				inner.iter().for_each(|c| args.extend_from_slice(c));
				subxt::dynamic::tx("Utility", "batch_all", RawArgs(args))
			}
		};
		let mut tx = self.client.at_block(checkpoint.hash).await?.transactions();
		let mut params = SubstrateExtrinsicParamsBuilder::<SubstrateConfig>::new()
			.mortal_from_unchecked(MORTALITY, checkpoint.number, checkpoint.hash);
		if let Some(nonce) = nonce {
			params = params.nonce(nonce);
		}
		let progress = tx
			.sign_and_submit_then_watch(&payload, signer, params.build())
			.await
			.map_err(|e| not_applied(format!("the node refused the transaction: {e}")))?;
		let in_block = progress
			.wait_for_finalized()
			.await
			.map_err(|e| anyhow!("the transaction did not finalise: {e}"))?;
		let events = in_block.wait_for_success().await.map_err(explain)?;
		let block = in_block.at().await?.block_number();
		let events = events
			.iter()
			.map(|e| {
				let e = e?;
				Ok(Event {
					pallet: e.pallet_name().to_owned(),
					name: e.event_name().to_owned(),
					fields: e.field_bytes().to_vec(),
				})
			})
			.collect::<Result<Vec<_>, subxt::error::EventsError>>()?;
		Ok(Included { block, events })
	}
}

/// A transaction that certainly did not apply: the node refused it, or it was dispatched in a
/// finalised block and failed. Other errors (a lost connection while waiting, say) leave the
/// outcome unknown.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotApplied(pub String);

fn not_applied(message: String) -> anyhow::Error {
	anyhow::Error::new(NotApplied(message))
}

/// Whether `error` says for certain that a transaction did not apply.
pub fn is_not_applied(error: &anyhow::Error) -> bool {
	error.chain().any(|cause| cause.is::<NotApplied>())
}

fn explain(error: TransactionEventsError) -> anyhow::Error {
	match error {
		TransactionEventsError::ExtrinsicFailed(DispatchError::Module(m)) => match m.details() {
			Ok(d) => not_applied(format!(
				"the chain refused: {}.{}{}",
				d.pallet.name(),
				d.variant.name,
				doc(&d.variant.docs)
			)),
			Err(_) => not_applied(format!("the chain refused: {m}")),
		},
		TransactionEventsError::ExtrinsicFailed(other) => {
			not_applied(format!("the chain refused: {other}"))
		}
		other => anyhow!("cannot read the transaction's outcome: {other}"),
	}
}

fn doc(lines: &[String]) -> String {
	let text = lines.join(" ");
	let text = text.trim();
	if text.is_empty() {
		String::new()
	} else {
		format!(" ({text})")
	}
}

/// Parses an SS58 address.
pub fn parse_address(text: &str) -> Result<AccountId32> {
	use sp_core::crypto::Ss58Codec;
	AccountId32::from_ss58check(text.trim()).map_err(|_| anyhow!("{text:?} is not an SS58 address"))
}
