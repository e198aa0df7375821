//! The projections' bounds, each with its unit last.

/// Log events read and applied per store batch (and per page read from the log).
pub const APPLY_BATCH_EVENTS_MAX: usize = antt_log::limits::READ_PAGE_EVENTS_MAX;

/// Records whose timelines the engine keeps in memory between events. A record not held
/// is read again from its stream; the bound keeps memory flat whatever the log's size.
pub const CACHED_RECORDS_MAX: usize = 20_000;

/// Areas a subtree query walks; Vietnam has about 10,600 communes and far fewer
/// provinces, so a whole-country query of communes and their villages stays under it.
pub const SUBTREE_AREAS_MAX: usize = 200_000;

/// Years a consecutive-safe-years count looks back: the run that earns the highest
/// recognition.
pub const SAFE_STREAK_YEARS_MAX: i32 = antt_domain::rating::RECOGNITION_YEARS_MAX as i32;

/// Levels walked up the area tree to find a team's commune and province (village,
/// commune, district, province, and a margin for the 2025 reform's records), as anttd's
/// jurisdiction walk does.
pub const AREA_TREE_DEPTH_MAX: usize = 8;
