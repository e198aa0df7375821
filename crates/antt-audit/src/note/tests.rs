use super::*;

// Test vectors published with Go's golang.org/x/mod/sumdb/note (note.go, note_test.go).
const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str =
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str =
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> Verifier {
    PETER_VKEY.parse().expect("Go's vkey parses")
}

fn enoch() -> Verifier {
    ENOCH_VKEY.parse().expect("Go's vkey parses")
}

fn note_of(signatures: &[&str]) -> String {
    format!("{TEXT}\n{}", signatures.concat())
}

#[test]
fn go_verifier_key_round_trips() {
    let verifier = peter();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_hash(), 0xc74f20a3);
    assert_eq!(verifier.kind(), KeyKind::Ed25519);
    assert_eq!(verifier.to_string(), PETER_VKEY);
}

#[test]
fn go_private_key_round_trips_and_matches_its_verifier() {
    let signer = Signer::from_private_key(PETER_SKEY).expect("Go's key parses");
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_hash(), 0xc74f20a3);
    assert_eq!(signer.private_key_text(), PETER_SKEY);
    assert_eq!(signer.verifier(), peter());
    assert!(
        !format!("{signer:?}").contains("AYEKFALV"),
        "Debug must not show the seed"
    );
}

#[test]
fn signing_go_text_gives_go_signature_line() {
    let signer = Signer::from_private_key(PETER_SKEY).expect("Go's key parses");
    let signature = signer.sign(TEXT).expect("text is a note text");
    assert_eq!(signature.to_line(), PETER_SIG);
    let note = Note::sign(TEXT, &[&signer]).expect("signs");
    assert_eq!(note.to_text(), note_of(&[PETER_SIG]));
}

#[test]
fn go_signed_note_opens_with_known_keys_only() {
    let note = Note::parse(&note_of(&[PETER_SIG, ENOCH_SIG])).expect("parses");
    assert_eq!(note.text, TEXT);
    assert_eq!(note.signatures.len(), 2);
    let only_peter = [peter()];
    let verified = note.open(&only_peter).expect("peter verifies");
    assert_eq!(verified.iter().map(|v| v.name()).collect::<Vec<_>>(), ["PeterNeumann"]);
    let both = [enoch(), peter()];
    let verified = note.open(&both).expect("both verify");
    assert_eq!(
        verified.iter().map(|v| v.name()).collect::<Vec<_>>(),
        ["PeterNeumann", "EnochRoot"]
    );
    assert!(matches!(note.open(&[]), Err(NoteError::NoKnownSignature)));
    assert_eq!(note.to_text(), note_of(&[PETER_SIG, ENOCH_SIG]));
}

#[test]
fn spec_example_note_verifies() {
    let verifier: Verifier = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
        .parse()
        .expect("vkey");
    let message = "This is an example message.\n\n\
                   — example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    let note = Note::parse(message).expect("parses");
    assert_eq!(note.open(std::slice::from_ref(&verifier)).expect("verifies").len(), 1);
}

#[test]
fn known_key_with_bad_signature_rejects_the_note() {
    // Go's vector: four base64 characters spliced into Peter's signature.
    let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let note = Note::parse(&note_of(&[&bad])).expect("still well-formed");
    let verifiers = [peter()];
    assert!(matches!(
        note.open(&verifiers),
        Err(NoteError::InvalidSignature {
            key_hash: 0xc74f20a3,
            ..
        })
    ));
    // The same bad line from a key we do not know is ignored, not an error.
    let note = Note::parse(&note_of(&[PETER_SIG, &bad.replace("PeterNeumann", "Other")])).expect("parses");
    assert_eq!(note.open(&verifiers).expect("peter verifies").len(), 1);
}

#[test]
fn same_name_other_key_id_is_ignored() {
    let wrong_id = PETER_SIG.replace("x08g", "xxxx");
    let note = Note::parse(&note_of(&[&wrong_id])).expect("parses");
    assert!(matches!(note.open(&[peter()]), Err(NoteError::NoKnownSignature)));
}

#[test]
fn malformed_notes_are_refused() {
    let bad_messages = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", PETER_SIG.trim_end()),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n{PETER_SIG}\n"),
        format!("{TEXT}\n— PeterNeumann\n"),
        format!("{TEXT}\n— PeterNeumann AAAA\n"),
        format!("{TEXT}\n— PeterNeumann not base64!\n"),
        format!("{TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        format!("{TEXT}\n{}", PETER_SIG.repeat(NOTE_SIGNATURES_MAX + 1)),
        format!("{}\n{PETER_SIG}", "a\n".repeat(NOTE_BYTES_MAX / 2)),
    ];
    for message in &bad_messages {
        let parsed = Note::parse(message);
        assert!(
            matches!(parsed, Err(NoteError::Malformed(_))),
            "accepted {:?}",
            &message[..message.len().min(80)]
        );
    }
    let at_limit = format!("{TEXT}\n{}", PETER_SIG.repeat(NOTE_SIGNATURES_MAX));
    assert_eq!(
        Note::parse(&at_limit)
            .expect("100 signatures")
            .open(&[peter()])
            .expect("verifies")
            .len(),
        1
    );
}

#[test]
fn text_may_hold_blank_lines() {
    let signer = Signer::generate("example.com/log").expect("key");
    let text = "first\n\nthird\n";
    let message = Note::sign(text, &[&signer]).expect("signs").to_text();
    let note = Note::parse(&message).expect("parses");
    assert_eq!(note.text, text);
    assert_eq!(note.open(&[signer.verifier()]).expect("verifies").len(), 1);
}

#[test]
fn signing_refuses_texts_a_note_cannot_carry() {
    let signer = Signer::generate("example.com/log").expect("key");
    for text in ["", "no newline", "tab\there\n"] {
        assert!(matches!(signer.sign(text), Err(NoteError::Malformed(_))), "{text:?}");
    }
}

#[test]
fn mangled_keys_are_refused() {
    // Every proper substring and every single-byte change of a good key must fail, as
    // Go's tests require of its parser.
    for key in [PETER_VKEY, PETER_SKEY] {
        let parse = |text: &str| {
            if key == PETER_VKEY {
                text.parse::<Verifier>().is_ok()
            } else {
                Signer::from_private_key(text).is_ok()
            }
        };
        let bytes = key.as_bytes();
        for start in 0..bytes.len() {
            for end in start + 1..=bytes.len() {
                if (start, end) != (0, bytes.len()) {
                    assert!(!parse(&key[start..end]), "accepted {:?}", &key[start..end]);
                }
            }
        }
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] = changed[i].wrapping_add(1);
            if let Ok(text) = std::str::from_utf8(&changed) {
                assert!(!parse(text), "accepted {text:?}");
            }
        }
    }
    // Go's vectors: a key of the wrong length and an unknown type, each with its hash
    // adjusted so that only the key itself is wrong.
    assert!(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            .parse::<Verifier>()
            .is_err()
    );
    assert!("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        .parse::<Verifier>()
        .is_err());
}

#[test]
fn generated_keys_round_trip() {
    let signer = Signer::generate("antt.example/log").expect("key");
    let again = Signer::from_private_key(&signer.private_key_text()).expect("reads back");
    assert_eq!(again.verifier(), signer.verifier());
    let vkey = signer.verifier().to_string();
    assert_eq!(vkey.parse::<Verifier>().expect("vkey parses"), signer.verifier());
    let signature = signer.sign("hi\n").expect("signs");
    assert!(signer.verifier().verify("hi\n", &signature.signature));
    assert!(!signer.verifier().verify("ho\n", &signature.signature));
}

#[test]
fn key_names_follow_the_spec() {
    for good in ["a", "example.com/log42", "PeterNeumann", "ünïcode"] {
        assert!(is_valid_key_name(good), "{good:?}");
    }
    let long = "n".repeat(KEY_NAME_BYTES_MAX + 1);
    for bad in [
        "",
        "a b",
        "a+b",
        "a\u{a0}b",
        "a\u{2003}b",
        "a\tb",
        "a\u{1}b",
        long.as_str(),
    ] {
        assert!(!is_valid_key_name(bad), "{bad:?}");
        assert!(matches!(Signer::generate(bad), Err(NoteError::KeyName)), "{bad:?}");
    }
}

#[test]
fn cosignature_keys_are_not_note_signing_keys() {
    let cosigner_key = PrivateKey::generate("witness.example/w1", KeyKind::CosignatureV1).expect("key");
    assert!(matches!(
        Signer::from_private_key(&cosigner_key.text()),
        Err(NoteError::UnsupportedAlgorithm(ALG_COSIGNATURE_V1))
    ));
    let vkey = cosigner_key.verifier().to_string();
    assert_eq!(
        vkey.parse::<Verifier>().expect("0x04 vkey parses").kind(),
        KeyKind::CosignatureV1
    );
}
