//! A seeded generator of spec corpora, the same for tests and benchmarks.
//!
//! One corpus is a list of files of `per_file` scenarios each, in one of the formats specls reads
//! (or, for the Cucumber peer, plain Gherkin `.feature`). Scenarios are numbered globally
//! (`g = file * per_file + i`); every step text carries `g`, so scenarios are distinct unless a
//! plant below makes them collide. The seed picks the vocabulary (actors, objects, verbs), so
//! two seeds give different texts with the same structure and the same planted problems.
//!
//! # Planted problems (by global index, so every size has them)
//! - `g % 500 == 257`: the scenario has the name of scenario `g - 1` (same file): a
//!   duplicate name in one spec.
//! - `g % 500 == 120`: the scenario has the Given, When and Then of scenario `g - 100` (the
//!   previous file when files hold 50 or more... or the same file) under its own name: duplicate
//!   steps.
//! - `g % 500 == 430`: the scenario has the Given and When of scenario `g - 200` and a Then that
//!   contradicts it (`is "closed"` against `is "open"`): conflicting scenarios.
//!
//! [`Corpus::expected`] lists them; tests assert that the checks find exactly these.

use std::fmt::Write as _;

/// A format of spec file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML scenario spec: `feature:` and a `scenarios:` list with `given`/`when`/`then`.
    Yaml,
    /// Plain Markdown with `## Scenario:` headings and `Given`/`When`/`Then` lines.
    Markdown,
    /// SpecSoloist `.spec.md`: front matter, sections, `### Scenario:` with bold keywords.
    SpecSoloist,
    /// Markdown with Gherkin (`.feature.md`): `# Feature:`, `## Scenario:`, bold list items.
    GherkinMarkdown,
    /// Cucumber `.feature` (not read by specls; for the Cucumber language server peer).
    Feature,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Yaml,
        Format::Markdown,
        Format::SpecSoloist,
        Format::GherkinMarkdown,
        Format::Feature,
    ];
    /// The formats specls reads.
    pub const SPECLS: [Format; 4] = [
        Format::Yaml,
        Format::Markdown,
        Format::SpecSoloist,
        Format::GherkinMarkdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Markdown => "markdown",
            Format::SpecSoloist => "specsoloist",
            Format::GherkinMarkdown => "gherkin-markdown",
            Format::Feature => "feature",
        }
    }

    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// File name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Format::Yaml => ".spec.yaml",
            Format::Markdown => ".md",
            Format::SpecSoloist => ".spec.md",
            Format::GherkinMarkdown => ".feature.md",
            Format::Feature => ".feature",
        }
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub files: usize,
    pub per_file: usize,
    pub seed: u64,
}

impl Shape {
    pub fn new(files: usize, per_file: usize, seed: u64) -> Shape {
        Shape {
            files,
            per_file,
            seed,
        }
    }
    /// One file of 5,000 scenarios (about 1.4 MB).
    pub fn big(seed: u64) -> Shape {
        Shape::new(1, 5000, seed)
    }
}

/// A generated file: workspace-relative path and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub text: String,
}

/// A planted problem: the check code specls must report, where, and on which scenario.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub code: &'static str,
    pub path: String,
    pub scenario: String,
}

#[derive(Clone, Debug)]
pub struct Corpus {
    pub format: Format,
    pub shape: Shape,
    pub files: Vec<File>,
}

/// splitmix64: tiny, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const ACTORS: &[&str] = &[
    "customer", "admin", "guest", "member", "operator", "auditor", "editor", "reviewer",
];
const OBJECTS: &[&str] = &[
    "order", "invoice", "ticket", "booking", "parcel", "report", "account", "basket",
];
const VERBS: &[&str] = &[
    "submits", "archives", "approves", "cancels", "exports", "updates", "reopens", "shares",
];
const AREAS: &[&str] = &[
    "billing", "shipping", "support", "catalog", "checkout", "search", "accounts", "reports",
];

/// One scenario's content before rendering.
#[derive(Clone, Debug)]
struct Sc {
    name: String,
    tag: &'static str,
    given: Vec<String>,
    when: String,
    then: Vec<String>,
}

/// The base (unplanted) scenario number `g`.
fn base(g: usize, words: &Words) -> Sc {
    let actor = words.actor[g % words.actor.len()];
    let object = words.object[g % words.object.len()];
    let verb = words.verb[g % words.verb.len()];
    Sc {
        name: format!("{} {verb} {object} number {g}", capital(actor)),
        tag: words.area[g % words.area.len()],
        given: vec![
            format!("the {actor} \"{actor}-{g}\" is signed in"),
            format!("the {object} {g} exists with {} items", g % 17 + 1),
        ],
        when: format!("the {actor} {verb} the {object} {g}"),
        then: vec![
            format!("the {object} {g} status is \"open\""),
            format!("an audit entry for {object} {g} exists"),
        ],
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The seed's vocabulary: each list shuffled.
struct Words {
    actor: Vec<&'static str>,
    object: Vec<&'static str>,
    verb: Vec<&'static str>,
    area: Vec<&'static str>,
}

impl Words {
    fn new(seed: u64) -> Words {
        let mut rng = Rng(seed);
        let mut shuffled = |from: &[&'static str]| {
            let mut pool = from.to_vec();
            let mut out = Vec::with_capacity(pool.len());
            while !pool.is_empty() {
                let w = rng.pick(&pool);
                pool.retain(|x| *x != w);
                out.push(w);
            }
            out
        };
        Words {
            actor: shuffled(ACTORS),
            object: shuffled(OBJECTS),
            verb: shuffled(VERBS),
            area: shuffled(AREAS),
        }
    }
}

/// What kind of plant scenario `g` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plant {
    None,
    /// Same name as `g - 1`.
    Name,
    /// Same steps as `g - 100`.
    Steps,
    /// Same Given and When as `g - 200`, contradicting Then.
    Conflict,
}

fn plant(g: usize) -> Plant {
    match g % 500 {
        257 => Plant::Name,
        120 => Plant::Steps,
        430 => Plant::Conflict,
        _ => Plant::None,
    }
}

fn scenario(g: usize, words: &Words) -> Sc {
    let mut s = base(g, words);
    match plant(g) {
        Plant::None => {}
        Plant::Name => s.name = base(g - 1, words).name,
        Plant::Steps => {
            let o = base(g - 100, words);
            s.given = o.given;
            s.when = o.when;
            s.then = o.then;
        }
        Plant::Conflict => {
            let o = base(g - 200, words);
            s.given = o.given;
            s.when = o.when;
            s.then = o
                .then
                .iter()
                .map(|t| t.replace("\"open\"", "\"closed\""))
                .collect();
        }
    }
    s
}

impl Corpus {
    pub fn generate(format: Format, shape: Shape) -> Corpus {
        let words = Words::new(shape.seed);
        let files = (0..shape.files)
            .map(|f| {
                let scenarios: Vec<Sc> = (0..shape.per_file)
                    .map(|i| scenario(f * shape.per_file + i, &words))
                    .collect();
                let stem = file_stem(f, shape);
                let area = words.area[f % words.area.len()];
                let text = render(format, &stem, area, &scenarios);
                File {
                    path: format!("specs/{stem}{}", format.suffix()),
                    text,
                }
            })
            .collect();
        Corpus {
            format,
            shape,
            files,
        }
    }

    /// Total bytes of all files.
    pub fn bytes(&self) -> usize {
        self.files.iter().map(|f| f.text.len()).sum()
    }

    /// The problems planted, sorted, as specls reports them (`conflicting-scenarios` on both
    /// scenarios; `duplicate-scenario-name` and `duplicate-scenario-steps` on the later one).
    pub fn expected(&self) -> Vec<Expected> {
        let words = Words::new(self.shape.seed);
        let per = self.shape.per_file;
        let total = self.shape.files * per;
        let at = |g: usize| Expected {
            code: "",
            path: self.files[g / per].path.clone(),
            scenario: scenario(g, &words).name,
        };
        let mut out = Vec::new();
        for g in 0..total {
            let (code, other) = match plant(g) {
                Plant::None => continue,
                Plant::Name => ("duplicate-scenario-name", None),
                Plant::Steps => ("duplicate-scenario-steps", None),
                Plant::Conflict => ("conflicting-scenarios", Some(g - 200)),
            };
            out.push(Expected { code, ..at(g) });
            if let Some(o) = other {
                out.push(Expected { code, ..at(o) });
            }
        }
        out.sort();
        out
    }

    /// The files as (path, text) pairs, for writing to disk.
    pub fn write_to(&self, root: &std::path::Path) -> std::io::Result<()> {
        for f in &self.files {
            let p = root.join(&f.path);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(p, &f.text)?;
        }
        Ok(())
    }
}

/// Python test files linked by `@spec` markers to scenarios, and the JUnit XML report of one
/// run of them (as `pytest --junitxml` writes it): what the result ingestion benchmark reads.
#[derive(Clone, Debug)]
pub struct TestRun {
    pub files: Vec<File>,
    /// The JUnit report.
    pub junit: String,
    /// Test cases in the report (and tests in the files).
    pub cases: usize,
    /// Cases reported failed and skipped.
    pub failed: usize,
    pub skipped: usize,
}

impl TestRun {
    /// `cases` tests spread over one test file per spec (`specs`: each spec's path and scenario
    /// ids, in order). Test `k` of a file is `test_case_<k>` (the same names in every file, as
    /// real suites have, so results are told apart by their class and file) and links to
    /// scenario `k % n` of its spec. Every 37th case fails and every 101st is skipped.
    pub fn generate(specs: &[(String, Vec<String>)], cases: usize) -> TestRun {
        let specs: Vec<&(String, Vec<String>)> =
            specs.iter().filter(|(_, ids)| !ids.is_empty()).collect();
        let mut run = TestRun {
            files: Vec::with_capacity(specs.len()),
            junit: String::with_capacity(cases * 130 + 200),
            cases: 0,
            failed: 0,
            skipped: 0,
        };
        if specs.is_empty() {
            return run;
        }
        let mut body = String::with_capacity(cases * 130);
        for (f, (path, ids)) in specs.iter().enumerate() {
            let n = cases / specs.len() + usize::from(f < cases % specs.len());
            let stem = path
                .rsplit('/')
                .next()
                .unwrap_or(path)
                .split('.')
                .next()
                .unwrap_or("spec")
                .replace('-', "_");
            let module = format!("test_{stem}");
            let mut text = String::with_capacity(n * 90 + 40);
            text.push_str("import pytest\n\n\nclass TestCases:\n");
            for k in 0..n {
                let _ = write!(
                    text,
                    "    # @spec {}\n    def test_case_{k}(self):\n        assert True\n\n",
                    ids[k % ids.len()]
                );
                let g = run.cases + k;
                let _ = write!(
                    body,
                    "<testcase classname=\"tests.{module}.TestCases\" name=\"test_case_{k}\" file=\"tests/{module}.py\" line=\"{}\" time=\"0.001\"",
                    5 + 4 * k
                );
                if g % 37 == 36 {
                    run.failed += 1;
                    body.push_str("><failure message=\"assert 1 == 2\">def test():\n&gt;   assert 1 == 2\nE   assert 1 == 2</failure></testcase>\n");
                } else if g % 101 == 100 {
                    run.skipped += 1;
                    body.push_str("><skipped message=\"not ready\"/></testcase>\n");
                } else {
                    body.push_str("/>\n");
                }
            }
            run.cases += n;
            run.files.push(File {
                path: format!("tests/{module}.py"),
                text,
            });
        }
        let _ = write!(
            run.junit,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites><testsuite name=\"pytest\" errors=\"0\" failures=\"{}\" skipped=\"{}\" tests=\"{}\" time=\"{:.3}\">\n",
            run.failed,
            run.skipped,
            run.cases,
            run.cases as f64 * 0.001
        );
        run.junit.push_str(&body);
        run.junit.push_str("</testsuite></testsuites>\n");
        run
    }
}

fn file_stem(f: usize, shape: Shape) -> String {
    if shape.files == 1 {
        format!("big{}", shape.per_file)
    } else {
        format!("f{f:04}")
    }
}

fn render(format: Format, stem: &str, area: &str, scenarios: &[Sc]) -> String {
    let mut s = String::with_capacity(scenarios.len() * 300 + 200);
    let title = format!("{} {stem}", capital(area));
    match format {
        Format::Yaml => {
            let _ = write!(
                s,
                "# Generated by specls corpus\nfeature: {title}\ndescription: Generated scenarios for the {area} area\n\nscenarios:\n"
            );
            for sc in scenarios {
                let _ = writeln!(s, "  - name: {}", sc.name);
                let _ = writeln!(s, "    tags: [{}, generated]", sc.tag);
                s.push_str("    given:\n");
                for g in &sc.given {
                    let _ = writeln!(s, "      - {}", yaml_scalar(g));
                }
                let _ = writeln!(s, "    when: {}", yaml_scalar(&sc.when));
                s.push_str("    then:\n");
                for t in &sc.then {
                    let _ = writeln!(s, "      - {}", yaml_scalar(t));
                }
                s.push('\n');
            }
        }
        Format::Markdown => {
            let _ = write!(
                s,
                "# {title}\n\nGenerated scenarios for the {area} area.\n\n"
            );
            for sc in scenarios {
                let _ = write!(s, "## Scenario: {}\n\n", sc.name);
                steps(&mut s, sc, "", "Given", "When", "Then", "And");
                s.push('\n');
            }
        }
        Format::SpecSoloist => {
            let _ = write!(
                s,
                "---\nname: {stem}\ntype: bundle\nstatus: draft\ndescription: Generated scenarios for the {area} area.\n---\n\n# Overview\n\nGenerated scenarios for the {area} area.\n\n# Scenarios\n\n"
            );
            for sc in scenarios {
                let _ = write!(s, "### Scenario: {}\n\n", sc.name);
                steps(
                    &mut s,
                    sc,
                    "",
                    "**Given**",
                    "**When**",
                    "**Then**",
                    "**And**",
                );
                s.push('\n');
            }
        }
        Format::GherkinMarkdown => {
            let _ = write!(
                s,
                "# Feature: {title}\n\nGenerated scenarios for the {area} area.\n\n"
            );
            for sc in scenarios {
                let _ = write!(s, "## Scenario: {}\n\n**Tags:** `@{}`\n\n", sc.name, sc.tag);
                steps(
                    &mut s,
                    sc,
                    "- ",
                    "**Given**",
                    "**When**",
                    "**Then**",
                    "**And**",
                );
                s.push('\n');
            }
        }
        Format::Feature => {
            let _ = write!(
                s,
                "Feature: {title}\n  Generated scenarios for the {area} area.\n\n"
            );
            for sc in scenarios {
                let _ = write!(s, "  @{}\n  Scenario: {}\n", sc.tag, sc.name);
                steps(&mut s, sc, "    ", "Given", "When", "Then", "And");
                s.push('\n');
            }
        }
    }
    s
}

fn steps(s: &mut String, sc: &Sc, lead: &str, given: &str, when: &str, then: &str, and: &str) {
    for (i, g) in sc.given.iter().enumerate() {
        let _ = writeln!(s, "{lead}{} {g}", if i == 0 { given } else { and });
    }
    let _ = writeln!(s, "{lead}{when} {}", sc.when);
    for (i, t) in sc.then.iter().enumerate() {
        let _ = writeln!(s, "{lead}{} {t}", if i == 0 { then } else { and });
    }
}

/// Quote a step for YAML when it holds quotes.
fn yaml_scalar(s: &str) -> String {
    if s.contains('"') {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::check_workspace;
    use crate::config::Config;
    use crate::workspace::Workspace;

    /// What the checks report of the planted kinds, as (code, path, scenario name).
    fn found(c: &Corpus) -> Vec<Expected> {
        let mut ws = Workspace::new();
        for f in &c.files {
            assert!(ws.upsert_bytes(&f.path, f.text.as_bytes()), "{}", f.path);
        }
        let mut out = Vec::new();
        for (path, diags) in check_workspace(&ws, &Config::default()) {
            let doc = &ws.get(&path).unwrap().doc;
            for d in diags {
                let code = match d.code {
                    "duplicate-scenario-name" => "duplicate-scenario-name",
                    "duplicate-scenario-steps" => "duplicate-scenario-steps",
                    "conflicting-scenarios" => "conflicting-scenarios",
                    _ => continue,
                };
                let sc = doc
                    .scenarios
                    .iter()
                    .find(|s| s.name_span == d.span)
                    .unwrap_or_else(|| panic!("{code} in {path} not on a scenario name"));
                out.push(Expected {
                    code,
                    path: path.clone(),
                    scenario: sc.name.clone(),
                });
            }
        }
        out.sort();
        out
    }

    #[test]
    fn every_format_finds_exactly_the_planted_problems() {
        for format in Format::SPECLS {
            let c = Corpus::generate(format, Shape::new(20, 50, 7));
            let expected = c.expected();
            assert_eq!(expected.len(), 8, "{format:?}");
            let got = found(&c);
            assert_eq!(got, expected, "{format:?}");
            let docs: usize = c
                .files
                .iter()
                .map(|f| {
                    crate::parse::parse_bytes(&f.path, f.text.as_bytes())
                        .unwrap()
                        .1
                        .scenarios
                        .len()
                })
                .sum();
            assert_eq!(docs, 1000, "{format:?}");
        }
    }

    #[test]
    fn the_big_file_has_its_plants_and_size() {
        let c = Corpus::generate(Format::Yaml, Shape::big(1));
        assert_eq!(c.files.len(), 1);
        assert!(
            c.bytes() > 1_200_000 && c.bytes() < 1_700_000,
            "{}",
            c.bytes()
        );
        assert_eq!(c.expected().len(), 40);
        assert_eq!(found(&c), c.expected());
    }

    #[test]
    fn seeds_change_words_not_structure() {
        let a = Corpus::generate(Format::Markdown, Shape::new(2, 50, 1));
        let b = Corpus::generate(Format::Markdown, Shape::new(2, 50, 2));
        let a2 = Corpus::generate(Format::Markdown, Shape::new(2, 50, 1));
        assert_eq!(a.files, a2.files);
        assert_ne!(a.files, b.files);
        assert_eq!(a.expected().len(), b.expected().len());
    }

    #[test]
    fn test_runs_link_and_map_every_case() {
        use crate::testlinks::status::{map_results, scenario_status, ScenarioStatus};
        use crate::testlinks::{link, results, Language, TestIndex};
        for format in Format::SPECLS {
            let c = Corpus::generate(format, Shape::new(4, 50, 3));
            let mut ws = Workspace::new();
            for f in &c.files {
                assert!(ws.upsert_bytes(&f.path, f.text.as_bytes()));
            }
            let specs: Vec<(String, Vec<String>)> = c
                .files
                .iter()
                .map(|f| {
                    let ids = ws.get(&f.path).unwrap().doc.scenarios.iter();
                    (f.path.clone(), ids.map(|s| s.id.clone()).collect())
                })
                .collect();
            let run = TestRun::generate(&specs, 1001);
            assert_eq!((run.cases, run.files.len()), (1001, 4));
            let mut tests = TestIndex::new();
            for f in &run.files {
                tests.upsert(&f.path, &f.text, Language::Python);
            }
            let links = link(&ws, &tests);
            assert!(
                links.diagnostics.is_empty(),
                "{format:?}: {:?}",
                links.diagnostics
            );
            let parsed = results::parse(&run.junit);
            assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            assert_eq!(parsed.results.len(), 1001);
            let mapping = map_results(&tests, &parsed.results);
            assert!(mapping.unmatched.is_empty(), "{format:?}");
            assert!(mapping.tests_of_result.iter().all(|t| t.len() == 1));
            let statuses = scenario_status(&ws, &tests, &links, &parsed.results, &mapping);
            assert_eq!(statuses.len(), 200);
            let failed = statuses
                .values()
                .filter(|s| matches!(s, ScenarioStatus::Failed { .. }))
                .count();
            let untested = statuses
                .values()
                .filter(|s| matches!(s, ScenarioStatus::Untested | ScenarioStatus::NotRun { .. }))
                .count();
            assert_eq!(untested, 0, "{format:?}");
            assert!(
                failed > 0 && failed <= run.failed,
                "{failed} of {}",
                run.failed
            );
        }
    }

    #[test]
    fn feature_files_are_plain_gherkin() {
        let c = Corpus::generate(Format::Feature, Shape::new(1, 3, 1));
        insta::assert_snapshot!(c.files[0].text);
    }
}
