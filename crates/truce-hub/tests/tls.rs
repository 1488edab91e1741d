//! The hub over TLS, on a real PostgreSQL: a laptop syncs with a hub whose certificate a company
//! CA signed (trusted the way the system trusts it: `SSL_CERT_FILE`), and refuses a hub it cannot
//! trust (another issuer, another name) or one that does not speak TLS, before its token is sent.
//! A wrong certificate or key stops the hub with a clear error.

mod postgres;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use truce_core::{ingest, sync, Workspace};

/// A certificate for `names` and its key (PEM), signed by `issuer`, or self-signed.
fn certificate(
    names: &[&str],
    issuer: Option<(&rcgen::Certificate, &KeyPair)>,
) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = match issuer {
        Some((ca, ca_key)) => params.signed_by(&key, ca, ca_key).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    (cert, key)
}

/// A hub over TLS with `cert` on `url`'s database: its port.
async fn tls_hub(url: &str, cert: &rcgen::Certificate, key: &KeyPair) -> u16 {
    let pool = truce_hub::pool(url).unwrap();
    truce_hub::schema::migrate(&pool).await.unwrap();
    let config =
        truce_hub::tls::config(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(truce_hub::tls::serve(
        listener,
        truce_hub::router(pool),
        config,
    ));
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_syncs_over_tls_with_a_hub_it_trusts_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    // The company's CA, which the laptop trusts (as if installed in the system's store).
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Truce test company CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let trusted = dir.path().join("company-ca.pem");
    std::fs::write(&trusted, ca.pem()).unwrap();
    // Before any client is made: every client of this process reads it.
    std::env::set_var("SSL_CERT_FILE", &trusted);

    let pg = postgres::Postgres::start();
    let url = pg.database("tls").await;
    let (cert, key) = certificate(&["localhost"], Some((&ca, &ca_key)));
    let port = tls_hub(&url, &cert, &key).await;
    let (stranger, stranger_key) = certificate(&["localhost"], None);
    let other_port = tls_hub(&url, &stranger, &stranger_key).await;

    let path = dir.path().join("alice.truce");
    let (workspace, device) = {
        let mut a = Workspace::open(&path).unwrap();
        ingest::import_file(
            &mut a,
            std::path::Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/corpus/scans/tenable/nessus/nessus_v_unknown.xml"
            )),
            None,
        )
        .unwrap();
        sync::identity(&a).unwrap()
    };
    let pool = truce_hub::pool(&url).unwrap();
    let token = truce_hub::devices::issue(&pool, &workspace, &device, "Alice Sec", "security")
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || {
        let mut a = Workspace::open(&path).unwrap();
        let sync_with = |a: &mut Workspace, base: &str| {
            sync::connect(a, base).unwrap();
            sync::sync(a, &token)
        };
        // Another issuer, another name, no TLS at all: refused before anything is sent.
        for (base, why) in [
            (format!("https://localhost:{other_port}"), "certificate"),
            (format!("https://127.0.0.1:{port}"), "certificate"),
            (format!("http://localhost:{port}"), ""),
        ] {
            let refused = sync_with(&mut a, &base).unwrap_err().to_string();
            assert!(refused.contains(why), "{base}: {refused}");
            assert!(!refused.contains(&token), "{refused}");
            assert!(sync::waiting(&a).unwrap() > 0, "{base}: nothing was taken");
        }
        let pushed = sync_with(&mut a, &format!("https://localhost:{port}"))
            .unwrap()
            .pushed;
        assert!(pushed > 0);
        assert_eq!(sync::waiting(&a).unwrap(), 0);
        let page = truce_net::hub::pull(
            &format!("https://localhost:{port}"),
            &token,
            &workspace,
            0,
            100_000,
        )
        .unwrap();
        assert_eq!(page.ops.len() as u64, pushed, "the hub holds what was sent");
    })
    .await
    .unwrap();
}

#[test]
fn a_wrong_certificate_or_key_is_refused_naming_which() {
    let (cert, key) = certificate(&["localhost"], None);
    let (_, other_key) = certificate(&["localhost"], None);
    let pem = cert.pem();
    let refuse = |c: &[u8], k: &[u8]| truce_hub::tls::config(c, k).unwrap_err();
    assert!(
        refuse(b"not a certificate", key.serialize_pem().as_bytes()).contains("certificate file")
    );
    assert!(refuse(pem.as_bytes(), b"no key here").contains("key file"));
    assert!(
        refuse(pem.as_bytes(), other_key.serialize_pem().as_bytes()).contains("do not make"),
        "a key of another certificate"
    );
    assert!(truce_hub::tls::config(pem.as_bytes(), key.serialize_pem().as_bytes()).is_ok());
}
