//! `mmo chat --user NAME [--register]`: the account to log into, its password (from
//! `MMO_PASSWORD`, else asked on the terminal without echo), and the packets and answers of
//! registering and logging in (docs/protocol.md; `../shared/protocol.md` behaviours 6 and 8).

use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage};

/// The variable a script sets instead of typing the password.
pub const PASSWORD_VARIABLE: &str = "MMO_PASSWORD";

/// An account to log into, and whether to register it first.
#[derive(Clone)]
pub struct Credentials {
    /// The username.
    pub user: String,
    password: String,
    /// Register the account before logging in (on the first connection only).
    pub register: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("register", &self.register)
            .finish_non_exhaustive()
    }
}

/// Why no password could be had.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Neither the variable nor a terminal to ask on.
    #[error(
        "--user needs a password: set {PASSWORD_VARIABLE}, or run it on a terminal to be asked ({0})"
    )]
    NoTerminal(std::io::Error),
    /// An empty password was typed.
    #[error("no password given")]
    Empty,
}

impl Credentials {
    /// The credentials for `user`: the password from `MMO_PASSWORD`, else asked for on the
    /// terminal (not echoed; the terminal even when stdin is a pipe).
    pub fn for_user(user: &str, register: bool) -> Result<Self, PasswordError> {
        let password = match std::env::var(PASSWORD_VARIABLE) {
            Ok(password) => password,
            Err(_) => {
                let prompt = if register {
                    format!("New password for {user}: ")
                } else {
                    format!("Password for {user}: ")
                };
                rpassword::prompt_password(prompt).map_err(PasswordError::NoTerminal)?
            }
        };
        if password.is_empty() {
            return Err(PasswordError::Empty);
        }
        Ok(Self::new(user, password, register))
    }

    /// Credentials with this password.
    pub fn new(user: &str, password: String, register: bool) -> Self {
        Self {
            user: user.to_owned(),
            password,
            register,
        }
    }

    /// `RegisterRequestMessage{username, password, color: 0}`.
    pub fn register_packet(&self) -> Packet {
        Packet {
            sender_id: 0,
            msg: Some(Msg::RegisterRequest(RegisterRequestMessage {
                username: self.user.clone(),
                password: self.password.clone(),
                color: 0,
            })),
        }
    }

    /// `LoginRequestMessage{username, password}`.
    pub fn login_packet(&self) -> Packet {
        Packet {
            sender_id: 0,
            msg: Some(Msg::LoginRequest(LoginRequestMessage {
                username: self.user.clone(),
                password: self.password.clone(),
            })),
        }
    }
}

/// Whether `packet` answers a register or login request: `OkResponseMessage` or a refusal.
pub fn answers_account(packet: &Packet) -> bool {
    matches!(packet.msg, Some(Msg::OkResponse(_) | Msg::DenyResponse(_)))
}

/// What a person reads for the answer to a register (`registering`) or login request.
pub fn describe_answer(packet: &Packet, user: &str, registering: bool) -> String {
    match (&packet.msg, registering) {
        (Some(Msg::DenyResponse(deny)), true) => format!("Registration refused: {}", deny.reason),
        (Some(Msg::DenyResponse(deny)), false) => format!("Login refused: {}", deny.reason),
        (_, true) => format!("Registered {user}"),
        (_, false) => format!("Logged in as {user}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_account_and_answers_are_told_apart() {
        let credentials = Credentials::new("ada", "correct horse".to_owned(), true);
        assert!(matches!(
            credentials.register_packet().msg,
            Some(Msg::RegisterRequest(RegisterRequestMessage { ref username, ref password, color: 0 }))
                if username == "ada" && password == "correct horse"
        ));
        assert!(matches!(
            credentials.login_packet().msg,
            Some(Msg::LoginRequest(LoginRequestMessage { ref username, .. })) if username == "ada"
        ));
        assert!(!format!("{credentials:?}").contains("horse"));
        assert!(answers_account(&Packet::ok()));
        assert!(answers_account(&Packet::deny("no")));
        assert!(!answers_account(&Packet::chat("hi")));
        assert_eq!(
            describe_answer(&Packet::deny("wrong username or password"), "ada", false),
            "Login refused: wrong username or password"
        );
        assert_eq!(
            describe_answer(&Packet::deny("taken"), "ada", true),
            "Registration refused: taken"
        );
        assert_eq!(
            describe_answer(&Packet::ok(), "ada", false),
            "Logged in as ada"
        );
    }
}
