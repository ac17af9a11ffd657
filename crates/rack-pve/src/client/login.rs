//! Logging in: the headers that authenticate a request, a ticket from a password (and a
//! second factor when the realm wants one), its renewal, and not trying a refused login again
//! at once.

use std::time::Instant;

use reqwest::Method;
use serde_json::Value;

use super::{Client, LOGIN_BACKOFF, Secret, Session, decode};
use crate::Credentials;
use crate::de;
use crate::error::Error;
use crate::tfa::{self, Challenge};

impl Client {
    /// Headers that authenticate a request; with a password, logs in or renews as needed.
    pub(super) async fn auth_headers(
        &self,
        write: bool,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let (user, password) = match &self.inner.credentials {
            Credentials::Token { id, secret } => {
                return Ok(vec![(
                    "Authorization",
                    format!("PVEAPIToken={id}={}", secret.expose()),
                )]);
            }
            Credentials::Password { user, password } => (user, password),
        };
        let mut session = self.inner.session.lock().await;
        let renew = session
            .as_ref()
            .filter(|s| s.at.elapsed() >= self.inner.renew_after)
            .map(|s| s.ticket.clone());
        if let Some(ticket) = renew {
            // A valid ticket is accepted as the password and buys a fresh one; if it fails, fall
            // back to the password.
            *session = self.login(user, &ticket).await.ok();
        }
        if session.is_none() {
            // A login just refused (a wrong password, a second factor declined or wrong) is not
            // tried again at once by every request waiting: each would ask or send a code.
            let recent = match self.inner.refused.lock() {
                Ok(r) => r.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            };
            if let Some((_, error)) = recent.filter(|(at, _)| at.elapsed() < LOGIN_BACKOFF) {
                return Err(error);
            }
            let result = self.login(user, password).await;
            let mut refused = match self.inner.refused.lock() {
                Ok(r) => r,
                Err(poisoned) => poisoned.into_inner(),
            };
            *refused = match &result {
                Err(e @ Error::Auth(_)) => Some((Instant::now(), e.clone())),
                _ => None,
            };
            *session = Some(result?);
        }
        let Some(s) = session.as_ref() else {
            return Err(Error::Auth("no ticket".into()));
        };
        let mut headers = vec![("Cookie", format!("PVEAuthCookie={}", s.ticket.expose()))];
        if write {
            headers.push(("CSRFPreventionToken", s.csrf.expose().to_string()));
        }
        Ok(headers)
    }

    async fn login(&self, user: &str, password: &Secret) -> Result<Session, Error> {
        let form = [("username", user), ("password", password.expose())];
        let answer = self
            .send(&Method::POST, "/access/ticket", &form, &[])
            .await?;
        if answer.status == 401 {
            return Err(Error::Auth(format!(
                "user \"{user}\" was refused: check the user name and password"
            )));
        }
        let mut data: Value = decode("POST", "/access/ticket", answer)?;
        if data
            .get("NeedTFA")
            .is_some_and(|v| de::bool_of(v) == Some(true))
        {
            data = self.second_factor(user, &data).await?;
        }
        let field = |name: &str| {
            data.get(name)
                .and_then(Value::as_str)
                .map(Secret::new)
                .ok_or_else(|| Error::Auth(format!("login answer has no {name}")))
        };
        Ok(Session {
            ticket: field("ticket")?,
            csrf: field("CSRFPreventionToken")?,
            at: Instant::now(),
        })
    }

    /// The second step of a login that needs a second factor: ask for it, send it back with
    /// the partial ticket, and return the full login answer.
    async fn second_factor(&self, user: &str, first: &Value) -> Result<Value, Error> {
        let Some(asker) = &self.inner.second_factor else {
            return Err(Error::Auth(format!(
                "user \"{user}\" needs a second factor (TFA): set otp_command in the cluster's config entry, log in from the console, or use an API token"
            )));
        };
        let partial = first
            .get("ticket")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Auth("login answer has no ticket".into()))?;
        let challenge = Challenge::of_ticket(partial);
        let given = asker
            .answer(user, &challenge)
            .await
            .map_err(|why| Error::Auth(format!("no second factor for \"{user}\": {why}")))?;
        let response = Secret::new(tfa::response(given.expose()));
        let form = [
            ("username", user),
            ("tfa-challenge", partial),
            ("password", response.expose()),
        ];
        let answer = self
            .send(&Method::POST, "/access/ticket", &form, &[])
            .await?;
        if answer.status == 401 {
            return Err(Error::Auth(format!(
                "the second factor of \"{user}\" was refused: a wrong code, or one already used"
            )));
        }
        decode("POST", "/access/ticket", answer)
    }
}
