//! Drive's `fields` selectors (`nextPageToken,files(id,name)`, `files/id`, `*`) and the
//! subset of its `q` language the sandbox understands (terms joined by `and`).

use std::collections::BTreeMap;

use chrono::DateTime;
use serde_json::Value;

use super::mime_of;
use crate::sandbox::state::{Account, DriveKind, ItemIdx};

// ---------------------------------------------------------------------------------------
// `fields` selectors: `nextPageToken,files(id,name,parents)`, `files/id`, `*`.

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct FieldMask {
    all: bool,
    fields: BTreeMap<String, Option<FieldMask>>,
}

pub(super) fn parse_fields(text: &str) -> Result<FieldMask, String> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut pos = 0;
    let mask = parse_field_list(&chars, &mut pos)?;
    if pos != chars.len() {
        return Err(format!("Invalid field selection {text}"));
    }
    Ok(mask)
}

fn parse_field_list(chars: &[char], pos: &mut usize) -> Result<FieldMask, String> {
    let mut mask = FieldMask::default();
    loop {
        let start = *pos;
        while *pos < chars.len()
            && (chars[*pos].is_ascii_alphanumeric() || "_*/.".contains(chars[*pos]))
        {
            *pos += 1;
        }
        let path: String = chars[start..*pos].iter().collect();
        if path.is_empty() {
            return Err("Invalid field selection".into());
        }
        let sub = if *pos < chars.len() && chars[*pos] == '(' {
            *pos += 1;
            let sub = parse_field_list(chars, pos)?;
            if *pos >= chars.len() || chars[*pos] != ')' {
                return Err("Invalid field selection: unbalanced parentheses".into());
            }
            *pos += 1;
            Some(sub)
        } else {
            None
        };
        mask.insert_path(&path, sub);
        if *pos < chars.len() && chars[*pos] == ',' {
            *pos += 1;
            continue;
        }
        return Ok(mask);
    }
}

impl FieldMask {
    fn insert_path(&mut self, path: &str, sub: Option<FieldMask>) {
        if path == "*" && sub.is_none() {
            self.all = true;
            return;
        }
        match path.split_once('/') {
            None => {
                self.fields.insert(path.to_string(), sub);
            }
            Some((head, rest)) => {
                let entry = self
                    .fields
                    .entry(head.to_string())
                    .or_insert_with(|| Some(FieldMask::default()));
                if let Some(child) = entry {
                    child.insert_path(rest, sub);
                }
            }
        }
    }

    /// Whether the field at `path` (e.g. `files`, `md5Checksum`) is selected.
    pub(super) fn wants(&self, path: &[&str]) -> bool {
        if self.all {
            return true;
        }
        match path.split_first() {
            None => true,
            Some((head, rest)) => match self.fields.get(*head) {
                None => false,
                Some(None) => true,
                Some(Some(sub)) => sub.wants(rest),
            },
        }
    }

    pub(super) fn apply(&self, value: &mut Value) {
        if self.all {
            return;
        }
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            Value::Object(map) => {
                map.retain(|k, _| self.fields.contains_key(k));
                for (k, v) in map.iter_mut() {
                    if let Some(Some(sub)) = self.fields.get(k) {
                        sub.apply(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// Unknown names are rejected the way Drive does ("Invalid field selection").
    pub(super) fn validate(&self, schema: Schema) -> Result<(), String> {
        if self.all {
            return Ok(());
        }
        for (name, sub) in &self.fields {
            let known = schema.fields().map(|f| f.contains(&name.as_str())).unwrap_or(true);
            if !known {
                return Err(format!("Invalid field selection {name}"));
            }
            if let (Some(sub), Some(child)) = (sub, schema.child(name)) {
                sub.validate(child)?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Schema {
    FileList,
    File,
    ChangeList,
    Change,
    DriveList,
    Drive,
    About,
    User,
    StartPageToken,
    Any,
}

/// Property names from the discovery document's schemas.
const FILE_FIELDS: &[&str] = &[
    "appProperties",
    "capabilities",
    "clientEncryptionDetails",
    "contentHints",
    "contentRestrictions",
    "copyRequiresWriterPermission",
    "createdTime",
    "description",
    "downloadRestrictions",
    "driveId",
    "explicitlyTrashed",
    "exportLinks",
    "fileExtension",
    "folderColorRgb",
    "fullFileExtension",
    "hasAugmentedPermissions",
    "hasThumbnail",
    "headRevisionId",
    "iconLink",
    "id",
    "imageMediaMetadata",
    "inheritedPermissionsDisabled",
    "isAppAuthorized",
    "kind",
    "labelInfo",
    "lastModifyingUser",
    "linkShareMetadata",
    "md5Checksum",
    "mimeType",
    "modifiedByMe",
    "modifiedByMeTime",
    "modifiedTime",
    "name",
    "originalFilename",
    "ownedByMe",
    "owners",
    "parents",
    "permissionIds",
    "permissions",
    "properties",
    "quotaBytesUsed",
    "resourceKey",
    "sha1Checksum",
    "sha256Checksum",
    "shared",
    "sharedWithMeTime",
    "sharingUser",
    "shortcutDetails",
    "size",
    "spaces",
    "starred",
    "teamDriveId",
    "thumbnailLink",
    "thumbnailVersion",
    "trashed",
    "trashedTime",
    "trashingUser",
    "version",
    "videoMediaMetadata",
    "viewedByMe",
    "viewedByMeTime",
    "viewersCanCopyContent",
    "webContentLink",
    "webViewLink",
    "writersCanShare",
];

impl Schema {
    fn fields(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Schema::FileList => &["files", "incompleteSearch", "kind", "nextPageToken"],
            Schema::File => FILE_FIELDS,
            Schema::ChangeList => &["changes", "kind", "newStartPageToken", "nextPageToken"],
            Schema::Change => &[
                "changeType",
                "drive",
                "driveId",
                "file",
                "fileId",
                "kind",
                "removed",
                "teamDrive",
                "teamDriveId",
                "time",
                "type",
            ],
            Schema::DriveList => &["drives", "kind", "nextPageToken"],
            Schema::Drive => &[
                "backgroundImageFile",
                "backgroundImageLink",
                "capabilities",
                "colorRgb",
                "createdTime",
                "hidden",
                "id",
                "kind",
                "name",
                "orgUnitId",
                "restrictions",
                "themeId",
            ],
            Schema::About => &[
                "appInstalled",
                "canCreateDrives",
                "canCreateTeamDrives",
                "driveThemes",
                "exportFormats",
                "folderColorPalette",
                "importFormats",
                "kind",
                "maxImportSizes",
                "maxUploadSize",
                "storageQuota",
                "teamDriveThemes",
                "user",
            ],
            Schema::User => {
                &["displayName", "emailAddress", "kind", "me", "permissionId", "photoLink"]
            }
            Schema::StartPageToken => &["kind", "startPageToken"],
            Schema::Any => return None,
        })
    }

    fn child(self, field: &str) -> Option<Schema> {
        Some(match (self, field) {
            (Schema::FileList, "files") => Schema::File,
            (Schema::ChangeList, "changes") => Schema::Change,
            (Schema::Change, "file") => Schema::File,
            (Schema::Change, "drive") => Schema::Drive,
            (Schema::DriveList, "drives") => Schema::Drive,
            (Schema::About, "user") => Schema::User,
            (Schema::File, "owners" | "lastModifyingUser" | "sharingUser" | "trashingUser") => {
                Schema::User
            }
            _ => Schema::Any,
        })
    }
}

// ---------------------------------------------------------------------------------------
// `q`: terms joined by `and`: `'<id>' in parents`, `trashed = false`, `mimeType != '…'`,
// `name = '…'`, `name contains '…'`, `modifiedTime > '…'`, `'me' in owners`.

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str(String),
    Word(String),
    Op(&'static str),
    Paren,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Term {
    InParents(String),
    InOwners(String),
    Trashed { equals: bool, value: bool },
    Starred { equals: bool, value: bool },
    Text { field: TextField, op: &'static str, value: String },
    Time { field: TimeField, op: &'static str, value: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum TextField {
    Name,
    MimeType,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum TimeField {
    Modified,
    Created,
}

fn lex(q: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string".into()),
                    Some('\\') => {
                        text.extend(chars.get(i + 1));
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            tokens.push(Tok::Str(text));
        } else if c == '(' || c == ')' {
            tokens.push(Tok::Paren);
            i += 1;
        } else if "=!<>".contains(c) {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "!=" => "!=",
                "<=" => "<=",
                ">=" => ">=",
                _ => match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    _ => return Err("unexpected '!'".into()),
                },
            };
            i += op.len();
            tokens.push(Tok::Op(op));
        } else {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.-".contains(chars[i])) {
                i += 1;
            }
            if start == i {
                return Err(format!("unexpected {c:?}"));
            }
            tokens.push(Tok::Word(chars[start..i].iter().collect()));
        }
    }
    Ok(tokens)
}

pub(super) fn parse_q(q: &str) -> Result<Vec<Term>, String> {
    let tokens = lex(q)?;
    if tokens.contains(&Tok::Paren) {
        return Err("parentheses are not supported by the sandbox".into());
    }
    let mut terms = Vec::new();
    for clause in tokens.split(|t| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case("and"))) {
        terms.push(parse_term(clause)?);
    }
    Ok(terms)
}

fn parse_term(tokens: &[Tok]) -> Result<Term, String> {
    let word = |t: &Tok, w: &str| matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w));
    match tokens {
        [Tok::Str(id), kw, Tok::Word(coll)] if word(kw, "in") => match coll.as_str() {
            "parents" => Ok(Term::InParents(id.clone())),
            "owners" => Ok(Term::InOwners(id.clone())),
            _ => Err(format!("unsupported collection {coll}")),
        },
        [Tok::Word(field), op, value] => {
            let op = match op {
                Tok::Op(op) => *op,
                t if word(t, "contains") => "contains",
                _ => return Err("expected an operator".into()),
            };
            match (field.as_str(), value) {
                ("trashed" | "starred", Tok::Word(v)) if op == "=" || op == "!=" => {
                    let value = match v.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(format!("{field} takes true or false")),
                    };
                    let equals = op == "=";
                    Ok(if field == "trashed" {
                        Term::Trashed { equals, value }
                    } else {
                        Term::Starred { equals, value }
                    })
                }
                ("name" | "mimeType", Tok::Str(v)) if ["=", "!=", "contains"].contains(&op) => {
                    Ok(Term::Text {
                        field: if field == "name" { TextField::Name } else { TextField::MimeType },
                        op,
                        value: v.clone(),
                    })
                }
                ("modifiedTime" | "createdTime", Tok::Str(v)) if op != "contains" => {
                    let value = DateTime::parse_from_rfc3339(v)
                        .map_err(|_| format!("{v} is not an RFC 3339 date-time"))?
                        .timestamp_millis();
                    let field = if field == "modifiedTime" {
                        TimeField::Modified
                    } else {
                        TimeField::Created
                    };
                    Ok(Term::Time { field, op, value })
                }
                _ => Err(format!("unsupported query term on {field}")),
            }
        }
        _ => Err("unsupported query (the sandbox understands terms joined by 'and')".into()),
    }
}

pub(super) fn matches(acct: &Account, idx: ItemIdx, terms: &[Term]) -> bool {
    let item = acct.item(idx);
    terms.iter().all(|term| match term {
        Term::InParents(id) => item.parent.is_some_and(|p| {
            let parent = acct.item(p);
            *parent.id == **id
                || (id == "root"
                    && parent.is_root()
                    && acct.drive(parent.drive).kind == DriveKind::MyDrive)
        }),
        Term::InOwners(who) => {
            acct.drive(item.drive).kind == DriveKind::MyDrive
                && (who == "me" || *who == acct.profile.email)
        }
        Term::Trashed { equals, value } => (item.trashed == *value) == *equals,
        // Nothing in the sandbox is starred.
        Term::Starred { equals, value } => *value != *equals,
        Term::Text { field, op, value } => {
            let actual = match field {
                TextField::Name => item.name.to_string(),
                TextField::MimeType => mime_of(item),
            };
            match *op {
                "=" => actual == *value,
                "!=" => actual != *value,
                _ => actual.to_lowercase().contains(&value.to_lowercase()),
            }
        }
        Term::Time { field, op, value } => {
            let actual = match field {
                TimeField::Modified => item.modified_ms,
                TimeField::Created => item.created_ms,
            };
            match *op {
                "=" => actual == *value,
                "!=" => actual != *value,
                "<" => actual < *value,
                "<=" => actual <= *value,
                ">" => actual > *value,
                _ => actual >= *value,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selectors_nest_and_filter() {
        let mask = parse_fields("nextPageToken,files(id,name),files/parents").unwrap();
        let mut value = serde_json::json!({
            "kind": "drive#fileList", "nextPageToken": "x",
            "files": [{"id": "1", "name": "a", "parents": ["p"], "size": "3"}]
        });
        mask.apply(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"nextPageToken": "x", "files": [{"id": "1", "name": "a", "parents": ["p"]}]})
        );
        assert!(parse_fields("files(id,nmae)").unwrap().validate(Schema::FileList).is_err());
        // Checksums are computed only when selected.
        assert!(!mask.wants(&["files", "md5Checksum"]));
        assert!(parse_fields("files").unwrap().wants(&["files", "md5Checksum"]));
        assert!(parse_fields("changes(file(md5Checksum))").unwrap().wants(&[
            "changes",
            "file",
            "md5Checksum"
        ]));
        assert!(parse_fields("*").unwrap().wants(&["changes", "file", "sha256Checksum"]));
        assert!(parse_fields("files(id").is_err());
    }

    #[test]
    fn queries_accept_and_joined_terms_only() {
        let terms = parse_q("'abc' in parents and trashed = false and mimeType != 'application/vnd.google-apps.folder'").unwrap();
        assert_eq!(terms.len(), 3);
        assert_eq!(terms[0], Term::InParents("abc".into()));
        assert!(parse_q("name = 'a' or name = 'b'").is_err());
        assert!(parse_q("(trashed = false)").is_err());
        assert_eq!(
            parse_q("name = 'it\\'s'").unwrap(),
            vec![Term::Text { field: TextField::Name, op: "=", value: "it's".into() }]
        );
    }
}
