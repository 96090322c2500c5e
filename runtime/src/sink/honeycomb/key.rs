//! The Honeycomb API key: from `--api-key`, else `HONEYCOMB_API_KEY`, else
//! a `HONEYCOMB_API_KEY=...` line of a `.env` file in the working
//! directory. The key is a newtype whose `Debug` hides it, so it never
//! reaches a log line, an error message or a summary.

use std::path::Path;

/// The variable (and `.env` line) the key is read from.
pub const VAR: &str = "HONEYCOMB_API_KEY";

/// An API key; shown as `ApiKey(<redacted>)`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// A key as given; refused when empty or not a valid header value (the
    /// message does not repeat it).
    pub fn new(key: &str, from: &str) -> Result<ApiKey, String> {
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("the Honeycomb API key from {from} is empty"));
        }
        if !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(format!(
                "the Honeycomb API key from {from} holds spaces or characters an HTTP header cannot carry"
            ));
        }
        Ok(ApiKey(key.to_string()))
    }

    /// The key itself, for the request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The value of `HONEYCOMB_API_KEY` in a `.env` text: `KEY=value` lines,
/// `export ` and quotes allowed, `#` comments skipped; the last one wins.
fn dotenv_value(text: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() != VAR {
            continue;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        found = Some(v.to_string());
    }
    found
}

/// The key: `flag`, else the environment's `HONEYCOMB_API_KEY`, else
/// `dir/.env`; none is an error saying where to put one.
pub fn resolve(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    dir: &Path,
) -> Result<ApiKey, String> {
    if let Some(k) = flag {
        return ApiKey::new(k, "--api-key");
    }
    if let Some(k) = env(VAR).filter(|v| !v.trim().is_empty()) {
        return ApiKey::new(&k, VAR);
    }
    let path = dir.join(".env");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Some(k) = dotenv_value(&text) {
            return ApiKey::new(&k, &path.display().to_string());
        }
    }
    Err(format!(
        "no Honeycomb API key: pass --api-key KEY, set {VAR}, or put a {VAR}=KEY line in ./.env"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_environment_then_dotenv() {
        let dir = std::env::temp_dir().join(format!("tsim-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".env"),
            "# keys\nOTHER=1\nexport HONEYCOMB_API_KEY=\"from-file\"\n",
        )
        .unwrap();
        let env = |k: &str| (k == VAR).then(|| "from-env".to_string());
        let none = |_: &str| None;
        assert_eq!(resolve(Some("flag"), &env, &dir).unwrap().expose(), "flag");
        assert_eq!(resolve(None, &env, &dir).unwrap().expose(), "from-env");
        assert_eq!(resolve(None, &none, &dir).unwrap().expose(), "from-file");
        std::fs::remove_file(dir.join(".env")).unwrap();
        let err = resolve(None, &none, &dir).unwrap_err();
        assert!(err.contains("--api-key") && err.contains(VAR), "{err}");
        let bad = ApiKey::new("has space", "--api-key").unwrap_err();
        assert!(!bad.contains("has space"), "{bad}");
        assert_eq!(
            format!("{:?}", ApiKey::new("secret", "x").unwrap()),
            "ApiKey(<redacted>)"
        );
        let _ = std::fs::remove_dir(&dir);
    }
}
