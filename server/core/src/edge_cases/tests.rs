use super::*;

#[test]
fn yaml_scalars() {
    assert_eq!(render::yaml_scalar("a \"b\""), "a \"b\"");
    assert_eq!(render::yaml_scalar("\"b\" a"), "'\"b\" a'");
    assert_eq!(render::yaml_scalar("x: y"), "'x: y'");
    assert_eq!(render::yaml_scalar("it's"), "it's");
}

#[test]
fn kind_names_are_every_kind_as_it_serialises() {
    let names: Vec<EdgeKind> = KIND_NAMES
        .iter()
        .map(|n| serde_json::from_value(serde_json::Value::String(n.to_string())).unwrap())
        .collect();
    for k in &names {
        let back = serde_json::to_value(k).unwrap();
        assert!(KIND_NAMES.contains(&back.as_str().unwrap()), "{back}");
    }
    let distinct: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(distinct.len(), KIND_NAMES.len());
    // The list ends, as the enum does, with `Model`.
    assert_eq!(names.last(), Some(&EdgeKind::Model));
}
