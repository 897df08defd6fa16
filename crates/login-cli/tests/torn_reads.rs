//! `aws-login export-credentials` beside the real JS SDK refreshing the same session: the JS SDK
//! (`@aws-sdk/credential-provider-login`) rewrites the cache file in place with `writeFile`, so a
//! reader can catch it empty or half-written. This is an IDE calling our `credential_process`
//! while a CDK deploy refreshes: the JS SDK refreshes in a loop while `aws-login
//! export-credentials` runs again and again in parallel, and none of those calls may fail.
//!
//! signin-mock issues credentials that live 60 s, and the JS process's clock runs 10 minutes
//! ahead (`Date.now` shifted; signin-mock accepts its DPoP `iat`): the JS SDK then sees 60 s
//! left after each of its refreshes and refreshes again on every call, while aws-login sees more
//! than ten minutes left and only reads. The mock's count of refreshes checks that split. A plain
//! reader alongside counts the torn states the race produced, and each call's debug log says
//! whether it met one (and re-read it).
//!
//! Needs `AWS_LOGIN_TEST_NODE_MODULES` (a node_modules with `@aws-sdk/credential-provider-login`;
//! `cargo xtask test` sets it); fails without it unless `AWS_LOGIN_SKIP_INTEROP=1`.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use login_io::cache_store::looks_torn;
use signin_mock::MockConfig;
use support::Sandbox;

/// `export-credentials` calls in all, and how many run at once.
const CALLS: usize = 1500;
const PARALLEL: usize = 4;

/// How far ahead the JS process's clock runs.
const JS_CLOCK_AHEAD_SECS: u64 = 600;

/// Refreshes the `dev` session with the JS SDK until stdin closes, then prints one JSON line of
/// counts. Error texts are cut at the first quote: Node's JSON errors quote the file's content.
const JS_REFRESHER: &str = r#"
const ahead = Number(process.argv[1]) * 1000;
const realNow = Date.now;
Date.now = () => realNow() + ahead;
const { fromLoginCredentials } = require("@aws-sdk/credential-provider-login");
let stop = false;
process.stdin.on("end", () => { stop = true; });
process.stdin.resume();
(async () => {
  let refreshes = 0, failures = 0;
  const errors = [];
  while (!stop) {
    try {
      await fromLoginCredentials({ profile: "dev" })();
      refreshes += 1;
      if (refreshes === 1) console.log("ready");
    } catch (e) {
      failures += 1;
      if (errors.length < 5) errors.push(String(e && e.message).split('"')[0].slice(0, 300));
    }
  }
  console.log(JSON.stringify({ refreshes, failures, errors }));
  process.exit(0);
})();
"#;

fn node_modules() -> Option<PathBuf> {
    if std::env::var("AWS_LOGIN_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("AWS_LOGIN_SKIP_INTEROP=1: torn-read race against the JS SDK skipped");
        return None;
    }
    match std::env::var_os("AWS_LOGIN_TEST_NODE_MODULES") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => panic!(
            "AWS_LOGIN_TEST_NODE_MODULES is not set: this test races the real JS SDK; run it \
             through `cargo xtask test` (it installs the peers), or set it to a node_modules with \
             @aws-sdk/credential-provider-login; AWS_LOGIN_SKIP_INTEROP=1 skips it explicitly"
        ),
    }
}

#[test]
fn export_credentials_never_fails_while_the_js_sdk_refreshes_in_place() {
    let Some(node_modules) = node_modules() else {
        return;
    };
    let sandbox = Sandbox::with_mock(MockConfig {
        access_token_lifetime_secs: 60,
        dpop_iat_skew_secs: JS_CLOCK_AHEAD_SECS + 300,
        ..MockConfig::default()
    });
    let session = sandbox.login("dev", "alice");

    let mut js = sandbox
        .command("node")
        .args(["-e", JS_REFRESHER, &JS_CLOCK_AHEAD_SECS.to_string()])
        .env("NODE_PATH", &node_modules)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let mut js_out = BufReader::new(js.stdout.take().unwrap());
    let mut line = String::new();
    js_out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the JS SDK refresher did not start");

    let done = Arc::new(AtomicBool::new(false));
    let torn_seen = Arc::new(AtomicUsize::new(0));
    let observer = {
        let (path, done, torn_seen) = (session.cache_file.clone(), done.clone(), torn_seen.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if std::fs::read(&path).is_ok_and(|b| looks_torn(&b).is_some()) {
                    torn_seen.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        })
    };

    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let recovered = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < CALLS {
                    let out = sandbox
                        .command(env!("CARGO_BIN_EXE_aws-login"))
                        .args(["export-credentials", "--profile", "dev"])
                        .env("AWS_LOGIN_LOG", "login_io=debug")
                        .output()
                        .expect("aws-login runs");
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    if stderr.contains("torn cache file settled") || stderr.contains("looks torn") {
                        recovered.fetch_add(1, Ordering::Relaxed);
                    }
                    let parsed = serde_json::from_slice::<serde_json::Value>(&out.stdout);
                    let ok = out.status.success()
                        && parsed.is_ok_and(|v| v["AccessKeyId"].as_str().is_some());
                    if !ok {
                        let message = stderr
                            .lines()
                            .filter(|l| !l.contains("DEBUG"))
                            .collect::<Vec<_>>()
                            .join("\n");
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{}: {message}", out.status));
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    observer.join().unwrap();

    let refreshes_before_stop = sandbox.refresh_calls();
    drop(js.stdin.take());
    let mut summary = String::new();
    js_out.read_line(&mut summary).unwrap();
    assert!(js.wait().unwrap().success());
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("JS summary");
    let js_refreshes = summary["refreshes"].as_u64().unwrap_or(0);

    let failures = failures.into_inner().unwrap();
    let (recovered, torn_seen) = (recovered.into_inner(), torn_seen.load(Ordering::Relaxed));
    eprintln!(
        "{CALLS} aws-login export-credentials calls ({PARALLEL} at a time, {:.1} s) beside {} JS SDK \
         refreshes: {} failed; {recovered} of them met a torn file and re-read it; a plain reader \
         saw the file torn {torn_seen} times; the JS SDK failed {} times; {} token refreshes in all",
        elapsed.as_secs_f64(),
        js_refreshes,
        failures.len(),
        summary["failures"],
        sandbox.refresh_calls(),
    );
    assert!(
        failures.is_empty(),
        "{} of {CALLS} calls failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(summary["failures"], 0, "the JS SDK failed: {summary}");
    assert!(js_refreshes >= 20, "the JS SDK barely refreshed: {summary}");
    assert!(
        refreshes_before_stop <= js_refreshes,
        "aws-login refreshed too ({refreshes_before_stop} token refreshes, {js_refreshes} by the \
         JS SDK): it was meant only to read"
    );
    assert!(
        torn_seen + recovered > 0,
        "no torn state was ever seen: the race did not happen"
    );
}
