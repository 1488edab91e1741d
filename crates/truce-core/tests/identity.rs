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

/// A wrong merge is undone by splitting the asset by the keys that do not belong to it.
#[test]
fn a_wrong_merge_is_split_back_with_its_findings_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(
        &mut ws,
        "prod.nessus",
        &host(
            "web01.prod.example.com",
            &[("HOST_START_TIMESTAMP", "1700000000")],
            "1",
        ),
    );
    // Another machine, known by a bare "web01" and its address, lands on the same asset a day
    // later, and its scan closes the prod machine's finding: the harm of a wrong merge.
    import(
        &mut ws,
        "lab.nessus",
        &host(
            "web01",
            &[
                ("host-ip", "10.9.9.9"),
                ("HOST_START_TIMESTAMP", "1700086400"),
            ],
            "2",
        ),
    );
    assert_eq!(assets(&ws), 1);
    let asset = common::text(&ws, "SELECT id FROM assets");
    let before = truce_core::assets::list(&ws).unwrap();
    assert_eq!(
        before[0].identifiers,
        [
            "fqdn=web01.prod.example.com",
            "hostname=web01",
            "ip=10.9.9.9"
        ]
    );
    assert_eq!(before[0].open_findings, 1);

    // Splitting off every key is refused; a key the asset lacks too.
    let all: Vec<String> = before[0].identifiers.clone();
    assert!(truce_core::assets::split(&mut ws, &asset, &all).is_err());
    assert!(truce_core::assets::split(&mut ws, &asset, &["ip=10.0.0.1".into()]).is_err());

    let r = truce_core::assets::split(&mut ws, &asset, &["ip=10.9.9.9".into()]).unwrap();
    // The prod machine's finding is open again.
    assert_eq!(common::text(&ws, "SELECT status FROM findings WHERE asset_id = (SELECT id FROM assets WHERE name = 'web01.prod.example.com')"), "open");
    assert_eq!(
        (r.name.as_str(), r.findings, r.reopened),
        ("10.9.9.9", 1, 1)
    );
    let after = truce_core::assets::list(&ws).unwrap();
    assert_eq!(after.len(), 2);
    let lab = after.iter().find(|a| a.id == r.asset).unwrap();
    assert_eq!(
        (lab.identifiers.clone(), lab.open_findings),
        (vec!["ip=10.9.9.9".to_string()], 1)
    );
    // Plugin 2 (from lab.nessus) moved; plugin 1 stayed.
    let moved = common::text(
        &ws,
        "SELECT v.scanner_id FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.asset_id = (SELECT id FROM assets WHERE name = '10.9.9.9')",
    );
    assert_eq!(moved, "2");
    // The history says so, and a rescan of the lab machine by address now lands on it.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM change_log WHERE entity = 'finding' AND field = 'asset_id'"
        ),
        1
    );
    import(
        &mut ws,
        "lab2.nessus",
        &host("10.9.9.9", &[("HOST_START_TIMESTAMP", "1700172800")], "3"),
    );
    assert_eq!(assets(&ws), 2);
    let on_lab = common::scalar(&ws, "SELECT count(*) FROM findings WHERE asset_id = (SELECT id FROM assets WHERE name = '10.9.9.9')");
    assert_eq!(on_lab, 2);
}
