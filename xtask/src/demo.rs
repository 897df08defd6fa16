//! `cargo xtask demo`: the whole product on a fresh machine, with no AWS account.
//!
//! It builds `aws-login` and `signin-mock`, starts the mock (a local AWS Sign-In and STS), signs in
//! with `aws-login login` — in the person's own browser when there is a display, otherwise in
//! headless Chromium that picks an identity and clicks Allow — then shows `aws-login status`,
//! `export-credentials` and a real SDK call (boto3 `GetCallerIdentity` on the mock's STS) with the
//! new profile. Everything lives in a throw-away directory: the person's `~/.aws` is never read or
//! written, and inherited `AWS_*` variables are not passed on.
//!
//! Options: `--headless` (always use headless Chromium), `--browser` (always open your browser),
//! `--identity NAME` (alice, admin or bob — bob lacks the permission, to see that error), `--keep`
//! (leave the throw-away directory for a look).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, root};

const DRIVER: &str = "crates/login-cli/tests/support/browser-driver/driver.js";

/// `cargo xtask demo` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Always sign in with headless Chromium (the default without a display)
    #[arg(long, conflicts_with = "browser")]
    pub headless: bool,
    /// Always open your own browser (the default with a display)
    #[arg(long)]
    pub browser: bool,
    /// Who signs in: alice, admin, or bob (bob lacks the permission, to see that error)
    #[arg(long, value_name = "NAME", default_value = "alice",
          value_parser = clap::builder::PossibleValuesParser::new(["alice", "admin", "bob"]))]
    pub identity: String,
    /// Leave the throw-away directory for a look
    #[arg(long)]
    pub keep: bool,
}

impl Args {
    /// `Some(true)` for `--headless`, `Some(false)` for `--browser`, `None` to decide by display.
    pub fn headless(&self) -> Option<bool> {
        match (self.headless, self.browser) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        }
    }
}

pub fn run(options: Args) -> Result<(), String> {
    let has_display = cfg!(target_os = "macos")
        || ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    let headless = options.headless().unwrap_or(!has_display);

    step("Building aws-login and signin-mock (debug build)");
    util::run(util::cargo().args(["build", "-q", "-p", "login-cli", "-p", "signin-mock"]))?;
    let target = util::target_dir();
    let aws_login = target.join("debug").join(exe("aws-login"));
    let signin_mock = target.join("debug").join(exe("signin-mock"));

    step("Installing the peers the demo uses (boto3 for the SDK call; Chromium when headless)");
    let peers = crate::peers::setup()?;

    let sandbox = Sandbox::create()?;
    let result = demo(
        &options,
        headless,
        &aws_login,
        &signin_mock,
        &peers,
        &sandbox,
    );
    if options.keep {
        println!("\nThe demo's files are kept in {}.", sandbox.dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&sandbox.dir);
    }
    result
}

fn demo(
    options: &Args,
    headless: bool,
    aws_login: &Path,
    signin_mock: &Path,
    peers: &crate::peers::Peers,
    sandbox: &Sandbox,
) -> Result<(), String> {
    step("Starting signin-mock");
    let mock = MockProcess::start(signin_mock, &sandbox.dir)?;
    let base = mock.base_url.clone();
    explain(&format!(
        "signin-mock is running at {base}: a local AWS Sign-In service (sign-in page, DPoP token endpoint) and STS.\n\
         Everything below uses a throw-away HOME in {} (your ~/.aws is not touched).",
        sandbox.dir.display()
    ));

    let command = |program: &Path| sandbox.command(program, &base);

    step("aws-login login --profile demo --region us-east-1");
    let mut login = command(aws_login);
    login.args(["login", "--profile", "demo", "--region", "us-east-1"]);
    if headless {
        explain(&format!(
            "No display here, so headless Chromium plays the person: it opens the sign-in page, picks '{}' and clicks Allow.\n\
             (It is started through $BROWSER, exactly as your own browser would be.)",
            options.identity
        ));
        login
            .env(
                "BROWSER",
                format!("node {} %s", root().join(DRIVER).display()),
            )
            .env("AWS_LOGIN_TEST_NODE_MODULES", &peers.node_modules)
            .env("AWS_LOGIN_TEST_CHROMIUM", &peers.chromium)
            .env("AWS_LOGIN_DRIVER_IDENTITY", &options.identity)
            .env("AWS_LOGIN_DRIVER_LOG", sandbox.dir.join("browser.log"));
    } else {
        explain(&format!(
            "Your browser opens the mock's sign-in page: choose an identity ({} is the usual one; bob lacks the permission) and click Allow.",
            options.identity
        ));
    }
    if let Err(error) = run_shown(&mut login) {
        if options.identity == "bob" {
            explain(
                "As intended: bob may sign in to the console but lacks signin:CreateOAuth2Token, so no CLI session\n\
                 was created and nothing was written. That is the message your users see; the browser tab said so too.",
            );
            return Ok(());
        }
        return Err(error);
    }

    step("The profile aws-login wrote (format-preserving edit of the config file)");
    print!(
        "{}",
        std::fs::read_to_string(&sandbox.config)
            .map_err(|e| format!("reading the demo config: {e}"))?
    );

    step("aws-login status --profile demo");
    explain("The session, its account and how long the temporary credentials last (read from the cache, no secrets shown).");
    run_shown(command(aws_login).args(["status", "--profile", "demo"]))?;

    step("aws-login export-credentials --profile demo --format env-no-export");
    explain("The credentials any tool can use; they refresh every 15 minutes for up to 12 hours. (Mock credentials: safe to show.)");
    run_shown(command(aws_login).args([
        "export-credentials",
        "--profile",
        "demo",
        "--format",
        "env-no-export",
    ]))?;

    step("boto3: sts.get_caller_identity() with profile 'demo'");
    explain("A real SDK (boto3 >= 1.41 reads login sessions itself) signs an STS call with the session; the mock's STS checks the SigV4 signature.");
    let script = "import boto3\n\
                  session = boto3.Session(profile_name='demo')\n\
                  identity = session.client('sts').get_caller_identity()\n\
                  print('Account:', identity['Account'])\n\
                  print('Arn:    ', identity['Arn'])\n\
                  print('boto3', boto3.__version__)\n";
    run_shown(command(&peers.python_new).args(["-c", script]))?;

    step("Done");
    explain(&format!(
        "That was the whole flow. On your machine: `aws-login login` (add --remote over SSH), then use --profile.\n\
         For tools whose SDK cannot read login sessions (boto3 < 1.41, older AWS CDK, Terraform):\n\
         `aws-login configure process-profile --profile NAME-process --login-profile NAME`.\n\
         The mock at {base} stops now."
    ));
    drop(mock);
    Ok(())
}

fn step(title: &str) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        println!("\n\x1b[1m==> {title}\x1b[0m");
    } else {
        println!("\n==> {title}");
    }
}

fn explain(text: &str) {
    for line in text.lines() {
        println!("    {line}");
    }
}

/// Runs a command with its output shown; a failure is an error naming it.
fn run_shown(command: &mut Command) -> Result<(), String> {
    let name = command
        .get_args()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let status = command
        .status()
        .map_err(|e| format!("could not start {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{} {name}` failed ({status}); see its message above",
            command.get_program().to_string_lossy()
        ))
    }
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// The throw-away HOME with its config file and cache directory.
struct Sandbox {
    dir: PathBuf,
    home: PathBuf,
    config: PathBuf,
    cache: PathBuf,
}

impl Sandbox {
    fn create() -> Result<Sandbox, String> {
        let dir = std::env::temp_dir().join(format!("aws-login-demo-{}", std::process::id()));
        let home = dir.join("home");
        std::fs::create_dir_all(&home).map_err(|e| format!("creating {}: {e}", home.display()))?;
        let config = home.join(".aws").join("config");
        let cache = home.join(".aws").join("login").join("cache");
        Ok(Sandbox {
            dir,
            home,
            config,
            cache,
        })
    }

    /// A command that sees only the sandbox: inherited AWS_* and proxy variables removed.
    fn command(&self, program: &Path, base_url: &str) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            let upper = key.to_ascii_uppercase();
            if upper.starts_with("AWS_") || upper.ends_with("_PROXY") {
                command.env_remove(key);
            }
        }
        command
            .env("HOME", &self.home)
            .env("AWS_CONFIG_FILE", &self.config)
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.join(".aws").join("credentials"),
            )
            .env("AWS_LOGIN_CACHE_DIRECTORY", &self.cache)
            .env("AWS_ENDPOINT_URL_SIGNIN", base_url)
            .env("AWS_ENDPOINT_URL_STS", base_url)
            .env("NO_PROXY", "127.0.0.1,localhost");
        command
    }
}

/// `signin-mock` as a child process, stopped on drop.
struct MockProcess {
    child: Child,
    base_url: String,
}

impl MockProcess {
    fn start(program: &Path, dir: &Path) -> Result<MockProcess, String> {
        let url_file = dir.join("signin-mock.url");
        let log_path = dir.join("signin-mock.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        let mut child = Command::new(program)
            .args(["--port", "0", "--url-file"])
            .arg(&url_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", program.display()))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(url) = std::fs::read_to_string(&url_file)
                .ok()
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
            {
                return Ok(MockProcess {
                    child,
                    base_url: url,
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                let message = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("signin-mock exited ({status}): {}", message.trim()));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("signin-mock did not start within 20 seconds".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
