//! The MFA code prompt: `Enter MFA code for <serial>: ` on the controlling terminal (`/dev/tty`),
//! never on stdin/stdout, which belong to the SDK when aws-login runs as `credential_process`.

use std::io::{BufRead, BufReader, Write};

/// Why no code could be read.
#[derive(Debug, thiserror::Error)]
pub enum MfaPromptError {
    #[error("{0}")]
    NoTerminal(String),
    #[error("no MFA code was entered")]
    Empty,
}

/// Asks for the code of `serial` on the terminal; blocks until a line is entered.
pub fn prompt_code(serial: &str) -> Result<String, MfaPromptError> {
    #[cfg(unix)]
    {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| MfaPromptError::NoTerminal(format!("cannot open /dev/tty: {e}")))?;
        let mut writer = tty
            .try_clone()
            .map_err(|e| MfaPromptError::NoTerminal(e.to_string()))?;
        write!(writer, "Enter MFA code for {serial}: ")
            .and_then(|()| writer.flush())
            .map_err(|e| MfaPromptError::NoTerminal(format!("cannot write to /dev/tty: {e}")))?;
        let mut line = String::new();
        BufReader::new(tty)
            .read_line(&mut line)
            .map_err(|e| MfaPromptError::NoTerminal(format!("cannot read /dev/tty: {e}")))?;
        let code = line.trim().to_string();
        if code.is_empty() {
            return Err(MfaPromptError::Empty);
        }
        Ok(code)
    }
    #[cfg(not(unix))]
    {
        let _ = serial;
        Err(MfaPromptError::NoTerminal(
            "MFA prompts need a Unix terminal in this version".into(),
        ))
    }
}
