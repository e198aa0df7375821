//! Vietnamese text as stored: trimmed and NFC-normalised.
//!
//! The same Vietnamese word can arrive composed ("ế" as one code point) or decomposed
//! ("e" + two combining marks), depending on the keyboard and the system that sent it.
//! Stored in NFC, equal names compare equal byte for byte, so projections can group and
//! search by name.

use unicode_normalization::UnicodeNormalization;

use crate::error::DomainError;
use crate::limits;

/// `text` in Unicode Normalization Form C.
pub fn normalize_nfc(text: &str) -> String {
    text.nfc().collect()
}

/// A required name: trimmed, NFC, non-empty, at most [`limits::NAME_CHARS_MAX`] chars.
pub(crate) fn required_name(field: &'static str, text: &str) -> Result<String, DomainError> {
    bounded(field, text, limits::NAME_CHARS_MAX, true)
}

/// An optional name: like [`required_name`] but may be empty.
pub(crate) fn optional_name(field: &'static str, text: &str) -> Result<String, DomainError> {
    bounded(field, text, limits::NAME_CHARS_MAX, false)
}

/// Required free text, at most [`limits::TEXT_CHARS_MAX`] chars.
pub(crate) fn required_text(field: &'static str, text: &str) -> Result<String, DomainError> {
    bounded(field, text, limits::TEXT_CHARS_MAX, true)
}

/// Optional free text.
pub(crate) fn optional_text(field: &'static str, text: &str) -> Result<String, DomainError> {
    bounded(field, text, limits::TEXT_CHARS_MAX, false)
}

/// An official code: NFC, non-empty, no whitespace, at most [`limits::CODE_CHARS_MAX`].
pub(crate) fn code(field: &'static str, text: &str) -> Result<String, DomainError> {
    let code = bounded(field, text, limits::CODE_CHARS_MAX, true)?;
    if code.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid(field, "a code has no spaces"));
    }
    Ok(code)
}

fn bounded(field: &'static str, text: &str, chars_max: usize, required: bool) -> Result<String, DomainError> {
    bounded_text(text, chars_max, required).map_err(|reason| DomainError::invalid(field, reason))
}

/// Text as stored: trimmed, NFC, at most `chars_max` characters, no control characters
/// but line breaks, and not empty if `required`; else why not, worded for the field it
/// is in. The API reads request text with it, so that it words a problem as the domain
/// does, under the field's path in the request.
pub fn bounded_text(text: &str, chars_max: usize, required: bool) -> Result<String, String> {
    let normalized = normalize_nfc(text.trim());
    if required && normalized.is_empty() {
        return Err("must not be empty".to_string());
    }
    if normalized.chars().count() > chars_max {
        return Err(format!("at most {chars_max} characters"));
    }
    if normalized.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must not contain control characters".to_string());
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_decomposed_vietnamese() {
        let decomposed = "Nga Thie\u{0302}\u{0323}n";
        assert_eq!(normalize_nfc(decomposed), "Nga Thiện");
        assert_ne!(decomposed, "Nga Thiện");
    }

    #[test]
    fn required_names_are_trimmed_and_non_empty() {
        assert_eq!(required_name("name", "  Thôn 8 ").unwrap(), "Thôn 8");
        assert_eq!(required_name("name", "   ").unwrap_err().field(), Some("name"));
    }

    #[test]
    fn codes_have_no_spaces() {
        assert_eq!(code("code", "401").unwrap(), "401");
        assert!(code("code", "40 1").is_err());
    }
}
