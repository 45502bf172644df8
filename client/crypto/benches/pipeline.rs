//! Throughput of the encryption pipeline (chain, seal, Merkle root) against the raw AEAD on
//! the same bytes, and the Umbral operations. Results go to docs/benchmarks.md.

use chacha20poly1305::{
	aead::{Aead, KeyInit},
	XChaCha20Poly1305, XNonce,
};
use cpchain_crypto::{
	block::BlockChainer,
	cipher::{seal, IntervalKey, Place},
	keys::{GranteeKeys, OwnerKeys, ProxyShare},
	merkle,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const BLOCK: usize = 64 * 1024;
const BLOCKS: usize = 16;

fn pipeline(c: &mut Criterion) {
	let payloads: Vec<Vec<u8>> = (0..BLOCKS).map(|i| vec![i as u8; BLOCK]).collect();
	let key = IntervalKey::generate();
	let mut group = c.benchmark_group("encryption");
	group.throughput(Throughput::Bytes((BLOCK * BLOCKS) as u64));
	group.bench_function("raw XChaCha20-Poly1305", |b| {
		let cipher = XChaCha20Poly1305::new(&[7u8; 32].into());
		let nonce = XNonce::default();
		b.iter(|| {
			for p in &payloads {
				criterion::black_box(cipher.encrypt(&nonce, p.as_slice()).expect("encrypts"));
			}
		})
	});
	group.bench_function("pipeline (chain, seal, Merkle root)", |b| {
		b.iter_batched(
			|| payloads.clone(),
			|payloads| {
				let mut chainer = BlockChainer::new(1, 4, 0, [0; 32]).expect("e > 0");
				let mut hashes = Vec::with_capacity(BLOCKS);
				for p in payloads {
					let block = chainer.push(p);
					hashes.push(chainer.last_hash());
					let place = Place { stream: 1, interval: block.interval, block: block.index };
					criterion::black_box(seal(&key, place, &block.payload).expect("seals"));
				}
				criterion::black_box(merkle::root(&hashes))
			},
			BatchSize::LargeInput,
		)
	});
	group.finish();
}

fn umbral(c: &mut Criterion) {
	let owner = OwnerKeys::generate();
	let grantee = GranteeKeys::generate();
	let key = IntervalKey::generate();
	let wrapped = owner.wrap(&key).expect("wraps");
	let fragments = owner.grant(&grantee.public_key(), 2, 3).expect("valid");
	let (vk, pk, gk) = (owner.verifying_key(), owner.public_key(), grantee.public_key());
	let shares: Vec<ProxyShare> = fragments
		.iter()
		.map(|f| ProxyShare::accept(f.clone(), &vk, &pk, &gk).expect("verifies"))
		.collect();
	let mut group = c.benchmark_group("umbral");
	group.bench_function("wrap an interval key", |b| b.iter(|| owner.wrap(&key).expect("wraps")));
	group.bench_function("grant 2 of 3", |b| b.iter(|| owner.grant(&gk, 2, 3).expect("valid")));
	group.bench_function("proxy: verify a key fragment", |b| {
		b.iter(|| ProxyShare::accept(fragments[0].clone(), &vk, &pk, &gk).expect("verifies"))
	});
	group.bench_function("proxy: re-encrypt", |b| b.iter(|| shares[0].reencrypt(&wrapped.capsule)));
	group.bench_function("grantee: verify 2 fragments and open", |b| {
		b.iter_batched(
			|| shares.iter().take(2).map(|s| s.reencrypt(&wrapped.capsule)).collect(),
			|frags| grantee.open(&wrapped, frags, &vk, &pk).expect("opens"),
			BatchSize::SmallInput,
		)
	});
	group.finish();
}

criterion_group!(benches, pipeline, umbral);
criterion_main!(benches);
