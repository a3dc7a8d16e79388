//! Stage 1, model (derive): small pure helpers (naming and "did you mean" suggestions).

use heck::ToSnakeCase;

/// The default table name of a struct: its name in snake_case (`BlogPost` -> `blog_post`).
pub fn snake_case(name: &str) -> String {
    name.to_snake_case()
}

/// The edit distance between `a` and `b` (Levenshtein, counting a swap of two neighbouring
/// chars as one edit, the most common typo), in chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: distance between the first i chars of a and the first j chars of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `name`, when it is close enough to be a likely typo: at most one
/// edit for short names, up to a third of the name's length for longer ones.
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_struct_names() {
        assert_eq!(snake_case("User"), "user");
        assert_eq!(snake_case("BlogPost"), "blog_post");
        assert_eq!(snake_case("HTTPRequestLog"), "http_request_log");
        assert_eq!(snake_case("Order2Item"), "order2_item");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("primay_key", "primary_key"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("uniqeu", "unique"), 1);
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(edit_distance("abc", "xyz"), 3);
        assert_eq!(edit_distance("café", "cafe"), 1);
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let known = ["primary_key", "unique", "index", "max_length", "column"];
        assert_eq!(did_you_mean("primay_key", &known), Some("primary_key"));
        assert_eq!(did_you_mean("uniqe", &known), Some("unique"));
        assert_eq!(did_you_mean("maxlength", &known), Some("max_length"));
        assert_eq!(did_you_mean("colum", &known), Some("column"));
        assert_eq!(did_you_mean("nullable", &known), None);
        assert_eq!(did_you_mean("pk", &known), None);
    }
}
