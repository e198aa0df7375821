//! What operators and generic tools find on the port: the standard gRPC health service and
//! server reflection (v1, and v1alpha for the tools that speak only it), so that `grpc_health_probe`, `grpcurl` and load balancers work
//! without the .proto files.
#![allow(clippy::expect_used)]

use antt_e2e::TestServer;
use anyhow::Context;
use prost::Message;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

type TestResult = anyhow::Result<()>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_serving() -> TestResult {
    // Goal: the grpc.health.v1 service answers SERVING for the whole server ("") and for
    // antt.v1.EventStore, and NOT_FOUND for a service that does not exist.
    // Method: the standard health client on the server's port.
    let server = TestServer::start().await?;
    let mut health = HealthClient::new(server.channel.clone());
    for service in ["", "antt.v1.EventStore"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .with_context(|| format!("health check of {service:?}"))?
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "health of {service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "antt.v1.NoSuchService".to_string(),
        })
        .await
        .expect_err("an unknown service has no health");
    assert_eq!(unknown.code(), tonic::Code::NotFound, "{unknown:?}");
    drop(health);
    server.shutdown().await
}

/// Sends one reflection request and returns its answer.
async fn reflect(server: &TestServer, request: MessageRequest) -> anyhow::Result<MessageResponse> {
    let mut client = ServerReflectionClient::new(server.channel.clone());
    let outbound = tokio_stream::iter(vec![ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    }]);
    let mut inbound = client.server_reflection_info(outbound).await?.into_inner();
    let response = inbound.message().await?.context("no reflection response")?;
    response.message_response.context("an empty reflection response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_and_describes_the_event_store() -> TestResult {
    // Goal: reflection v1 lists antt.v1.EventStore and serves its descriptor with all eight
    // methods, so a generic client can call the API without the .proto files.
    // Method: ListServices, then FileContainingSymbol and decode the FileDescriptorProto.
    let server = TestServer::start().await?;
    let MessageResponse::ListServicesResponse(list) =
        reflect(&server, MessageRequest::ListServices(String::new())).await?
    else {
        anyhow::bail!("ListServices answered with something else");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"antt.v1.EventStore"), "services: {names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "services: {names:?}");

    let MessageResponse::FileDescriptorResponse(files) = reflect(
        &server,
        MessageRequest::FileContainingSymbol("antt.v1.EventStore".to_string()),
    )
    .await?
    else {
        anyhow::bail!("FileContainingSymbol answered with something else");
    };
    let mut methods = Vec::new();
    for bytes in &files.file_descriptor_proto {
        let file = prost_types::FileDescriptorProto::decode(bytes.as_slice())?;
        for service in file.service.iter().filter(|s| s.name() == "EventStore") {
            assert_eq!(file.package(), "antt.v1");
            methods.extend(service.method.iter().map(|m| m.name().to_string()));
        }
    }
    methods.sort();
    assert_eq!(
        methods,
        vec![
            "Append",
            "GetEvent",
            "GetHead",
            "GetStreamInfo",
            "ListStreams",
            "ReadAll",
            "ReadStream",
            "Subscribe"
        ]
    );
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_v1alpha_lists_the_same_services() -> TestResult {
    // Goal: a client that speaks only reflection v1alpha (Python's grpcio-reflection,
    // Postman, grpcurl before 1.8.8) lists the same services as a v1 client and can fetch
    // a descriptor, instead of getting UNIMPLEMENTED.
    // Method: the v1alpha client's ListServices and FileContainingSymbol on the real
    // server, compared with v1's ListServices.
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest as AlphaReflectionRequest;

    let server = TestServer::start().await?;
    let mut client = AlphaClient::new(server.channel.clone());
    let outbound = tokio_stream::iter(vec![
        AlphaReflectionRequest {
            host: String::new(),
            message_request: Some(AlphaRequest::ListServices(String::new())),
        },
        AlphaReflectionRequest {
            host: String::new(),
            message_request: Some(AlphaRequest::FileContainingSymbol("antt.v1.EventStore".to_string())),
        },
    ]);
    let mut inbound = client.server_reflection_info(outbound).await?.into_inner();
    let listed = inbound.message().await?.context("no v1alpha list response")?;
    let Some(AlphaResponse::ListServicesResponse(list)) = listed.message_response else {
        anyhow::bail!("v1alpha ListServices answered with {:?}", listed.message_response);
    };
    let mut alpha_names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    alpha_names.sort();
    for expected in [
        "antt.v1.EventStore",
        "antt.v1.Projections",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            alpha_names.iter().any(|name| name == expected),
            "{expected} in {alpha_names:?}"
        );
    }
    let described = inbound.message().await?.context("no v1alpha descriptor response")?;
    let Some(AlphaResponse::FileDescriptorResponse(files)) = described.message_response else {
        anyhow::bail!(
            "v1alpha FileContainingSymbol answered with {:?}",
            described.message_response
        );
    };
    let declares_event_store = files.file_descriptor_proto.iter().any(|bytes| {
        prost_types::FileDescriptorProto::decode(bytes.as_slice())
            .is_ok_and(|file| file.service.iter().any(|service| service.name() == "EventStore"))
    });
    assert!(
        declares_event_store,
        "the v1alpha descriptor declares antt.v1.EventStore"
    );

    let MessageResponse::ListServicesResponse(v1_list) =
        reflect(&server, MessageRequest::ListServices(String::new())).await?
    else {
        anyhow::bail!("v1 ListServices answered with something else");
    };
    let mut v1_names: Vec<_> = v1_list.service.into_iter().map(|s| s.name).collect();
    v1_names.sort();
    assert_eq!(alpha_names, v1_names, "both versions list the same services");
    drop(client);
    server.shutdown().await
}
