//! What kind of access each RPC of the server needs. A method of a service not named
//! here is answered UNIMPLEMENTED by the guard before it reaches any service, so that a
//! service added later cannot be reached until it is classified; a test checks that
//! every method the server serves is classified.

use std::collections::HashSet;
use std::sync::OnceLock;

use antt_access::policy::Access;
use prost::Message;

/// The services that record domain facts through commands and show records as views.
const DOMAIN_SERVICES: [&str; 7] = [
    "antt.v1.Areas",
    "antt.v1.Forces",
    "antt.v1.Incidents",
    "antt.v1.Ratings",
    "antt.v1.Inspections",
    "antt.v1.Targets",
    "antt.v1.Records",
];

/// Every `(service, method)` of the descriptors the server registers (antt and health),
/// decoded once.
fn described_methods() -> &'static HashSet<(String, String)> {
    static METHODS: OnceLock<HashSet<(String, String)>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let mut methods = HashSet::new();
        for set in [antt_proto::FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET] {
            // The descriptors are compiled into the binary: they decode.
            let Ok(files) = prost_types::FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in files.file {
                for service in &file.service {
                    let full = format!("{}.{}", file.package(), service.name());
                    for method in &service.method {
                        methods.insert((full.clone(), method.name().to_string()));
                    }
                }
            }
        }
        methods
    })
}

/// The access `service`/`method` needs; `None` if the server has no such method.
pub fn access_of(service: &str, method: &str) -> Option<Access> {
    let reflection = matches!(
        service,
        "grpc.reflection.v1.ServerReflection" | "grpc.reflection.v1alpha.ServerReflection"
    ) && method == "ServerReflectionInfo";
    if !reflection && !described_methods().contains(&(service.to_string(), method.to_string())) {
        return None;
    }
    let access = match service {
        "grpc.health.v1.Health" => Access::Public,
        "grpc.reflection.v1.ServerReflection" | "grpc.reflection.v1alpha.ServerReflection" => Access::Discovery,
        "antt.v1.EventStore" => match method {
            "Append" => Access::RawAppend,
            _ => Access::StreamRead,
        },
        "antt.v1.Audit" => match method {
            "GetPublicKey" => Access::Discovery,
            "CreateCheckpoint" => Access::Checkpoint,
            _ => Access::Audit,
        },
        "antt.v1.Projections" => match method {
            "RebuildProjections" => Access::ProjectionAdmin,
            _ => Access::Projection,
        },
        "antt.v1.Analytics" => Access::Export,
        "antt.v1.Forces" if method == "ForgetPerson" => Access::Erasure,
        service if DOMAIN_SERVICES.contains(&service) => {
            if method.starts_with("Get") {
                Access::View
            } else {
                Access::Command
            }
        }
        _ => return None,
    };
    Some(access)
}

/// The service and method of a gRPC request path (`/antt.v1.Forces/AppointMember`).
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    (!service.is_empty() && !method.is_empty() && !method.contains('/')).then_some((service, method))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served_methods() -> Vec<(String, String)> {
        described_methods().iter().cloned().collect()
    }

    #[test]
    fn every_served_method_is_classified() {
        let methods = served_methods();
        assert!(methods.len() > 100, "{} methods", methods.len());
        for (service, method) in methods {
            assert!(
                access_of(&service, &method).is_some(),
                "{service}/{method} has no access class"
            );
        }
    }

    #[test]
    fn reads_are_never_writes() {
        for (service, method) in served_methods() {
            let access = access_of(&service, &method).unwrap();
            if method.starts_with("Get") || method.starts_with("Read") || method.starts_with("List") {
                assert!(
                    !matches!(access, Access::Command | Access::RawAppend | Access::Erasure),
                    "{service}/{method}"
                );
            }
        }
        assert_eq!(access_of("antt.v1.Forces", "ForgetPerson"), Some(Access::Erasure));
        assert_eq!(access_of("antt.v1.Forces", "AppointMember"), Some(Access::Command));
        assert_eq!(access_of("antt.v1.Nope", "Get"), None);
        assert_eq!(access_of("antt.v1.Forces", "NoSuchMethod"), None);
        assert_eq!(
            access_of("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo"),
            Some(Access::Discovery)
        );
    }

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            split_path("/antt.v1.Forces/AppointMember"),
            Some(("antt.v1.Forces", "AppointMember"))
        );
        assert_eq!(split_path("/antt.v1.Forces/"), None);
        assert_eq!(split_path("antt.v1.Forces/X"), None);
        assert_eq!(split_path("/a/b/c"), None);
    }
}
