//! Deterministic ids, so that running an import twice sends the very same requests and
//! the server answers every one of them as a retry (`deduplicated`) instead of recording
//! anything twice.
//!
//! - An area id is the UUID v5 of [`NAMESPACE`] and `gso-<list id>:<level>:<code>`: the
//!   list id is part of the name because GSO codes are reused across code lists (the
//!   2025 Phường Ba Đình has the old Phường Trúc Bạch's code 00004), so a bare code never
//!   identifies an area.
//! - A request id is the UUID v5 of the area id and the step's name (`register`,
//!   `reform-2025:merge`, ...), so each step on an area has exactly one request id.

use uuid::Uuid;

use crate::import::source::Level;

/// The namespace of area ids made from official code lists. Never change it: every area
/// imported so far would get a new id and a re-run would register the country again.
pub const NAMESPACE: Uuid = uuid::uuid!("26007ad8-a3eb-4868-aeec-861845b860b2");

/// The id of the unit `code` of `level` in the code list `list_id` (e.g. "2024").
pub fn area_id(list_id: &str, level: Level, code: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, area_key(list_id, level, code).as_bytes())
}

/// The name hashed into an area id, e.g. `gso-2024:commune:16093`.
pub fn area_key(list_id: &str, level: Level, code: &str) -> String {
    format!("gso-{list_id}:{level}:{code}")
}

/// The request id of `step` on the area `area_id`.
pub fn request_id(area_id: Uuid, step: &str) -> Uuid {
    Uuid::new_v5(&area_id, step.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_tell_reused_codes_apart() {
        let old_truc_bach = area_id("2024", Level::Commune, "00004");
        let new_ba_dinh = area_id("2025", Level::Commune, "00004");
        assert_ne!(old_truc_bach, new_ba_dinh);
        assert_eq!(old_truc_bach, area_id("2024", Level::Commune, "00004"));
        assert_ne!(
            area_id("2024", Level::Province, "38"),
            area_id("2024", Level::District, "38")
        );
        assert_eq!(old_truc_bach.get_version_num(), 5);
        // Pinned: these ids are stored in the log for ever.
        let thanh_hoa = area_id("2024", Level::Province, "38");
        assert_eq!(thanh_hoa, uuid::uuid!("ceb1ecb3-46ef-54b2-a9e9-3f28a32e4eba"));
        assert_eq!(
            request_id(thanh_hoa, "register"),
            uuid::uuid!("92d8fc64-3aab-537d-8fa9-8ae4ce164355")
        );
        assert_ne!(
            request_id(old_truc_bach, "register"),
            request_id(new_ba_dinh, "register")
        );
        assert_ne!(
            request_id(old_truc_bach, "register"),
            request_id(old_truc_bach, "reform-2025:merge")
        );
    }
}
