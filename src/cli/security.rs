//! The command line of trust and audit: `rack trust`.

/// `rack trust URL`: show a node's certificate and pin it in the config file.
#[derive(Debug, Clone, clap::Args)]
pub struct TrustArgs {
    /// The node's URL, e.g. https://10.0.0.1:8006 (a bare host gets https:// and :8006).
    pub url: String,
    /// The cluster's name in the config: the entry to pin it in, or to add.
    #[arg(long)]
    pub name: Option<String>,
    /// Trust it without asking (for scripts that checked the fingerprint another way).
    #[arg(long)]
    pub yes: bool,
    /// Trust only if the certificate has this SHA-256 fingerprint (no question asked).
    #[arg(long, value_name = "SHA256")]
    pub expect: Option<String>,
}
