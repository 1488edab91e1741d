//! The fix key: what makes two findings "the same fix", so one patch across many hosts is one item.
//!
//! In order: a package with a fixed version (findings located at `package@version`) keys on the
//! package ("upgrade openssl" fixes every openssl CVE), done in SQL by `grouping`; else the
//! vulnerability's solution text, normalised (case, spaces, a trailing full stop); else, when the
//! solution is missing or says nothing specific, the vulnerability itself.

use xxhash_rust::xxh3::xxh3_64;

/// Solutions that name no particular fix, so they must not merge unrelated vulnerabilities.
const GENERIC: &[&str] = &[
    "n/a",
    "na",
    "none",
    "no solution",
    "no known solution",
    "no known solution at this time",
    "see references",
    "see the references",
    "see vendor advisory",
    "upgrade",
    "update",
    "patch",
    "apply patch",
    "apply the patch",
    "contact vendor",
    "mitigation",
    "not available",
    "unknown",
];

/// Lower case, runs of white space as one space, no surrounding spaces or final full stop.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    while out.ends_with(['.', ' ', ';', ',']) {
        out.pop();
    }
    out
}

/// The key and the action text of a vulnerability's fix.
pub fn fix_key(
    scanner: &str,
    scanner_id: &str,
    title: &str,
    solution: Option<&str>,
) -> (String, String) {
    // Solutions stored before markup was turned into text at import (Qualys) key as they do now.
    let text = crate::ingest::markup_to_text(solution.unwrap_or(""));
    let solution = text.trim();
    let norm = normalise(solution);
    if norm.len() >= 8 && !GENERIC.contains(&norm.as_str()) {
        let key = if norm.len() > 80 {
            let cut: String = norm.chars().take(60).collect();
            format!("sol:{cut}#{:016x}", xxh3_64(norm.as_bytes()))
        } else {
            format!("sol:{norm}")
        };
        return (key, first_line(solution));
    }
    (
        format!("vuln:{scanner}:{scanner_id}"),
        format!("Fix: {}", first_line(title)),
    )
}

/// The first non-empty line, at most 200 characters.
pub fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_solution_written_differently_is_one_fix() {
        let a = fix_key(
            "nessus",
            "1",
            "A",
            Some("Upgrade to PHP version 7.3.0 or later."),
        );
        let b = fix_key(
            "nessus",
            "2",
            "B",
            Some("  upgrade to PHP   version 7.3.0 or later"),
        );
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, "Upgrade to PHP version 7.3.0 or later.");
        let c = fix_key(
            "nessus",
            "3",
            "C",
            Some("Upgrade to PHP version 7.4.0 or later."),
        );
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn generic_or_missing_solutions_fall_back_to_the_vulnerability() {
        let a = fix_key("nessus", "1", "Weak thing", Some("n/a"));
        let b = fix_key("nessus", "2", "Other thing", Some("N/A"));
        assert_ne!(a.0, b.0);
        assert_eq!(a.0, "vuln:nessus:1");
        assert_eq!(a.1, "Fix: Weak thing");
        assert_eq!(fix_key("trivy", "CVE-1", "t", None).0, "vuln:trivy:CVE-1");
    }

    #[test]
    fn long_solutions_key_on_a_hash_of_the_whole_text() {
        let long = "Apply the vendor patch ".repeat(10);
        let (k1, _) = fix_key("s", "1", "t", Some(&long));
        let (k2, _) = fix_key("s", "2", "t", Some(&format!("{long} and reboot")));
        assert!(k1.len() < 100, "{k1}");
        assert_ne!(k1, k2);
    }
}
