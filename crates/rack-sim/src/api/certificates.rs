//! `GET /nodes/{node}/certificates/info`: the certificates a node's pveproxy holds, as
//! pve-manager lists them (the cluster CA, then the node's own).

use serde_json::{Value, json};

use super::Call;
use crate::http::ApiError;
use crate::tls::CertInfo;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/nodes/{node}/certificates/info") => info(c),
        _ => return None,
    })
}

fn info(c: &Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let Some(pki) = c.state.pki.as_ref() else {
        // Served over plain HTTP: the node still has its files, but the simulator made none.
        return Ok(json!([]));
    };
    let mut out = vec![entry(&pki.ca)];
    if let Some(cert) = pki.nodes.get(&node) {
        out.push(entry(&cert.info));
    }
    Ok(Value::Array(out))
}

fn entry(cert: &CertInfo) -> Value {
    json!({
        "filename": cert.filename,
        "fingerprint": cert.fingerprint,
        "issuer": cert.issuer,
        "subject": cert.subject,
        "notbefore": cert.not_before,
        "notafter": cert.not_after,
        "pem": cert.pem,
        "public-key-type": "id-ecPublicKey",
        "public-key-bits": 256,
        "san": cert.san,
    })
}
