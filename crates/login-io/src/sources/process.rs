//! `credential_process` as the base of a role chain: run the command (split like botocore's
//! `shlex.split`, no shell), read the process-credentials JSON from its stdout. stderr and stdin
//! stay the user's, so a nested `aws-login credential-process` can still sign in or ask for an
//! MFA code. A depth counter in the environment stops a profile whose process resolves itself.

use login_core::timefmt::parse_timestamp;
use login_core::SecretString;
use serde_json::Value;
use time::OffsetDateTime;

use super::SigningCredentials;
use crate::browser::split_words;
use crate::error::LoginIoError;
use crate::settings::Environment;

/// Incremented for every nested credential_process aws-login runs.
pub const DEPTH_VARIABLE: &str = "AWS_LOGIN_CREDENTIAL_PROCESS_DEPTH";
/// AWS CLI stops a self-calling credential_process at four levels; so do we.
pub const MAX_DEPTH: u32 = 4;

/// What the process printed.
#[derive(Debug)]
pub struct ProcessCredentials {
    pub keys: SigningCredentials,
    pub expiration: Option<OffsetDateTime>,
}

fn failed(profile: &str, command: &str, why: String) -> LoginIoError {
    LoginIoError::SourceFailed {
        profile: profile.to_string(),
        message: format!("The credential_process of profile '{profile}' (`{command}`) {why}"),
    }
}

/// Runs `command` for `profile`.
pub async fn run(
    profile: &str,
    command: &str,
    env: &Environment,
) -> Result<ProcessCredentials, LoginIoError> {
    let depth: u32 = env
        .non_empty(DEPTH_VARIABLE)
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or(0);
    if depth >= MAX_DEPTH {
        return Err(failed(
            profile,
            command,
            format!("was not run: credential processes are nested {depth} deep, so a profile's credential_process resolves itself again. Point it at a different profile (the login profile, e.g. `aws-login credential-process --profile LOGIN_PROFILE`)."),
        ));
    }
    let Some(words) = split_words(command).filter(|w| !w.is_empty()) else {
        return Err(failed(
            profile,
            command,
            "cannot be split into words (an unclosed quote?). Fix the credential_process line."
                .into(),
        ));
    };
    tracing::debug!(profile, program = %words[0], "running credential_process");
    let output = tokio::process::Command::new(&words[0])
        .args(&words[1..])
        .env(DEPTH_VARIABLE, (depth + 1).to_string())
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| failed(profile, command, format!("could not be started: {e}.")))?;
    if !output.status.success() {
        return Err(failed(
            profile,
            command,
            format!("failed ({}); its messages are above.", output.status),
        ));
    }
    parse_output(&output.stdout, OffsetDateTime::now_utc())
        .map_err(|why| failed(profile, command, why))
}

/// Reads the `{"Version": 1, "AccessKeyId": …}` JSON.
pub fn parse_output(stdout: &[u8], now: OffsetDateTime) -> Result<ProcessCredentials, String> {
    let value: Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("printed something that is not JSON ({e}). It must print the credential_process JSON (Version 1) on stdout and nothing else."))?;
    if value.get("Version").and_then(Value::as_i64) != Some(1) {
        return Err("printed JSON without `\"Version\": 1`.".into());
    }
    let text = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(id), Some(secret)) = (text("AccessKeyId"), text("SecretAccessKey")) else {
        return Err("printed JSON without AccessKeyId and SecretAccessKey.".into());
    };
    let expiration = match text("Expiration") {
        None => None,
        Some(raw) => Some(
            parse_timestamp(raw)
                .ok_or_else(|| format!("printed an Expiration `{raw}` that is not a time."))?,
        ),
    };
    if let Some(at) = expiration {
        if at <= now {
            return Err(format!(
                "printed credentials that expired at {}.",
                login_core::timefmt::format_iso_offset(at)
            ));
        }
    }
    Ok(ProcessCredentials {
        keys: SigningCredentials {
            access_key_id: id.to_string(),
            secret_access_key: SecretString::from(secret),
            session_token: text("SessionToken").map(SecretString::from),
        },
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reads_process_json() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let ok = parse_output(br#"{"Version": 1, "AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-01-01T01:00:00Z"}"#, now).unwrap();
        assert_eq!(ok.keys.access_key_id, "ASIA");
        assert!(ok.expiration.is_some());
        let long_term = parse_output(
            br#"{"Version": 1, "AccessKeyId": "AKIA", "SecretAccessKey": "s"}"#,
            now,
        )
        .unwrap();
        assert!(long_term.keys.session_token.is_none());
        assert!(parse_output(b"", now).unwrap_err().contains("not JSON"));
        assert!(parse_output(br#"{"Version": 2}"#, now).is_err());
        assert!(parse_output(br#"{"Version": 1, "AccessKeyId": "A"}"#, now).is_err());
        let expired = parse_output(br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "2025-01-01T00:00:00Z"}"#, now);
        assert!(expired.unwrap_err().contains("expired"));
    }

    #[tokio::test]
    async fn depth_guard_stops_self_reference() {
        let env = Environment::from_pairs([(DEPTH_VARIABLE, "4")]);
        let e = run("p", "aws-login credential-process --profile p", &env)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("nested 4 deep"), "{e}");
    }
}
