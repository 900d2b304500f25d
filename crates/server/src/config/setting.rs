//! What a setting is: the `settings!` macro that turns one table entry into a struct field, its
//! default and its `Setting` descriptor, and the `Kind`s of value a setting can hold.

use std::num::NonZeroUsize;
use std::time::Duration;

/// The prefix of every setting's environment variable: `max_connections` is read from
/// `MMO_MAX_CONNECTIONS`.
pub const ENV_PREFIX: &str = "MMO_";

/// How values of one kind are written in a flag, an environment variable and the TOML file.
/// A field's kind is its type, unless its entry names another after `as` (durations).
pub trait Kind {
    /// The type of the field.
    type Value;
    /// What `--help` calls a value, e.g. `--ping-interval <SECONDS>`.
    const VALUE_NAME: &'static str;
    /// What a value must be: ends "must be …" in the message about a value that is not one.
    const EXPECTED: &'static str;
    /// What a flag given without a value stands for (`--announce-leaves` means `true`); `None`
    /// when the flag needs a value.
    const BARE_FLAG: Option<&'static str> = None;
    /// Reads the text of a flag or an environment variable.
    fn parse(text: &str) -> Option<Self::Value>;
    /// Reads a value from the file.
    fn from_toml(value: &toml::Value) -> Option<Self::Value>;
    /// The value as the file writes it; `None` for an optional setting that is not set.
    fn to_toml(value: &Self::Value) -> Option<toml::Value>;
}

/// Whole numbers go through `i64`, TOML's integer, so any value a flag accepts can be written
/// back to the file by `--print-config`.
macro_rules! whole_number_kind {
    ($($int:ty: $expected:literal),+ $(,)?) => {$(
        impl Kind for $int {
            type Value = Self;
            const VALUE_NAME: &'static str = "N";
            const EXPECTED: &'static str = $expected;
            fn parse(text: &str) -> Option<Self> {
                let number: i64 = text.trim().parse().ok()?;
                number.try_into().ok()
            }
            fn from_toml(value: &toml::Value) -> Option<Self> {
                value.as_integer()?.try_into().ok()
            }
            fn to_toml(value: &Self) -> Option<toml::Value> {
                i64::try_from(*value).ok().map(toml::Value::Integer)
            }
        }
    )+};
}

whole_number_kind!(
    usize: "a whole number, 0 or more",
    u32: "a whole number from 0 to 4294967295",
    u16: "a whole number from 0 to 65535",
);

impl Kind for NonZeroUsize {
    type Value = Self;
    const VALUE_NAME: &'static str = "N";
    const EXPECTED: &'static str = "a whole number, 1 or more";
    fn parse(text: &str) -> Option<Self> {
        Self::new(usize::parse(text)?)
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        Self::new(usize::from_toml(value)?)
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        usize::to_toml(&value.get())
    }
}

impl Kind for f64 {
    type Value = Self;
    const VALUE_NAME: &'static str = "NUMBER";
    const EXPECTED: &'static str = "a number";
    fn parse(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        // `chat_rate = 5` is as natural as `chat_rate = 5.0`.
        value
            .as_float()
            .or_else(|| value.as_integer().map(|whole| whole as f64))
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::Float(*value))
    }
}

impl Kind for bool {
    type Value = Self;
    const VALUE_NAME: &'static str = "BOOL";
    const EXPECTED: &'static str = "true or false";
    const BARE_FLAG: Option<&'static str> = Some("true");
    fn parse(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        value.as_bool()
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::Boolean(*value))
    }
}

impl Kind for String {
    type Value = Self;
    const VALUE_NAME: &'static str = "TEXT";
    const EXPECTED: &'static str = "a string";
    fn parse(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::String(value.clone()))
    }
}

/// A list: comma-separated in a flag or an environment variable (where an empty text is the
/// empty list), an array of strings in the file.
impl Kind for Vec<String> {
    type Value = Self;
    const VALUE_NAME: &'static str = "A,B,…";
    const EXPECTED: &'static str =
        "a list of strings (comma-separated in a flag or an environment variable)";
    fn parse(text: &str) -> Option<Self> {
        Some(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        value
            .as_array()?
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::Array(
            value.iter().cloned().map(toml::Value::String).collect(),
        ))
    }
}

/// A list of address prefixes (`127.0.0.0/8`, `::1`): comma-separated in a flag or an
/// environment variable, an array of strings in the file.
impl Kind for Vec<crate::address_prefix::AddressPrefix> {
    type Value = Self;
    const VALUE_NAME: &'static str = "PREFIX,…";
    const EXPECTED: &'static str = "a list of IP addresses or prefixes such as 127.0.0.0/8 or ::1 (comma-separated in a \
         flag or an environment variable)";
    fn parse(text: &str) -> Option<Self> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().ok())
            .collect()
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        value
            .as_array()?
            .iter()
            .map(|item| item.as_str()?.parse().ok())
            .collect()
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::Array(
            value
                .iter()
                .map(|prefix| toml::Value::String(prefix.to_string()))
                .collect(),
        ))
    }
}

/// A file's path.
impl Kind for std::path::PathBuf {
    type Value = Self;
    const VALUE_NAME: &'static str = "FILE";
    const EXPECTED: &'static str = "a file's path";
    fn parse(text: &str) -> Option<Self> {
        (!text.is_empty()).then(|| Self::from(text))
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        Self::parse(value.as_str()?)
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::String(value.to_string_lossy().into_owned()))
    }
}

/// The log format, by its name.
impl Kind for crate::logging::LogFormat {
    type Value = Self;
    const VALUE_NAME: &'static str = "text|json";
    const EXPECTED: &'static str = "text or json";
    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|format| format.name().eq_ignore_ascii_case(text.trim()))
    }
    fn from_toml(value: &toml::Value) -> Option<Self> {
        Self::parse(value.as_str()?)
    }
    fn to_toml(value: &Self) -> Option<toml::Value> {
        Some(toml::Value::String(value.name().to_owned()))
    }
}

/// A setting that may be left unset (its default is `None`): there is no way to write "unset"
/// in a flag or the file, so leaving it out is the way.
impl<K: Kind> Kind for Option<K> {
    type Value = Option<K::Value>;
    const VALUE_NAME: &'static str = K::VALUE_NAME;
    const EXPECTED: &'static str = K::EXPECTED;
    const BARE_FLAG: Option<&'static str> = K::BARE_FLAG;
    fn parse(text: &str) -> Option<Self::Value> {
        K::parse(text).map(Some)
    }
    fn from_toml(value: &toml::Value) -> Option<Self::Value> {
        K::from_toml(value).map(Some)
    }
    fn to_toml(value: &Self::Value) -> Option<toml::Value> {
        value.as_ref().and_then(K::to_toml)
    }
}

/// A `Duration` written as a number of seconds, fractions allowed (`0.5`).
pub struct Seconds;

impl Kind for Seconds {
    type Value = Duration;
    const VALUE_NAME: &'static str = "SECONDS";
    const EXPECTED: &'static str = "a non-negative number of seconds";
    fn parse(text: &str) -> Option<Duration> {
        Duration::try_from_secs_f64(f64::parse(text)?).ok()
    }
    fn from_toml(value: &toml::Value) -> Option<Duration> {
        Duration::try_from_secs_f64(f64::from_toml(value)?).ok()
    }
    fn to_toml(value: &Duration) -> Option<toml::Value> {
        Some(toml::Value::Float(value.as_secs_f64()))
    }
}

/// A `Duration` written as a number of milliseconds, fractions allowed (`0.5`).
pub struct Millis;

impl Millis {
    fn from_number(millis: f64) -> Option<Duration> {
        Duration::try_from_secs_f64(millis / 1_000.0).ok()
    }
}

impl Kind for Millis {
    type Value = Duration;
    const VALUE_NAME: &'static str = "MS";
    const EXPECTED: &'static str = "a non-negative number of milliseconds";
    fn parse(text: &str) -> Option<Duration> {
        Self::from_number(f64::parse(text)?)
    }
    fn from_toml(value: &toml::Value) -> Option<Duration> {
        Self::from_number(f64::from_toml(value)?)
    }
    fn to_toml(value: &Duration) -> Option<toml::Value> {
        // From whole nanoseconds, so 5 ms prints as 5.0 and not as 5.000000000000001.
        Some(toml::Value::Float(value.as_nanos() as f64 / 1e6))
    }
}

/// One setting of a settings struct `C` (`Config`), written by `settings!` from its entry:
/// everything the loader, `--help` and `--print-config` need to know about it.
pub struct Setting<C> {
    /// The key in the file. The flag is `--` and the name with `-` for `_`; the environment
    /// variable is `ENV_PREFIX` and the name in capitals.
    pub name: &'static str,
    /// The field's doc comment, one line per `///` line; its first paragraph is the `--help`
    /// text.
    pub doc: &'static str,
    /// What `--help` says the default is, when that is not a fixed value (e.g. "one per CPU").
    /// A default with this text that has a value is printed by `--print-config` as a comment,
    /// as computed on this host.
    pub default_text: Option<&'static str>,
    /// A secret (a password) is never printed: not by `--print-config`, not in an error.
    pub secret: bool,
    /// See `Kind::VALUE_NAME`.
    pub value_name: &'static str,
    /// See `Kind::BARE_FLAG`.
    pub bare_flag: Option<&'static str>,
    /// Sets the field from the text of a flag or an environment variable, if it is a good
    /// value; the error says what it must be.
    pub set_from_text: fn(&mut C, &str) -> Result<(), String>,
    /// Sets the field from a value in the file, if it is a good value.
    pub set_from_toml: fn(&mut C, &toml::Value) -> Result<(), String>,
    /// The field's value as the file writes it; `None` when an optional setting is not set.
    pub to_toml: fn(&C) -> Option<toml::Value>,
    /// The setting's own check of the field's value, for a struct built in code.
    pub check: fn(&C) -> Result<(), String>,
}

impl<C> Setting<C> {
    /// The command-line flag, e.g. `--max-connections`.
    pub fn flag(&self) -> String {
        format!("--{}", self.name.replace('_', "-"))
    }

    /// The environment variable, e.g. `MMO_MAX_CONNECTIONS`.
    pub fn env_var(&self) -> String {
        format!("{ENV_PREFIX}{}", self.name.to_ascii_uppercase())
    }

    /// The doc's lines, without the space after `///`.
    pub fn doc_lines(&self) -> impl Iterator<Item = &'static str> {
        self.doc
            .lines()
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
    }

    /// The doc's first paragraph on one line: what the setting does, for `--help`.
    pub fn summary(&self) -> String {
        self.doc_lines()
            .map(str::trim)
            .take_while(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The field's value as a message may show it: as the file writes it, but never a secret.
    pub fn shown(&self, settings: &C) -> String {
        if self.secret {
            return REDACTED.to_owned();
        }
        (self.to_toml)(settings).map_or_else(|| NOT_SET.to_owned(), |value| value.to_string())
    }
}

/// What messages and `--print-config` show instead of a secret's value.
pub const REDACTED: &str = "(secret, not shown)";

/// What messages show for an optional setting that is not set.
pub const NOT_SET: &str = "(not set)";

/// A struct of settings written by `settings!`: `Config`, and small ones in tests.
pub trait Settings: Default + 'static {
    /// Every setting, in the order `--help` and `--print-config` list them.
    const ALL: &'static [Setting<Self>];

    /// Checks of settings that cannot work together (each setting's own check is in its
    /// entry). Runs after every source is read.
    fn check_together(&self) -> Result<(), Conflict> {
        Ok(())
    }
}

/// Settings whose values cannot work together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The settings concerned, so the message can say where each value came from.
    pub settings: &'static [&'static str],
    /// What is wrong and why, naming those settings and their values.
    pub problem: String,
}

/// A configuration that cannot work, found before anything is served: the message names the
/// setting and, when it was read from one, where its value came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct InvalidConfig(pub(crate) String);

/// Runs each setting's own check, then `check_together`.
pub fn validate<C: Settings>(settings: &C) -> Result<(), InvalidConfig> {
    for setting in C::ALL {
        (setting.check)(settings).map_err(|problem| {
            InvalidConfig(format!(
                "{} = {}: {problem}",
                setting.name,
                setting.shown(settings)
            ))
        })?;
    }
    settings
        .check_together()
        .map_err(|conflict| InvalidConfig(conflict.problem))
}

/// The kind of a setting: its type, or the kind named after `as`.
macro_rules! setting_kind {
    ($ty:ty) => {
        $ty
    };
    ($ty:ty, $kind:ty) => {
        $kind
    };
}

/// `Some` of the expression, or `None` without one.
macro_rules! optional {
    () => {
        None
    };
    ($value:expr) => {
        Some($value)
    };
}

/// Declares a settings struct from one entry per setting (see `config.rs` for the entry's
/// form): the struct with a pub field per setting, its `Default`, and `SETTINGS`, the
/// descriptors the `Settings` impl hands to the loader.
macro_rules! settings {
    (
        $(#[$struct_meta:meta])*
        $vis:vis struct $Struct:ident {
            $(
                $(#[doc = $doc:literal])+
                $name:ident : $ty:ty $(as $kind:ty)? = $default:expr
                $(, default_text = $default_text:literal)?
                $(, check = $check:expr)?
                $(, secret = $secret:literal)?
                ;
            )+
        }
    ) => {
        $(#[$struct_meta])*
        $vis struct $Struct {
            $(
                $(#[doc = $doc])+
                pub $name: $ty,
            )+
        }

        impl Default for $Struct {
            fn default() -> Self {
                Self {
                    $($name: $default,)+
                }
            }
        }

        impl $Struct {
            /// One descriptor per field, in the order of the entries.
            const SETTINGS: &'static [$crate::config::setting::Setting<Self>] = &[$(
                $crate::config::setting::Setting {
                    name: stringify!($name),
                    doc: concat!($($doc, "\n"),+),
                    default_text: optional!($($default_text)?),
                    secret: false $(|| $secret)?,
                    value_name:
                        <setting_kind!($ty $(, $kind)?) as $crate::config::setting::Kind>::VALUE_NAME,
                    bare_flag:
                        <setting_kind!($ty $(, $kind)?) as $crate::config::setting::Kind>::BARE_FLAG,
                    set_from_text: |settings, text| {
                        type K = setting_kind!($ty $(, $kind)?);
                        let value = <K as $crate::config::setting::Kind>::parse(text)
                            .ok_or_else(|| {
                                format!("must be {}", <K as $crate::config::setting::Kind>::EXPECTED)
                            })?;
                        $(($check)(&value)?;)?
                        settings.$name = value;
                        Ok(())
                    },
                    set_from_toml: |settings, toml_value| {
                        type K = setting_kind!($ty $(, $kind)?);
                        let value = <K as $crate::config::setting::Kind>::from_toml(toml_value)
                            .ok_or_else(|| {
                                format!("must be {}", <K as $crate::config::setting::Kind>::EXPECTED)
                            })?;
                        $(($check)(&value)?;)?
                        settings.$name = value;
                        Ok(())
                    },
                    to_toml: |settings| {
                        <setting_kind!($ty $(, $kind)?) as $crate::config::setting::Kind>::to_toml(
                            &settings.$name,
                        )
                    },
                    check: |_settings| {
                        $(($check)(&_settings.$name)?;)?
                        Ok(())
                    },
                },
            )+];
        }
    };
}
