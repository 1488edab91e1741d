//! Serving the API over TLS (rustls), so device tokens and the plan never cross a network in the
//! clear: `truce-hub serve --tls-cert cert.pem --tls-key key.pem`. The certificate chain and key
//! are PEM files as any CA (or `certbot`, or a company CA) issues them; laptops check the hub's
//! certificate against the system's trusted roots, so a company CA is trusted the way the rest
//! of the company's TLS is (installed in the system store, or `SSL_CERT_FILE`).

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// How long a client may take to finish its TLS handshake: a connection that never does would
/// otherwise hold a task for ever.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// The TLS settings for the certificate chain and key in `cert_pem` and `key_pem` (PEM text);
/// an error names which file is wrong and how.
pub fn config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM certificates: {e:?}"))?;
    if chain.is_empty() {
        return Err(
            "the certificate file holds no certificate (-----BEGIN CERTIFICATE-----)".into(),
        );
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the key file holds no private key in PEM: {e:?}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and the key do not make a TLS identity: {e}"))?;
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until the process is stopped. A client that fails its
/// handshake is dropped without a word; the others are served meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    config: Arc<ServerConfig>,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors, a connection reset before it was accepted: wait, go on.
            Err(e) => {
                tracing::warn!(target: "truce::hub", "accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(target: "truce::hub", "TLS handshake with {peer}: {e}");
                    return;
                }
                Err(_) => return,
            };
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                .await;
        });
    }
}
