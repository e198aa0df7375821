//! `antt admin verify`: checks a stopped server's whole log, offline, with a progress bar.

use std::path::{Path, PathBuf};

use antt_audit::checkpoint::{Checkpoint, SignedCheckpoint};
use antt_audit::encoding::hex;
use antt_log::sled_log::{verify, VerifyError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::CliError;

pub async fn run(data: PathBuf, checkpoint_files: Vec<PathBuf>) -> Result<(), CliError> {
    let mut checkpoints = Vec::new();
    for path in checkpoint_files {
        let text = std::fs::read_to_string(&path).map_err(|source| CliError::ReadFile {
            path: path.clone(),
            source,
        })?;
        let signed = SignedCheckpoint::parse_unverified(&text)
            .map_err(|error| CliError::Input(format!("{} is not a signed checkpoint: {error}", path.display())))?;
        checkpoints.push((path, signed.checkpoint));
    }
    // verify reads the whole store: blocking work.
    tokio::task::spawn_blocking(move || verify_blocking(&data, &checkpoints))
        .await
        .map_err(|error| CliError::Verify(error.to_string()))?
}

fn verify_blocking(data: &Path, checkpoints: &[(PathBuf, Checkpoint)]) -> Result<(), CliError> {
    let sizes: Vec<u64> = checkpoints.iter().map(|(_, checkpoint)| checkpoint.size).collect();
    let style = ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} events checked ({eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    // indicatif draws on stderr and hides itself when stderr is not a terminal.
    let bar = ProgressBar::new(0).with_style(style);
    let result = verify(data, &sizes, &mut |checked, total| {
        bar.set_length(total);
        bar.set_position(checked);
    });
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            println!("events checked: {}", report.events_checked);
            println!("head hash: {}", hex(&report.last_hash));
            println!("merkle root: {}", hex(&report.tree_root));
            match report.anchored {
                Some(anchored) => println!(
                    "anchored head: {} events, every one present and unchanged",
                    anchored.size
                ),
                None => {
                    println!("anchored head: none (a store written before anchoring; `antt admin recover` adopts it)")
                }
            }
            Ok(())
        }
        Err(VerifyError::Damaged(damage)) => Err(CliError::Damaged(format!(
            "first bad position {}: {}",
            damage.position, damage.reason
        ))),
        Err(error) => Err(CliError::Verify(error.to_string())),
    }
}
