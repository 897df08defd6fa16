//! Faults end to end: the real `aws-login` binary against the real signin-mock over loopback,
//! with the mock's fault knobs (429/500 bursts, dropped connections, truncated bodies, stalls, a
//! skewed clock, revoked sessions, a changed password) and hostile local state (a read-only
//! cache directory, a cache file of another user, a config that is a directory, a symlinked cache
//! directory). Each test pins what the user sees (stdout, stderr), the exit code, and that
//! nothing was lost: the cache file is byte for byte what it was wherever it should be, and a
//! new one reads back wherever a refresh went through. The README's faults table lists them.
//!
//! Stalls use `AWS_LOGIN_HTTP_TIMEOUT` (a fraction of a second) instead of waiting out the
//! default 20 s per attempt; what is shown is the same.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use login_core::CacheEntry;
use signin_mock::{FaultPlan, FaultTarget};
use support::{Sandbox, Session};

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");
/// Inside the five-minute refresh window, so a refresh is attempted, but still valid.
const STILL_VALID: i64 = 120;
const EXPIRED: i64 = -1;

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn access_key_id(&self) -> String {
        let json: serde_json::Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not credential_process JSON ({e}): {self:?}"));
        json["AccessKeyId"]
            .as_str()
            .expect("AccessKeyId")
            .to_owned()
    }
}

fn run(command: &mut Command) -> Run {
    let out = command.output().expect("aws-login runs");
    // Shown with --nocapture: what the user sees, for the README's faults table.
    eprintln!(
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn export(sandbox: &Sandbox) -> Command {
    let mut command = sandbox.command(AWS_LOGIN);
    command
        .args(["export-credentials", "--profile", "dev"])
        .env("AWS_LOGIN_HTTP_TIMEOUT", "0.5");
    command
}

/// A logged-in `dev` profile whose credentials have `seconds_left`, and the cache bytes then.
fn session(sandbox: &Sandbox, seconds_left: i64) -> (Session, Vec<u8>, String) {
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, seconds_left);
    let bytes = std::fs::read(&session.cache_file).unwrap();
    let key = CacheEntry::from_json(&bytes)
        .unwrap()
        .access_token
        .access_key_id;
    (session, bytes, key)
}

fn faults(sandbox: &Sandbox, plan: FaultPlan) {
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            ..plan
        })
        .unwrap();
}

/// The cache holds a new session that reads back and carries the credentials printed.
fn assert_refreshed(session: &Session, old: &[u8], printed_key: &str) {
    let bytes = std::fs::read(&session.cache_file).unwrap();
    assert_ne!(bytes, old, "the cache was not rewritten");
    let new = CacheEntry::from_json(&bytes).expect("the new cache file reads back");
    let old = CacheEntry::from_json(old).unwrap();
    assert_eq!(new.access_token.access_key_id, printed_key);
    assert_ne!(new.refresh_token.expose(), old.refresh_token.expose());
    assert_eq!(new.dpop_key.expose(), old.dpop_key.expose());
    assert_eq!(new.access_token.account_id, old.access_token.account_id);
}

fn assert_unchanged(session: &Session, old: &[u8]) {
    let bytes = std::fs::read(&session.cache_file).expect("the cache file is still there");
    assert_eq!(bytes, old, "the cache file changed");
    assert_no_temp_files(session.cache_file.parent().unwrap());
}

fn assert_no_temp_files(dir: &Path) {
    let temps: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temp files left: {temps:?}");
}

// ---------------------------------------------------------------- service faults

#[test]
fn a_429_burst_is_retried_and_the_refresh_goes_through() {
    let sandbox = Sandbox::new();
    let (session, old, old_key) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            error_status: Some(429),
            error_count: 2,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "{out:?}");
    let key = out.access_key_id();
    assert_ne!(key, old_key);
    assert_refreshed(&session, &old, &key);
    assert_eq!(sandbox.mock.stats().token_outcome("refresh_token", "ok"), 1);
}

#[test]
fn a_429_burst_longer_than_the_retries_fails_with_the_cache_kept() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            error_status: Some(429),
            error_count: 50,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(7), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        out.stderr.to_lowercase().contains("throttl"),
        "the message names the throttling: {out:?}"
    );
    assert_unchanged(&session, &old);
}

#[test]
fn a_429_burst_with_credentials_left_prints_them_with_a_warning() {
    let sandbox = Sandbox::new();
    let (session, old, old_key) = session(&sandbox, STILL_VALID);
    faults(
        &sandbox,
        FaultPlan {
            error_status: Some(429),
            error_count: 50,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.access_key_id(), old_key);
    assert!(out.stderr.contains("aws-login: warning:"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn a_500_burst_is_retried_and_the_refresh_goes_through() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            error_status: Some(500),
            error_count: 2,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_refreshed(&session, &old, &out.access_key_id());
}

#[test]
fn a_500_burst_longer_than_the_retries_fails_with_the_cache_kept() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            error_status: Some(500),
            error_count: 50,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(7), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("500"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn dropped_connections_are_retried_and_the_refresh_goes_through() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            drop_count: 2,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_refreshed(&session, &old, &out.access_key_id());
}

#[test]
fn connections_dropped_every_time_fail_as_a_network_error_with_the_cache_kept() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            drop_count: 50,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert!(out.stdout.is_empty());
    assert_unchanged(&session, &old);
}

#[test]
fn a_truncated_token_response_fails_without_touching_the_cache() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            malformed_count: 50,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(7), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("JSON"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn a_truncated_token_response_with_credentials_left_prints_them_with_a_warning() {
    let sandbox = Sandbox::new();
    let (session, old, old_key) = session(&sandbox, STILL_VALID);
    faults(
        &sandbox,
        FaultPlan {
            malformed_count: 50,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.access_key_id(), old_key);
    assert!(out.stderr.contains("aws-login: warning:"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn a_stalled_service_times_out_and_the_still_valid_credentials_come_with_a_warning() {
    let sandbox = Sandbox::new();
    let (session, old, old_key) = session(&sandbox, STILL_VALID);
    faults(
        &sandbox,
        FaultPlan {
            latency_ms: 30_000,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.access_key_id(), old_key);
    assert!(out.stderr.contains("aws-login: warning:"), "{out:?}");
    assert!(out.stderr.contains("timed out"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn a_stalled_service_with_expired_credentials_fails_as_a_network_error() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    faults(
        &sandbox,
        FaultPlan {
            latency_ms: 30_000,
            ..Default::default()
        },
    );
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("timed out"), "{out:?}");
    assert_unchanged(&session, &old);
}

fn refresh_with_server_clock_offset(offset_secs: i64) {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    sandbox.mock.set_clock_offset(offset_secs);
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(0), "clock {offset_secs:+} s: {out:?}");
    assert_refreshed(&session, &old, &out.access_key_id());
    assert_eq!(sandbox.mock.stats().token_outcome("refresh_token", "ok"), 1);
}

#[test]
fn a_server_clock_ten_minutes_ahead_is_followed_from_its_date_header() {
    refresh_with_server_clock_offset(600);
}

#[test]
fn a_server_clock_ten_minutes_behind_is_followed_from_its_date_header() {
    refresh_with_server_clock_offset(-600);
}

#[test]
fn a_session_revoked_mid_way_asks_for_a_new_login_and_keeps_the_cache() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    sandbox.mock.expire_sessions();
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("aws-login login"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn a_changed_password_asks_for_a_new_login_and_keeps_the_cache() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    sandbox.mock.set_password_changed("alice").unwrap();
    let out = run(&mut export(&sandbox));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("aws-login login"), "{out:?}");
    assert_unchanged(&session, &old);
}

// ---------------------------------------------------------------- local faults

/// True when these tests run as root, where permissions do not stop the process: the tests
/// that need them then run `aws-login` as `nobody` (setpriv) on a sandbox owned by `nobody`.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        == 0
}

const NOBODY: u32 = 65534;

/// `aws-login` as an ordinary user: as root, `nobody` owning the sandbox; otherwise ourselves.
fn as_user(sandbox: &Sandbox, mut command: Command) -> Command {
    if !running_as_root() {
        return command;
    }
    chown_tree(sandbox.dir.path(), NOBODY);
    std::fs::set_permissions(sandbox.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut wrapped = sandbox.command("setpriv");
    wrapped.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        command.get_program().to_str().unwrap(),
    ]);
    wrapped.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    command = wrapped;
    command
}

fn chown_tree(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            chown_tree(&entry.path(), uid);
        }
    }
}

#[test]
fn a_read_only_cache_directory_fails_the_refresh_and_keeps_the_cache() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    let mut command = as_user(&sandbox, export(&sandbox));
    std::fs::set_permissions(&sandbox.cache_dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = run(&mut command);
    std::fs::set_permissions(&sandbox.cache_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(out.code, Some(8), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains(&sandbox.cache_dir.display().to_string()),
        "the message names the directory: {out:?}"
    );
    assert_unchanged(&session, &old);
}

#[test]
fn a_read_only_cache_directory_with_credentials_left_prints_them_with_a_warning() {
    let sandbox = Sandbox::new();
    let (session, old, old_key) = session(&sandbox, STILL_VALID);
    let mut command = as_user(&sandbox, export(&sandbox));
    std::fs::set_permissions(&sandbox.cache_dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = run(&mut command);
    std::fs::set_permissions(&sandbox.cache_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.access_key_id(), old_key);
    assert!(out.stderr.contains("aws-login: warning:"), "{out:?}");
    assert_unchanged(&session, &old);
}

#[test]
fn a_cache_file_of_another_user_is_refused_and_left_alone() {
    if !running_as_root() {
        eprintln!("not run: making a file of another user needs root (CI runs this as root)");
        return;
    }
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    let mut command = as_user(&sandbox, export(&sandbox));
    // Another user's session file: root's, mode 0600, in nobody's cache directory.
    std::os::unix::fs::chown(&session.cache_file, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&session.cache_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&mut command);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains(&session.cache_file.display().to_string()),
        "the message names the file: {out:?}"
    );
    assert_unchanged(&session, &old);
    assert_eq!(std::fs::metadata(&session.cache_file).unwrap().uid(), 0);
}

#[test]
fn a_config_that_is_a_directory_is_a_configuration_error() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, STILL_VALID);
    let config_dir = sandbox.dir.path().join("config-dir");
    std::fs::create_dir(&config_dir).unwrap();
    let out = run(export(&sandbox).env("AWS_CONFIG_FILE", &config_dir));
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(&config_dir.display().to_string()),
        "the message names the path: {out:?}"
    );
    assert!(config_dir.is_dir());
    assert_unchanged(&session, &old);
}

#[test]
fn a_symlinked_cache_directory_is_refreshed_through_and_stays_a_symlink() {
    let sandbox = Sandbox::new();
    let (session, old, _) = session(&sandbox, EXPIRED);
    let link = sandbox.dir.path().join("cache-link");
    std::os::unix::fs::symlink(&sandbox.cache_dir, &link).unwrap();
    let out = run(export(&sandbox).env("AWS_LOGIN_CACHE_DIRECTORY", &link));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_refreshed(&session, &old, &out.access_key_id());
    assert_no_temp_files(&sandbox.cache_dir);
}
