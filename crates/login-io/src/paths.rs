//! Path expansion with the conventions the AWS tools use for `AWS_LOGIN_CACHE_DIRECTORY` and
//! friends: botocore applies `os.path.expandvars` (`$NAME`, `${NAME}`; unknown names are left as
//! written) and then `os.path.expanduser` (a leading `~`).

use std::path::PathBuf;

use crate::settings::Environment;

/// Expands `$NAME` and `${NAME}` from `env`, then a leading `~` to the home directory.
pub fn expand_path(raw: &str, env: &Environment) -> PathBuf {
    let vars = expand_vars(raw, env);
    expand_user(&vars, env)
}

/// `os.path.expandvars` on POSIX: names are `[A-Za-z0-9_]+`; an unknown or malformed reference
/// stays as written.
pub fn expand_vars(raw: &str, env: &Environment) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) if end > 0 && braced[..end].bytes().all(is_name_byte) => {
                    (&braced[..end], end + 2)
                }
                _ => ("", 0),
            }
        } else {
            let end = after
                .bytes()
                .position(|b| !is_name_byte(b))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match (name.is_empty(), env.var(name)) {
            (false, Some(value)) => out.push_str(&value),
            _ => {
                // Unknown or not a reference: keep the text, including the `$`.
                let keep = if name.is_empty() { 0 } else { consumed };
                out.push('$');
                out.push_str(&after[..keep]);
                rest = &after[keep..];
                continue;
            }
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `os.path.expanduser` for the forms that matter here: `~` and `~/…` (also `~\…` on Windows).
/// `~user` is left as written.
pub fn expand_user(raw: &str, env: &Environment) -> PathBuf {
    let Some(rest) = raw.strip_prefix('~') else {
        return PathBuf::from(raw);
    };
    let is_own_home =
        rest.is_empty() || rest.starts_with('/') || (cfg!(windows) && rest.starts_with('\\'));
    match (is_own_home, env.home_dir()) {
        (true, Some(home)) => {
            let tail = rest.trim_start_matches(['/', '\\']);
            if tail.is_empty() {
                home
            } else {
                home.join(tail)
            }
        }
        _ => PathBuf::from(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment::from_pairs([("HOME", "/home/ada"), ("XDG", "/x"), ("EMPTY", "")])
    }

    #[test]
    fn expands_vars_like_python() {
        let env = env();
        assert_eq!(expand_vars("$XDG/cache", &env), "/x/cache");
        assert_eq!(expand_vars("${XDG}cache", &env), "/xcache");
        assert_eq!(expand_vars("$NOPE/a", &env), "$NOPE/a");
        assert_eq!(expand_vars("${NOPE}/a", &env), "${NOPE}/a");
        assert_eq!(expand_vars("a$", &env), "a$");
        assert_eq!(expand_vars("a$/b", &env), "a$/b");
        assert_eq!(expand_vars("${unterminated", &env), "${unterminated");
        assert_eq!(expand_vars("${}", &env), "${}");
        assert_eq!(expand_vars("x$EMPTY.y", &env), "x.y");
        assert_eq!(expand_vars("$XDG$XDG", &env), "/x/x");
        assert_eq!(expand_vars("ünï$XDG", &env), "ünï/x");
    }

    #[test]
    fn expands_home() {
        let env = env();
        assert_eq!(expand_path("~", &env), PathBuf::from("/home/ada"));
        assert_eq!(
            expand_path("~/.aws/login", &env),
            PathBuf::from("/home/ada/.aws/login")
        );
        assert_eq!(expand_path("~bob/x", &env), PathBuf::from("~bob/x"));
        assert_eq!(expand_path("/abs/~", &env), PathBuf::from("/abs/~"));
        assert_eq!(expand_path("$HOME/c", &env), PathBuf::from("/home/ada/c"));
    }
}
