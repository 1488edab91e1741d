//! Format detection over the whole shared corpus: every Trivy, Grype, CycloneDX and OpenVEX
//! sample is detected as its format from its first 64 KB, and none claims anything else (the
//! .nessus files, each other's files, SARIF JSON ...).

mod common;

use std::path::{Path, PathBuf};

use truce_core::ingest::{choose_format, import_file, Format};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn detected(path: &Path) -> Option<&'static str> {
    let bytes = std::fs::read(path).unwrap();
    let head = &bytes[..bytes.len().min(64 * 1024)];
    choose_format(&path.display().to_string(), None, head)
        .ok()
        .map(|f: &dyn Format| f.name())
}

#[test]
fn trivy_and_grype_samples_are_detected_and_claim_nothing_else() {
    let root = common::corpus("");
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    let (mut trivy, mut grype, mut others) = (0, 0, 0);
    let (mut cyclonedx, mut openvex) = (0, 0);
    for path in &all {
        let folder = path
            .strip_prefix(&root)
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let got = detected(path);
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        match folder.as_str() {
            "trivy" => {
                assert_eq!(got, Some("trivy"), "{rel}");
                trivy += 1;
            }
            "grype" => {
                assert_eq!(got, Some("grype"), "{rel}");
                grype += 1;
            }
            "cyclonedx" => {
                assert_eq!(got, Some("cyclonedx"), "{rel}");
                cyclonedx += 1;
            }
            // A JSON list is no OpenVEX document: nothing claims it.
            "openvex" if rel.ends_with("openvex_not_a_document.json") => {
                assert_eq!(got, None, "{rel}");
            }
            "openvex" => {
                assert_eq!(got, Some("openvex"), "{rel}");
                openvex += 1;
            }
            _ => {
                assert!(
                    !matches!(
                        got,
                        Some("trivy") | Some("grype") | Some("cyclonedx") | Some("openvex")
                    ),
                    "{rel} claimed by {got:?}"
                );
                others += 1;
            }
        }
    }
    // 21 Trivy and 16 Grype samples (ls tests/corpus/scans/{trivy,grype}), and the rest.
    assert_eq!((trivy, grype), (21, 16));
    // 18 CycloneDX samples (.json and .xml) and 3 OpenVEX documents (ls tests/corpus/scans/{cyclonedx,openvex}).
    assert_eq!((cyclonedx, openvex), (18, 3));
    // Everything else in the corpus (100 files today), claimed by none of these four.
    assert!(others >= 90, "{others}");
}

#[test]
fn nessus_files_are_still_detected_as_nessus() {
    for f in std::fs::read_dir(common::corpus("tenable/nessus")).unwrap() {
        let p = f.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".nessus") {
            assert_eq!(detected(&p), Some("nessus"), "{name}");
        }
    }
    // And imported without --format.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(
        &mut ws,
        &common::corpus("tenable/nessus/nessus_many_vuln.xml"),
        None,
    )
    .unwrap();
    assert_eq!((r.format.as_str(), r.assets, r.findings), ("nessus", 1, 7));
}

#[test]
fn a_cut_head_is_enough() {
    // The sniffers see at most 64 KB: Grype writes source and descriptor after all matches.
    for rel in [
        "grype/many_vulns.json",
        "trivy/legacy_many_vulns.json",
        "cyclonedx/dd_1_15_0.xml",
        "cyclonedx/issue_9277.json",
    ] {
        let bytes = std::fs::read(common::corpus(rel)).unwrap();
        assert!(bytes.len() > 64 * 1024, "{rel}");
        let head = &bytes[..64 * 1024];
        let f = choose_format(rel, None, head).unwrap();
        assert_eq!(f.name(), rel.split('/').next().unwrap());
    }
}
