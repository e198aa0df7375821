//! Bounds of access control, with the unit last.

/// Largest bearer token accepted, in bytes: far above any real JWT, far below a message.
pub const TOKEN_BYTES_MAX: usize = 8 * 1024;
/// Largest JWKS document read from the configuration, in bytes.
pub const JWKS_BYTES_MAX: usize = 1024 * 1024;
/// Most keys in a JWKS document.
pub const JWKS_KEYS_MAX: usize = 64;
/// Clock difference tolerated on `exp` and `nbf`, in seconds.
pub const CLOCK_LEEWAY_SECS: u64 = 60;
/// Most system principals in a grants file, and most calls one grant names.
pub const SYSTEM_GRANTS_MAX: usize = 256;
pub const GRANT_CALLS_MAX: usize = 256;
/// Largest grants file, in bytes.
pub const GRANTS_BYTES_MAX: usize = 1024 * 1024;
