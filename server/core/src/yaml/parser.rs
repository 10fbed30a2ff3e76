//! The tolerant YAML reader (see the module docs).
use super::YamlDoc;

/// Read `text` as YAML. Never fails, never panics.
pub fn parse(text: &str) -> YamlDoc {
    // Replaced by the real reader (issue 2, yaml helper).
    let _ = text;
    YamlDoc::default()
}
