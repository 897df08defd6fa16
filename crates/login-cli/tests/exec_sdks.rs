//! Real SDKs as the child of `aws-login exec`, with no code change and the default credential
//! chain: boto3 1.40.76 (before login sessions) and current boto3, the JS SDK v3 from before login
//! sessions (3.934) and current, each calling STS `GetCallerIdentity` before and after the first
//! credentials expired, in one long-running child (signin-mock issues 20-second credentials); and
//! the `aws-cdk` CLI from before 2.1034.0 deploying an environment-agnostic stack, which finds its
//! account and credentials through the server, as far as a CloudFormation stand-in.
//!
//! The peers come from the environment `cargo xtask test` sets (AWS_LOGIN_TEST_PYTHON,
//! AWS_LOGIN_TEST_PYTHON_OLD, AWS_LOGIN_TEST_NODE_MODULES, AWS_LOGIN_TEST_NODE_MODULES_OLD);
//! without them these tests fail, unless AWS_LOGIN_SKIP_INTEROP=1 skips them explicitly.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use signin_mock::MockConfig;
use support::Sandbox;

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");
/// Credentials issued by the mock live this long; the server refreshes inside 10 s of expiry
/// (room for a slow machine between a fetch and the STS call it signs).
const LIFETIME_SECS: u64 = 20;
const WINDOW: &str = "10s";

fn peer(var: &str) -> Option<PathBuf> {
    if std::env::var("AWS_LOGIN_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("AWS_LOGIN_SKIP_INTEROP=1: SDK test skipped");
        return None;
    }
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(
                path.exists(),
                "{} does not exist; run `cargo xtask setup`",
                path.display()
            );
            Some(path)
        }
        _ => panic!(
            "{var} is not set: these tests need the real SDKs; run them through `cargo xtask test` \
             (it installs them), or set AWS_LOGIN_SKIP_INTEROP=1 to skip them explicitly"
        ),
    }
}

fn short_lived() -> Sandbox {
    Sandbox::with_mock(MockConfig {
        access_token_lifetime_secs: LIFETIME_SECS,
        ..MockConfig::default()
    })
}

fn json_line(out: &Output, what: &str) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("{what} printed no JSON: {stdout}"));
    serde_json::from_str(line).unwrap()
}

/// Two calls signed with different keys, the first key expired before the second call, STS
/// never saw an expired token, and the server refreshed (exec's own resolution plus one after
/// the expiry at least).
fn check_across_expiry(sandbox: &Sandbox, result: &serde_json::Value, refreshes_before: u64) {
    assert_eq!(
        result["first"]["arn"], "arn:aws:iam::111122223333:user/alice",
        "{result}"
    );
    assert_eq!(result["second"]["arn"], result["first"]["arn"]);
    let (first, second) = (&result["first"]["key"], &result["second"]["key"]);
    assert!(first.as_str().unwrap().starts_with("ASIA"), "{result}");
    assert_ne!(
        first, second,
        "the second call was signed with refreshed credentials: {result}"
    );
    let stats = sandbox.mock.stats();
    let sts = serde_json::to_value(&stats).unwrap()["sts"]["GetCallerIdentity"].clone();
    assert_eq!(sts["ok"], 2, "{sts}");
    assert!(
        sts.get("ExpiredToken").is_none(),
        "no call with expired credentials: {sts}"
    );
    assert!(sandbox.refresh_calls() >= refreshes_before + 2);
}

const BOTO3_CHILD: &str = r#"
import json, sys, time
import boto3
session = boto3.Session()
sts = session.client("sts")
signed = []
sts.meta.events.register("before-send.sts.GetCallerIdentity",
                         lambda request, **kw: signed.append(request.headers["Authorization"].decode().split("Credential=")[1].split("/")[0]))
def call():
    arn = sts.get_caller_identity()["Arn"]
    return {"arn": arn, "key": signed[-1]}
first = call()
time.sleep(float(sys.argv[1]))
second = call()
print(json.dumps({"boto3": boto3.__version__, "method": session.get_credentials().method, "first": first, "second": second}))
"#;

fn boto3_across_expiry(python: &Path, expected_version: Option<&str>) {
    let sandbox = short_lived();
    sandbox.login("dev", "alice");
    let before = sandbox.refresh_calls();
    let sleep = (LIFETIME_SECS + 2).to_string();
    let out = sandbox
        .command(AWS_LOGIN)
        .args(["exec", "--profile", "dev", "--refresh-window", WINDOW, "--"])
        .arg(python)
        .args(["-c", BOTO3_CHILD, &sleep])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_REGION")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let result = json_line(&out, "boto3 under aws-login exec");
    if let Some(version) = expected_version {
        assert_eq!(result["boto3"], version);
    }
    assert_eq!(result["method"], "container-role", "{result}");
    check_across_expiry(&sandbox, &result, before);
}

#[test]
fn boto3_1_40_76_across_credential_expiry() {
    let Some(python) = peer("AWS_LOGIN_TEST_PYTHON_OLD") else {
        return;
    };
    boto3_across_expiry(&python, Some("1.40.76"));
}

#[test]
fn current_boto3_across_credential_expiry() {
    let Some(python) = peer("AWS_LOGIN_TEST_PYTHON") else {
        return;
    };
    boto3_across_expiry(&python, None);
}

const JS_CHILD: &str = r#"
const path = require('path');
const m = process.env.AWS_LOGIN_TEST_NODE_MODULES;
const { STSClient, GetCallerIdentityCommand } = require(path.join(m, '@aws-sdk/client-sts'));
const version = require(path.join(m, '@aws-sdk/client-sts/package.json')).version;
const client = new STSClient({ region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL_STS });
let signed;
client.middlewareStack.add((next) => async (args) => {
  signed = /Credential=([A-Z0-9]+)\//.exec(args.request.headers.authorization)[1];
  return next(args);
}, { step: 'deserialize', name: 'recordSigningKey' });
const call = async () => ({ arn: (await client.send(new GetCallerIdentityCommand({}))).Arn, key: signed });
(async () => {
  const first = await call();
  await new Promise((r) => setTimeout(r, Number(process.argv[1]) * 1000));
  const second = await call();
  console.log(JSON.stringify({ version, first, second }));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

fn js_across_expiry(node_modules: &Path) -> serde_json::Value {
    let sandbox = short_lived();
    sandbox.login("dev", "alice");
    let before = sandbox.refresh_calls();
    let sleep = (LIFETIME_SECS + 2).to_string();
    let out = sandbox
        .command(AWS_LOGIN)
        .args([
            "exec",
            "--profile",
            "dev",
            "--refresh-window",
            WINDOW,
            "--",
            "node",
            "-e",
            JS_CHILD,
            &sleep,
        ])
        .env("AWS_LOGIN_TEST_NODE_MODULES", node_modules)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let result = json_line(&out, "the JS SDK under aws-login exec");
    check_across_expiry(&sandbox, &result, before);
    result
}

#[test]
fn js_sdk_before_login_sessions_across_credential_expiry() {
    let Some(modules) = peer("AWS_LOGIN_TEST_NODE_MODULES_OLD") else {
        return;
    };
    let result = js_across_expiry(&modules);
    assert_eq!(result["version"], "3.934.0");
}

#[test]
fn current_js_sdk_across_credential_expiry() {
    let Some(modules) = peer("AWS_LOGIN_TEST_NODE_MODULES") else {
        return;
    };
    js_across_expiry(&modules);
}

/// A stand-in for every AWS service but STS and Sign-In (Python's http.server): records the
/// action and signing key of each call in a JSON-lines file and creates nothing.
const CLOUDFORMATION_STAND_IN: &str = r#"
import json, re, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
log = sys.argv[1]
REFUSAL = "no CloudFormation in this test: change set refused by the stand-in"
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = urllib.parse.parse_qs(body)
        action = form.get("Action", [self.command + " " + self.path])[0]
        key = re.search(r"Credential=([A-Z0-9]+)/", self.headers.get("Authorization", ""))
        with open(log, "a") as f:
            f.write(json.dumps({"action": action, "key": key.group(1) if key else None}) + "\n")
        if action == "DescribeStacks":
            code, message = "ValidationError", "Stack with id %s does not exist" % form.get("StackName", ["?"])[0]
        else:
            code, message = "AccessDenied", REFUSAL
        payload = ('<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
                   '<Code>%s</Code><Message>%s</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>' % (code, message)).encode()
        self.send_response(400)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
    do_GET = do_POST
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

fn write_cloud_assembly(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let manifest = serde_json::json!({
        "version": "36.0.0",
        "artifacts": {
            "Agnostic": {
                "type": "aws:cloudformation:stack",
                "environment": "aws://unknown-account/unknown-region",
                "properties": {"templateFile": "Agnostic.template.json", "validateOnSynth": false},
                "displayName": "Agnostic"
            }
        }
    });
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(
        dir.join("Agnostic.template.json"),
        r#"{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}"#,
    )
    .unwrap();
}

#[test]
fn cdk_deploy_of_an_environment_agnostic_stack_with_an_old_cdk_cli() {
    let Some(modules) = peer("AWS_LOGIN_TEST_NODE_MODULES_OLD") else {
        return;
    };
    let cdk = modules.join("aws-cdk/bin/cdk");
    assert!(
        cdk.exists(),
        "{} is missing; run `cargo xtask setup`",
        cdk.display()
    );
    let version: serde_json::Value =
        serde_json::from_slice(&std::fs::read(modules.join("aws-cdk/package.json")).unwrap())
            .unwrap();
    let version = version["version"].as_str().unwrap().to_string();
    let parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(
        parts < vec![2, 1034, 0],
        "aws-cdk {version} predates login sessions"
    );

    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let app = sandbox.dir.path().join("app");
    write_cloud_assembly(&app.join("cdk.out"));
    let log = sandbox.dir.path().join("cloudformation.jsonl");
    let mut stand_in = std::process::Command::new("python3")
        .args(["-c", CLOUDFORMATION_STAND_IN])
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(stand_in.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let stand_in_url = format!("http://127.0.0.1:{}", port.trim());

    let deploy = |with_exec: bool| {
        let mut command = sandbox.command(if with_exec { AWS_LOGIN } else { "node" });
        if with_exec {
            command.args(["exec", "--profile", "dev", "--", "node"]);
        }
        command
            .arg(&cdk)
            .args([
                "deploy",
                "Agnostic",
                "--app",
                "cdk.out",
                "--require-approval",
                "never",
                "--no-notices",
            ])
            .args(if with_exec {
                &[][..]
            } else {
                &["--profile", "dev"][..]
            })
            .current_dir(&app)
            .env("AWS_ENDPOINT_URL", &stand_in_url)
            .env("CDK_DISABLE_VERSION_CHECK", "1")
            .env("CDK_DISABLE_CLI_TELEMETRY", "true")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_REGION")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // Today's failure, for contrast: `--profile dev` (a login profile) means nothing to this CDK CLI.
    let without = deploy(false);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&without.stdout),
        String::from_utf8_lossy(&without.stderr)
    );
    assert!(
        text.contains("Unable to resolve AWS account to use"),
        "{text}"
    );

    let with = deploy(true);
    let _ = stand_in.kill();
    let _ = stand_in.wait();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&with.stdout),
        String::from_utf8_lossy(&with.stderr)
    );
    assert!(!text.contains("Unable to resolve AWS account"), "{text}");
    assert!(
        text.contains("change set refused by the stand-in"),
        "got as far as CloudFormation: {text}"
    );
    let key = sandbox.read_cache(&session)["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let calls: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        calls.iter().any(|c| c["action"] == "DescribeStacks"),
        "{calls:?}"
    );
    assert!(
        calls.iter().all(|c| c["key"] == key.as_str()),
        "every call signed with the session's key: {calls:?}"
    );
    let stats = serde_json::to_value(sandbox.mock.stats()).unwrap();
    assert!(
        stats["sts"]["GetCallerIdentity"]["ok"]
            .as_u64()
            .unwrap_or(0)
            >= 1,
        "the account came from STS: {stats}"
    );
}
