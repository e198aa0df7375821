//! Telemetry end to end: a real OTLP/gRPC receiver (the collector's TraceService and
//! MetricsService) on a loopback port, the real server exporting to it, a call carrying
//! a W3C `traceparent`, and the Prometheus scrape endpoint parsed line by line.
//!
//! Telemetry is per process (it installs the global tracing subscriber), so this binary
//! holds a single test that walks through every step.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use antt_e2e::{json_events, v1, TestServer};
use anyhow::{anyhow, bail, Context};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// The caller's trace and span, as a client library would send them.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// How long the test waits for something the exporters send every 100 ms: generous,
/// because the machine may be busy; the wait ends as soon as it arrives.
const ARRIVAL_WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_carry_the_callers_trace_and_metrics_reach_otlp_and_prometheus() -> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let telemetry_config = anttd::config::TelemetryConfig {
        otlp_endpoint: Some(format!("http://{}", receiver.addr)),
        // Short, so that the test waits for arrivals instead of guessing a sleep.
        otlp_export_interval_millis: 100,
        metrics_listen: Some("127.0.0.1:0".parse()?),
        resource_attributes: vec![("deployment.environment.name".into(), "test".into())],
        trace_filter: "warn,anttd=info,antt_log=info,antt_projections=info".into(),
        ..Default::default()
    };
    let mut process = anttd::Config::for_data_dir("unused");
    process.telemetry = telemetry_config.clone();
    // Quiet log lines: the spans have their own filter, and must arrive all the same.
    process.log_filter = "warn".into();
    let telemetry = anttd::telemetry::init(&process).await?;
    let metrics_addr = telemetry
        .metrics_addr()
        .context("the scrape endpoint is not listening")?;
    let server = TestServer::start_with(|config| config.telemetry = telemetry_config).await?;
    let mut client = server.client.clone();

    // Before any append: the counter is there or absent, never above zero.
    let before = scrape(metrics_addr).await?;
    let appends_before = before.value("antt_appends_total", &[("outcome", "ok")]).unwrap_or(0.0);

    // One call in the caller's trace.
    let mut request = tonic::Request::new(v1::AppendRequest {
        stream_id: "telemetry-1".into(),
        expected: None,
        events: json_events("Traced", 2),
    });
    let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01");
    request.metadata_mut().insert("traceparent", traceparent.parse()?);
    client.append(request).await?;

    let rpc = receiver
        .wait_for_span(|span| span.name == "antt.v1.EventStore/Append" && hex(&span.trace_id) == TRACE_ID)
        .await?;
    assert_eq!(
        hex(&rpc.parent_span_id),
        PARENT_SPAN_ID,
        "the RPC span is a child of the caller's"
    );
    assert_eq!(rpc.kind, SpanKind::Server as i32);
    assert_eq!(int_attribute(&rpc, "rpc.grpc.status_code"), Some(0));
    let append = receiver
        .wait_for_span(|span| span.name == "append" && hex(&span.trace_id) == TRACE_ID)
        .await?;
    assert!(
        is_descendant(&receiver.spans(), &append, &rpc.span_id),
        "the append span is inside the RPC span"
    );
    // The group commit serves many appends on the writer thread: a root of its own,
    // linked to the append it wrote.
    let group = receiver
        .wait_for_span(|span| {
            span.name == "group_commit"
                && span
                    .links
                    .iter()
                    .any(|link| hex(&link.trace_id) == TRACE_ID && link.span_id == append.span_id)
        })
        .await?;
    assert_eq!(int_attribute(&group, "events"), Some(2), "{:?}", group.attributes);
    assert!(receiver.resource_has("service.name", "anttd"));
    assert!(receiver.resource_has("deployment.environment.name", "test"));

    // A refused call records its code.
    let refused = client
        .append(v1::AppendRequest {
            stream_id: "".into(),
            expected: None,
            events: json_events("Traced", 1),
        })
        .await
        .expect_err("an empty stream id is refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    receiver
        .wait_for_span(|span| {
            span.name == "antt.v1.EventStore/Append"
                && int_attribute(span, "rpc.grpc.status_code") == Some(tonic::Code::InvalidArgument as i64)
        })
        .await?;

    // The scrape endpoint: valid text format, the counter grew by the appends made.
    for n in 0..3 {
        antt_e2e::append(&mut client, &format!("telemetry-{}", n + 2), json_events("Counted", 1)).await?;
    }
    let after = scrape(metrics_addr).await?;
    let appends_after = after
        .value("antt_appends_total", &[("outcome", "ok")])
        .context("no antt_appends_total{outcome=\"ok\"}")?;
    assert_eq!(appends_after - appends_before, 4.0, "one traced append and three more");
    let head = antt_e2e::head(&mut client).await?;
    assert_eq!(after.value("antt_log_events", &[]), Some(head.next_position as f64));
    assert!(after.value("antt_log_size_bytes", &[]).unwrap_or(0.0) > 0.0);
    assert!(after.value("antt_group_commit_events_count", &[]).unwrap_or(0.0) >= 1.0);
    assert!(
        after
            .value("antt_append_duration_seconds_count", &[("outcome", "ok")])
            .unwrap_or(0.0)
            >= 4.0
    );
    assert!(
        after.value("antt_projections_lag", &[]).is_some(),
        "{:?}",
        after.families
    );
    assert_eq!(
        after.families.get("antt_append_duration_seconds").map(String::as_str),
        Some("histogram")
    );

    // A live subscription is counted while it lives.
    let mut subscription = client
        .subscribe(v1::SubscribeRequest {
            from_position: 0,
            filter: None,
        })
        .await?
        .into_inner();
    subscription.message().await?.context("the subscription sent nothing")?;
    wait_for_scrape(metrics_addr, |text| text.value("antt_subscribers", &[]) == Some(1.0)).await?;
    drop(subscription);
    wait_for_scrape(metrics_addr, |text| text.value("antt_subscribers", &[]) == Some(0.0)).await?;

    // The same instruments are pushed over OTLP.
    receiver.wait_for_metric("antt.appends").await?;
    receiver.wait_for_metric("antt.group_commit.events").await?;

    // With the collector gone, appends still succeed: exports fail on their own thread.
    receiver.stop().await;
    for n in 0..20 {
        antt_e2e::append(
            &mut client,
            &format!("telemetry-down-{n}"),
            json_events("Unexported", 1),
        )
        .await?;
    }
    server.shutdown().await?;
    telemetry.shutdown().await;
    Ok(())
}

// --- The OTLP receiver ---------------------------------------------------------------

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    resources: Vec<Vec<KeyValue>>,
    metric_names: Vec<String>,
}

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Received>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = self.0.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            if let Some(resource) = resource_spans.resource {
                received.resources.push(resource.attributes);
            }
            for scope in resource_spans.scope_spans {
                received.spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let mut received = self.0.lock().unwrap();
        for resource_metrics in request.into_inner().resource_metrics {
            for scope in resource_metrics.scope_metrics {
                received
                    .metric_names
                    .extend(scope.metrics.into_iter().map(|metric| metric.name));
            }
        }
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

struct Receiver {
    addr: SocketAddr,
    collector: Collector,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Receiver {
    async fn start() -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let collector = Collector::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .add_service(MetricsServiceServer::new(collector.clone()))
            .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), async {
                let _ = stopped.await;
            });
        let task = tokio::spawn(server);
        Ok(Receiver {
            addr,
            collector,
            stop: Some(stop),
            task,
        })
    }

    fn spans(&self) -> Vec<Span> {
        self.collector.0.lock().unwrap().spans.clone()
    }

    fn resource_has(&self, key: &str, value: &str) -> bool {
        self.collector.0.lock().unwrap().resources.iter().any(|attributes| {
            attributes
                .iter()
                .any(|kv| kv.key == key && string_value(kv).as_deref() == Some(value))
        })
    }

    async fn wait_for_span(&self, wanted: impl Fn(&Span) -> bool) -> anyhow::Result<Span> {
        let found = poll(|| self.spans().into_iter().find(|span| wanted(span))).await;
        found.ok_or_else(|| {
            let names: Vec<String> = self.spans().iter().map(|span| span.name.clone()).collect();
            anyhow!("the span never arrived; received: {names:?}")
        })
    }

    async fn wait_for_metric(&self, name: &str) -> anyhow::Result<()> {
        let found = poll(|| {
            let received = self.collector.0.lock().unwrap();
            received.metric_names.iter().any(|seen| seen == name).then_some(())
        })
        .await;
        found.ok_or_else(|| anyhow!("metric {name} never arrived over OTLP"))
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Polls `check` until it gives a value or `ARRIVAL_WAIT` passes.
async fn poll<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + ARRIVAL_WAIT;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn string_value(kv: &KeyValue) -> Option<String> {
    match kv.value.as_ref()?.value.as_ref()? {
        Value::StringValue(text) => Some(text.clone()),
        _ => None,
    }
}

fn int_attribute(span: &Span, key: &str) -> Option<i64> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::IntValue(value) => Some(*value),
            _ => None,
        })
}

/// Whether `span`'s chain of parents among `spans` reaches `ancestor`.
fn is_descendant(spans: &[Span], span: &Span, ancestor: &[u8]) -> bool {
    let mut current = span.clone();
    for _ in 0..spans.len() {
        if current.parent_span_id == ancestor {
            return true;
        }
        match spans
            .iter()
            .find(|candidate| candidate.span_id == current.parent_span_id)
        {
            Some(parent) => current = parent.clone(),
            None => return false,
        }
    }
    false
}

// --- The scrape endpoint and the text format -----------------------------------------

/// One scrape, parsed.
struct Exposition {
    /// Family name → declared type.
    families: BTreeMap<String, String>,
    /// (sample name, sorted labels) → value.
    samples: BTreeMap<(String, Vec<(String, String)>), f64>,
}

impl Exposition {
    /// The value of the sample whose labels include `labels` (others, like the scope's,
    /// may be there too).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|((sample, sample_labels), _)| {
                sample == name
                    && labels
                        .iter()
                        .all(|(key, value)| sample_labels.iter().any(|(k, v)| k == key && v == value))
            })
            .map(|(_, value)| *value)
    }
}

async fn wait_for_scrape(addr: SocketAddr, wanted: impl Fn(&Exposition) -> bool) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + ARRIVAL_WAIT;
    loop {
        let text = scrape(addr).await?;
        if wanted(&text) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("the scrape never showed what was awaited: {:?}", text.samples);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `GET /metrics` over a plain connection; checks the status and content type and
/// parses the body.
async fn scrape(addr: SocketAddr) -> anyhow::Result<Exposition> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: anttd\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8(response)?;
    let (head, body) = response.split_once("\r\n\r\n").context("no end of headers")?;
    let mut lines = head.lines();
    let status = lines.next().context("no status line")?;
    if status != "HTTP/1.1 200 OK" {
        bail!("scrape answered {status:?}");
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, v)| v.as_str());
    assert_eq!(content_type, Some("text/plain; version=0.0.4"));
    if let Some((_, length)) = headers.iter().find(|(name, _)| name == "content-length") {
        assert_eq!(length.parse::<usize>()?, body.len(), "the whole body was read");
    }
    parse_exposition(body)
}

/// The Prometheus text format (0.0.4): every line a `# HELP`, a `# TYPE` declared once
/// before its family's samples, or a sample of a declared family.
fn parse_exposition(text: &str) -> anyhow::Result<Exposition> {
    let mut exposition = Exposition {
        families: BTreeMap::new(),
        samples: BTreeMap::new(),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        bail!("the exposition does not end with a newline");
    }
    for (number, line) in text.lines().enumerate() {
        let line_error = |reason: &str| anyhow!("line {}: {reason}: {line:?}", number + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), _) if is_metric_name(name) => {}
                (Some("TYPE"), Some(name), Some(kind)) if is_metric_name(name) => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(line_error("unknown type"));
                    }
                    if exposition.families.insert(name.to_string(), kind.to_string()).is_some() {
                        return Err(line_error("family declared twice"));
                    }
                }
                (Some("HELP" | "TYPE"), _, _) => return Err(line_error("malformed HELP or TYPE")),
                _ => {} // any other comment is allowed
            }
            continue;
        }
        let (name, labels, value) = parse_sample(line).map_err(|reason| line_error(&reason))?;
        let family =
            family_of(&exposition.families, &name).ok_or_else(|| line_error("sample of no declared family"))?;
        if family == "histogram" && name.ends_with("_bucket") && !labels.iter().any(|(key, _)| key == "le") {
            return Err(line_error("histogram bucket without le"));
        }
        if exposition.samples.insert((name, labels), value).is_some() {
            return Err(line_error("sample repeated"));
        }
    }
    Ok(exposition)
}

/// The declared type of the family `sample` belongs to (`x`, or `x_bucket`, `x_sum`,
/// `x_count` of a histogram or summary).
fn family_of<'a>(families: &'a BTreeMap<String, String>, sample: &str) -> Option<&'a String> {
    families.get(sample).or_else(|| {
        ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
            let family = families.get(sample.strip_suffix(suffix)?)?;
            (family == "histogram" || family == "summary").then_some(family)
        })
    })
}

type Labels = Vec<(String, String)>;
type Sample = (String, Labels, f64);

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err("bad metric name".into());
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(inner)?;
        labels = parsed;
        rest = after;
    }
    let mut fields = rest.strip_prefix(' ').ok_or("no space before the value")?.split(' ');
    let value = parse_value(fields.next().ok_or("no value")?)?;
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().map_err(|_| "bad timestamp")?;
    }
    if fields.next().is_some() {
        return Err("trailing fields".into());
    }
    labels.sort();
    Ok((name.to_string(), labels, value))
}

/// `name="value",…}` → the labels and what follows the `}`.
fn parse_labels(mut text: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    loop {
        if let Some(after) = text.strip_prefix('}') {
            return Ok((labels, after));
        }
        let equals = text.find('=').ok_or("label without =")?;
        let name = &text[..equals];
        if !is_label_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        let mut chars = text[equals + 1..].char_indices();
        if chars.next().map(|(_, c)| c) != Some('"') {
            return Err("label value not quoted".into());
        }
        let mut value = String::new();
        let mut end = None;
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(equals + 1 + index + 1);
                    break;
                }
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('n') => value.push('\n'),
                    _ => return Err("bad escape in a label value".into()),
                },
                '\n' => return Err("newline in a label value".into()),
                c => value.push(c),
            }
        }
        let end = end.ok_or("unterminated label value")?;
        labels.push((name.to_string(), value));
        text = &text[end..];
        text = text.strip_prefix(',').unwrap_or(text);
    }
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| format!("bad value {text:?}")),
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[test]
fn the_parser_refuses_what_is_not_the_text_format() {
    let good = "# HELP a_total Things\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\"} 3\n";
    let parsed = parse_exposition(good).unwrap();
    assert_eq!(parsed.value("a_total", &[("y", "q\"")]), Some(3.0));
    for bad in [
        "a_total 3\n",                                      // no TYPE
        "# TYPE a_total counter\na_total{x=1} 3\n",         // unquoted
        "# TYPE a_total counter\na_total three\n",          // not a number
        "# TYPE a_total counter\na_total{x=\"1\" 3\n",      // unterminated labels
        "# TYPE a_total counter\n# TYPE a_total counter\n", // declared twice
        "# TYPE a_total counter\na_total 3",                // no final newline
    ] {
        assert!(parse_exposition(bad).is_err(), "{bad:?} was accepted");
    }
}
