//! The CQL and JQL subset the simulators understand: `field op value` clauses with `=`, `!=`,
//! `>`, `>=`, `<`, `<=`, `~`, `IN (…)` and `NOT IN (…)`, joined by `AND` / `OR` with
//! parentheses, and an `ORDER BY field [ASC|DESC], …` tail. Values are bare words, numbers or
//! quoted strings. Dates are `"yyyy-MM-dd HH:mm"`, `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd"` (UTC),
//! or, in JQL, epoch milliseconds.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    In,
    NotIn,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp { field: String, op: Op, values: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Query {
    pub filter: Option<Expr>,
    /// Field (lower case) and whether ascending.
    pub order: Vec<(String, bool)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(Op),
    Open,
    Close,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '"' | '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('\\') => {
                            if let Some(next) = chars.get(i + 1) {
                                value.push(*next);
                            }
                            i += 2;
                        }
                        Some(q) if *q == c => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Quoted(value));
            }
            '=' => {
                out.push(Token::Op(Op::Eq));
                i += 1;
            }
            '~' => {
                out.push(Token::Op(Op::Contains));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Token::Op(Op::Ne));
                i += 2;
            }
            '>' | '<' => {
                let or_equal = chars.get(i + 1) == Some(&'=');
                out.push(Token::Op(match (c, or_equal) {
                    ('>', true) => Op::Ge,
                    ('>', false) => Op::Gt,
                    ('<', true) => Op::Le,
                    _ => Op::Lt,
                }));
                i += if or_equal { 2 } else { 1 };
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !"()=,!<>~\"'".contains(chars[i])
                {
                    i += 1;
                }
                if start == i {
                    return Err(format!("unexpected character {c:?}"));
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.primary()?];
        while self.keyword("and") {
            self.at += 1;
            parts.push(self.primary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn primary(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err("expected )".into());
            }
            return Ok(inner);
        }
        let field = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            other => return Err(format!("expected a field, found {other:?}")),
        };
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("in") => Op::In,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => match self.next() {
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("in") => Op::NotIn,
                _ => return Err("expected IN after NOT".into()),
            },
            other => return Err(format!("expected an operator after {field}, found {other:?}")),
        };
        let values = if matches!(op, Op::In | Op::NotIn) {
            if self.next() != Some(Token::Open) {
                return Err("expected ( after IN".into());
            }
            let mut values = Vec::new();
            loop {
                values.push(self.value()?);
                match self.next() {
                    Some(Token::Comma) => continue,
                    Some(Token::Close) => break,
                    other => return Err(format!("expected , or ) in a list, found {other:?}")),
                }
            }
            values
        } else {
            vec![self.value()?]
        };
        Ok(Expr::Cmp { field, op, values })
    }

    fn value(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Word(w)) | Some(Token::Quoted(w)) => Ok(w),
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}

/// Parses a CQL or JQL query.
pub(crate) fn parse(text: &str) -> Result<Query, String> {
    let tokens = tokenize(text)?;
    // Split off ORDER BY (outside quotes, which the tokenizer already resolved).
    let order_at = tokens.windows(2).position(|w| {
        matches!((&w[0], &w[1]), (Token::Word(a), Token::Word(b))
            if a.eq_ignore_ascii_case("order") && b.eq_ignore_ascii_case("by"))
    });
    let (filter_tokens, order_tokens) = match order_at {
        Some(at) => (tokens[..at].to_vec(), tokens[at + 2..].to_vec()),
        None => (tokens, Vec::new()),
    };
    let filter = if filter_tokens.is_empty() {
        None
    } else {
        let mut parser = Parser { tokens: filter_tokens, at: 0 };
        let expr = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err(format!("unexpected {:?}", parser.tokens[parser.at]));
        }
        Some(expr)
    };
    let mut order = Vec::new();
    let mut i = 0;
    while i < order_tokens.len() {
        let field = match &order_tokens[i] {
            Token::Word(w) | Token::Quoted(w) => w.to_ascii_lowercase(),
            other => return Err(format!("expected a field to order by, found {other:?}")),
        };
        i += 1;
        let mut ascending = true;
        if let Some(Token::Word(w)) = order_tokens.get(i) {
            if w.eq_ignore_ascii_case("desc") {
                ascending = false;
                i += 1;
            } else if w.eq_ignore_ascii_case("asc") {
                i += 1;
            }
        }
        if order_tokens.get(i) == Some(&Token::Comma) {
            i += 1;
        }
        order.push((field, ascending));
    }
    Ok(Query { filter, order })
}

impl Expr {
    /// Evaluates with `clause(field, op, values)` deciding each comparison.
    pub(crate) fn eval<F>(&self, clause: &mut F) -> Result<bool, String>
    where
        F: FnMut(&str, Op, &[String]) -> Result<bool, String>,
    {
        match self {
            Expr::And(parts) => {
                for part in parts {
                    if !part.eval(clause)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(parts) => {
                for part in parts {
                    if part.eval(clause)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Cmp { field, op, values } => clause(field, *op, values),
        }
    }
}

/// A date literal in UTC milliseconds: epoch milliseconds (JQL) or `yyyy-MM-dd[ HH:mm]`
/// with `-` or `/` separators.
pub(crate) fn parse_date(value: &str) -> Option<i64> {
    let value = value.trim();
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) && value.len() > 8 {
        return value.parse().ok();
    }
    let normalized = value.replace('/', "-");
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&normalized, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(&normalized, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// Compares two ordered values with `op`.
pub(crate) fn compare<T: PartialOrd>(left: T, op: Op, right: T) -> bool {
    match op {
        Op::Eq | Op::In => left == right,
        Op::Ne | Op::NotIn => left != right,
        Op::Gt => left > right,
        Op::Ge => left >= right,
        Op::Lt => left < right,
        Op::Le => left <= right,
        Op::Contains => false,
    }
}

/// `field op values` for a field with one value (ids, keys, types): equality and lists.
pub(crate) fn matches_any(actual: &str, op: Op, values: &[String]) -> Result<bool, String> {
    let hit = values.iter().any(|v| v.eq_ignore_ascii_case(actual));
    match op {
        Op::Eq | Op::In => Ok(hit),
        Op::Ne | Op::NotIn => Ok(!hit),
        Op::Contains => Ok(values.iter().any(|v| {
            actual.to_lowercase().contains(&v.to_lowercase().trim_matches('*').to_string())
        })),
        _ => Err("this field only supports =, !=, IN and NOT IN".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_clauses_a_sync_client_sends() {
        let q = parse(
            "space = \"ENG\" AND type IN (page, blogpost) AND lastmodified >= \"2024-01-08 09:05\" ORDER BY lastmodified ASC, id",
        )
        .unwrap();
        assert_eq!(q.order, vec![("lastmodified".into(), true), ("id".into(), true)]);
        let Some(Expr::And(parts)) = q.filter else { panic!() };
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[1],
            Expr::Cmp {
                field: "type".into(),
                op: Op::In,
                values: vec!["page".into(), "blogpost".into()]
            }
        );
        let q = parse("project = ENG AND updated >= 1704704700000 ORDER BY updated ASC").unwrap();
        assert!(q.filter.is_some());
        assert!(parse("(id = 1 OR ancestor = 1) AND type = page").is_ok());
        assert!(parse("space = ").is_err());
        assert!(parse("type in (page").is_err());
        assert_eq!(parse_date("2024-01-08 09:05"), Some(1_704_704_700_000));
        assert_eq!(parse_date("2024/01/08 09:05"), Some(1_704_704_700_000));
        assert_eq!(parse_date("1704704700000"), Some(1_704_704_700_000));
        assert_eq!(parse_date("2024-01-08"), Some(1_704_672_000_000));
        assert_eq!(parse_date("yesterday"), None);
    }
}
