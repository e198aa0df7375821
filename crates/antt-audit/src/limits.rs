//! Every bound this crate puts on its input, in one place.

/// The largest signed note parsed. The signed-note spec requires accepting 16
/// signatures and allows post-quantum ones of nearly 5 kB (about 6.7 kB in base64), so
/// 16 of them fit with room to spare; a checkpoint body is a few hundred bytes.
pub const NOTE_BYTES_MAX: usize = 256 * 1024;

/// The most signature lines parsed in one note: the spec requires at least 16; Go's
/// `sumdb/note` stops at 100, and so do we, to refuse what it refuses.
pub const NOTE_SIGNATURES_MAX: usize = 100;

/// The longest key name. The ML-DSA cosignature message encodes names as `<1..2^8-1>`
/// bytes, so no interoperable name is longer.
pub const KEY_NAME_BYTES_MAX: usize = 255;

/// The longest verifier or private key text: a name, a hash and one base64 key.
pub const KEY_TEXT_BYTES_MAX: usize = KEY_NAME_BYTES_MAX + 256;

/// The most extension lines read after a checkpoint's root hash; the spec discourages
/// them, so a handful is generous.
pub const CHECKPOINT_EXTENSIONS_MAX: usize = 16;

/// The most consistency proof lines in an add-checkpoint request (tlog-witness: a
/// client MUST NOT send more than 63, one per level of a 2^63-leaf tree).
pub const CONSISTENCY_PROOF_HASHES_MAX: usize = 63;

/// The largest add-checkpoint request body: the old size line, the longest proof (63
/// lines of 44 base64 characters and a newline), the blank line and the largest note.
pub const ADD_CHECKPOINT_BODY_BYTES_MAX: usize = 32 + CONSISTENCY_PROOF_HASHES_MAX * 45 + 1 + NOTE_BYTES_MAX;
