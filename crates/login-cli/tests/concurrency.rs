//! Many processes at once: 32 `aws-login` processes resolving the same expiring session make one
//! token request and all get the refreshed credentials; processes SIGKILLed mid-refresh never
//! leave a torn or empty cache file.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::{Child, Stdio};
use std::time::Duration;

use login_core::CacheEntry;
use signin_mock::{FaultPlan, FaultTarget};
use support::Sandbox;

fn spawn_export(sandbox: &Sandbox) -> Child {
    sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(["export-credentials", "--profile", "dev"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aws-login starts")
}

#[test]
fn thirty_two_processes_make_one_token_request() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, 60);
    // A slow token endpoint keeps the first refresher busy while the others arrive.
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            latency_ms: 300,
            ..Default::default()
        })
        .unwrap();

    let children: Vec<Child> = (0..32).map(|_| spawn_export(&sandbox)).collect();
    let mut keys = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("credential_process JSON");
        keys.push(json["AccessKeyId"].as_str().unwrap().to_string());
    }
    assert_eq!(
        sandbox.refresh_calls(),
        1,
        "exactly one /v1/token call for 32 processes"
    );
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1, "every process got the refreshed credentials");
    let entry = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).unwrap();
    assert_eq!(entry.access_token.access_key_id, keys[0]);
}

#[test]
fn sigkill_mid_refresh_never_tears_the_cache() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    // How long one refreshing process takes here, so the kills spread over its whole life.
    sandbox.set_seconds_left(&session, -1);
    let started = std::time::Instant::now();
    assert!(spawn_export(&sandbox).wait().unwrap().success());
    let lifetime_ms = (started.elapsed().as_millis() as u64).max(5);
    let mut completed = 0;
    for round in 0..40u64 {
        sandbox.set_seconds_left(&session, -1);
        // Vary how far the refresh gets before the kill: before the request, while the server
        // holds it, while the response is folded in and the file written.
        let latency = [0, 2, 5, 10][(round % 4) as usize];
        sandbox
            .mock
            .set_faults(FaultPlan {
                target: FaultTarget::Token,
                latency_ms: latency,
                ..Default::default()
            })
            .unwrap();
        let mut children: Vec<Child> = (0..3).map(|_| spawn_export(&sandbox)).collect();
        std::thread::sleep(Duration::from_millis(lifetime_ms * (round % 10) / 8));
        for child in &mut children {
            let _ = child.kill(); // SIGKILL on Unix
        }
        for mut child in children {
            if child.wait().map(|s| s.success()).unwrap_or(false) {
                completed += 1;
            }
        }
        let bytes = std::fs::read(&session.cache_file).expect("the cache file always exists");
        CacheEntry::from_json(&bytes)
            .unwrap_or_else(|e| panic!("round {round}: cache torn after SIGKILL: {e}"));
    }
    sandbox.mock.clear_faults();
    // Whatever state the kills left, the session still refreshes, and the next refresh sweeps
    // the temp files killed writers left.
    sandbox.set_seconds_left(&session, -1);
    let out = spawn_export(&sandbox).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let leftovers: Vec<_> = std::fs::read_dir(&sandbox.cache_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temp files left behind: {leftovers:?}"
    );
    eprintln!("{completed} of 120 processes finished before their kill (one refresh takes ~{lifetime_ms} ms)");
}

#[test]
fn processes_and_threads_together_make_one_token_request() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, 60);
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            latency_ms: 300,
            ..Default::default()
        })
        .unwrap();
    let children: Vec<Child> = (0..12).map(|_| spawn_export(&sandbox)).collect();
    let options = sandbox.options("dev");
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let options = options.clone();
            std::thread::spawn(move || {
                login_io::resolve_credentials_blocking(&options)
                    .map(|c| c.access_key_id().to_string())
            })
        })
        .collect();
    let mut keys: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        keys.push(json["AccessKeyId"].as_str().unwrap().to_string());
    }
    assert_eq!(
        sandbox.refresh_calls(),
        1,
        "12 processes + 12 threads, one /v1/token call"
    );
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1);
}
