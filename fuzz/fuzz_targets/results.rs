//! Any text as a test report: JUnit XML, `go test -json`, libtest output, TAP (detected and
//! forced), then mapped to an indexed test file: no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specls_core::testlinks::results::{self, Format};
use specls_core::testlinks::status::map_results;
use specls_core::testlinks::{Language, TestIndex};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut all = results::parse(&text).results;
    for format in [Format::Junit, Format::GoJson, Format::Libtest, Format::Tap] {
        all.extend(results::parse_as(&text, format).results);
    }
    let mut index = TestIndex::new();
    index.upsert("tests/test_x.py", &text, Language::Python);
    index.upsert("src/lib.rs", &text, Language::Rust);
    index.upsert("x.test.ts", &text, Language::TypeScript);
    index.upsert("x_test.go", &text, Language::Go);
    let mapping = map_results(&index, &all);
    assert_eq!(mapping.tests_of_result.len(), all.len());
});
