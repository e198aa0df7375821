//! Enum values as the report and the export show them: a stable English key for programs
//! (`FORCE_TYPE_SECURITY_PROTECTION_TEAM` → `security_protection_team`, the proto name
//! without the enum's prefix, in lower case, so it never changes while the proto does
//! not) and a Vietnamese label for people.

use antt_proto::v1 as pb;

/// A protobuf enum with a key and a label for each value.
pub trait Named: TryFrom<i32> + Copy {
    /// The proto names' common prefix, e.g. `FORCE_TYPE_`.
    const PREFIX: &'static str;
    fn proto_name(self) -> &'static str;
    fn vietnamese(self) -> &'static str;
    fn is_unspecified(self) -> bool;
}

/// The English key of `value`; None for UNSPECIFIED. A value this client does not know
/// (from a newer server) is its number, so that no row is dropped or mislabelled.
pub fn key<E: Named>(value: i32) -> Option<String> {
    match E::try_from(value) {
        Ok(known) if known.is_unspecified() => None,
        Ok(known) => {
            let name = known.proto_name();
            Some(name.strip_prefix(E::PREFIX).unwrap_or(name).to_ascii_lowercase())
        }
        Err(_) => Some(value.to_string()),
    }
}

/// The Vietnamese label of `value`; the number for a value this client does not know.
pub fn label<E: Named>(value: i32) -> String {
    E::try_from(value).map_or_else(|_| format!("({value})"), |known| known.vietnamese().to_string())
}

macro_rules! named {
    ($enum:ident, $prefix:literal, { $($variant:ident => $label:literal),+ $(,)? }) => {
        impl Named for pb::$enum {
            const PREFIX: &'static str = $prefix;

            fn proto_name(self) -> &'static str {
                self.as_str_name()
            }

            fn vietnamese(self) -> &'static str {
                match self {
                    $(pb::$enum::$variant => $label,)+
                }
            }

            fn is_unspecified(self) -> bool {
                self == pb::$enum::Unspecified
            }
        }
    };
}

named!(FigureIndicator, "FIGURE_INDICATOR_", {
    Unspecified => "Chưa xác định",
    Teams => "Số tổ, ban, đội",
    Members => "Số thành viên",
    MembersReplaced => "Lượt thay thế, bổ sung thành viên",
    TeamsConsolidated => "Số tổ được kiện toàn",
    HouseholdsInSocialSecurityGroups => "Số hộ tham gia tổ an ninh xã hội",
    Incidents => "Vụ việc về ANTT",
    MediationsSucceeded => "Vụ hoà giải thành",
    ProsecutedCases => "Vụ khởi tố",
    ProsecutedDefendants => "Bị can",
    SanctionedCases => "Vụ xử lý hành chính",
    SanctionedSubjects => "Đối tượng bị xử lý hành chính",
    UnitsRegisteredToStrive => "Đơn vị đăng ký phấn đấu",
    UnitsRatedSafe => "Đơn vị đạt tiêu chuẩn an toàn về ANTT",
    PledgesSigned => "Bản cam kết đã ký",
    PublicTips => "Tin báo của quần chúng",
    WantedPersonsArrested => "Đối tượng truy nã bị bắt, vận động đầu thú",
    KeyComplexAreas => "Địa bàn trọng điểm phức tạp",
    KeyComplexAreasTransformed => "Địa bàn trọng điểm được chuyển hoá",
    DocumentsIssued => "Văn bản chỉ đạo đã ban hành",
    ConferencesHeld => "Hội nghị",
    ConferenceAttendances => "Lượt người dự hội nghị",
    TrainingClassesHeld => "Lớp tập huấn",
    Awards => "Lượt khen thưởng",
    Other => "Chỉ tiêu khác",
});

named!(ForceType, "FORCE_TYPE_", {
    Unspecified => "Chưa xác định",
    SteeringCommittee => "Ban chỉ đạo ANTT xã",
    VillageSubCommittee => "Tiểu ban chỉ đạo ANTT thôn",
    SecurityProtectionTeam => "Tổ bảo vệ ANTT",
    SocialSecurityGroup => "Tổ an ninh xã hội",
    CoreForceTeam => "Đội cốt cán ANTT",
    SelfManagementModel => "Mô hình tự quản",
});

named!(LeaveReason, "LEAVE_REASON_", {
    Unspecified => "Không ghi lý do",
    Relocated => "Chuyển nơi cư trú",
    Transferred => "Chuyển công tác",
    Dismissed => "Miễn nhiệm, cho thôi",
    Resigned => "Xin thôi",
    Retired => "Nghỉ chế độ",
    Deceased => "Từ trần",
    Ineffective => "Không phát huy tác dụng",
    TermEnded => "Hết nhiệm kỳ",
});

named!(MemberRole, "MEMBER_ROLE_", {
    Unspecified => "Chưa xác định",
    Leader => "Tổ trưởng",
    Deputy => "Tổ phó",
    Member => "Thành viên",
    Chair => "Chủ nhiệm",
    ViceChair => "Phó chủ nhiệm",
});

named!(MemberChangeEnd, "MEMBER_CHANGE_END_", {
    Unspecified => "",
    Left => "Thôi tham gia",
    CarriedOver => "Chuyển sang tổ mới khi kiện toàn",
    Released => "Tổ giải thể",
});

named!(AreaLevel, "AREA_LEVEL_", {
    Unspecified => "Chưa xác định",
    Province => "Tỉnh",
    District => "Huyện",
    Commune => "Xã",
    ResidentialArea => "Khu dân cư",
    Agency => "Cơ quan",
    Enterprise => "Doanh nghiệp",
    School => "Nhà trường",
});

named!(IncidentCategory, "INCIDENT_CATEGORY_", {
    Unspecified => "Chưa phân loại",
    Theft => "Trộm cắp tài sản",
    Drugs => "Ma tuý",
    Gambling => "Cờ bạc, số đề",
    Assault => "Gây thương tích, đánh nhau",
    PublicDisorder => "Gây rối trật tự công cộng",
    LandDispute => "Tranh chấp đất đai",
    TidalFlatDispute => "Tranh chấp vùng triều",
    Complaint => "Khiếu nại",
    Denunciation => "Tố cáo",
    MassComplaint => "Khiếu kiện đông người",
    StrikeAtFdiEnterprise => "Đình công, biểu tình tại doanh nghiệp FDI",
    FamilyDispute => "Mâu thuẫn gia đình, dòng họ",
    NeighbourDispute => "Mâu thuẫn hàng xóm, nội bộ nhân dân",
    Other => "Khác",
});

named!(IncidentClassification, "INCIDENT_CLASSIFICATION_", {
    Unspecified => "Chưa phân loại",
    Crime => "Tội phạm",
    AdministrativeViolation => "Vi phạm hành chính",
    SocialEvil => "Tệ nạn xã hội",
    DisputeOrComplaint => "Mâu thuẫn, tranh chấp, khiếu nại",
});

named!(HandlingLevel, "HANDLING_LEVEL_", {
    Unspecified => "Chưa xác định",
    SocialSecurityGroup => "Tổ an ninh xã hội",
    SecurityProtectionTeam => "Tổ bảo vệ ANTT",
    CommunePolice => "Công an xã",
    CommuneAuthority => "UBND, Ban chỉ đạo ANTT xã",
    DistrictPolice => "Công an huyện",
    DistrictAuthority => "UBND huyện",
    ProvincePolice => "Công an tỉnh",
    ProvinceAuthority => "UBND tỉnh",
});

named!(IncidentResolution, "INCIDENT_RESOLUTION_", {
    Unspecified => "Chưa giải quyết",
    Mediated => "Hoà giải thành",
    CommunePoliceHandled => "Công an xã giải quyết",
    AdministrativeSanction => "Xử phạt vi phạm hành chính",
    Prosecution => "Khởi tố",
    ComplaintSettled => "Giải quyết khiếu nại",
    Transferred => "Chuyển cơ quan có thẩm quyền",
});

named!(SafetyOutcome, "SAFETY_OUTCOME_", {
    Unspecified => "Chưa xếp loại",
    Safe => "Đạt an toàn",
    NotSafe => "Không đạt",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_proto_names_without_their_prefix() {
        assert_eq!(
            key::<pb::ForceType>(pb::ForceType::SecurityProtectionTeam as i32).as_deref(),
            Some("security_protection_team")
        );
        assert_eq!(
            key::<pb::IncidentCategory>(pb::IncidentCategory::StrikeAtFdiEnterprise as i32).as_deref(),
            Some("strike_at_fdi_enterprise")
        );
        assert_eq!(key::<pb::LeaveReason>(0), None, "unspecified is no value");
        assert_eq!(
            key::<pb::LeaveReason>(99).as_deref(),
            Some("99"),
            "a newer server's value is kept"
        );
    }

    #[test]
    fn labels_are_vietnamese() {
        assert_eq!(
            label::<pb::ForceType>(pb::ForceType::SocialSecurityGroup as i32),
            "Tổ an ninh xã hội"
        );
        assert_eq!(label::<pb::HandlingLevel>(99), "(99)");
    }
}
