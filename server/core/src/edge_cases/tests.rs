use super::*;

#[test]
fn yaml_scalars() {
    assert_eq!(render::yaml_scalar("a \"b\""), "a \"b\"");
    assert_eq!(render::yaml_scalar("\"b\" a"), "'\"b\" a'");
    assert_eq!(render::yaml_scalar("x: y"), "'x: y'");
    assert_eq!(render::yaml_scalar("it's"), "it's");
}
