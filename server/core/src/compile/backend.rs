//! Which backend compiles: `[llm]` in specls.toml, else guessed from the arrangement's `model`.

use crate::config::LlmConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Any OpenAI-compatible `/v1/chat/completions`.
    OpenAi,
    /// The Anthropic Messages API (`/v1/messages`).
    Anthropic,
    /// An agent CLI that writes the files itself.
    Command,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Command => "command",
        }
    }
}

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";

/// A resolved backend. Holds the NAME of the key's environment variable, never the key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Backend {
    pub provider: Provider,
    /// Base URL (HTTP providers).
    pub base_url: String,
    pub model: Option<String>,
    /// The environment variable holding the key.
    pub api_key_env: Option<String>,
    /// True when `api_key_env` was set explicitly: then a missing variable is an error (a
    /// defaulted one may be absent, for local servers that need no key).
    pub key_required: bool,
    /// Agent CLI template (`command` provider).
    pub command: Option<String>,
}

/// Resolve the backend from the settings and the arrangement's `model`. Errors say which key
/// to set.
pub fn resolve(llm: &LlmConfig, arrangement_model: Option<&str>) -> Result<Backend, String> {
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let model = nonempty(&llm.model).or_else(|| {
        arrangement_model
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    });
    let command = nonempty(&llm.command);
    let provider = match nonempty(&llm.provider).map(|p| p.to_ascii_lowercase()).as_deref() {
        Some("openai") => Provider::OpenAi,
        Some("anthropic") => Provider::Anthropic,
        Some("command") => Provider::Command,
        Some(other) => {
            return Err(format!(
                "unknown [llm] provider `{other}` in specls.toml (known: openai, anthropic, command)"
            ))
        }
        None if command.is_some() => Provider::Command,
        None if model
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().starts_with("claude")) =>
        {
            Provider::Anthropic
        }
        None if model.is_some() || nonempty(&llm.base_url).is_some() => Provider::OpenAi,
        None => {
            return Err("no compile backend configured: set [llm] provider (openai, anthropic or command) with base_url/model/api_key_env or command in specls.toml, or `model` in the arrangement".into())
        }
    };
    let (default_url, default_env) = match provider {
        Provider::OpenAi => (OPENAI_BASE_URL, "OPENAI_API_KEY"),
        Provider::Anthropic => (ANTHROPIC_BASE_URL, "ANTHROPIC_API_KEY"),
        Provider::Command => ("", ""),
    };
    if provider == Provider::Command && command.is_none() {
        return Err("[llm] provider = \"command\" needs `command`, the agent CLI to run (e.g. command = \"claude -p {prompt_file}\")".into());
    }
    if provider != Provider::Command && model.is_none() {
        return Err(format!(
            "no model for the {} backend: set [llm] model in specls.toml or `model` in the arrangement",
            provider.as_str()
        ));
    }
    let explicit_env = nonempty(&llm.api_key_env);
    if let Some(env) = &explicit_env {
        let valid = env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "[llm] api_key_env must be the NAME of an environment variable (letters, digits, _), not `{}`",
                if env.len() > 12 { "a value like that" } else { env.as_str() }
            ));
        }
    }
    Ok(Backend {
        provider,
        base_url: nonempty(&llm.base_url)
            .unwrap_or_else(|| default_url.to_string())
            .trim_end_matches('/')
            .to_string(),
        model,
        key_required: explicit_env.is_some(),
        api_key_env: if provider == Provider::Command {
            explicit_env
        } else {
            explicit_env.or_else(|| Some(default_env.to_string()))
        },
        command,
    })
}

impl Backend {
    /// The endpoint to POST to: `/chat/completions` or `/messages` under the base URL's
    /// version segment (`/v1` is added when the base URL has none).
    pub fn endpoint(&self) -> String {
        let tail = match self.provider {
            Provider::OpenAi => "chat/completions",
            Provider::Anthropic => "messages",
            Provider::Command => return String::new(),
        };
        let base = self.base_url.trim_end_matches('/');
        if base.ends_with(&format!("/{tail}")) {
            return base.to_string();
        }
        let last = base.rsplit('/').next().unwrap_or("");
        let versioned = last.len() > 1
            && last.starts_with('v')
            && last[1..].chars().next().is_some_and(|c| c.is_ascii_digit());
        if versioned {
            format!("{base}/{tail}")
        } else {
            format!("{base}/v1/{tail}")
        }
    }

    /// `openai smollm2 at http://127.0.0.1:8080/v1` (for messages; never holds a key).
    pub fn describe(&self) -> String {
        match self.provider {
            Provider::Command => format!("agent CLI `{}`", self.command.as_deref().unwrap_or("")),
            p => format!(
                "{} model `{}` at {}",
                p.as_str(),
                self.model.as_deref().unwrap_or("?"),
                self.base_url
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llm(provider: Option<&str>, model: Option<&str>, url: Option<&str>) -> LlmConfig {
        LlmConfig {
            provider: provider.map(Into::into),
            model: model.map(Into::into),
            base_url: url.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn providers_and_defaults() {
        let b = resolve(
            &llm(Some("openai"), Some("m"), Some("http://h:1/v1/")),
            None,
        )
        .unwrap();
        assert_eq!(b.endpoint(), "http://h:1/v1/chat/completions");
        assert_eq!(b.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
        assert!(!b.key_required);
        let b = resolve(&llm(None, None, None), Some("claude-sonnet-4")).unwrap();
        assert_eq!(b.provider, Provider::Anthropic);
        assert_eq!(b.endpoint(), "https://api.anthropic.com/v1/messages");
        let b = resolve(
            &llm(Some("anthropic"), Some("x"), Some("http://h/v1")),
            None,
        )
        .unwrap();
        assert_eq!(b.endpoint(), "http://h/v1/messages");
        let b = resolve(&llm(None, Some("gpt"), Some("http://h:2")), None).unwrap();
        assert_eq!(b.endpoint(), "http://h:2/v1/chat/completions");
        let b = resolve(
            &llm(None, Some("m"), Some("http://h/api/v2/chat/completions")),
            None,
        )
        .unwrap();
        assert_eq!(b.endpoint(), "http://h/api/v2/chat/completions");
        let c = LlmConfig {
            command: Some("sp compile {name}".into()),
            ..Default::default()
        };
        assert_eq!(resolve(&c, None).unwrap().provider, Provider::Command);
    }

    #[test]
    fn clear_errors() {
        assert!(resolve(&llm(None, None, None), None)
            .unwrap_err()
            .contains("no compile backend"));
        assert!(resolve(&llm(Some("openai"), None, None), None)
            .unwrap_err()
            .contains("no model"));
        assert!(resolve(&llm(Some("gemini"), None, None), None)
            .unwrap_err()
            .contains("unknown"));
        assert!(resolve(&llm(Some("command"), None, None), None)
            .unwrap_err()
            .contains("needs `command`"));
        let secret = LlmConfig {
            provider: Some("openai".into()),
            model: Some("m".into()),
            api_key_env: Some("sk-live-1234567890abcdef".into()),
            ..Default::default()
        };
        let e = resolve(&secret, None).unwrap_err();
        assert!(!e.contains("sk-live"), "{e}");
    }
}
