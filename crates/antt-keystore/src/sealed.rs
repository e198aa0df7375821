//! [`KeyId`] and [`SealedData`], and the byte layout stored in events.
//!
//! # Byte layout, version 1
//! ```text
//! offset  size  field
//!      0     1  version, always 1
//!      1    16  key id (the UUID's 16 bytes, big-endian as in its text form)
//!     17    24  XChaCha20 nonce
//!     41   16+  ciphertext: the encrypted plaintext followed by the 16-byte Poly1305 tag
//! ```
//! The ciphertext runs to the end, so the layout needs no length field; an empty plaintext still
//! has its 16-byte tag, so anything shorter than 57 bytes is malformed. The version byte is also
//! bound into the associated data, so a future layout cannot be confused with this one.

use std::fmt;

use uuid::Uuid;

use crate::error::KeyStoreError;

/// Identifies one subject key. Random (a UUID v4), so it says nothing about the subject.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct KeyId(Uuid);

impl KeyId {
    /// Builds a key id from its 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> KeyId {
        KeyId(Uuid::from_bytes(bytes))
    }

    /// The key id's 16 bytes, as stored in key files and sealed data.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The key id as a UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// A fresh random (v4) key id from 16 random bytes.
    pub(crate) fn from_random_bytes(bytes: [u8; 16]) -> KeyId {
        KeyId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Personal data encrypted under a subject's key: what goes into an event, as
/// [`SealedData::to_bytes`] in an opaque `bytes` field.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SealedData {
    /// The key the data was sealed with.
    pub key_id: KeyId,
    /// The random XChaCha20 nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The encrypted plaintext followed by the 16-byte authentication tag.
    pub ciphertext: Vec<u8>,
}

/// The layout version written by [`SealedData::to_bytes`].
pub const SEALED_VERSION: u8 = 1;
/// Bytes in a nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes in the authentication tag at the end of the ciphertext.
pub const TAG_LEN: usize = 16;
const KEY_ID_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
/// The shortest valid sealed bytes: the header and the tag of an empty plaintext.
pub const MIN_SEALED_LEN: usize = HEADER_LEN + TAG_LEN;

impl SealedData {
    /// The version-1 byte layout described in the [module docs](self).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.ciphertext.len());
        out.push(SEALED_VERSION);
        out.extend_from_slice(self.key_id.as_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses the byte layout described in the [module docs](self).
    ///
    /// # Errors
    /// [`KeyStoreError::MalformedSealed`] for an unknown version or input too short to hold the
    /// header and tag. Authenticity is checked only when opening.
    pub fn from_bytes(bytes: &[u8]) -> Result<SealedData, KeyStoreError> {
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(KeyStoreError::MalformedSealed("empty"));
        };
        if version != SEALED_VERSION {
            return Err(KeyStoreError::MalformedSealed("unknown layout version"));
        }
        if bytes.len() < MIN_SEALED_LEN {
            return Err(KeyStoreError::MalformedSealed("shorter than header and tag"));
        }
        let (key_id, rest) = rest.split_at(KEY_ID_LEN);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let key_id: [u8; KEY_ID_LEN] = key_id
            .try_into()
            .map_err(|_| KeyStoreError::MalformedSealed("key id length"))?;
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| KeyStoreError::MalformedSealed("nonce length"))?;
        Ok(SealedData {
            key_id: KeyId::from_bytes(key_id),
            nonce,
            ciphertext: ciphertext.to_vec(),
        })
    }
}

/// The associated data for sealing: a domain label with the layout version, the key id, then the
/// subject id. The subject id comes last and everything before it has a fixed length, so no two
/// (key id, subject id) pairs give the same bytes.
pub(crate) fn associated_data(key_id: &KeyId, subject_id: &str) -> Vec<u8> {
    const LABEL: &[u8] = b"antt-keystore/sealed\0";
    let mut aad = Vec::with_capacity(LABEL.len() + 1 + KEY_ID_LEN + subject_id.len());
    aad.extend_from_slice(LABEL);
    aad.push(SEALED_VERSION);
    aad.extend_from_slice(key_id.as_bytes());
    aad.extend_from_slice(subject_id.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    // A failing unwrap is a failing test, which is what we want here.
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn sample() -> SealedData {
        SealedData {
            key_id: KeyId::from_random_bytes([7; 16]),
            nonce: [9; NONCE_LEN],
            ciphertext: vec![1; 20],
        }
    }

    #[test]
    fn bytes_round_trip_and_layout() {
        let s = sample();
        let bytes = s.to_bytes();
        assert_eq!(bytes.len(), 1 + 16 + 24 + 20);
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..17], s.key_id.as_bytes());
        assert_eq!(&bytes[17..41], &s.nonce);
        assert_eq!(SealedData::from_bytes(&bytes).unwrap(), s);
    }

    #[test]
    fn rejects_malformed() {
        let bytes = sample().to_bytes();
        assert!(matches!(
            SealedData::from_bytes(&[]),
            Err(KeyStoreError::MalformedSealed(_))
        ));
        let mut wrong_version = bytes.clone();
        wrong_version[0] = 2;
        assert!(matches!(
            SealedData::from_bytes(&wrong_version),
            Err(KeyStoreError::MalformedSealed(_))
        ));
        wrong_version[0] = 0;
        assert!(matches!(
            SealedData::from_bytes(&wrong_version),
            Err(KeyStoreError::MalformedSealed(_))
        ));
        for len in 1..MIN_SEALED_LEN {
            assert!(
                matches!(
                    SealedData::from_bytes(&bytes[..len]),
                    Err(KeyStoreError::MalformedSealed(_))
                ),
                "length {len} accepted"
            );
        }
        assert!(SealedData::from_bytes(&bytes[..MIN_SEALED_LEN]).is_ok());
    }

    #[test]
    fn random_key_ids_are_v4() {
        let id = KeyId::from_random_bytes([0xff; 16]);
        assert_eq!(id.as_uuid().get_version_num(), 4);
        assert_eq!(KeyId::from_bytes(*id.as_bytes()), id);
    }

    #[test]
    fn associated_data_separates_subjects_and_keys() {
        let a = KeyId::from_random_bytes([1; 16]);
        let b = KeyId::from_random_bytes([2; 16]);
        assert_ne!(associated_data(&a, "s1"), associated_data(&a, "s2"));
        assert_ne!(associated_data(&a, "s1"), associated_data(&b, "s1"));
    }
}
