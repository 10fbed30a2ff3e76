//! Which files are specs, and of what kind: by name first, then by content, never claiming
//! unrelated Markdown or YAML (READMEs, CI configs, Kubernetes manifests).

use crate::model::DocKind;

/// Top-level YAML keys that mark a YAML scenario spec.
pub const YAML_SPEC_KEYS: &[&str] = &[
    "feature",
    "scenarios",
    "new_scenarios",
    "chaos_scenarios",
    "interaction",
    "domain",
    "domains",
    "system",
    "global_constraints",
];

/// Folder names that hold specs: YAML files under them are claimed when their content looks like
/// a scenario spec.
pub const SPEC_FOLDERS: &[&str] = &[
    "specs",
    "spec",
    "scenarios",
    "features",
    "requirements",
    "openspec",
    "score",
];

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn has_top_level_key(text: &str, keys: &[&str]) -> bool {
    text.lines().any(|line| {
        let Some((key, _)) = line.split_once(':') else {
            return false;
        };
        !key.starts_with([' ', '\t', '#', '-']) && keys.contains(&key.trim_end())
    })
}

fn under_spec_folder(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .any(|p| SPEC_FOLDERS.contains(&p.to_ascii_lowercase().as_str()))
}

/// Front matter keys that mark a task blueprint.
fn looks_like_blueprint(text: &str) -> bool {
    let fm = front_matter_text(text);
    (fm.is_some_and(|fm| has_top_level_key(fm, &["requirement_id", "relevant_tests"])))
        // A substring search first: most files have no guardian block, and this runs on every
        // edit of a (possibly big) open document.
        || (text.contains("```guardian")
            && text
                .lines()
                .any(|l| l.trim_start().starts_with("```guardian")))
}

fn front_matter_text(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let end = rest.find("\n---").unwrap_or(rest.len());
    Some(&rest[..end])
}

fn looks_like_markdown_spec(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        let heading = t.starts_with('#')
            && t.trim_start_matches('#')
                .trim_start()
                .starts_with("Scenario:");
        let requirement = t.starts_with('#')
            && t.trim_start_matches('#')
                .trim_start()
                .starts_with("Requirement:");
        let one_line = t.contains("**Given**") && t.contains("**Then**");
        heading || requirement || one_line
    }) || front_matter_text(text)
        .is_some_and(|fm| has_top_level_key(fm, &["type"]) && has_top_level_key(fm, &["name"]))
}

/// Decide what a file is from its path and (if the name alone does not tell) its content.
pub fn detect(path: &str, text: &str) -> Option<DocKind> {
    let name = file_name(path).to_ascii_lowercase();
    if name == "arrangement.yaml"
        || name == "arrangement.yml"
        || name.ends_with(".arrangement.yaml")
        || name.ends_with(".arrangement.yml")
    {
        return Some(DocKind::Arrangement);
    }
    if name.ends_with(".spec.yaml") || name.ends_with(".spec.yml") {
        return Some(DocKind::YamlSpec);
    }
    if name.ends_with(".md") || name.ends_with(".markdown") {
        if looks_like_blueprint(text) {
            return Some(DocKind::Blueprint);
        }
        if name.ends_with(".spec.md") || name == "spec.md" || looks_like_markdown_spec(text) {
            return Some(DocKind::MarkdownSpec);
        }
        return None;
    }
    if (name.ends_with(".yaml") || name.ends_with(".yml"))
        && under_spec_folder(path)
        && has_top_level_key(text, YAML_SPEC_KEYS)
    {
        return Some(DocKind::YamlSpec);
    }
    None
}

/// True when YAML text has a top-level key of a scenario spec ([`YAML_SPEC_KEYS`]).
pub fn looks_like_yaml_spec(text: &str) -> bool {
    has_top_level_key(text, YAML_SPEC_KEYS)
}

/// The kind of a file that a configured `[specs] include` glob matched and [`detect`] did not
/// claim: Markdown is a spec (or a blueprint) by its extension; YAML is a scenario spec when it
/// has spec keys, or whatever its content when `explicit` (the glob is the file's literal path).
/// Other extensions are not specs.
pub fn detect_included(path: &str, text: &str, explicit: bool) -> Option<DocKind> {
    let name = file_name(path).to_ascii_lowercase();
    if name.ends_with(".md") || name.ends_with(".markdown") {
        if looks_like_blueprint(text) {
            return Some(DocKind::Blueprint);
        }
        return Some(DocKind::MarkdownSpec);
    }
    if (name.ends_with(".yaml") || name.ends_with(".yml"))
        && (explicit || looks_like_yaml_spec(text))
    {
        return Some(DocKind::YamlSpec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_name_and_content() {
        assert_eq!(detect("a/b.spec.md", ""), Some(DocKind::MarkdownSpec));
        assert_eq!(detect("arrangement.yaml", ""), Some(DocKind::Arrangement));
        assert_eq!(
            detect("x/go.arrangement.yml", ""),
            Some(DocKind::Arrangement)
        );
        assert_eq!(detect("x/tasks.spec.yaml", ""), Some(DocKind::YamlSpec));
        assert_eq!(
            detect("specs/tasks.yaml", "feature: X\nscenarios:\n"),
            Some(DocKind::YamlSpec)
        );
        assert_eq!(
            detect(".github/workflows/ci.yaml", "name: ci\non: push\n"),
            None
        );
        assert_eq!(
            detect("specs/deploy.yaml", "apiVersion: v1\nkind: Pod\n"),
            None
        );
        assert_eq!(detect("k8s/tasks.yaml", "feature: X\nscenarios:\n"), None);
        assert_eq!(detect("README.md", "# Hello\n"), None);
        assert_eq!(
            detect("docs/x.md", "## Scenario: a\nGiven b\n"),
            Some(DocKind::MarkdownSpec)
        );
        assert_eq!(
            detect("tasks/t1.md", "---\nid: T1\nrequirement_id: FR-01\n---\n"),
            Some(DocKind::Blueprint)
        );
    }
}
