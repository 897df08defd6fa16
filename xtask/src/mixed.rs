//! The mixed-language refresh stampede: the `aws-login` CLI, the Python wheel and the Node addon,
//! as separate processes at once on one expiring login session, make exactly one call to
//! `/v1/token`, and every one of them gets the refreshed credentials.
//!
//! Runs after `py::test` and `node::test` and uses what they leave behind: the wheel installed in
//! `.work/py-new` and the packed addon installed in `.work/node-test/current`. The session is made
//! by `aws-login login` against `signin-mock --auto-approve alice` (`$BROWSER` is curl, which
//! follows the redirect to the loopback callback); the mock adds 300 ms to every token request so
//! the first refresher is still busy while the others arrive. Every racer prints `ready` once it
//! has started (interpreter up, package imported) and then waits for its stdin to close: closing
//! all of them together is the start barrier. Nothing touches the real `~/.aws`; no secret is
//! printed (the CLI's output is parsed here for its access key id only).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::peers::Peers;
use crate::util::{self, build_binaries, work_dir};

/// Racers per implementation.
const PER_KIND: usize = 10;
/// Added by the mock before each token request, so the refresh outlasts every racer's start.
const TOKEN_LATENCY_MS: &str = "300";
/// The cached credentials are made to expire this far ahead: inside every implementation's
/// 5-minute refresh window, yet still valid (a refresh that fails would show as the old key).
const EXPIRES_IN_SECS: u64 = 60;
/// Bounds for the racers to start (import, load the addon) and then to finish.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

pub fn test(_peers: &Peers) -> Result<(), String> {
    let started = Instant::now();
    let python = work_dir().join("py-new/bin/python");
    let node_project = work_dir().join("node-test/current");
    if !python.exists() {
        return Err(format!(
            "{} is missing: the mixed suite runs after the Python suite, which installs the wheel there",
            python.display()
        ));
    }
    if !node_project
        .join("node_modules/aws-login-provider")
        .exists()
    {
        return Err(format!(
            "{} has no aws-login-provider: the mixed suite runs after the Node suite, which installs the packed addon there",
            node_project.display()
        ));
    }
    let binaries = build_binaries(false)?;

    let dir = work_dir().join("mixed");
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    let cache_dir = home.join(".aws/login/cache");
    std::fs::create_dir_all(&cache_dir)
        .map_err(|e| format!("creating {}: {e}", cache_dir.display()))?;
    let mock = Mock::start(&binaries.signin_mock, &dir.join("signin-mock.log"))?;
    let env = Env::new(&home, &mock.base_url);

    // A real session, made by the product through the mock's auto-approved authorize page.
    let mut login = env.command(&binaries.aws_login);
    login
        .args(["login", "--profile", "dev", "--region", "us-east-1"])
        .env("BROWSER", "curl -s -L -o /dev/null %s")
        .current_dir(&dir);
    util::run(&mut login)?;
    let cache_file = single_cache_file(&cache_dir)?;
    let old_key = {
        let text = read(&cache_file)?;
        let access_token = object_after(&text, "accessToken")
            .ok_or("the session file has no accessToken object")?;
        string_field(access_token, "accessKeyId")
            .ok_or("the session file's accessToken has no accessKeyId")?
            .to_string()
    };
    expire_soon(&cache_file, EXPIRES_IN_SECS)?;
    mock.admin("POST", "/__admin/reset-stats")?;

    let racers = racers(&env, &binaries.aws_login, &python, &node_project, &dir);
    let mut stampede = Stampede::spawn(racers)?;
    stampede.wait_ready()?;
    stampede.release();
    let outcomes = stampede.finish();

    // Every racer: exit 0 and one access key id.
    let mut problems = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    for outcome in &outcomes {
        match outcome.access_key() {
            Ok(key) => keys.push((outcome.label.clone(), key)),
            Err(problem) => problems.push(format!(
                "{}: {problem}; stderr:\n{}",
                outcome.label,
                indent(&outcome.stderr)
            )),
        }
    }
    let new_key = keys.first().map(|(_, k)| k.clone()).unwrap_or_default();
    let disagreeing: Vec<String> = keys
        .iter()
        .filter(|(_, k)| *k != new_key)
        .map(|(label, k)| format!("{label} got {k}"))
        .collect();
    if !disagreeing.is_empty() {
        problems.push(format!(
            "not everybody got the same credentials ({} first got {new_key}): {}",
            keys[0].0,
            disagreeing.join(", ")
        ));
    }
    if keys.len() == outcomes.len() && new_key == old_key {
        problems.push(format!(
            "every racer got the pre-refresh key {old_key}: nobody refreshed"
        ));
    }

    // Exactly one call to /v1/token, and it was a successful refresh.
    let stats = mock.admin("GET", "/__admin/stats")?;
    let counts = token_counts(&python, &stats)?;
    if counts.total != 1 || counts.refresh_ok != 1 {
        problems.push(format!(
            "expected exactly one /v1/token call, a successful refresh; the mock saw {} ({}){}",
            counts.total,
            counts.detail,
            if counts.faults.is_empty() {
                String::new()
            } else {
                format!(", faults {}", counts.faults)
            }
        ));
    }

    // The shared cache holds the new credentials and is still JSON that a strict parser takes.
    match cached_key(&python, &cache_file) {
        Ok(cached) if cached == new_key => {}
        Ok(cached) => problems.push(format!(
            "the session file holds {cached}, the racers got {new_key}"
        )),
        Err(e) => problems.push(e),
    }

    if !problems.is_empty() {
        mock.stop();
        eprintln!(
            "mixed: signin-mock's log and the session are kept in {}",
            dir.display()
        );
        return Err(format!(
            "mixed refresh stampede failed:\n- {}",
            problems.join("\n- ")
        ));
    }
    drop(mock);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "mixed: {} racers ({PER_KIND} aws-login, {PER_KIND} python, {PER_KIND} node) refreshed {old_key} -> {new_key} with {} /v1/token call ({TOKEN_LATENCY_MS} ms latency) in {:.1} s",
        outcomes.len(),
        counts.total,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The environment of the login and of every racer: a throw-away HOME, the mock as Sign-In and
/// STS, no inherited AWS settings or proxies.
struct Env {
    vars: Vec<(String, PathBuf)>,
}

impl Env {
    fn new(home: &Path, base_url: &str) -> Env {
        let vars = vec![
            ("HOME".into(), home.to_path_buf()),
            ("AWS_CONFIG_FILE".into(), home.join(".aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                home.join(".aws/credentials"),
            ),
            (
                "AWS_LOGIN_CACHE_DIRECTORY".into(),
                home.join(".aws/login/cache"),
            ),
            ("AWS_ENDPOINT_URL_SIGNIN".into(), base_url.into()),
            ("AWS_ENDPOINT_URL_STS".into(), base_url.into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ];
        Env { vars }
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let upper = key.to_string_lossy().to_ascii_uppercase();
            if upper.starts_with("AWS_") || upper.ends_with("_PROXY") || upper == "BROWSER" {
                command.env_remove(&key);
            }
        }
        command.envs(self.vars.iter().map(|(k, v)| (k, v)));
        command
    }
}

/// What each racer runs. Each prints `ready`, waits for EOF on stdin, resolves the `dev` profile
/// and prints the access key id (the CLI prints its `credential_process` JSON instead).
fn racers(
    env: &Env,
    aws_login: &Path,
    python: &Path,
    node_project: &Path,
    dir: &Path,
) -> Vec<(String, Command)> {
    const PYTHON: &str = "import sys, aws_login\n\
        print('ready', flush=True)\n\
        sys.stdin.read()\n\
        print(aws_login.get_credentials('dev').access_key, flush=True)\n";
    const NODE: &str =
        "const provider = require('aws-login-provider').fromLogin({ profile: 'dev' });\n\
        console.log('ready');\n\
        process.stdin.on('data', () => {});\n\
        process.stdin.on('end', () => provider().then(\n\
          (c) => console.log(c.accessKeyId),\n\
          (e) => { console.error(`${e.name}: ${e.message}`); process.exitCode = 1; }));\n";
    const CLI: &str = "echo ready; cat >/dev/null; exec \"$0\" export-credentials --profile dev";
    let mut all = Vec::new();
    for i in 0..PER_KIND {
        let mut cli = env.command("sh");
        cli.arg("-c").arg(CLI).arg(aws_login).current_dir(dir);
        all.push((format!("aws-login #{i}"), cli));

        let mut py = env.command(python);
        py.args(["-c", PYTHON]).current_dir(dir);
        all.push((format!("python #{i}"), py));

        let mut node = env.command("node");
        node.args(["-e", NODE]).current_dir(node_project);
        all.push((format!("node #{i}"), node));
    }
    all
}

struct Racer {
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    exit: Option<Result<std::process::ExitStatus, String>>,
}

/// The racing processes; any still running when this is dropped are killed.
struct Stampede {
    racers: Vec<Racer>,
    ready: mpsc::Receiver<(usize, bool)>,
}

impl Stampede {
    fn spawn(commands: Vec<(String, Command)>) -> Result<Stampede, String> {
        let (ready_tx, ready) = mpsc::channel();
        let mut stampede = Stampede {
            racers: Vec::new(),
            ready,
        };
        for (index, (label, mut command)) in commands.into_iter().enumerate() {
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting {label} ({command:?}): {e}"))?;
            let stdin = child.stdin.take();
            let stdout = child.stdout.take().map(|out| {
                let ready_tx = ready_tx.clone();
                std::thread::spawn(move || {
                    // The first line is the readiness signal; the rest is the answer.
                    let mut reader = BufReader::new(out);
                    let mut first = String::new();
                    let _ = reader.read_line(&mut first);
                    let _ = ready_tx.send((index, first.trim() == "ready"));
                    let mut rest = String::new();
                    let _ = reader.read_to_string(&mut rest);
                    rest
                })
            });
            let stderr = child.stderr.take().map(|mut err| {
                std::thread::spawn(move || {
                    let mut text = String::new();
                    let _ = err.read_to_string(&mut text);
                    text
                })
            });
            stampede.racers.push(Racer {
                label,
                child,
                stdin,
                stdout,
                stderr,
                exit: None,
            });
        }
        Ok(stampede)
    }

    /// Waits until every racer has said `ready`.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut waiting = self.racers.len();
        while waiting > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ready.recv_timeout(left) {
                Ok((_, true)) => waiting -= 1,
                Ok((index, false)) => {
                    let racer = &mut self.racers[index];
                    let _ = racer.child.kill();
                    let _ = racer.child.wait();
                    let stderr = racer
                        .stderr
                        .take()
                        .and_then(|h| h.join().ok())
                        .unwrap_or_default();
                    return Err(format!(
                        "{} did not start; stderr:\n{}",
                        racer.label,
                        indent(&stderr)
                    ));
                }
                Err(_) => {
                    return Err(format!(
                        "{waiting} racers were not ready after {READY_TIMEOUT:?}"
                    ))
                }
            }
        }
        Ok(())
    }

    /// The start barrier: every racer's stdin closes at once.
    fn release(&mut self) {
        for racer in &mut self.racers {
            racer.stdin = None;
        }
    }

    /// Waits for every racer (killing those still running after `RUN_TIMEOUT`) and collects what
    /// each printed.
    fn finish(mut self) -> Vec<Outcome> {
        let deadline = Instant::now() + RUN_TIMEOUT;
        loop {
            let mut running = 0;
            for racer in &mut self.racers {
                if racer.exit.is_none() {
                    match racer.child.try_wait() {
                        Ok(Some(status)) => racer.exit = Some(Ok(status)),
                        Ok(None) => running += 1,
                        Err(e) => racer.exit = Some(Err(format!("waiting for it: {e}"))),
                    }
                }
            }
            if running == 0 {
                break;
            }
            if Instant::now() >= deadline {
                for racer in &mut self.racers {
                    if racer.exit.is_none() {
                        let _ = racer.child.kill();
                        let _ = racer.child.wait();
                        racer.exit = Some(Err(format!("still running after {RUN_TIMEOUT:?}")));
                    }
                }
                break;
            }
            // Polling the exits, not synchronising anything.
            std::thread::sleep(Duration::from_millis(10));
        }
        self.racers
            .iter_mut()
            .map(|racer| Outcome {
                label: racer.label.clone(),
                exit: racer.exit.take().unwrap_or(Err("never waited for".into())),
                stdout: racer
                    .stdout
                    .take()
                    .and_then(|h| h.join().ok())
                    .unwrap_or_default(),
                stderr: racer
                    .stderr
                    .take()
                    .and_then(|h| h.join().ok())
                    .unwrap_or_default(),
            })
            .collect()
    }
}

impl Drop for Stampede {
    fn drop(&mut self) {
        for racer in &mut self.racers {
            racer.stdin = None;
            if racer.exit.is_none() && matches!(racer.child.try_wait(), Ok(None)) {
                let _ = racer.child.kill();
            }
            let _ = racer.child.wait();
        }
    }
}

struct Outcome {
    label: String,
    exit: Result<std::process::ExitStatus, String>,
    /// Everything after `ready`. The CLI's holds the secret key: never shown.
    stdout: String,
    stderr: String,
}

impl Outcome {
    /// The access key id the racer printed, or why there is none.
    fn access_key(&self) -> Result<String, String> {
        match &self.exit {
            Ok(status) if status.success() => {}
            Ok(status) => return Err(format!("exited with {status}")),
            Err(e) => return Err(e.clone()),
        }
        let key = if self.label.starts_with("aws-login") {
            string_field(&self.stdout, "AccessKeyId").map(str::to_string)
        } else {
            Some(self.stdout.trim().to_string())
        };
        match key {
            Some(key)
                if key.len() >= 16
                    && key.starts_with("ASIA")
                    && key.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Ok(key)
            }
            // What it printed is not shown: it may hold a secret.
            _ => Err(format!(
                "exited 0 but printed no access key id ({} bytes on stdout)",
                self.stdout.len()
            )),
        }
    }
}

/// signin-mock as a child process; killed on drop (every exit path of the suite).
struct Mock {
    child: Child,
    base_url: String,
}

impl Mock {
    fn start(binary: &Path, log: &Path) -> Result<Mock, String> {
        let log_file =
            std::fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let mut child = Command::new(binary)
            .args(["--port", "0", "--auto-approve", "alice"])
            .args([
                "--fault-target",
                "token",
                "--fault-latency-ms",
                TOKEN_LATENCY_MS,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("signin-mock has no stdout")?);
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let base_url = line.trim().to_string();
        let mock = Mock { child, base_url };
        if let Err(e) = read {
            return Err(format!("reading signin-mock's URL: {e}"));
        }
        if !mock.base_url.starts_with("http://127.0.0.1:") {
            return Err(format!(
                "signin-mock did not print its URL (got {:?}; log in {})",
                mock.base_url,
                log.display()
            ));
        }
        // Keep draining, so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Ok(mock)
    }

    /// One admin request (HTTP/1.0, so the body ends with the connection); returns the body.
    fn admin(&self, method: &str, path: &str) -> Result<String, String> {
        let host = self
            .base_url
            .strip_prefix("http://")
            .unwrap_or(&self.base_url);
        let fail = |e: std::io::Error| format!("{method} {path} on signin-mock: {e}");
        let mut stream = TcpStream::connect(host).map_err(fail)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(fail)?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
        )
        .map_err(fail)?;
        let mut response = String::new();
        stream.read_to_string(&mut response).map_err(fail)?;
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("{method} {path}: no HTTP response: {response:?}"))?;
        let status = head.split_whitespace().nth(1).unwrap_or("");
        if status != "200" {
            return Err(format!("{method} {path} answered {status}: {body}"));
        }
        Ok(body.to_string())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TokenCounts {
    /// Every `/v1/token` call that reached the handler, any grant, any outcome.
    total: u64,
    refresh_ok: u64,
    /// The `token` stats object, for messages.
    detail: String,
    /// The `faults` stats object when a fault answered instead of the handler.
    faults: String,
}

/// Reads `/__admin/stats` with a real JSON parser (the venv's Python).
fn token_counts(python: &Path, stats: &str) -> Result<TokenCounts, String> {
    const SCRIPT: &str = "import json, sys\n\
        d = json.load(sys.stdin)\n\
        t = d.get('token', {})\n\
        f = {k: v for k, v in d.get('faults', {}).items() if k != 'latency' and v}\n\
        print(sum(sum(o.values()) for o in t.values()))\n\
        print(t.get('refresh_token', {}).get('ok', 0))\n\
        print(json.dumps(t, sort_keys=True))\n\
        print(json.dumps(f, sort_keys=True) if f else '')\n";
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", python.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(stats.as_bytes())
            .map_err(|e| format!("sending the stats to python: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("reading the stats: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "/__admin/stats is not the expected JSON ({stats}): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let mut number = || -> Result<u64, String> {
        lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| format!("unexpected stats summary {text:?}"))
    };
    let total = number()?;
    let refresh_ok = number()?;
    let mut rest = text.lines().skip(2);
    Ok(TokenCounts {
        total,
        refresh_ok,
        detail: rest.next().unwrap_or("").to_string(),
        faults: rest.next().unwrap_or("").to_string(),
    })
}

/// The session file's access key id, read by Python's strict `json` module.
fn cached_key(python: &Path, cache_file: &Path) -> Result<String, String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys; print(json.load(open(sys.argv[1]))['accessToken']['accessKeyId'])",
        ])
        .arg(cache_file)
        .output()
        .map_err(|e| format!("starting {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the session file {} is no longer valid JSON with accessToken.accessKeyId: {}",
            cache_file.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn single_cache_file(dir: &Path) -> Result<PathBuf, String> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    match files.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "expected one session file in {} after the login, found {}",
            dir.display(),
            files.len()
        )),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// Test setup: `accessToken.expiresAt` becomes now + `secs`; every other byte stays as written.
/// The file is replaced atomically with the owner-only mode the peers use.
fn expire_soon(path: &Path, secs: u64) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;

    let text = read(path)?;
    let object = object_after(&text, "accessToken")
        .ok_or_else(|| format!("{} has no accessToken object", path.display()))?;
    let value = string_field(object, "expiresAt")
        .ok_or_else(|| format!("{} has no accessToken.expiresAt", path.display()))?;
    let start = value.as_ptr() as usize - text.as_ptr() as usize;
    let end = start + value.len();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| format!("the clock is before 1970: {e}"))?
        .as_secs();
    // Keep the writer's style: the JS SDK writes milliseconds, the others whole seconds.
    let mut stamp = rfc3339(now + secs);
    if value.contains('.') {
        stamp = stamp.replace('Z', ".000Z");
    }
    let rewritten = format!("{}{stamp}{}", &text[..start], &text[end..]);

    let temporary = path.with_extension("json.mixed-tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|e| format!("creating {}: {e}", temporary.display()))?;
    file.write_all(rewritten.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("writing {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, path).map_err(|e| format!("replacing {}: {e}", path.display()))
}

/// The text of the flat `{…}` object that is the value of `"key"` (the cache's `accessToken`
/// holds only strings, so the first `}` closes it).
fn object_after<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = &json[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let body = rest.strip_prefix('{')?;
    let close = body.find('}')?;
    Some(&body[..close])
}

/// The raw contents of the string value of `"field"` in `json` (no escapes expected: ids and
/// timestamps).
fn string_field<'a>(json: &'a str, field: &str) -> Option<&'a str> {
    let at = json.find(&format!("\"{field}\""))?;
    let rest = &json[at + field.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let value = rest.strip_prefix('"')?;
    let close = value.find('"')?;
    Some(&value[..close])
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (civil-from-days, proleptic Gregorian).
fn rfc3339(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

fn indent(text: &str) -> String {
    let text = text.trim_end();
    if text.is_empty() {
        return "    (empty)".into();
    }
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_931_891), "2025-12-05T10:51:31Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn finds_the_access_token_fields() {
        let cache = r#"{"accessToken": {"accessKeyId": "ASIAOLD", "expiresAt": "2025-12-05T10:51:31Z"}, "refreshToken": "x", "expiresAt": "no"}"#;
        let token = object_after(cache, "accessToken").unwrap();
        assert_eq!(
            string_field(token, "expiresAt"),
            Some("2025-12-05T10:51:31Z")
        );
        assert_eq!(string_field(token, "accessKeyId"), Some("ASIAOLD"));
        let pretty =
            "{\n  \"accessToken\" : {\n    \"expiresAt\" : \"2025-12-05T10:51:31.123Z\"\n  }\n}";
        let token = object_after(pretty, "accessToken").unwrap();
        assert_eq!(
            string_field(token, "expiresAt"),
            Some("2025-12-05T10:51:31.123Z")
        );
    }

    #[test]
    fn rewrites_only_the_access_token_expiry() {
        let dir = std::env::temp_dir().join(format!("xtask-mixed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("session.json");
        let before = r#"{"accessToken": {"accessKeyId": "ASIAOLD", "expiresAt": "2025-12-05T10:51:31Z"}, "expiresAt": "keep"}"#;
        std::fs::write(&file, before).unwrap();
        expire_soon(&file, 60).unwrap();
        let after = std::fs::read_to_string(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(after.len(), before.len());
        assert!(after.starts_with(r#"{"accessToken": {"accessKeyId": "ASIAOLD", "expiresAt": ""#));
        assert!(after.ends_with(r#"Z"}, "expiresAt": "keep"}"#));
        assert!(!after.contains("2025-12-05T10:51:31Z"));
    }

    /// The suite itself, for iterating on it without `cargo xtask test`: needs the venv and the
    /// node project the Python and Node suites leave in `.work`. `cargo test -p xtask -- --ignored mixed`
    #[test]
    #[ignore]
    fn mixed_stampede() {
        let peers = Peers {
            python_new: work_dir().join("venv-new/bin/python"),
            python_old: work_dir().join("venv-old/bin/python"),
            node_modules: work_dir().join("node-peers/node_modules"),
            node_modules_old: work_dir().join("node-peers-old/node_modules"),
            chromium: PathBuf::from("/usr/bin/chromium"),
        };
        if let Err(e) = test(&peers) {
            panic!("{e}");
        }
    }
}
