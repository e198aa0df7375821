//! anttd library.
