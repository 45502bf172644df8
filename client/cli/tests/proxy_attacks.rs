//! The proxy's rules played by an attacker, against a real `cpchain-node --dev` and a real IPFS
//! daemon on loopback (both started here on free ports; the node is the release build beside
//! this test, or `$CPCHAIN_NODE`).
//!
//! `cpc` sets the world up as a user would: Bob owns streams 0 and 1, Bob's stash owns stream
//! 2, Alice's stash runs the proxy role, and Alice holds a grant of stream 0's intervals 3..=5.
//! Then the test talks to the proxy role directly, through the library, the way a grantee or
//! a third party with every upload and every key of its own could: it asks for capsules
//! outside the grant under every label it can choose, and delivers forged, misdirected and
//! second fragments. Each attack must be refused by the checks against the chain, and the
//! honest path must keep working.

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::Duration,
};

use cpchain_cli::{
	chain::Chain,
	fetch,
	keystore::{Account, KeyStore},
	proxy::{Delivery, LocalProxy, ProxyService, Request},
	records,
};
use cpchain_crypto::{keys::OwnerKeys, wire};
use cpchain_storage::IpfsStorage;
use sp_core::crypto::{AccountId32, Ss58Codec};

const PASSWORD: &str = "attack at dawn";

/// The longest one `cpc` command may take (each waits for its transactions' finality).
const CPC_TIMEOUT: Duration = Duration::from_secs(300);

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free loopback port")
}

fn repo_root() -> PathBuf {
	let manifest_dir =
		std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
	Path::new(&manifest_dir).join("../..")
}

/// The IPFS daemon of `scripts/ipfs.sh`, stopped when dropped.
struct Ipfs {
	env: Vec<(&'static str, String)>,
	api_url: String,
}

impl Ipfs {
	fn start(dir: &Path) -> Self {
		let api_port = free_port();
		let env = vec![
			("IPFS_PATH", dir.join("ipfs").display().to_string()),
			("IPFS_API_PORT", api_port.to_string()),
			("IPFS_GATEWAY_PORT", free_port().to_string()),
			("IPFS_SWARM_PORT", free_port().to_string()),
			("IPFS_RPC_PORT", free_port().to_string()),
		];
		let status = Command::new(repo_root().join("scripts/ipfs.sh"))
			.arg("start")
			.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
			.status()
			.expect("scripts/ipfs.sh runs");
		assert!(status.success(), "the IPFS daemon starts (run ./scripts/setup.sh --with-js)");
		Self { env, api_url: format!("http://127.0.0.1:{api_port}") }
	}
}

impl Drop for Ipfs {
	fn drop(&mut self) {
		let _ = Command::new(repo_root().join("scripts/ipfs.sh"))
			.arg("stop")
			.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
			.status();
	}
}

/// `cpchain-node --dev`, killed when dropped.
struct Node {
	child: Child,
	ws_url: String,
}

impl Node {
	fn start(dir: &Path) -> Self {
		let binary = std::env::var_os("CPCHAIN_NODE").map(PathBuf::from).unwrap_or_else(|| {
			// target/release/deps/<this test> -> target/release/cpchain-node
			let exe = std::env::current_exe().expect("the test's path");
			exe.parent()
				.and_then(Path::parent)
				.expect("in the target directory")
				.join("cpchain-node")
		});
		let rpc = free_port();
		let log = std::fs::File::create(dir.join("node.log")).expect("a log file");
		let child = Command::new(&binary)
			.args(["--dev", "--no-telemetry", "--no-mdns", "--no-prometheus"])
			.arg("--base-path")
			.arg(dir.join("chain"))
			.args(["--rpc-port", &rpc.to_string(), "--port", &free_port().to_string()])
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.unwrap_or_else(|e| panic!("{} starts: {e}", binary.display()));
		Self { child, ws_url: format!("ws://127.0.0.1:{rpc}") }
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// The world the attacks run in.
struct World {
	dir: PathBuf,
	node: Node,
	ipfs: Ipfs,
}

impl World {
	/// Runs `cpc --json <args>`, which must succeed within [`CPC_TIMEOUT`] (a hung `cpc` is
	/// killed and fails the test); returns its JSON output.
	fn cpc(&self, args: &[&str]) -> serde_json::Value {
		let mut child = Command::new(env!("CARGO_BIN_EXE_cpc"))
			.args(args)
			.arg("--json")
			.env("CPC_DATA_DIR", self.dir.join("cpc"))
			.env("CPC_NODE", &self.node.ws_url)
			.env("CPC_IPFS", &self.ipfs.api_url)
			.env("CPC_PASSWORD", PASSWORD)
			// Files, not pipes: a full pipe would stall the child while this waits on it.
			.stdout(std::fs::File::create(self.dir.join("cpc.out")).expect("an output file"))
			.stderr(std::fs::File::create(self.dir.join("cpc.err")).expect("an error file"))
			.spawn()
			.expect("cpc runs");
		let deadline = std::time::Instant::now() + CPC_TIMEOUT;
		while child.try_wait().expect("cpc can be waited for").is_none() {
			if std::time::Instant::now() > deadline {
				let _ = child.kill();
				let _ = child.wait();
				panic!("cpc {} did not finish within {CPC_TIMEOUT:?}", args.join(" "));
			}
			std::thread::sleep(Duration::from_millis(50));
		}
		let status = child.wait().expect("cpc's status");
		let stdout = std::fs::read(self.dir.join("cpc.out")).expect("cpc's output");
		let stderr = std::fs::read(self.dir.join("cpc.err")).expect("cpc's errors");
		assert!(
			status.success(),
			"cpc {} failed:\n{}",
			args.join(" "),
			String::from_utf8_lossy(&stderr)
		);
		serde_json::from_slice(&stdout).expect("cpc --json prints JSON")
	}

	fn account(&self, name: &str) -> Account {
		KeyStore::new(self.dir.join("cpc/keys")).account(name, PASSWORD).expect("unlocks")
	}

	/// Ingests readings 0..8, one a second, into `stream` (8 intervals, 4 records).
	fn ingest(&self, account: &str, device_key: &str, stream: u64) {
		let input = self.dir.join(format!("readings-{stream}.jsonl"));
		let text: String = (0..8u64)
			.map(|i| {
				format!(
					"{{\"t\":{},\"stream\":{stream},\"seq\":{i}}}\n",
					1_700_000_000_000 + i * 1000
				)
			})
			.collect();
		std::fs::write(&input, text).expect("writes readings");
		let input = input.display().to_string();
		let stream = stream.to_string();
		self.cpc(&[
			"ingest",
			"--account",
			account,
			"--stream",
			&stream,
			"--device-key",
			device_key,
			&input,
		]);
	}
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
	tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime").block_on(f)
}

async fn connect(url: &str) -> Chain {
	for _ in 0..120 {
		if let Ok(chain) = Chain::connect(url).await {
			return chain;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	panic!("the node did not answer on {url} within 60 s");
}

fn address(who: &AccountId32) -> String {
	who.to_ss58check()
}

fn refused<T>(result: anyhow::Result<T>, why: &str) {
	match result {
		Ok(_) => panic!("the attack succeeded; expected a refusal saying {why:?}"),
		Err(e) => {
			let text = format!("{e:#}");
			assert!(text.contains(why), "refused, but for another reason: {text}");
		}
	}
}

#[test]
fn a_grant_opens_exactly_its_intervals_and_deliveries_cannot_be_forged() {
	let dir = tempfile::tempdir().expect("a temporary directory");
	let ipfs = Ipfs::start(dir.path());
	let node = Node::start(dir.path());
	let w = World { dir: dir.path().to_owned(), node, ipfs };
	block_on(async {
		let chain = connect(&w.node.ws_url).await;
		for (name, suri) in [
			("owner", "//Bob"),
			("other", "//Bob//stash"),
			("proxy", "//Alice//stash"),
			("grantee", "//Alice"),
		] {
			w.cpc(&["key", "import", "--name", name, "--suri", suri]);
		}
		for name in ["sensor", "sensor2"] {
			w.cpc(&["key", "create", "--name", name, "--kind", "device", "--scheme", "ed25519"]);
		}
		let stream = |account: &str, device: &str, name: &str| {
			w.cpc(&[
				"stream",
				"create",
				"--account",
				account,
				"--device",
				device,
				"--name",
				name,
				"--period-ms",
				"1000",
				"--encryption-interval",
				"1",
				"--upload-interval",
				"2",
			])["stream"]
				.as_u64()
				.expect("a stream id")
		};
		w.cpc(&["device", "register", "--account", "owner", "--key", "sensor"]);
		w.cpc(&["device", "register", "--account", "other", "--key", "sensor2"]);
		let (s0, s1, s2) =
			(stream("owner", "0", "a"), stream("owner", "0", "b"), stream("other", "1", "c"));
		w.ingest("owner", "sensor", s0);
		w.ingest("owner", "sensor", s1);
		w.ingest("other", "sensor2", s2);

		let (owner, other, grantee) =
			(w.account("owner"), w.account("other"), w.account("grantee"));
		let proxy_id = w.account("proxy").account_id();
		w.cpc(&["proxy", "register", "--account", "proxy"]);
		w.cpc(&["key", "publish", "--account", "grantee"]);
		let grant = w.cpc(&[
			"grant",
			"--account",
			"owner",
			"--stream",
			&s0.to_string(),
			"--grantee",
			&address(&grantee.account_id()),
			"--intervals",
			"3..=5",
			"--proxies",
			&address(&proxy_id),
		])["grant"]
			.as_u64()
			.expect("a grant id");

		let storage = IpfsStorage::new(&w.ipfs.api_url).expect("an endpoint");
		let proxy = LocalProxy::new(&w.dir.join("cpc"), proxy_id.clone(), &chain, &storage);
		let genesis = chain.genesis();
		let ask = |stream, record, interval| {
			Request::signed(genesis, &grantee.pair, grant, stream, record, interval)
		};
		let keys = records::grant_keys(&chain, grant).await.expect("reads").expect("has keys");
		let owner_key = wire::public_key_from_bytes(&keys.grantor.public).expect("a key");
		let verifying = wire::public_key_from_bytes(&keys.grantor.verifying).expect("a key");
		// The wrapped key of `interval` in record `record` of `stream`, from IPFS, checked.
		let wrapped = |stream: u64, record: u64, interval: u64| {
			let chain = &chain;
			let storage = &storage;
			async move {
				let view = records::stream(chain, stream).await.expect("a stream");
				let all = records::records(chain, &view, stream).await.expect("records");
				let r = all.iter().find(|r| r.index == record).expect("the record");
				let upload = fetch::upload(storage, stream, r).await.expect("an upload");
				upload.key(interval).expect("a key").wrapped().expect("decodes")
			}
		};

		// The honest path: interval 3 lies in record 1 (intervals 2..=3) and opens.
		let fragment = proxy.reencrypt(&ask(s0, 1, 3)).await.expect("served");
		let fragment = wire::capsule_fragment_from_bytes(&fragment).expect("a capsule fragment");
		let three = wrapped(s0, 1, 3).await;
		grantee
			.umbral
			.grantee()
			.open(&three, vec![fragment.clone()], &verifying, &owner_key)
			.expect("the grantee opens interval 3");

		// Outside the grant, under every label the grantee controls.
		refused(proxy.reencrypt(&ask(s0, 3, 6)).await, "does not cover interval 6");
		refused(proxy.reencrypt(&ask(s0, 3, 5)).await, "record 3 does not cover interval 5");
		refused(proxy.reencrypt(&ask(s0, 9, 4)).await, "has no record 9");
		refused(proxy.reencrypt(&ask(s1, 1, 3)).await, "not for this grantee and stream");
		refused(proxy.reencrypt(&ask(s2, 1, 3)).await, "not for this grantee and stream");
		// Signed by someone else than the grantee (the owner of another stream).
		let mut forged = ask(s0, 1, 3);
		forged.signature = Request::signed(genesis, &other.pair, grant, s0, 1, 3).signature;
		refused(proxy.reencrypt(&forged).await, "not signed by the grantee");
		// A fragment served for interval 3 opens nothing else: not interval 6 of the stream,
		// not interval 3 of the owner's other stream.
		for (stream, record, interval) in [(s0, 3, 6), (s1, 1, 3)] {
			let other_key = wrapped(stream, record, interval).await;
			assert!(
				grantee
					.umbral
					.grantee()
					.open(&other_key, vec![fragment.clone()], &verifying, &owner_key)
					.is_err(),
				"the capsule fragment of interval 3 opened stream {stream}'s interval {interval}"
			);
		}

		// Deliveries: forged, misdirected and second fragments for the grant.
		let grantee_key = grantee.umbral.public_key();
		let fragment_of = |keys: &OwnerKeys| {
			let f = keys.grant(&grantee_key, 1, 1).expect("fragments").remove(0);
			wire::key_fragment_to_bytes(&f).expect("encodes")
		};
		let deliver = |signer: &sp_core::sr25519::Pair, to: &AccountId32, fragment: &[u8]| {
			Delivery::signed(genesis, signer, grant, to, fragment)
		};
		// Another owner's Umbral keys, signed by the grantor's account.
		refused(
			proxy.deliver(deliver(&owner.pair, &proxy_id, &fragment_of(&other.umbral))).await,
			"does not verify against the grantor's and grantee's keys on chain",
		);
		// The grantor's Umbral keys, signed by someone else.
		refused(
			proxy.deliver(deliver(&other.pair, &proxy_id, &fragment_of(&owner.umbral))).await,
			"not signed by its grantor",
		);
		// Signed by the grantor for another proxy.
		refused(
			proxy
				.deliver(deliver(&owner.pair, &grantee.account_id(), &fragment_of(&owner.umbral)))
				.await,
			"not signed by its grantor",
		);
		// A second valid fragment, made and signed by the grantor: the first one stays.
		refused(
			proxy.deliver(deliver(&owner.pair, &proxy_id, &fragment_of(&owner.umbral))).await,
			"a different one is refused",
		);
		let again = proxy.reencrypt(&ask(s0, 2, 5)).await.expect("still served");
		let again = wire::capsule_fragment_from_bytes(&again).expect("a capsule fragment");
		grantee
			.umbral
			.grantee()
			.open(&wrapped(s0, 2, 5).await, vec![again], &verifying, &owner_key)
			.expect("the genuine fragment still serves interval 5");

		// Revoked on chain: nothing more, whatever the proxy holds on disk.
		w.cpc(&["revoke", "--account", "owner", "--grant", &grant.to_string()]);
		refused(proxy.reencrypt(&ask(s0, 1, 3)).await, "does not exist");
	});
}
