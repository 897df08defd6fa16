//! Soak: `aws-login` processes SIGKILLed at random points of a refresh and of a login's final
//! writes, then the cache and the config are checked: the cache file always exists and parses,
//! and is either the old session byte for byte or a whole new one (every secret new together,
//! everything else kept), never a mix; the config is the old text or the old text plus the whole
//! new profile. A run with a file-size limit (RLIMIT_FSIZE, `ulimit -f`, with SIGXFSZ ignored so
//! the write fails like a full disk) keeps the old cache and says why.
//!
//! `cargo xtask soak [--rounds N]` runs this with `AWS_LOGIN_SOAK_ROUNDS=N` (default 500);
//! `cargo xtask test` runs it with the default here (25 rounds each) to stay within the CI
//! budget. `AWS_LOGIN_SOAK_SEED` replays a run's kill points.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use login_core::{CacheEntry, ConfigFile, SectionId};
use signin_mock::{FaultPlan, FaultTarget};
use support::{Sandbox, ALICE_ARN};

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");

fn rounds() -> u64 {
    std::env::var("AWS_LOGIN_SOAK_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(25)
}

/// xorshift64*, seeded from the clock unless AWS_LOGIN_SOAK_SEED is set; the seed is printed.
struct Rng(u64);

impl Rng {
    fn new(name: &str) -> Rng {
        let seed = std::env::var("AWS_LOGIN_SOAK_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{name}: AWS_LOGIN_SOAK_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

fn export(sandbox: &Sandbox) -> Command {
    let mut command = sandbox.command(AWS_LOGIN);
    command
        .args(["export-credentials", "--profile", "dev"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The new entry is one whole new session relative to `old`: every secret that a refresh
/// rotates is new, everything else is as it was.
fn assert_whole_refresh(old: &CacheEntry, new: &CacheEntry, round: u64) {
    let (a, b) = (&old.access_token, &new.access_token);
    let rotated = [
        a.access_key_id != b.access_key_id,
        a.secret_access_key.expose() != b.secret_access_key.expose(),
        a.session_token.expose() != b.session_token.expose(),
        old.refresh_token.expose() != new.refresh_token.expose(),
    ];
    assert_eq!(
        rotated,
        [true; 4],
        "round {round}: a mix of old and new secrets (key id, secret, session token, refresh token)"
    );
    assert!(
        b.expires_at > a.expires_at,
        "round {round}: expiry went back"
    );
    assert_eq!(
        old.dpop_key.expose(),
        new.dpop_key.expose(),
        "round {round}"
    );
    assert_eq!(old.client_id, new.client_id, "round {round}");
    assert_eq!(a.account_id, b.account_id, "round {round}");
    assert_eq!(
        old.id_token.as_ref().map(|t| t.expose().to_owned()),
        new.id_token.as_ref().map(|t| t.expose().to_owned()),
        "round {round}"
    );
    assert_eq!(old.extra, new.extra, "round {round}");
}

fn temp_files(sandbox: &Sandbox) -> Vec<String> {
    std::fs::read_dir(&sandbox.cache_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn sigkill_at_random_points_of_a_refresh_never_loses_or_mixes_the_session() {
    let rounds = rounds();
    let mut rng = Rng::new("refresh soak");
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let config = std::fs::read(&sandbox.config_file).unwrap();
    // How long one refreshing process lives here, so the kills spread over all of it.
    sandbox.set_seconds_left(&session, -1);
    let started = Instant::now();
    assert!(export(&sandbox).status().unwrap().success());
    let lifetime_us = (started.elapsed().as_micros() as u64).max(2_000);

    let (mut kept, mut replaced, mut killed, mut finished) = (0u64, 0u64, 0u64, 0u64);
    for round in 0..rounds {
        sandbox.set_seconds_left(&session, -1);
        let old_bytes = std::fs::read(&session.cache_file).unwrap();
        let old = CacheEntry::from_json(&old_bytes).unwrap();
        sandbox
            .mock
            .set_faults(FaultPlan {
                target: FaultTarget::Token,
                latency_ms: rng.below(8),
                ..Default::default()
            })
            .unwrap();
        let processes = 1 + rng.below(4);
        let mut children: Vec<Child> = (0..processes)
            .map(|_| export(&sandbox).spawn().unwrap())
            .collect();
        std::thread::sleep(Duration::from_micros(rng.below(lifetime_us * 3 / 2)));
        for child in &mut children {
            let _ = child.kill(); // SIGKILL
        }
        for mut child in children {
            match child.wait().unwrap().code() {
                Some(0) => finished += 1,
                Some(code) => panic!("round {round}: a process failed with exit code {code}"),
                None => killed += 1,
            }
        }
        let bytes = std::fs::read(&session.cache_file)
            .unwrap_or_else(|e| panic!("round {round}: the cache file is gone: {e}"));
        let new = CacheEntry::from_json(&bytes)
            .unwrap_or_else(|e| panic!("round {round}: the cache file does not parse: {e}"));
        if bytes == old_bytes {
            kept += 1;
        } else {
            assert_whole_refresh(&old, &new, round);
            replaced += 1;
        }
        assert_eq!(
            std::fs::read(&sandbox.config_file).unwrap(),
            config,
            "round {round}: a refresh changed the config"
        );
    }
    sandbox.mock.clear_faults();
    // Whatever the kills left, the session still refreshes and the leftovers are swept.
    sandbox.set_seconds_left(&session, -1);
    let old = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).unwrap();
    assert!(export(&sandbox).status().unwrap().success());
    let new = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).unwrap();
    assert_whole_refresh(&old, &new, rounds);
    assert!(
        temp_files(&sandbox).is_empty(),
        "{:?}",
        temp_files(&sandbox)
    );
    eprintln!(
        "refresh soak: {rounds} rounds, {} processes ({killed} killed, {finished} finished); \
         cache kept {kept} times, replaced whole {replaced} times, torn/lost/mixed 0 \
         (one refresh takes ~{} ms)",
        killed + finished,
        lifetime_us / 1000
    );
}

/// What the confirmation page shows for the redirect `location`: base64 of `state=…&code=…`.
fn pasted_code(location: &str) -> String {
    use base64ct::Encoding;
    let redirect = reqwest::Url::parse("http://127.0.0.1/")
        .and_then(|base| base.join(location))
        .expect("redirect URL");
    let value = |k: &str| {
        redirect
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {k} in {location}"))
    };
    let mut text = reqwest::Url::parse("http://code.invalid/").unwrap();
    text.query_pairs_mut()
        .append_pair("state", &value("state"))
        .append_pair("code", &value("code"));
    base64ct::Base64::encode_string(text.query().unwrap_or_default().as_bytes())
}

/// `aws-login login --remote --profile P` waiting for its code on stdin, and the code the
/// (auto-approved) browser would have shown: base64 of `state=…&code=…`.
fn start_remote_login(
    sandbox: &Sandbox,
    profile: &str,
    runtime: &tokio::runtime::Runtime,
) -> (Child, String) {
    let mut child = sandbox
        .command(AWS_LOGIN)
        .args(["login", "--remote", "--profile", profile])
        .env_remove("BROWSER")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "login ended before printing its URL"
        );
        if let Some(rest) = line.trim().strip_prefix("http") {
            break format!("http{rest}");
        }
    };
    // Keep draining stderr so the process never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let location = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let response = client.get(&url).send().await.expect("authorize");
        response
            .headers()
            .get("location")
            .expect("auto-approve redirects")
            .to_str()
            .unwrap()
            .to_owned()
    });
    (child, pasted_code(&location))
}

#[test]
fn sigkill_at_random_points_of_a_login_never_loses_or_mixes_the_session_or_the_config() {
    let rounds = rounds();
    let mut rng = Rng::new("login soak");
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // One login to the end: how long it runs once the code is pasted.
    let (mut child, code) = start_remote_login(&sandbox, "first", &runtime);
    let started = Instant::now();
    writeln!(child.stdin.take().unwrap(), "{code}").unwrap();
    assert!(child.wait().unwrap().success());
    let lifetime_us = (started.elapsed().as_micros() as u64).max(2_000);

    let (mut kept, mut replaced, mut config_kept, mut config_added, mut killed) =
        (0u64, 0, 0, 0, 0);
    for round in 0..rounds {
        let old_bytes = std::fs::read(&session.cache_file).unwrap();
        let old = CacheEntry::from_json(&old_bytes).unwrap();
        let old_config = std::fs::read_to_string(&sandbox.config_file).unwrap();
        let profile = format!("soak-{round}");
        let (mut child, code) = start_remote_login(&sandbox, &profile, &runtime);
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{code}").unwrap();
        drop(stdin);
        std::thread::sleep(Duration::from_micros(rng.below(lifetime_us * 3 / 2)));
        let _ = child.kill();
        match child.wait().unwrap().code() {
            None => killed += 1,
            Some(0) => {}
            Some(other) => panic!("round {round}: login failed with exit code {other}"),
        }

        let bytes = std::fs::read(&session.cache_file)
            .unwrap_or_else(|e| panic!("round {round}: the cache file is gone: {e}"));
        let new = CacheEntry::from_json(&bytes)
            .unwrap_or_else(|e| panic!("round {round}: the cache file does not parse: {e}"));
        if bytes == old_bytes {
            kept += 1;
        } else {
            // A new login: a new key and every secret new, together.
            let (a, b) = (&old.access_token, &new.access_token);
            assert_ne!(a.access_key_id, b.access_key_id, "round {round}");
            assert_ne!(
                a.secret_access_key.expose(),
                b.secret_access_key.expose(),
                "round {round}"
            );
            assert_ne!(
                a.session_token.expose(),
                b.session_token.expose(),
                "round {round}"
            );
            assert_ne!(
                old.refresh_token.expose(),
                new.refresh_token.expose(),
                "round {round}"
            );
            assert_ne!(
                old.dpop_key.expose(),
                new.dpop_key.expose(),
                "round {round}"
            );
            new.dpop_key().expect("the new key loads");
            assert_eq!(
                b.account_id.as_deref(),
                Some("111122223333"),
                "round {round}"
            );
            replaced += 1;
        }

        let config = std::fs::read_to_string(&sandbox.config_file)
            .unwrap_or_else(|e| panic!("round {round}: the config is gone: {e}"));
        if config == old_config {
            config_kept += 1;
        } else {
            assert!(
                config.starts_with(&old_config),
                "round {round}: the config lost text:\n{config}"
            );
            let parsed = ConfigFile::parse(&config);
            let before = ConfigFile::parse(&old_config);
            for id in before.section_ids() {
                assert_eq!(
                    parsed.section(&id),
                    before.section(&id),
                    "round {round}: {id} changed"
                );
            }
            let added = parsed
                .section(&SectionId::profile(profile.as_str()))
                .unwrap_or_else(|| panic!("round {round}: half a profile:\n{config}"));
            assert_eq!(
                added.get("login_session"),
                Some(ALICE_ARN),
                "round {round}:\n{config}"
            );
            config_added += 1;
        }
    }
    eprintln!(
        "login soak: {rounds} logins ({killed} killed after pasting the code); cache kept {kept}, \
         replaced whole {replaced}; config kept {config_kept}, profile added whole {config_added}; \
         torn/lost/mixed 0 (a login takes ~{} ms after the paste)",
        lifetime_us / 1000
    );
    assert!(temp_files(&sandbox).len() <= rounds as usize);
}

/// `aws-login` with a 512-byte file-size limit and SIGXFSZ ignored: writing the cache fails with
/// EFBIG the way it fails with ENOSPC on a full disk.
fn with_disk_full(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.command("sh");
    command
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"",
            AWS_LOGIN,
        ])
        .args(args);
    command
}

#[test]
fn a_full_disk_during_a_refresh_keeps_the_old_cache_and_says_why() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -1);
    let old = std::fs::read(&session.cache_file).unwrap();
    let out = with_disk_full(&sandbox, &["export-credentials", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The refresh went through, so the new credentials are delivered; the cache could not be
    // written, which the warning says, naming the file and the cause.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("aws-login: warning:"), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(
        stderr.contains(&session.cache_file.display().to_string()),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&session.cache_file).unwrap(),
        old,
        "the old cache is intact"
    );
    assert!(
        temp_files(&sandbox).is_empty(),
        "{:?}",
        temp_files(&sandbox)
    );
    // With room again, the next call refreshes with the old (still accepted) refresh token.
    let out = export(&sandbox).stdout(Stdio::piped()).output().unwrap();
    assert!(out.status.success());
    let new = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).unwrap();
    assert_whole_refresh(&CacheEntry::from_json(&old).unwrap(), &new, 0);
}

#[test]
fn a_full_disk_during_a_login_keeps_the_old_cache_and_config_and_fails_clearly() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let old = std::fs::read(&session.cache_file).unwrap();
    let old_config = std::fs::read(&sandbox.config_file).unwrap();
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The same remote login, its process limited: pipe the code in once the URL is known.
    let mut command = with_disk_full(&sandbox, &["login", "--remote", "--profile", "dev"]);
    command
        .env_remove("BROWSER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no URL: {seen}");
        seen.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("http") {
            break format!("http{rest}");
        }
    };
    let location = runtime.block_on(async {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap()
            .headers()["location"]
            .to_str()
            .unwrap()
            .to_owned()
    });
    writeln!(child.stdin.take().unwrap(), "{}", pasted_code(&location)).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(8), "{seen}{rest}");
    assert!(rest.contains("File too large"), "{rest}");
    assert_eq!(
        std::fs::read(&session.cache_file).unwrap(),
        old,
        "the old cache is intact"
    );
    assert_eq!(
        std::fs::read(&sandbox.config_file).unwrap(),
        old_config,
        "the config is intact"
    );
    assert!(
        temp_files(&sandbox).is_empty(),
        "{:?}",
        temp_files(&sandbox)
    );
}
