//! The specs of specls (`specs/specls/`), executed: one test per scenario, named by its
//! `// @spec <id>` marker, doing what the scenario's Given and When say and asserting its Thens.
//! `specls check specs/` links every scenario of our own specs to one of these (or to another
//! test carrying the marker) and reports any that has none.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use specls_core::checks::check_workspace;
use specls_core::config::Config;
use specls_core::diag::Diagnostic;
use specls_core::model::{Comparison, StepKind};
use specls_core::parse::constraint::parse_measure;
use specls_core::testlinks::link::link;
use specls_core::testlinks::results;
use specls_core::testlinks::status::{
    map_results, scenario_diagnostics, scenario_status, ScenarioStatus,
};
use specls_core::testlinks::{Language, TestIndex};
use specls_core::workspace::Workspace;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn specls(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_specls"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("SPECLS_LOG")
        .output()
        .expect("specls runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temporary workspace holding `files` (path, text).
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const TWO_DISTINCT: &str = "feature: Tasks\nscenarios:\n  - name: Create a task\n    given: I am signed in\n    when: I create a task titled \"a\"\n    then: The task exists\n  - name: Delete a task\n    given: A task exists\n    when: I delete the task\n    then: The task is gone\n";

/// Line 7 holds the second `Create a task`.
const DUPLICATE_NAME: &str = "feature: Tasks\nscenarios:\n  - name: Create a task\n    given: I am signed in\n    when: I create a task titled \"a\"\n    then: The task exists\n  - name: Create a task\n    given: I am signed out\n    when: I create a task titled \"b\"\n    then: I am asked to sign in\n";

const UNMEASURABLE: &str = "feature: Reminders\nconstraints:\n  - Sending reminders must be fast\nscenarios:\n  - name: Send a reminder\n    given: A task is due tomorrow\n    when: The reminder job runs\n    then: The owner gets 1 email\n";

fn parse(path: &str, text: &str) -> Workspace {
    let mut ws = Workspace::new();
    assert!(ws.upsert_bytes(path, text.as_bytes()), "{path} is a spec");
    ws
}

fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

fn check(ws: &Workspace) -> Vec<(String, Diagnostic)> {
    check_workspace(ws, &Config::default())
        .into_iter()
        .flat_map(|(p, ds)| ds.into_iter().map(move |d| (p.clone(), d)))
        .collect()
}

// --- specs/specls/check.spec.yaml ------------------------------------------------------------

// @spec check-exit-code-clean
#[test]
fn clean_workspace_exits_0() {
    let ws = workspace(&[("specls.toml", ""), ("tasks.spec.yaml", TWO_DISTINCT)]);
    let r = specls(ws.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Nothing but the one-line summary.
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("specls: no problems"), "{}", r.stdout);
}

// @spec check-exit-code-findings
#[test]
fn an_error_finding_exits_1() {
    let ws = workspace(&[("tasks.spec.yaml", DUPLICATE_NAME)]);
    let r = specls(ws.path(), &["check"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("duplicate-scenario-name"), "{}", r.stdout);
}

// @spec check-warnings-pass-by-default
#[test]
fn warnings_alone_exit_0_by_default() {
    let ws = workspace(&[("reminders.spec.yaml", UNMEASURABLE)]);
    let r = specls(ws.path(), &["check"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("warning[constraint-unmeasurable]"),
        "{}",
        r.stdout
    );
}

// @spec check-deny-warnings
#[test]
fn deny_warnings_turns_a_warning_into_a_failure() {
    let ws = workspace(&[("reminders.spec.yaml", UNMEASURABLE)]);
    assert_eq!(specls(ws.path(), &["check", "--deny", "warnings"]).code, 1);
}

// @spec check-exit-code-usage
#[test]
fn unknown_format_is_a_usage_error() {
    let ws = workspace(&[]);
    let r = specls(ws.path(), &["check", "--format", "xml"]);
    assert_eq!(r.code, 2);
    for f in ["human", "json", "sarif"] {
        assert!(r.stderr.contains(f), "{}", r.stderr);
    }
}

// @spec check-exit-code-missing-path
#[test]
fn missing_path_is_an_io_error() {
    let ws = workspace(&[]);
    let r = specls(ws.path(), &["check", "does/not/exist"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does/not/exist"), "{}", r.stderr);
}

// @spec check-format-human
#[test]
fn human_output_shows_location_code_and_source_line() {
    let ws = workspace(&[("tasks.spec.yaml", DUPLICATE_NAME)]);
    let r = specls(ws.path(), &["check", "--format", "human"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("--> tasks.spec.yaml:7:"))
        .unwrap_or_else(|| panic!("no location line for line 7:\n{}", r.stdout));
    assert!(
        lines[at - 1].starts_with("error[duplicate-scenario-name]: "),
        "{}",
        r.stdout
    );
    assert!(lines[at - 1].contains("Create a task"));
    let source = lines[at + 2];
    assert!(
        source.starts_with("7 |") && source.contains("- name: Create a task"),
        "{}",
        r.stdout
    );
    let caret = lines[at + 3];
    let name_col = source.find("Create a task").unwrap();
    assert_eq!(
        caret.find('^'),
        Some(name_col),
        "caret under the name:\n{}",
        r.stdout
    );
}

// @spec check-format-json
#[test]
fn json_output_is_stable() {
    let ws = workspace(&[
        ("tasks.spec.yaml", DUPLICATE_NAME),
        ("a/reminders.spec.yaml", UNMEASURABLE),
    ]);
    let one = specls(ws.path(), &["check", "--format", "json"]);
    let two = specls(ws.path(), &["check", "--format", "json"]);
    assert_eq!(one.stdout, two.stdout);
    let v: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(diags.len() >= 2, "{v:#}");
    for d in diags {
        for field in ["path", "range", "code", "severity", "message"] {
            assert!(d.get(field).is_some(), "{field} missing in {d}");
        }
    }
    let keys: Vec<(String, u64, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

// @spec check-format-sarif
#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let ws = workspace(&[("tasks.spec.yaml", DUPLICATE_NAME)]);
    let r = specls(ws.path(), &["check", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["tool"]["driver"]["name"], "specls");
    let rules: Vec<&str> = runs[0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = runs[0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        assert!(rules.contains(&id), "no rule for {id}");
        assert!(res["level"].is_string());
        let line = res["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap();
        assert!(line >= 1);
    }
}

// @spec check-ignores-unrelated-yaml
#[test]
fn ci_and_kubernetes_yaml_are_not_claimed_as_specs() {
    let ws = workspace(&[
        (
            ".github/workflows/ci.yaml",
            "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n",
        ),
        (
            "specs/deploy.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n",
        ),
    ]);
    let r = specls(ws.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    assert_eq!(v["files"], 0);
}

// --- specs/specls/checks.spec.md -------------------------------------------------------------

// @spec dup-same-name
#[test]
fn two_scenarios_with_the_same_name_in_one_spec() {
    let ws = parse("tasks.spec.yaml", DUPLICATE_NAME);
    let found = check(&ws);
    let dups: Vec<&Diagnostic> = found
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d.code == "duplicate-scenario-name")
        .collect();
    assert_eq!(dups.len(), 1, "{found:#?}");
    let second = DUPLICATE_NAME.rfind("Create a task").unwrap();
    let first = DUPLICATE_NAME.find("Create a task").unwrap();
    assert_eq!(dups[0].span.start, second);
    assert_eq!(dups[0].related.len(), 1);
    assert_eq!(dups[0].related[0].span.start, first);
}

// @spec dup-copy-other-name
#[test]
fn a_copy_under_another_name() {
    let text = "feature: Tasks\nscenarios:\n  - name: Create a task\n    given: I am signed in\n    when: I create a task titled \"Milk\"\n    then: The task is in the list\n  - name: Add a task\n    given: i am SIGNED in.\n    when: I create  task titled \"Milk\"\n    then: the task is in list!\n";
    let found = check(&parse("tasks.spec.yaml", text));
    let dups: Vec<&Diagnostic> = found
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d.code == "duplicate-scenario-steps")
        .collect();
    assert_eq!(dups.len(), 1, "{found:#?}");
    assert_eq!(dups[0].severity.as_str(), "warning");
    assert!(dups[0].span.start > text.find("Add a task").unwrap() - 20);
}

fn conflict_pair(given_a: &str, then_a: &str, given_b: &str, then_b: &str) -> String {
    format!(
        "feature: Tasks\nscenarios:\n  - name: Complete a task\n    given: {given_a}\n    when: I complete the task\n    then: {then_a}\n  - name: Finish a task\n    given: {given_b}\n    when: I complete the task\n    then: {then_b}\n"
    )
}

// @spec conflict-quoted-value
#[test]
fn same_given_and_when_with_different_quoted_values() {
    let text = conflict_pair(
        "a task exists",
        "The task has status \"pending\"",
        "a task exists",
        "The task has status \"completed\"",
    );
    let found = check(&parse("tasks.spec.yaml", &text));
    let conflicts: Vec<&Diagnostic> = found
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d.code == "conflicting-scenarios")
        .collect();
    assert!(!conflicts.is_empty(), "{found:#?}");
    assert!(conflicts
        .iter()
        .all(|d| d.severity.as_str() == "error" && !d.related.is_empty()));
    let then_a = text.find("The task has status \"pending\"").unwrap();
    let then_b = text.find("The task has status \"completed\"").unwrap();
    let mut places: Vec<usize> = conflicts
        .iter()
        .flat_map(|d| std::iter::once(d.span.start).chain(d.related.iter().map(|r| r.span.start)))
        .collect();
    places.sort();
    places.dedup();
    for at in [then_a, then_b] {
        assert!(
            places.iter().any(|&p| p >= at && p < at + 40),
            "no place at the Then at {at}: {places:?}"
        );
    }
}

// @spec conflict-near-miss-given
#[test]
fn different_givens_are_not_a_conflict() {
    let text = conflict_pair(
        "the task is pending",
        "The task has status \"completed\"",
        "the task is completed",
        "I get an error",
    );
    let found = check(&parse("tasks.spec.yaml", &text));
    assert!(
        !found.iter().any(|(_, d)| d.code == "conflicting-scenarios"),
        "{found:#?}"
    );
}

// @spec conflict-first-five-listed
#[test]
fn a_scenario_that_contradicts_many_lists_its_first_five_conflicts() {
    let spec = |from: usize| {
        let mut text = String::from("feature: Shop\nscenarios:\n");
        for n in from..from + 6 {
            text.push_str(&format!(
                "  - name: Total {n}\n    given: a cart with one book\n    when: I check out\n    then: the total is {n} dollars\n"
            ));
        }
        text
    };
    let mut ws = parse("a.spec.yaml", &spec(0));
    assert!(ws.upsert_bytes("b.spec.yaml", spec(6).as_bytes()));
    let found = check(&ws);
    for n in 0..12 {
        let mine: Vec<&Diagnostic> = found
            .iter()
            .map(|(_, d)| d)
            .filter(|d| {
                d.code == "conflicting-scenarios"
                    && d.message.starts_with(&format!("scenario `Total {n}` "))
            })
            .collect();
        assert_eq!(mine.len(), 5, "Total {n}: {mine:#?}");
        assert!(mine.iter().all(|d| d.severity.as_str() == "error"));
        assert!(
            mine[4]
                .message
                .ends_with("only its first 5 conflicts are listed)"),
            "{}",
            mine[4].message
        );
        assert!(mine[..4].iter().all(|d| !d.message.contains("first 5")));
    }
}

// @spec constraint-p99-under-p95
#[test]
fn a_p99_bound_tighter_than_the_p95_bound() {
    let text = "feature: Search\nconstraints:\n  - p95 latency < 100ms for search\n  - p99 latency < 80ms for search\nscenarios:\n  - name: Search\n    given: 3 tasks exist\n    when: I search for \"milk\"\n    then: I see 1 task\n";
    let found = check(&parse("search.spec.yaml", text));
    let dominated: Vec<&Diagnostic> = found
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d.code == "constraint-dominated")
        .collect();
    assert_eq!(dominated.len(), 1, "{found:#?}");
    assert_eq!(dominated[0].severity.as_str(), "warning");
    let p95 = text.find("p95 latency").unwrap();
    assert!(dominated[0].span.start >= p95 && dominated[0].span.start < text.find("p99").unwrap());
}

// @spec constraint-unmeasurable-advice
#[test]
fn an_unmeasurable_constraint_says_what_to_add() {
    let found = check(&parse("reminders.spec.yaml", UNMEASURABLE));
    let d = found
        .iter()
        .map(|(_, d)| d)
        .find(|d| d.code == "constraint-unmeasurable")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(d.severity.as_str(), "warning");
    let at = UNMEASURABLE.find("Sending reminders must be fast").unwrap();
    assert_eq!(d.span.start, at);
    assert!(
        d.message.contains("add a percentile and a bound") && d.message.contains("`p95 < 200ms`"),
        "{}",
        d.message
    );
}

// @spec completeness-untested-condition
#[test]
fn a_condition_without_an_example() {
    let path = "tests/fixtures/findings/untested-condition.spec.md";
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    assert!(text.contains("Raise `ValueError` if"));
    let found = check(&parse("untested-condition.spec.md", &text));
    let d: Vec<&Diagnostic> = found
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d.code == "untested-condition")
        .collect();
    assert_eq!(d.len(), 1, "{found:#?}");
    let line = &text[d[0].span.start..];
    assert!(
        line.lines().next().unwrap().contains("negative") || text[..d[0].span.end].contains("if"),
        "{}",
        line
    );
}

// @spec dependency-cycle-whole
#[test]
fn a_dependency_cycle_is_reported_whole() {
    let dir = repo().join("tests/fixtures/findings/dependency-cycle-specs");
    let (ws, errors) = specls::files::load(&dir, std::slice::from_ref(&dir));
    assert!(errors.is_empty());
    let found = check(&ws);
    let cycles: Vec<&Diagnostic> = found
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d.code == "dependency-cycle")
        .collect();
    assert_eq!(cycles.len(), 3, "{found:#?}");
    assert!(found.iter().any(|(p, d)| p.ends_with("reminders.spec.md")
        && d.message
            .contains("reminders -> mailer -> templates -> reminders")));
    // Once on each spec of the cycle, each naming the whole cycle from that spec on.
    for (path, d) in found.iter().filter(|(_, d)| d.code == "dependency-cycle") {
        let from = path
            .trim_end_matches(".spec.md")
            .rsplit('/')
            .next()
            .unwrap();
        let whole = ["reminders", "mailer", "templates"];
        let at = whole.iter().position(|s| *s == from).unwrap();
        let cycle: Vec<&str> = (0..=3).map(|k| whole[(at + k) % 3]).collect();
        assert!(
            d.message.contains(&cycle.join(" -> ")),
            "{path}: {}",
            d.message
        );
    }
}

// @spec examples-are-clean
#[test]
fn the_example_workspaces_are_clean() {
    let r = specls(&repo(), &["check", "--deny", "warnings", "specs/examples"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

// @spec findings-match-readme
#[test]
fn every_findings_file_produces_its_documented_codes() {
    // The table-driven comparison lives in tests/checks_examples.rs; here the CLI agrees: the
    // findings folder fails, and every code the README's tables expect is reported.
    let readme = std::fs::read_to_string(repo().join("tests/fixtures/findings/README.md")).unwrap();
    let r = specls(
        &repo(),
        &["check", "--format", "json", "tests/fixtures/findings"],
    );
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let reported: std::collections::BTreeSet<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    for row in readme.lines().filter(|l| l.starts_with("| `")) {
        let expected = row.split('|').nth(2).unwrap_or("");
        let Some(code) = expected.split('`').nth(1) else {
            continue;
        };
        assert!(reported.contains(code), "{code} expected by: {row}");
    }
}

// --- specs/specls/parsing.spec.yaml ----------------------------------------------------------

// @spec parse-indented-sibling-recovers
#[test]
fn the_seeds_indentation_mistake_is_reported_and_the_rest_is_read() {
    let mut text = String::from(
        "feature: Task Management System\n  description: Tasks for a small team\nscenarios:\n",
    );
    for i in 1..=4 {
        text.push_str(&format!(
            "  - name: Scenario {i}\n    given: {i} tasks exist\n    when: I list the tasks\n    then: I see {i} tasks\n"
        ));
    }
    let ws = parse("tasks.spec.yaml", &text);
    let doc = &ws.get("tasks.spec.yaml").unwrap().doc;
    let d = doc
        .diagnostics
        .iter()
        .find(|d| d.code == "yaml-indented-sibling")
        .unwrap_or_else(|| panic!("{:#?}", doc.diagnostics));
    let line2 = text.find("  description").unwrap();
    assert!(d.span.start >= line2 && d.span.start < text.find("scenarios").unwrap());
    assert_eq!(doc.scenarios.len(), 4);
    assert!(doc
        .scenarios
        .iter()
        .all(|s| s.given.len() == 1 && s.when.len() == 1 && s.then.len() == 1));
}

// @spec parse-scalar-mapping-quote-fix
#[test]
fn a_value_with_a_second_colon_gets_a_quoting_fix() {
    let text = "feature: Search\nconstraints:\n  - requirement: p95 latency: < 100ms\n";
    let ws = parse("search.spec.yaml", text);
    let doc = &ws.get("search.spec.yaml").unwrap().doc;
    let d = doc
        .diagnostics
        .iter()
        .find(|d| d.code == "yaml-scalar-mapping")
        .unwrap_or_else(|| panic!("{:#?}", doc.diagnostics));
    let value = text.find("p95 latency: < 100ms").unwrap();
    assert_eq!(d.span.start, value);
    let edit = &d.fixes[0].edits[0];
    assert_eq!(edit.new_text, "\"p95 latency: < 100ms\"");
    assert_eq!(edit.span.start, value);
    assert_eq!(edit.span.end, value + "p95 latency: < 100ms".len());
}

// @spec parse-never-panics
#[test]
fn arbitrary_bytes_never_make_a_parser_panic() {
    // A deterministic generator (xorshift) so that a failure is reproducible; inputs of every
    // size up to 64 KiB, mixing random bytes with fragments of real specs.
    let fragments: [&[u8]; 8] = [
        b"feature: x\nscenarios:\n  - name: a\n    given: b\n",
        b"## Scenario: x\n**Given** a\n**When** b\n**Then** c\n",
        b"---\nname: x\ntype: bundle\n---\n# Overview\n",
        b"```yaml:schema\nproperties:\n",
        b"- &a [*a, *a]\n",
        b"  - [ ] step\n```guardian\n{\"plan\": [",
        b"output_paths:\n  tests: tests/{name}.py\n",
        "📝 é \t\r\n".as_bytes(),
    ];
    let names = [
        "s.spec.yaml",
        "s.spec.md",
        "arrangement.yaml",
        "specs/tasks/TASK-001.md",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..10_000usize {
        let len = if i % 100 == 0 {
            64 * 1024
        } else {
            (next() % 2048) as usize
        };
        let mut bytes = Vec::with_capacity(len);
        while bytes.len() < len {
            if next() % 3 == 0 {
                bytes.extend_from_slice(fragments[(next() % 8) as usize]);
            } else {
                bytes.push((next() & 0xff) as u8);
            }
        }
        bytes.truncate(len);
        let name = names[i % names.len()];
        let parsed = specls_core::parse::parse_bytes(name, &bytes);
        if name.contains(".spec.") {
            assert!(parsed.is_some(), "input {i}: {name} gave no document");
        }
        if let Some((text, doc)) = parsed {
            for d in &doc.diagnostics {
                assert!(
                    d.span.start <= d.span.end
                        && d.span.end <= text.len()
                        && text.is_char_boundary(d.span.start)
                        && text.is_char_boundary(d.span.end),
                    "input {i}: {d:?}"
                );
            }
        }
    }
}

// @spec parse-alias-bomb-bounded
#[test]
fn a_yaml_alias_bomb_stops_at_the_expansion_limit() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("feature: bomb\nscenarios: []\n");
    let started = std::time::Instant::now();
    let doc = specls_core::yaml::parse(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        doc.diagnostics.iter().any(|d| d.code == "yaml-alias-limit"),
        "{:#?}",
        doc.diagnostics
    );
    fn count(n: &specls_core::yaml::Node) -> usize {
        use specls_core::yaml::Value;
        1 + match &n.value {
            Value::Seq(items) => items.iter().map(count).sum::<usize>(),
            Value::Map(entries) => entries.iter().map(|e| count(&e.value)).sum::<usize>(),
            _ => 0,
        }
    }
    let nodes = doc.root.as_ref().map(count).unwrap_or(0);
    assert!(
        nodes <= specls_core::limits::MAX_ALIAS_EXPANSION + text.len(),
        "{nodes} nodes"
    );
    const { assert!(specls_core::limits::MAX_ALIAS_EXPANSION <= 10_000) };
}

// @spec parse-unclosed-fence
#[test]
fn an_unclosed_fence_runs_to_the_end_of_the_file() {
    let mut text = String::from("---\nname: todo\ntype: bundle\n---\n# Overview\n\nA todo list.\n\n# Behavior\n\n- **FR-01**: Adding an item stores it.\n");
    assert_eq!(text.lines().count(), 11);
    text.push_str("```yaml:schema\nproperties:\n  n: {type: integer}\n");
    let ws = parse("todo.spec.md", &text);
    let doc = &ws.get("todo.spec.md").unwrap().doc;
    let d = doc
        .diagnostics
        .iter()
        .find(|d| d.code == "fence-unclosed")
        .unwrap_or_else(|| panic!("{:#?}", doc.diagnostics));
    assert_eq!(d.severity.as_str(), "warning");
    assert_eq!(d.span.start, text.find("```yaml:schema").unwrap());
    assert!(doc.sections.iter().any(|s| s.title.contains("Behavior")));
    assert!(doc.requirements.iter().any(|r| r.id == "FR-01"));
}

// @spec parse-scenario-in-fence-ignored
#[test]
fn a_scenario_heading_inside_a_code_fence_is_not_a_scenario() {
    let text = "# Login\n\n## Scenario: Sign in\n\nGiven a user\nWhen they sign in\nThen they see the dashboard\n\n```gherkin\nScenario: Not a scenario\n  Given nothing\n```\n";
    let ws = parse("login.spec.md", text);
    assert_eq!(ws.get("login.spec.md").unwrap().doc.scenarios.len(), 1);
}

// @spec parse-openspec-steps
#[test]
fn openspec_bullets_become_steps_under_their_requirement() {
    let text = "# links Specification\n\n## Requirements\n\n### Requirement: Redirect\nThe system SHALL redirect short links.\n\n#### Scenario: Known link\n- **WHEN** a visitor opens a known short link\n- **THEN** they are redirected\n- **AND** the visit is counted\n";
    let ws = parse("openspec/specs/links/spec.md", text);
    let doc = &ws.get("openspec/specs/links/spec.md").unwrap().doc;
    assert_eq!(doc.scenarios.len(), 1, "{doc:#?}");
    let sc = &doc.scenarios[0];
    assert_eq!(sc.when.len(), 1);
    assert_eq!(sc.then.len(), 2);
    assert!(sc.then.iter().all(|s| s.kind == StepKind::Then));
    assert_eq!(sc.parent.as_deref(), Some("Redirect"));
}

// @spec parse-speckit-one-line
#[test]
fn spec_kit_one_line_scenarios_become_three_steps() {
    let text = "# Feature Specification: Room booking\n\n## User Scenarios & Testing\n\n### User Story 1 - Book a room (Priority: P1)\n\n**Acceptance Scenarios**:\n\n1. **Given** a free room, **When** Priya books it, **Then** the booking is confirmed\n";
    let ws = parse("specs/001-booking/spec.md", text);
    let doc = &ws.get("specs/001-booking/spec.md").unwrap().doc;
    assert_eq!(doc.scenarios.len(), 1, "{doc:#?}");
    let sc = &doc.scenarios[0];
    let texts = |steps: &[specls_core::model::Step]| -> Vec<String> {
        steps.iter().map(|s| s.text.clone()).collect()
    };
    assert_eq!(texts(&sc.given), ["a free room"]);
    assert_eq!(texts(&sc.when), ["Priya books it"]);
    assert_eq!(texts(&sc.then), ["the booking is confirmed"]);
}

// @spec parse-constraint-measure
#[test]
fn a_latency_constraint_is_parsed_into_its_parts() {
    let m = parse_measure("p95 latency < 100ms for all read operations", 0).unwrap();
    assert_eq!(m.metric, "latency");
    assert_eq!(m.percentile, Some(95.0));
    assert_eq!(m.comparison, Comparison::Lt);
    assert_eq!(m.value, 100.0);
    assert_eq!(m.unit.as_deref(), Some("ms"));
    assert_eq!(m.scope.as_deref(), Some("for all read operations"));
}

// --- specs/specls/workflow.spec.yaml ---------------------------------------------------------

// @spec links-untested-warning
#[test]
fn a_scenario_without_a_test_is_reported_as_untested() {
    let dir = tempfile::tempdir().unwrap();
    common::fs::copy_tree(&repo().join("specs/examples/task-management"), dir.path());
    // Remove the test of `task-reopen` (marker and function).
    let test_file = dir.path().join("tests/test_tasks.py");
    let text = std::fs::read_to_string(&test_file).unwrap();
    let start = text.find("# @spec task-reopen\n").unwrap();
    let end = start + text[start..].find("\n\n\n").unwrap() + 3;
    std::fs::write(&test_file, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let r = specls(dir.path(), &["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let untested: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "scenario-untested")
        .collect();
    assert_eq!(untested.len(), 1, "{v:#}");
    assert!(untested[0]["message"]
        .as_str()
        .unwrap()
        .contains("task-reopen"));
    // And with the test in place, nothing is untested.
    let r = specls(
        &repo().join("specs/examples/task-management"),
        &["check", "--deny", "warnings"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

// @spec links-junit-failure
#[test]
fn a_failed_test_marks_its_scenario_as_failed() {
    let spec = "feature: Counter\nscenarios:\n  - id: counter-add\n    name: Add two\n    given: A counter at 0\n    when: I add 2\n    then: The counter shows 2\n";
    let ws = parse("counter.spec.yaml", spec);
    let test = "# @spec counter-add\ndef test_add():\n    assert add(0, 2) == 2\n";
    let mut tests = TestIndex::new();
    tests.upsert("tests/test_counter.py", test, Language::Python);
    let report = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="1" failures="1">
<testcase classname="tests.test_counter" name="test_add" file="tests/test_counter.py" time="0.010">
<failure message="expected 2, got 3">assert 3 == 2</failure></testcase>
</testsuite></testsuites>"#;
    let parsed = results::parse(report);
    assert_eq!(parsed.results.len(), 1);
    let links = link(&ws, &tests);
    let mapping = map_results(&tests, &parsed.results);
    let statuses = scenario_status(&ws, &tests, &links, &parsed.results, &mapping);
    let status = statuses.values().next().unwrap();
    match status {
        ScenarioStatus::Failed { message, .. } => assert_eq!(message, "expected 2, got 3"),
        other => panic!("{other:?}"),
    }
    let diags = scenario_diagnostics(&ws, &tests, &statuses, &Config::default());
    let d = &diags["counter.spec.yaml"];
    assert_eq!(codes(d), ["scenario-failed"]);
    assert!(d[0].message.contains("expected 2, got 3"));
    assert_eq!(d[0].related[0].path, "tests/test_counter.py");
    let name_at = test.find("test_add").unwrap();
    assert_eq!(d[0].related[0].span.start, name_at);
}
