//! One asset per real machine: matching targets across files by their strongest key.

mod common;

use truce_core::ingest::import_reader;
use truce_core::Workspace;

/// A .nessus file with one host, given its ReportHost name and HostProperties tags.
fn host(name: &str, tags: &[(&str, &str)], plugin: &str) -> String {
    let props: String = tags
        .iter()
        .map(|(k, v)| format!("<tag name=\"{k}\">{v}</tag>"))
        .collect();
    format!(
        "<NessusClientData_v2><Report name=\"t\"><ReportHost name=\"{name}\"><HostProperties>{props}</HostProperties>
         <ReportItem port=\"22\" protocol=\"tcp\" severity=\"2\" pluginID=\"{plugin}\" pluginName=\"P{plugin}\"/>
         </ReportHost></Report></NessusClientData_v2>"
    )
}

fn import(ws: &mut Workspace, name: &str, doc: &str) {
    let mut input = std::io::Cursor::new(doc.as_bytes().to_vec());
    import_reader(ws, name, name, &mut input, None).unwrap();
}

fn assets(ws: &Workspace) -> i64 {
    common::scalar(ws, "SELECT count(*) FROM assets")
}

#[test]
fn the_same_fqdn_from_an_ip_named_report_host_is_the_same_asset() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "a", &host("web01.prod.example.com", &[], "1"));
    import(
        &mut ws,
        "b",
        &host(
            "10.0.0.5",
            &[
                ("host-fqdn", "WEB01.prod.example.com"),
                ("host-ip", "10.0.0.5"),
            ],
            "2",
        ),
    );
    assert_eq!(assets(&ws), 1);
    // The merge is explained: the new key and the key it matched on.
    let reason: String = ws
        .conn()
        .query_row("SELECT reason FROM change_log WHERE field = 'identifier' AND new_value = 'ip=10.0.0.5'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(reason, "b matched on fqdn=web01.prod.example.com");
}

#[test]
fn two_hosts_with_one_short_name_in_different_domains_stay_two_assets() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "a", &host("web01.prod.example.com", &[], "1"));
    import(&mut ws, "b", &host("web01.test.example.com", &[], "1"));
    assert_eq!(assets(&ws), 2);
    // A bare "web01" is ambiguous only in theory: it joins the first asset that has no other FQDN conflict.
    import(&mut ws, "c", &host("web01", &[], "1"));
    assert_eq!(assets(&ws), 2);
}

#[test]
fn an_address_alone_is_not_trusted_for_a_named_host() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(
        &mut ws,
        "a",
        &host("db01.example.com", &[("host-ip", "10.0.0.9")], "1"),
    );
    // Months later the address belongs to another machine.
    import(
        &mut ws,
        "b",
        &host("cache07.example.com", &[("host-ip", "10.0.0.9")], "1"),
    );
    assert_eq!(assets(&ws), 2);
    // A target known only by that address cannot tell which: it matches the first holder.
    import(&mut ws, "c", &host("10.0.0.9", &[], "1"));
    assert_eq!(assets(&ws), 2);
}

#[test]
fn a_mac_address_links_a_renamed_machine() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(
        &mut ws,
        "a",
        &host(
            "10.1.1.1",
            &[
                ("netbios-name", "OLDNAME"),
                ("mac-address", "00-50-56-AA-BB-CC"),
            ],
            "1",
        ),
    );
    import(
        &mut ws,
        "b",
        &host(
            "10.1.1.2",
            &[
                ("netbios-name", "NEWNAME"),
                ("mac-address", "00:50:56:aa:bb:cc"),
            ],
            "1",
        ),
    );
    assert_eq!(assets(&ws), 1);
}
