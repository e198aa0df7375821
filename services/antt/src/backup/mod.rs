//! Backup and restore: `antt admin backup | restore | backup-keys | restore-keys`.
//!
//! - [`online`]: a consistent backup of the log's positions `0..P` over gRPC while the
//!   server runs and takes writes (the log is append-only and chained, so a prefix is
//!   consistent by construction).
//! - [`restore`]: a new data directory from a backup, through `antt_log`'s importer, fully
//!   verified before it is moved into place.
//! - [`keys`]: the key store backed up apart, and restored with every erasure the log
//!   recorded applied again.
//! - [`format`]: the log backup file; [`limits`]: the bounds.
//!
//! Files and directories appear only once whole: a backup is written to a temp file
//! beside its destination (fsync, rename, directory fsync); a restore is written to a
//! staging directory beside its target and renamed into place only after it verified.

pub mod format;
pub mod keys;
pub mod limits;
pub mod online;
pub mod restore;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use crate::error::CliError;

/// A progress bar on stderr (indicatif hides it when stderr is not a terminal).
pub(crate) fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let template = format!("{{bar:40}} {{human_pos}}/{{human_len}} {what} ({{eta}} left)");
    let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total).with_style(style)
}

fn io_error(path: &Path, context: &str, error: io::Error) -> CliError {
    CliError::Input(format!("{context} {}: {error}", path.display()))
}

/// The parent directory of `path` (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a directory's entries (a rename) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// A file written beside its destination and renamed onto it once complete; removed if
/// dropped before [`AtomicFile::commit`].
pub(crate) struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// The temp file for `target`, created with mode 0600 (key backups hold keys).
    pub fn create(target: &Path) -> Result<(AtomicFile, fs::File), CliError> {
        let name = target
            .file_name()
            .ok_or_else(|| CliError::Input(format!("{} does not name a file", target.display())))?;
        let temp = parent_of(target).join(format!(".{}.tmp-{}", name.to_string_lossy(), Uuid::new_v4().simple()));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&temp)
            .map_err(|error| io_error(&temp, "cannot create", error))?;
        let atomic = AtomicFile {
            temp,
            target: target.to_path_buf(),
            committed: false,
        };
        Ok((atomic, file))
    }

    /// Renames the (already synced) temp file onto the target and syncs the directory.
    /// An existing target is refused rather than replaced: a backup never overwrites one.
    pub fn commit(mut self) -> Result<(), CliError> {
        if self.target.exists() {
            return Err(CliError::Input(format!(
                "{} appeared while the backup was written; not replaced",
                self.target.display()
            )));
        }
        fs::rename(&self.temp, &self.target).map_err(|error| io_error(&self.target, "cannot write", error))?;
        self.committed = true;
        sync_dir(&parent_of(&self.target))
            .map_err(|error| io_error(&self.target, "cannot sync the directory of", error))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A directory filled beside its target and renamed onto it once complete and checked;
/// removed (with what it holds) if dropped before [`Staging::commit`].
pub(crate) struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    /// Refuses a target that holds anything; creates the staging directory beside it.
    pub fn beside(target: &Path) -> Result<Staging, CliError> {
        refuse_non_empty(target)?;
        let name = target
            .file_name()
            .ok_or_else(|| CliError::Input(format!("{} does not name a directory", target.display())))?;
        let parent = parent_of(target);
        fs::create_dir_all(&parent).map_err(|error| io_error(&parent, "cannot create", error))?;
        let path = parent.join(format!(
            ".{}.restoring-{}",
            name.to_string_lossy(),
            Uuid::new_v4().simple()
        ));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&path)
            .map_err(|error| io_error(&path, "cannot create", error))?;
        Ok(Staging { path, committed: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the staging directory onto `target` (an empty directory is replaced) and
    /// makes the rename durable.
    pub fn commit(mut self, target: &Path) -> Result<(), CliError> {
        refuse_non_empty(target)?;
        fs::rename(&self.path, target)
            .map_err(|error| io_error(target, "cannot move the restored directory to", error))?;
        self.committed = true;
        sync_dir(&parent_of(target)).map_err(|error| io_error(target, "cannot sync the directory of", error))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A restore writes a new directory: an existing one must be empty.
fn refuse_non_empty(target: &Path) -> Result<(), CliError> {
    match fs::read_dir(target).map(|mut entries| entries.next().is_some()) {
        Ok(true) => Err(CliError::Input(format!(
            "{} is not empty; a restore writes a new directory (remove it or name another)",
            target.display()
        ))),
        Ok(false) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(target, "cannot read", error)),
    }
}
