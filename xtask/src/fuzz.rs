//! `cargo xtask fuzz [TARGET] [--seconds N]`: coverage-guided fuzzing (cargo fuzz / libFuzzer)
//! of every input aws-login reads from outside, one target at a time, at the lowest CPU priority.
//!
//! Each target's corpus starts from seeds derived from `fixtures/` (written into
//! `fuzz/corpus/TARGET/seed-*` before every run, so they follow the fixtures) and grows with what
//! libFuzzer finds. Crashes land in `fuzz/artifacts/TARGET/`. Needs the nightly toolchain and
//! `cargo install cargo-fuzz`; not part of `cargo xtask test` (nightly-only, and minutes long).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util;

/// Every target, what it reads, and the largest input worth trying.
pub const TARGETS: &[(&str, &str, usize)] = &[
    (
        "config",
        "shared config / credentials INI: parse, query, edit → read back",
        8192,
    ),
    (
        "cache_entry",
        "login cache JSON: read → write → read, refresh folded in",
        8192,
    ),
    (
        "id_token",
        "id token JWT and session ARN → config → read back",
        4096,
    ),
    (
        "dpop_pem",
        "dpopKey PEM → both writers → same key; DPoP proofs verify",
        4096,
    ),
    (
        "remote_code",
        "pasted remote-flow code; encode → wrap → decode",
        4096,
    ),
    (
        "callback_query",
        "loopback callback query; encode → parse",
        4096,
    ),
    (
        "token_response",
        "token endpoint status + headers + body; no secret in errors",
        8192,
    ),
    (
        "callback_server",
        "raw bytes into the loopback callback server over TCP",
        20480,
    ),
    ("mock_http", "raw bytes into signin-mock over TCP", 8192),
    (
        "mock_token",
        "signin-mock /v1/token: fuzzed JSON body + DPoP",
        4096,
    ),
    (
        "chain_plan",
        "role chains from config + credentials files; always ends",
        8192,
    ),
    (
        "sts_response",
        "STS AssumeRole XML + role cache files; cache → read back",
        8192,
    ),
    (
        "sso_cache",
        "SSO token/registration/role caches and OIDC/portal responses",
        8192,
    ),
    (
        "credential_server",
        "raw bytes into the exec/serve credential server over TCP",
        8192,
    ),
];

/// `cargo xtask fuzz [TARGET] [--seconds N]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One target (default: every target, one after the other)
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(TARGETS.iter().map(|(t, _, _)| *t)))]
    pub target: Option<String>,
    /// Seconds per target
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: u64,
    /// Run the targets as last built, without `cargo fuzz build` (while the sources change)
    #[arg(long)]
    pub no_build: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let (target, seconds) = (args.target.as_deref(), args.seconds);
    let selected: Vec<&(&str, &str, usize)> = match target {
        Some(name) => vec![TARGETS
            .iter()
            .find(|(t, _, _)| *t == name)
            .ok_or_else(|| format!("no fuzz target {name:?}; targets: {}", names()))?],
        None => TARGETS.iter().collect(),
    };
    if util::output(Command::new("cargo").args(["+nightly", "fuzz", "--version"])).is_none() {
        return Err("cargo fuzz needs the nightly toolchain and cargo-fuzz: \
             `rustup toolchain install nightly` and `cargo install cargo-fuzz`"
            .into());
    }
    let fuzz_dir = util::root().join("fuzz");
    let target_dir = std::env::var_os("AWS_LOGIN_FUZZ_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| util::target_dir().join("fuzz"));
    if !args.no_build {
        util::run(
            Command::new("nice")
                .args(["-n", "19", "cargo", "+nightly", "fuzz", "build", "-O"])
                .current_dir(&fuzz_dir)
                .env("CARGO_TARGET_DIR", &target_dir),
        )?;
    }

    let mut summaries = Vec::new();
    for (name, what, max_len) in selected {
        let corpus = fuzz_dir.join("corpus").join(name);
        let seeded = write_seeds(name, &corpus)?;
        eprintln!("== fuzz {name} ({what}) for {seconds} s, {seeded} seeds from fixtures/");
        summaries.push(run_target(
            &fuzz_dir,
            &target_dir,
            name,
            &corpus,
            seconds,
            *max_len,
            args.no_build,
        )?);
    }
    eprintln!();
    println!(
        "{:<16} {:>12} {:>8} {:>8} {:>8}  result",
        "target", "executions", "cov", "ft", "corpus"
    );
    let mut failed = Vec::new();
    for s in &summaries {
        println!(
            "{:<16} {:>12} {:>8} {:>8} {:>8}  {}",
            s.target,
            s.executions,
            s.cov,
            s.ft,
            s.corpus,
            s.crash.as_deref().unwrap_or("ok")
        );
        if s.crash.is_some() {
            failed.push(s.target);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "crashes in {} (inputs under fuzz/artifacts/)",
            failed.join(", ")
        ))
    }
}

fn names() -> String {
    TARGETS
        .iter()
        .map(|(t, _, _)| *t)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug)]
struct Summary {
    target: &'static str,
    executions: u64,
    cov: u64,
    ft: u64,
    corpus: u64,
    crash: Option<String>,
}

fn run_target(
    fuzz_dir: &Path,
    target_dir: &Path,
    name: &'static str,
    corpus: &Path,
    seconds: u64,
    max_len: usize,
    no_build: bool,
) -> Result<Summary, String> {
    let mut command = Command::new("nice");
    command.args(["-n", "19"]);
    if no_build {
        // What `cargo fuzz run` would start, without rebuilding first.
        let binary = target_dir
            .join("x86_64-unknown-linux-gnu")
            .join("release")
            .join(name);
        if !binary.exists() {
            return Err(format!(
                "{} is not built; run without --no-build",
                binary.display()
            ));
        }
        let artifacts = fuzz_dir.join("artifacts").join(name);
        std::fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
        command
            .arg(binary)
            .arg(corpus)
            .arg(format!("-artifact_prefix={}/", artifacts.display()));
    } else {
        command
            .args(["cargo", "+nightly", "fuzz", "run", "-O", name])
            .arg(corpus)
            .arg("--");
    }
    command
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={max_len}"))
        .args(["-timeout=60", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .current_dir(fuzz_dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    eprintln!("+ {command:?}");
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    let stderr = child.stderr.take().expect("piped stderr");
    let mut summary = Summary {
        target: name,
        executions: 0,
        cov: 0,
        ft: 0,
        corpus: 0,
        crash: None,
    };
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        eprintln!("{line}");
        read_status_line(&line, &mut summary);
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            summary.executions = rest.trim().parse().unwrap_or(summary.executions);
        }
        if line.contains("Test unit written to") {
            summary.crash = Some(line.trim().to_owned());
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo fuzz: {e}"))?;
    if !status.success() && summary.crash.is_none() {
        summary.crash = Some(format!("cargo fuzz exited with {status}"));
    }
    Ok(summary)
}

/// `#123456 pulse  cov: 1234 ft: 5678 corp: 90/12Kb …` → the counters.
fn read_status_line(line: &str, summary: &mut Summary) {
    let Some(rest) = line.strip_prefix('#') else {
        return;
    };
    let mut words = rest.split_whitespace();
    if let Some(n) = words.next().and_then(|n| n.parse().ok()) {
        summary.executions = n;
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    for pair in words.windows(2) {
        let value = || pair[1].split('/').next().and_then(|v| v.parse().ok());
        match pair[0] {
            "cov:" => summary.cov = value().unwrap_or(summary.cov),
            "ft:" => summary.ft = value().unwrap_or(summary.ft),
            "corp:" => summary.corpus = value().unwrap_or(summary.corpus),
            _ => {}
        }
    }
}

/// Writes the seeds for `target` (derived from `fixtures/`) into its corpus directory.
fn write_seeds(target: &str, corpus: &Path) -> Result<usize, String> {
    std::fs::create_dir_all(corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let seeds = seeds(target)?;
    for (i, seed) in seeds.iter().enumerate() {
        let path = corpus.join(format!("seed-{i:03}"));
        std::fs::write(&path, seed).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(seeds.len())
}

fn fixtures() -> PathBuf {
    util::root().join("fixtures")
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn json(name: &str) -> Result<Value, String> {
    let path = fixtures().join(name);
    serde_json::from_slice(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// Files directly in `dir` (sorted), and in its subdirectories when `deep`.
fn files(dir: &Path, deep: bool) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if deep {
                out.extend(files(&path, true)?);
            }
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn strs<'a>(value: &'a Value, list: &str, field: &str) -> Vec<&'a str> {
    value[list]
        .as_array()
        .map(|cases| cases.iter().filter_map(|c| c[field].as_str()).collect())
        .unwrap_or_default()
}

/// Fields joined the way the targets split them (`aws_login_fuzz::fields`): NUL-separated.
fn joined(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&0u8)
}

fn get_request(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: seed\r\n\r\n").into_bytes()
}

fn post_request(target: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

fn seeds(target: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    match target {
        "config" => {
            for file in files(&fixtures().join("config"), false)? {
                seeds.push(read(&file)?);
            }
            for edit in json("config.json")?["edits"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let before = read(&fixtures().join(edit["before"].as_str().unwrap_or_default()))?;
                for set in edit["set"].as_array().into_iter().flatten() {
                    let kind: &[u8] = match set["section"]["kind"].as_str() {
                        Some("sso-session") => b"\x01",
                        Some("services") => b"\x02",
                        _ => b"\x00",
                    };
                    let text = |v: &Value| v.as_str().unwrap_or_default().as_bytes().to_vec();
                    seeds.push(joined(&[
                        &before,
                        kind,
                        &text(&set["section"]["name"]),
                        &text(&set["key"]),
                        &text(&set["value"]),
                    ]));
                }
            }
        }
        "cache_entry" => {
            for file in files(&fixtures().join("cache"), true)? {
                seeds.push(read(&file)?);
            }
            for json_text in strs(&json("cache.json")?, "logoutAll", "json") {
                seeds.push(json_text.as_bytes().to_vec());
            }
        }
        "id_token" => {
            let tokens = json("id_tokens.json")?;
            for t in strs(&tokens, "cases", "idToken") {
                seeds.push(t.as_bytes().to_vec());
            }
            for a in strs(&tokens, "cases", "arn") {
                seeds.push(a.as_bytes().to_vec());
            }
        }
        "dpop_pem" => {
            let dpop = json("dpop.json")?;
            for file in files(&fixtures().join("dpop"), false)? {
                seeds.push(read(&file)?);
            }
            for pem in strs(&dpop, "badKeys", "pem") {
                seeds.push(pem.as_bytes().to_vec());
            }
            let key = read(&fixtures().join("dpop/key-sec1.pem"))?;
            for list in ["proofs", "peerProofs"] {
                for case in dpop[list].as_array().into_iter().flatten() {
                    let s = |f: &str| case[f].as_str().unwrap_or_default().as_bytes().to_vec();
                    seeds.push(joined(&[&key, &s("proof"), &s("htu"), &s("jti")]));
                }
            }
        }
        "remote_code" | "callback_query" => {
            let callbacks = json("callbacks.json")?;
            let (list, field) = if target == "remote_code" {
                ("remoteCodes", "pasted")
            } else {
                ("callbacks", "query")
            };
            for case in callbacks[list].as_array().into_iter().flatten() {
                let input = case[field].as_str().unwrap_or_default().as_bytes();
                let code = case["code"].as_str().unwrap_or_default().as_bytes();
                seeds.push(joined(&[input, code]));
            }
        }
        "token_response" => {
            for case in json("token_responses.json")?["cases"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let status = case["status"].as_u64().unwrap_or(200).to_string();
                let headers: String = case["headers"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| format!("{k}: {}\n", v.as_str().unwrap_or_default()))
                    .collect();
                let body = case["body"].as_str().unwrap_or_default();
                seeds.push(joined(&[
                    status.as_bytes(),
                    headers.as_bytes(),
                    body.as_bytes(),
                ]));
            }
        }
        "callback_server" => {
            for query in strs(&json("callbacks.json")?, "callbacks", "query") {
                let query = query.trim_start_matches("/oauth/callback?");
                seeds.push(get_request(&format!("/oauth/callback?{query}")));
            }
            seeds.push(get_request("/favicon.ico"));
            seeds.push(b"HEAD /oauth/callback HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec());
            seeds.push(post_request("/oauth/callback", &[], "code=x&state=y"));
            seeds.push(
                b"GET http://127.0.0.1:4242/oauth/callback?code=a&state=b HTTP/1.0\n\n".to_vec(),
            );
        }
        "credential_server" => {
            // `@TOKEN@` is the server's authorization token (the target fills it in).
            let get = |path: &str, host: &str, auth: &str| {
                format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n").into_bytes()
            };
            let token = "Authorization: @TOKEN@\r\n";
            seeds.push(get("/credentials", "127.0.0.1:8080", token));
            seeds.push(get("/credentials", "localhost", token));
            seeds.push(get("/credentials", "[::1]:9", token));
            seeds.push(get("/credentials", "evil.example", token));
            seeds.push(get("/credentials", "127.0.0.1", "Authorization: wrong\r\n"));
            seeds.push(get("/credentials", "127.0.0.1", ""));
            seeds.push(get("/other", "127.0.0.1", token));
            seeds.push(get("/credentials?x=1", "127.0.0.1", token));
            seeds.push(
                b"POST /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: @TOKEN@\r\nContent-Length: 2\r\n\r\n{}"
                    .to_vec(),
            );
            seeds.push(
                b"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: @TOKEN@\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                    .to_vec(),
            );
        }
        "mock_http" => {
            for url in strs(&json("authorize_urls.json")?, "cases", "url") {
                let path = url.find("/v1/").map_or(url, |at| &url[at..]);
                seeds.push(get_request(path));
            }
            for case in json("token_requests.json")?["cases"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let expected = &case["expected"];
                let headers: Vec<(&str, &str)> = expected["headers"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
                    .collect();
                seeds.push(post_request(
                    "/v1/token",
                    &headers,
                    expected["body"].as_str().unwrap_or_default(),
                ));
            }
            seeds.push(get_request("/v1/sessions/confirmation?state=s&code=c"));
            seeds.push(post_request(
                "/",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("X-Amz-Date", "20261201T120000Z"),
                    ("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261201/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00"),
                ],
                "Action=GetCallerIdentity&Version=2011-06-15",
            ));
            seeds.push(post_request(
                "/v1/authorize/decision",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                "request=x&identity=alice&decision=allow",
            ));
        }
        "mock_token" => {
            let refresh =
                r#"{"clientId":"@CID@","grantType":"refresh_token","refreshToken":"@RT@"}"#;
            let code = r#"{"clientId":"@CID@","grantType":"authorization_code","code":"@CODE@","codeVerifier":"@VERIFIER@","redirectUri":"http://127.0.0.1:4242/oauth/callback"}"#;
            for mode in [b"\x00", b"\x01", b"\x02"] {
                seeds.push(joined(&[refresh.as_bytes(), mode, b"x.y.z"]));
                seeds.push(joined(&[code.as_bytes(), mode, b""]));
            }
            for case in json("token_requests.json")?["cases"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let expected = &case["expected"];
                let body = expected["body"].as_str().unwrap_or_default().as_bytes();
                let dpop = expected["headers"]["DPoP"]
                    .as_str()
                    .unwrap_or_default()
                    .as_bytes();
                seeds.push(joined(&[body, b"\x02", dpop]));
            }
        }
        "chain_plan" => {
            for case in json("chain.json")?["cases"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let s = |f: &str| case[f].as_str().unwrap_or_default().as_bytes().to_vec();
                seeds.push(joined(&[&s("config"), &s("credentials"), &s("profile")]));
            }
        }
        "sts_response" => {
            let sts = json("sts.json")?;
            for case in sts["responses"].as_array().into_iter().flatten() {
                let status = case["status"].as_u64().unwrap_or(200).to_string();
                let headers: String = case["headers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|pair| {
                        Some(format!("{}: {}\n", pair[0].as_str()?, pair[1].as_str()?))
                    })
                    .collect();
                let body = case["body"].as_str().unwrap_or_default();
                seeds.push(joined(&[
                    status.as_bytes(),
                    headers.as_bytes(),
                    body.as_bytes(),
                ]));
            }
            for file in strs(&sts, "cacheFiles", "json") {
                seeds.push(joined(&[b"200", b"", file.as_bytes()]));
            }
        }
        "sso_cache" => {
            let sso = json("sso.json")?;
            for list in ["tokenFiles", "invalidTokenFiles"] {
                for text in strs(&sso, list, "text") {
                    seeds.push(joined(&[b"200", b"", text.as_bytes()]));
                }
            }
            if let Some(text) = sso["roleCacheFile"]["text"].as_str() {
                seeds.push(joined(&[b"200", b"", text.as_bytes()]));
            }
            for body in strs(&sso, "applyRefresh", "responseBody") {
                seeds.push(joined(&[
                    b"200",
                    b"Content-Type: application/json\n",
                    body.as_bytes(),
                ]));
            }
        }
        other => return Err(format!("no seeds for {other}")),
    }
    if seeds.is_empty() {
        return Err(format!("no seeds found in fixtures/ for {target}"));
    }
    Ok(seeds)
}
