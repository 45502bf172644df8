//! BLAKE2b-256, the hash of the chain (`sp_core::blake2_256` computes the same), over the
//! concatenation of byte strings.

use blake2::{
	digest::{consts::U32, Digest},
	Blake2b,
};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// BLAKE2b-256 of the concatenation of `parts`.
pub fn blake2_256(parts: &[&[u8]]) -> Hash {
	let mut hasher = Blake2b::<U32>::new();
	for part in parts {
		hasher.update(part);
	}
	hasher.finalize().into()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn matches_the_reference_blake2b_256_of_the_empty_string() {
		// RFC 7693 BLAKE2b with a 32-byte digest, empty input.
		let expected = "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8";
		let hex: String = blake2_256(&[]).iter().map(|b| format!("{b:02x}")).collect();
		assert_eq!(hex, expected);
		assert_eq!(blake2_256(&[b"ab", b"c"]), blake2_256(&[b"abc"]));
	}
}
