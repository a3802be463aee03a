//! The bounded text buffer every extractor writes into.
//!
//! It owns the output cap (`max_text_chars`, cut on a character boundary and flagged as
//! truncated), whitespace normalisation (separators are held back and written only before
//! the next visible text, so there is never leading or trailing blank space and separators
//! never pile up) and the cooperative deadline.

use std::time::{Duration, Instant};

use super::ExtractError;

/// A separator waiting for the next text; a stronger one replaces a weaker one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    None,
    Space,
    Tab,
    Newline,
    Paragraph,
}

pub(crate) struct TextSink {
    buf: String,
    chars: usize,
    max_chars: usize,
    truncated: bool,
    pending: Pending,
    deadline: Instant,
    timeout: Duration,
    ticks: u32,
}

impl TextSink {
    pub fn new(max_chars: usize, deadline: Instant, timeout: Duration) -> Self {
        Self {
            buf: String::new(),
            chars: 0,
            max_chars,
            truncated: false,
            pending: Pending::None,
            deadline,
            timeout,
            ticks: 0,
        }
    }

    /// The cap is reached: extractors stop reading once this is true.
    pub fn is_full(&self) -> bool {
        self.truncated
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }

    pub fn into_string(self) -> String {
        self.buf
    }

    pub fn space(&mut self) {
        self.hold(Pending::Space);
    }

    pub fn tab(&mut self) {
        self.hold(Pending::Tab);
    }

    pub fn newline(&mut self) {
        self.hold(Pending::Newline);
    }

    /// A blank line: between paragraphs, pages, slides, sheets.
    pub fn paragraph(&mut self) {
        self.hold(Pending::Paragraph);
    }

    fn hold(&mut self, sep: Pending) {
        if !self.buf.is_empty() && sep > self.pending {
            self.pending = sep;
        }
    }

    /// Appends text as it is, line breaks included.
    pub fn push(&mut self, text: &str) {
        if text.is_empty() || self.truncated {
            return;
        }
        self.flush_pending();
        self.append(text);
    }

    /// Appends text with every run of whitespace turned into one held-back space (markup
    /// formats, where source line breaks mean nothing).
    pub fn push_collapsed(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() && !self.truncated {
            let word_start = rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
            if word_start > 0 {
                self.space();
            }
            rest = &rest[word_start..];
            let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if word_end > 0 {
                self.push(&rest[..word_end]);
            }
            rest = &rest[word_end..];
        }
    }

    fn flush_pending(&mut self) {
        let sep = match self.pending {
            Pending::None => return,
            Pending::Space => " ",
            Pending::Tab => "\t",
            Pending::Newline => "\n",
            Pending::Paragraph => "\n\n",
        };
        self.pending = Pending::None;
        // Text that already ends a line needs no extra space or break.
        if sep == " " && self.buf.ends_with(char::is_whitespace) {
            return;
        }
        let sep = if sep.starts_with('\n') && self.buf.ends_with('\n') { &sep[1..] } else { sep };
        self.append(sep);
    }

    fn append(&mut self, text: &str) {
        let room = self.max_chars.saturating_sub(self.chars);
        // Most pushes are short: count characters only when the byte length could overflow.
        if text.len() <= room {
            self.chars += text.chars().count();
            self.buf.push_str(text);
            return;
        }
        match text.char_indices().nth(room) {
            Some((cut, _)) => {
                self.buf.push_str(&text[..cut]);
                self.chars += room;
                self.truncated = true;
            }
            None => {
                self.chars += text.chars().count();
                self.buf.push_str(text);
            }
        }
    }

    /// Checks the deadline on every 256th call; cheap enough for inner loops.
    pub fn tick(&mut self) -> Result<(), ExtractError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(256) { self.check_deadline() } else { Ok(()) }
    }

    pub fn check_deadline(&self) -> Result<(), ExtractError> {
        if Instant::now() > self.deadline {
            Err(ExtractError::timeout(self.timeout))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(max: usize) -> TextSink {
        TextSink::new(max, Instant::now() + Duration::from_secs(60), Duration::from_secs(60))
    }

    #[test]
    fn separators_are_written_only_between_text() {
        let mut s = sink(100);
        s.paragraph();
        s.push("a");
        s.space();
        s.newline();
        s.push("b");
        s.paragraph();
        s.space();
        assert_eq!(s.into_string(), "a\nb");
    }

    #[test]
    fn collapsed_text_keeps_one_space_between_words() {
        let mut s = sink(100);
        s.push_collapsed("  hello \n\t world  ");
        s.push_collapsed("again");
        assert_eq!(s.into_string(), "hello world again");
    }

    #[test]
    fn the_cap_cuts_on_a_character_boundary() {
        let mut s = sink(3);
        s.push("aé");
        s.push("ü€x");
        assert!(s.is_full());
        assert_eq!(s.into_string(), "aéü");
    }
}
