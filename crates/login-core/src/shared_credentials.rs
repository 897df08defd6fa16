//! The shared credentials file (`~/.aws/credentials`, `AWS_SHARED_CREDENTIALS_FILE`): the same
//! INI reading as the config file, but sections are named by their bare header (`[dev]`, never
//! `[profile dev]`) and values are never nested, as botocore reads it.

use crate::config::{ConfigFile, SectionView};

/// A parsed shared credentials file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedCredentialsFile {
    file: ConfigFile,
}

impl SharedCredentialsFile {
    /// Parses the text. Never fails; unreadable lines are ignored.
    pub fn parse(text: &str) -> Self {
        SharedCredentialsFile {
            file: ConfigFile::parse(text),
        }
    }

    /// An empty file (what a missing file reads as).
    pub fn empty() -> Self {
        Self::parse("")
    }

    /// The keys of profile `name` (`[name]`).
    pub fn profile(&self, name: &str) -> Option<SectionView> {
        self.file.raw_section(name)
    }

    /// Profile names in file order.
    pub fn profile_names(&self) -> Vec<&str> {
        self.file.raw_headers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_bare_names() {
        let f = SharedCredentialsFile::parse(
            "[default]\naws_access_key_id = AKIA1\n[profile x]\naws_access_key_id = AKIA2\n[dev]\nAWS_Secret_Access_Key = s\n",
        );
        assert_eq!(
            f.profile("default").unwrap().get("aws_access_key_id"),
            Some("AKIA1")
        );
        assert_eq!(
            f.profile("profile x").unwrap().get("aws_access_key_id"),
            Some("AKIA2")
        );
        assert!(f.profile("x").is_none());
        assert_eq!(
            f.profile("dev").unwrap().get("aws_secret_access_key"),
            Some("s")
        );
        assert_eq!(f.profile_names(), ["default", "profile x", "dev"]);
    }
}
