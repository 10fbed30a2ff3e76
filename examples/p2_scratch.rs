use specls_core::corpus::{Corpus, Format, Shape, TestRun};
use std::sync::Arc;
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("gen");
    let fmt = Format::from_name(args.get(2).map(String::as_str).unwrap_or("yaml")).unwrap();
    let many = Corpus::generate(fmt, Shape::new(600, 50, 1));
    if mode == "gen" {
        let root = std::path::PathBuf::from(format!("/tmp/p2corpus/{}", fmt.name()));
        let _ = std::fs::remove_dir_all(&root);
        many.write_to(&root).unwrap();
        return;
    }
    use specls::lsp::testing::{merge_results, TestFiles, TestView};
    use specls_core::config::Config;
    use specls_core::testlinks::Language;
    use specls_core::workspace::Workspace;
    let mut ws = Workspace::new();
    let t0 = Instant::now();
    for f in &many.files {
        ws.upsert_bytes(&f.path, f.text.as_bytes());
    }
    eprintln!("parse {:?}", t0.elapsed());
    let specs: Vec<(String, Vec<String>)> = many
        .files
        .iter()
        .map(|f| {
            let ids = ws.get(&f.path).map_or(Vec::new(), |s| {
                s.doc.scenarios.iter().map(|s| s.id.clone()).collect()
            });
            (f.path.clone(), ids)
        })
        .collect();
    let run = TestRun::generate(&specs, 100_000);
    let mut tests = TestFiles::default();
    let t0 = Instant::now();
    for f in &run.files {
        tests.upsert(&f.path, Arc::from(f.text.as_str()), Language::Python);
    }
    eprintln!("index tests {:?}", t0.elapsed());
    let config = Config::default();
    for _ in 0..3 {
        let t0 = Instant::now();
        let results = merge_results(vec![(
            ".specls/results/junit.xml".into(),
            None,
            run.junit.clone(),
        )]);
        let t1 = t0.elapsed();
        let view = TestView::compute(&ws, &tests, &results, &config);
        eprintln!(
            "merge {:?} total {:?} {}",
            t1,
            t0.elapsed(),
            view.statuses.len()
        );
    }
}
