//! Temporary AWS credentials and the `aws configure export-credentials`
//! output formats.
//!
//! [`ExportFormat::render`] prints what AWS CLI v2 prints plus the account id (`"AccountId"` as
//! the last key of the `process` JSON, an `AWS_ACCOUNT_ID` line last in the other formats) when
//! it is known: AWS CLI v2 2.36.7 leaves it out, but the SDKs read it (botocore's process and
//! environment providers, the JS SDK's `credential-provider-process` and `-env`) for
//! account-based endpoints such as DynamoDB's. [`ExportFormat::render_aws_cli`] prints AWS CLI
//! v2 2.36.7's output byte for byte. `fixtures/export_formats.json` holds both.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::pyjson;
use crate::secret::SecretString;
use crate::timefmt;

/// A set of temporary AWS credentials from a login session.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ASIA…`
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token.
    pub session_token: SecretString,
    /// When the credentials stop working.
    pub expiration: OffsetDateTime,
    /// The 12-digit account id, when known.
    pub account_id: Option<String>,
}

impl Credentials {
    /// Expiration as unix seconds.
    pub fn expiration_unix(&self) -> i64 {
        self.expiration.unix_timestamp()
    }

    /// Expiration as AWS CLI prints it: `2025-12-05T10:51:31+00:00`.
    pub fn expiration_iso(&self) -> String {
        timefmt::format_iso_offset(self.expiration)
    }

    /// Seconds of validity left at `now` (negative once expired).
    pub fn seconds_left(&self, now: OffsetDateTime) -> i64 {
        (self.expiration - now).whole_seconds()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration_iso())
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// The `--format` values of `aws configure export-credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// JSON for `credential_process` (the default).
    Process,
    /// `export AWS_ACCESS_KEY_ID=…`
    Env,
    /// `AWS_ACCESS_KEY_ID=…`
    EnvNoExport,
    /// `$Env:AWS_ACCESS_KEY_ID="…"`
    PowerShell,
    /// `set AWS_ACCESS_KEY_ID=…`
    WindowsCmd,
    /// `set -gx AWS_ACCESS_KEY_ID "…"`
    Fish,
}

/// An unknown `--format` name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown credential format `{0}`; use one of: process, env, env-no-export, powershell, windows-cmd, fish")]
pub struct UnknownExportFormat(pub String);

impl ExportFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::Process,
        ExportFormat::Env,
        ExportFormat::EnvNoExport,
        ExportFormat::PowerShell,
        ExportFormat::WindowsCmd,
        ExportFormat::Fish,
    ];

    /// The CLI name (`process`, `env`, `env-no-export`, …).
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Process => "process",
            ExportFormat::Env => "env",
            ExportFormat::EnvNoExport => "env-no-export",
            ExportFormat::PowerShell => "powershell",
            ExportFormat::WindowsCmd => "windows-cmd",
            ExportFormat::Fish => "fish",
        }
    }

    /// Renders the credentials as AWS CLI v2 prints them, trailing newline included, plus the
    /// account id when known (see the module docs for the one difference).
    pub fn render(self, creds: &Credentials) -> String {
        let expiration = creds.expiration_iso();
        let mut vars: Vec<(&str, &str)> = vec![
            ("AWS_ACCESS_KEY_ID", &creds.access_key_id),
            ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose()),
            ("AWS_SESSION_TOKEN", creds.session_token.expose()),
            ("AWS_CREDENTIAL_EXPIRATION", &expiration),
        ];
        if let Some(account) = &creds.account_id {
            vars.push(("AWS_ACCOUNT_ID", account));
        }
        let line = |name: &str, value: &str| -> String {
            match self {
                ExportFormat::Env => format!("export {name}={value}\n"),
                ExportFormat::EnvNoExport => format!("{name}={value}\n"),
                ExportFormat::PowerShell => format!("$Env:{name}=\"{value}\"\n"),
                ExportFormat::WindowsCmd => format!("set {name}={value}\n"),
                ExportFormat::Fish => format!("set -gx {name} \"{value}\"\n"),
                ExportFormat::Process => String::new(),
            }
        };
        match self {
            ExportFormat::Process => {
                let mut out = Map::new();
                out.insert("Version".into(), Value::from(1));
                out.insert("AccessKeyId".into(), creds.access_key_id.clone().into());
                out.insert(
                    "SecretAccessKey".into(),
                    creds.secret_access_key.expose().into(),
                );
                out.insert("SessionToken".into(), creds.session_token.expose().into());
                out.insert("Expiration".into(), expiration.clone().into());
                if let Some(account) = &creds.account_id {
                    out.insert("AccountId".into(), account.clone().into());
                }
                let mut text = pyjson::dumps_indent2(&Value::Object(out));
                text.push('\n');
                text
            }
            _ => vars.iter().map(|(n, v)| line(n, v)).collect(),
        }
    }
}

impl ExportFormat {
    /// Renders the credentials byte for byte as AWS CLI v2 2.36.7's `aws configure
    /// export-credentials` prints them for a login profile: no account id.
    pub fn render_aws_cli(self, creds: &Credentials) -> String {
        let without_account = Credentials {
            account_id: None,
            ..creds.clone()
        };
        self.render(&without_account)
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportFormat {
    type Err = UnknownExportFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownExportFormat(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn creds(account: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret/key+x".into(),
            session_token: "token==".into(),
            expiration: datetime!(2025-12-05 10:51:31 UTC),
            account_id: account.map(str::to_owned),
        }
    }

    #[test]
    fn process_format_is_python_indent2() {
        let out = ExportFormat::Process.render(&creds(None));
        assert_eq!(
            out,
            "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"ASIAEXAMPLE\",\n  \"SecretAccessKey\": \"secret/key+x\",\n  \"SessionToken\": \"token==\",\n  \"Expiration\": \"2025-12-05T10:51:31+00:00\"\n}\n"
        );
        let out = ExportFormat::Process.render(&creds(Some("123456789012")));
        assert!(out.ends_with(
            "\"Expiration\": \"2025-12-05T10:51:31+00:00\",\n  \"AccountId\": \"123456789012\"\n}\n"
        ));
    }

    #[test]
    fn line_formats() {
        let c = creds(Some("123456789012"));
        assert_eq!(
            ExportFormat::Env.render(&c),
            "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=secret/key+x\nexport AWS_SESSION_TOKEN=token==\nexport AWS_CREDENTIAL_EXPIRATION=2025-12-05T10:51:31+00:00\nexport AWS_ACCOUNT_ID=123456789012\n"
        );
        assert!(ExportFormat::EnvNoExport
            .render(&c)
            .starts_with("AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n"));
        assert!(ExportFormat::PowerShell
            .render(&c)
            .starts_with("$Env:AWS_ACCESS_KEY_ID=\"ASIAEXAMPLE\"\n"));
        assert!(ExportFormat::WindowsCmd
            .render(&c)
            .starts_with("set AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n"));
        assert!(ExportFormat::Fish
            .render(&c)
            .starts_with("set -gx AWS_ACCESS_KEY_ID \"ASIAEXAMPLE\"\n"));
    }

    #[test]
    fn aws_cli_output_is_ours_without_the_account_id() {
        let with = creds(Some("123456789012"));
        for f in ExportFormat::ALL {
            assert_eq!(f.render_aws_cli(&with), f.render(&creds(None)), "{f}");
            assert!(!f.render_aws_cli(&with).contains("123456789012"), "{f}");
        }
    }

    #[test]
    fn names_round_trip() {
        for f in ExportFormat::ALL {
            assert_eq!(f.name().parse::<ExportFormat>().unwrap(), f);
        }
        assert!("json".parse::<ExportFormat>().is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", creds(None));
        assert!(!text.contains("secret/key"));
        assert!(!text.contains("token=="));
    }
}
