//! What the CLI prints for a person: statuses in colour on a terminal
//! (`--color auto|always|never`, `NO_COLOR`), plain otherwise.

use std::io::IsTerminal as _;

use anstyle::{AnsiColor, Style};

use crate::Status;

/// `--color`: when to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `TERM=dumb`).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How text reaches the console.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Console {
    color: bool,
}

impl Console {
    /// Decides once, for stdout.
    pub(crate) fn new(choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        Console { color }
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
    pub(crate) fn status(self, status: Status, width: usize) -> String {
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
pub(crate) fn escaped(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_coloured_only_when_asked() {
        let plain = Console { color: false };
        assert_eq!(plain.status(Status::Fail, 6), "FAIL  ");
        let colour = Console { color: true };
        assert_eq!(colour.status(Status::Good, 5), "\u{1b}[32mGOOD \u{1b}[0m");
        assert_eq!(colour.status(Status::Fail, 4), "\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m");
        assert_eq!(escaped("\u{1b}[32mGOOD\r\n"), "\\u{1b}[32mGOOD\\r\\n");
    }
}
