//! `cargo xtask bench`: whole-process speed and peak memory of `aws-login export-credentials`
//! against the peers a user would otherwise put in `credential_process` — a `python -c` botocore
//! resolve (the engine inside `aws configure export-credentials`) and a `node -e` resolve with
//! `@aws-sdk/credential-provider-login` — all in one run, on one profile, with a valid cache;
//! then the same three doing a refresh against a local signin-mock.
//!
//! The session is made by the product itself: `aws-login login` against `signin-mock
//! --auto-approve`, with `$BROWSER` set to curl (it follows the redirect to the loopback
//! callback). Nothing touches the real `~/.aws`. Timing: hyperfine; memory: `/usr/bin/time -f
//! %M`. Results go to stdout and `.work/bench/results.md`.
//!
//! A role profile (`role_arn` with `source_profile` = the login profile) is timed the same way
//! with its role credentials cached: `aws-login export-credentials --profile admin` against
//! botocore resolving the same profile with AWS CLI's role cache (`JSONFileCache` on
//! `~/.aws/cli/cache`, as `aws configure export-credentials` does).
//!
//! Then the bindings' in-process benchmarks (`node::bench`, `py::bench`).
//!
//! Options: `--runs N` (valid-cache runs per command, default 40), `--refresh-runs N`
//! (default 15), `--no-bindings` (skip the Node and Python benchmarks).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::util::{self, work_dir};

/// Targets from the issue.
const SPEEDUP_TARGET: f64 = 50.0;
const RSS_TARGET_MB: f64 = 10.0;
/// The role-profile target (issue 10): cached role credentials, against botocore.
const ROLE_SPEEDUP_TARGET: f64 = 100.0;
const BENCH_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/Deploy";

/// `cargo xtask bench` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Valid-cache runs per command
    #[arg(long, default_value_t = 40, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Refresh runs per command
    #[arg(long, default_value_t = 15, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub refresh_runs: u32,
    /// Skip the Node and Python in-process benchmarks
    #[arg(long)]
    pub no_bindings: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let Args {
        runs,
        refresh_runs,
        no_bindings,
    } = args;
    let peers = crate::peers::setup()?;
    for tool in ["hyperfine", "/usr/bin/time", "curl", "node"] {
        if !util::have(tool) {
            return Err(format!("{tool} is missing (cargo xtask setup installs hyperfine and time; curl and node come with the machine)"));
        }
    }

    let util::Binaries {
        aws_login,
        signin_mock: mock_bin,
    } = util::build_binaries(true)?;

    let dir = work_dir().join("bench");
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    std::fs::create_dir_all(home.join(".aws"))
        .map_err(|e| format!("creating {}: {e}", home.display()))?;
    let mock = Mock::start(&mock_bin)?;
    let env = Env::new(&home, &mock.base_url, &peers.node_modules);
    let cache_dir = home.join(".aws/login/cache");

    // A real session, made by `aws-login login` through the mock's auto-approved authorize page.
    let mut login = env.command(&aws_login);
    login
        .args(["login", "--profile", "bench", "--region", "us-east-1"])
        .env("BROWSER", "curl -s -L -o /dev/null %s");
    util::run(&mut login)?;
    let cache_file = single_cache_file(&cache_dir)?;

    let python = peers.python_new.display().to_string();
    let ours = format!(
        "{} export-credentials --profile bench --format process",
        aws_login.display()
    );
    let botocore = format!(
        "{python} -c \"import botocore.session; c = botocore.session.Session(profile='bench').get_credentials().get_frozen_credentials(); print(c.access_key)\""
    );
    let node = "node -e \"require('@aws-sdk/credential-provider-login').fromLoginCredentials({profile: 'bench'})().then(c => console.log(c.accessKeyId))\"".to_string();
    let commands = [
        ("aws-login", ours.as_str()),
        ("botocore", botocore.as_str()),
        ("js-sdk", node.as_str()),
    ];

    // Every command must work before it is timed.
    for (name, command) in commands {
        let out = env
            .shell(command)
            .output()
            .map_err(|e| format!("{name}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{name} failed before timing: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }

    // Valid cache: make sure the credentials have well over 5 minutes left, and that nobody
    // calls the token endpoint while we time.
    let refreshes_before = mock.refresh_calls()?;
    let valid = hyperfine(&env, &dir.join("valid.csv"), &commands, runs, None)?;
    let rss_valid: Vec<f64> = commands
        .iter()
        .map(|(_, c)| peak_rss_mb(&env, c, 7))
        .collect::<Result<_, _>>()?;
    let refreshes_during_valid = mock.refresh_calls()? - refreshes_before;

    let role_section = role_profile_rows(&env, &home, &aws_login, &python, &mock, &dir, runs)?;

    // Refresh: each run first pushes `expiresAt` into the past, so each run calls /v1/token once.
    let expire = format!(
        "{python} -c \"import json, os, sys; p = sys.argv[1]; d = json.load(open(p)); d['accessToken']['expiresAt'] = '2000-01-01T00:00:00Z'; open(p + '.x', 'w').write(json.dumps(d)); os.replace(p + '.x', p)\" {}",
        cache_file.display()
    );
    let refreshes_before = mock.refresh_calls()?;
    let refresh = hyperfine(
        &env,
        &dir.join("refresh.csv"),
        &commands,
        refresh_runs,
        Some(&expire),
    )?;
    let refreshes_during_refresh = mock.refresh_calls()? - refreshes_before;
    let exec_rows = credential_server_bench(&env, &home, &aws_login, &python, runs)?;
    drop(mock);

    let report = render_report(
        &valid,
        &rss_valid,
        refreshes_during_valid,
        &refresh,
        refreshes_during_refresh,
        runs,
        refresh_runs,
    );
    let report = format!(
        "{report}{}\n{role_section}",
        render_server_rows(&exec_rows, runs)
    );
    println!("{report}");
    let path = dir.join("results.md");
    std::fs::write(&path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("results written to {}", path.display());

    if no_bindings {
        return Ok(());
    }
    // The bindings' in-process benchmarks (their own modules), after ours; one failing does
    // not hide the other.
    let mut failures = Vec::new();
    println!("\n## Node provider (in-process, valid cache)\n");
    if let Err(e) = crate::node::bench(&peers) {
        failures.push(format!("node benchmark: {e}"));
    }
    println!("\n## Python provider (in-process, valid cache)\n");
    if let Err(e) = crate::py::bench(&peers) {
        failures.push(format!("python benchmark: {e}"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// One row of the credential-server comparison: latencies in ms, sorted.
struct LatencyRow {
    name: &'static str,
    samples: Vec<f64>,
}

impl LatencyRow {
    fn new(name: &'static str, mut samples: Vec<f64>) -> LatencyRow {
        samples.sort_by(f64::total_cmp);
        LatencyRow { name, samples }
    }
    fn percentile(&self, p: f64) -> f64 {
        let last = self.samples.len().saturating_sub(1);
        self.samples
            .get(((last as f64) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// `aws-login serve` on the valid session, then per credential fetch: a plain HTTP GET to the
/// server, botocore's `ContainerProvider` (what an SDK under `aws-login exec` does), spawning
/// `aws-login credential-process`, and botocore's `credential_process` round trip through it.
fn credential_server_bench(
    env: &Env,
    home: &Path,
    aws_login: &Path,
    python: &str,
    runs: u32,
) -> Result<Vec<LatencyRow>, String> {
    use std::io::{Read, Write};
    let config = home.join(".aws/config");
    let mut text = std::fs::read_to_string(&config).map_err(|e| format!("reading config: {e}"))?;
    text.push_str(&format!(
        "\n[profile bench-process]\ncredential_process = {} credential-process --profile bench\n",
        aws_login.display()
    ));
    std::fs::write(&config, text).map_err(|e| format!("writing config: {e}"))?;

    let mut serve = env
        .command(aws_login)
        .args(["serve", "--profile", "bench"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting aws-login serve: {e}"))?;
    let mut lines = BufReader::new(serve.stdout.take().ok_or("serve has no stdout")?).lines();
    let mut value = |name: &str| -> Result<String, String> {
        let line = lines
            .next()
            .and_then(Result::ok)
            .ok_or(format!("aws-login serve printed no {name}"))?;
        line.strip_prefix(&format!("export {name}="))
            .map(str::to_string)
            .ok_or(format!("unexpected line from aws-login serve: {line}"))
    };
    let result = (|| {
        let url = value("AWS_CONTAINER_CREDENTIALS_FULL_URI")?;
        let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN")?;
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches("/credentials")
            .to_string();
        let request = format!(
            "GET /credentials HTTP/1.1\r\nHost: {address}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
        );
        let fetches = runs * 10;
        let mut raw = Vec::new();
        for _ in 0..fetches + 20 {
            let started = std::time::Instant::now();
            let mut stream = std::net::TcpStream::connect(&address)
                .map_err(|e| format!("connecting to the server: {e}"))?;
            stream
                .write_all(request.as_bytes())
                .map_err(|e| format!("request: {e}"))?;
            let mut answer = Vec::new();
            stream
                .read_to_end(&mut answer)
                .map_err(|e| format!("response: {e}"))?;
            if !answer.starts_with(b"HTTP/1.1 200") {
                return Err("the credential server did not answer 200".into());
            }
            raw.push(started.elapsed().as_secs_f64() * 1e3);
        }
        raw.drain(..20);

        let mut spawn = Vec::new();
        for _ in 0..runs + 3 {
            let started = std::time::Instant::now();
            let out = env
                .command(aws_login)
                .args(["credential-process", "--profile", "bench", "--no-login"])
                .output()
                .map_err(|e| format!("aws-login credential-process: {e}"))?;
            if !out.status.success() {
                return Err("aws-login credential-process failed".into());
            }
            spawn.push(started.elapsed().as_secs_f64() * 1e3);
        }
        spawn.drain(..3);

        let script = r#"
import sys, time
import botocore.session
from botocore.credentials import ContainerProvider, ProcessProvider
n_container, n_process = int(sys.argv[1]), int(sys.argv[2])
session = botocore.session.Session(profile="bench-process")
def timed(load, n):
    out = []
    for i in range(n + 3):
        t = time.perf_counter(); creds = load(); out.append((time.perf_counter() - t) * 1e3)
        assert creds.get_frozen_credentials().access_key
    return out[3:]
container = ContainerProvider()
process = ProcessProvider(profile_name="bench-process", load_config=lambda: session.full_config)
for name, samples in (("container", timed(container.load, n_container)), ("process", timed(process.load, n_process))):
    print(name, " ".join("%.4f" % v for v in samples))
"#;
        let out = env
            .command(python)
            .args(["-c", script, &fetches.to_string(), &runs.to_string()])
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token)
            .output()
            .map_err(|e| format!("python: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "botocore timing failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let list = |key: &str| -> Vec<f64> {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
                .map(|v| v.split(' ').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default()
        };
        Ok(vec![
            LatencyRow::new("credential server: one HTTP fetch (new connection)", raw),
            LatencyRow::new(
                "botocore ContainerProvider.load() from the server",
                list("container"),
            ),
            LatencyRow::new("spawn `aws-login credential-process`", spawn),
            LatencyRow::new(
                "botocore credential_process round trip (aws-login credential-process)",
                list("process"),
            ),
        ])
    })();
    let _ = serve.kill();
    let _ = serve.wait();
    result
}

fn render_server_rows(rows: &[LatencyRow], runs: u32) -> String {
    let mut out = format!(
        "\n## One credential fetch: `aws-login exec`/`serve`'s server vs a `credential_process` spawn (valid cache; {} fetches, {runs} spawns)\n\n| what | p50 | p99 | n |\n|---|---|---|---|\n",
        runs * 10
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.2} ms | {:.2} ms | {} |\n",
            row.name,
            row.percentile(0.50),
            row.percentile(0.99),
            row.samples.len()
        ));
    }
    out
}

/// `export-credentials --profile admin` (a role over the login profile) with its role
/// credentials cached, against botocore resolving the same profile through AWS CLI's role
/// cache. Returns the report section.
fn role_profile_rows(
    env: &Env,
    home: &Path,
    aws_login: &Path,
    python: &str,
    mock: &Mock,
    dir: &Path,
    runs: u32,
) -> Result<String, String> {
    let config = home.join(".aws/config");
    let mut text = std::fs::read_to_string(&config)
        .map_err(|e| format!("reading {}: {e}", config.display()))?;
    text.push_str(&format!(
        "\n[profile admin]\nrole_arn = {BENCH_ROLE_ARN}\nsource_profile = bench\nregion = us-east-1\n"
    ));
    std::fs::write(&config, text).map_err(|e| format!("writing {}: {e}", config.display()))?;
    let ours = format!(
        "{} export-credentials --profile admin --format process",
        aws_login.display()
    );
    let botocore = format!(
        "{python} -c \"import os, botocore.session; from botocore.credentials import JSONFileCache; s = botocore.session.Session(profile='admin'); s.get_component('credential_provider').get_provider('assume-role').cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache')); print(s.get_credentials().get_frozen_credentials().access_key)\""
    );
    let commands = [
        ("aws-login (role)", ours.as_str()),
        ("botocore (role)", botocore.as_str()),
    ];
    // The first run assumes the role and caches it; then both must print the cached key.
    let mut keys = Vec::new();
    for (name, command) in commands {
        let out = env
            .shell(command)
            .output()
            .map_err(|e| format!("{name}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{name} failed before timing: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        keys.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    if !keys[0].contains(keys[1].trim()) {
        return Err(format!(
            "botocore did not reuse aws-login's cached role credentials ({} vs {})",
            keys[1].trim(),
            keys[0].trim()
        ));
    }
    let before = mock.assume_role_calls()?;
    let timings = hyperfine(env, &dir.join("role.csv"), &commands, runs, None)?;
    let rss: Vec<f64> = commands
        .iter()
        .map(|(_, c)| peak_rss_mb(env, c, 7))
        .collect::<Result<_, _>>()?;
    let during = mock.assume_role_calls()? - before;
    Ok(render_role_report(&timings, &rss, during, runs))
}

fn render_role_report(
    timings: &[Timing],
    rss: &[f64],
    assume_role_calls: u64,
    runs: u32,
) -> String {
    let mut out = format!(
        "## Role profile over the login profile, cached role credentials ({runs} runs each) and peak RSS\n\n\
         `export-credentials --profile admin` (`role_arn` + `source_profile = bench`) against botocore resolving\n\
         `admin` with AWS CLI's role cache (`JSONFileCache(~/.aws/cli/cache)`).\n\n\
         | command | mean ± σ | median | min | max | peak RSS | aws-login is |\n|---|---|---|---|---|---|---|\n"
    );
    let ours = timings.first().map(|t| t.mean_ms).unwrap_or(f64::NAN);
    for (t, rss) in timings.iter().zip(rss) {
        let ratio = if std::ptr::eq(t, &timings[0]) {
            "—".to_string()
        } else {
            format!("{:.0}× faster", t.mean_ms / ours)
        };
        out.push_str(&format!(
            "| {} | {:.1} ± {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MB | {} |\n",
            t.name, t.mean_ms, t.stddev_ms, t.median_ms, t.min_ms, t.max_ms, rss, ratio
        ));
    }
    let speedup = timings.get(1).map(|t| t.mean_ms / ours).unwrap_or(0.0);
    let our_rss = rss.first().copied().unwrap_or(f64::NAN);
    out.push_str(&format!(
        "\nAssumeRole calls during the runs: {assume_role_calls} (must be 0).\n\nTargets: ≥ {ROLE_SPEEDUP_TARGET:.0}× faster than botocore: {} ({speedup:.0}×); peak RSS < {RSS_TARGET_MB:.0} MB: {} ({our_rss:.1} MB).\n",
        if speedup >= ROLE_SPEEDUP_TARGET { "met" } else { "MISSED" },
        if our_rss < RSS_TARGET_MB { "met" } else { "MISSED" },
    ));
    out
}

/// The environment every benchmarked command gets: a throw-away HOME, the mock as Sign-In and
/// STS, no proxies, no stray AWS settings, no instance-metadata probing.
struct Env {
    vars: Vec<(String, String)>,
}

impl Env {
    fn new(home: &Path, base_url: &str, node_modules: &Path) -> Env {
        let home_s = home.display().to_string();
        let vars = vec![
            ("HOME".into(), home_s.clone()),
            ("AWS_CONFIG_FILE".into(), format!("{home_s}/.aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                format!("{home_s}/.aws/credentials"),
            ),
            (
                "AWS_LOGIN_CACHE_DIRECTORY".into(),
                format!("{home_s}/.aws/login/cache"),
            ),
            ("AWS_ENDPOINT_URL_SIGNIN".into(), base_url.into()),
            ("AWS_ENDPOINT_URL_STS".into(), base_url.into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("NODE_PATH".into(), node_modules.display().to_string()),
        ];
        Env { vars }
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars() {
            let upper = key.to_ascii_uppercase();
            if upper.starts_with("AWS_") || upper.ends_with("_PROXY") || upper == "BROWSER" {
                command.env_remove(&key);
            }
        }
        command.envs(self.vars.iter().map(|(k, v)| (k, v)));
        command
    }

    fn shell(&self, script: &str) -> Command {
        let mut command = self.command("sh");
        command.args(["-c", script]);
        command
    }
}

/// signin-mock as a child process; killed on drop.
struct Mock {
    child: Child,
    base_url: String,
}

impl Mock {
    fn start(binary: &Path) -> Result<Mock, String> {
        let mut child = Command::new(binary)
            .args(["--port", "0", "--auto-approve", "alice"])
            .env("SIGNIN_MOCK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("signin-mock has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading signin-mock's URL: {e}"))?;
        let base_url = line.trim().to_string();
        if !base_url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            return Err(format!(
                "signin-mock did not print its URL (got {base_url:?})"
            ));
        }
        Ok(Mock { child, base_url })
    }

    /// `POST /v1/token` refresh-grant calls so far, from the admin API.
    fn refresh_calls(&self) -> Result<u64, String> {
        let out = Command::new("curl")
            .args([
                "-s",
                "--noproxy",
                "*",
                &format!("{}/__admin/stats", self.base_url),
            ])
            .output()
            .map_err(|e| format!("curl: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(sum_of_object_after(&text, "\"refresh_token\""))
    }
}

impl Mock {
    /// STS AssumeRole calls so far, from the admin API.
    fn assume_role_calls(&self) -> Result<u64, String> {
        let out = Command::new("curl")
            .args([
                "-s",
                "--noproxy",
                "*",
                &format!("{}/__admin/stats", self.base_url),
            ])
            .output()
            .map_err(|e| format!("curl: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(sum_of_object_after(&text, "\"AssumeRole\""))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sums the integers in the first `{…}` after `key` (the stats JSON nests outcome → count).
fn sum_of_object_after(json: &str, key: &str) -> u64 {
    let Some(start) = json.find(key) else {
        return 0;
    };
    let rest = &json[start + key.len()..];
    let Some(open) = rest.find('{') else { return 0 };
    let Some(close) = rest[open..].find('}') else {
        return 0;
    };
    rest[open + 1..open + close]
        .split(',')
        .filter_map(|pair| pair.rsplit(':').next()?.trim().parse::<u64>().ok())
        .sum()
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
            "expected one session file in {}, found {}",
            dir.display(),
            files.len()
        )),
    }
}

#[derive(Debug, Clone)]
struct Timing {
    name: String,
    mean_ms: f64,
    median_ms: f64,
    stddev_ms: f64,
    min_ms: f64,
    max_ms: f64,
}

fn hyperfine(
    env: &Env,
    csv: &Path,
    commands: &[(&str, &str)],
    runs: u32,
    prepare: Option<&str>,
) -> Result<Vec<Timing>, String> {
    let mut command = env.command("hyperfine");
    command
        .args([
            "--style",
            "basic",
            "--warmup",
            "3",
            "--runs",
            &runs.to_string(),
            "--export-csv",
        ])
        .arg(csv);
    if let Some(prepare) = prepare {
        command.args(["--prepare", prepare]);
    } else {
        command.arg("-N");
    }
    for (name, cmd) in commands {
        command.args(["-n", name, cmd]);
    }
    util::run(&mut command)?;
    let text =
        std::fs::read_to_string(csv).map_err(|e| format!("reading {}: {e}", csv.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("hyperfine CSV has no {name} column"))
    };
    let (c_cmd, c_mean, c_sd, c_median, c_min, c_max) = (
        col("command")?,
        col("mean")?,
        col("stddev")?,
        col("median")?,
        col("min")?,
        col("max")?,
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| {
                f.get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .map(|s| s * 1000.0)
                    .ok_or(format!("bad CSV line {line}"))
            };
            Ok(Timing {
                name: f[c_cmd].to_string(),
                mean_ms: num(c_mean)?,
                median_ms: num(c_median)?,
                stddev_ms: num(c_sd)?,
                min_ms: num(c_min)?,
                max_ms: num(c_max)?,
            })
        })
        .collect()
}

/// The largest maximum RSS over `samples` runs, in MB (`/usr/bin/time -f %M` reports KiB).
fn peak_rss_mb(env: &Env, command: &str, samples: u32) -> Result<f64, String> {
    let mut peak_kib = 0u64;
    for _ in 0..samples {
        let out = env
            .command("/usr/bin/time")
            .args(["-f", "RSS_KIB=%M", "sh", "-c", &format!("exec {command}")])
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("/usr/bin/time: {e}"))?;
        let text = String::from_utf8_lossy(&out.stderr);
        let kib = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("RSS_KIB="))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or(format!("no RSS from /usr/bin/time for {command}: {text}"))?;
        peak_kib = peak_kib.max(kib);
    }
    Ok(peak_kib as f64 / 1024.0)
}

fn render_report(
    valid: &[Timing],
    rss: &[f64],
    valid_refreshes: u64,
    refresh: &[Timing],
    refresh_calls: u64,
    runs: u32,
    refresh_runs: u32,
) -> String {
    let mut out = String::new();
    let ours = valid
        .iter()
        .find(|t| t.name == "aws-login")
        .map(|t| t.mean_ms)
        .unwrap_or(f64::NAN);
    out.push_str(&format!(
        "## Valid cache: whole-process time ({runs} runs each, hyperfine) and peak RSS\n\n"
    ));
    out.push_str(
        "| command | mean ± σ | median | min | max | peak RSS | aws-login is |\n|---|---|---|---|---|---|---|\n",
    );
    for (t, rss) in valid.iter().zip(rss) {
        let ratio = if t.name == "aws-login" {
            "—".to_string()
        } else {
            format!("{:.0}× faster", t.mean_ms / ours)
        };
        out.push_str(&format!(
            "| {} | {:.1} ± {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MB | {} |\n",
            t.name, t.mean_ms, t.stddev_ms, t.median_ms, t.min_ms, t.max_ms, rss, ratio
        ));
    }
    out.push_str(&format!(
        "\nToken requests during the valid-cache runs: {valid_refreshes} (must be 0).\n"
    ));
    let botocore = valid
        .iter()
        .find(|t| t.name == "botocore")
        .map(|t| t.mean_ms / ours)
        .unwrap_or(0.0);
    let our_rss = rss.first().copied().unwrap_or(f64::NAN);
    out.push_str(&format!(
        "\nTargets: ≥ {SPEEDUP_TARGET:.0}× faster than botocore: {} ({botocore:.0}×); peak RSS < {RSS_TARGET_MB:.0} MB: {} ({our_rss:.1} MB).\n",
        if botocore >= SPEEDUP_TARGET { "met" } else { "MISSED" },
        if our_rss < RSS_TARGET_MB { "met" } else { "MISSED" },
    ));
    let ours_refresh = refresh
        .iter()
        .find(|t| t.name == "aws-login")
        .map(|t| t.mean_ms)
        .unwrap_or(f64::NAN);
    out.push_str(&format!("\n## Refresh against local signin-mock ({refresh_runs} runs each; every run calls /v1/token once)\n\n"));
    out.push_str(
        "| command | mean ± σ | median | min | max | aws-login is |\n|---|---|---|---|---|---|\n",
    );
    for t in refresh {
        let ratio = if t.name == "aws-login" {
            "—".to_string()
        } else {
            format!("{:.0}× faster", t.mean_ms / ours_refresh)
        };
        out.push_str(&format!(
            "| {} | {:.1} ± {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} |\n",
            t.name, t.mean_ms, t.stddev_ms, t.median_ms, t.min_ms, t.max_ms, ratio
        ));
    }
    out.push_str(&format!(
        "\nToken requests during the refresh runs: {refresh_calls} (warmups included).\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_nested_counts() {
        let stats = r#"{"authorize":{},"token":{"authorization_code":{"ok":1},"refresh_token":{"ok":3,"TOKEN_EXPIRED":2}},"sts":{}}"#;
        assert_eq!(sum_of_object_after(stats, "\"refresh_token\""), 5);
        assert_eq!(sum_of_object_after("{}", "\"refresh_token\""), 0);
        let spaced = "{\"refresh_token\": {\"ok\": 7}}";
        assert_eq!(sum_of_object_after(spaced, "\"refresh_token\""), 7);
    }
}
