//! Atomic writes. A file is written beside its destination and renamed over it, and a run
//! directory is built under a hidden staging name and renamed into place when complete, so a
//! crash or a failed run never leaves a half-written file or run behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::TrainError;

/// Writes `bytes` to `path` atomically (temporary file + rename in the same directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    write_atomic_with(path, &mut |out| {
        out.write_all(bytes)
            .map_err(|e| TrainError::write(path, &e))
    })
}

/// [`write_atomic`] for content written piece by piece: `write` fills a buffered temporary
/// file beside `path`, which replaces `path` only once `write` has succeeded. A failure to
/// write the temporary file is reported as `path`'s, whatever `write` made of it (a CSV writer
/// would name the file it was reading from).
pub fn write_atomic_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    match std::fs::metadata(path) {
        // A device, pipe or socket (`--output /dev/stdout`) is written through: renaming a file
        // over it would replace it.
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| TrainError::write(path, &e))?;
            let mut out = Watched::new(std::io::BufWriter::new(file));
            let written =
                write(&mut out).and_then(|()| out.flush().map_err(|e| TrainError::write(path, &e)));
            return match &out.failed {
                Some(e) => Err(TrainError::write(path, e)),
                None => written,
            };
        }
        // A link to a file: the file it points to is replaced, and the link kept.
        Ok(_) if path.is_symlink() => {
            let target = path
                .canonicalize()
                .map_err(|e| TrainError::write(path, &e))?;
            return write_atomic_with(&target, write);
        }
        // A link to nothing yet: the file it names is made. A link to a link to nothing, or
        // a loop of links, is an error (followed, it would never end).
        Err(e) if path.is_symlink() => {
            let target = std::fs::read_link(path).map_err(|e| TrainError::write(path, &e))?;
            let target = path.parent().unwrap_or(Path::new(".")).join(target);
            if e.kind() != std::io::ErrorKind::NotFound || target.is_symlink() {
                return Err(TrainError::Files {
                    path: path.to_path_buf(),
                    reason: format!("a link that leads nowhere one can write ({e})"),
                });
            }
            return write_atomic_with(&target, write);
        }
        _ => {}
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = temporary_file(dir, path).map_err(|e| unwritable(dir, &e))?;
    let mut out = Watched::new(std::io::BufWriter::new(tmp));
    let written = write(&mut out);
    let failed = |e: &std::io::Error| TrainError::write(path, e);
    if let Some(e) = &out.failed {
        return Err(failed(e));
    }
    written?;
    let tmp = out.inner.into_inner().map_err(|e| failed(e.error()))?;
    tmp.as_file().sync_all().map_err(|e| failed(&e))?;
    tmp.persist(path).map_err(|e| failed(&e.error))?;
    Ok(())
}

/// An empty temporary file in `dir`, to be renamed to `path`, with the permissions the file
/// will keep: `path`'s own when it exists (a replaced file keeps its mode), otherwise those of
/// any new file (read-write for all, less the umask). A temporary file's default, owner-only,
/// would leave every file of a run unreadable to the user's group.
fn temporary_file(dir: &Path, path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir)?;
    if let Ok(existing) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(existing.permissions())?;
    }
    Ok(tmp)
}

/// A writer that keeps the first error its inner writer gave, so that the file that failed is
/// named rather than whatever the code writing through it thought it was doing.
struct Watched<W> {
    inner: W,
    failed: Option<std::io::Error>,
}

impl<W: Write> Watched<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            failed: None,
        }
    }

    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        // An interrupted call is retried by the writer, not a failure.
        if let (Err(e), None) = (&result, &self.failed)
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
        result
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(bytes);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

/// For a path inside a staging directory (`<folder>/.<name>.partial/<file>`): the folder the
/// user chose and the file's path within the run (the outermost staging directory's, for a
/// checkpoint staged inside a run being built); `None` for any other path.
pub(crate) fn outside_staging(path: &Path) -> Option<(&Path, &Path)> {
    path.ancestors()
        .skip(1)
        .filter(|dir| {
            dir.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with('.') && name.ends_with(".partial"))
        })
        .last()
        .and_then(|dir| Some((dir.parent()?, path.strip_prefix(dir).ok()?)))
}

/// A folder kiln cannot write into, named as the user gave it: the hidden staging or temporary
/// name inside it (which tempfile's own message adds) means nothing to them.
fn unwritable(dir: &Path, error: &std::io::Error) -> TrainError {
    let full = TrainError::write(dir, error);
    if matches!(full, TrainError::NoSpace { .. }) {
        return full;
    }
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

    /// A writer standing for a full disk.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_is_told_apart_from_other_write_failures() {
        let mut out = Watched::new(Full);
        // What a CSV writer does with the failure is its own affair; the watcher keeps it.
        assert!(out.write_all(b"row").is_err());
        let error = TrainError::write("out.csv", out.failed.as_ref().expect("kept"));
        assert!(
            matches!(&error, TrainError::NoSpace { path, .. } if path == Path::new("out.csv")),
            "{error:?}"
        );
        assert!(error.to_string().contains("free some space"), "{error}");
        // Inside a run being built, the folder the user chose is named, not the staging one.
        let staged = Path::new("out/.run-1.partial/checkpoints/.epoch-2.partial/model.bpk");
        let error = TrainError::write(staged, out.failed.as_ref().expect("kept"));
        assert_eq!(
            error.to_string(),
            "out: no storage space (writing the run's checkpoints/.epoch-2.partial/model.bpk); \
             free some space there and run again"
        );
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(matches!(
            TrainError::write("out.csv", &denied),
            TrainError::Files { .. }
        ));
    }

    #[cfg(unix)]
    #[test]
    fn written_files_have_a_new_files_permissions_and_replaced_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let root = tempfile::tempdir().expect("tempdir");
        // What any program's new file gets under the process's umask.
        let plain = root.path().join("plain");
        std::fs::write(&plain, b"x").expect("write");
        let fresh = root.path().join("fresh.json");
        write_atomic(&fresh, b"{}").expect("write");
        assert_eq!(mode(&fresh), mode(&plain));
        let kept = root.path().join("kept.csv");
        std::fs::write(&kept, b"old").expect("write");
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&kept, b"new").expect("write");
        assert_eq!(mode(&kept), 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_keeps_pointing_at_the_file_it_replaces_and_a_pipe_is_written_through() {
        let root = tempfile::tempdir().expect("tempdir");
        let file = root.path().join("real.csv");
        std::fs::write(&file, b"old").expect("write");
        let link = root.path().join("link.csv");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        write_atomic(&link, b"new").expect("write");
        assert!(link.is_symlink());
        assert_eq!(std::fs::read(&file).expect("read"), b"new");
        // A link whose file does not exist yet makes that file.
        let dangling = root.path().join("dangling.csv");
        std::os::unix::fs::symlink("made.csv", &dangling).expect("symlink");
        write_atomic(&dangling, b"rows").expect("write");
        assert!(dangling.is_symlink());
        assert_eq!(
            std::fs::read(root.path().join("made.csv")).expect("read"),
            b"rows"
        );
        // A link to itself is an error, not endless following (it overflowed the stack).
        let looped = root.path().join("loop.csv");
        std::os::unix::fs::symlink("loop.csv", &looped).expect("symlink");
        assert!(write_atomic(&looped, b"rows").is_err());
        assert!(looped.is_symlink());
        // A pipe stays a pipe, and gets the bytes (as root, `--output /dev/stdout` or /dev/null
        // became a regular file).
        let fifo = root.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).expect("read the pipe"))
        };
        write_atomic(&fifo, b"rows").expect("write");
        assert_eq!(reader.join().expect("reader"), b"rows");
        assert!(!std::fs::metadata(&fifo).expect("metadata").is_file());
    }

    #[test]
    fn timestamps_have_the_documented_shape() {
        let t = timestamp();
        assert_eq!(t.len(), 15);
        assert_eq!(&t[8..9], "-");
        assert!(t.starts_with("20"));
    }
}
