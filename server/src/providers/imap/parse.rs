//! IMAP response grammar (RFC 3501 with the ENABLE, CONDSTORE/QRESYNC,
//! LIST-EXTENDED and LIST-STATUS additions), for the responses this client
//! asks for.
//!
//! The session hands over one complete response at a time, literals inline
//! (`{n}\r\n` followed by the `n` bytes), already bounded in size; parsing is
//! then a pure function of those bytes. Nesting is bounded too, so a hostile
//! server cannot exhaust the stack.

use super::super::{ProviderError, ProviderResult};
use super::uidset::UidSet;

/// Deepest list nesting accepted (BODYSTRUCTURE of nested multiparts is the deepest real case).
const MAX_DEPTH: usize = 64;

/// One value of the IMAP grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Nil,
    /// An atom or number, including section specs such as `BODY[]<0>`.
    Atom(String),
    /// A quoted string (unescaped) or a literal.
    Str(Vec<u8>),
    List(Vec<Value>),
}

impl Value {
    /// The bytes of a string or atom; `None` for NIL and lists.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(bytes) => Some(bytes),
            Value::Atom(atom) => Some(atom.as_bytes()),
            _ => None,
        }
    }

    /// A string or atom as text (invalid UTF-8 replaced).
    pub fn as_text(&self) -> Option<String> {
        self.as_bytes().map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Atom(atom) => atom.parse().ok(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }
}

/// OK, NO, BAD, BYE or PREAUTH, with its response code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResponse {
    pub kind: StatusKind,
    pub code: Option<RespCode>,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

/// Response codes (`[UIDVALIDITY 42]`) this client acts on; the rest by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RespCode {
    Capability(Vec<String>),
    UidValidity(u32),
    UidNext(u32),
    HighestModSeq(u64),
    NoModSeq,
    /// Any other code, upper-cased, e.g. `AUTHENTICATIONFAILED`, `NONEXISTENT`.
    Other(String),
}

/// A LIST answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// Attributes as sent (`\HasChildren`, `\Noselect`, `\Sent`…).
    pub attributes: Vec<String>,
    pub delimiter: Option<char>,
    /// The mailbox name as the server spells it (modified UTF-7).
    pub name: String,
}

impl ListEntry {
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untagged {
    Status(StatusResponse),
    Capability(Vec<String>),
    Enabled(Vec<String>),
    List(ListEntry),
    /// `STATUS mailbox (MESSAGES 3 UIDNEXT 9)`, item names upper-cased.
    MailboxStatus {
        mailbox: String,
        items: Vec<(String, u64)>,
    },
    Search(Vec<u32>),
    /// `ESEARCH (TAG "R4") UID ALL 1:3,5`: the `ALL` result of a `RETURN (ALL)` search.
    ESearch {
        tag: Option<String>,
        all: UidSet,
    },
    Vanished {
        earlier: bool,
        uids: UidSet,
    },
    Exists(u32),
    Expunge(u32),
    /// `seq FETCH (name value …)`, names upper-cased. Never identify a message
    /// by `seq`: use the `UID` item.
    Fetch {
        seq: u32,
        attributes: Vec<(String, Value)>,
    },
    /// Anything else (FLAGS, RECENT, NAMESPACE…), by name.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `+ text`: the server waits for more of the command.
    Continue(String),
    Tagged {
        tag: String,
        status: StatusResponse,
    },
    Untagged(Untagged),
}

/// Parses one complete response (without its final CRLF).
pub fn parse_response(raw: &[u8]) -> ProviderResult<Response> {
    let mut p = Parser::new(raw);
    if p.eat(b'+') {
        p.eat(b' ');
        return Ok(Response::Continue(p.rest_text()));
    }
    if p.eat(b'*') {
        p.expect(b' ')?;
        return Ok(Response::Untagged(parse_untagged(&mut p)?));
    }
    let tag = p.word()?;
    p.expect(b' ')?;
    let keyword = p.word()?;
    let status = parse_status(&mut p, &keyword)?
        .ok_or_else(|| bad(format!("a tagged response must be OK, NO or BAD, not {keyword}")))?;
    Ok(Response::Tagged { tag, status })
}

/// Whether a response that starts with `line` can carry literals; status
/// responses and continuations are free text that may end in `{5}` by chance.
pub fn may_carry_literals(line: &[u8]) -> bool {
    if line.starts_with(b"+") {
        return false;
    }
    let mut p = Parser::new(line);
    let after_tag = if p.eat(b'*') { p.eat(b' ') } else { p.word().is_ok() && p.eat(b' ') };
    if !after_tag {
        return true;
    }
    match p.word() {
        Ok(word) => {
            !matches!(word.to_ascii_uppercase().as_str(), "OK" | "NO" | "BAD" | "BYE" | "PREAUTH")
        }
        Err(_) => true,
    }
}

/// The length of the literal announced at the end of `line` (`…{42}\r\n` or `{42+}`).
pub fn trailing_literal(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r\n").or_else(|| line.strip_suffix(b"\n"))?;
    let line = line.strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn parse_untagged(p: &mut Parser<'_>) -> ProviderResult<Untagged> {
    let first = p.word()?;
    if let Ok(number) = first.parse::<u32>() {
        p.expect(b' ')?;
        let keyword = p.word()?.to_ascii_uppercase();
        return Ok(match keyword.as_str() {
            "EXISTS" => Untagged::Exists(number),
            "EXPUNGE" => Untagged::Expunge(number),
            "FETCH" => {
                p.expect(b' ')?;
                Untagged::Fetch { seq: number, attributes: parse_fetch_attributes(p)? }
            }
            _ => Untagged::Other(keyword),
        });
    }
    let keyword = first.to_ascii_uppercase();
    if let Some(status) = parse_status(p, &keyword)? {
        return Ok(Untagged::Status(status));
    }
    Ok(match keyword.as_str() {
        "CAPABILITY" => Untagged::Capability(words(&p.rest_text())),
        "ENABLED" => Untagged::Enabled(words(&p.rest_text())),
        "LIST" | "LSUB" => Untagged::List(parse_list(p)?),
        "STATUS" => parse_mailbox_status(p)?,
        "SEARCH" => {
            // Numbers, possibly followed by `(MODSEQ n)` under CONDSTORE.
            let uids = p
                .rest_text()
                .split_ascii_whitespace()
                .map_while(|w| w.parse::<u32>().ok())
                .filter(|uid| *uid > 0)
                .collect();
            Untagged::Search(uids)
        }
        "ESEARCH" => parse_esearch(p)?,
        "VANISHED" => {
            p.eat(b' ');
            let earlier = if p.peek() == Some(b'(') {
                let tags = p.value(0)?;
                tags.as_list().is_some_and(|items| {
                    items
                        .iter()
                        .any(|v| v.as_text().is_some_and(|t| t.eq_ignore_ascii_case("EARLIER")))
                })
            } else {
                false
            };
            p.eat(b' ');
            let set = p.rest_text();
            let uids = UidSet::parse(&set)
                .ok_or_else(|| bad(format!("VANISHED with a malformed UID set {set:?}")))?;
            Untagged::Vanished { earlier, uids }
        }
        _ => Untagged::Other(keyword),
    })
}

/// `OK [CODE args] text` after the keyword; `None` when `keyword` is not a status.
fn parse_status(p: &mut Parser<'_>, keyword: &str) -> ProviderResult<Option<StatusResponse>> {
    let kind = match keyword.to_ascii_uppercase().as_str() {
        "OK" => StatusKind::Ok,
        "NO" => StatusKind::No,
        "BAD" => StatusKind::Bad,
        "BYE" => StatusKind::Bye,
        "PREAUTH" => StatusKind::Preauth,
        _ => return Ok(None),
    };
    p.eat(b' ');
    let code = if p.eat(b'[') {
        let inner = p.take_until(b']');
        p.eat(b']');
        p.eat(b' ');
        Some(parse_code(&String::from_utf8_lossy(inner)))
    } else {
        None
    };
    Ok(Some(StatusResponse { kind, code, text: p.rest_text() }))
}

fn parse_code(inner: &str) -> RespCode {
    let (name, args) = inner.split_once(' ').unwrap_or((inner, ""));
    let name = name.to_ascii_uppercase();
    let number = || args.trim().parse::<u64>().ok();
    match name.as_str() {
        "CAPABILITY" => RespCode::Capability(words(args)),
        "UIDVALIDITY" => match number().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => RespCode::UidValidity(n),
            None => RespCode::Other(name),
        },
        "UIDNEXT" => match number().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => RespCode::UidNext(n),
            None => RespCode::Other(name),
        },
        "HIGHESTMODSEQ" => match number() {
            Some(n) => RespCode::HighestModSeq(n),
            None => RespCode::Other(name),
        },
        "NOMODSEQ" => RespCode::NoModSeq,
        _ => RespCode::Other(name),
    }
}

fn parse_esearch(p: &mut Parser<'_>) -> ProviderResult<Untagged> {
    p.skip_spaces();
    let mut tag = None;
    if p.peek() == Some(b'(') {
        // (TAG "R4")
        if let Value::List(items) = p.value(0)?
            && let [name, value] = items.as_slice()
            && name.as_text().is_some_and(|n| n.eq_ignore_ascii_case("TAG"))
        {
            tag = value.as_text();
        }
    }
    let mut all = UidSet::new();
    loop {
        p.skip_spaces();
        if p.peek().is_none() {
            break;
        }
        let name = p.atom()?;
        if name.eq_ignore_ascii_case("UID") {
            continue;
        }
        p.skip_spaces();
        let value = p.value(0)?;
        if name.eq_ignore_ascii_case("ALL") {
            let set = value.as_text().unwrap_or_default();
            all = UidSet::parse(&set)
                .ok_or_else(|| bad(format!("ESEARCH with a malformed UID set {set:?}")))?;
        }
    }
    Ok(Untagged::ESearch { tag, all })
}

fn parse_list(p: &mut Parser<'_>) -> ProviderResult<ListEntry> {
    p.expect(b' ')?;
    let attributes = match p.value(0)? {
        Value::List(items) => items.iter().filter_map(Value::as_text).collect(),
        _ => return Err(bad("LIST without attributes")),
    };
    p.expect(b' ')?;
    let delimiter = match p.value(0)? {
        Value::Nil => None,
        v => v.as_text().and_then(|t| t.chars().next()),
    };
    p.expect(b' ')?;
    let name = mailbox_name(p.value(0)?)?;
    Ok(ListEntry { attributes, delimiter, name })
}

fn parse_mailbox_status(p: &mut Parser<'_>) -> ProviderResult<Untagged> {
    p.expect(b' ')?;
    let mailbox = mailbox_name(p.value(0)?)?;
    p.skip_spaces();
    let items = match p.value(0)? {
        Value::List(items) => items,
        _ => return Err(bad("STATUS without items")),
    };
    let items = items
        .chunks(2)
        .filter_map(|pair| match pair {
            [name, value] => Some((name.as_text()?.to_ascii_uppercase(), value.as_u64()?)),
            _ => None,
        })
        .collect();
    Ok(Untagged::MailboxStatus { mailbox, items })
}

fn parse_fetch_attributes(p: &mut Parser<'_>) -> ProviderResult<Vec<(String, Value)>> {
    let items = match p.value(0)? {
        Value::List(items) => items,
        _ => return Err(bad("FETCH without a parenthesised list")),
    };
    let mut attributes = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let Some(name) = items.next() {
        let Value::Atom(name) = name else {
            return Err(bad("FETCH item names must be atoms"));
        };
        let value = items.next().ok_or_else(|| bad(format!("FETCH item {name} has no value")))?;
        attributes.push((name.to_ascii_uppercase(), value));
    }
    Ok(attributes)
}

/// Mailbox names are astrings; a non-UTF-8 name could not be sent back intact.
fn mailbox_name(value: Value) -> ProviderResult<String> {
    let bytes = value.as_bytes().ok_or_else(|| bad("a mailbox name is missing"))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| bad("a mailbox name is not valid UTF-8"))
}

fn words(text: &str) -> Vec<String> {
    text.split_ascii_whitespace().map(str::to_string).collect()
}

fn bad(message: impl Into<String>) -> ProviderError {
    ProviderError::parse(format!("unexpected IMAP response: {}", message.into()))
}

/// A cursor over one response.
struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> ProviderResult<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(bad(format!("expected {:?} at byte {}", byte as char, self.pos)))
        }
    }

    fn skip_spaces(&mut self) {
        while self.eat(b' ') {}
    }

    fn take_until(&mut self, stop: u8) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == stop {
                break;
            }
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    /// A tag or keyword: everything up to the next space.
    fn word(&mut self) -> ProviderResult<String> {
        let word = self.take_until(b' ');
        if word.is_empty() {
            return Err(bad("a word is missing"));
        }
        Ok(String::from_utf8_lossy(word).into_owned())
    }

    fn rest_text(&mut self) -> String {
        let rest = &self.buf[self.pos..];
        self.pos = self.buf.len();
        String::from_utf8_lossy(rest).trim_end_matches(['\r', '\n']).to_string()
    }

    fn value(&mut self, depth: usize) -> ProviderResult<Value> {
        if depth > MAX_DEPTH {
            return Err(bad("lists nested too deeply"));
        }
        match self.peek() {
            None => Err(bad("a value is missing")),
            Some(b'(') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_spaces();
                    match self.peek() {
                        Some(b')') => {
                            self.pos += 1;
                            return Ok(Value::List(items));
                        }
                        None => return Err(bad("an unclosed list")),
                        Some(_) => items.push(self.value(depth + 1)?),
                    }
                }
            }
            Some(b'"') => self.quoted().map(Value::Str),
            Some(b'{') => self.literal().map(Value::Str),
            Some(_) => {
                let atom = self.atom()?;
                Ok(if atom.eq_ignore_ascii_case("NIL") { Value::Nil } else { Value::Atom(atom) })
            }
        }
    }

    fn quoted(&mut self) -> ProviderResult<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => {
                    return Err(bad("an unterminated quoted string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.peek().ok_or_else(|| bad("a dangling escape"))?;
                    out.push(escaped);
                    self.pos += 1;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn literal(&mut self) -> ProviderResult<Vec<u8>> {
        self.expect(b'{')?;
        let digits = self.take_until(b'}');
        let digits = digits.strip_suffix(b"+").unwrap_or(digits);
        let len: usize = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| bad("a malformed literal length"))?;
        self.expect(b'}')?;
        self.eat(b'\r');
        self.expect(b'\n')?;
        let end = self.pos.checked_add(len).filter(|end| *end <= self.buf.len());
        let end = end.ok_or_else(|| bad("a literal longer than the response"))?;
        let bytes = self.buf[self.pos..end].to_vec();
        self.pos = end;
        Ok(bytes)
    }

    /// An atom; a `[` inside it opens a section (`BODY[HEADER.FIELDS (TO)]<0>`)
    /// that runs to the matching `]`, spaces and parentheses included.
    fn atom(&mut self) -> ProviderResult<String> {
        let start = self.pos;
        let mut brackets = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => brackets += 1,
                b']' if brackets > 0 => brackets -= 1,
                b' ' | b'(' | b')' if brackets > 0 => {}
                b' ' | b'(' | b')' | b'"' | b'{' | b'\r' | b'\n' | 0 => break,
                b']' => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(bad(format!(
                "unexpected {:?} at byte {}",
                self.peek().map(char::from),
                start
            )));
        }
        Ok(String::from_utf8_lossy(&self.buf[start..self.pos]).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untagged(raw: &[u8]) -> Untagged {
        match parse_response(raw).unwrap() {
            Response::Untagged(u) => u,
            other => panic!("not untagged: {other:?}"),
        }
    }

    #[test]
    fn status_responses_carry_their_codes() {
        let r =
            parse_response(b"a1 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).").unwrap();
        let Response::Tagged { tag, status } = r else { panic!() };
        assert_eq!(tag, "a1");
        assert_eq!(status.kind, StatusKind::Ok);
        assert_eq!(status.code, Some(RespCode::Other("READ-ONLY".into())));
        assert_eq!(status.text, "Examine completed (0.001 + 0.000 secs).");

        assert_eq!(
            untagged(b"* OK [UIDVALIDITY 1795823166] UIDs valid"),
            Untagged::Status(StatusResponse {
                kind: StatusKind::Ok,
                code: Some(RespCode::UidValidity(1795823166)),
                text: "UIDs valid".into()
            })
        );
        let Untagged::Status(s) = untagged(b"* OK [HIGHESTMODSEQ 18446744073709551615] Highest")
        else {
            panic!()
        };
        assert_eq!(s.code, Some(RespCode::HighestModSeq(u64::MAX)));
        let Untagged::Status(s) =
            untagged(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready.")
        else {
            panic!()
        };
        assert_eq!(
            s.code,
            Some(RespCode::Capability(vec![
                "IMAP4rev1".into(),
                "SASL-IR".into(),
                "AUTH=PLAIN".into()
            ]))
        );
        let r = parse_response(b"a2 NO [AUTHENTICATIONFAILED] Authentication failed.").unwrap();
        let Response::Tagged { status, .. } = r else { panic!() };
        assert_eq!(
            (status.kind, status.code),
            (StatusKind::No, Some(RespCode::Other("AUTHENTICATIONFAILED".into())))
        );
        assert_eq!(parse_response(b"+ ").unwrap(), Response::Continue(String::new()));
        assert_eq!(parse_response(b"+").unwrap(), Response::Continue(String::new()));
        assert_eq!(
            parse_response(b"+ eyJzIjoxfQ==").unwrap(),
            Response::Continue("eyJzIjoxfQ==".into())
        );
        assert!(parse_response(b"a3 MAYBE").is_err());
    }

    #[test]
    fn list_and_status_answers() {
        assert_eq!(
            untagged(br#"* LIST (\Noselect \HasChildren) "/" Projects"#),
            Untagged::List(ListEntry {
                attributes: vec!["\\Noselect".into(), "\\HasChildren".into()],
                delimiter: Some('/'),
                name: "Projects".into()
            })
        );
        let Untagged::List(entry) = untagged(b"* LIST () \"\\\\\" {10}\r\nA \"b\" \\ c)") else {
            panic!()
        };
        assert_eq!((entry.delimiter, entry.name.as_str()), (Some('\\'), "A \"b\" \\ c)"));
        let Untagged::List(entry) =
            untagged(br#"* LIST (\NonExistent) NIL "Top &AOQ-" ("CHILDINFO" ("SUBSCRIBED"))"#)
        else {
            panic!()
        };
        assert_eq!((entry.delimiter, entry.name.as_str()), (None, "Top &AOQ-"));
        assert!(entry.has_attribute("\\nonexistent"));
        assert_eq!(
            untagged(b"* STATUS \"Projects/Sub\" (MESSAGES 2 UIDNEXT 7 HIGHESTMODSEQ 12)"),
            Untagged::MailboxStatus {
                mailbox: "Projects/Sub".into(),
                items: vec![
                    ("MESSAGES".into(), 2),
                    ("UIDNEXT".into(), 7),
                    ("HIGHESTMODSEQ".into(), 12)
                ]
            }
        );
    }

    #[test]
    fn search_vanished_and_counts() {
        assert_eq!(untagged(b"* SEARCH 1 2 5"), Untagged::Search(vec![1, 2, 5]));
        assert_eq!(untagged(b"* SEARCH"), Untagged::Search(vec![]));
        assert_eq!(untagged(b"* SEARCH 3 4 (MODSEQ 917)"), Untagged::Search(vec![3, 4]));
        assert_eq!(
            untagged(b"* VANISHED (EARLIER) 3:4,9"),
            Untagged::Vanished { earlier: true, uids: UidSet::parse("3:4,9").unwrap() }
        );
        assert_eq!(
            untagged(b"* VANISHED 7"),
            Untagged::Vanished { earlier: false, uids: UidSet::parse("7").unwrap() }
        );
        assert!(parse_response(b"* VANISHED (EARLIER) 1:*").is_err());
        assert_eq!(
            untagged(b"* ESEARCH (TAG \"R4\") UID ALL 1:3,5"),
            Untagged::ESearch { tag: Some("R4".into()), all: UidSet::parse("1:3,5").unwrap() }
        );
        assert_eq!(
            untagged(b"* ESEARCH (TAG \"R5\") UID"),
            Untagged::ESearch { tag: Some("R5".into()), all: UidSet::new() }
        );
        assert_eq!(
            untagged(b"* ESEARCH (TAG \"R6\") UID MIN 2 ALL 2,9 COUNT 2"),
            Untagged::ESearch { tag: Some("R6".into()), all: UidSet::parse("2,9").unwrap() }
        );
        assert_eq!(untagged(b"* 3 EXISTS"), Untagged::Exists(3));
        assert_eq!(untagged(b"* 2 EXPUNGE"), Untagged::Expunge(2));
        assert_eq!(untagged(b"* 1 RECENT"), Untagged::Other("RECENT".into()));
        assert_eq!(
            untagged(b"* ENABLED QRESYNC CONDSTORE"),
            Untagged::Enabled(vec!["QRESYNC".into(), "CONDSTORE".into()])
        );
    }

    #[test]
    fn fetch_with_envelope_bodystructure_and_a_literal_body() {
        let raw = b"* 1 FETCH (UID 1 RFC822.SIZE 173 INTERNALDATE \"27-Nov-2026 23:46:06 +0000\" ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"=?UTF-8?B?SGVsbG8gV8O2cmxk?=\" ((\"Bob\" NIL \"bob\" \"example.com\")) NIL NIL ((NIL NIL \"alice\" \"example.com\")) NIL NIL NIL \"<m1@example.com>\") BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL) BODY[] {5}\r\nab\r\nc FLAGS (\\Seen))";
        let Untagged::Fetch { seq, attributes } = untagged(raw) else { panic!() };
        assert_eq!(seq, 1);
        let names: Vec<&str> = attributes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["UID", "RFC822.SIZE", "INTERNALDATE", "ENVELOPE", "BODYSTRUCTURE", "BODY[]", "FLAGS"]
        );
        assert_eq!(attributes[0].1.as_u64(), Some(1));
        assert_eq!(attributes[5].1, Value::Str(b"ab\r\nc".to_vec()));
        let envelope = attributes[3].1.as_list().unwrap();
        assert_eq!(envelope.len(), 10);
        assert_eq!(envelope[9].as_text().as_deref(), Some("<m1@example.com>"));
        assert_eq!(envelope[3], Value::Nil);

        let Untagged::Fetch { attributes, .. } =
            untagged(b"* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT TO)]<0> \"x\" MODSEQ (12))")
        else {
            panic!()
        };
        assert_eq!(attributes[0].0, "BODY[HEADER.FIELDS (SUBJECT TO)]<0>");
        assert_eq!(attributes[1].1, Value::List(vec![Value::Atom("12".into())]));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        let deep = format!("* 1 FETCH ({}{})", "(".repeat(500), ")".repeat(500));
        assert!(parse_response(deep.as_bytes()).is_err());
        for raw in [
            &b"* 1 FETCH (UID"[..],
            b"* 1 FETCH (BODY[] {99}\r\nshort)",
            b"* 1 FETCH (BODY[] {18446744073709551615}\r\n)",
            b"* 1 FETCH (UID \"unterminated)",
            b"* 1 FETCH UID 1",
            b"* LIST",
            b"* STATUS",
            b"",
            b"*",
        ] {
            assert!(parse_response(raw).is_err(), "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn literals_are_found_only_where_they_can_be() {
        assert_eq!(trailing_literal(b"* 1 FETCH (UID 1 BODY[] {173}\r\n"), Some(173));
        assert_eq!(trailing_literal(b"* LIST () \"/\" {4+}\r\n"), Some(4));
        assert_eq!(trailing_literal(b"* 1 FETCH (UID 1)\r\n"), None);
        assert_eq!(trailing_literal(b"* 1 FETCH {}\r\n"), None);
        assert_eq!(trailing_literal(b"* 1 FETCH {99999999999999999999}\r\n"), None);
        assert!(may_carry_literals(b"* 1 FETCH (BODY[] {5}\r\n"));
        assert!(may_carry_literals(b"* LIST () \"/\" {5}\r\n"));
        assert!(!may_carry_literals(b"* OK see {5}\r\n"));
        assert!(!may_carry_literals(b"a1 NO nope {5}\r\n"));
        assert!(!may_carry_literals(b"+ {5}\r\n"));
    }
}
