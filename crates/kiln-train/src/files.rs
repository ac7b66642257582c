//! Atomic writes. A file is written beside its destination and renamed over it, and a run
//! directory is built under a hidden staging name and renamed into place when complete, so a
//! crash or a failed run never leaves a half-written file or run behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::TrainError;

/// Writes `bytes` to `path` atomically (temporary file + rename in the same directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    write_atomic_with(path, &mut |out| {
        out.write_all(bytes).map_err(|e| TrainError::io(path, e))
    })
}

/// [`write_atomic`] for content written piece by piece: `write` fills a buffered temporary
/// file beside `path`, which replaces `path` only once `write` has succeeded.
pub fn write_atomic_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| unwritable(dir, &e))?;
    let mut out = std::io::BufWriter::new(tmp);
    write(&mut out)?;
    let tmp = out
        .into_inner()
        .map_err(|e| TrainError::io(path, e.error()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| TrainError::io(path, e))?;
    tmp.persist(path)
        .map_err(|e| TrainError::io(path, e.error))?;
    Ok(())
}

/// A folder kiln cannot write into, named as the user gave it: the hidden staging or temporary
/// name inside it (which tempfile's own message adds) means nothing to them.
fn unwritable(dir: &Path, error: &std::io::Error) -> TrainError {
    // tempfile wraps the system's error in one that appends the temporary path (and hides the
    // system's code): then the error's kind says it.
    let reason = match (error.raw_os_error(), error.kind()) {
        (Some(code), _) => std::io::Error::from_raw_os_error(code).to_string(),
        (None, std::io::ErrorKind::NotFound) => "no such folder".to_string(),
        (None, kind) => kind.to_string(),
    };
    TrainError::io(
        dir,
        format!("cannot write here ({reason}); choose a folder you can write to"),
    )
}

/// A run directory being built: files go into a hidden staging directory, which
/// [`StagedDir::commit`] renames to its final name. Dropped without a commit, it is removed.
/// Every one in progress is also listed for [`abandon_staged`], which a process that must quit
/// at once (a second Ctrl-C, SIGTERM) calls where no destructor will run.
pub struct StagedDir {
    place: Place,
    committed: bool,
    /// A whole run (not a checkpoint inside one): its commit is listed as finished.
    run: bool,
}

/// Where a staging directory is, and the name it is committed under.
#[derive(Clone, PartialEq)]
struct Place {
    staging: PathBuf,
    parent: PathBuf,
    name: String,
}

/// Locks a list, poisoned or not: a panic while holding it leaves a plain list behind.
fn locked<T>(list: &'static std::sync::Mutex<T>) -> std::sync::MutexGuard<'static, T> {
    list.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The staging directories in progress, oldest first.
static LIVE: std::sync::Mutex<Vec<Place>> = std::sync::Mutex::new(Vec::new());

/// The runs committed by this process.
static FINISHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Held by every stretch of the training thread that changes a run's files (staging the run
/// and its config, one checkpoint, the finished run's files up to its commit), and by
/// [`abandon_staged`] for good: a signal never cuts such a stretch in half, and once it has
/// acted nothing writes again before the process quits.
static WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Enters a stretch of writes that a signal must not cut (see [`WRITES`]); it ends when the
/// guard is dropped.
pub fn writing() -> std::sync::MutexGuard<'static, ()> {
    locked(&WRITES)
}

/// What [`abandon_staged`] left: runs kept for `--resume`, and runs this process had already
/// finished.
#[derive(Debug, Default)]
pub struct Abandoned {
    /// Unfinished runs with resumable checkpoints, renamed into place.
    pub kept: Vec<PathBuf>,
    /// Runs committed before the signal was acted on.
    pub finished: Vec<PathBuf>,
}

/// For a process about to quit without unwinding: waits for the stretch of writes in progress
/// to end, stops any other from starting, then removes every staging directory in progress,
/// except a run that has resumable checkpoints, which is renamed into place. The caller quits.
pub fn abandon_staged() -> Abandoned {
    // Never released: the process is about to exit, and nothing may write until it does.
    std::mem::forget(writing());
    let mut live = locked(&LIVE);
    let mut kept = Vec::new();
    // Newest first: a checkpoint's staging directory lies inside its run's.
    while let Some(entry) = live.pop() {
        if crate::checkpoint::resumable(&entry.staging) {
            let target = free_name(&entry.parent, &entry.name);
            if std::fs::rename(&entry.staging, &target).is_ok() {
                kept.push(target);
                continue;
            }
        }
        let _ = std::fs::remove_dir_all(&entry.staging);
    }
    Abandoned {
        kept,
        finished: locked(&FINISHED).clone(),
    }
}

/// `<parent>/<name>`, or `<name>-2`, `-3`, … where that is taken.
fn free_name(parent: &Path, name: &str) -> PathBuf {
    (1..)
        .map(|attempt| match attempt {
            1 => parent.join(name),
            n => parent.join(format!("{name}-{n}")),
        })
        .find(|target| !target.exists())
        .unwrap_or_else(|| parent.join(name))
}

impl StagedDir {
    /// Creates the staging directory `<parent>/.<name>.partial` (and `parent` if needed).
    pub fn create(parent: &Path, name: &str) -> Result<Self, TrainError> {
        std::fs::create_dir_all(parent).map_err(|e| unwritable(parent, &e))?;
        let staging = parent.join(format!(".{name}.partial"));
        let mut live = locked(&LIVE);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| unwritable(parent, &e))?;
        }
        std::fs::create_dir(&staging).map_err(|e| unwritable(parent, &e))?;
        let place = Place {
            staging,
            parent: parent.to_path_buf(),
            name: name.to_string(),
        };
        live.push(place.clone());
        Ok(Self {
            place,
            committed: false,
            run: false,
        })
    }

    /// [`StagedDir::create`] for a whole run, whose commit [`abandon_staged`] reports.
    pub fn create_run(parent: &Path, name: &str) -> Result<Self, TrainError> {
        let mut staged = Self::create(parent, name)?;
        staged.run = true;
        Ok(staged)
    }

    /// Where files go until the commit.
    pub fn path(&self) -> &Path {
        &self.place.staging
    }

    /// Renames the staging directory to `<parent>/<name>` as created, or `<name>-2`, `-3`, …
    /// if taken.
    pub fn commit(mut self) -> Result<PathBuf, TrainError> {
        let mut live = locked(&LIVE);
        live.retain(|l| *l != self.place);
        loop {
            let target = free_name(&self.place.parent, &self.place.name);
            match std::fs::rename(&self.place.staging, &target) {
                Ok(()) => {
                    self.committed = true;
                    if self.run {
                        locked(&FINISHED).push(target.clone());
                    }
                    return Ok(target);
                }
                // Lost a race for this name: take the next free one.
                Err(_) if target.exists() => continue,
                Err(e) => return Err(TrainError::io(&target, e)),
            }
        }
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let mut live = locked(&LIVE);
            live.retain(|l| *l != self.place);
            let _ = std::fs::remove_dir_all(&self.place.staging);
        }
    }
}

/// UTC time as `YYYYMMDD-HHMMSS`, for run directory names.
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncommitted_run_leaves_nothing_and_names_never_collide() {
        let root = tempfile::tempdir().expect("tempdir");
        {
            let staged = StagedDir::create(root.path(), "run").expect("stage");
            std::fs::write(staged.path().join("f"), "x").expect("write");
        }
        assert_eq!(std::fs::read_dir(root.path()).expect("ls").count(), 0);
        let a = StagedDir::create(root.path(), "run")
            .expect("stage")
            .commit()
            .expect("commit");
        let b = StagedDir::create(root.path(), "run")
            .expect("stage")
            .commit()
            .expect("commit");
        assert_ne!(a, b);
        assert!(b.ends_with("run-2"));
    }

    #[test]
    fn a_failed_write_leaves_an_existing_file_intact() {
        let root = tempfile::tempdir().expect("tempdir");
        let file = root.path().join("f.txt");
        write_atomic(&file, b"old").expect("write");
        let missing_dir = root.path().join("nope").join("f.txt");
        assert!(write_atomic(&missing_dir, b"new").is_err());
        assert_eq!(std::fs::read(&file).expect("read"), b"old");
    }

    #[test]
    fn timestamps_have_the_documented_shape() {
        let t = timestamp();
        assert_eq!(t.len(), 15);
        assert_eq!(&t[8..9], "-");
        assert!(t.starts_with("20"));
    }
}
