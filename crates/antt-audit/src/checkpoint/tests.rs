use super::*;
use crate::cosignature::CosignatureSigner;
use crate::merkle::leaf_hash;

// Go's sumdb/tlog note_test.go: a tree of 123456789012 leaves whose root is the record
// hash of "hello world", in the checkpoint layout.
const GO_TREE: &str = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";

// Go's sumdb client_test.go: its test key and a tree head it signed.
const GO_SUMDB_VKEY: &str = "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6";
const GO_SUMDB_SKEY: &str =
    "PRIVATE+KEY+localhost.localdev/sumdb+00000c67+AXu6+oaVaOYuQOFrf1V59JK1owcFlJcHwwXHDfDGxSPk";
const GO_SUMDB_TREE_6: &str = "go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n\n\
     — localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n";

fn checkpoint(size: u64) -> Checkpoint {
    Checkpoint {
        origin: "example.com/log".into(),
        size,
        root: leaf_hash(&size.to_be_bytes()),
        extensions: vec![],
    }
}

#[test]
fn go_tree_vector_parses_and_formats() {
    let parsed = Checkpoint::parse_body(GO_TREE).expect("Go's tree parses");
    assert_eq!(parsed.origin, "go.sum database tree");
    assert_eq!(parsed.size, 123456789012);
    assert_eq!(parsed.root, leaf_hash(b"hello world"));
    assert!(parsed.extensions.is_empty());
    assert_eq!(parsed.to_body(), GO_TREE);
}

#[test]
fn go_signed_tree_verifies_and_signs_identically() {
    let verifier: Verifier = GO_SUMDB_VKEY.parse().expect("vkey");
    let signed = SignedCheckpoint::parse_and_verify(GO_SUMDB_TREE_6, &verifier).expect("verifies");
    assert_eq!(signed.checkpoint.size, 6);
    assert_eq!(signed.to_text(), GO_SUMDB_TREE_6);
    let signer = Signer::from_private_key(GO_SUMDB_SKEY).expect("skey");
    assert_eq!(
        SignedCheckpoint::sign(signed.checkpoint.clone(), &signer).expect("signs"),
        signed
    );
}

#[test]
fn spec_example_body_parses() {
    let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let parsed = Checkpoint::parse_body(body).expect("spec example");
    assert_eq!(
        (parsed.origin.as_str(), parsed.size),
        ("example.com/behind-the-sofa", 20852163)
    );
    assert_eq!(parsed.to_body(), body);
}

#[test]
fn extensions_round_trip() {
    let mut with_extensions = checkpoint(3);
    with_extensions.extensions = vec!["ext one".into(), "ext-two".into()];
    let body = with_extensions.to_body();
    assert!(body.ends_with("\next one\next-two\n"));
    assert_eq!(Checkpoint::parse_body(&body).expect("parses"), with_extensions);
}

#[test]
fn malformed_bodies_are_refused() {
    let root = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
    let too_many = format!("o\n1\n{root}\n{}", "x\n".repeat(CHECKPOINT_EXTENSIONS_MAX + 1));
    let bad = [
        format!("o\n1\n{root}"),
        "o\n1\n".to_owned(),
        format!("\n1\n{root}\n"),
        format!("o\n01\n{root}\n"),
        format!("o\n-1\n{root}\n"),
        format!("o\n0x1\n{root}\n"),
        format!("o\n18446744073709551616\n{root}\n"),
        "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n".to_owned(),
        "o\n1\nAAAA\n".to_owned(),
        format!("o\n1\n{root}\n\next\n"),
        format!("o\n1\n{root}\n\n"),
        format!("o\t\n1\n{root}\n"),
        too_many,
    ];
    for body in &bad {
        assert!(Checkpoint::parse_body(body).is_err(), "accepted {body:?}");
    }
}

#[test]
fn signing_refuses_fields_with_newlines() {
    let signer = Signer::generate("example.com/log").expect("key");
    let mut bad = checkpoint(1);
    bad.origin = "two\nlines".into();
    assert!(SignedCheckpoint::sign(bad, &signer).is_err());
    let mut bad = checkpoint(1);
    bad.extensions = vec![String::new()];
    assert!(SignedCheckpoint::sign(bad, &signer).is_err());
}

#[test]
fn signed_checkpoint_round_trips_and_rejects_other_keys() {
    let log = Signer::generate("example.com/log").expect("key");
    let signed = SignedCheckpoint::sign(checkpoint(7), &log).expect("signs");
    let parsed = SignedCheckpoint::parse_and_verify(&signed.to_text(), &log.verifier()).expect("verifies");
    assert_eq!(parsed, signed);
    let other = Signer::generate("example.com/log").expect("key");
    assert!(SignedCheckpoint::parse_and_verify(&signed.to_text(), &other.verifier()).is_err());
}

#[test]
fn cosignatures_are_found_and_checked() {
    let log = Signer::generate("example.com/log").expect("key");
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    let stranger = CosignatureSigner::generate("witness.example/w2").expect("key");
    let mut signed = SignedCheckpoint::sign(checkpoint(7), &log).expect("signs");
    let cosignature = witness.cosign(&signed.checkpoint, 1_700_000_000).expect("cosigns");
    let strange = stranger.cosign(&signed.checkpoint, 1_700_000_001).expect("cosigns");
    signed.add_signatures([cosignature.clone(), cosignature, strange]);
    assert_eq!(signed.note.signatures.len(), 3, "the repeat is dropped");
    let text = signed.to_text();
    let parsed = SignedCheckpoint::parse_and_verify(&text, &log.verifier()).expect("log signature still verifies");
    let found = parsed.cosignatures(&[witness.verifier()]).expect("verifies");
    assert_eq!(
        found,
        [VerifiedCosignature {
            name: "witness.example/w1".into(),
            key_hash: witness.key_hash(),
            timestamp_s: 1_700_000_000
        }]
    );
    assert!(parsed.cosignatures(&[]).expect("none known").is_empty());
    // The witness's key also opens the note as a whole, as tlog-witness suggests.
    assert_eq!(parsed.note.open(&[witness.verifier()]).expect("opens").len(), 1);
}

#[test]
fn a_forged_cosignature_by_a_known_witness_is_an_error() {
    let log = Signer::generate("example.com/log").expect("key");
    let witness = CosignatureSigner::generate("witness.example/w1").expect("key");
    let mut signed = SignedCheckpoint::sign(checkpoint(7), &log).expect("signs");
    // A genuine cosignature, but over another checkpoint.
    let forged = witness.cosign(&checkpoint(8), 1_700_000_000).expect("cosigns another");
    signed.add_signatures([forged]);
    assert!(signed.cosignatures(&[witness.verifier()]).is_err());
    assert!(signed.note.open(&[witness.verifier()]).is_err());
}
