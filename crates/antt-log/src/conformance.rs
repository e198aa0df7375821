//! Conformance suite for any EventLog backend (being written).
