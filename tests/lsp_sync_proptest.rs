//! Property test: random incremental edits (multi-byte characters, all line endings) sent to the
//! real server in both position encodings leave the server with exactly the text of a plain
//! model of the document.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use lsp_client::TestClient;
use proptest::prelude::*;
use serde_json::{json, Value};

const PIECES: &[&str] = &[
    "a",
    "Z ",
    "é",
    "日本",
    "😀",
    "\n",
    "\r\n",
    "\r",
    "- **Given** ",
    "x😀y",
];

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

/// An edit on the model: replace chars `[a, b)` (as fractions of the length) with `text`.
#[derive(Clone, Debug)]
struct Edit {
    a: f64,
    b: f64,
    text: String,
    /// Send together with the previous edit in one didChange.
    batched: bool,
    /// Send the whole text after the edit (no range), as clients without ranges do.
    whole: bool,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    (
        0.0..=1.0f64,
        0.0..=1.0f64,
        text_strategy(),
        any::<bool>(),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(a, b, text, batched, whole)| Edit {
            a: a.min(b),
            b: a.max(b),
            text,
            batched,
            whole,
        })
}

/// Byte offsets where a position may point (char boundaries not between \r and \n).
fn boundaries(text: &str) -> Vec<usize> {
    let mut out: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .filter(|&i| !(i > 0 && text.as_bytes()[i - 1] == b'\r' && text.as_bytes()[i] == b'\n'))
        .collect();
    out.push(text.len());
    out
}

/// The model's position of a byte offset: lines end at \n, \r\n or a lone \r.
fn position(text: &str, byte: usize, utf16: bool) -> Value {
    let (mut line, mut col) = (0u32, 0u32);
    let bytes = text.as_bytes();
    for (i, c) in text[..byte].char_indices() {
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '\r' if bytes.get(i + 1) != Some(&b'\n') => {
                line += 1;
                col = 0;
            }
            '\r' => {}
            c => col += if utf16 { c.len_utf16() } else { c.len_utf8() } as u32,
        }
    }
    json!({"line": line, "character": col})
}

fn run_case(initial: String, edits: Vec<Edit>, utf16: bool) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let c = TestClient::start();
        let caps = if utf16 {
            json!({})
        } else {
            json!({"general": {"positionEncodings": ["utf-8"]}})
        };
        c.initialize(None, caps, json!({"pollInterval": 0})).await;
        let uri = "file:///tmp/specls-proptest/doc.spec.md";
        c.open(uri, &initial).await;
        let mut model = initial;
        let mut version = 1;
        let mut batch: Vec<Value> = Vec::new();
        for e in edits {
            if !e.batched && !batch.is_empty() {
                version += 1;
                c.change(uri, version, Value::Array(std::mem::take(&mut batch))).await;
            }
            let b = boundaries(&model);
            let pick = |f: f64| b[((f * (b.len() - 1) as f64).round() as usize).min(b.len() - 1)];
            let (start, end) = (pick(e.a), pick(e.b));
            let range = json!({"start": position(&model, start, utf16), "end": position(&model, end, utf16)});
            model.replace_range(start..end, &e.text);
            batch.push(if e.whole {
                json!({"text": model})
            } else {
                json!({"range": range, "text": e.text})
            });
        }
        if !batch.is_empty() {
            version += 1;
            c.change(uri, version, Value::Array(batch)).await;
        }
        let got = c.text(uri).await;
        let server_text = got["result"]["text"].as_str().unwrap_or("<missing>").to_string();
        c.shutdown().await;
        prop_assert_eq!(server_text, model);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_utf16(initial in text_strategy(), edits in prop::collection::vec(edit_strategy(), 1..16)) {
        run_case(initial, edits, true)?;
    }

    #[test]
    fn random_edits_utf8(initial in text_strategy(), edits in prop::collection::vec(edit_strategy(), 1..16)) {
        run_case(initial, edits, false)?;
    }
}
