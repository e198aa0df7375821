//! (d) The baseline: a plain events table in PostgreSQL with synchronous commit.
//!
//! Each writer has its own connection and stream, tracks its stream's next version
//! client-side (the unique `(stream_id, version)` constraint is the optimistic check), and
//! appends a batch as ONE multi-row `INSERT` in autocommit: one implicit transaction and
//! one round trip per append, the cheapest correct way to make a batch atomic.

use std::fmt::Write as _;

use anyhow::Context;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

use crate::driver::{self, Appender, CellSpec, Measured, Timing};
use crate::workload::Batch;

const TABLE: &str = "antt_bench_events";

/// Server settings that decide durability and speed, as `name = value` pairs.
pub struct ServerInfo {
    pub settings: Vec<(String, String)>,
}

/// Connects one client and drives its connection on the runtime.
pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        // The connection ends with an error when the server goes away; the client's next
        // call reports it.
        let _ = connection.await;
    });
    Ok(client)
}

/// Checks the server answers and reads the settings worth printing.
pub async fn probe(url: &str) -> anyhow::Result<ServerInfo> {
    let client = connect(url).await?;
    let mut settings = Vec::new();
    for name in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "wal_sync_method",
        "full_page_writes",
        "commit_delay",
        "shared_buffers",
        "data_directory",
    ] {
        let value = match client.query_one(&format!("SHOW {name}"), &[]).await {
            Ok(row) => row.try_get::<_, String>(0).unwrap_or_else(|error| error.to_string()),
            Err(error) => format!("({error})"),
        };
        settings.push((name.to_owned(), value));
    }
    Ok(ServerInfo { settings })
}

async fn recreate_table(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {TABLE};
             CREATE TABLE {TABLE} (
                 position bigserial PRIMARY KEY,
                 stream_id text NOT NULL,
                 version bigint NOT NULL,
                 event_id uuid NOT NULL UNIQUE,
                 type text NOT NULL,
                 payload bytea NOT NULL,
                 metadata jsonb NOT NULL,
                 recorded_at timestamptz NOT NULL DEFAULT now(),
                 UNIQUE (stream_id, version)
             );"
        ))
        .await
        .context("creating the events table")
}

fn insert_sql(rows_n: usize) -> String {
    let mut sql = format!("INSERT INTO {TABLE} (stream_id, version, event_id, type, payload, metadata) VALUES ");
    for row_idx in 0..rows_n {
        let base = row_idx * 6;
        if row_idx > 0 {
            sql.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(
            sql,
            "(${}, ${}, ${}::text::uuid, ${}, ${}, ${}::text::jsonb)",
            base + 1,
            base + 2,
            base + 3,
            base + 4,
            base + 5,
            base + 6
        );
    }
    sql
}

struct PgAppender {
    client: Client,
    insert: Statement,
}

/// One row's parameters, owned.
struct Row {
    stream_id: String,
    version: i64,
    event_id: String,
    event_type: String,
    payload: Vec<u8>,
    metadata: String,
}

impl Appender for PgAppender {
    async fn append(&mut self, batch: Batch) -> anyhow::Result<()> {
        let mut rows = Vec::with_capacity(batch.events.len());
        for (event_idx, event) in batch.events.into_iter().enumerate() {
            let version = batch.first_version + event_idx as u64;
            rows.push(Row {
                stream_id: batch.stream_id.clone(),
                version: i64::try_from(version).context("version fits i64")?,
                event_id: event.event_id.to_string(),
                metadata: metadata_json(&event),
                event_type: event.event_type,
                payload: event.payload,
            });
        }
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(rows.len() * 6);
        for row in &rows {
            params.push(&row.stream_id);
            params.push(&row.version);
            params.push(&row.event_id);
            params.push(&row.event_type);
            params.push(&row.payload);
            params.push(&row.metadata);
        }
        self.client
            .execute(&self.insert, &params)
            .await
            .context("INSERT of one batch")?;
        Ok(())
    }
}

/// The envelope fields that have no column, as a JSON object (values are plain ASCII
/// here, so no escaping is needed).
fn metadata_json(event: &antt_log::NewEvent) -> String {
    let mut json = format!(
        "{{\"actor\":\"{}\",\"schema_version\":{},\"content_type\":\"{}\"",
        event.actor, event.schema_version, event.content_type
    );
    if let Some(correlation_id) = event.correlation_id {
        let _ = write!(json, ",\"correlation_id\":\"{correlation_id}\"");
    }
    for (key, value) in &event.metadata {
        let _ = write!(json, ",\"{key}\":\"{value}\"");
    }
    json.push('}');
    json
}

/// One cell over a freshly created table (dropped afterwards): c connections, each
/// `SET synchronous_commit = on`.
pub async fn run(url: &str, spec: CellSpec, timing: Timing) -> anyhow::Result<Measured> {
    let admin = connect(url).await.context("admin connection")?;
    recreate_table(&admin).await?;
    let sql = insert_sql(spec.batch_events);
    let mut appenders = Vec::with_capacity(spec.writers);
    for _ in 0..spec.writers {
        let client = connect(url).await.context("writer connection")?;
        client
            .batch_execute("SET synchronous_commit = on")
            .await
            .context("SET synchronous_commit = on")?;
        let insert = client.prepare(&sql).await.context("preparing the INSERT")?;
        appenders.push(PgAppender { client, insert });
    }
    let measured = driver::run_cell(spec, timing, "pg", appenders).await;
    admin
        .batch_execute(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .await
        .context("dropping the events table")?;
    measured
}
