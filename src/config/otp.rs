//! The second factor for scripts: `otp_command` prints it (`oathtool --totp -b …`, a password
//! manager's TOTP), run with the secret commands' time limit.

use std::future::Future;
use std::pin::Pin;

use super::SecretSource;
use crate::pve::Secret;
use crate::pve::tfa::{Challenge, SecondFactor};

pub struct OtpCommand(pub SecretSource);

impl SecondFactor for OtpCommand {
    fn answer(
        &self,
        _user: &str,
        _challenge: &Challenge,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'static>> {
        let source = self.0.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || source.resolve().map_err(|e| e.to_string()))
                .await
                .map_err(|e| e.to_string())?
        })
    }
}
