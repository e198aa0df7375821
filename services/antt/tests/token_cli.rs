//! `antt --token` and `ANTT_TOKEN` against a server that requires tokens.
//!
//! Goal: without a token the server refuses the CLI's call and the CLI says how to pass
//! one (exit 1, nothing written); a token in a role that may not make the call is told
//! apart from a missing one; with `--token` or `ANTT_TOKEN` the call succeeds, and the
//! event records the token's `sub@iss` as its actor, whatever the CLI sends.
//! Method: `anttd::serve` in-process with the JWKS of a test issuer, the `antt` binary
//! run against it with real signed tokens.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::process::Output;

use antt_access::testing::Claims;
use support::{antt_command, now_secs, Server, TOKEN_ISSUER};

async fn antt<S: AsRef<std::ffi::OsStr>>(server: &Server, args: &[S]) -> Output {
    antt_command(server).args(args).output().await.unwrap()
}

fn stdout_of(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "antt failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `antt append notes` of note `n`, with `--token <token>` if given.
fn append_note(n: u32, token: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["append", "notes", "--type", "antt.v1.Note", "--json"]
        .map(String::from)
        .into();
    args.push(format!(r#"{{"text":"ghi chú {n}"}}"#));
    if let Some(token) = token {
        args.extend(["--token".to_string(), token.to_string()]);
    }
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_names_the_caller_and_its_actor() {
    let (server, issuer) = Server::start_with_tokens("antt-token-").await;
    let now = now_secs();
    let importer = issuer.token_for("nhap-lieu-1", "migration", None, now);
    let second_importer = issuer.token_for("nhap-lieu-2", "migration", None, now);
    let inspector = issuer.token_for("thanh-tra", "inspector", None, now);
    let clerk = issuer.token_for("can-bo-xa", "clerk", None, now);

    // No token: refused before anything is written, and the CLI says what to do.
    let refused = antt(&server, &append_note(0, None)).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr_of(&refused));
    let stderr = stderr_of(&refused);
    assert!(stderr.contains("UNAUTHENTICATED"), "{stderr}");
    assert!(stderr.contains("pass --token <JWT> or set ANTT_TOKEN"), "{stderr}");

    // A token the server's keys did not sign for it (expired) is refused the same way.
    let mut expired = Claims::new(&issuer, "nhap-lieu-1", "migration", now);
    expired.exp = now.saturating_sub(3600);
    expired.nbf = Some(now.saturating_sub(7200));
    let expired = issuer.token(&expired, jsonwebtoken::Algorithm::EdDSA);
    let refused = antt(&server, &append_note(0, Some(&expired))).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr_of(&refused).contains("UNAUTHENTICATED"),
        "{}",
        stderr_of(&refused)
    );

    // Known, but a clerk may not append raw events: told apart from a missing token.
    let denied = antt(&server, &append_note(0, Some(&clerk))).await;
    assert_eq!(denied.status.code(), Some(1));
    let stderr = stderr_of(&denied);
    assert!(stderr.contains("PERMISSION_DENIED"), "{stderr}");
    assert!(stderr.contains("role=clerk"), "{stderr}");
    assert!(
        stderr.contains("your token's role or jurisdiction does not allow this"),
        "{stderr}"
    );

    // With --token (after the subcommand: the flag is global), then with ANTT_TOKEN.
    let first = stdout_of(&antt(&server, &append_note(1, Some(&importer))).await);
    let first: serde_json::Value = serde_json::from_str(first.trim()).unwrap();
    assert_eq!(
        first["stream_version"], 0,
        "nothing refused before was written: {first}"
    );
    let second = antt_command(&server)
        .args(append_note(2, None))
        .env("ANTT_TOKEN", &second_importer)
        .output()
        .await
        .unwrap();
    let second: serde_json::Value = serde_json::from_str(stdout_of(&second).trim()).unwrap();
    assert_eq!(second["stream_version"], 1);

    // Reading needs a token too; an inspector's shows who wrote each event.
    let unread = antt(&server, &["read", "notes"]).await;
    assert_eq!(unread.status.code(), Some(1));
    assert!(stderr_of(&unread).contains("UNAUTHENTICATED"));
    let lines = stdout_of(&antt(&server, &["--token", inspector.as_str(), "read", "notes"]).await);
    let events: Vec<serde_json::Value> = lines.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|event| {
            (
                event["actor"].as_str().unwrap(),
                event["payload"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    let (one, two) = (
        format!("nhap-lieu-1@{TOKEN_ISSUER}"),
        format!("nhap-lieu-2@{TOKEN_ISSUER}"),
    );
    assert_eq!(seen, [(one.as_str(), "ghi chú 1"), (two.as_str(), "ghi chú 2")]);

    // The same reading with ANTT_TOKEN.
    let with_env = antt_command(&server)
        .args(["read", "notes"])
        .env("ANTT_TOKEN", &inspector)
        .output()
        .await
        .unwrap();
    assert_eq!(stdout_of(&with_env), lines);
    server.stop().await;
}
