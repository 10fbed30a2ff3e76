//! The compile-and-drift cycle every backend goes through (`tests/compile_backends.rs` with a
//! scripted server and an agent stand-in, `tests/compile_llm.rs` with a real model): compile
//! the greet workspace (`greet` depends on `names`), check the manifest against the disk, then
//! edit a scenario, a generated file and a dependency and check that each gives exactly its
//! drift; a hand-edited file survives a compile unless overwrite is chosen.
//!
//! `strict`: the backend answers as scripted (every compile must succeed and write the files
//! it is asked for). Not strict (a real model, whose answers vary): a compile may fail — then
//! the workspace must be as it was — and may leave a file out of its answer.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;

use specls::compile::run::{OnEdited, Status, Summary};
use specls_core::config::Config;
use specls_core::drift;

pub const GREET: &str = "specs/greet.spec.md";
pub const NAMES: &str = "specs/names.spec.md";

/// Drift codes per spec (specs without drift left out), read from disk as `specls check
/// --drift` does.
pub fn drift_codes(root: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root.join("specls.toml")).unwrap_or_default();
    let config = Config::from_toml(&text).0;
    let (ws, _) = specls::files::load_with(root, &[root.to_path_buf()], &config);
    let loaded = specls::drift::load_manifest(root, &ws);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let hashes = specls::drift::hash_outputs(root, &loaded.manifest);
    let d = drift::drift(&ws, &loaded.manifest, &hashes);
    drift::diagnostics(&ws, &d)
        .into_iter()
        .map(|(spec, diags)| {
            let mut codes: Vec<String> = diags.iter().map(|d| d.code.to_string()).collect();
            codes.sort();
            codes.dedup();
            (spec, codes)
        })
        .filter(|(_, c)| !c.is_empty())
        .collect()
}

fn codes(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(s, c)| (s.to_string(), c.iter().map(|c| c.to_string()).collect()))
        .collect()
}

fn sha(bytes: &[u8]) -> String {
    specls_core::compile::sha256_hex(bytes)
}

/// Every file of the workspace outside `.specls/`, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == ".specls" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// A compile that failed must have left the workspace (and the manifest) as it was.
fn failed_cleanly(root: &Path, s: &Summary, before: &BTreeMap<String, Vec<u8>>, manifest: &str) {
    assert_eq!(
        &tree(root),
        before,
        "a failed compile changed the workspace: {s:#?}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".specls/manifest.json")).unwrap_or_default(),
        manifest,
        "a failed compile changed the manifest"
    );
}

/// The cycle. `compile(specs, on_edited, force)` compiles through the backend under test.
/// Returns false when (not strict) the first compile failed, so there was nothing to check
/// drift on.
pub async fn run<F, Fut>(root: &Path, backend: &str, strict: bool, compile: F) -> bool
where
    F: Fn(Vec<String>, OnEdited, bool) -> Fut,
    Fut: Future<Output = Summary>,
{
    assert_eq!(
        drift_codes(root),
        codes(&[(GREET, &["never-compiled"]), (NAMES, &["never-compiled"])])
    );
    // 1. Compile greet: its dependency first.
    let before = tree(root);
    let s = compile(vec![GREET.into()], OnEdited::Skip, false).await;
    let statuses: Vec<(String, Status)> = s
        .results
        .iter()
        .map(|r| (r.spec.clone(), r.status))
        .collect();
    if statuses
        != vec![
            (NAMES.to_string(), Status::Compiled),
            (GREET.to_string(), Status::Compiled),
        ]
    {
        assert!(!strict, "{backend}: {s:#?}");
        eprintln!("{backend}: the model's answer could not be used: {s:#?}");
        // What compiled stays (names), what failed left nothing behind: check the rest only.
        if s.results.iter().all(|r| r.status != Status::Compiled) {
            failed_cleanly(root, &s, &before, "");
        }
        return false;
    }
    // 2. The manifest: both specs, this backend, every recorded output on disk with its hash,
    //    greet's dependency on names with names' spec hash.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".specls/manifest.json")).unwrap())
            .unwrap();
    for spec in [NAMES, GREET] {
        let e = &m["specs"][spec];
        assert_eq!(e["backend"], backend, "{spec}: {e:#}");
        let text = std::fs::read(root.join(spec)).unwrap();
        assert_eq!(e["spec_hash"], sha(&text), "{spec}: spec hash");
        let outputs = e["outputs"].as_array().unwrap();
        assert!(!outputs.is_empty(), "{spec}: no outputs recorded");
        for o in outputs {
            let p = o["path"].as_str().unwrap();
            assert!(p.starts_with("src/") || p.starts_with("tests/"), "{p}");
            assert_eq!(o["hash"], sha(&std::fs::read(root.join(p)).unwrap()), "{p}");
        }
    }
    let names_hash = sha(&std::fs::read(root.join(NAMES)).unwrap());
    let deps = m["specs"][GREET]["dependencies"].to_string();
    assert!(deps.contains(&names_hash), "greet's dependencies: {deps}");
    assert_eq!(
        drift_codes(root),
        BTreeMap::new(),
        "{backend}: drift right after compile"
    );

    // 3. A scenario of greet edited: greet changed since compile, that scenario changed.
    let greet_text = std::fs::read_to_string(root.join(GREET)).unwrap();
    edit(root, GREET, "\"Hello, Ada!\"", "\"Hi, Ada!\"");
    assert_eq!(
        drift_codes(root),
        codes(&[(
            GREET,
            &[
                "scenario-changed-since-compile",
                "spec-changed-since-compile"
            ]
        )])
    );
    std::fs::write(root.join(GREET), &greet_text).unwrap();
    assert_eq!(drift_codes(root), BTreeMap::new());

    // 4. A generated file edited by hand: a warning on names.
    let names_outputs: Vec<String> = m["specs"][NAMES]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_string())
        .collect();
    let generated = names_outputs[0].clone();
    let mine = format!(
        "{}\n# edited by hand\n",
        std::fs::read_to_string(root.join(&generated)).unwrap()
    );
    std::fs::write(root.join(&generated), &mine).unwrap();
    assert_eq!(
        drift_codes(root),
        codes(&[(NAMES, &["generated-file-edited"])])
    );
    // ... survives a compile when the user skips it ...
    let before = tree(root);
    let manifest_before = std::fs::read_to_string(root.join(".specls/manifest.json")).unwrap();
    let s = compile(vec![NAMES.into()], OnEdited::Skip, true).await;
    let r = &s.results[0];
    assert_eq!(
        std::fs::read_to_string(root.join(&generated)).unwrap(),
        mine
    );
    match r.status {
        Status::Compiled => {
            assert!(!r.written.contains(&generated), "{r:#?}");
            // (A model may leave the file out of its answer: then it is no output any more.)
            if strict || r.kept.contains(&generated) {
                assert_eq!(r.kept, vec![generated.clone()], "{r:#?}");
                assert_eq!(
                    drift_codes(root),
                    codes(&[(NAMES, &["generated-file-edited"])])
                );
            }
        }
        _ => {
            assert!(!strict, "{r:#?}");
            failed_cleanly(root, &s, &before, &manifest_before);
        }
    }
    // ... and is replaced when the user chooses overwrite.
    let before = tree(root);
    let manifest_before = std::fs::read_to_string(root.join(".specls/manifest.json")).unwrap();
    let s = compile(vec![NAMES.into()], OnEdited::Overwrite, true).await;
    let r = &s.results[0];
    match r.status {
        Status::Compiled if r.written.contains(&generated) => {
            assert_ne!(
                std::fs::read_to_string(root.join(&generated)).unwrap(),
                mine
            );
            assert_eq!(drift_codes(root), BTreeMap::new());
        }
        Status::Compiled => {
            // The model left that file out of its answer this time: it stays as it is.
            assert!(!strict, "{r:#?}");
            assert_eq!(
                std::fs::read_to_string(root.join(&generated)).unwrap(),
                mine
            );
            std::fs::write(
                root.join(&generated),
                mine.replace("\n# edited by hand\n", ""),
            )
            .unwrap();
        }
        _ => {
            assert!(!strict, "{r:#?}");
            failed_cleanly(root, &s, &before, &manifest_before);
            std::fs::write(
                root.join(&generated),
                mine.replace("\n# edited by hand\n", ""),
            )
            .unwrap();
        }
    }
    // (Not strict: the generated file was put back as the manifest records it.)
    assert_eq!(drift_codes(root), BTreeMap::new(), "{backend}");

    // 5. The dependency edited: names changed (its scenario), greet's dependency changed.
    edit(
        root,
        NAMES,
        "the result is \"Ada\"",
        "the result is \"ADA\"",
    );
    assert_eq!(
        drift_codes(root),
        codes(&[
            (GREET, &["dependency-changed-since-compile"]),
            (
                NAMES,
                &[
                    "scenario-changed-since-compile",
                    "spec-changed-since-compile"
                ]
            ),
        ])
    );
    true
}
