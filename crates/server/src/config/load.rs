//! Reading the settings: the command line, `MMO_*` environment variables and the `--config`
//! TOML file, each over the one before it and all over the defaults; and `--print-config`'s
//! rendering of the result.

use std::ffi::OsString;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::setting::{ENV_PREFIX, InvalidConfig, NOT_SET, REDACTED, Setting, Settings};

/// The id and long name of the flag naming the config file.
pub const CONFIG_FLAG: &str = "config";

/// The id and long name of the flag that prints the effective configuration and exits.
pub const PRINT_CONFIG_FLAG: &str = "print-config";

/// The environment variable naming the config file when `--config` does not.
pub const CONFIG_ENV: &str = "MMO_CONFIG";

/// `MMO_*` environment variables that are not settings but used by the project for other
/// things: the config file, the terminal client's password, test and script knobs. Names
/// ending in `_` are prefixes. Every other `MMO_*` variable must be a setting's: a typo stops
/// start-up, as an unknown key in the file does.
pub const NOT_SETTINGS_ENV: &[&str] = &[
    CONFIG_ENV,
    "MMO_PASSWORD",
    "MMO_TEST_",
    "MMO_CLI_",
    "MMO_SERVER_BIN",
    "MMO_AUTOBAHN_",
];

/// How `--print-config` marks a value worked out at start on this machine (a default with a
/// `default_text`), written as a comment so that a printed file copied to another host does
/// not carry it.
pub const COMPUTED_MARK: &str = "computed on this host";

/// How alike (Jaro-Winkler, 0 to 1) an unknown key and a setting's name must be for the
/// message to suggest the name: high enough that only typos are suggested, as clap does for
/// flags.
const SUGGESTION_SIMILARITY: f64 = 0.8;

/// Where a setting's value came from: the weakest first, each overridden by the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Nothing set it.
    Default,
    /// A key in this config file.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// This flag.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("the default"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Env(name) | Self::Flag(name) => f.write_str(name),
        }
    }
}

/// The command line `Loaded::from_matches` reads: `--config`, `--print-config` and one flag per
/// setting, each with its summary, default and environment variable in `--help`. Values are
/// taken as text, so a bad one is reported like a bad one from the file.
pub fn command<C: Settings>() -> Command {
    let defaults = C::default();
    let mut command = Command::new("settings")
        // The last of a repeated flag wins, as with most programs.
        .args_override_self(true)
        .arg(
            Arg::new(CONFIG_FLAG)
                .long(CONFIG_FLAG)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help(format!(
                    "Read settings from this TOML file; flags and environment variables \
                     override it [env: {CONFIG_ENV}]"
                )),
        )
        .arg(
            Arg::new(PRINT_CONFIG_FLAG)
                .long(PRINT_CONFIG_FLAG)
                .action(ArgAction::SetTrue)
                .help("Print the configuration these settings make, as a config file, and exit"),
        );
    for setting in C::ALL {
        let default = setting.default_text.map_or_else(
            || {
                (setting.to_toml)(&defaults)
                    .map_or_else(|| NOT_SET.to_owned(), |value| as_text(&value))
            },
            str::to_owned,
        );
        let mut arg = Arg::new(setting.name)
            .long(setting.flag().trim_start_matches('-').to_owned())
            .value_name(setting.value_name)
            .action(ArgAction::Set)
            .help(format!(
                "{} [default: {default}] [env: {}]",
                setting.summary(),
                setting.env_var()
            ));
        arg = match setting.bare_flag {
            Some(meaning) => arg.num_args(0..=1).default_missing_value(meaning),
            // So that `--ping-interval -1` is refused by the setting, not taken for a flag.
            None => arg.allow_negative_numbers(true),
        };
        command = command.arg(arg);
    }
    command
}

/// Settings read from every source, and where each value came from.
#[derive(Debug)]
pub struct Loaded<C> {
    /// The effective settings.
    pub config: C,
    /// `sources[i]` is where `C::ALL[i]`'s value came from.
    sources: Vec<Source>,
}

impl<C: Settings> Loaded<C> {
    /// The defaults, before any source is read.
    pub fn defaults() -> Self {
        Self {
            config: C::default(),
            sources: vec![Source::Default; C::ALL.len()],
        }
    }

    /// Reads the file that `--config` or `MMO_CONFIG` names, then the environment, then the
    /// flags in `matches` (from `command`), each value over the one before; then checks that
    /// the settings can work together. `env_names` are the names of every environment
    /// variable (an `MMO_*` one that is no setting is refused, see `check_env_names`); `env`
    /// looks one up.
    pub fn from_matches(
        matches: &ArgMatches,
        env_names: impl IntoIterator<Item = OsString>,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, InvalidConfig> {
        let mut loaded = Self::defaults();
        Self::check_env_names(env_names)?;
        let file = matches
            .get_one::<PathBuf>(CONFIG_FLAG)
            .cloned()
            .or_else(|| env(CONFIG_ENV).map(PathBuf::from));
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path).map_err(|error| {
                InvalidConfig(format!("cannot read {}: {error}", path.display()))
            })?;
            loaded.apply_file(&path, &text)?;
        }
        loaded.apply_env(env)?;
        loaded.apply_flags(matches)?;
        loaded.check_together()?;
        Ok(loaded)
    }

    /// Where the value of the setting `name` came from.
    pub fn source(&self, name: &str) -> Option<&Source> {
        C::ALL
            .iter()
            .position(|setting| setting.name == name)
            .map(|index| &self.sources[index])
    }

    /// Refuses an `ENV_PREFIX` variable among `names` that is no setting's and not in
    /// `NOT_SETTINGS_ENV`, naming the setting it may be a typo of.
    pub fn check_env_names(names: impl IntoIterator<Item = OsString>) -> Result<(), InvalidConfig> {
        for name in names {
            // A name that is not UTF-8 cannot be any setting's, nor a typo of one.
            let Some(name) = name.to_str() else { continue };
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let known = C::ALL.iter().any(|setting| setting.env_var() == name)
                || NOT_SETTINGS_ENV
                    .iter()
                    .any(|other| match other.strip_suffix('_') {
                        Some(_) => name.starts_with(other),
                        None => name == *other,
                    });
            if known {
                continue;
            }
            let closest = closest_setting::<C>(&rest.to_ascii_lowercase());
            let hint = closest.map_or_else(String::new, |setting| {
                format!(
                    " (did you mean {ENV_PREFIX}{}?)",
                    setting.to_ascii_uppercase()
                )
            });
            return Err(InvalidConfig(format!(
                "unknown setting {name} in the environment{hint}; a variable for another \
                 program must not start with {ENV_PREFIX} where mmo-server runs"
            )));
        }
        Ok(())
    }

    /// Applies the settings in the TOML `text` of the file at `path`.
    pub fn apply_file(&mut self, path: &Path, text: &str) -> Result<(), InvalidConfig> {
        let table: toml::Table = text.parse().map_err(|error| {
            InvalidConfig(format!(
                "{} is not a valid TOML file: {error}",
                path.display()
            ))
        })?;
        for (key, value) in &table {
            let Some(index) = C::ALL.iter().position(|setting| setting.name == key) else {
                return Err(unknown_key::<C>(key, value, path));
            };
            let setting = &C::ALL[index];
            let source = Source::File(path.to_owned());
            (setting.set_from_toml)(&mut self.config, value)
                .map_err(|problem| bad_value(setting, &value.to_string(), &source, &problem))?;
            self.sources[index] = source;
        }
        Ok(())
    }

    /// Applies every setting's environment variable that is set.
    pub fn apply_env(
        &mut self,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<(), InvalidConfig> {
        for (index, setting) in C::ALL.iter().enumerate() {
            let name = setting.env_var();
            let Some(raw) = env(&name) else { continue };
            let source = Source::Env(name);
            let text = raw.into_string().map_err(|raw| {
                bad_value(
                    setting,
                    &raw.to_string_lossy(),
                    &source,
                    "must be valid UTF-8",
                )
            })?;
            self.apply_text(index, &text, source)?;
        }
        Ok(())
    }

    /// Applies every setting's flag in `matches` (from `command`).
    pub fn apply_flags(&mut self, matches: &ArgMatches) -> Result<(), InvalidConfig> {
        for (index, setting) in C::ALL.iter().enumerate() {
            if let Some(text) = matches.get_one::<String>(setting.name) {
                self.apply_text(index, text, Source::Flag(setting.flag()))?;
            }
        }
        Ok(())
    }

    fn apply_text(
        &mut self,
        index: usize,
        text: &str,
        source: Source,
    ) -> Result<(), InvalidConfig> {
        let setting = &C::ALL[index];
        (setting.set_from_text)(&mut self.config, text)
            .map_err(|problem| bad_value(setting, text, &source, &problem))?;
        self.sources[index] = source;
        Ok(())
    }

    /// `C::check_together`, its message followed by where each value concerned came from.
    pub fn check_together(&self) -> Result<(), InvalidConfig> {
        self.config.check_together().map_err(|conflict| {
            let origins: Vec<String> = conflict
                .settings
                .iter()
                .map(|name| match self.source(name) {
                    Some(source) => format!("{name} from {source}"),
                    None => format!("{name}: not a setting"),
                })
                .collect();
            InvalidConfig(format!("{} ({})", conflict.problem, origins.join(", ")))
        })
    }

    /// The effective configuration as a config file that `--config` reads back: every setting
    /// with its doc as a comment, and where its value came from when that was not the default.
    /// A secret is written as a comment, without its value.
    pub fn to_toml(&self) -> String {
        let mut out = format!(
            "# The effective configuration, as `--config FILE` reads it. Each setting is also a\n\
             # flag (--max-connections) and an environment variable ({ENV_PREFIX}MAX_CONNECTIONS);\n\
             # flags override the environment, which overrides the file.\n"
        );
        let defaults = C::default();
        for (setting, source) in C::ALL.iter().zip(&self.sources) {
            out.push('\n');
            for line in setting.doc_lines() {
                out.push('#');
                if !line.is_empty() {
                    let _ = write!(out, " {line}");
                }
                out.push('\n');
            }
            let origin = match source {
                Source::Default => String::new(),
                other => format!(" # from {other}"),
            };
            let name = setting.name;
            let _ = match (setting.to_toml)(&self.config) {
                _ if setting.secret => writeln!(out, "# {name} = {REDACTED}{origin}"),
                // Worked out on this machine (from its open-file limit, say): as a comment, so
                // the file read elsewhere works it out there.
                Some(value)
                    if *source == Source::Default
                        && setting.default_text.is_some()
                        && Some(&value) == (setting.to_toml)(&defaults).as_ref() =>
                {
                    let how = setting.default_text.unwrap_or_default();
                    writeln!(out, "# {name} = {value} # {COMPUTED_MARK}: {how}")
                }
                Some(value) => writeln!(out, "{name} = {value}{origin}"),
                None => {
                    let default = setting.default_text.unwrap_or_default();
                    writeln!(out, "# {name} is not set: {default}{origin}")
                }
            };
        }
        out
    }
}

/// A value as a flag would give it: strings without quotes, lists comma-separated.
fn as_text(value: &toml::Value) -> String {
    let text = match value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    };
    if text.is_empty() {
        "none".to_owned()
    } else {
        text
    }
}

fn bad_value<C>(
    setting: &Setting<C>,
    shown: &str,
    source: &Source,
    problem: &str,
) -> InvalidConfig {
    let shown = if setting.secret { REDACTED } else { shown };
    InvalidConfig(format!(
        "{} = {shown} (from {source}): {problem}",
        setting.name
    ))
}

/// The setting whose name `unknown` is most likely a typo of, if any is close enough.
fn closest_setting<C: Settings>(unknown: &str) -> Option<&'static str> {
    C::ALL
        .iter()
        .map(|setting| (strsim::jaro_winkler(unknown, setting.name), setting.name))
        .filter(|(similarity, _)| *similarity >= SUGGESTION_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

fn unknown_key<C: Settings>(key: &str, value: &toml::Value, path: &Path) -> InvalidConfig {
    let hint = match value {
        // `[server]` and the like: keys are flat. Show the table's first setting as it must
        // be written.
        toml::Value::Table(table) => {
            let example = table
                .iter()
                .find(|(name, _)| C::ALL.iter().any(|setting| setting.name == *name))
                .map(|(name, value)| format!("{name} = {value}"))
                .or_else(|| {
                    let defaults = C::default();
                    C::ALL.iter().find_map(|setting| {
                        let value = (setting.to_toml)(&defaults)?;
                        Some(format!("{} = {value}", setting.name))
                    })
                })
                .unwrap_or_else(|| "name = value".to_owned());
            format!(": keys are flat: write {example} at the top level, not under [{key}]")
        }
        _ => closest_setting::<C>(key)
            .map_or_else(String::new, |name| format!(" (did you mean {name}?)")),
    };
    InvalidConfig(format!("unknown key {key:?} in {}{hint}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;
    use std::os::unix::ffi::OsStringExt as _;
    use std::time::Duration;

    use super::super::setting::{Conflict, Seconds};
    use super::*;

    settings! {
        /// A small settings struct with one setting of each kind, and a secret.
        #[derive(Debug, PartialEq)]
        struct Sample {
            /// How many.
            ///
            /// Why: a second paragraph, only in `--print-config`.
            count: usize = 3,
                check = |count: &usize| if *count > 10 {
                    Err("must be at most 10".to_owned())
                } else {
                    Ok(())
                };
            /// How long to wait.
            wait: Duration as Seconds = Duration::from_secs(1);
            /// Names allowed.
            names: Vec<String> = Vec::new();
            /// Whether it is on.
            on: bool = false;
            /// Threads.
            threads: Option<NonZeroUsize> = None, default_text = "one per CPU";
            /// The database password.
            password: String = String::new(),
                check = |password: &String| if password.len() == 1 {
                    Err("must be longer than 1 character".to_owned())
                } else {
                    Ok(())
                },
                secret = true;
        }
    }

    impl Settings for Sample {
        const ALL: &'static [Setting<Self>] = Self::SETTINGS;

        fn check_together(&self) -> Result<(), Conflict> {
            if self.on && self.names.is_empty() {
                return Err(Conflict {
                    settings: &["on", "names"],
                    problem: "on = true needs at least one of names".to_owned(),
                });
            }
            Ok(())
        }
    }

    const FILE: &str = "/etc/sample.toml";

    /// Loads `file` (TOML text, if any), then `env`, then the flags `args`.
    fn load(
        file: Option<&str>,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Result<Loaded<Sample>, InvalidConfig> {
        let matches = command::<Sample>()
            .try_get_matches_from(std::iter::once("sample").chain(args.iter().copied()))
            .expect("flags parse");
        let mut loaded = Loaded::<Sample>::defaults();
        if let Some(text) = file {
            loaded.apply_file(Path::new(FILE), text)?;
        }
        loaded.apply_env(|name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        })?;
        loaded.apply_flags(&matches)?;
        loaded.check_together()?;
        Ok(loaded)
    }

    fn refusal(file: Option<&str>, env: &[(&str, &str)], args: &[&str]) -> String {
        load(file, env, args).expect_err("refused").to_string()
    }

    #[test]
    fn each_source_overrides_the_one_before_it_setting_by_setting() {
        let loaded = load(
            Some("count = 4\nwait = 2.5\nnames = [\"file\"]"),
            &[("MMO_WAIT", "3"), ("MMO_NAMES", "env")],
            &["--names", "flag,second"],
        )
        .expect("loads");
        assert_eq!(
            loaded.config,
            Sample {
                count: 4,
                wait: Duration::from_secs(3),
                names: vec!["flag".to_owned(), "second".to_owned()],
                ..Sample::default()
            }
        );
        assert_eq!(loaded.source("count"), Some(&Source::File(FILE.into())));
        assert_eq!(loaded.source("wait"), Some(&Source::Env("MMO_WAIT".into())));
        assert_eq!(
            loaded.source("names"),
            Some(&Source::Flag("--names".into()))
        );
        assert_eq!(loaded.source("on"), Some(&Source::Default));
    }

    #[test]
    fn an_unknown_key_is_named_with_its_file_and_the_setting_it_may_be() {
        assert_eq!(
            refusal(Some("cuont = 1"), &[], &[]),
            "invalid configuration: unknown key \"cuont\" in /etc/sample.toml \
             (did you mean count?)"
        );
        assert_eq!(
            refusal(Some("[server]\nport = 1"), &[], &[]),
            "invalid configuration: unknown key \"server\" in /etc/sample.toml: keys are flat: \
             write count = 3 at the top level, not under [server]"
        );
        assert_eq!(
            refusal(Some("[sample]\nwait = 2.5"), &[], &[]),
            "invalid configuration: unknown key \"sample\" in /etc/sample.toml: keys are flat: \
             write wait = 2.5 at the top level, not under [sample]"
        );
    }

    #[test]
    fn an_unknown_prefixed_variable_is_refused_naming_the_setting_it_may_be() {
        let check = |names: &[&str]| {
            Loaded::<Sample>::check_env_names(names.iter().map(OsString::from))
                .map_err(|invalid| invalid.to_string())
        };
        assert_eq!(
            check(&["PATH", "MMO_COUNT", "MMO_CUONT"]),
            Err(
                "invalid configuration: unknown setting MMO_CUONT in the environment (did you \
                 mean MMO_COUNT?); a variable for another program must not start with MMO_ \
                 where mmo-server runs"
                    .to_owned()
            )
        );
        assert!(check(&["MMO_ZZZ"]).is_err());
        assert_eq!(
            check(&[
                "MMO_WAIT",
                "MMO_CONFIG",
                "MMO_PASSWORD",
                "MMO_TEST_ANYTHING",
                "MMO_CLI_BIN",
                "mmo_lower",
                "HOME"
            ]),
            Ok(())
        );
        // Exact names are exact: only the prefixes ending in `_` take a tail.
        assert!(check(&["MMO_PASSWORDS"]).is_err());
        assert!(check(&["MMO_CONFIG_FILE"]).is_err());
    }

    #[test]
    fn a_bad_value_is_named_with_where_it_came_from() {
        assert_eq!(
            refusal(Some("wait = -1"), &[], &[]),
            "invalid configuration: wait = -1 (from /etc/sample.toml): \
             must be a non-negative number of seconds"
        );
        assert_eq!(
            refusal(None, &[("MMO_WAIT", "soon")], &[]),
            "invalid configuration: wait = soon (from MMO_WAIT): \
             must be a non-negative number of seconds"
        );
        assert_eq!(
            refusal(None, &[], &["--wait", "-1"]),
            "invalid configuration: wait = -1 (from --wait): \
             must be a non-negative number of seconds"
        );
        assert_eq!(
            refusal(None, &[], &["--count", "11"]),
            "invalid configuration: count = 11 (from --count): must be at most 10"
        );
        assert_eq!(
            refusal(Some("count = \"3\""), &[], &[]),
            "invalid configuration: count = \"3\" (from /etc/sample.toml): \
             must be a whole number, 0 or more"
        );
        assert_eq!(
            refusal(Some("names = \"a\""), &[], &[]),
            "invalid configuration: names = \"a\" (from /etc/sample.toml): must be a list of \
             strings (comma-separated in a flag or an environment variable)"
        );
        assert_eq!(
            refusal(None, &[("MMO_THREADS", "0")], &[]),
            "invalid configuration: threads = 0 (from MMO_THREADS): must be a whole number, \
             1 or more"
        );
        assert!(
            refusal(Some("count = "), &[], &[])
                .starts_with("invalid configuration: /etc/sample.toml is not a valid TOML file")
        );
    }

    #[test]
    fn a_bad_value_is_refused_even_where_a_stronger_source_overrides_it() {
        assert!(
            refusal(Some("count = 99"), &[("MMO_COUNT", "1")], &[])
                .contains("count = 99 (from /etc/sample.toml)")
        );
    }

    #[test]
    fn an_environment_variable_that_is_not_utf8_is_refused() {
        let mut loaded = Loaded::<Sample>::defaults();
        let refused = loaded
            .apply_env(|name| (name == "MMO_WAIT").then(|| OsString::from_vec(vec![b'1', 0xFF])))
            .expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "invalid configuration: wait = 1\u{FFFD} (from MMO_WAIT): must be valid UTF-8"
        );
    }

    #[test]
    fn settings_that_cannot_work_together_are_named_with_their_sources() {
        assert_eq!(
            refusal(None, &[("MMO_ON", "true")], &[]),
            "invalid configuration: on = true needs at least one of names \
             (on from MMO_ON, names from the default)"
        );
    }

    #[test]
    fn an_on_off_flag_alone_means_on() {
        let on = |args: &[&str]| load(None, &[], args).expect("loads").config.on;
        assert!(on(&["--on", "--names", "a"]));
        assert!(on(&["--on", "true", "--names", "a"]));
        assert!(!on(&["--on", "false"]));
        assert!(on(&["--on=true", "--names", "a"]));
        assert!(!on(&[]));
    }

    #[test]
    fn the_last_of_a_repeated_flag_wins() {
        let loaded = load(None, &[], &["--count", "1", "--count", "2"]).expect("loads");
        assert_eq!(loaded.config.count, 2);
    }

    #[test]
    fn an_empty_list_in_the_environment_clears_the_file_s_list() {
        let loaded = load(Some("names = [\"a\"]"), &[("MMO_NAMES", "")], &[]).expect("loads");
        assert_eq!(loaded.config.names, Vec::<String>::new());
    }

    #[test]
    fn a_secret_is_never_printed() {
        let loaded = load(None, &[("MMO_PASSWORD", "hunter2")], &[]).expect("loads");
        assert_eq!(loaded.config.password, "hunter2");
        let printed = loaded.to_toml();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("\n# password = (secret, not shown) # from MMO_PASSWORD\n"),
            "{printed}"
        );
        let refused = refusal(None, &[], &["--password", "h"]);
        assert_eq!(
            refused,
            "invalid configuration: password = (secret, not shown) (from --password): \
             must be longer than 1 character"
        );
        let built_in_code = Sample {
            password: "h".to_owned(),
            ..Sample::default()
        };
        assert_eq!(
            super::super::setting::validate(&built_in_code)
                .expect_err("refused")
                .to_string(),
            "invalid configuration: password = (secret, not shown): \
             must be longer than 1 character"
        );
    }

    #[test]
    fn print_config_writes_every_setting_with_its_doc_and_reads_back() {
        let loaded = load(
            None,
            &[("MMO_ON", "true")],
            &["--names", "a,b", "--wait", "0.25", "--threads", "2"],
        )
        .expect("loads");
        let printed = loaded.to_toml();
        assert!(
            printed.contains(
                "\n# How many.\n#\n# Why: a second paragraph, only in `--print-config`.\ncount = 3\n"
            ),
            "{printed}"
        );
        assert!(
            printed.contains("\nwait = 0.25 # from --wait\n"),
            "{printed}"
        );
        assert!(
            printed.contains("\nnames = [\"a\", \"b\"] # from --names\n"),
            "{printed}"
        );
        assert!(printed.contains("\non = true # from MMO_ON\n"), "{printed}");
        let mut read_back = Loaded::<Sample>::defaults();
        read_back
            .apply_file(Path::new("printed.toml"), &printed)
            .expect("reads back");
        assert_eq!(read_back.config, loaded.config);

        let unset = Loaded::<Sample>::defaults().to_toml();
        assert!(
            unset.contains("\n# threads is not set: one per CPU\n"),
            "{unset}"
        );
    }

    #[test]
    fn help_shows_each_setting_s_summary_default_and_variable() {
        let help = command::<Sample>().render_help().to_string();
        for line in [
            "--count <N>",
            "How many. [default: 3] [env: MMO_COUNT]",
            "--wait <SECONDS>",
            "How long to wait. [default: 1.0] [env: MMO_WAIT]",
            "--names <A,B,…>",
            "Names allowed. [default: none] [env: MMO_NAMES]",
            "--on [<BOOL>]",
            "Threads. [default: one per CPU] [env: MMO_THREADS]",
            "--config <FILE>",
            "--print-config",
        ] {
            assert!(help.contains(line), "{line:?} missing from:\n{help}");
        }
        assert!(!help.contains("second paragraph"), "{help}");
    }
}
