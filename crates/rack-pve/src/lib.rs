//! The Proxmox VE API and nothing else: shapes both sides agree on (the simulator serves them, the
//! client reads them), task ids, the calendar of Proxmox schedules, and TLS trust for Proxmox's
//! self-signed certificates. The HTTP client is the default feature `client`; without it the types
//! stand alone (the simulator uses them so).

#[cfg(feature = "client")]
pub mod audit;
pub mod calendar;
#[cfg(feature = "client")]
pub mod client;
pub mod de;
pub mod debversion;
pub mod endpoints;
pub mod error;
pub mod path;
pub mod propstr;
pub mod remote;
pub mod termproxy;
#[cfg(feature = "client")]
pub mod tfa;
pub mod tls;
pub mod types;
pub mod upid;

#[cfg(feature = "client")]
pub use client::{Client, ClientOptions, Credentials, Secret};
pub use error::Error;
pub use upid::Upid;
