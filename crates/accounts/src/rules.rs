//! What a username and a password must be, each refusal naming the rule it broke.

use crate::AccountError;

/// Fewest characters in a username.
pub const MIN_USERNAME_CHARS: usize = 1;
/// Most characters in a username: it has to fit a name tag above a player and a chat line's
/// sender column, and it is the tutorial's limit (20 bytes; ours counts characters, so a name
/// in another script is not cut to a third).
pub const MAX_USERNAME_CHARS: usize = 20;
/// Fewest characters in a password: NIST SP 800-63B's minimum for a password a person
/// chooses.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters in a password: long enough for any passphrase or password manager, short
/// enough that nobody can make the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The characters a username may hold besides letters and digits (of any script).
const USERNAME_PUNCTUATION: &[char] = &[' ', '_', '-', '.'];

/// A username that passed the rules: as typed, and its lower-cased form, which is what makes
/// two usernames the same ("Alice" and "alice" are one account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    /// As typed at registration: what others see.
    pub display: String,
    /// Lower-cased: the key accounts are found by.
    pub key: String,
}

impl Username {
    /// Checks `name` against the rules, in order: not empty, not too long, no leading or
    /// trailing space, only letters, digits, spaces and `_ - .`, no two spaces in a row.
    pub fn parse(name: &str) -> Result<Self, AccountError> {
        let invalid = |rule: String| Err(AccountError::Invalid(rule));
        let chars = name.chars().count();
        if chars < MIN_USERNAME_CHARS {
            return invalid("Invalid username: empty".to_owned());
        }
        if chars > MAX_USERNAME_CHARS {
            return invalid(format!(
                "Invalid username: too long (at most {MAX_USERNAME_CHARS} characters)"
            ));
        }
        if name.trim() != name {
            return invalid("Invalid username: leading or trailing whitespace".to_owned());
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !c.is_alphanumeric() && !USERNAME_PUNCTUATION.contains(c))
        {
            return invalid(format!(
                "Invalid username: {} is not allowed (letters, digits, spaces and _ - . only)",
                shown(bad)
            ));
        }
        if name.contains("  ") {
            return invalid("Invalid username: two spaces in a row".to_owned());
        }
        Ok(Self {
            display: name.to_owned(),
            key: key_of(name),
        })
    }
}

/// The key a username is stored and found by: its lower-cased form. A login looks accounts up
/// by this without checking the rules, so an old or odd name still finds nothing quickly.
pub fn key_of(name: &str) -> String {
    name.to_lowercase()
}

/// Checks a password's length.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(format!(
            "Invalid password: too short (at least {MIN_PASSWORD_CHARS} characters)"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AccountError::Invalid(format!(
            "Invalid password: too long (at most {MAX_PASSWORD_CHARS} characters)"
        )));
    }
    Ok(())
}

/// A character as a refusal shows it: printable ones quoted, others by code point, so a
/// control character never reaches a client's chat log raw.
fn shown(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(name: &str) -> String {
        Username::parse(name).expect_err("refused").to_string()
    }

    #[test]
    fn each_username_refusal_names_its_rule() {
        assert_eq!(refusal(""), "Invalid username: empty");
        assert!(refusal(&"a".repeat(21)).contains("too long"));
        assert!(refusal(" alice").contains("leading or trailing whitespace"));
        assert!(refusal("alice\t").contains("leading or trailing whitespace"));
        assert!(refusal("al<b>ice").contains("\"<\" is not allowed"));
        assert!(refusal("al\u{7}ice").contains("U+0007 is not allowed"));
        assert!(refusal("al  ice").contains("two spaces in a row"));
    }

    #[test]
    fn usernames_are_one_account_whatever_their_case() {
        let name = Username::parse("Émile Zola_2").expect("valid");
        assert_eq!(name.display, "Émile Zola_2");
        assert_eq!(name.key, "émile zola_2");
        assert_eq!(key_of("ÉMILE ZOLA_2"), name.key);
        assert!(
            Username::parse(&"é".repeat(20)).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn passwords_have_a_length_range() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password(&"x".repeat(128)).is_ok());
        let long = check_password(&"x".repeat(129)).expect_err("too long");
        assert!(long.to_string().contains("too long"), "{long}");
    }
}
