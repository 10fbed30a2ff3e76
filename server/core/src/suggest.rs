//! "Did you mean" support shared by the parsers, the configuration and the checks.

/// Names longer than this (in chars) are never compared: no suggestion, and bounded work on
/// hostile input.
pub const MAX_SUGGEST_CHARS: usize = 64;

/// Edit distance with adjacent transpositions (optimal string alignment) over chars;
/// `usize::MAX` when either side is longer than [`MAX_SUGGEST_CHARS`].
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > MAX_SUGGEST_CHARS || b.len() > MAX_SUGGEST_CHARS {
        return usize::MAX;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(edit_distance("thne", "then"), 1);
        assert_eq!(edit_distance("tag", "tags"), 1);
        assert_eq!(edit_distance("given", "given"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance(&"x".repeat(65), "x"), usize::MAX);
    }
}
