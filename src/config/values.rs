//! Reading values as a user writes them (an endpoint, a duration), and naming where in the
//! file a mistake sits.

use std::time::Duration;

/// `https://host:8006`, from what a user may write: a full URL, or just a host (and port).
pub(crate) fn endpoint_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let full = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let url = reqwest::Url::parse(&full).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("expected https:// (or http:// for testing)".into());
    }
    let host = url.host_str().ok_or("no host")?;
    let port = url.port().unwrap_or(8006);
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Ok(format!("{}://{host}:{port}", url.scheme()))
}

/// Seconds as a number, or text such as "2s", "1500ms", "1m", "1h", between `min` and `max`;
/// what is wrong in words otherwise (`example` shows a good value).
pub fn duration_in(
    value: &toml::Value,
    min: Duration,
    max: Duration,
    example: &str,
) -> Result<Duration, String> {
    let expected = || format!("expected a duration {example}");
    let seconds = match value {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
                .unwrap_or(s.len());
            let (number, unit) = s.split_at(split);
            if number.trim().is_empty() {
                return Err(format!("\"{s}\": {}", expected()));
            }
            let scale = match unit.trim() {
                "ms" => 0.001,
                "" | "s" => 1.0,
                "m" | "min" => 60.0,
                "h" => 3600.0,
                other => {
                    return Err(format!(
                        "unknown unit \"{other}\" in \"{s}\": use ms, s, m or h; {}",
                        expected()
                    ));
                }
            };
            number.trim().parse::<f64>().map_err(|_| expected())? * scale
        }
        _ => return Err(expected()),
    };
    let as_text = |d: Duration| format!("{} s", d.as_secs_f64());
    if !seconds.is_finite() || seconds > max.as_secs_f64() {
        return Err(format!("{seconds} s is too long: at most {}", as_text(max)));
    }
    if seconds < min.as_secs_f64() {
        return Err(format!(
            "{seconds} s is too short: at least {}",
            as_text(min)
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

/// The key on the line holding `offset` (`key = …`), or the table header there.
pub(super) fn key_at(text: &str, offset: usize) -> String {
    let start = text
        .get(..offset.min(text.len()))
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text
        .get(start..)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_default()
        .trim();
    match line.split_once('=') {
        Some((key, _)) => key.trim().trim_matches('"').to_string(),
        None if line.starts_with('[') => line.trim_matches(|c| c == '[' || c == ']').to_string(),
        None => "-".into(),
    }
}
