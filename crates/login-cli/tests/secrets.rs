//! Secrets never leak: every command of the real `aws-login`, with `--debug`, through a
//! same-device login (the redirect-following stand-in browser, no Chromium needed), a remote
//! login, a fresh read, a refresh, `credential-process` (including its automatic login), status,
//! configure, `exec` (credential server and `--env`), `serve`, IAM Identity Center (`sso login`
//! both flows, a token refresh, role credentials, an automatic sign-in, no access, status,
//! `sso logout`), logout, and every error path the faults suite knows — and once with
//! `AWS_LOGIN_LOG=trace`, which turns on every crate's logging (reqwest, hyper, rustls) — while
//! a recording relay between aws-login and signin-mock captures every byte of the traffic.
//!
//! The secrets are taken from that traffic and the cache files (secret access keys, session
//! tokens, refresh tokens, authorization codes, code verifiers, the DPoP key's PEM and each of
//! its base64 lines, the credential-server tokens of `exec` and `serve`, SSO access and refresh
//! tokens, client secrets and device codes), and each one is looked for in every stdout and
//! stderr: zero hits. The one exception is what the user asked for: the stdout of
//! `export-credentials` and `credential-process` carries the secret key and session token of the
//! credentials it prints, and `serve` prints its own token for the user to pass on, so in exactly
//! those streams those values are allowed (every other secret still is not).

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use login_core::CacheEntry;
use signin_mock::{FaultPlan, FaultTarget};
use support::Sandbox;

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");
const FETCH_DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/browser-driver/fetch.js"
);

/// A loopback relay to signin-mock that keeps a copy of every byte in both directions.
struct Recorder {
    url: String,
    traffic: Arc<Mutex<Vec<u8>>>,
}

impl Recorder {
    fn start(upstream: u16) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let traffic = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&traffic);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let record = Arc::clone(&record);
                    std::thread::spawn(move || {
                        let mut buffer = [0u8; 16 * 1024];
                        loop {
                            match from.read(&mut buffer) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    record.lock().unwrap().extend_from_slice(&buffer[..n]);
                                    if to.write_all(&buffer[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        Recorder { url, traffic }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.traffic.lock().unwrap()).into_owned()
    }
}

/// Values of `"field":"…"` wherever they occur in `text`.
fn json_values(text: &str, field: &str) -> Vec<String> {
    let needle = format!("\"{field}\"");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        let Some(value) = rest
            .trim_start()
            .strip_prefix(':')
            .map(str::trim_start)
            .and_then(|v| v.strip_prefix('"'))
        else {
            continue;
        };
        let value: String = value.chars().take_while(|c| *c != '"').collect();
        if value.len() >= 8 {
            out.push(value);
        }
    }
    out
}

/// One command's output, and which printed credentials its stdout may legitimately hold.
struct Stream {
    label: String,
    stdout: String,
    stderr: String,
    prints_credentials: bool,
    /// Further secrets this stream's stdout may hold because the user asked for them.
    may_print: Vec<String>,
}

struct Harness {
    sandbox: Sandbox,
    recorder: Recorder,
    streams: Vec<Stream>,
    cache_snapshots: Vec<String>,
}

impl Harness {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.sandbox.command(AWS_LOGIN);
        command
            .arg("--debug")
            .args(args)
            .env("AWS_ENDPOINT_URL_SIGNIN", &self.recorder.url)
            .env("AWS_ENDPOINT_URL_SSO_OIDC", &self.recorder.url)
            .env("AWS_ENDPOINT_URL_SSO", &self.recorder.url)
            .env_remove("SSH_CONNECTION")
            .env_remove("SSH_CLIENT")
            .env_remove("SSH_TTY")
            .env("AWS_LOGIN_HTTP_TIMEOUT", "0.5")
            .env("BROWSER", format!("node {FETCH_DRIVER} %s"))
            .env(
                "AWS_LOGIN_DRIVER_LOG",
                self.sandbox.dir.path().join("browser.log"),
            )
            .stdin(Stdio::null());
        command
    }

    fn record(
        &mut self,
        label: &str,
        output: std::process::Output,
        prints_credentials: bool,
    ) -> i32 {
        self.snapshot_caches();
        self.streams.push(Stream {
            label: label.to_owned(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            prints_credentials,
            may_print: Vec::new(),
        });
        output.status.code().unwrap_or(-1)
    }

    fn run(&mut self, label: &str, args: &[&str]) -> i32 {
        let output = self.command(args).output().unwrap();
        let prints = matches!(
            args.first(),
            Some(&"export-credentials" | &"credential-process")
        );
        self.record(label, output, prints)
    }

    /// [`Harness::run`], asserting its exit code.
    fn run_expecting(&mut self, label: &str, args: &[&str], wanted: i32) {
        let code = self.run(label, args);
        assert_eq!(code, wanted, "{label}: exit code");
    }

    fn run_with(&mut self, label: &str, args: &[&str], env: &[(&str, &str)]) -> i32 {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        let prints = matches!(
            args.first(),
            Some(&"export-credentials" | &"credential-process")
        );
        self.record(label, command.output().unwrap(), prints)
    }

    /// The login, SSO and role caches as they are now.
    fn snapshot_caches(&mut self) {
        let home = &self.sandbox.home;
        for dir in [
            self.sandbox.cache_dir.clone(),
            home.join(".aws/sso/cache"),
            home.join(".aws/cli/cache"),
        ] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    self.cache_snapshots.push(text);
                }
            }
        }
    }

    /// `serve`: waits for its two variables, fetches the credentials with its token and with a
    /// wrong one, then stops it with SIGTERM. Returns the exit code.
    fn serve(&mut self, label: &str, profile: &str) -> i32 {
        let mut child = self
            .command(&["serve", "--profile", profile])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        let (mut url, mut token) = (None, None);
        while url.is_none() || token.is_none() {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "serve: {printed}");
            printed.push_str(&line);
            let line = line.trim();
            if let Some(v) = line.strip_prefix("export AWS_CONTAINER_CREDENTIALS_FULL_URI=") {
                url = Some(v.to_owned());
            }
            if let Some(v) = line.strip_prefix("export AWS_CONTAINER_AUTHORIZATION_TOKEN=") {
                token = Some(v.to_owned());
            }
        }
        let (url, token) = (url.unwrap(), token.unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let (served, refused) = runtime.block_on(async {
            let fetch = |auth: String| client.get(&url).header("Authorization", auth).send();
            let served = fetch(token.clone()).await.unwrap();
            let refused = fetch("not-the-token".into()).await.unwrap();
            (
                (served.status().as_u16(), served.text().await.unwrap()),
                refused.status().as_u16(),
            )
        });
        assert_eq!(served.0, 200, "serve answers its token: {}", served.1);
        assert_eq!(refused, 403, "serve refuses another token");
        // What the server handed out is a secret of its own (the key is in a capitalised field).
        self.cache_snapshots.push(
            served
                .1
                .replace("\"SecretAccessKey\"", "\"secretAccessKey\""),
        );
        self.cache_snapshots
            .push(format!("\"serveToken\":\"{token}\""));
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut output = child.wait_with_output().unwrap();
        output.stdout =
            format!("{printed}{}", String::from_utf8_lossy(&output.stdout)).into_bytes();
        let code = self.record(label, output, false);
        self.streams.last_mut().unwrap().may_print.push(token);
        code
    }

    fn expire(&self) {
        let path = self.cache_file();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z".into();
        std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    }

    /// Makes the SSO token due for a refresh and drops the role credentials cached from it, so
    /// the next read refreshes the token and fetches role credentials again.
    fn expire_sso(&self) {
        let home = &self.sandbox.home;
        let path = home
            .join(".aws/sso/cache")
            .join(login_core::sso::token_cache_file_name("my-sso"));
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json["expiresAt"] = "2020-01-01T00:00:00Z".into();
        std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
        for entry in std::fs::read_dir(home.join(".aws/cli/cache"))
            .unwrap()
            .flatten()
        {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }

    fn cache_file(&self) -> std::path::PathBuf {
        self.sandbox
            .cache_dir
            .join(login_core::cache_file_name(support::ALICE_ARN))
    }

    /// `login --remote`, its code computed from the auto-approved redirect as the
    /// confirmation page would show it; `tamper` pastes a code of another login instead.
    fn remote_login(&mut self, label: &str, profile: &str, tamper: bool) -> i32 {
        let mut child = self
            .command(&["login", "--remote", "--profile", profile, "--yes"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
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
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
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
        let redirect = reqwest::Url::parse(&self.recorder.url)
            .unwrap()
            .join(&location)
            .unwrap();
        let get = |k: &str| {
            redirect
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        let state = if tamper {
            "00000000-0000-4000-8000-000000000000".to_owned()
        } else {
            get("state")
        };
        let mut text = reqwest::Url::parse("http://code.invalid/").unwrap();
        text.query_pairs_mut()
            .append_pair("state", &state)
            .append_pair("code", &get("code"));
        use base64ct::Encoding;
        let pasted = base64ct::Base64::encode_string(text.query().unwrap().as_bytes());
        // The pasted code carries the authorization code: it is a secret too.
        self.cache_snapshots
            .push(format!("\"pasted\":\"{pasted}\""));
        writeln!(child.stdin.take().unwrap(), "{pasted}").unwrap();
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        let mut output = child.wait_with_output().unwrap();
        output.stderr = format!("{seen}{rest}").into_bytes();
        self.record(label, output, false)
    }

    fn faults(&self, plan: FaultPlan) {
        self.sandbox
            .mock
            .set_faults(FaultPlan {
                target: FaultTarget::Token,
                ..plan
            })
            .unwrap();
    }
}

#[test]
fn no_command_prints_or_logs_a_secret() {
    let sandbox = Sandbox::new();
    let recorder = Recorder::start(sandbox.mock.port());
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let mut h = Harness {
        sandbox,
        recorder,
        streams: Vec::new(),
        cache_snapshots: Vec::new(),
    };

    // Logins.
    h.run_expecting("login (same device)", &["login", "--profile", "dev"], 0);
    let c = h.remote_login("login --remote", "dev", false);
    assert_eq!(c, 0, "login --remote: exit code");
    let c = h.remote_login("login --remote, code of another login", "dev", true);
    assert_ne!(c, 0, "a code of another login is refused");

    // Reads, refreshes and the other commands.
    for format in ["process", "env", "powershell", "fish", "windows-cmd"] {
        h.run_expecting(
            "export-credentials",
            &["export-credentials", "--profile", "dev", "--format", format],
            0,
        );
    }
    h.expire();
    h.run_expecting(
        "export-credentials (refresh)",
        &["export-credentials", "--profile", "dev"],
        0,
    );
    h.run_expecting(
        "credential-process",
        &["credential-process", "--profile", "dev"],
        0,
    );
    h.expire();
    h.run_expecting(
        "credential-process (refresh)",
        &["credential-process", "--profile", "dev"],
        0,
    );
    h.expire();
    let c = h.run_with(
        "export-credentials (refresh, AWS_LOGIN_LOG=trace)",
        &["export-credentials", "--profile", "dev"],
        &[("AWS_LOGIN_LOG", "trace")],
    );
    assert_eq!(c, 0, "trace refresh: exit code");
    h.run_expecting("status", &["status", "--profile", "dev"], 0);
    h.run_expecting("status --all", &["status", "--all"], 0);
    h.run_expecting(
        "configure process-profile",
        &[
            "configure",
            "process-profile",
            "--profile",
            "dev-process",
            "--login-profile",
            "dev",
        ],
        0,
    );

    // A child process with the credentials: through the credential server, and as variables
    // (the child prints its own view of the server; aws-login itself logs with --debug).
    let token_file = h.sandbox.dir.path().join("exec-token");
    let child = format!(
        "printf %s \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\" > '{}'",
        token_file.display()
    );
    h.run_expecting(
        "exec",
        &["exec", "--profile", "dev", "--", "sh", "-c", &child],
        0,
    );
    // The credential server's bearer token is a secret of its own.
    let exec_token = std::fs::read_to_string(&token_file).unwrap();
    assert!(exec_token.len() >= 16, "exec gave the child a token");
    h.cache_snapshots
        .push(format!("\"execToken\":\"{exec_token}\""));
    h.run_expecting(
        "exec --env",
        &["exec", "--profile", "dev", "--env", "--", "true"],
        0,
    );
    let c = h.serve("serve", "dev");
    assert_eq!(c, 0, "serve: exit code");

    // IAM Identity Center: both sign-in flows, a token refresh, role credentials, an automatic
    // sign-in, a role without access, status, and logout.
    let mut config = std::fs::read_to_string(&h.sandbox.config_file).unwrap();
    config.push_str(&format!(
        "\n[profile sso-dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = us-east-1\n\n[profile sso-noaccess]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Deploy\n\n[sso-session my-sso]\nsso_start_url = {}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
        signin_mock::DEFAULT_SSO_START_URL
    ));
    std::fs::write(&h.sandbox.config_file, config).unwrap();
    h.sandbox.mock.set_sso_auto_approve(Some("alice")).unwrap();
    h.run_expecting("sso login", &["sso", "login", "--profile", "sso-dev"], 0);
    h.run_expecting(
        "sso login --use-device-code",
        &["sso", "login", "--use-device-code", "--profile", "sso-dev"],
        0,
    );
    h.run_expecting(
        "export-credentials (sso)",
        &[
            "export-credentials",
            "--profile",
            "sso-dev",
            "--format",
            "env",
        ],
        0,
    );
    h.expire_sso();
    h.run_expecting(
        "export-credentials (sso token refresh)",
        &["export-credentials", "--profile", "sso-dev"],
        0,
    );
    let c = h.run(
        "no access (sso)",
        &["export-credentials", "--profile", "sso-noaccess"],
    );
    assert_ne!(c, 0, "no access (sso)");
    h.run_expecting("status (sso)", &["status", "--all"], 0);
    h.run_expecting("sso logout", &["sso", "logout"], 0);
    h.run_expecting(
        "credential-process (sso automatic sign-in)",
        &["credential-process", "--profile", "sso-dev"],
        0,
    );
    h.run_expecting("sso logout (last)", &["sso", "logout"], 0);

    // Every error path of a refresh.
    let plans: [(&str, FaultPlan, i32); 5] = [
        (
            "429 burst",
            FaultPlan {
                error_status: Some(429),
                error_count: 50,
                ..Default::default()
            },
            7,
        ),
        (
            "500 burst",
            FaultPlan {
                error_status: Some(500),
                error_count: 50,
                ..Default::default()
            },
            7,
        ),
        (
            "dropped connections",
            FaultPlan {
                drop_count: 50,
                ..Default::default()
            },
            6,
        ),
        (
            "truncated JSON",
            FaultPlan {
                malformed_count: 50,
                ..Default::default()
            },
            7,
        ),
        (
            "stall",
            FaultPlan {
                latency_ms: 30_000,
                ..Default::default()
            },
            6,
        ),
    ];
    for (label, plan, code) in plans {
        h.expire();
        h.faults(plan);
        h.run_expecting(label, &["export-credentials", "--profile", "dev"], code);
        h.sandbox.mock.clear_faults();
    }
    h.expire();
    h.sandbox.mock.set_can_create_token("alice", false).unwrap();
    h.run_expecting(
        "missing permission",
        &["export-credentials", "--profile", "dev"],
        5,
    );
    h.sandbox.mock.set_can_create_token("alice", true).unwrap();
    h.sandbox.mock.set_password_changed("alice").unwrap();
    h.run_expecting(
        "password changed",
        &["export-credentials", "--profile", "dev"],
        4,
    );
    let c = h.run("password changed (status)", &["status", "--profile", "dev"]);
    assert!(c == 0 || c == 4, "status: {c}");
    // A new login after the change, then the session revoked.
    h.run_expecting("login again", &["login", "--profile", "dev", "--yes"], 0);
    h.expire();
    h.sandbox.mock.expire_sessions();
    h.run_expecting(
        "session revoked",
        &["export-credentials", "--profile", "dev"],
        4,
    );

    // Cache files that are torn or wrong, still full of secrets.
    let full = std::fs::read(h.cache_file()).unwrap();
    std::fs::write(h.cache_file(), &full[..full.len() * 2 / 3]).unwrap();
    h.run_expecting("torn cache", &["export-credentials", "--profile", "dev"], 4);
    let c = h.run("torn cache (status)", &["status", "--profile", "dev"]);
    assert!(c == 0 || c == 4, "status: {c}");
    let mut json: serde_json::Value = serde_json::from_slice(&full).unwrap();
    json["dpopKey"] =
        serde_json::Value::String(format!("{}garbage", json["dpopKey"].as_str().unwrap()));
    json["refreshToken"] = serde_json::json!(12345);
    std::fs::write(h.cache_file(), serde_json::to_string(&json).unwrap()).unwrap();
    h.run_expecting(
        "wrong cache field",
        &["export-credentials", "--profile", "dev"],
        4,
    );

    // Logged out: credential-process signs in by itself; then logout both ways.
    std::fs::remove_file(h.cache_file()).unwrap();
    h.run_expecting(
        "credential-process (automatic login)",
        &["credential-process", "--profile", "dev"],
        0,
    );
    h.run_expecting("logout", &["logout", "--profile", "dev"], 0);
    h.run_expecting(
        "export-credentials (logged out)",
        &["export-credentials", "--profile", "dev"],
        4,
    );
    h.run_expecting("login (last)", &["login", "--profile", "dev", "--yes"], 0);
    h.run_expecting("logout --all", &["logout", "--all"], 0);

    // The secrets: everything the service and the client exchanged, and every cache file seen.
    let traffic = h.recorder.text();
    let mut sources = h.cache_snapshots.join("\n");
    sources.push_str(&traffic);
    let mut secrets: Vec<(&str, String)> = Vec::new();
    for field in [
        "secretAccessKey",
        "sessionToken",
        "refreshToken",
        "code",
        "codeVerifier",
        "pasted",
        "execToken",
        "serveToken",
        "accessToken",
        "clientSecret",
        "deviceCode",
    ] {
        for value in json_values(&sources, field) {
            secrets.push((field, value));
        }
    }
    for snapshot in &h.cache_snapshots {
        let Ok(entry) = CacheEntry::from_json(snapshot.as_bytes()) else {
            continue;
        };
        let pem = entry.dpop_key.expose().to_owned();
        for line in pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        {
            secrets.push(("dpopKey", line.to_owned()));
        }
        secrets.push(("dpopKey", pem));
    }
    secrets.sort();
    secrets.dedup();
    for field in [
        "secretAccessKey",
        "sessionToken",
        "refreshToken",
        "codeVerifier",
        "code",
        "dpopKey",
        "execToken",
        "serveToken",
        "accessToken",
        "clientSecret",
        "deviceCode",
    ] {
        assert!(
            secrets.iter().any(|(f, _)| *f == field),
            "the recording holds no {field}: the test would prove nothing"
        );
    }

    let mut hits = Vec::new();
    for stream in &h.streams {
        // What this stream printed as credentials (allowed on its stdout only).
        let printed: Vec<String> = if stream.prints_credentials {
            let mut values = json_values(&stream.stdout, "SecretAccessKey");
            values.extend(json_values(&stream.stdout, "SessionToken"));
            for line in stream.stdout.lines() {
                for key in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
                    if let Some(at) = line.find(key) {
                        let value = line[at + key.len()..]
                            .trim_start_matches(['=', ' ', '"'])
                            .trim_end_matches('"');
                        values.push(value.to_owned());
                    }
                }
            }
            values
        } else {
            Vec::new()
        };
        for (field, secret) in &secrets {
            if stream.stderr.contains(secret.as_str()) {
                hits.push(format!("{}: stderr holds a {field}", stream.label));
            }
            let allowed = (matches!(*field, "secretAccessKey" | "sessionToken")
                && printed.iter().any(|p| p == secret))
                || stream.may_print.contains(secret);
            if !allowed && stream.stdout.contains(secret.as_str()) {
                hits.push(format!("{}: stdout holds a {field}", stream.label));
            }
        }
    }
    eprintln!(
        "secrets: {} commands with --debug, {} distinct secret values from {} bytes of traffic \
         and {} cache snapshots, {} hits",
        h.streams.len(),
        secrets.len(),
        traffic.len(),
        h.cache_snapshots.len(),
        hits.len()
    );
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
    // The search does find secrets where they are: the printed credentials are among them.
    assert!(h.streams.iter().any(|s| s.prints_credentials
        && secrets
            .iter()
            .any(|(f, v)| *f == "secretAccessKey" && s.stdout.contains(v.as_str()))));
    // The debug logs did run: a refresh logs its steps.
    assert!(h
        .streams
        .iter()
        .any(|s| s.stderr.contains("refreshing the login session")));
}
