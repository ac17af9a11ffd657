//! How a cluster authenticates: an API token or a user and password, and where the secret is
//! read from (exactly one source).

use super::*;

/// `[clusters.shell]`: the login terminals use, when the cluster's own is not root@pam with a
/// password (Proxmox gives a root shell to nobody else).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShell {
    user: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_command: Option<Spanned<String>>,
    otp_command: Option<Spanned<String>>,
}

fn command_timeout(c: &RawCluster, at: &At) -> Result<Duration, ConfigError> {
    match &c.secret_command_timeout {
        Some(t) => duration_in(
            t.get_ref(),
            Duration::from_millis(100),
            Duration::from_secs(600),
            "such as 10 or \"30s\"",
        )
        .map_err(|why| at(t.span().start, "secret_command_timeout", why)),
        None => Ok(DEFAULT_SECRET_COMMAND_TIMEOUT),
    }
}

/// The `[clusters.shell]` login: a user with a password, from one source.
pub(super) fn check_shell(
    c: &RawCluster,
    label: &str,
    allow_shared: bool,
    at: &At,
    warnings: &mut Vec<String>,
) -> Result<Option<AuthConfig>, ConfigError> {
    let Some(shell) = &c.shell else {
        return Ok(None);
    };
    let table = shell.span().start;
    let shell = shell.get_ref();
    let user = shell.user.as_ref().ok_or_else(|| {
        at(
            table,
            "shell.user",
            "expected the login for terminals, such as user = \"root@pam\"".into(),
        )
    })?;
    let rules = Rules {
        command_timeout: command_timeout(c, at)?,
        allow_shared,
    };
    let login = Login {
        prefix: "shell.",
        user,
        password: [
            &shell.password_file,
            &shell.password_env,
            &shell.password_command,
            &shell.password,
        ],
        otp: &shell.otp_command,
    };
    password_login(&login, label, rules, at, warnings).map(Some)
}

/// A user's login: the user, where the password comes from, and a second-factor command;
/// `prefix` is the table its keys are in (`shell.` for `[clusters.shell]`).
struct Login<'a> {
    prefix: &'a str,
    user: &'a Spanned<String>,
    password: [&'a Option<Spanned<String>>; 4],
    otp: &'a Option<Spanned<String>>,
}

fn password_login(
    login: &Login,
    label: &str,
    rules: Rules,
    at: &At,
    warnings: &mut Vec<String>,
) -> Result<AuthConfig, ConfigError> {
    let Login {
        prefix,
        user,
        password,
        otp,
    } = login;
    if !user.get_ref().contains('@') {
        return Err(at(
            user.span().start,
            &format!("{prefix}user"),
            format!(
                "\"{}\": expected USER@REALM, such as \"root@pam\"",
                user.get_ref()
            ),
        ));
    }
    let password = secret_source(
        &format!("{prefix}password"),
        *password,
        user.span().start,
        label,
        rules,
        at,
        warnings,
    )?;
    let otp = otp.as_ref().map(|cmd| SecretSource::Command {
        command: cmd.get_ref().clone(),
        timeout: rules.command_timeout,
    });
    Ok(AuthConfig::Password {
        user: user.get_ref().clone(),
        password,
        otp,
    })
}

pub(super) fn check_auth(
    c: &RawCluster,
    table: usize,
    label: &str,
    allow_shared: bool,
    at: &At,
    warnings: &mut Vec<String>,
) -> Result<AuthConfig, ConfigError> {
    let command_timeout = command_timeout(c, at)?;
    match (&c.token_id, &c.user) {
        (Some(_), None) if c.otp_command.is_some() => {
            let at_key = c.otp_command.as_ref().map_or(table, |o| o.span().start);
            Err(at(
                at_key,
                "otp_command",
                "is for a user login (user = …, password_…): an API token needs no second factor"
                    .into(),
            ))
        }
        (Some(id), None) => {
            let shape = id
                .get_ref()
                .split_once('!')
                .is_some_and(|(user, token)| user.contains('@') && !token.is_empty());
            if !shape {
                return Err(at(
                    id.span().start,
                    "token_id",
                    format!(
                        "\"{}\": expected USER@REALM!TOKENID, such as \"root@pam!rack\"",
                        id.get_ref()
                    ),
                ));
            }
            let secret = secret_source(
                "token_secret",
                [
                    &c.token_secret_file,
                    &c.token_secret_env,
                    &c.token_secret_command,
                    &c.token_secret,
                ],
                id.span().start,
                label,
                Rules {
                    command_timeout,
                    allow_shared,
                },
                at,
                warnings,
            )?;
            Ok(AuthConfig::Token {
                id: id.get_ref().clone(),
                secret,
            })
        }
        (None, Some(user)) => {
            let login = Login {
                prefix: "",
                user,
                password: [
                    &c.password_file,
                    &c.password_env,
                    &c.password_command,
                    &c.password,
                ],
                otp: &c.otp_command,
            };
            let rules = Rules {
                command_timeout,
                allow_shared,
            };
            password_login(&login, label, rules, at, warnings)
        }
        (Some(_), Some(user)) => Err(at(
            user.span().start,
            "user",
            "give either token_id (an API token) or user (a password login), not both".into(),
        )),
        (None, None) => Err(at(
            table,
            "token_id",
            format!(
                "cluster \"{label}\" needs token_id (API token, preferred) or user (password login)"
            ),
        )),
    }
}

/// How a secret's source is checked: a command's time limit, and whether a secret file may
/// be readable by others.
#[derive(Clone, Copy)]
struct Rules {
    command_timeout: Duration,
    allow_shared: bool,
}

/// Exactly one of `{base}_file`, `{base}_env`, `{base}_command` or `{base}` (inline, warned).
fn secret_source(
    base: &str,
    [file, env, command, inline]: [&Option<Spanned<String>>; 4],
    owner: usize,
    label: &str,
    rules: Rules,
    at: &At,
    warnings: &mut Vec<String>,
) -> Result<SecretSource, ConfigError> {
    let Rules {
        command_timeout,
        allow_shared,
    } = rules;
    let mut given: Vec<(&str, &Spanned<String>)> = [
        ("_file", file),
        ("_env", env),
        ("_command", command),
        ("", inline),
    ]
    .into_iter()
    .filter_map(|(suffix, v)| v.as_ref().map(|v| (suffix, v)))
    .collect();
    // The second one written is the one to point at.
    given.sort_by_key(|(_, v)| v.span().start);
    let expected = format!("one of {base}_file, {base}_env or {base}_command");
    match given.as_slice() {
        [] => Err(at(
            owner,
            &format!("{base}_file"),
            format!("expected {expected}"),
        )),
        [(suffix, value)] => {
            let text = value.get_ref().clone();
            Ok(match *suffix {
                "_file" => {
                    let path = secrets::expand_home(Path::new(&text));
                    if !allow_shared && let Some(why) = files::too_open(&path, true) {
                        return Err(at(value.span().start, &format!("{base}_file"), why));
                    }
                    SecretSource::File(PathBuf::from(text))
                }
                "_env" => SecretSource::Env(text),
                "_command" => SecretSource::Command {
                    command: text,
                    timeout: command_timeout,
                },
                _ => {
                    warnings.push(format!(
                        "cluster \"{label}\": {base} is written in the config file; prefer {expected}"
                    ));
                    SecretSource::Inline(Secret::new(text))
                }
            })
        }
        [_, (suffix, second), ..] => Err(at(
            second.span().start,
            &format!("{base}{suffix}"),
            format!("give only {expected}, not several"),
        )),
    }
}
