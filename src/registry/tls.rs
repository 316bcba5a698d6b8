// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! TLS configuration for registry connections: rustls with the ring provider, the system's roots from
//! rustls-native-certs (which honours `SSL_CERT_FILE` / `SSL_CERT_DIR`), plus per-registry certificates
//! from `--registry-certificate`, or no verification at all for `--skip-tls-verify*`; and the client
//! certificate of `--registry-client-cert` for registries that require mutual TLS.
//!
//! A `--registry-certificate` may be a CA or the registry's own self-signed certificate. webpki refuses a
//! self-signed certificate marked as a CA when it is presented as the server's certificate, so a server
//! certificate byte-identical to a configured one is accepted as pinned; anything else goes through normal
//! webpki verification against the roots plus the configured certificates.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::error::RegistryError;
use super::options::RegistryClientCert;

/// A client certificate chain and its private key, presented to a registry that asks for one.
#[derive(Debug)]
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// Reads a `--registry-client-cert` pair; a file without a PEM certificate or key is an error naming it.
pub fn read_client_identity(cert: &RegistryClientCert) -> Result<ClientIdentity, RegistryError> {
    let what = || {
        format!(
            "registry {} (--registry-client-cert {},{})",
            cert.registry,
            cert.cert.display(),
            cert.key.display()
        )
    };
    let fail = |path: &Path, e: rustls_pki_types::pem::Error| RegistryError::Tls {
        what: what(),
        reason: format!("{}: {e}", path.display()),
    };
    let chain = CertificateDer::pem_file_iter(&cert.cert)
        .map_err(|e| fail(&cert.cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&cert.cert, e))?;
    if chain.is_empty() {
        return Err(RegistryError::Tls {
            what: what(),
            reason: format!("no PEM certificate found in {}", cert.cert.display()),
        });
    }
    let key = PrivateKeyDer::from_pem_file(&cert.key).map_err(|e| fail(&cert.key, e))?;
    Ok(ClientIdentity { chain, key })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's trusted roots. Unreadable entries are logged, not fatal: a build that only talks to a
/// registry with its own `--registry-certificate`, or over plain HTTP, does not need them.
pub fn native_roots() -> RootCertStore {
    let loaded = rustls_native_certs::load_native_certs();
    for e in &loaded.errors {
        tracing::warn!(error = %e, "could not load a system CA certificate");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        tracing::warn!(ignored, "ignored unparsable system CA certificates");
    }
    tracing::debug!(added, "loaded system CA certificates");
    roots
}

/// Reads every certificate of a PEM file; an empty or unreadable file is an error naming the path.
pub fn read_pem_certificates(
    path: &Path,
    registry: &str,
) -> Result<Vec<CertificateDer<'static>>, RegistryError> {
    let fail = |source| RegistryError::Certificate {
        registry: registry.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let iter = CertificateDer::pem_file_iter(path).map_err(fail)?;
    let certs = iter.collect::<Result<Vec<_>, _>>().map_err(fail)?;
    if certs.is_empty() {
        return Err(RegistryError::Tls {
            what: format!("registry {registry} (--registry-certificate {})", path.display()),
            reason: "no PEM certificate found in the file".into(),
        });
    }
    Ok(certs)
}

/// A rustls client configuration for one TLS profile.
pub fn client_config(
    roots: &RootCertStore,
    extra: &[CertificateDer<'static>],
    skip_verify: bool,
    identity: Option<&ClientIdentity>,
) -> Result<rustls::ClientConfig, RegistryError> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = if skip_verify {
        Arc::new(NoVerification {
            provider: provider.clone(),
        })
    } else {
        let mut roots = roots.clone();
        for cert in extra {
            // A certificate webpki cannot use as an anchor is still honoured by pinning below.
            let _ = roots.add(cert.clone());
        }
        let tls_err = |reason: String| RegistryError::Tls {
            what: "registry connections".into(),
            reason,
        };
        if roots.is_empty() {
            return Err(tls_err(
                "no trusted CA certificates: none found on the system (set SSL_CERT_FILE or SSL_CERT_DIR) and none \
                 given with --registry-certificate"
                    .into(),
            ));
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(RegistryError::Verifier)?;
        Arc::new(PinnedOrWebPki {
            pinned: extra.to_vec(),
            webpki,
        })
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(RegistryError::TlsConfig)?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .map_err(RegistryError::TlsConfig)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts a server certificate identical to a configured one; otherwise verifies with webpki.
#[derive(Debug)]
struct PinnedOrWebPki {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) {
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `--skip-tls-verify`: any certificate is accepted, but handshake signatures are still checked so the
/// connection is at least consistent with the certificate presented.
#[derive(Debug)]
struct NoVerification {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
