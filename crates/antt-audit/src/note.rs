//! C2SP signed notes (c2sp.org/signed-note): text signed by one or more keys, in the
//! format Go's `golang.org/x/mod/sumdb/note` reads and writes, so keys and notes made
//! here work with the Go tools and the reverse.
//!
//! Two signature types are known: Ed25519 note signatures (0x01) and Ed25519 checkpoint
//! cosignatures (0x04, c2sp.org/tlog-cosignature). A [`Verifier`] knows its type, so one
//! [`Note::open`] checks a log's signature and its witnesses' cosignatures alike.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::limits::{KEY_NAME_BYTES_MAX, KEY_TEXT_BYTES_MAX, NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX};

/// The signature type byte of an Ed25519 note signature.
pub const ALG_ED25519: u8 = 0x01;
/// The signature type byte of an Ed25519 timestamped checkpoint cosignature.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Go's prefix for private keys, so a key file is never mistaken for a verifier key.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// Every signature line starts with an em dash (U+2014) and a space.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";
/// An Ed25519 public key or seed.
const ED25519_KEY_BYTES: usize = 32;
/// An Ed25519 signature.
pub(crate) const ED25519_SIGNATURE_BYTES: usize = 64;

/// What a key signs, and so how its signatures are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Ed25519 over the note text (signature type 0x01).
    Ed25519,
    /// Ed25519 over `cosignature/v1`, a timestamp and the checkpoint (type 0x04).
    CosignatureV1,
}

impl KeyKind {
    /// The signature type byte, which also enters the key hash.
    pub fn alg_byte(self) -> u8 {
        match self {
            KeyKind::Ed25519 => ALG_ED25519,
            KeyKind::CosignatureV1 => ALG_COSIGNATURE_V1,
        }
    }

    fn from_alg_byte(byte: u8) -> Result<Self, NoteError> {
        match byte {
            ALG_ED25519 => Ok(KeyKind::Ed25519),
            ALG_COSIGNATURE_V1 => Ok(KeyKind::CosignatureV1),
            other => Err(NoteError::UnsupportedAlgorithm(other)),
        }
    }
}

/// Why a key, signature or note was refused.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("invalid key name: empty, too long, or with a space, '+' or control character")]
    KeyName,
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    #[error("unsupported signature type {0:#04x}")]
    UnsupportedAlgorithm(u8),
    #[error("invalid signature by known key {name}+{key_hash:08x}")]
    InvalidSignature { name: String, key_hash: u32 },
    #[error("no signature by a known key")]
    NoKnownSignature,
    #[error("no randomness for a new key: {0}")]
    Random(#[source] getrandom::Error),
}

/// Key names are non-empty and have no Unicode space and no '+' (signed-note), which
/// keeps them unambiguous in signature lines and vkeys. Control characters are refused
/// too: a note may not contain them, so such a name could never sign one.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= KEY_NAME_BYTES_MAX
        && !name.chars().any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// The recommended key ID: the first four bytes, big-endian, of
/// SHA-256(name ‖ 0x0A ‖ type ‖ public key).
pub fn key_hash(name: &str, kind: KeyKind, public_key: &[u8; ED25519_KEY_BYTES]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', kind.alg_byte()]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Splits `<name>+<hex8>+<base64(type ‖ key)>` and checks every part but the hash.
fn parse_key_parts(text: &str) -> Result<(&str, u32, KeyKind, [u8; 32]), NoteError> {
    if text.len() > KEY_TEXT_BYTES_MAX {
        return Err(NoteError::MalformedKey("too long"));
    }
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey("not name+hash+key"));
    };
    if !is_valid_key_name(name) {
        return Err(NoteError::KeyName);
    }
    let hash = parse_key_hash_hex(hash_hex)?;
    let bytes = BASE64
        .decode(key_b64)
        .map_err(|_| NoteError::MalformedKey("bad base64"))?;
    let (&alg, key) = bytes.split_first().ok_or(NoteError::MalformedKey("empty key"))?;
    let kind = KeyKind::from_alg_byte(alg)?;
    let key: [u8; ED25519_KEY_BYTES] = key
        .try_into()
        .map_err(|_| NoteError::MalformedKey("key is not 32 bytes"))?;
    Ok((name, hash, kind, key))
}

/// Exactly eight hex digits, as Go writes and requires them.
fn parse_key_hash_hex(text: &str) -> Result<u32, NoteError> {
    let bytes = match crate::encoding::parse_hex(text) {
        Some(bytes) if text.len() == 8 => bytes,
        _ => return Err(NoteError::MalformedKey("key hash is not 8 hex digits")),
    };
    let array: [u8; 4] = bytes
        .try_into()
        .map_err(|_| NoteError::MalformedKey("key hash is not 4 bytes"))?;
    Ok(u32::from_be_bytes(array))
}

fn key_text(name: &str, hash: u32, kind: KeyKind, key: &[u8; 32]) -> String {
    let mut material = Vec::with_capacity(1 + key.len());
    material.push(kind.alg_byte());
    material.extend_from_slice(key);
    let hash_hex = crate::encoding::hex(&hash.to_be_bytes());
    format!("{name}+{hash_hex}+{}", BASE64.encode(material))
}

/// A private key: a name, a kind and the Ed25519 seed. Shared by [`Signer`] and the
/// cosignature signer, which differ only in what they sign.
pub(crate) struct PrivateKey {
    pub(crate) name: String,
    pub(crate) kind: KeyKind,
    pub(crate) key: SigningKey,
}

impl PrivateKey {
    pub(crate) fn generate(name: &str, kind: KeyKind) -> Result<Self, NoteError> {
        let mut seed = [0u8; ED25519_KEY_BYTES];
        getrandom::fill(&mut seed).map_err(NoteError::Random)?;
        Self::from_seed(name, kind, &seed)
    }

    pub(crate) fn from_seed(name: &str, kind: KeyKind, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::KeyName);
        }
        Ok(PrivateKey {
            name: name.to_owned(),
            kind,
            key: SigningKey::from_bytes(seed),
        })
    }

    /// Go's `PRIVATE+KEY+<name>+<hex8>+<base64(type ‖ seed)>`, where the hash is that of
    /// the public key, so it must match the key the seed gives; a key of another kind
    /// than `expected` is refused, so one key never serves both kinds of signature.
    pub(crate) fn parse(text: &str, expected: KeyKind) -> Result<Self, NoteError> {
        let rest = text
            .trim_end_matches('\n')
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(NoteError::MalformedKey("no PRIVATE+KEY+ prefix"))?;
        let (name, hash, kind, seed) = parse_key_parts(rest)?;
        if kind != expected {
            return Err(NoteError::UnsupportedAlgorithm(kind.alg_byte()));
        }
        let key = PrivateKey::from_seed(name, kind, &seed)?;
        if key.key_hash() != hash {
            return Err(NoteError::MalformedKey("key hash does not match the key"));
        }
        Ok(key)
    }

    pub(crate) fn text(&self) -> String {
        let seed = self.key.to_bytes();
        format!(
            "{PRIVATE_KEY_PREFIX}{}",
            key_text(&self.name, self.key_hash(), self.kind, &seed)
        )
    }

    pub(crate) fn key_hash(&self) -> u32 {
        key_hash(&self.name, self.kind, self.key.verifying_key().as_bytes())
    }

    pub(crate) fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_hash: self.key_hash(),
            kind: self.kind,
            key: self.key.verifying_key(),
        }
    }
}

/// An Ed25519 note signer (type 0x01), such as a log's checkpoint key.
pub struct Signer {
    key: PrivateKey,
}

impl fmt::Debug for Signer {
    // The seed stays out of logs: only the public half is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("verifier", &self.verifier().to_string())
            .finish()
    }
}

impl Signer {
    /// A new key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        Ok(Signer {
            key: PrivateKey::generate(name, KeyKind::Ed25519)?,
        })
    }

    /// The key of a known Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        Ok(Signer {
            key: PrivateKey::from_seed(name, KeyKind::Ed25519, seed)?,
        })
    }

    /// Reads Go's private key text; refuses any type but Ed25519 note signatures.
    pub fn from_private_key(text: &str) -> Result<Self, NoteError> {
        Ok(Signer {
            key: PrivateKey::parse(text, KeyKind::Ed25519)?,
        })
    }

    /// The private key in Go's format; keep it secret.
    pub fn private_key_text(&self) -> String {
        self.key.text()
    }

    pub fn name(&self) -> &str {
        &self.key.name
    }

    pub fn key_hash(&self) -> u32 {
        self.key.key_hash()
    }

    pub fn verifier(&self) -> Verifier {
        self.key.verifier()
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key.key
    }

    /// Signs a note text, which must be one a note can carry (see [`check_text`]).
    pub fn sign(&self, text: &str) -> Result<NoteSignature, NoteError> {
        check_text(text)?;
        Ok(NoteSignature {
            name: self.key.name.clone(),
            key_hash: self.key_hash(),
            signature: self.key.key.sign(text.as_bytes()).to_bytes().to_vec(),
        })
    }
}

/// A public key and what it verifies; written as a vkey
/// `<name>+<hex8 key ID>+<base64(type ‖ public key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_hash: u32,
    kind: KeyKind,
    key: VerifyingKey,
}

impl Verifier {
    /// The verifier of a public key, with the recommended key ID.
    pub fn new(name: &str, kind: KeyKind, public_key: &[u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::KeyName);
        }
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| NoteError::MalformedKey("not an Ed25519 point"))?;
        // A small-order key would accept signatures anyone can forge.
        if key.is_weak() {
            return Err(NoteError::MalformedKey("weak Ed25519 key"));
        }
        let key_hash = key_hash(name, kind, public_key);
        Ok(Verifier {
            name: name.to_owned(),
            key_hash,
            kind,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether a signature line names this key: the name and the key ID both match.
    pub fn matches(&self, signature: &NoteSignature) -> bool {
        signature.name == self.name && signature.key_hash == self.key_hash
    }

    /// Checks a signature's bytes (after the key ID) over a note text, as this key's type
    /// defines them.
    pub fn verify(&self, text: &str, signature: &[u8]) -> bool {
        match self.kind {
            KeyKind::Ed25519 => self.verify_bytes(text.as_bytes(), signature),
            KeyKind::CosignatureV1 => crate::cosignature::verify_signature_bytes(self, text, signature).is_ok(),
        }
    }

    /// Strict Ed25519 verification of `signature` over `message`.
    pub(crate) fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; ED25519_SIGNATURE_BYTES]>::try_from(signature) else {
            return false;
        };
        self.key.verify_strict(message, &Signature::from_bytes(&bytes)).is_ok()
    }
}

impl FromStr for Verifier {
    type Err = NoteError;

    /// Parses a vkey; its key ID must be the one the key gives.
    fn from_str(text: &str) -> Result<Self, NoteError> {
        let (name, hash, kind, key) = parse_key_parts(text)?;
        let verifier = Verifier::new(name, kind, &key)?;
        if verifier.key_hash != hash {
            return Err(NoteError::MalformedKey("key hash does not match the key"));
        }
        Ok(verifier)
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&key_text(&self.name, self.key_hash, self.kind, self.key.as_bytes()))
    }
}

/// One signature line: `— <name> <base64(key ID ‖ signature)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: u32,
    /// The bytes after the key ID, as the key's type defines them.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// Parses one signature line, without its newline.
    pub fn parse_line(line: &str) -> Result<Self, NoteError> {
        let rest = line
            .strip_prefix(SIGNATURE_LINE_PREFIX)
            .ok_or(NoteError::Malformed("signature line without em dash"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(NoteError::Malformed("signature line without a space"))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::Malformed("invalid key name in a signature line"));
        }
        let bytes = BASE64
            .decode(b64)
            .map_err(|_| NoteError::Malformed("signature is not base64"))?;
        // Four bytes of key ID and at least one of signature, as Go requires.
        let (Some(hash), Some(signature)) = (bytes.get(..4), bytes.get(4..).filter(|s| !s.is_empty())) else {
            return Err(NoteError::Malformed("signature too short"));
        };
        let key_hash = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]);
        Ok(NoteSignature {
            name: name.to_owned(),
            key_hash,
            signature: signature.to_vec(),
        })
    }

    /// The signature line with its final newline.
    pub fn to_line(&self) -> String {
        format!("{self}\n")
    }
}

impl fmt::Display for NoteSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_hash.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        write!(f, "{SIGNATURE_LINE_PREFIX}{} {}", self.name, BASE64.encode(bytes))
    }
}

/// Checks that a text can be a note's text: within the size bound, ending in a newline,
/// and with no control character but newline (signed-note).
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if text.len() > NOTE_BYTES_MAX {
        return Err(NoteError::Malformed("note too large"));
    }
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text does not end in a newline"));
    }
    check_no_control(text)
}

fn check_no_control(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

/// A signed note: its text (ending in a newline) and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note without verifying it; its text must not be trusted before
    /// [`Note::open`] succeeds.
    pub fn parse(message: &str) -> Result<Self, NoteError> {
        if message.len() > NOTE_BYTES_MAX {
            return Err(NoteError::Malformed("note too large"));
        }
        check_no_control(message)?;
        // The text ends at the last blank line: signature lines are never empty.
        let split = message
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before signatures"))?;
        let (text, lines) = (&message[..=split], &message[split + 2..]);
        if lines.is_empty() || !lines.ends_with('\n') {
            return Err(NoteError::Malformed("signatures missing or not ending in a newline"));
        }
        let mut signatures = Vec::new();
        for line in lines.split_terminator('\n') {
            if signatures.len() == NOTE_SIGNATURES_MAX {
                return Err(NoteError::Malformed("too many signatures"));
            }
            signatures.push(NoteSignature::parse_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Signs a text with each signer.
    pub fn sign(text: &str, signers: &[&Signer]) -> Result<Self, NoteError> {
        let signatures = signers
            .iter()
            .map(|signer| signer.sign(text))
            .collect::<Result<_, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as text: the text, a blank line, the signature lines.
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// Verifies the note against the known keys and returns those whose signature
    /// verified, each once. Signatures by unknown keys (name or ID differ) are ignored;
    /// a known key's signature that fails makes the whole note invalid, as the spec
    /// recommends; no verified signature at all is an error.
    pub fn open<'v>(&self, verifiers: &'v [Verifier]) -> Result<Vec<&'v Verifier>, NoteError> {
        check_text(&self.text)?;
        let mut verified: Vec<&'v Verifier> = Vec::new();
        for signature in &self.signatures {
            // Two configured keys sharing name and ID are not told apart: the first wins.
            let Some(verifier) = verifiers.iter().find(|v| v.matches(signature)) else {
                continue;
            };
            if !verifier.verify(&self.text, &signature.signature) {
                return Err(NoteError::InvalidSignature {
                    name: signature.name.clone(),
                    key_hash: signature.key_hash,
                });
            }
            if !verified.iter().any(|v| std::ptr::eq(*v, verifier)) {
                verified.push(verifier);
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        self.signatures
            .iter()
            .try_for_each(|signature| writeln!(f, "{signature}"))
    }
}

#[cfg(test)]
mod tests;
