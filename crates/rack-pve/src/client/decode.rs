//! Proxmox's answers: `{"data": …}` (and `total` beside it for a page) into types, or the error
//! Proxmox gave in its own words.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Answer;
use crate::error::Error;

/// A page of a counted list: its items and how many there are in all (when Proxmox said).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: T,
    pub total: Option<u64>,
}

/// `{"data": […], "total": N}` into a page (`total` as a number or a string, or missing).
pub(super) fn decode_page<T: DeserializeOwned>(
    method: &str,
    path: &str,
    answer: Answer,
) -> Result<Page<T>, Error> {
    refused(method, path, &answer)?;
    #[derive(serde::Deserialize)]
    struct Paged<T> {
        data: T,
        #[serde(default, deserialize_with = "crate::de::opt_u64")]
        total: Option<u64>,
    }
    serde_json::from_str::<Paged<T>>(&answer.body)
        .map(|p| Page {
            items: p.data,
            total: p.total,
        })
        .map_err(|e| Error::Decode {
            path: path.to_string(),
            message: e.to_string(),
        })
}

/// `{"data": …}` into `T`, or the error Proxmox gave.
pub(super) fn decode<T: DeserializeOwned>(
    method: &str,
    path: &str,
    answer: Answer,
) -> Result<T, Error> {
    refused(method, path, &answer)?;
    #[derive(serde::Deserialize)]
    struct Envelope<T> {
        data: T,
    }
    serde_json::from_str::<Envelope<T>>(&answer.body)
        .map(|e| e.data)
        .map_err(|e| Error::Decode {
            path: path.to_string(),
            message: e.to_string(),
        })
}

/// The error Proxmox gave, when the answer is not a success.
fn refused(method: &str, path: &str, answer: &Answer) -> Result<(), Error> {
    if !(200..300).contains(&answer.status) {
        let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .or_else(|| answer.reason.clone())
            .unwrap_or_else(|| format!("HTTP {}", answer.status));
        let errors = body
            .get("errors")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if answer.status == 401 {
            return Err(Error::Auth(message));
        }
        return Err(Error::Api {
            method: method.to_string(),
            path: path.to_string(),
            status: answer.status,
            message,
            errors,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        Answer {
            status: 200,
            reason: None,
            body: body.into(),
        }
    }

    #[test]
    fn a_page_reads_total_as_a_number_a_string_or_not_at_all() {
        let page: Page<Vec<u32>> =
            decode_page("GET", "/x", answer(r#"{"data":[1,2],"total":7}"#)).unwrap();
        assert_eq!((page.items, page.total), (vec![1, 2], Some(7)));
        let page: Page<Vec<u32>> =
            decode_page("GET", "/x", answer(r#"{"data":[],"total":"12"}"#)).unwrap();
        assert_eq!(page.total, Some(12));
        let page: Page<Vec<u32>> = decode_page("GET", "/x", answer(r#"{"data":[3]}"#)).unwrap();
        assert_eq!(page.total, None);
        let refused = Answer {
            status: 500,
            reason: None,
            body: r#"{"data":null,"message":"no such task\n"}"#.into(),
        };
        let e = decode_page::<Vec<u32>>("GET", "/x", refused).unwrap_err();
        assert!(e.proxmox_text().contains("no such task"), "{e}");
    }
}
