//! Any text through the tolerant YAML reader and back through its renderer: no panic, no hang,
//! bounded output (alias expansion and depth limits), every range inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let doc = specls_core::yaml::parse(&text);
    for d in &doc.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "{d:?}"
        );
    }
    let _ = doc.render(&text);
});
