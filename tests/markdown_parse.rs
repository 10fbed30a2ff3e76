//! Markdown specs and task blueprints: every fixture under `tests/fixtures/markdown/` and
//! `tests/fixtures/blueprint/` is parsed through `parse_bytes` (kind detection, UTF-8
//! decoding) and its model and diagnostics are snapshotted (spans as `L:C-L:C "excerpt"`).

mod common;

use common::fs::files_under;

use std::path::Path;

use common::render;

fn snapshot_area(area: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    files_under(&root.join(area), &mut files);
    assert!(!files.is_empty(), "no fixtures for {area}");
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .expect("under fixtures")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(&path).expect("read fixture");
        let (text, doc) = specls_core::parse::parse_bytes(&rel, &bytes)
            .unwrap_or_else(|| panic!("{rel} is not detected as a spec"));
        if let Err(e) = render::check_spans(&text, &doc) {
            panic!("{rel}: {e}");
        }
        let name = rel.replace(['/', '.'], "_");
        insta::assert_yaml_snapshot!(name, render::document(&text, &doc));
    }
}

#[test]
fn markdown_fixtures() {
    snapshot_area("markdown");
}

#[test]
fn blueprint_fixtures() {
    snapshot_area("blueprint");
}
