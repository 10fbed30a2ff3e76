//! The VS Code extension's settings (`editors/vscode/package.json`, `contributes.configuration`)
//! are exactly the server's editor settings plus the few the extension reads itself, with the
//! same types and accepted values: the two lists cannot diverge.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use specls::lsp::settings::{SettingKind, EDITOR_SETTINGS};
use specls_core::config::{Level, LLM_PROVIDERS};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn package_json() -> Value {
    let text = std::fs::read_to_string(root().join("editors/vscode/package.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `CLIENT_ONLY_KEYS` of `editors/vscode/src/settings.ts`: the settings the server never sees.
fn client_only_keys() -> Vec<String> {
    let ts = std::fs::read_to_string(root().join("editors/vscode/src/settings.ts")).unwrap();
    let start = ts
        .find("CLIENT_ONLY_KEYS")
        .expect("CLIENT_ONLY_KEYS in settings.ts");
    let open = start + ts[start..].find("= [").unwrap() + 2;
    let close = open + ts[open..].find(']').unwrap();
    ts[open + 1..close]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn package_json_settings_match_the_server() {
    let pkg = package_json();
    let props = pkg["contributes"]["configuration"]["properties"]
        .as_object()
        .expect("contributes.configuration.properties");
    let declared: BTreeSet<String> = props
        .keys()
        .map(|k| {
            k.strip_prefix("specls.")
                .expect("every key starts with specls.")
                .to_string()
        })
        .collect();
    let client_only = client_only_keys();
    assert_eq!(client_only, ["server.path", "log.level", "trace.server"]);
    let mut expected: BTreeSet<String> =
        EDITOR_SETTINGS.iter().map(|(k, _)| k.to_string()).collect();
    expected.extend(client_only.iter().cloned());
    assert_eq!(
        declared, expected,
        "package.json settings (left) differ from the server's EDITOR_SETTINGS + the extension's own (right)"
    );
    for (key, kind) in EDITOR_SETTINGS {
        let p = &props[&format!("specls.{key}")];
        let json_type = match kind {
            SettingKind::Bool => "boolean",
            SettingKind::Number => "number",
            SettingKind::String => "string",
            SettingKind::Globs => "array",
            SettingKind::Levels => "object",
        };
        assert_eq!(p["type"], json_type, "type of specls.{key}");
        assert!(
            p.get("default").is_none(),
            "specls.{key} must have no default: the server's own default (or specls.toml) applies"
        );
        assert!(
            p["markdownDescription"]
                .as_str()
                .is_some_and(|d| d.len() > 20),
            "specls.{key} is documented"
        );
        if *kind == SettingKind::Levels {
            let levels = p["additionalProperties"]["enum"].as_array().unwrap();
            for l in levels {
                assert!(Level::parse(l.as_str().unwrap()).is_some(), "level {l}");
            }
            for l in ["off", "error", "warning", "information", "hint"] {
                assert!(levels.iter().any(|x| x == l), "level {l} offered");
            }
        }
    }
    let providers: Vec<&str> = props["specls.llm.provider"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(providers, LLM_PROVIDERS);
    for runner in props["specls.tests.runner"]["enum"].as_array().unwrap() {
        assert!(
            specls_core::testlinks::plan::Runner::parse(runner.as_str().unwrap()).is_some(),
            "runner {runner}"
        );
    }
}
