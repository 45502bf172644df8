//! The command line: global options and subcommands, with their help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::{
	ingest::OnError,
	keystore::{Kind, Scheme},
	readings::Format,
};

/// cpc: the CPChain data plane on the command line.
///
/// IoT readings are encrypted on your machine, stored on IPFS and registered on chain by hash;
/// you grant others intervals of a stream through proxy re-encryption, and anyone can verify
/// what the chain registered. Nothing but ciphertext and hashes ever leaves this machine.
#[derive(Parser, Debug)]
#[command(name = "cpc", version, propagate_version = true, after_help = EXAMPLES)]
pub struct Cli {
	#[command(flatten)]
	pub global: Global,
	#[command(subcommand)]
	pub command: Command,
}

const EXAMPLES: &str = "\
Examples (a local chain from ./scripts/run.sh; the password comes from CPC_PASSWORD or a prompt):
  cpc key import --name alice --suri //Alice
  cpc key create --name sensor --kind device --scheme ed25519
  cpc device register --account alice --key sensor
  cpc stream create --account alice --device 0 --name roof-temp --period-ms 60000 \\
      --encryption-interval 60 --upload-interval 60
  cpc ingest --account alice --stream 0 --device-key sensor readings.jsonl
  cpc grant --account alice --stream 0 --grantee <address> --grantee-key <umbral key> \\
      --intervals 3..=5 --proxies <proxy address>
  cpc fetch --account bob --stream 0 --intervals 3..=5 --out readings.jsonl
  cpc verify --stream 0
  cpc market list --account alice --stream 0 --intervals 0..=9 --price 0.5 \\
      --title 'Roof temperature' --terms licence.txt
  cpc market buy --account bob --listing 0 --intervals 3..=5
  cpc market deliver --account alice --order 0 --proxies <proxy address>";

/// Options for every command.
#[derive(Args, Debug)]
pub struct Global {
	/// Where keys, ingest journals and the local proxy role keep their files.
	#[arg(long, global = true, env = "CPC_DATA_DIR", default_value_os_t = default_data_dir())]
	pub data_dir: PathBuf,
	/// The node's WebSocket RPC endpoint.
	#[arg(long, global = true, env = "CPC_NODE", default_value = "ws://127.0.0.1:9944")]
	pub node: String,
	/// The IPFS daemon's RPC API.
	#[arg(long, global = true, env = "CPC_IPFS", default_value = "http://127.0.0.1:5001")]
	pub ipfs: String,
	/// A file whose first line is the key store password (else CPC_PASSWORD, else a prompt).
	#[arg(long, global = true, env = "CPC_PASSWORD_FILE")]
	pub password_file: Option<PathBuf>,
	/// Print one JSON object on stdout instead of text, and no progress bars.
	#[arg(long, global = true)]
	pub json: bool,
}

fn default_data_dir() -> PathBuf {
	std::env::var_os("XDG_DATA_HOME")
		.map(PathBuf::from)
		.or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
		.unwrap_or_else(|| PathBuf::from("."))
		.join("cpc")
}

#[derive(Subcommand, Debug)]
pub enum Command {
	/// Accounts and device keys, stored encrypted on disk.
	#[command(subcommand)]
	Key(KeyCommand),
	/// Devices on chain (DPKI): register, rotate or revoke their keys.
	#[command(subcommand)]
	Device(DeviceCommand),
	/// Data streams on chain.
	#[command(subcommand)]
	Stream(StreamCommand),
	/// Encrypt readings, store them on IPFS and register each upload on chain.
	///
	/// Readings are cut into blocks by the stream's period T, blocks of one encryption interval
	/// share a fresh key, and every u blocks become one upload (one record). Interrupted ingest
	/// resumes where the chain stands: run the same command again with the same input.
	Ingest(IngestArgs),
	/// Grant a grantee a range of a stream's encryption intervals.
	///
	/// Registers the grant on chain, then hands each named proxy its key fragment (today the
	/// local proxy role in the data directory).
	Grant(GrantArgs),
	/// Revoke a grant: proxies stop re-encrypting for it at once.
	Revoke(RevokeArgs),
	/// Download, verify and decrypt readings, as the owner or as a grantee.
	Fetch(FetchArgs),
	/// Verify a stream's records against IPFS without any key: record hash chain, content
	/// hashes, sizes and Merkle roots.
	Verify(VerifyArgs),
	/// The data market: sell intervals of your streams, buy others' into escrow, settle.
	///
	/// A buyer's payment stays in escrow until each interval is settled: an interval whose
	/// record is on chain by its deadline and granted to the buyer pays the seller; any other
	/// is refunded. Anyone may settle what is due; the buyer may confirm earlier.
	#[command(subcommand)]
	Market(MarketCommand),
	/// The local proxy role: a re-encryption proxy run by this data directory.
	#[command(subcommand)]
	Proxy(ProxyCommand),
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
	/// Create a key from a new random secret phrase.
	Create {
		/// The key's name in the store.
		#[arg(long)]
		name: String,
		/// What the key is for.
		#[arg(long, value_enum, default_value_t = Kind::Account)]
		kind: Kind,
		/// The signature scheme (accounts are sr25519).
		#[arg(long, value_enum, default_value_t = Scheme::Sr25519)]
		scheme: Scheme,
	},
	/// Import a key from a secret URI or phrase (`//Alice` on dev chains).
	Import {
		/// The key's name in the store.
		#[arg(long)]
		name: String,
		/// The secret URI; prefer --suri-file, a command line ends up in shell history.
		#[arg(long, conflicts_with = "suri_file", required_unless_present = "suri_file")]
		suri: Option<String>,
		/// A file whose first line is the secret URI.
		#[arg(long)]
		suri_file: Option<PathBuf>,
		/// What the key is for.
		#[arg(long, value_enum, default_value_t = Kind::Account)]
		kind: Kind,
		/// The signature scheme (accounts are sr25519).
		#[arg(long, value_enum, default_value_t = Scheme::Sr25519)]
		scheme: Scheme,
	},
	/// List the stored keys (public parts only; no password needed).
	List,
	/// Show a key's public parts: address, public key, Umbral keys.
	Show {
		/// The key's name.
		name: String,
	},
	/// Publish an account's Umbral keys on chain (holds a small deposit), so that grants can
	/// be made to it and by it. `cpc grant` publishes the grantor's keys itself when they are
	/// missing; a grantee runs this once before it is granted anything.
	Publish {
		#[command(flatten)]
		account: AccountArg,
	},
}

/// The account that signs.
#[derive(Args, Debug)]
pub struct AccountArg {
	/// The account (a key name in the store) that signs the transaction.
	#[arg(long)]
	pub account: String,
}

#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
	/// Register a device with its public key; the account becomes its owner.
	Register {
		#[command(flatten)]
		account: AccountArg,
		/// The device key (a `--kind device` key in the store).
		#[arg(long)]
		key: String,
		/// Metadata stored with the device (e.g. model and location; public).
		#[arg(long, default_value = "")]
		metadata: String,
	},
	/// Replace a device's key.
	Rotate {
		#[command(flatten)]
		account: AccountArg,
		/// The device id.
		#[arg(long)]
		device: u64,
		/// The new device key (a `--kind device` key in the store).
		#[arg(long)]
		key: String,
	},
	/// Revoke a device: no record can be appended to its streams any more.
	Revoke {
		#[command(flatten)]
		account: AccountArg,
		/// The device id.
		#[arg(long)]
		device: u64,
	},
	/// Show a device.
	Show {
		/// The device id.
		device: u64,
	},
}

#[derive(Subcommand, Debug)]
pub enum StreamCommand {
	/// Create a stream of a device.
	Create {
		#[command(flatten)]
		account: AccountArg,
		/// The device that produces the stream.
		#[arg(long)]
		device: u64,
		/// The stream's name.
		#[arg(long)]
		name: String,
		/// How readers should read a block (this client writes JSON lines).
		#[arg(long, default_value = "jsonl")]
		schema: String,
		/// Period T of a data block, in milliseconds of device time.
		#[arg(long)]
		period_ms: u64,
		/// Encryption interval e: blocks per symmetric key (the unit of grants).
		#[arg(long)]
		encryption_interval: u32,
		/// Upload interval u: blocks per upload (per record).
		#[arg(long)]
		upload_interval: u32,
	},
	/// Show a stream and, with --records, its records.
	Show {
		/// The stream id.
		stream: u64,
		/// Also list the records.
		#[arg(long)]
		records: bool,
	},
}

#[derive(Subcommand, Debug)]
pub enum MarketCommand {
	/// Offer intervals of a stream you own: past ones (`--intervals`) or the coming ones of
	/// a live stream (`--subscription`). Holds a deposit per stored byte until you delist.
	List(ListArgs),
	/// Withdraw a listing: its deposit comes back; orders already placed go on.
	Delist {
		#[command(flatten)]
		account: AccountArg,
		/// The listing.
		#[arg(long)]
		listing: u64,
	},
	/// The listings on chain (no account needed).
	Listings {
		/// Only this seller's (SS58 address).
		#[arg(long)]
		seller: Option<String>,
	},
	/// Buy intervals of a listing: their price is held from your account in escrow.
	Buy(BuyArgs),
	/// The orders on chain (no account needed).
	Orders {
		/// Only this buyer's (SS58 address).
		#[arg(long)]
		buyer: Option<String>,
		/// Only this seller's (SS58 address).
		#[arg(long)]
		seller: Option<String>,
	},
	/// Deliver an order as its seller: grant the buyer the order's intervals through your
	/// proxies (`cpc grant` with the order's buyer and intervals).
	Deliver(DeliverArgs),
	/// As the buyer, accept the order's delivered intervals now: the seller is paid at once.
	Confirm(SettleArgs),
	/// Settle an order's intervals that are due (anyone may, for any order).
	Settle(SettleArgs),
	/// As the buyer, cancel an order: intervals that have not started are refunded.
	Cancel {
		#[command(flatten)]
		account: AccountArg,
		/// The order.
		#[arg(long)]
		order: u64,
	},
	/// As the buyer, rate the seller of a settled order, 1 (worst) to 5 (best).
	Rate {
		#[command(flatten)]
		account: AccountArg,
		/// The order.
		#[arg(long)]
		order: u64,
		/// The score.
		#[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
		score: u8,
	},
	/// Disputes over an order's intervals: open one, match the fee, add evidence, appeal,
	/// move one on, or show the running ones.
	#[command(subcommand)]
	Dispute(DisputeCommand),
	/// As a drawn juror: commit your vote (its salt is kept in the data directory until you
	/// reveal it) or reveal it.
	#[command(subcommand)]
	Vote(VoteCommand),
}

#[derive(Subcommand, Debug)]
pub enum DisputeCommand {
	/// As the order's buyer or seller, dispute some of its intervals (started, not yet at
	/// their settlement block): pays the first round's fee; the other side must match it.
	Open {
		#[command(flatten)]
		account: AccountArg,
		/// The order.
		#[arg(long)]
		order: u64,
		/// The disputed intervals (`A..=B`, `A-B` or one `A`).
		#[arg(long, value_parser = parse_intervals)]
		intervals: (u64, u64),
	},
	/// Match the other side's fee for the current round (else you lose the dispute).
	Fund(DisputeArgs),
	/// Add a piece of evidence: the file goes to IPFS, its hash and CID on chain.
	Evidence {
		#[command(flatten)]
		account: AccountArg,
		/// The dispute.
		#[arg(long)]
		dispute: u64,
		/// The evidence (an ERC-1497-style JSON document, or any file it points to).
		#[arg(long)]
		file: PathBuf,
	},
	/// As the loser of the last round, appeal: pay for a jury twice the last plus one.
	Appeal(DisputeArgs),
	/// Move a dispute on as its time allows (a default win, a tally, the end).
	Advance(DisputeArgs),
	/// The running disputes, or one of them (no account needed).
	Show {
		/// Only this dispute.
		#[arg(long)]
		dispute: Option<u64>,
	},
}

/// A dispute, acted on by an account.
#[derive(Args, Debug)]
pub struct DisputeArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The dispute.
	#[arg(long)]
	pub dispute: u64,
}

/// A side of an order, as a juror votes for it.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
	/// Refund the disputed intervals.
	Buyer,
	/// Pay the disputed intervals.
	Seller,
}

#[derive(Subcommand, Debug)]
pub enum VoteCommand {
	/// Commit to a vote (a fresh random salt, kept until you reveal).
	Commit {
		#[command(flatten)]
		account: AccountArg,
		/// The dispute.
		#[arg(long)]
		dispute: u64,
		/// Who should win.
		#[arg(long = "for", value_enum)]
		side: Side,
	},
	/// Reveal the vote you committed (after the commit period).
	Reveal(DisputeArgs),
}

/// An order to settle, and how many of its intervals at most.
#[derive(Args, Debug)]
pub struct SettleArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The order.
	#[arg(long)]
	pub order: u64,
	/// At most this many intervals (the chain settles at most 16 per call).
	#[arg(long, default_value_t = 16)]
	pub max: u32,
}

#[derive(Args, Debug)]
pub struct ListArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The stream (yours).
	#[arg(long)]
	pub stream: u64,
	/// The price of one interval, in CPC (`0.5`, `2`, `0.000001`).
	#[arg(long, value_parser = parse_amount)]
	pub price: u128,
	/// A short title (at most 96 bytes).
	#[arg(long)]
	pub title: String,
	/// What the data is (at most 1024 bytes).
	#[arg(long, default_value = "")]
	pub description: String,
	/// Search tags, comma-separated (at most 8, each at most 24 bytes).
	#[arg(long, value_delimiter = ',')]
	pub tags: Vec<String>,
	/// The licence terms a buyer accepts: a file, stored on chain by its hash (blake2-256).
	#[arg(long)]
	pub terms: PathBuf,
	/// Also put the terms on IPFS and list their CID, so that buyers can read them.
	#[arg(long)]
	pub publish_terms: bool,
	/// Sell these recorded intervals: `A..=B`, `A-B` or one `A`.
	#[arg(long, value_parser = parse_intervals, conflicts_with = "subscription", required_unless_present = "subscription")]
	pub intervals: Option<(u64, u64)>,
	/// Sell the coming intervals of the live stream, from `--start`.
	#[arg(long)]
	pub subscription: bool,
	/// The first interval for sale (default: the stream's next one).
	#[arg(long, requires = "subscription")]
	pub start: Option<u64>,
	/// How many intervals from the start are for sale in all.
	#[arg(long, requires = "subscription", default_value_t = 24 * 30)]
	pub max_intervals: u32,
	/// Blocks between the ends of two intervals: the pace you promise to record them at
	/// (default: the stream's encryption interval in blocks, rounded up).
	#[arg(long, requires = "subscription")]
	pub interval_blocks: Option<u32>,
}

#[derive(Args, Debug)]
pub struct BuyArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The listing.
	#[arg(long)]
	pub listing: u64,
	/// From a listing of recorded intervals: these (`A..=B`, `A-B` or one `A`).
	#[arg(long, value_parser = parse_intervals, conflicts_with = "next", required_unless_present = "next")]
	pub intervals: Option<(u64, u64)>,
	/// From a subscription: the next N intervals.
	#[arg(long)]
	pub next: Option<u32>,
	/// The most you pay per interval, in CPC (default: the listing's price now; the order
	/// fails if the seller raised it since).
	#[arg(long, value_parser = parse_amount)]
	pub max_price: Option<u128>,
}

#[derive(Args, Debug)]
pub struct DeliverArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The order.
	#[arg(long)]
	pub order: u64,
	/// The proxies' addresses, comma-separated (registered proxies).
	#[arg(long, value_delimiter = ',', required = true)]
	pub proxies: Vec<String>,
	/// How many proxies must answer (1..=number of proxies).
	#[arg(long, default_value_t = 1)]
	pub threshold: u8,
	/// Blocks until the grant expires (it must outlast the order's settlement).
	#[arg(long, default_value_t = 100_000)]
	pub expires_in: u32,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The stream.
	#[arg(long)]
	pub stream: u64,
	/// Sign every record with this device key (the device's current key).
	#[arg(long)]
	pub device_key: Option<String>,
	/// Input format (default: by file extension, JSON lines for stdin).
	#[arg(long, value_enum)]
	pub format: Option<Format>,
	/// The field (JSON) or column (CSV) with the device time in milliseconds.
	#[arg(long, default_value = "t")]
	pub time_field: String,
	/// What to do with a line that is not a reading.
	#[arg(long, value_enum, default_value_t = OnError::Fail)]
	pub on_error: OnError,
	/// Records per transaction (a `utility.batch_all`); 1 registers each upload at once.
	#[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=64))]
	pub batch: u32,
	/// Keep the last, unfinished block for the next run instead of uploading it at the end of
	/// the input (for inputs that continue later).
	#[arg(long)]
	pub hold_partial: bool,
	/// The readings: a file, or `-` for stdin.
	#[arg(default_value = "-")]
	pub input: PathBuf,
}

#[derive(Args, Debug)]
pub struct GrantArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The stream.
	#[arg(long)]
	pub stream: u64,
	/// The grantee's address (SS58).
	#[arg(long)]
	pub grantee: String,
	/// The grantee's Umbral public key as you learnt it from the grantee, hex (`cpc key show`
	/// prints it as umbral_public). Optional: the grant uses the key the grantee published
	/// on chain (`cpc key publish`); if given, the two must match.
	#[arg(long)]
	pub grantee_key: Option<String>,
	/// The encryption intervals: `A..=B`, `A-B` or one `A`.
	#[arg(long, value_parser = parse_intervals)]
	pub intervals: (u64, u64),
	/// Blocks until the grant expires.
	#[arg(long, default_value_t = 100_000)]
	pub expires_in: u32,
	/// The proxies' addresses, comma-separated (registered proxies).
	#[arg(long, value_delimiter = ',', required = true)]
	pub proxies: Vec<String>,
	/// How many proxies must answer (1..=number of proxies).
	#[arg(long, default_value_t = 1)]
	pub threshold: u8,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The grant id.
	#[arg(long)]
	pub grant: u64,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
	#[command(flatten)]
	pub account: AccountArg,
	/// The stream.
	#[arg(long)]
	pub stream: u64,
	/// The encryption intervals to read (default: all the stream has).
	#[arg(long, value_parser = parse_intervals)]
	pub intervals: Option<(u64, u64)>,
	/// Where to write the readings (JSON lines); default stdout.
	#[arg(long)]
	pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
	/// The stream.
	#[arg(long)]
	pub stream: u64,
}

#[derive(Subcommand, Debug)]
pub enum ProxyCommand {
	/// Register the account as a re-encryption proxy (bonds 100 CPC) served by this data
	/// directory's local proxy role.
	Register {
		#[command(flatten)]
		account: AccountArg,
	},
}

/// Parses `A..=B`, `A-B` or `A` into an inclusive range.
pub fn parse_intervals(text: &str) -> Result<(u64, u64), String> {
	let (a, b) = if let Some((a, b)) = text.split_once("..=") {
		(a, b)
	} else if let Some((a, b)) = text.split_once('-') {
		(a, b)
	} else {
		(text, text)
	};
	let parse = |s: &str| {
		s.trim().parse::<u64>().map_err(|_| format!("{text:?} is not an interval range like 3..=5"))
	};
	let (a, b) = (parse(a)?, parse(b)?);
	if a > b {
		return Err(format!("{text:?} is reversed: the first interval comes after the last"));
	}
	Ok((a, b))
}

/// An amount of CPC with up to 18 decimals (`1`, `0.5`, `0.000001`), in units.
pub fn parse_amount(text: &str) -> Result<u128, String> {
	let bad = || format!("{text:?} is not an amount of CPC like 0.5 (at most 18 decimals)");
	let decimals = usize::from(cpchain_primitives::currency::TOKEN_DECIMALS);
	let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
	if whole.is_empty() && fraction.is_empty()
		|| fraction.len() > decimals
		|| !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
	{
		return Err(bad());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let fraction: u128 = if fraction.is_empty() {
		0
	} else {
		format!("{fraction:0<decimals$}").parse().map_err(|_| bad())?
	};
	whole
		.checked_mul(cpchain_primitives::currency::CPC)
		.and_then(|w| w.checked_add(fraction))
		.ok_or_else(|| format!("{text:?} is more CPC than can exist"))
}

/// `units` as CPC, without trailing zeros (`1.5 CPC`).
pub fn format_amount(units: u128) -> String {
	let cpc = cpchain_primitives::currency::CPC;
	let decimals = usize::from(cpchain_primitives::currency::TOKEN_DECIMALS);
	let fraction = format!("{:0decimals$}", units % cpc);
	let fraction = fraction.trim_end_matches('0');
	if fraction.is_empty() {
		format!("{} CPC", units / cpc)
	} else {
		format!("{}.{fraction} CPC", units / cpc)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::CommandFactory;

	#[test]
	fn the_command_line_is_consistent_and_ranges_parse() {
		Cli::command().debug_assert();
		assert_eq!(parse_intervals("3..=5"), Ok((3, 5)));
		assert_eq!(parse_intervals("3-5"), Ok((3, 5)));
		assert_eq!(parse_intervals("4"), Ok((4, 4)));
		assert!(parse_intervals("5..=3").is_err());
		assert!(parse_intervals("x").is_err());
		assert!(parse_intervals("3..5").is_err(), "ambiguous exclusive ranges are refused");
	}

	#[test]
	fn amounts_parse_to_units_and_print_back() {
		let cpc = cpchain_primitives::currency::CPC;
		assert_eq!(parse_amount("2"), Ok(2 * cpc));
		assert_eq!(parse_amount("0.5"), Ok(cpc / 2));
		assert_eq!(parse_amount(".25"), Ok(cpc / 4));
		assert_eq!(parse_amount("0.000000000000000001"), Ok(1));
		for bad in ["", ".", "1.2.3", "-1", "1e3", "0.0000000000000000001", "1 CPC"] {
			assert!(parse_amount(bad).is_err(), "{bad:?} parsed");
		}
		assert!(parse_amount("1000000000000000000000").is_err(), "above u128 in units");
		assert_eq!(format_amount(cpc / 2), "0.5 CPC");
		assert_eq!(format_amount(3 * cpc), "3 CPC");
		assert_eq!(format_amount(1), "0.000000000000000001 CPC");
		for text in ["1.5", "0.001", "42"] {
			let units = parse_amount(text).expect("parses");
			assert_eq!(format_amount(units), format!("{text} CPC"));
		}
	}
}
