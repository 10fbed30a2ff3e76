//! Print the tolerant YAML reader's view of a file: `cargo run -p specls-core --example yaml_dump FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: yaml_dump FILE");
    let text = std::fs::read_to_string(path).expect("read file");
    let doc = specls_core::yaml::parse(&text);
    print!("{}", doc.render(&text));
}
