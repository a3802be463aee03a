//! A streaming lexer for page content streams (PDF 32000-1, 7.2 and 7.8.2).
//!
//! lopdf's content parser builds an owned `Operation` for every operator of a page before the
//! first one can be looked at: in CPU it was half of our extraction time, and in memory a
//! hostile page of `q q q …` costs some thirty times its inflated size. This lexer hands out
//! one operator at a time with borrowed operands, so memory stays at the stream plus one
//! operator's operands (capped), whatever the stream holds.

use std::borrow::Cow;

/// Operands kept for one operator; more are dropped (no operator takes more than a handful,
/// except `TJ`, whose single operand is an array).
const MAX_OPERANDS: usize = 64;
/// Elements kept in one array (a `TJ` never comes close).
const MAX_ARRAY: usize = 65_536;
/// Nesting of arrays and dictionaries; deeper content is skipped, not recursed into.
const MAX_NESTING: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand<'a> {
    Number(f32),
    Name(Cow<'a, [u8]>),
    Str(Cow<'a, [u8]>),
    Array(Vec<Operand<'a>>),
    /// Booleans, null, dictionaries: nothing text extraction reads.
    Other,
}

impl Operand<'_> {
    pub fn number(&self) -> Option<f32> {
        match self {
            Operand::Number(n) => Some(*n),
            _ => None,
        }
    }
}

pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

enum Token<'a> {
    Operand(Operand<'a>),
    Operator(&'a [u8]),
    ArrayEnd,
    DictEnd,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// The next operator, with its operands in `operands` (cleared first). `None` at the end.
    pub fn next_op(&mut self, operands: &mut Vec<Operand<'a>>) -> Option<&'a [u8]> {
        operands.clear();
        loop {
            match self.token(0)? {
                Token::Operand(operand) => {
                    if operands.len() < MAX_OPERANDS {
                        operands.push(operand);
                    }
                }
                Token::Operator(b"ID") => {
                    self.skip_inline_image();
                    return Some(b"ID");
                }
                Token::Operator(op) => return Some(op),
                // Stray closers are noise in a broken stream.
                Token::ArrayEnd | Token::DictEnd => {}
            }
        }
    }

    fn skip_whitespace_and_comments(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.data.get(self.pos).is_some_and(|&b| b != b'\n' && b != b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self, depth: usize) -> Option<Token<'a>> {
        self.skip_whitespace_and_comments();
        let b = *self.data.get(self.pos)?;
        // Past the nesting bound a bracket is noise, so hostile nesting cannot recurse deeper.
        if depth >= MAX_NESTING && matches!(b, b'[' | b'<') {
            self.pos += 1;
            return Some(Token::Operand(Operand::Other));
        }
        let token = match b {
            b'(' => {
                self.pos += 1;
                Token::Operand(Operand::Str(self.literal_string()))
            }
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                self.skip_dictionary(depth);
                Token::Operand(Operand::Other)
            }
            b'<' => {
                self.pos += 1;
                Token::Operand(Operand::Str(Cow::Owned(self.hex_string())))
            }
            b'>' if self.data.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Token::DictEnd
            }
            b'[' => {
                self.pos += 1;
                Token::Operand(self.array(depth))
            }
            b']' => {
                self.pos += 1;
                Token::ArrayEnd
            }
            b'/' => {
                self.pos += 1;
                Token::Operand(Operand::Name(self.name()))
            }
            b if is_regular(b) => {
                let start = self.pos;
                while self.data.get(self.pos).is_some_and(|&b| is_regular(b)) {
                    self.pos += 1;
                }
                let word = &self.data[start..self.pos];
                match word {
                    b"true" | b"false" | b"null" => Token::Operand(Operand::Other),
                    _ => match number(word) {
                        Some(n) => Token::Operand(Operand::Number(n)),
                        None => Token::Operator(word),
                    },
                }
            }
            // A lone ')', '>', '{' or '}': skip it.
            _ => {
                self.pos += 1;
                Token::Operand(Operand::Other)
            }
        };
        Some(token)
    }

    fn array(&mut self, depth: usize) -> Operand<'a> {
        let mut items = Vec::new();
        loop {
            match self.token(depth + 1) {
                None | Some(Token::ArrayEnd) => break,
                Some(Token::Operand(item)) if items.len() < MAX_ARRAY => items.push(item),
                Some(Token::Operand(_) | Token::DictEnd) => {}
                // An operator inside an array means the array was never closed: end it there,
                // and give the operator back.
                Some(Token::Operator(op)) => {
                    self.pos -= op.len();
                    break;
                }
            }
        }
        Operand::Array(items)
    }

    fn skip_dictionary(&mut self, depth: usize) {
        loop {
            match self.token(depth + 1) {
                None | Some(Token::DictEnd) => return,
                Some(Token::Operator(op)) => {
                    self.pos -= op.len();
                    return;
                }
                Some(_) => {}
            }
        }
    }

    /// After `(`: up to the matching `)`, with escapes resolved (7.3.4.2).
    fn literal_string(&mut self) -> Cow<'a, [u8]> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut escaped = false;
        // Fast path: no backslash means the bytes are the string.
        while let Some(&b) = self.data.get(self.pos) {
            match b {
                b'\\' => escaped = true,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                _ => {}
            }
            self.pos += 1;
            if escaped {
                break;
            }
        }
        if !escaped {
            let raw = &self.data[start..self.pos];
            self.pos = (self.pos + 1).min(self.data.len());
            return Cow::Borrowed(raw);
        }
        self.pos = start;
        let mut out = Vec::new();
        let mut depth = 0usize;
        while let Some(&b) = self.data.get(self.pos) {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' if depth == 0 => return Cow::Owned(out),
                b')' => {
                    depth -= 1;
                    out.push(b);
                }
                b'\\' => self.escape(&mut out),
                _ => out.push(b),
            }
        }
        Cow::Owned(out)
    }

    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(&b) = self.data.get(self.pos) else {
            return;
        };
        self.pos += 1;
        match b {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'0'..=b'7' => {
                let mut value = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.data.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            // A backslash before a line break continues the string on the next line.
            b'\r' => {
                if self.data.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            other => out.push(other),
        }
    }

    /// After `<`: hex digits up to `>`, white space ignored, a missing last digit is 0.
    fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(&b) = self.data.get(self.pos) {
            self.pos += 1;
            let digit = match b {
                b'>' => break,
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => continue,
            };
            match high.take() {
                Some(h) => out.push(h << 4 | digit),
                None => high = Some(digit),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    /// After `/`: the name, with `#xx` escapes resolved.
    fn name(&mut self) -> Cow<'a, [u8]> {
        let start = self.pos;
        while self.data.get(self.pos).is_some_and(|&b| is_regular(b)) {
            self.pos += 1;
        }
        let raw = &self.data[start..self.pos];
        if !raw.contains(&b'#') {
            return Cow::Borrowed(raw);
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            let hex = raw.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match (raw[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'#', Some(value)) => {
                    out.push(value);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        Cow::Owned(out)
    }

    /// Inline image data follows `ID` and one white-space byte, and ends at `EI` between
    /// white space (or the end); it is binary and must not be lexed.
    fn skip_inline_image(&mut self) {
        self.pos = (self.pos + 1).min(self.data.len());
        let rest = &self.data[self.pos..];
        let end = rest.windows(4).position(|w| {
            is_whitespace(w[0]) && w[1] == b'E' && w[2] == b'I' && is_whitespace(w[3])
        });
        self.pos = match end {
            Some(at) => self.pos + at + 3,
            None => self.data.len(),
        };
    }
}

/// A PDF number: optional sign, digits, optional fraction (no exponents in PDF).
fn number(word: &[u8]) -> Option<f32> {
    let body = word.strip_prefix(b"-").or_else(|| word.strip_prefix(b"+")).unwrap_or(word);
    let valid = !body.is_empty()
        && body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && body.iter().filter(|&&b| b == b'.').count() <= 1
        && body != b".";
    if !valid {
        return None;
    }
    let text = std::str::from_utf8(word).ok()?;
    // "5." and ".5" are valid PDF numbers; Rust's parser takes both.
    text.parse::<f32>().ok().or(Some(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(data: &[u8]) -> Vec<(String, Vec<Operand<'_>>)> {
        let mut lexer = Lexer::new(data);
        let mut operands = Vec::new();
        let mut out = Vec::new();
        while let Some(op) = lexer.next_op(&mut operands) {
            out.push((String::from_utf8_lossy(op).into_owned(), operands.clone()));
        }
        out
    }

    fn s(bytes: &[u8]) -> Operand<'_> {
        Operand::Str(Cow::Borrowed(bytes))
    }

    #[test]
    fn operators_come_with_their_operands() {
        let got = ops(b"BT /F1 12 Tf 1 0 0 1 72.5 -.5 Tm (Hi) Tj ET");
        assert_eq!(got[0], ("BT".into(), vec![]));
        assert_eq!(
            got[1],
            ("Tf".into(), vec![Operand::Name(Cow::Borrowed(b"F1")), Operand::Number(12.0)])
        );
        assert_eq!(got[2].1[4], Operand::Number(72.5));
        assert_eq!(got[2].1[5], Operand::Number(-0.5));
        assert_eq!(got[3], ("Tj".into(), vec![s(b"Hi")]));
        assert_eq!(got[4].0, "ET");
    }

    #[test]
    fn literal_strings_resolve_escapes_and_balanced_parentheses() {
        let got = ops(b"(a\\(b\\) (nested) \\101\\60x \\\\ \\n\\\nend) Tj");
        assert_eq!(
            got[0].1,
            vec![Operand::Str(Cow::Owned(b"a(b) (nested) A0x \\ \nend".to_vec()))]
        );
    }

    #[test]
    fn hex_strings_ignore_spaces_and_pad_an_odd_digit() {
        let got = ops(b"<00 48 0069 4> Tj");
        assert_eq!(got[0].1, vec![Operand::Str(Cow::Owned(vec![0x00, 0x48, 0x00, 0x69, 0x40]))]);
    }

    #[test]
    fn tj_arrays_mix_strings_and_numbers() {
        let got = ops(b"[(A) -250 (B)] TJ");
        assert_eq!(got[0].1, vec![Operand::Array(vec![s(b"A"), Operand::Number(-250.0), s(b"B")])]);
    }

    #[test]
    fn dictionaries_comments_and_inline_images_are_skipped() {
        let got = ops(
            b"/P <</MCID 0 /Alt (x)>> BDC % comment (Tj)\nBI /W 2 /H 1 ID \x00EI\xffEI\nQ EI Tj",
        );
        let names: Vec<&str> = got.iter().map(|(op, _)| op.as_str()).collect();
        assert_eq!(names, vec!["BDC", "BI", "ID", "Tj"]);
    }

    #[test]
    fn names_resolve_hash_escapes() {
        let got = ops(b"/F#201 Tf");
        assert_eq!(got[0].1, vec![Operand::Name(Cow::Owned(b"F 1".to_vec()))]);
    }

    #[test]
    fn hostile_nesting_and_garbage_end_without_panicking() {
        let deep = "[".repeat(100_000);
        assert!(ops(deep.as_bytes()).is_empty());
        let garbage: Vec<u8> =
            (0..10_000u32).map(|i| (i.wrapping_mul(2654435761) >> 11) as u8).collect();
        let _ = ops(&garbage);
        assert_eq!(ops(b"(unterminated"), vec![]);
    }
}
