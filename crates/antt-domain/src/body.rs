//! What the record aggregates ([`crate::document`], [`crate::figure`], [`crate::award`],
//! [`crate::conference`], [`crate::office`]) share: the body that issues a document or an
//! award or organises a conference ([`Body`]), and the "kind, or another kind named"
//! pattern of their enums (`kind_name`).

use antt_proto::v1 as pb;

use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts};
use crate::text;

/// A body of an area (e.g. "Đảng ủy xã Nga Thái": a Party committee of a commune), or a
/// central body of no area (e.g. "Bộ Công an").
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub kind: pb::BodyKind,
    pub name: String,
    /// The area whose body it is, as the area's stream tells; None for a central body.
    pub area: Option<AreaFacts>,
}

/// The request fields of a body, for malformed-field errors, and what its area is called
/// in a refusal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyFields {
    pub kind: &'static str,
    pub name: &'static str,
    /// e.g. "the issuing body's area".
    pub area: &'static str,
}

impl Body {
    /// The wire form, if the body is well formed and its area existed on `on`.
    pub(crate) fn to_proto(&self, fields: BodyFields, on: Date) -> Result<pb::Body, DomainError> {
        let kind = facts::specified(fields.kind, self.kind)?;
        let name = text::required_name(fields.name, &self.name)?;
        if let Some(area) = &self.area {
            facts::ensure_within(fields.area, on, area.valid_from, area.ended_on)?;
        }
        Ok(pb::Body {
            kind: kind.into(),
            name,
            area_id: self
                .area
                .as_ref()
                .map(|area| area.area_id.to_string())
                .unwrap_or_default(),
            area_level: self
                .area
                .as_ref()
                .map_or(pb::AreaLevel::Unspecified, |area| area.level)
                .into(),
        })
    }
}

/// The name printed for a kind: required when the kind is `other` (the enum's "another
/// kind"), optional otherwise; normalised either way.
pub(crate) fn kind_name<E: PartialEq>(
    field: &'static str,
    kind: E,
    other: E,
    name: &str,
) -> Result<String, DomainError> {
    if kind == other {
        return text::required_name(field, name)
            .map_err(|_| DomainError::invalid(field, "name the kind as printed: the kind given is \"other\""));
    }
    text::optional_name(field, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date};

    const FIELDS: BodyFields = BodyFields {
        kind: "issued_by.kind",
        name: "issued_by.name",
        area: "the issuing body's area",
    };

    fn party_committee() -> Body {
        Body {
            kind: pb::BodyKind::PartyCommittee,
            name: " Đảng ủy xã Nga Thái ".to_owned(),
            area: Some(area_facts(1, pb::AreaLevel::Commune)),
        }
    }

    #[test]
    fn a_body_carries_its_area_and_level() {
        let body = party_committee().to_proto(FIELDS, date(2018, 1, 5)).unwrap();
        assert_eq!(body.name, "Đảng ủy xã Nga Thái");
        assert_eq!(body.area_level(), pb::AreaLevel::Commune);
        let central = Body {
            area: None,
            ..party_committee()
        };
        assert_eq!(central.to_proto(FIELDS, date(1990, 1, 1)).unwrap().area_id, "");
    }

    #[test]
    fn a_body_acts_only_while_its_area_exists() {
        assert!(matches!(
            party_committee().to_proto(FIELDS, date(2007, 12, 31)),
            Err(DomainError::BeforeExistence {
                what: "the issuing body's area",
                ..
            })
        ));
    }

    #[test]
    fn another_kind_needs_its_name() {
        let other = pb::DocumentKind::Other;
        assert_eq!(
            kind_name("kind_name", other, other, " ").unwrap_err().field(),
            Some("kind_name")
        );
        assert_eq!(kind_name("kind_name", pb::DocumentKind::Plan, other, "").unwrap(), "");
    }
}
