//! Every bound the witness server and client put on their peers, in one place.

/// The largest add-checkpoint body read: the protocol's own maximum request.
pub const REQUEST_BODY_BYTES_MAX: usize = antt_audit::limits::ADD_CHECKPOINT_BODY_BYTES_MAX;

/// Connections served at once; one more waits in the listen backlog. Logs call rarely
/// and keep a connection alive, so a few dozen serve many logs.
pub const CONNECTIONS_MAX: usize = 64;

/// Time to receive a request's headers, and separately its body: enough for a slow
/// link, too short for a client that trickles bytes to hold a connection.
pub const REQUEST_SECONDS_MAX: u64 = 10;

/// Lifetime of one kept-alive connection, after which it is closed gracefully, so that
/// idle clients cannot hold every connection slot.
pub const CONNECTION_SECONDS_MAX: u64 = 120;

/// Time in-flight requests get to finish once shutdown begins.
pub const SHUTDOWN_GRACE_SECONDS_MAX: u64 = 5;

/// Pause after a failed accept (say, out of file descriptors) before trying again.
pub const ACCEPT_RETRY_MILLIS: u64 = 100;

/// The largest key file read: one private key line.
pub const KEY_FILE_BYTES_MAX: u64 = 4096;

/// The largest state file read: one signed checkpoint note.
pub const STATE_FILE_BYTES_MAX: u64 = antt_audit::limits::NOTE_BYTES_MAX as u64;

/// The largest response body the client reads: the 200 body is a few signature lines,
/// the refusals a line of text.
pub const RESPONSE_BODY_BYTES_MAX: usize = 64 * 1024;

/// The client's time for one add-checkpoint call, connection to last byte.
pub const SUBMIT_SECONDS_MAX: u64 = 15;
