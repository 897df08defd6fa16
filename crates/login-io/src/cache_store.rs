//! The token cache on disk: reading, atomic replacement, and the cross-process lock that
//! serialises re-read → refresh → write.
//!
//! Writes go to a temp file in the same directory, are fsynced, then renamed over the target,
//! so a reader (ours, botocore's, the JS SDK's) sees either the old file or the new one, never a
//! torn one, even if the writer is killed. The lock is an advisory `flock` on a sibling
//! `.<name>.lock` file that is never deleted (deleting a lock file lets two processes hold locks
//! on different inodes).
//!
//! Other tools do not write that way: AWS CLI v2 and the JS SDK truncate the file and write it in
//! place, so for a moment a reader can find it empty or cut short. Every cache reader therefore
//! goes through [`CacheStore::read_settled`] (or its async twin): a torn-looking file is re-read
//! with a short bounded backoff, and the caller reads it once more while holding the file's lock
//! before calling it unusable. Only a file that stays torn is reported, as [`TornFile`].

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

/// How long, by default, a reader keeps re-reading a torn-looking file (empty, or JSON cut
/// short) before handing it back as [`SettledRead::Torn`]. A peer's in-place write takes
/// microseconds when the machine is idle and can stall for tens of milliseconds when it is busy.
pub const TORN_READ_WAIT: Duration = Duration::from_millis(250);

/// A directory of login session files.
#[derive(Debug, Clone)]
pub struct CacheStore {
    dir: PathBuf,
    torn_read_wait: Duration,
}

/// What [`CacheStore::read_settled`] found.
#[derive(Debug)]
pub enum SettledRead {
    Missing,
    /// Bytes that do not look like a write in progress: parse them; a parse error now is real.
    Whole(Vec<u8>),
    /// Still empty or cut short after every re-read.
    Torn(TornFile),
}

/// A file that looked torn on every read (its bytes are not kept: they may hold secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornFile {
    /// True when it was empty (or only whitespace), false when its JSON stopped short.
    pub empty: bool,
    /// How many times it was read.
    pub reads: u32,
    /// How long the reads took, backoff included.
    pub waited: Duration,
    /// True when the reads were made with the file's lock held (the last chance to settle).
    pub locked: bool,
}

impl TornFile {
    /// What is wrong with the file, for an error message: what was seen and for how long. It
    /// never suggests the person did something wrong; a write cut off part-way leaves this.
    pub fn describe(&self) -> String {
        let what = if self.empty {
            "the file is empty"
        } else {
            "the file's JSON stops part-way through (a write to it was cut off)"
        };
        format!(
            "{what}, and stayed so while it was re-read {} times over {} ms{}",
            self.reads,
            self.waited.as_millis(),
            if self.locked {
                " with the session lock held"
            } else {
                ""
            }
        )
    }

    /// The same, marked as read with the lock held.
    pub fn under_lock(self) -> Self {
        TornFile {
            locked: true,
            ..self
        }
    }
}

/// Whether `bytes` look like a cache file caught in the middle of an in-place write: empty
/// (truncated, nothing written yet) or JSON that ends early (written in part). Bytes that are
/// wrong in any other way (bad syntax, trailing data, wrong fields) are not a write in progress.
pub fn looks_torn(bytes: &[u8]) -> Option<TornKind> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some(TornKind::Empty);
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Err(e) if e.is_eof() => Some(TornKind::CutShort),
        _ => None,
    }
}

/// The two shapes of a torn file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornKind {
    Empty,
    CutShort,
}

/// The state of one settling read: the pauses between re-reads of a torn-looking file start at
/// 2 ms and double, all of them together within the budget.
#[derive(Debug)]
struct Settling {
    started: Instant,
    reads: u32,
    left: Duration,
    next_pause: Duration,
}

impl Settling {
    fn new(budget: Duration) -> Self {
        Settling {
            started: Instant::now(),
            reads: 0,
            left: budget,
            next_pause: Duration::from_millis(2),
        }
    }

    fn next_pause(&mut self) -> Option<Duration> {
        if self.left.is_zero() {
            return None;
        }
        let pause = self.next_pause.min(self.left);
        self.left -= pause;
        self.next_pause *= 2;
        Some(pause)
    }

    /// Looks at one read; `Err(pause)` means: wait that long and read again.
    fn step(
        &mut self,
        path: &Path,
        read: io::Result<CacheRead>,
    ) -> Result<io::Result<SettledRead>, Duration> {
        self.reads += 1;
        let bytes = match read {
            Ok(CacheRead::Found(bytes)) => bytes,
            Ok(CacheRead::Missing) => return Ok(Ok(SettledRead::Missing)),
            Err(e) => return Ok(Err(e)),
        };
        let Some(kind) = looks_torn(&bytes) else {
            if self.reads > 1 {
                tracing::debug!(path = %path.display(), reads = self.reads, waited_ms = self.started.elapsed().as_millis() as u64, "a torn cache file settled (another tool was writing it in place)");
            }
            return Ok(Ok(SettledRead::Whole(bytes)));
        };
        drop(bytes);
        match self.next_pause() {
            Some(pause) => Err(pause),
            None => Ok(Ok(SettledRead::Torn(TornFile {
                empty: kind == TornKind::Empty,
                reads: self.reads,
                waited: self.started.elapsed(),
                locked: false,
            }))),
        }
    }
}

/// What reading a cache file found.
#[derive(Debug)]
pub enum CacheRead {
    Missing,
    Found(Vec<u8>),
}

impl CacheStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CacheStore {
            dir: dir.into(),
            torn_read_wait: TORN_READ_WAIT,
        }
    }

    /// Sets how long [`CacheStore::read_settled`] re-reads a torn-looking file
    /// (default [`TORN_READ_WAIT`]; zero reads once).
    pub fn with_torn_read_wait(mut self, wait: Duration) -> Self {
        self.torn_read_wait = wait;
        self
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

    /// Reads a cache file that other tools may be rewriting in place: while it looks torn
    /// (empty, or JSON cut short) it is re-read with a short backoff, for at most the store's
    /// torn-read wait. Blocks the thread while it waits; async callers use
    /// [`CacheStore::read_settled_async`].
    ///
    /// The rule for every cache reader: on [`SettledRead::Torn`], take the file's
    /// [`CacheStore::lock`] and read it once more this way; only a file still torn then is
    /// unusable (report it with [`TornFile::describe`]).
    pub fn read_settled(&self, path: &Path) -> io::Result<SettledRead> {
        let mut settling = Settling::new(self.torn_read_wait);
        loop {
            match settling.step(path, self.read(path)) {
                Ok(done) => return done,
                Err(pause) => std::thread::sleep(pause),
            }
        }
    }

    /// [`CacheStore::read_settled`] for async callers: the same reads, with async sleeps.
    pub async fn read_settled_async(&self, path: &Path) -> io::Result<SettledRead> {
        let mut settling = Settling::new(self.torn_read_wait);
        loop {
            match settling.step(path, self.read(path)) {
                Ok(done) => return done,
                Err(pause) => tokio::time::sleep(pause).await,
            }
        }
    }

    /// The whole torn-read rule in one call, for readers that would not take the lock anyway
    /// (status, `logout --all`): [`CacheStore::read_settled_async`]; if still torn, the same
    /// again holding the file's lock. When the lock cannot be had within `lock_timeout`, the
    /// first result stands.
    pub async fn read_untorn(
        &self,
        path: &Path,
        lock_timeout: Duration,
    ) -> io::Result<SettledRead> {
        match self.read_settled_async(path).await? {
            SettledRead::Torn(first) => match self.lock(path, lock_timeout).await {
                Ok(_lock) => Ok(match self.read_settled_async(path).await? {
                    SettledRead::Torn(torn) => SettledRead::Torn(torn.under_lock()),
                    settled => settled,
                }),
                Err(e) => {
                    tracing::debug!(error = %e, "cannot take the lock to re-read a torn cache file");
                    Ok(SettledRead::Torn(first))
                }
            },
            settled => Ok(settled),
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

    #[test]
    fn torn_looking_files_are_empty_or_cut_short_json() {
        let whole = br#"{"accessToken": {"accessKeyId": "ASIA"}, "refreshToken": "r"}"#;
        assert_eq!(looks_torn(b""), Some(TornKind::Empty));
        assert_eq!(looks_torn(b" \n\t"), Some(TornKind::Empty));
        for cut in 1..whole.len() {
            assert_eq!(
                looks_torn(&whole[..cut]),
                Some(TornKind::CutShort),
                "{}",
                String::from_utf8_lossy(&whole[..cut])
            );
        }
        assert_eq!(looks_torn(whole), None);
        // Wrong in ways an in-place write in progress never is: not torn, reported at once.
        for bytes in [
            &b"not json"[..],
            b"{\"a\": 1}}",
            b"{\"a\": 1} trailing",
            b"[1, 2]",
            b"{\"a\" 1}",
            b"\xff\xfe{",
        ] {
            assert_eq!(
                looks_torn(bytes),
                None,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn pauses_double_within_the_budget() {
        let mut settling = Settling::new(Duration::from_millis(100));
        let pauses: Vec<u128> = std::iter::from_fn(|| settling.next_pause())
            .map(|p| p.as_millis())
            .collect();
        assert_eq!(pauses, [2, 4, 8, 16, 32, 38]);
        assert_eq!(Settling::new(Duration::ZERO).next_pause(), None);
    }

    /// Writes `contents` in place the way AWS CLI v2 and the JS SDK do (truncate, then write),
    /// in `pieces` parts with `pause` between them.
    fn write_in_place_slowly(path: &Path, contents: &[u8], pieces: usize, pause: Duration) {
        let mut file = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .unwrap();
        for chunk in contents.chunks(contents.len().div_ceil(pieces)) {
            std::thread::sleep(pause);
            file.write_all(chunk).unwrap();
            file.flush().unwrap();
        }
    }

    #[test]
    fn a_file_written_in_place_in_pieces_is_read_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let store = CacheStore::new(tmp.path()).with_torn_read_wait(Duration::from_secs(5));
        let path = store.path_of("s.json");
        let old = br#"{"refreshToken": "old", "padding": "xxxxxxxxxxxxxxxxxxxxxxxx"}"#;
        let new = br#"{"refreshToken": "new", "padding": "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}"#;
        fs::write(&path, old).unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                write_in_place_slowly(&path, new, 6, Duration::from_millis(15))
            })
        };
        // Read until the writer is done; every read is either the old or the new file, whole.
        let mut seen_new = false;
        while !seen_new {
            match store.read_settled(&path).unwrap() {
                SettledRead::Whole(bytes) if bytes == old => {}
                SettledRead::Whole(bytes) if bytes == new => seen_new = true,
                other => panic!("a torn read escaped: {other:?}"),
            }
        }
        writer.join().unwrap();
    }

    #[test]
    fn a_file_that_stays_torn_is_reported_after_the_wait_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let wait = Duration::from_millis(40);
        let store = CacheStore::new(tmp.path()).with_torn_read_wait(wait);
        let path = store.path_of("s.json");
        for (bytes, empty) in [(&b""[..], true), (b"{\"refreshToken\": \"ASOR", false)] {
            fs::write(&path, bytes).unwrap();
            let SettledRead::Torn(torn) = store.read_settled(&path).unwrap() else {
                panic!("torn expected")
            };
            assert_eq!(torn.empty, empty);
            assert!(!torn.locked);
            assert!(torn.reads > 2 && torn.waited >= wait, "{torn:?}");
            assert_eq!(fs::read(&path).unwrap(), bytes, "file untouched");
            let text = torn.clone().under_lock().describe();
            assert!(
                text.contains(&format!("re-read {} times", torn.reads))
                    && text.ends_with("with the session lock held"),
                "{text}"
            );
            assert!(
                !text.contains("ASOR"),
                "no file content in messages: {text}"
            );
        }
        // Missing files and other damage are answered at once.
        fs::write(&path, b"garbage").unwrap();
        assert!(
            matches!(store.read_settled(&path).unwrap(), SettledRead::Whole(b) if b == b"garbage")
        );
        fs::remove_file(&path).unwrap();
        assert!(matches!(
            store.read_settled(&path).unwrap(),
            SettledRead::Missing
        ));
        // Zero wait: one read.
        fs::write(&path, b"").unwrap();
        let store = store.with_torn_read_wait(Duration::ZERO);
        let SettledRead::Torn(torn) = store.read_settled(&path).unwrap() else {
            panic!("torn expected")
        };
        assert_eq!(torn.reads, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_slower_than_the_wait_is_read_whole_under_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let wait = Duration::from_millis(30);
        let store = CacheStore::new(tmp.path()).with_torn_read_wait(wait);
        let path = store.path_of("s.json");
        let new = br#"{"refreshToken": "new"}"#;
        fs::write(&path, b"").unwrap();
        // A writer that holds the session lock (as another process would) keeps the file empty
        // for longer than the wait, then finishes and lets go.
        let lock = open_lock_file(&lock_path(&path)).unwrap();
        assert!(lock.try_lock_exclusive().unwrap());
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                std::thread::sleep(wait * 4);
                fs::write(&path, new).unwrap();
                FileExt::unlock(&lock).unwrap();
            })
        };
        let read = store
            .read_untorn(&path, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(
            matches!(read, SettledRead::Whole(ref b) if b == new),
            "{read:?}"
        );
        writer.join().unwrap();

        // Still empty under the lock: reported, marked as read with the lock held.
        fs::write(&path, b"").unwrap();
        let read = store.read_untorn(&path, Duration::from_secs(30)).await;
        let Ok(SettledRead::Torn(torn)) = read else {
            panic!("torn expected: {read:?}")
        };
        assert!(torn.locked && torn.empty, "{torn:?}");
    }
}
