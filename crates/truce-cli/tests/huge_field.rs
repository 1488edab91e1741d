//! A report with one huge field is refused while it is read, not after it was held whole (issue
//! 18: a 200 MB `<plugin_output>` took 420 MB). Its own test binary, so the peak memory of the
//! children it waits for is the import's alone.

use std::io::Write;
use std::process::Command;

/// The largest resident size of any child this process has waited for, in MB.
fn children_peak_mb() -> u64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss as u64 / 1024
}

#[test]
fn a_report_with_a_field_of_64_mb_is_refused_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("huge.nessus");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&report).unwrap());
        f.write_all(b"<?xml version=\"1.0\" ?>\n<NessusClientData_v2><Report name=\"t\">\n<ReportHost name=\"web01\"><HostProperties></HostProperties>\n<ReportItem port=\"22\" svc_name=\"ssh\" protocol=\"tcp\" severity=\"2\" pluginID=\"1\" pluginName=\"x\"><plugin_output>").unwrap();
        let line = [b'A'; 1024];
        for _ in 0..64 * 1024 {
            f.write_all(&line).unwrap();
        }
        f.write_all(b"</plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>\n")
            .unwrap();
    }
    let workspace = dir.path().join("w.truce");
    let out = Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(&workspace)
        .arg("import")
        .arg(&report)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("huge.nessus") && said.contains("16 MB"),
        "{said}"
    );
    let peak = children_peak_mb();
    // The field is 64 MB; read whole it takes twice that. Refused while reading, the import
    // holds at most one field's limit (16 MB) and its buffers.
    assert!(peak < 90, "the import peaked at {peak} MB");
}
