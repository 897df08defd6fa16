//! The token cache on disk: reading, atomic replacement, and the cross-process lock that
//! serialises re-read → refresh → write.
//!
//! Writes go to a temp file in the same directory, are fsynced, then renamed over the target,
//! so a reader (ours, botocore's, the JS SDK's) sees either the old file or the new one, never a
//! torn one, even if the writer is killed. The lock is an advisory `flock` on a sibling
//! `.<name>.lock` file that is never deleted (deleting a lock file lets two processes hold locks
//! on different inodes).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

/// A directory of login session files.
#[derive(Debug, Clone)]
pub struct CacheStore {
    dir: PathBuf,
}

/// What reading a cache file found.
#[derive(Debug)]
pub enum CacheRead {
    Missing,
    Found(Vec<u8>),
}

impl CacheStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CacheStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the file for a session, given its file name (`<sha256>.json`).
    pub fn path_of(&self, file_name: &str) -> PathBuf {
        self.dir.join(file_name)
    }

    pub fn read(&self, path: &Path) -> io::Result<CacheRead> {
        match fs::read(path) {
            Ok(bytes) => Ok(CacheRead::Found(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(CacheRead::Missing),
            Err(e) => Err(e),
        }
    }

    /// Creates the cache directory (mode 0700 for every directory it creates).
    pub fn ensure_dir(&self) -> io::Result<()> {
        if self.dir.is_dir() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&self.dir)
    }

    /// Replaces `path` with `contents` atomically: temp file in the same directory (mode 0600),
    /// write, fsync, rename, fsync the directory.
    pub fn write_atomic(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        self.ensure_dir()?;
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("cache.json");
        let temp = self.dir.join(format!(
            ".{file_name}.{}.{:08x}.tmp",
            std::process::id(),
            rand::random::<u32>()
        ));
        let result = (|| {
            let mut file = create_private(&temp)?;
            file.write_all(contents)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, path)?;
            sync_dir(&self.dir);
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }

    /// Removes temp files that writers of `file_name` left behind when they were killed. Call
    /// only while holding that file's lock: then no live writer of ours owns one.
    pub fn sweep_stale_temps(&self, file_name: &str) {
        let prefix = format!(".{file_name}.");
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Deletes a session file; `Ok(false)` when there was none.
    pub fn remove(&self, path: &Path) -> io::Result<bool> {
        match fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The `*.json` files in the directory (none when it does not exist), sorted by name.
    pub fn json_files(&self) -> io::Result<Vec<PathBuf>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Takes the exclusive lock for `path`, polling until `timeout`. Holding the returned guard
    /// also holds an in-process mutex for the same path, so threads of one process queue on the
    /// mutex instead of polling the file lock.
    pub async fn lock(&self, path: &Path, timeout: Duration) -> Result<CacheLock, LockError> {
        let in_process = in_process_mutex(path);
        let deadline = Instant::now() + timeout;
        let guard = match tokio::time::timeout(timeout, in_process.lock_owned()).await {
            Ok(g) => g,
            Err(_) => {
                return Err(LockError::TimedOut {
                    path: lock_path(path),
                    waited: timeout,
                })
            }
        };
        self.ensure_dir().map_err(|source| LockError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let lock_file_path = lock_path(path);
        let file = open_lock_file(&lock_file_path).map_err(|source| LockError::Io {
            path: lock_file_path.clone(),
            source,
        })?;
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock_exclusive() {
                Ok(true) => break,
                Ok(false) => {}
                Err(source) => {
                    return Err(LockError::Io {
                        path: lock_file_path,
                        source,
                    })
                }
            }
            if Instant::now() >= deadline {
                return Err(LockError::TimedOut {
                    path: lock_file_path,
                    waited: timeout,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        Ok(CacheLock {
            file,
            _in_process: guard,
        })
    }
}

/// Holds the cross-process lock (and the in-process mutex) until dropped.
#[derive(Debug)]
pub struct CacheLock {
    file: File,
    _in_process: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        // Closing the file releases the flock too; unlocking first makes it immediate even if
        // the descriptor were inherited by a child.
        let _ = FileExt::unlock(&self.file);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("timed out after {}s waiting for the lock {} (another process is refreshing this session)", waited.as_secs(), path.display())]
    TimedOut { path: PathBuf, waited: Duration },
    #[error("cannot lock {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl LockError {
    /// The lock file concerned.
    pub fn path(&self) -> &Path {
        match self {
            LockError::TimedOut { path, .. } | LockError::Io { path, .. } => path,
        }
    }
}

/// `.<name>.lock` beside the cache file.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("cache.json");
    let stem = name.strip_suffix(".json").unwrap_or(name);
    path.with_file_name(format!(".{stem}.lock"))
}

fn in_process_mutex(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = (u32, HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>);
    static LOCKS: OnceLock<Mutex<Locks>> = OnceLock::new();
    let mut guard = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (owner, map) = &mut *guard;
    // A forked child starts clean: the parent's threads holding these mutexes do not exist here.
    let pid = std::process::id();
    if *owner != pid {
        *owner = pid;
        map.clear();
    }
    map.retain(|_, weak| weak.strong_count() > 0);
    if let Some(existing) = map.get(path).and_then(Weak::upgrade) {
        return existing;
    }
    let fresh = Arc::new(tokio::sync::Mutex::new(()));
    map.insert(path.to_path_buf(), Arc::downgrade(&fresh));
    fresh
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes the rename durable; best effort (not every platform can open a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_creates_private_files_and_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let store = CacheStore::new(tmp.path().join("a/b/cache"));
        let path = store.path_of("x.json");
        store.write_atomic(&path, b"{\"one\":1}").unwrap();
        store.write_atomic(&path, b"{\"two\":2}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"two\":2}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777,
                0o700
            );
            assert_eq!(
                fs::metadata(tmp.path().join("a"))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
        let leftovers: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp files left: {leftovers:?}");
    }

    #[test]
    fn json_files_and_sweep() {
        let tmp = tempfile::tempdir().unwrap();
        let store = CacheStore::new(tmp.path());
        assert!(CacheStore::new(tmp.path().join("none"))
            .json_files()
            .unwrap()
            .is_empty());
        fs::write(tmp.path().join("b.json"), "{}").unwrap();
        fs::write(tmp.path().join("a.json"), "{}").unwrap();
        fs::write(tmp.path().join(".a.lock"), "").unwrap();
        fs::write(tmp.path().join(".a.json.1.0.tmp"), "half").unwrap();
        fs::create_dir(tmp.path().join("d.json")).unwrap();
        let names: Vec<_> = store
            .json_files()
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.json", "b.json"]);
        store.sweep_stale_temps("a.json");
        assert!(!tmp.path().join(".a.json.1.0.tmp").exists());
        assert!(store.remove(&tmp.path().join("a.json")).unwrap());
        assert!(!store.remove(&tmp.path().join("a.json")).unwrap());
    }

    #[test]
    fn lock_path_is_hidden_sibling() {
        assert_eq!(
            lock_path(Path::new("/c/abc.json")),
            PathBuf::from("/c/.abc.lock")
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn lock_is_exclusive_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let store = CacheStore::new(tmp.path());
        let path = store.path_of("s.json");
        let held = store.lock(&path, Duration::from_secs(1)).await.unwrap();
        // A second descriptor in this process conflicts with flock just like another process.
        let other = open_lock_file(&lock_path(&path)).unwrap();
        assert!(!other.try_lock_exclusive().unwrap());
        let err = store
            .lock(&path, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(err, LockError::TimedOut { .. }), "{err}");
        drop(held);
        assert!(other.try_lock_exclusive().unwrap());
        FileExt::unlock(&other).unwrap();
        drop(store.lock(&path, Duration::from_secs(1)).await.unwrap());
    }
}
