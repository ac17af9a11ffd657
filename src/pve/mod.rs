//! The Proxmox VE API and nothing else: shapes both sides agree on (the simulator serves them, the
//! client reads them), task ids, and TLS trust for Proxmox's self-signed certificates.

pub mod de;
pub mod propstr;
pub mod tls;
pub mod types;
pub mod upid;

pub use upid::Upid;
