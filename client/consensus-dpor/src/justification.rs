//! Justifications: a quorum of COMMIT signatures from distinct committee members.

use codec::{Decode, Encode};
use cpchain_dpor_bft::quorum;
use cpchain_primitives::{
	consensus::{AuthorityId, DporJustification, Height},
	consensus::{Committee, DPOR_ENGINE_ID},
};
use sp_core::H256;
use sp_runtime::{Justification, RuntimeAppPublic};

/// Why a justification is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum JustificationError {
	/// Not a DPoR justification, or it does not decode (or has trailing bytes).
	Malformed,
	/// It justifies another block, height or term than the one it came with.
	WrongTarget,
	/// A signer index is out of the committee, repeated, or out of order.
	BadSigner(u32),
	/// A signature does not verify.
	BadSignature(u32),
	/// Fewer signatures than the quorum.
	NoQuorum {
		/// Valid signatures.
		got: usize,
		/// Needed.
		need: u32,
	},
}

impl std::fmt::Display for JustificationError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Malformed => write!(f, "malformed DPoR justification"),
			Self::WrongTarget => write!(f, "justification for another block, height or term"),
			Self::BadSigner(i) => write!(f, "signer {i} unknown, repeated or out of order"),
			Self::BadSignature(i) => write!(f, "bad signature of signer {i}"),
			Self::NoQuorum { got, need } => write!(f, "{got} signatures, {need} needed"),
		}
	}
}

/// Decodes a `(DPOR, bytes)` justification, refusing trailing bytes.
pub fn decode(justification: &Justification) -> Result<DporJustification, JustificationError> {
	if justification.0 != DPOR_ENGINE_ID {
		return Err(JustificationError::Malformed);
	}
	let mut bytes = &justification.1[..];
	let decoded =
		DporJustification::decode(&mut bytes).map_err(|_| JustificationError::Malformed)?;
	if !bytes.is_empty() {
		return Err(JustificationError::Malformed);
	}
	Ok(decoded)
}

/// Checks that `justification` finalises `block` at `height` with a quorum of valid COMMIT
/// signatures of `committee` (the committee at the block's parent) on the chain `genesis`.
pub fn verify(
	justification: &DporJustification,
	block: H256,
	height: Height,
	committee: &Committee<AuthorityId>,
	genesis: &H256,
) -> Result<(), JustificationError> {
	if justification.block != block
		|| justification.height != height
		|| justification.term != committee.term
	{
		return Err(JustificationError::WrongTarget);
	}
	let n = committee.members.len() as u32;
	let payload = justification.vote_data().signing_payload(genesis);
	let mut previous: Option<u32> = None;
	for (index, signature) in &justification.signatures {
		if previous.is_some_and(|p| p >= *index) {
			return Err(JustificationError::BadSigner(*index));
		}
		previous = Some(*index);
		let key =
			committee.members.get(*index as usize).ok_or(JustificationError::BadSigner(*index))?;
		if !key.verify(&payload, signature) {
			return Err(JustificationError::BadSignature(*index));
		}
	}
	let need = quorum(n.max(1));
	if n == 0 || (justification.signatures.len() as u32) < need {
		return Err(JustificationError::NoQuorum { got: justification.signatures.len(), need });
	}
	Ok(())
}

/// The encoded justification, as stored with a finalised block.
pub fn encode(justification: &DporJustification) -> Justification {
	(DPOR_ENGINE_ID, justification.encode())
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_primitives::consensus::{AuthorityPair, AuthoritySignature};
	use sp_core::Pair;

	fn committee(n: u8) -> (Vec<AuthorityPair>, Committee<AuthorityId>) {
		let pairs: Vec<_> = (0..n).map(|i| AuthorityPair::from_seed(&[i + 1; 32])).collect();
		let members = pairs.iter().map(|p| p.public()).collect();
		(pairs, Committee { term: 3, members })
	}

	fn justification(
		pairs: &[AuthorityPair],
		signers: &[u32],
		genesis: &H256,
	) -> DporJustification {
		let mut j = DporJustification {
			term: 3,
			height: 10,
			view: 1,
			block: H256::repeat_byte(7),
			signatures: vec![],
		};
		let payload = j.vote_data().signing_payload(genesis);
		j.signatures = signers.iter().map(|i| (*i, pairs[*i as usize].sign(&payload))).collect();
		j
	}

	#[test]
	fn a_quorum_of_commit_signatures_verifies_and_everything_less_does_not() {
		let genesis = H256::repeat_byte(1);
		let (pairs, c) = committee(4);
		let block = H256::repeat_byte(7);
		let good = justification(&pairs, &[0, 2, 3], &genesis);
		assert_eq!(verify(&good, block, 10, &c, &genesis), Ok(()));
		assert_eq!(decode(&encode(&good)), Ok(good.clone()));

		let two = justification(&pairs, &[0, 3], &genesis);
		assert_eq!(
			verify(&two, block, 10, &c, &genesis),
			Err(JustificationError::NoQuorum { got: 2, need: 3 })
		);
		let mut dup = justification(&pairs, &[0, 2, 3], &genesis);
		dup.signatures[2] = dup.signatures[1].clone();
		assert_eq!(verify(&dup, block, 10, &c, &genesis), Err(JustificationError::BadSigner(2)));
		let outsider = justification(&pairs, &[0, 2, 3], &genesis);
		let mut outsider = outsider;
		outsider.signatures.push((4, outsider.signatures[0].1.clone()));
		assert_eq!(
			verify(&outsider, block, 10, &c, &genesis),
			Err(JustificationError::BadSigner(4))
		);
		// Signed for another chain: replay refused.
		let other_chain = justification(&pairs, &[0, 2, 3], &H256::repeat_byte(2));
		assert_eq!(
			verify(&other_chain, block, 10, &c, &genesis),
			Err(JustificationError::BadSignature(0))
		);
		// Another block, height or term.
		assert_eq!(
			verify(&good, H256::repeat_byte(8), 10, &c, &genesis),
			Err(JustificationError::WrongTarget)
		);
		assert_eq!(verify(&good, block, 11, &c, &genesis), Err(JustificationError::WrongTarget));
		let next_term = Committee { term: 4, members: c.members.clone() };
		assert_eq!(
			verify(&good, block, 10, &next_term, &genesis),
			Err(JustificationError::WrongTarget)
		);
		// A PREPARE signature does not count as a COMMIT.
		let mut prepare = good.clone();
		let mut data = good.vote_data();
		data.phase = cpchain_primitives::consensus::Phase::Prepare;
		prepare.signatures[0].1 = pairs[0].sign(&data.signing_payload(&genesis));
		assert_eq!(
			verify(&prepare, block, 10, &c, &genesis),
			Err(JustificationError::BadSignature(0))
		);
		// An empty committee justifies nothing.
		let empty = Committee { term: 3, members: vec![] };
		assert!(verify(
			&DporJustification { signatures: vec![], ..good.clone() },
			block,
			10,
			&empty,
			&genesis
		)
		.is_err());
		let _: Option<AuthoritySignature> = None;
	}

	#[test]
	fn garbage_and_trailing_bytes_are_malformed() {
		assert_eq!(decode(&(DPOR_ENGINE_ID, vec![1, 2, 3])), Err(JustificationError::Malformed));
		let (pairs, _) = committee(1);
		let mut bytes = encode(&justification(&pairs, &[0], &H256::zero()));
		bytes.1.push(0);
		assert_eq!(decode(&bytes), Err(JustificationError::Malformed));
		assert_eq!(decode(&(*b"FRNK", vec![])), Err(JustificationError::Malformed));
	}
}
