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

pub fn run(args: &[String]) -> Result<(), String> {
    let runs = option(args, "--runs")?.unwrap_or(40);
    let refresh_runs = option(args, "--refresh-runs")?.unwrap_or(15);
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
    let sso = bench_sso(&env, &mock, &aws_login, &python, &home, &dir, runs)?;
    drop(mock);

    let mut report = render_report(
        &valid,
        &rss_valid,
        refreshes_during_valid,
        &refresh,
        refreshes_during_refresh,
        runs,
        refresh_runs,
    );
    report.push_str(&sso);
    println!("{report}");
    let path = dir.join("results.md");
    std::fs::write(&path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("results written to {}", path.display());

    if args.iter().any(|a| a == "--no-bindings") {
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

fn option(args: &[String], name: &str) -> Result<Option<u32>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| format!("{name} needs a positive number")),
    }
}

/// `export-credentials --profile <sso profile>` with cached role credentials against botocore
/// resolving the same profile (its SSO provider keeps role credentials in memory only, so each
/// botocore process reads the token and calls GetRoleCredentials): paired hyperfine runs and
/// peak RSS.
fn bench_sso(
    env: &Env,
    mock: &Mock,
    aws_login: &Path,
    python: &str,
    home: &Path,
    dir: &Path,
    runs: u32,
) -> Result<String, String> {
    let config = home.join(".aws/config");
    let mut text = std::fs::read_to_string(&config).unwrap_or_default();
    text.push_str("[profile bench-sso]\nsso_session = bench\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n[sso-session bench]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n");
    std::fs::write(&config, text).map_err(|e| format!("writing {}: {e}", config.display()))?;
    util::run(Command::new("curl").args([
        "-s",
        "--noproxy",
        "*",
        "-o",
        "/dev/null",
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-d",
        "{\"user\":\"alice\"}",
        &format!("{}/__admin/sso/auto-approve", mock.base_url),
    ]))?;
    let mut login = env.command(aws_login);
    login
        .args([
            "sso",
            "login",
            "--sso-session",
            "bench",
            "--use-device-code",
        ])
        .env("BROWSER", "curl -s -L -o /dev/null %s");
    util::run(&mut login)?;
    let ours = format!(
        "{} export-credentials --profile bench-sso --format process",
        aws_login.display()
    );
    let botocore = format!(
        "{python} -c \"import botocore.session; c = botocore.session.Session(profile='bench-sso').get_credentials().get_frozen_credentials(); print(c.access_key)\""
    );
    let commands = [
        ("aws-login", ours.as_str()),
        ("botocore", botocore.as_str()),
    ];
    for (name, command) in commands {
        let out = env
            .shell(command)
            .output()
            .map_err(|e| format!("{name}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{name} (SSO) failed before timing: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let timings = hyperfine(env, &dir.join("sso.csv"), &commands, runs, None)?;
    let rss: Vec<f64> = commands
        .iter()
        .map(|(_, c)| peak_rss_mb(env, c, 7))
        .collect::<Result<_, _>>()?;
    let mean = |n: &str| {
        timings
            .iter()
            .find(|t| t.name == n)
            .map_or(f64::NAN, |t| t.mean_ms)
    };
    let speedup = mean("botocore") / mean("aws-login");
    let mut out = format!("\n## IAM Identity Center profile, cached role credentials ({runs} runs each, hyperfine)\n\n");
    out.push_str(
        "| command | mean ± σ | median | min | max | peak RSS |\n|---|---|---|---|---|---|\n",
    );
    for (t, rss) in timings.iter().zip(&rss) {
        out.push_str(&format!(
            "| {} | {:.1} ± {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MB |\n",
            t.name, t.mean_ms, t.stddev_ms, t.median_ms, t.min_ms, t.max_ms, rss
        ));
    }
    out.push_str(&format!(
        "\nTargets: ≥ {SPEEDUP_TARGET:.0}× faster than botocore: {} ({speedup:.0}×); peak RSS < {RSS_TARGET_MB:.0} MB: {} ({:.1} MB).\n",
        if speedup >= SPEEDUP_TARGET { "met" } else { "MISSED" },
        if rss[0] < RSS_TARGET_MB { "met" } else { "MISSED" },
        rss[0],
    ));
    Ok(out)
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
            ("AWS_ENDPOINT_URL_SSO_OIDC".into(), base_url.into()),
            ("AWS_ENDPOINT_URL_SSO".into(), base_url.into()),
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
