//! CVE identifiers, the one place every format reads them: `CVE-` (any case), a four-digit year,
//! a dash and at least four digits. Scanners write them in lists, in prose and in references;
//! whatever else a cell says around them is not a CVE.

/// `CVE-2021-44228` (any case, surrounding spaces) as the canonical upper-case id, else None.
pub fn cve(id: &str) -> Option<String> {
    let mut found = Vec::new();
    cves_in(id.trim(), &mut found);
    match found.as_slice() {
        [one] if one.len() == id.trim().len() => found.pop(),
        _ => None,
    }
}

/// `CVE-YYYY-NNNN...` identifiers in `text`, upper-cased, in order of appearance.
pub fn cves_in(text: &str, out: &mut Vec<String>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        let starts = b[i..i + 4].eq_ignore_ascii_case(b"CVE-")
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if starts {
            let year = &b[i + 4..];
            let y = year.iter().take_while(|c| c.is_ascii_digit()).count();
            if y == 4 && year.get(4) == Some(&b'-') {
                let n = year[5..].iter().take_while(|c| c.is_ascii_digit()).count();
                if n >= 4 {
                    let cve = format!("CVE-{}", &text[i + 4..i + 9 + n]);
                    if !out.contains(&cve) {
                        out.push(cve);
                    }
                    i += 9 + n;
                    continue;
                }
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cves_are_found_in_text() {
        let mut v = Vec::new();
        cves_in(
            "BDSA-2020-1001 (cve-2020-11022), CVE-2021-44228 and XCVE-2020-1234 CVE-20-1",
            &mut v,
        );
        assert_eq!(v, ["CVE-2020-11022", "CVE-2021-44228"]);
        // A list cell as the CSV exports write it: separators of every kind, duplicates.
        let mut v = Vec::new();
        cves_in(
            "CVE-2014-0160;cve-2014-0160, CVE-2019-0708\nCVE-XXXX-1234",
            &mut v,
        );
        assert_eq!(v, ["CVE-2014-0160", "CVE-2019-0708"]);
    }

    #[test]
    fn one_id_is_a_cve_or_not() {
        assert_eq!(cve(" cve-2021-44228"), Some("CVE-2021-44228".into()));
        assert_eq!(cve("GHSA-v6rh-hp5x-86rv"), None);
        assert_eq!(cve("CVE-2021-"), None);
        assert_eq!(cve("CVE-2021-44228 and more"), None);
    }
}
