//! The Proxmox VE API and nothing else: shapes both sides agree on (the simulator serves them, the
//! client reads them), task ids, and TLS trust for Proxmox's self-signed certificates.

pub mod client;
pub mod de;
pub mod error;
pub mod propstr;
pub mod tls;
pub mod types;
pub mod upid;

pub use client::{Client, ClientOptions, Credentials, Secret};
pub use error::Error;
pub use upid::Upid;
