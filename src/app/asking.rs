//! Questions a cluster's connection puts to the user while the console runs: a login's second
//! factor, typed in a masked field. They go to the console as `Event::Ask`; the answer comes
//! back as `Effect::Answer`.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::{mpsc, oneshot};

use crate::pve::Secret;
use crate::pve::tfa::{Challenge, SecondFactor};

/// A question on its way to the console, and where its answer goes.
pub struct Asked {
    pub title: String,
    pub lines: Vec<String>,
    pub secret: bool,
    pub reply: oneshot::Sender<Option<Secret>>,
}

/// Puts questions to the console; cheap to clone.
#[derive(Clone)]
pub struct Asker(mpsc::UnboundedSender<Asked>);

impl Asker {
    pub fn new() -> (Asker, mpsc::UnboundedReceiver<Asked>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Asker(tx), rx)
    }

    /// The answer, or None when declined (or the console is gone).
    pub async fn ask(&self, title: String, lines: Vec<String>, secret: bool) -> Option<Secret> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Asked {
                title,
                lines,
                secret,
                reply,
            })
            .ok()?;
        answer.await.ok().flatten()
    }
}

/// A login's second factor, asked in the console.
pub struct InConsole {
    pub cluster: String,
    pub asker: Asker,
}

impl SecondFactor for InConsole {
    fn answer(
        &self,
        user: &str,
        challenge: &Challenge,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'static>> {
        let asker = self.asker.clone();
        let title = format!("Second factor for {}", self.cluster);
        let lines = vec![
            format!("{user} logs in to cluster \"{}\".", self.cluster),
            format!("Proxmox asks for {}.", challenge.ask()),
        ];
        Box::pin(async move {
            asker
                .ask(title, lines, true)
                .await
                .filter(|s| !s.expose().trim().is_empty())
                .ok_or_else(|| "not given (Esc)".to_string())
        })
    }
}
