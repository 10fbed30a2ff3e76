//! Front matter: a YAML block at byte 0 between `---` lines (only at byte 0; a `---` rule later in
//! a document is a thematic break, not front matter).
use crate::model::FrontMatter;
use crate::yaml::YamlDoc;

/// The front matter, its YAML (spans in document offsets) and the offset where the body starts.
pub struct Split {
    pub front_matter: Option<FrontMatter>,
    pub yaml: Option<YamlDoc>,
    pub body_start: usize,
}

pub fn split(text: &str) -> Split {
    let _ = text;
    Split {
        front_matter: None,
        yaml: None,
        body_start: 0,
    }
}
