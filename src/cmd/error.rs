//! Why a headless verb did not do its work, and the exit code that says which kind of reason.

/// How it was asked (exit 2), or what it met (exit 1); the words are the user's to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmdError {
    /// A flag, name or value the verb cannot use: the command line is to change.
    #[error("{0}")]
    Usage(String),
    /// What the verb met: a cluster that refused or did not answer, nothing that fits.
    #[error("{0}")]
    Failed(String),
}

impl CmdError {
    /// The process exit code: 2 for usage, 1 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CmdError::Usage(_) => 2,
            CmdError::Failed(_) => 1,
        }
    }
}

/// What a lower layer said went wrong, met while doing the work.
impl From<String> for CmdError {
    fn from(text: String) -> Self {
        CmdError::Failed(text)
    }
}

impl From<&str> for CmdError {
    fn from(text: &str) -> Self {
        CmdError::Failed(text.to_string())
    }
}
