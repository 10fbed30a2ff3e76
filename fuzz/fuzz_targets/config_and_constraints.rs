//! Any text as `specls.toml` and as a constraint phrase: no panic, every issue range inside the
//! text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (config, issues) = specls_core::config::Config::from_toml(&text);
    for i in &issues {
        if let Some(span) = i.span {
            assert!(span.end <= text.len(), "{i:?}");
        }
    }
    let _ = config.is_excluded(&text);
    if let Some(m) = specls_core::parse::constraint::parse_measure(&text, 7) {
        assert!(m.value_span.end <= text.len() + 7);
    }
    let _ = specls_core::parse::constraint::unmeasurable_message(&text);
});
