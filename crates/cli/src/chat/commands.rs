//! What a line typed into `mmo chat` asks for: a chat line, or one of the `/` commands.

/// The one-line reminder printed for a `/` line that is not a command.
pub const USAGE: &str = "Commands: /join NAME (no NAME: the lobby), /rooms, /who, /help";

/// What `/help` prints.
pub const HELP: &str = "\
/join NAME   move to room NAME, created if nobody is in it; /join alone: the lobby
/rooms       list the rooms that have members, and how many
/who         who is in this room
/help        this list
Any other line is sent as chat; a line starting with / is never sent.";

/// A typed line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Nothing but spaces: nothing to do.
    Blank,
    /// A line of chat, as typed.
    Chat(String),
    /// `/join NAME`: move to a room (`""` is the lobby).
    Join(String),
    /// `/rooms`: ask for the room list.
    Rooms,
    /// `/who`: show the members of the current room.
    Who,
    /// `/help`: show the commands.
    Help,
    /// A line starting with `/` that is none of the above: shown the usage, never sent, so a
    /// mistyped command does not end up in everyone's chat.
    Unknown,
}

impl Input {
    /// Reads one typed line.
    pub fn parse(line: &str) -> Self {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Self::Blank;
        }
        if !trimmed.starts_with('/') {
            return Self::Chat(line.to_owned());
        }
        let mut words = trimmed.split_whitespace();
        let command = words.next().unwrap_or_default();
        let argument = words.next();
        if words.next().is_some() {
            return Self::Unknown;
        }
        match (command, argument) {
            ("/join", room) => Self::Join(room.unwrap_or_default().to_owned()),
            ("/rooms", None) => Self::Rooms,
            ("/who", None) => Self::Who,
            ("/help", None) => Self::Help,
            _ => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_are_chat_as_typed() {
        assert_eq!(Input::parse("hello  "), Input::Chat("hello  ".to_owned()));
        assert_eq!(
            Input::parse(" a /join b"),
            Input::Chat(" a /join b".to_owned())
        );
        assert_eq!(Input::parse("   "), Input::Blank);
        assert_eq!(Input::parse(""), Input::Blank);
    }

    #[test]
    fn commands_take_their_arguments() {
        assert_eq!(Input::parse("/join red"), Input::Join("red".to_owned()));
        assert_eq!(
            Input::parse("  /join   red  "),
            Input::Join("red".to_owned())
        );
        assert_eq!(Input::parse("/join"), Input::Join(String::new()));
        assert_eq!(Input::parse("/rooms"), Input::Rooms);
        assert_eq!(Input::parse("/who "), Input::Who);
        assert_eq!(Input::parse("/help"), Input::Help);
    }

    #[test]
    fn anything_else_starting_with_a_slash_is_unknown() {
        for line in [
            "/",
            "/shrug",
            "/join red blue",
            "/rooms all",
            "/who me",
            "/JOIN red",
        ] {
            assert_eq!(Input::parse(line), Input::Unknown, "{line:?}");
        }
    }
}
