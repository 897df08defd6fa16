//! `export-credentials` against AWS CLI v2 2.36.7: by default aws-login adds the account id
//! (`"AccountId"` last in `process`, an `AWS_ACCOUNT_ID` line last elsewhere), and
//! `--no-account-id` prints AWS CLI's output byte for byte: the same text without that one
//! addition, in every format. The byte-exact expectations are `fixtures/export_formats.json`
//! (`outputs` and `awsCliOutputs`), checked in login-core's fixture test; here the real binary
//! on a real session.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use login_core::{CacheEntry, ExportFormat};
use support::Sandbox;

fn export(sandbox: &Sandbox, format: &str, extra: &[&str]) -> String {
    let out = sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(["export-credentials", "--profile", "dev", "--format", format])
        .args(extra)
        .output()
        .expect("aws-login runs");
    assert!(
        out.status.success(),
        "{format} {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn no_account_id_prints_aws_cli_output_and_the_default_adds_only_the_account() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let creds = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap())
        .unwrap()
        .credentials();
    assert_eq!(creds.account_id.as_deref(), Some("111122223333"));

    for format in ExportFormat::ALL {
        let ours = export(&sandbox, format.name(), &[]);
        let aws_cli = export(&sandbox, format.name(), &["--no-account-id"]);
        assert_eq!(aws_cli, format.render_aws_cli(&creds), "{format}");
        assert!(
            !aws_cli.contains("111122223333") && !aws_cli.contains("ACCOUNT"),
            "{format}: {aws_cli}"
        );
        // The one difference, and nothing else.
        let expected_ours = match format {
            ExportFormat::Process => {
                aws_cli.replacen("\n}\n", ",\n  \"AccountId\": \"111122223333\"\n}\n", 1)
            }
            ExportFormat::Env => format!("{aws_cli}export AWS_ACCOUNT_ID=111122223333\n"),
            ExportFormat::EnvNoExport => format!("{aws_cli}AWS_ACCOUNT_ID=111122223333\n"),
            ExportFormat::PowerShell => format!("{aws_cli}$Env:AWS_ACCOUNT_ID=\"111122223333\"\n"),
            ExportFormat::WindowsCmd => format!("{aws_cli}set AWS_ACCOUNT_ID=111122223333\n"),
            ExportFormat::Fish => format!("{aws_cli}set -gx AWS_ACCOUNT_ID \"111122223333\"\n"),
            other => panic!("a new format needs its expectation here: {other}"),
        };
        assert_eq!(ours, expected_ours, "{format}");
    }
}

#[test]
fn help_says_what_differs_from_aws_cli_and_how_to_get_its_output() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(["export-credentials", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--no-account-id",
        "AWS CLI v2 2.36.7 prints neither",
        "AWS_ACCOUNT_ID",
        "AccountId",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    assert!(!help.contains("byte-identical"), "{help}");
}
