//! The fix key: what makes two findings "the same fix", so one patch across many hosts is one item.
//!
//! In order: a finding located at `package@version` keys on the package ("upgrade openssl" fixes
//! every openssl CVE, whether a fixed version is published yet or not), done in SQL by
//! `grouping`; else a solution that says "upgrade to PRODUCT VERSION or later" keys on the
//! product, so eighteen "Upgrade to PHP 5.2.x" advisories are one upgrade to the highest of their
//! versions; else the solution text, normalised (markup, case, spaces, a trailing full stop);
//! else, when the solution is missing or says nothing specific, the vulnerability itself.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;
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
    "update to",
    "upgrade to",
    "updates are",
    "updates are available",
    "patch",
    "apply patch",
    "apply the patch",
    "apply vendor patch",
    "apply vendor patch immediately",
    "apply security patches",
    "apply security update",
    "apply security updates",
    "upgrade framework immediately",
    "contact vendor",
    "mitigation",
    "not available",
    "unknown",
];

/// A vulnerability's fix: the key findings group on, the action people read, and for an upgrade
/// the version it names (the group's action is the one naming the highest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub key: String,
    pub action: String,
    pub version: Option<String>,
}

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

/// The fix of a vulnerability.
pub fn fix_key(scanner: &str, scanner_id: &str, title: &str, solution: Option<&str>) -> Fix {
    // Solutions stored before markup was turned into text at import (Qualys) key as they do now.
    let text = crate::ingest::markup_to_text(solution.unwrap_or(""));
    let solution = text.trim();
    if let Some(up) = upgrade(&first_line(solution)) {
        return up;
    }
    let norm = normalise(solution);
    if norm.len() >= 8 && !GENERIC.contains(&norm.as_str()) {
        let key = if norm.len() > 80 {
            let cut: String = norm.chars().take(60).collect();
            format!("sol:{cut}#{:016x}", xxh3_64(norm.as_bytes()))
        } else {
            format!("sol:{norm}")
        };
        return Fix {
            key,
            action: first_line(solution),
            version: None,
        };
    }
    Fix {
        key: format!("vuln:{scanner}:{scanner_id}"),
        action: format!("Fix: {}", first_line(title)),
        version: None,
    }
}

/// "Upgrade to PHP version 5.3.12 / 5.4.2 or later", "Update to Kibana 7.17.22 / 8.14 or later",
/// "Upgrade Log4j to version 2.17.0 or later", "Upgrade to a version of PHP that is currently
/// supported": one upgrade of the product, to the highest version named.
fn upgrade(line: &str) -> Option<Fix> {
    const VERSIONS: &str = r"v?(?P<ver>\d[\w.\-+~:]*(?:\s*/\s*v?\d[\w.\-+~:]*)*)";
    const END: &str = r"\s*(?:or\s+(?:later|latest|newer|higher|above)\b|,|;|\.(?:\s|$)|$)";
    static TO_PRODUCT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?i)^(?:upgrade|update)\s+to\s+(?P<product>[a-z][\w.+&\-]*(?:\s+[a-z][\w.+&\-]*){{0,3}}?)\s+(?:version\s+)?{VERSIONS}{END}"
        ))
        .expect("upgrade pattern")
    });
    static PRODUCT_TO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?i)^(?:upgrade|update)\s+(?P<product>[a-z][\w.+&\-]*(?:\s+[a-z][\w.+&\-]*){{0,3}}?)\s+to\s+(?:version\s+)?{VERSIONS}{END}"
        ))
        .expect("upgrade pattern")
    });
    static SUPPORTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^upgrade\s+to\s+a\s+(?:(?:currently\s+)?supported\s+version\s+of\s+(?P<a>.+?)|version\s+of\s+(?P<b>.+?)\s+that\s+is\s+(?:currently\s+)?supported)\s*\.?$",
        )
        .expect("supported pattern")
    });
    let named = TO_PRODUCT
        .captures(line)
        .or_else(|| PRODUCT_TO.captures(line));
    let (product, version) = match named {
        Some(c) => {
            let versions = c.name("ver")?.as_str();
            let highest = versions
                .split('/')
                .map(str::trim)
                .max_by(|a, b| version_cmp(a, b))?;
            (
                c.name("product")?.as_str().trim(),
                Some(highest.to_string()),
            )
        }
        None => {
            let c = SUPPORTED.captures(line)?;
            (c.name("a").or(c.name("b"))?.as_str().trim(), None)
        }
    };
    let id = normalise(product);
    // "Upgrade to version 4.2.4" names no product: the words before the number are not one.
    const NOT_PRODUCTS: &[&str] = &[
        "version",
        "the latest version",
        "latest version",
        "the",
        "a",
    ];
    if id.is_empty() || NOT_PRODUCTS.contains(&id.as_str()) || id.starts_with("version") {
        return None;
    }
    let action = match &version {
        Some(v) => format!("Upgrade {product} to {v} or later"),
        None => format!("Upgrade {product} to a supported version"),
    };
    Some(Fix {
        key: format!("upg:{id}"),
        action,
        version,
    })
}

/// Versions in natural order, the order every packaging scheme agrees on for what "highest"
/// means: runs of digits compare as numbers, other runs as text, and a version that goes on
/// after an equal start is the higher ("1.0.1g" > "1.0.1", "5.2.10" > "5.2.9",
/// "32:9.11" > "0:9.18"). A leading ">=" or "v" is not part of the version.
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    let trim = |s: &str| {
        let s = s.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        match s.strip_prefix(['v', 'V']) {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_string(),
            _ => s.to_string(),
        }
    };
    let (a, b) = (trim(a), trim(b));
    let mut x = Runs(a.as_str());
    let mut y = Runs(b.as_str());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let digits = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
                let o = match (digits(p), digits(q)) {
                    (true, true) => {
                        let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                        p.len().cmp(&q.len()).then_with(|| p.cmp(q))
                    }
                    // A number sorts after text: "1.0-rc1" < "1.0.1".
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Runs of ASCII digits and runs of letters, separators skipped.
struct Runs<'a>(&'a str);

impl<'a> Iterator for Runs<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.0.trim_start_matches(|c: char| !c.is_alphanumeric());
        let first = s.chars().next()?;
        let digit = first.is_ascii_digit();
        let end = s
            .find(|c: char| !c.is_alphanumeric() || c.is_ascii_digit() != digit)
            .unwrap_or(s.len());
        self.0 = &s[end..];
        Some(&s[..end])
    }
}

/// The family a host's operating system belongs to, as ops patch it: the enterprise Linux
/// rebuilds together, each other distribution or system on its own; "" when unknown.
pub fn os_family(os: &str) -> String {
    const FAMILIES: &[(&[&str], &str)] = &[
        (&["windows"], "windows"),
        (&["ubuntu"], "ubuntu"),
        (&["debian"], "debian"),
        (
            &[
                "red hat",
                "redhat",
                "rhel",
                "centos",
                "almalinux",
                "rocky",
                "oracle linux",
            ],
            "enterprise linux",
        ),
        (&["suse", "sles"], "suse"),
        (&["alpine"], "alpine"),
        (&["amazon linux"], "amazon linux"),
        (&["fedora"], "fedora"),
        (&["cisco"], "cisco"),
        (&["esxi", "vmware"], "vmware esxi"),
        (&["mac os", "macos", "os x"], "macos"),
        (&["freebsd"], "freebsd"),
        (&["solaris"], "solaris"),
        (&["aix"], "aix"),
        (&["linux"], "linux"),
    ];
    let os = os.to_lowercase();
    for (names, family) in FAMILIES {
        if names.iter().any(|n| os.contains(n)) {
            return family.to_string();
        }
    }
    os.split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_string()
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

/// The scope tags a host's operating system implies, beside the tags people give it: `os:windows`,
/// `os:ubuntu`, `os:enterprise-linux`..., and `os:linux` for every Linux. A window scoped to
/// `os:linux` takes the items of Linux hosts only; a host whose OS no scanner reported has none.
pub fn os_tags(os: &str) -> Vec<String> {
    const LINUX: &[&str] = &[
        "ubuntu",
        "debian",
        "enterprise linux",
        "suse",
        "alpine",
        "amazon linux",
        "fedora",
        "linux",
    ];
    let family = os_family(os);
    if family.is_empty() {
        return Vec::new();
    }
    let mut tags = vec![format!("os:{}", family.replace(' ', "-"))];
    if LINUX.contains(&family.as_str()) && family != "linux" {
        tags.push("os:linux".to_string());
    }
    tags
}

/// The scope a window's name implies when its calendar gives none: "Weekly Linux patching" is for
/// Linux hosts, "Windows Server patching" for Windows ones. A name that mentions both, or
/// "maintenance windows" in general, implies nothing.
pub fn implied_os_scope(window_name: &str) -> Option<String> {
    let name = format!(
        " {} ",
        normalise(window_name).replace(|c: char| !c.is_alphanumeric(), " ")
    );
    let has = |words: &[&str]| words.iter().any(|w| name.contains(&format!(" {w} ")));
    let linux = has(&[
        "linux",
        "rhel",
        "ubuntu",
        "debian",
        "centos",
        "almalinux",
        "suse",
    ]);
    let windows = has(&["wsus", "microsoft"])
        || [
            "server", "servers", "patching", "patch", "patches", "update", "updates", "hosts",
        ]
        .iter()
        .any(|w| name.contains(&format!(" windows {w} ")))
        || name.contains(" patch tuesday ");
    // "Windows" alone may be the change windows themselves, but beside Linux it names both.
    match (linux, windows || has(&["windows"])) {
        (true, false) => Some("os:linux".into()),
        (false, true) if windows => Some("os:windows".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(solution: &str) -> String {
        fix_key("nessus", "1", "t", Some(solution)).key
    }

    #[test]
    fn the_same_solution_written_differently_is_one_fix() {
        let a = fix_key(
            "nessus",
            "1",
            "A",
            Some("Contact the vendor to have the AutoComplete attribute disabled."),
        );
        let b = fix_key(
            "nessus",
            "2",
            "B",
            Some("  contact the vendor to have the   autocomplete attribute disabled"),
        );
        assert_eq!(a.key, b.key);
        assert_eq!(
            a.action,
            "Contact the vendor to have the AutoComplete attribute disabled."
        );
        assert_ne!(a.key, key("Contact the vendor to have the form disabled."));
    }

    // The solutions of nessus_with_cvssv3.nessus (corpus): eighteen PHP advisories on one host.
    #[test]
    fn upgrades_of_one_product_are_one_fix_whatever_version_they_name() {
        let php = [
            "Upgrade to PHP version 5.2.0 or later.",
            "Upgrade to PHP version 5.2.10 or later.",
            "Upgrade to PHP version 5.3.2 / 5.2.13 or later.",
            "Upgrade to PHP version 5.3.12 / 5.4.2 or later. A 'mod_rewrite' workaround is available as well.",
            "Upgrade to PHP version 7.3.28 or later.",
            "upgrade to php 8.2.20 or later",
            "Upgrade to a version of PHP that is currently supported.",
        ];
        for s in php {
            assert_eq!(key(s), "upg:php", "{s}");
        }
        let f = fix_key("nessus", "1", "t", Some(php[3]));
        assert_eq!(f.version.as_deref(), Some("5.4.2"));
        assert_eq!(f.action, "Upgrade PHP to 5.4.2 or later");
        let log4j = fix_key(
            "nessus",
            "2",
            "t",
            Some("Upgrade Log4j to version 2.17.0 or later."),
        );
        assert_eq!(
            (log4j.key.as_str(), log4j.version.as_deref()),
            ("upg:log4j", Some("2.17.0"))
        );
        assert_eq!(
            key("Upgrade to Apache Tomcat version 8.5.78 or later."),
            "upg:apache tomcat"
        );
        assert_eq!(
            key("Upgrade to Kibana version 7.17.22 / 8.14 or later."),
            "upg:kibana"
        );
        // No product named: the text, not a product called "version".
        assert_eq!(
            key("Upgrade to version 4.3.1"),
            "sol:upgrade to version 4.3.1"
        );
        assert_eq!(
            key("Upgrade to version 117 or later,"),
            "sol:upgrade to version 117 or later"
        );
    }

    #[test]
    fn the_highest_version_is_the_natural_order_not_the_text_order() {
        use Ordering::*;
        for (a, b, o) in [
            ("5.2.10", "5.2.9", Greater),
            ("1.0.1g", "1.0.1", Greater),
            ("32:9.11.36-8.el8_8.2", "0:0.7-21.el8_9.1", Greater),
            ("1.8.2.2", "1.8.2.10", Less),
            (">=4.17.11", "4.17.2", Greater),
            ("v2.0", "2.0", Equal),
            ("1.0-rc1", "1.0.1", Less),
            ("4.2.7p26", "4.2.7p3", Greater),
        ] {
            assert_eq!(version_cmp(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn host_families_as_ops_patch_them() {
        for (os, family) in [
            ("CentOS Linux 7 (Core)", "enterprise linux"),
            ("AlmaLinux 8.6 (Sky Tiger)", "enterprise linux"),
            ("redhat 8.7", "enterprise linux"),
            (
                "Microsoft Windows Server 2008 R2 Standard Service Pack 1",
                "windows",
            ),
            ("Ubuntu / Tiny Core Linux / Linux 2.6.x", "ubuntu"),
            (
                "CISCO IOS 12, CISCO PIX, Cisco IOS XE, CISCO IOS 15",
                "cisco",
            ),
            ("debian 10.13", "debian"),
            ("Linux Kernel 2.6", "linux"),
            ("F5 Networks BIG-IP", "f5"),
            ("", ""),
        ] {
            assert_eq!(os_family(os), family, "{os}");
        }
    }

    #[test]
    fn an_os_implies_scope_tags_and_a_window_name_implies_a_scope() {
        assert_eq!(
            os_tags("CentOS Linux 7 (Core)"),
            ["os:enterprise-linux", "os:linux"]
        );
        assert_eq!(
            os_tags("Microsoft Windows Server 2008 R2 Standard Service Pack 1"),
            ["os:windows"]
        );
        assert_eq!(os_tags("Linux Kernel 2.6"), ["os:linux"]);
        assert!(os_tags("").is_empty());
        for (name, scope) in [
            ("Weekly Linux patching", Some("os:linux")),
            ("RHEL monthly", Some("os:linux")),
            ("Windows Server patching", Some("os:windows")),
            ("Patch Tuesday + 7", Some("os:windows")),
            ("Prod maintenance windows", None),
            ("Windows and Linux patching", None),
            ("Monthly prod web window", None),
        ] {
            assert_eq!(implied_os_scope(name).as_deref(), scope, "{name}");
        }
    }

    #[test]
    fn generic_or_missing_solutions_fall_back_to_the_vulnerability() {
        let a = fix_key("nessus", "1", "Weak thing", Some("n/a"));
        let b = fix_key("nessus", "2", "Other thing", Some("N/A"));
        assert_ne!(a.key, b.key);
        assert_eq!(a.key, "vuln:nessus:1");
        assert_eq!(a.action, "Fix: Weak thing");
        assert_eq!(fix_key("trivy", "CVE-1", "t", None).key, "vuln:trivy:CVE-1");
        assert_eq!(key("Apply vendor patch."), "vuln:nessus:1");
    }

    #[test]
    fn long_solutions_key_on_a_hash_of_the_whole_text() {
        let long = "Apply the vendor patch ".repeat(10);
        let k1 = key(&long);
        let k2 = key(&format!("{long} and reboot"));
        assert!(k1.len() < 100, "{k1}");
        assert_ne!(k1, k2);
    }
}
