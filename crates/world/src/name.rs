//! A player's name as the views hand it out: copied inline when short, shared when long.

use std::sync::Arc;

/// The most bytes of a name held in a `Name` itself.
const INLINE_NAME: usize = 30;

/// A player's name as a view hands it out: a short one (nearly every one) copied into it,
/// a longer one shared. The entity keeps a short name's copy beside its position
/// (`Entity::look`), so encoding an entrant reads no `Arc` and counts no reference; a
/// `PlayerView` holds one too.
#[derive(Clone)]
pub struct Name(NameRepr);

#[derive(Clone)]
enum NameRepr {
    /// The name's `len` first bytes.
    Inline { len: u8, bytes: [u8; INLINE_NAME] },
    /// A name longer than `INLINE_NAME` bytes.
    Shared(Arc<str>),
}

impl Name {
    /// The name's UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            NameRepr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            NameRepr::Shared(name) => name.as_bytes(),
        }
    }

    /// `name` copied, when it is short enough to be.
    pub(crate) fn short(name: &str) -> Option<Self> {
        (name.len() <= INLINE_NAME).then(|| Self::from(name))
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            // Copied whole from a `str`, so valid UTF-8.
            NameRepr::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            NameRepr::Shared(name) => name,
        }
    }
}

impl From<&str> for Name {
    /// `name` copied when short, else shared.
    fn from(name: &str) -> Self {
        match u8::try_from(name.len()) {
            Ok(len) if name.len() <= INLINE_NAME => {
                let mut bytes = [0; INLINE_NAME];
                bytes[..name.len()].copy_from_slice(name.as_bytes());
                Self(NameRepr::Inline { len, bytes })
            }
            _ => Self(NameRepr::Shared(Arc::from(name))),
        }
    }
}

impl From<Arc<str>> for Name {
    fn from(name: Arc<str>) -> Self {
        if name.len() <= INLINE_NAME {
            Self::from(&*name)
        } else {
            Self(NameRepr::Shared(name))
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_reads_back_the_same_whether_copied_or_shared() {
        let long = "ü".repeat(INLINE_NAME);
        for text in ["", "bot7", "日本語 🎮", &"n".repeat(INLINE_NAME), &long] {
            let copied = Name::from(text);
            let shared = Name::from(Arc::<str>::from(text));
            assert_eq!(&*copied, text);
            assert_eq!(copied.as_bytes(), text.as_bytes());
            assert_eq!(copied, shared);
            assert_eq!(copied.to_string(), text);
        }
        assert!(matches!(Name::from(&*long).0, NameRepr::Shared(_)));
        assert!(matches!(Name::from("bot7").0, NameRepr::Inline { .. }));
        assert_ne!(Name::from("a"), Name::from("b"));
    }
}
