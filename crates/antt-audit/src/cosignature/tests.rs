use super::*;
use crate::checkpoint::Checkpoint;
use crate::merkle::leaf_hash;

const SPEC_BODY: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

fn spec_checkpoint() -> Checkpoint {
    Checkpoint::parse_body(SPEC_BODY).expect("spec example")
}

#[test]
fn signed_message_is_the_specs() {
    // tlog-cosignature, "Ed25519 signed message".
    let expected = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n\
                    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    assert_eq!(signed_message(1679315147, SPEC_BODY), expected);
}

#[test]
fn spec_example_line_has_the_timestamped_layout() {
    // The spec's example cosignature line: key ID, then the timestamp of its example
    // message, then 64 signature bytes. Its public key is not published.
    let line = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
    let signature = NoteSignature::parse_line(line).expect("parses");
    assert_eq!(signature.signature.len(), 72);
    let timestamp: [u8; 8] = signature.signature[..8].try_into().expect("8 bytes");
    assert_eq!(u64::from_be_bytes(timestamp), 1679315147);
}

#[test]
fn cosignatures_verify_and_carry_their_time() {
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    let verifier = witness.verifier();
    assert_eq!(verifier.kind(), KeyKind::CosignatureV1);
    let reparsed: Verifier = verifier.to_string().parse().expect("vkey parses");
    assert_eq!(reparsed.kind(), KeyKind::CosignatureV1);
    let signature = witness.cosign(&spec_checkpoint(), 1679315147).expect("cosigns");
    assert_eq!(signature.signature.len(), 72);
    assert_eq!(
        verify_cosignature(&verifier, &spec_checkpoint(), &signature).expect("verifies"),
        1679315147
    );
}

#[test]
fn tampering_is_detected() {
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    let verifier = witness.verifier();
    let signature = witness.cosign(&spec_checkpoint(), 1679315147).expect("cosigns");
    let mut later = signature.clone();
    later.signature[7] ^= 1;
    assert!(matches!(
        verify_cosignature(&verifier, &spec_checkpoint(), &later),
        Err(CosignatureError::Invalid)
    ));
    let mut other = spec_checkpoint();
    other.size += 1;
    assert!(matches!(
        verify_cosignature(&verifier, &other, &signature),
        Err(CosignatureError::Invalid)
    ));
    let mut short = signature.clone();
    short.signature.pop();
    assert!(matches!(
        verify_cosignature(&verifier, &spec_checkpoint(), &short),
        Err(CosignatureError::Length(71))
    ));
    let mut renamed = signature;
    renamed.name = "witness.example/w2".into();
    assert!(matches!(
        verify_cosignature(&verifier, &spec_checkpoint(), &renamed),
        Err(CosignatureError::OtherKey { .. })
    ));
}

#[test]
fn timestamps_past_2_pow_63_are_refused() {
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    assert!(matches!(
        witness.cosign(&spec_checkpoint(), 1 << 63),
        Err(CosignatureError::Timestamp(_))
    ));
    let mut signature = witness
        .cosign(&spec_checkpoint(), TIMESTAMP_S_MAX)
        .expect("the maximum is allowed");
    signature.signature[0] |= 0x80;
    let verifier = witness.verifier();
    assert!(matches!(
        verify_cosignature(&verifier, &spec_checkpoint(), &signature),
        Err(CosignatureError::Timestamp(_))
    ));
}

#[test]
fn note_signing_keys_are_not_cosignature_keys() {
    let log = Signer::generate("example.com/log").expect("key");
    let reused = CosignatureSigner::from_signer(&log);
    assert_ne!(reused.key_hash(), log.key_hash(), "the type byte separates the key IDs");
    assert_eq!(reused.verifier().public_key(), log.verifier().public_key());
    let signature = reused.cosign(&spec_checkpoint(), 1).expect("cosigns");
    let as_note_key = NoteSignature {
        key_hash: log.key_hash(),
        ..signature
    };
    assert!(matches!(
        verify_cosignature(&log.verifier(), &spec_checkpoint(), &as_note_key),
        Err(CosignatureError::NotCosignatureKey(_))
    ));
}

#[test]
fn private_keys_round_trip_with_their_type() {
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    let text = witness.private_key_text();
    let again = CosignatureSigner::from_private_key(&text).expect("reads back");
    assert_eq!(again.verifier(), witness.verifier());
    assert!(CosignatureSigner::from_private_key(&Signer::generate("a").expect("key").private_key_text()).is_err());
    assert!(
        !format!("{witness:?}").contains(&text[30..]),
        "Debug must not show the seed"
    );
}

#[test]
fn checkpoints_that_cannot_be_written_are_not_cosigned() {
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    let bad = Checkpoint {
        origin: "a\nb".into(),
        size: 1,
        root: leaf_hash(b""),
        extensions: vec![],
    };
    assert!(matches!(witness.cosign(&bad, 1), Err(CosignatureError::Checkpoint(_))));
}
