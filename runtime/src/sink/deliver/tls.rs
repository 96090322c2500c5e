//! TLS for `otlp-grpcs://`, `otlp-https://` and `https://` endpoints:
//! rustls (ring) with the system's root certificates, or, with
//! `--insecure-skip-verify`, no verification of the server's certificate
//! at all (for self-signed test endpoints; signatures are still checked,
//! so the handshake is real). One connector serves both transports: ALPN
//! `h2` for gRPC, `http/1.1` for OTLP/HTTP.

use std::sync::Arc;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Accepts any server certificate (`--insecure-skip-verify`).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The system's root certificates. With none (no ca-certificates
/// package), a warning says so and every verified handshake then fails
/// with "invalid peer certificate", counted as each item's reason.
fn system_roots() -> RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        eprintln!(
            "warning: TLS: no system root certificates were found, so no server can be verified: install the ca-certificates package, or pass --insecure-skip-verify for a self-signed endpoint"
        );
    }
    roots
}

/// A client configuration: system roots (loaded only when `tls`), or no
/// verification when `insecure`.
fn client_config(tls: bool, insecure: bool) -> Result<ClientConfig, String> {
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth()
    } else {
        let roots = if tls {
            system_roots()
        } else {
            RootCertStore::empty()
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    // hyper-rustls sets ALPN (`h2` or `http/1.1`) from the protocols the
    // connector enables.
    Ok(config)
}

fn http_connector() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(std::time::Duration::from_secs(10)));
    http
}

/// The connector of an OTLP/gRPC channel over TLS (HTTP/2 only).
pub fn grpc_connector(insecure: bool) -> Result<HttpsConnector<HttpConnector>, String> {
    let config = client_config(true, insecure)?;
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http2()
        .wrap_connector(http_connector()))
}

/// The connector of the OTLP/HTTP client: `https://` URLs over TLS (when
/// `tls`, system roots are loaded), `http://` ones in the clear.
pub fn http_connector_for(
    tls: bool,
    insecure: bool,
) -> Result<HttpsConnector<HttpConnector>, String> {
    let config = client_config(tls, insecure)?;
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http_connector()))
}
