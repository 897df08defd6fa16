//! Reading a cache file while another tool rewrites it in place (truncate, then write, as AWS
//! CLI v2 and the JS SDK do): no read fails because it caught the file empty or half-written, and
//! a file that stays broken is still the clear "sign in again" error, left untouched.
//!
//! The racing writer here is deliberately slow (the file in six pieces, 2 ms apart, again every
//! 20 ms); the race
//! against the real JS SDK refresher is `crates/login-cli/tests/torn_reads.rs`.

mod support;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use login_io::cache_store::looks_torn;
use login_io::{
    logout_all, resolve_credentials, resolve_credentials_blocking, session_status, ErrorKind,
    ResolveOptions, SessionHealth,
};
use support::Sandbox;

/// Truncates `path` and writes `contents` into it in `pieces` parts, `pause` apart.
fn write_in_place(path: &Path, contents: &[u8], pieces: usize, pause: Duration) {
    let file = truncate(path);
    write_pieces(file, contents, pieces, pause);
}

fn truncate(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap()
}

fn write_pieces(mut file: std::fs::File, contents: &[u8], pieces: usize, pause: Duration) {
    for chunk in contents.chunks(contents.len().div_ceil(pieces)) {
        std::thread::sleep(pause);
        file.write_all(chunk).unwrap();
    }
}

/// [`write_in_place`] in a thread, returning once the file has been truncated (however late the
/// thread starts under load), so the caller's read surely meets a file being written.
fn rewrite_in_background(
    path: &Path,
    contents: &[u8],
    pieces: usize,
    pause: Duration,
) -> std::thread::JoinHandle<()> {
    let (path, contents) = (path.to_path_buf(), contents.to_vec());
    let (truncated, wait) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let file = truncate(&path);
        truncated.send(()).unwrap();
        write_pieces(file, &contents, pieces, pause);
    });
    wait.recv().unwrap();
    writer
}

/// A thread rewriting `path` with `contents` in place `rewrites` times, slowly (12 ms torn each
/// time), leaving it whole for 20 ms in between (a real refresher leaves it whole far longer: it
/// makes an HTTPS call first); sets `stop` when done.
fn slow_writer(
    path: &Path,
    contents: Vec<u8>,
    rewrites: usize,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        for _ in 0..rewrites {
            write_in_place(&path, &contents, 6, Duration::from_millis(2));
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
    })
}

#[test]
fn reads_racing_a_slow_in_place_writer_never_fail() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let good = std::fs::read(&session.cache_file).unwrap();
    let key = sandbox.read_cache(&session)["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_string();

    const REWRITES: usize = 60;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = slow_writer(&session.cache_file, good.clone(), REWRITES, stop.clone());
    // A plain reader alongside, to show the race is real: it counts the torn states it sees.
    let torn_seen = Arc::new(AtomicU64::new(0));
    let observer = {
        let (path, stop, torn_seen) = (session.cache_file.clone(), stop.clone(), torn_seen.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if std::fs::read(&path).is_ok_and(|b| looks_torn(&b).is_some()) {
                    torn_seen.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };

    // Three blocking readers and one async reader (the entry points follow the same rule),
    // reading until the writer is done.
    let (reads, failures) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let count = |result: Result<login_io::ResolvedCredentials, login_io::LoginIoError>| {
        reads.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(creds) => assert_eq!(creds.access_key_id(), key),
            Err(e) => {
                eprintln!("failed read: {e}");
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let options = sandbox.options("dev");
                while !stop.load(Ordering::Relaxed) {
                    count(resolve_credentials_blocking(&options));
                }
            });
        }
        scope.spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let options = sandbox.options("dev");
            while !stop.load(Ordering::Relaxed) {
                count(runtime.block_on(resolve_credentials(&options)));
            }
        });
    });
    writer.join().unwrap();
    observer.join().unwrap();

    let (reads, failures, torn_seen) = (
        reads.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
        torn_seen.load(Ordering::Relaxed),
    );
    eprintln!(
        "{reads} reads racing {REWRITES} slow in-place rewrites: {failures} failed; a plain \
         reader saw the file torn {torn_seen} times"
    );
    assert_eq!(
        failures, 0,
        "reads failed while the file was being rewritten"
    );
    assert!(
        torn_seen > 0,
        "the writer never left the file torn: the race did not happen"
    );
    assert_eq!(
        sandbox.refresh_calls(),
        0,
        "a torn read is not a reason to refresh"
    );
}

#[test]
fn status_and_logout_all_wait_for_a_file_being_written() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let good = std::fs::read(&session.cache_file).unwrap();
    let options = sandbox.options("dev");

    // The file is mid-write for 60 ms: status still sees a healthy session.
    let writer = rewrite_in_background(&session.cache_file, &good, 4, Duration::from_millis(15));
    let status = session_status(&options).unwrap();
    assert!(
        matches!(status.health, SessionHealth::Active { .. }),
        "{:?}",
        status.health
    );
    writer.join().unwrap();

    // logout --all must not mistake a session file caught mid-write for someone else's file.
    let writer = rewrite_in_background(&session.cache_file, &good, 4, Duration::from_millis(15));
    let done = logout_all(&options).unwrap();
    writer.join().unwrap();
    assert_eq!(done.removed, 1, "{done:?}");
}

#[test]
fn a_file_that_stays_torn_is_reported_without_blame_and_left_alone() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let good = std::fs::read(&session.cache_file).unwrap();
    let options = ResolveOptions {
        torn_read_wait: Duration::from_millis(30),
        ..sandbox.options("dev")
    };
    for (name, bytes, says) in [
        ("empty", &b""[..], "the file is empty"),
        (
            "cut short",
            &good[..good.len() / 3],
            "stops part-way through",
        ),
    ] {
        std::fs::write(&session.cache_file, bytes).unwrap();
        let err = resolve_credentials_blocking(&options).expect_err(name);
        let text = err.to_string();
        assert_eq!(err.kind(), ErrorKind::CacheCorrupt, "{name}: {text}");
        assert!(text.contains(says), "{name}: {text}");
        assert!(
            text.contains("stayed so while it was re-read"),
            "{name}: {text}"
        );
        assert!(
            text.contains("with the session lock held"),
            "{name}: {text}"
        );
        assert!(
            text.contains("aws-login login --profile dev"),
            "{name}: {text}"
        );
        assert!(
            text.contains("The file was left as it is"),
            "{name}: {text}"
        );
        assert!(
            !text.contains("ASOR") && !text.contains("PRIVATE KEY"),
            "no secrets: {text}"
        );
        assert_eq!(
            std::fs::read(&session.cache_file).unwrap(),
            bytes,
            "{name}: untouched"
        );

        let status = session_status(&options).unwrap();
        let SessionHealth::Unusable { detail } = status.health else {
            panic!("{name}: {:?}", status.health)
        };
        assert!(detail.contains(says), "{name}: {detail}");
    }
    assert_eq!(sandbox.refresh_calls(), 0);
}
