//! Any bytes, read as each kind of spec file (YAML scenario spec, Markdown spec, SpecSoloist
//! spec, arrangement, task blueprint), then checked as a workspace and fed to the IDE features
//! that walk the model: no panic, no hang, every range inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specls_core::config::Config;
use specls_core::workspace::Workspace;

const NAMES: &[&str] = &[
    "tasks.spec.yaml",
    "todo.spec.md",
    "score/bundle.spec.md",
    "arrangement.yaml",
    "specs/tasks/TASK-001.md",
    "openspec/specs/links/spec.md",
    "notes.md",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[selector as usize % NAMES.len()];
    let Some((text, doc)) = specls_core::parse::parse_bytes(name, bytes) else {
        return;
    };
    for d in &doc.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "{d:?}"
        );
        assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end));
    }
    for sc in &doc.scenarios {
        assert!(sc.span.end <= text.len() && sc.name_span.end <= text.len());
    }
    let mut ws = Workspace::new();
    ws.upsert_bytes(name, bytes);
    let checked = specls_core::checks::check_workspace(&ws, &Config::default());
    for diags in checked.values() {
        for d in diags {
            assert!(d.span.end <= text.len(), "{d:?}");
        }
    }
    let _ = specls_core::ide::document_symbols(&ws, name);
    let _ = specls_core::ide::folding_ranges(&ws, name);
    let _ = specls_core::ide::semantic_tokens(&ws, name);
});
