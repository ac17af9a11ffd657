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

/// `rack audit`: the writes rack sent, from the audit log.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Only writes this recent: 30m, 12h, 1d, 2w.
    #[arg(long, value_parser = parse_age, value_name = "AGE")]
    pub since: Option<f64>,
    /// Only writes to this cluster (by its name in the config).
    #[arg(long)]
    pub cluster: Option<String>,
    /// table (aligned text) or json (one array).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: super::Output,
    /// Check the hash chain: exit 1 naming the first entry that was edited or removed.
    #[arg(long)]
    pub verify: bool,
}

/// `30m`, `12h`, `1d`, `2w` (or seconds) as seconds.
fn parse_age(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\": expected an age such as 30m, 12h, 1d or 2w"))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 7.0 * 86_400.0,
        other => return Err(format!("unknown unit \"{other}\": use s, m, h, d or w")),
    };
    Ok(n * scale)
}
