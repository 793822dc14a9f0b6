//! How harness's command lines print for a person: statuses in colour on a
//! terminal (`--color auto|always|never`, `NO_COLOR`), plain otherwise; text
//! from tests escaped; a line cut to the terminal's width; stdout that may
//! close under it (`| head`). The harness binary's CLI and the results tools
//! (`cargo harness`) print with it.

use std::io::Write as _;

use anstyle::{AnsiColor, Style};

use crate::status::Status;

/// `--color`: when to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `TERM=dumb`).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The `--color` option of a command line, shared by a harness binary and
/// the results tools: flatten it into a clap parser.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ColorArg {
    /// When to colour statuses: on a terminal (`auto`, unless `NO_COLOR` is set), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// How text reaches the console.
///
/// ```
/// use harness_core::Status;
/// use harness_core::console::{ColorChoice, Console};
///
/// let console = Console::new(ColorChoice::Never);
/// assert_eq!(console.status(Status::Fail, 6), "FAIL  ");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Console {
    color: bool,
    /// How many characters a line may take: the terminal's width, else
    /// `COLUMNS`, else 200 (a CI log).
    width: usize,
}

impl Console {
    /// Decides once, for stdout.
    #[must_use]
    pub fn new(choice: ColorChoice) -> Self {
        Self::on(choice, &std::io::stdout())
    }

    /// Decides once, for `stream` (stderr, when stdout carries `--events -`).
    pub(crate) fn on(choice: ColorChoice, stream: &(impl std::io::IsTerminal + std::os::fd::AsFd)) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stream.is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        let width = terminal_size::terminal_size_of(stream)
            .map(|(terminal_size::Width(w), _)| usize::from(w))
            .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
            .filter(|w| *w > 0)
            .unwrap_or(200);
        Console { color, width }
    }

    /// `text` cut to fit after `used` characters of a line: its last character
    /// is `…` when it was cut.
    #[must_use]
    pub fn fit(self, text: &str, used: usize) -> String {
        let room = self.width.saturating_sub(used).max(1);
        if text.chars().count() <= room {
            return text.to_owned();
        }
        let mut cut: String = text.chars().take(room - 1).collect();
        cut.push('…');
        cut
    }

    fn style(status: Status) -> Style {
        let color = match status {
            Status::Good => AnsiColor::Green,
            Status::Warn => AnsiColor::Yellow,
            Status::TestNa => AnsiColor::Cyan,
            Status::Abort => AnsiColor::Magenta,
            _ => AnsiColor::Red,
        };
        let style = Style::new().fg_color(Some(color.into()));
        if status.is_failure() { style.bold() } else { style }
    }

    /// A status, padded to `width`, coloured when the console is.
    #[must_use]
    pub fn status(self, status: Status, width: usize) -> String {
        let text = format!("{:<width$}", status.as_str());
        if self.color {
            let style = Self::style(status);
            format!("{style}{text}{style:#}")
        } else {
            text
        }
    }
}

/// `text` made safe for a terminal: control characters (escape sequences
/// among them) are shown escaped, so a reason cannot restyle or move the
/// cursor, and a FAIL cannot be made to look GOOD.
#[must_use]
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `text` to stdout. A closed stdout (`| head`) ends the output there,
/// quietly: the command's exit status stays what its work says.
pub fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_coloured_only_when_asked() {
        let plain = Console { color: false, width: 20 };
        assert_eq!(plain.status(Status::Fail, 6), "FAIL  ");
        assert_eq!(plain.fit("0123456789", 10), "0123456789");
        assert_eq!(plain.fit("0123456789a", 10), "012345678…");
        let colour = Console { color: true, width: 80 };
        assert_eq!(colour.status(Status::Good, 5), "\u{1b}[32mGOOD \u{1b}[0m");
        assert_eq!(colour.status(Status::Fail, 4), "\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m");
        assert_eq!(escaped("\u{1b}[32mGOOD\r\n"), "\\u{1b}[32mGOOD\\r\\n");
    }
}
