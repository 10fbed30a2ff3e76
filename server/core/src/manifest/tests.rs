use super::*;

const ARR: &str = "target_language: python\nspecs_path: score/\noutput_paths:\n  implementation: src/{name}.py\n  tests: tests/test_{name}.py\n  overrides:\n    item:\n      implementation: src/types.py\n      tests: tests/test_types.py\n";

const TODO: &str = "---\nname: todo\ntype: module\ndependencies:\n  - item\n---\n\n# Overview\n\nA todo list.\n\n## Requirements\n\n- FR-01: The list SHALL keep items in order.\n\n## Scenarios\n\n### Scenario: Add an item\n- Given an empty list\n- When I add \"milk\"\n- Then the list holds \"milk\"\n";

const ITEM: &str = "---\nname: item\ntype: type\n---\n\n# Overview\n\nOne todo item.\n";

fn ws(files: &[(&str, &str)]) -> Workspace {
    let mut ws = Workspace::new();
    for (p, t) in files {
        assert!(ws.upsert_bytes(p, t.as_bytes()), "{p} is not a spec");
    }
    ws
}

fn base() -> Workspace {
    ws(&[
        ("arrangement.yaml", ARR),
        ("score/todo.spec.md", TODO),
        ("score/item.spec.md", ITEM),
    ])
}

fn meta() -> CompileMeta {
    CompileMeta {
        backend: Some("openai".into()),
        model: Some("m".into()),
        compiled_at: Some(rfc3339_utc(1_700_000_000)),
        duration_ms: Some(1200),
        tokens_in: Some(10),
        tokens_out: Some(20),
    }
}

fn compiled(ws: &Workspace) -> Manifest {
    let mut m = Manifest::new();
    for (p, out) in [
        ("score/item.spec.md", "src/types.py"),
        ("score/todo.spec.md", "src/todo.py"),
    ] {
        let outs = vec![(out.to_string(), sha256_hex(b"code"))];
        m.insert(p, record(ws, p, &outs, &meta()).unwrap());
    }
    m
}

#[test]
fn hashes_match_specsoloist() {
    // SpecSoloist's own examples of compute_content_hash.
    assert_eq!(
        spec_hash("hello world"),
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    );
    assert_eq!(
        spec_hash(""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn item_hash_ignores_layout_only() {
    let a = "  - Given x\n\n  - Then y\n";
    let b = "- Given x\n- Then y";
    let c = "- Given x\n- Then z";
    let all = |t: &str| Span::new(0, t.len());
    assert_eq!(item_hash(a, all(a)), item_hash(b, all(b)));
    assert_ne!(item_hash(b, all(b)), item_hash(c, all(c)));
}

#[test]
fn record_snapshot_and_round_trip() {
    let ws = base();
    let m = compiled(&ws);
    let json = m.to_json();
    insta::assert_snapshot!("manifest_recorded", json);
    assert_eq!(Manifest::from_json(&json).unwrap(), m);
    assert!(record(&ws, "arrangement.yaml", &[], &meta()).is_none());
    assert!(record(&ws, "nope.spec.md", &[], &meta()).is_none());
}

#[test]
fn unknown_fields_are_tolerated() {
    let text = r#"{"version": 1, "future": true, "specs": {"a.spec.md": {"spec_hash": "x", "extra": [1], "outputs": [{"path": "a.py", "mode": 420}]}}}"#;
    let m = Manifest::from_json(text).unwrap();
    assert_eq!(m.specs["a.spec.md"].outputs[0].path, "a.py");
    assert_eq!(m.specs["a.spec.md"].outputs[0].hash, None);
}

#[test]
fn corrupt_and_other_versions_are_typed_errors() {
    let cases = [
        "",
        "{\"version\": 1, \"specs\": ",
        "[1, 2]",
        "{\"specs\": {}}",
        "{\"version\": 2, \"specs\": {}}",
        "{\"version\": \"1.0\", \"specs\": {}}",
        "{\"version\": 1, \"specs\": {\"a\": {\"outputs\": []}}}",
        "{\"version\": 1, \"specs\": []}",
    ];
    let shown: Vec<String> = cases
        .iter()
        .map(|c| match Manifest::from_json(c) {
            Ok(_) => format!("{c:?} -> ok"),
            Err(e) => format!("{c:?} -> {e}"),
        })
        .collect();
    insta::assert_snapshot!("manifest_errors", shown.join("\n"));
    assert!(matches!(
        Manifest::from_json("{\"version\": 7}"),
        Err(ManifestError::UnsupportedVersion { .. })
    ));
}

#[test]
fn needs_compile_reasons() {
    let ws0 = base();
    let m = compiled(&ws0);
    let mut out = Vec::new();
    out.push(("unchanged", needs_compile(&ws0, &m, "score/todo.spec.md")));
    out.push((
        "not compiled",
        needs_compile(&ws0, &Manifest::new(), "score/todo.spec.md"),
    ));
    out.push(("arrangement", needs_compile(&ws0, &m, "arrangement.yaml")));
    let mut ws1 = ws0.clone();
    ws1.upsert_bytes(
        "score/todo.spec.md",
        TODO.replace("\"milk\"", "\"bread\"").as_bytes(),
    );
    out.push(("text", needs_compile(&ws1, &m, "score/todo.spec.md")));
    let mut ws2 = ws0.clone();
    ws2.upsert_bytes(
        "score/item.spec.md",
        format!("{ITEM}\nA new line.\n").as_bytes(),
    );
    out.push(("dependency", needs_compile(&ws2, &m, "score/todo.spec.md")));
    out.push((
        "the dependency itself",
        needs_compile(&ws2, &m, "score/item.spec.md"),
    ));
    let mut ws3 = ws0.clone();
    ws3.upsert_bytes(
        "score/todo.spec.md",
        TODO.replace("  - item\n", "").as_bytes(),
    );
    // The text changed too, which is reported first; the list change shows with the old text.
    out.push((
        "list (text first)",
        needs_compile(&ws3, &m, "score/todo.spec.md"),
    ));
    let mut m3 = m.clone();
    m3.specs.get_mut("score/todo.spec.md").unwrap().spec_hash =
        spec_hash(&ws3.get("score/todo.spec.md").unwrap().text);
    out.push(("list", needs_compile(&ws3, &m3, "score/todo.spec.md")));
    let shown: Vec<String> = out
        .iter()
        .map(|(what, r)| {
            format!(
                "{what}: {} -> {}",
                if r.needs_compile() { "compile" } else { "skip" },
                r.describe()
            )
        })
        .collect();
    insta::assert_snapshot!("needs_compile", shown.join("\n"));
}

fn dep_spec(name: &str, deps: &[&str]) -> String {
    let mut s = format!("---\nname: {name}\ntype: module\n");
    if !deps.is_empty() {
        s.push_str("dependencies:\n");
        for d in deps {
            s.push_str(&format!("  - {d}\n"));
        }
    }
    s.push_str("---\n\n# Overview\n\nx\n");
    s
}

#[test]
fn order_dependencies_first_and_cycles_reported() {
    let files = [
        ("a.spec.md", dep_spec("a", &["b", "c"])),
        ("b.spec.md", dep_spec("b", &["c"])),
        ("c.spec.md", dep_spec("c", &[])),
        ("d.spec.md", dep_spec("d", &[])),
        ("x.spec.md", dep_spec("x", &["y"])),
        ("y.spec.md", dep_spec("y", &["x"])),
        ("z.spec.md", dep_spec("z", &["x", "d"])),
        ("s.spec.md", dep_spec("s", &["s"])),
    ];
    let w = ws(&files
        .iter()
        .map(|(p, t)| (*p, t.as_str()))
        .collect::<Vec<_>>());
    let all: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
    let o = compile_order(&w, &all);
    assert_eq!(
        o.order,
        vec!["c.spec.md", "b.spec.md", "a.spec.md", "d.spec.md"]
    );
    assert_eq!(
        o.cycles,
        vec![
            vec!["s.spec.md".to_string()],
            vec!["x.spec.md".to_string(), "y.spec.md".to_string()]
        ]
    );
    assert_eq!(o.blocked, vec!["z.spec.md"]);
    // Asking for one spec brings its dependencies along; unknown paths are listed.
    let o = compile_order(&w, &["a.spec.md".into(), "nope.spec.md".into()]);
    assert_eq!(o.order, vec!["c.spec.md", "b.spec.md", "a.spec.md"]);
    assert_eq!(o.unknown, vec!["nope.spec.md"]);
}

#[test]
fn arrangement_and_planned_outputs() {
    let w = ws(&[
        ("arrangement.yaml", ARR),
        ("score/todo.spec.md", TODO),
        ("score/item.spec.md", ITEM),
        ("other/plain.spec.md", ITEM),
        (
            "sub/arrangement.yaml",
            "output_paths:\n  implementation: gen/{name}.rs\n",
        ),
        ("sub/score/deep.spec.md", ITEM),
    ]);
    let a = arrangement_for(&w, "score/todo.spec.md").unwrap();
    assert_eq!(a.path, "arrangement.yaml");
    let todo = w.get("score/todo.spec.md").unwrap();
    assert_eq!(
        planned_outputs(a, &todo.doc),
        vec![
            ("implementation".to_string(), "src/todo.py".to_string()),
            ("tests".to_string(), "tests/test_todo.py".to_string())
        ]
    );
    let item = w.get("score/item.spec.md").unwrap();
    assert_eq!(planned_outputs(a, &item.doc)[0].1, "src/types.py");
    // Outside `specs_path`: no arrangement.
    assert!(arrangement_for(&w, "other/plain.spec.md").is_none());
    // The nearest arrangement wins.
    assert_eq!(
        arrangement_for(&w, "sub/score/deep.spec.md").unwrap().path,
        "sub/arrangement.yaml"
    );
}

#[test]
fn specsoloist_manifest_is_read_into_the_same_model() {
    let w = base();
    let todo_hash = spec_hash(TODO);
    let text = format!(
        r#"{{"version": "1.0", "specs": {{
            "todo": {{"spec_hash": "{todo_hash}", "built_at": "2026-03-01T14:30:01", "dependencies": ["item"], "output_files": ["todo.py", "test_todo.py"]}},
            "item": {{"spec_hash": "old", "built_at": "2026-03-01T14:30:00", "dependencies": [], "output_files": ["/home/u/proj/src/types.py", "notes.txt"]}},
            "gone": {{"spec_hash": "x", "built_at": "", "dependencies": [], "output_files": []}}
        }}}}"#
    );
    let m = specsoloist::from_specsoloist(
        &text,
        "build/.specsoloist-manifest.json",
        "/home/u/proj",
        &w,
    )
    .unwrap();
    insta::assert_json_snapshot!("specsoloist_import", m);
    assert_eq!(
        needs_compile(&w, &m, "score/todo.spec.md"),
        Reason::UpToDate
    );
    assert_eq!(
        needs_compile(&w, &m, "score/item.spec.md"),
        Reason::TextChanged
    );
    for bad in [
        "nope",
        "{\"version\": \"2.0\", \"specs\": {}}",
        "{\"version\": \"1.0\", \"specs\": {\"todo\": {\"built_at\": \"\"}}}",
    ] {
        assert!(
            specsoloist::from_specsoloist(bad, "build/x.json", "", &w).is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        specsoloist::from_specsoloist("{}", "build/x.json", "", &w).unwrap(),
        Manifest::new()
    );
}

#[test]
fn merge_prefers_specls_entries() {
    let w = base();
    let mut m = compiled(&w);
    let mut other = Manifest::new();
    let mut imported = m.specs["score/todo.spec.md"].clone();
    imported.origin = Origin::Specsoloist;
    other.insert("score/todo.spec.md", imported);
    other.insert("score/new.spec.md", SpecEntry::default());
    m.merge_missing(other);
    assert_eq!(m.specs["score/todo.spec.md"].origin, Origin::Specls);
    assert!(m.specs.contains_key("score/new.spec.md"));
}

#[test]
fn rfc3339() {
    assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339_utc(4_102_444_799), "2099-12-31T23:59:59Z");
}

#[test]
fn repeated_ids_keep_every_item() {
    assert_eq!(
        item_keys(["a", "b", "a", "a"].into_iter()),
        vec!["a", "b", "a#2", "a#3"]
    );
}
