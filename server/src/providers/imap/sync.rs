//! The mailbox tree, listings, the change feed and single-message lookups,
//! each a short conversation over one [`ImapSession`].
//!
//! Identity is always `(mailbox, UIDVALIDITY, UID)`; sequence numbers are
//! never used. A change scope is one mailbox (`mailbox:<name>`) and its cursor
//! is [`ImapCursor`]: with QRESYNC the highest MODSEQ seen (deletions come
//! back as `VANISHED (EARLIER)`), without it the UIDs the last run saw (the
//! deletions are the difference to `UID SEARCH ALL`). New mail is whatever
//! lies above the highest UID seen.

use std::collections::{BTreeMap, HashMap};

use app::model::{EntryKind, FolderEntry, SourcePath};
use serde::{Deserialize, Serialize};

use super::super::{
    Change, ChangePage, ErrorKind, ListPage, ProviderError, ProviderResult, RemoteItem, ScopeCursor,
};
use super::message::{
    FetchedMessage, ITEM_FETCH, decode_mailbox_name, display_path, item_id, remote_item,
};
use super::parse::{RespCode, StatusKind, Untagged};
use super::session::{Completion, ImapSession, command_error, expect_ok, quoted};
use super::uidset::UidSet;

pub const SCOPE_PREFIX: &str = "mailbox:";
/// More expunged UIDs than this in one VANISHED answer (a server that lost
/// track answers `1:<last>`) is cheaper to handle by relisting.
const MAX_VANISHED: u64 = 100_000;
/// STATUS commands sent in one pipeline for picker counts.
const MAX_STATUS_PIPELINE: usize = 200;

/// Where a mailbox's change feed stands. Serialized as compact JSON, e.g.
/// `{"uidvalidity":1795823166,"last_uid":42,"modseq":97}` (QRESYNC) or
/// `{"uidvalidity":1795823166,"last_uid":42,"uids":"1:5,7,9:42"}` (fallback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapCursor {
    pub uidvalidity: u32,
    /// Every message with a UID up to this one has been reported.
    pub last_uid: u32,
    /// HIGHESTMODSEQ when the cursor was taken (QRESYNC servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modseq: Option<u64>,
    /// The UIDs up to `last_uid` that existed (servers without QRESYNC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uids: Option<String>,
}

impl ImapCursor {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(text: &str) -> ProviderResult<Self> {
        serde_json::from_str(text).map_err(|_| {
            ProviderError::new(ErrorKind::CursorInvalid, "the mailbox cursor is not readable")
        })
    }
}

/// Where a listing stands between pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ListToken {
    /// Mailboxes still to list; the first is under way when `rest` is set.
    mailboxes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uidvalidity: Option<u32>,
    /// The UIDs of the first mailbox still to fetch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rest: Option<String>,
}

/// A mailbox as LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    pub name: String,
    pub delimiter: Option<char>,
    pub selectable: bool,
    pub messages: Option<u64>,
}

impl MailboxInfo {
    /// The last level of the name, decoded, as the picker shows it.
    fn display_name(&self) -> String {
        let last = match self.delimiter {
            Some(d) => self.name.rsplit(d).next().unwrap_or(&self.name),
            None => &self.name,
        };
        decode_mailbox_name(last)
    }
}

/// What EXAMINE says about a mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxState {
    pub uidvalidity: u32,
    pub uidnext: Option<u32>,
    pub highest_modseq: Option<u64>,
    /// `VANISHED (EARLIER)` after a QRESYNC EXAMINE.
    pub vanished: UidSet,
}

fn cursor_invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::CursorInvalid, message)
}

/// Every mailbox (`LIST "" "*"`), with message counts when the server can
/// return them in the same answer (LIST-STATUS) and `with_counts` is set.
/// Parents that exist only as part of a child's name are added as non-selectable.
pub async fn list_mailboxes(
    session: &mut ImapSession,
    with_counts: bool,
) -> ProviderResult<Vec<MailboxInfo>> {
    let command = if with_counts && session.has_capability("LIST-STATUS") {
        r#"LIST "" "*" RETURN (CHILDREN STATUS (MESSAGES))"#
    } else {
        r#"LIST "" "*""#
    };
    let done = session.run(command).await?;
    let mut counts = HashMap::new();
    let mut mailboxes: BTreeMap<String, MailboxInfo> = BTreeMap::new();
    for response in done.untagged {
        match response {
            Untagged::List(entry) => {
                let selectable =
                    !entry.has_attribute("\\Noselect") && !entry.has_attribute("\\NonExistent");
                mailboxes.insert(
                    entry.name.clone(),
                    MailboxInfo {
                        name: entry.name,
                        delimiter: entry.delimiter,
                        selectable,
                        messages: None,
                    },
                );
            }
            Untagged::MailboxStatus { mailbox, items } => {
                if let Some((_, n)) = items.iter().find(|(k, _)| k == "MESSAGES") {
                    counts.insert(mailbox, *n);
                }
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for mailbox in mailboxes.values() {
        let Some(d) = mailbox.delimiter else { continue };
        let mut end = 0;
        while let Some(i) = mailbox.name[end..].find(d) {
            let parent = &mailbox.name[..end + i];
            if !mailboxes.contains_key(parent) {
                missing.push((parent.to_string(), d));
            }
            end += i + d.len_utf8();
        }
    }
    for (name, d) in missing {
        mailboxes.entry(name.clone()).or_insert(MailboxInfo {
            name,
            delimiter: Some(d),
            selectable: false,
            messages: None,
        });
    }
    for mailbox in mailboxes.values_mut() {
        mailbox.messages = counts.get(&mailbox.name).copied();
    }
    if session.cached_delimiter().is_none()
        && let Some(first) = mailboxes.values().next()
    {
        session.cache_delimiter(first.delimiter);
    }
    Ok(mailboxes.into_values().collect())
}

/// The hierarchy delimiter (`LIST "" ""`), asked once per session.
pub async fn root_delimiter(session: &mut ImapSession) -> ProviderResult<Option<char>> {
    if let Some(cached) = session.cached_delimiter() {
        return Ok(cached);
    }
    let done = session.run(r#"LIST "" """#).await?;
    let delimiter = done.untagged.iter().find_map(|u| match u {
        Untagged::List(entry) => Some(entry.delimiter),
        _ => None,
    });
    let delimiter = delimiter.flatten();
    session.cache_delimiter(delimiter);
    Ok(delimiter)
}

/// The picker: the children of `parent` (top-level mailboxes for `None`).
pub async fn folder_entries(
    session: &mut ImapSession,
    parent: Option<&str>,
) -> ProviderResult<Vec<FolderEntry>> {
    let all = list_mailboxes(session, true).await?;
    let prefix = match parent {
        None => None,
        Some(name) => {
            let parent = all.iter().find(|m| m.name == name).ok_or_else(|| {
                ProviderError::not_found(format!("the mailbox {name} does not exist"))
            })?;
            match parent.delimiter {
                Some(d) => Some(format!("{name}{d}")),
                // A flat server: nothing lies below.
                None => return Ok(Vec::new()),
            }
        }
    };
    let mut children: Vec<&MailboxInfo> = all
        .iter()
        .filter(|m| match (&prefix, m.delimiter) {
            (None, None) => true,
            (None, Some(d)) => !m.name.contains(d),
            (Some(prefix), d) => m
                .name
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| !rest.is_empty() && d.is_none_or(|d| !rest.contains(d))),
        })
        .collect();
    children.sort_by_key(|m| (!m.name.eq_ignore_ascii_case("INBOX"), m.name.to_lowercase()));

    // Without LIST-STATUS, one pipelined STATUS per shown mailbox.
    let mut counts: HashMap<String, u64> = HashMap::new();
    if !session.has_capability("LIST-STATUS") {
        let wanted: Vec<String> = children
            .iter()
            .filter(|m| m.selectable)
            .take(MAX_STATUS_PIPELINE)
            .map(|m| m.name.clone())
            .collect();
        for (name, items) in status_many(session, &wanted, "(MESSAGES)").await? {
            if let Some(n) = items.get("MESSAGES") {
                counts.insert(name, *n);
            }
        }
    }

    Ok(children
        .into_iter()
        .map(|m| {
            let has_children = m.delimiter.is_some_and(|d| {
                let prefix = format!("{}{d}", m.name);
                all.iter().any(|other| other.name.starts_with(&prefix))
            });
            FolderEntry {
                remote_id: m.name.clone(),
                name: m.display_name(),
                path: display_path(&m.name, m.delimiter),
                kind: EntryKind::Mailbox,
                selectable: m.selectable,
                has_children: Some(has_children),
                file_count: m.messages.or_else(|| counts.get(&m.name).copied()),
                size: None,
                modified_at: None,
            }
        })
        .collect())
}

/// STATUS for several mailboxes in one round trip.
async fn status_many(
    session: &mut ImapSession,
    mailboxes: &[String],
    items: &str,
) -> ProviderResult<HashMap<String, HashMap<String, u64>>> {
    let mut tags = Vec::with_capacity(mailboxes.len());
    for mailbox in mailboxes {
        tags.push(session.send(&format!("STATUS {} {items}", quoted(mailbox)?)).await?);
    }
    let mut out = HashMap::new();
    for (mailbox, tag) in mailboxes.iter().zip(&tags) {
        let done = session.finish(tag).await?;
        let done = expect_ok("STATUS", done).map_err(|e| e.with_context("mailbox", mailbox))?;
        for response in done.untagged {
            if let Untagged::MailboxStatus { mailbox: name, items } = response
                && name == *mailbox
            {
                out.insert(name, items.into_iter().collect());
            }
        }
    }
    Ok(out)
}

/// The selectable mailboxes a selection covers: each selected mailbox and,
/// when the selection includes subfolders, every mailbox below it.
pub async fn selection_mailboxes(
    session: &mut ImapSession,
    selection: &[SourcePath],
) -> ProviderResult<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    if !selection.iter().any(|p| p.include_subfolders) {
        for path in selection {
            push(&path.remote_id);
        }
        return Ok(names);
    }
    let all = list_mailboxes(session, false).await?;
    for path in selection {
        let root = all.iter().find(|m| m.name == path.remote_id);
        // An unknown name is kept: EXAMINE then says what is wrong with it.
        if root.is_none_or(|m| m.selectable) {
            push(&path.remote_id);
        }
        let delimiter = root.and_then(|m| m.delimiter);
        if let (true, Some(d)) = (path.include_subfolders, delimiter) {
            let prefix = format!("{}{d}", path.remote_id);
            for child in all.iter().filter(|m| m.selectable && m.name.starts_with(&prefix)) {
                push(&child.name);
            }
        }
    }
    Ok(names)
}

/// Whether `mailbox` lies in the selection.
async fn in_selection(
    session: &mut ImapSession,
    selection: &[SourcePath],
    mailbox: &str,
) -> ProviderResult<bool> {
    if selection.iter().any(|p| p.remote_id == mailbox) {
        return Ok(true);
    }
    if !selection.iter().any(|p| p.include_subfolders) {
        return Ok(false);
    }
    let Some(d) = root_delimiter(session).await? else {
        return Ok(false);
    };
    Ok(selection
        .iter()
        .any(|p| p.include_subfolders && mailbox.starts_with(&format!("{}{d}", p.remote_id))))
}

/// Reads an EXAMINE answer and records the selected mailbox on the session.
fn examine_result(
    session: &mut ImapSession,
    mailbox: &str,
    done: Completion,
) -> ProviderResult<MailboxState> {
    if done.status.kind != StatusKind::Ok {
        session.set_selected(None);
        return Err(command_error("EXAMINE", &done.status).with_context("mailbox", mailbox));
    }
    let mut state = MailboxState::default();
    let mut uidvalidity = None;
    for response in &done.untagged {
        match response {
            Untagged::Status(status) => match status.code {
                Some(RespCode::UidValidity(n)) => uidvalidity = Some(n),
                Some(RespCode::UidNext(n)) => state.uidnext = Some(n),
                Some(RespCode::HighestModSeq(n)) => state.highest_modseq = Some(n),
                Some(RespCode::NoModSeq) => state.highest_modseq = None,
                _ => {}
            },
            Untagged::Vanished { earlier: true, uids } => {
                state.vanished = state.vanished.union(uids)
            }
            _ => {}
        }
    }
    let Some(uidvalidity) = uidvalidity else {
        session.set_selected(None);
        return Err(ProviderError::parse(format!("EXAMINE {mailbox} did not say its UIDVALIDITY")));
    };
    state.uidvalidity = uidvalidity;
    session.set_selected(Some((mailbox.to_string(), uidvalidity)));
    Ok(state)
}

/// `UID SEARCH` with `criteria`, as ESEARCH ranges when the server can.
async fn send_search(session: &mut ImapSession, criteria: &str) -> ProviderResult<String> {
    if session.has_capability("ESEARCH") {
        session.send(&format!("UID SEARCH RETURN (ALL) {criteria}")).await
    } else {
        session.send(&format!("UID SEARCH {criteria}")).await
    }
}

fn search_result(tag: &str, done: Completion) -> ProviderResult<UidSet> {
    let done = expect_ok("SEARCH", done)?;
    let mut uids = UidSet::new();
    for response in done.untagged {
        match response {
            Untagged::Search(found) => uids = uids.union(&UidSet::from_uids(found)),
            Untagged::ESearch { tag: t, all } if t.as_deref().is_none_or(|t| t == tag) => {
                uids = uids.union(&all)
            }
            _ => {}
        }
    }
    Ok(uids)
}

/// EXAMINE and `UID SEARCH ALL` in one round trip.
async fn examine_and_search(
    session: &mut ImapSession,
    mailbox: &str,
) -> ProviderResult<(MailboxState, UidSet)> {
    let examine = session.send(&format!("EXAMINE {}", quoted(mailbox)?)).await?;
    let search = send_search(session, "ALL").await?;
    let done = session.finish(&examine).await?;
    let state = match examine_result(session, mailbox, done) {
        Ok(state) => state,
        Err(e) => {
            let _ = session.finish(&search).await;
            return Err(e);
        }
    };
    let done = session.finish(&search).await?;
    Ok((state, search_result(&search, done)?))
}

/// The messages `uids` of `mailbox` as items. Selects the mailbox first (in the
/// same round trip) unless it already is; a different UIDVALIDITY fails with
/// [`ErrorKind::CursorInvalid`].
async fn fetch_items(
    session: &mut ImapSession,
    mailbox: &str,
    uidvalidity: u32,
    uids: &UidSet,
) -> ProviderResult<Vec<RemoteItem>> {
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let delimiter = root_delimiter(session).await?;
    let examine = if session.selected() == Some((mailbox, uidvalidity)) {
        None
    } else {
        Some(session.send(&format!("EXAMINE {}", quoted(mailbox)?)).await?)
    };
    let fetch = session.send(&format!("UID FETCH {uids} {ITEM_FETCH}")).await?;
    if let Some(examine) = examine {
        let done = session.finish(&examine).await?;
        let checked = examine_result(session, mailbox, done).and_then(|state| {
            if state.uidvalidity == uidvalidity {
                Ok(())
            } else {
                Err(cursor_invalid(format!("the UIDVALIDITY of {mailbox} changed")))
            }
        });
        if let Err(e) = checked {
            let _ = session.finish(&fetch).await;
            return Err(e);
        }
    }
    let done = expect_ok("FETCH", session.finish(&fetch).await?)?;
    let mut messages: Vec<FetchedMessage> = done
        .untagged
        .iter()
        .filter_map(|u| match u {
            Untagged::Fetch { attributes, .. } => FetchedMessage::from_fetch(attributes),
            _ => None,
        })
        .filter(|m| uids.contains(m.uid))
        .collect();
    messages.sort_by_key(|m| m.uid);
    messages.dedup_by_key(|m| m.uid);
    let path = display_path(mailbox, delimiter);
    Ok(messages.iter().map(|m| remote_item(mailbox, &path, uidvalidity, m)).collect())
}

/// One page of the messages of a selection.
pub async fn list_page(
    session: &mut ImapSession,
    selection: &SourcePath,
    page: Option<&str>,
    page_size: usize,
) -> ProviderResult<ListPage> {
    let mut token = match page {
        None => ListToken {
            mailboxes: selection_mailboxes(session, std::slice::from_ref(selection)).await?,
            uidvalidity: None,
            rest: None,
        },
        Some(text) => serde_json::from_str(text)
            .map_err(|_| ProviderError::invalid("the listing page token is not readable"))?,
    };
    let mut items = Vec::new();
    while items.len() < page_size {
        let Some(mailbox) = token.mailboxes.first().cloned() else { break };
        let (uidvalidity, pending) = match (token.uidvalidity, token.rest.take()) {
            (Some(uidvalidity), Some(rest)) => {
                let pending = UidSet::parse(&rest).ok_or_else(|| {
                    ProviderError::invalid("the listing page token is not readable")
                })?;
                (uidvalidity, pending)
            }
            _ => {
                let (state, all) = examine_and_search(session, &mailbox).await?;
                (state.uidvalidity, all)
            }
        };
        let (head, tail) = pending.split_first((page_size - items.len()) as u64);
        items.extend(fetch_items(session, &mailbox, uidvalidity, &head).await?);
        if tail.is_empty() {
            token.mailboxes.remove(0);
            token.uidvalidity = None;
        } else {
            token.uidvalidity = Some(uidvalidity);
            token.rest = Some(tail.to_string());
        }
    }
    let next = if token.mailboxes.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&token).map_err(ProviderError::from)?)
    };
    Ok(ListPage { items, next })
}

/// Cursors for every mailbox of the selection, taken before a full listing.
pub async fn start_cursors(
    session: &mut ImapSession,
    selection: &[SourcePath],
) -> ProviderResult<Vec<ScopeCursor>> {
    let mailboxes = selection_mailboxes(session, selection).await?;
    let mut cursors: HashMap<String, ImapCursor> = HashMap::new();
    if session.qresync() {
        let statuses =
            status_many(session, &mailboxes, "(UIDVALIDITY UIDNEXT HIGHESTMODSEQ)").await?;
        for (name, items) in statuses {
            let (Some(&uidvalidity), Some(&uidnext), Some(&modseq)) =
                (items.get("UIDVALIDITY"), items.get("UIDNEXT"), items.get("HIGHESTMODSEQ"))
            else {
                continue;
            };
            // A mailbox without modification sequences reports 0: use the fallback.
            if modseq == 0 {
                continue;
            }
            let (Ok(uidvalidity), Ok(uidnext)) =
                (u32::try_from(uidvalidity), u32::try_from(uidnext))
            else {
                continue;
            };
            cursors.insert(
                name,
                ImapCursor {
                    uidvalidity,
                    last_uid: uidnext.saturating_sub(1),
                    modseq: Some(modseq),
                    uids: None,
                },
            );
        }
    }
    for mailbox in &mailboxes {
        if cursors.contains_key(mailbox) {
            continue;
        }
        let (state, uids) = examine_and_search(session, mailbox).await?;
        let last_uid =
            state.uidnext.map_or(0, |n| n.saturating_sub(1)).max(uids.max().unwrap_or(0));
        cursors.insert(
            mailbox.clone(),
            ImapCursor {
                uidvalidity: state.uidvalidity,
                last_uid,
                modseq: None,
                uids: Some(uids.up_to(last_uid).to_string()),
            },
        );
    }
    Ok(mailboxes
        .into_iter()
        .filter_map(|m| {
            let cursor = cursors.remove(&m)?.encode();
            Some(ScopeCursor { scope: format!("{SCOPE_PREFIX}{m}"), cursor })
        })
        .collect())
}

/// One page of changes of one mailbox since `cursor`.
pub async fn changes(
    session: &mut ImapSession,
    selection: &[SourcePath],
    scope: &str,
    cursor: &str,
    page_size: usize,
) -> ProviderResult<ChangePage> {
    let mailbox = scope
        .strip_prefix(SCOPE_PREFIX)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ProviderError::invalid(format!("{scope:?} is not a mailbox scope")))?;
    let parsed = ImapCursor::decode(cursor)?;
    if !in_selection(session, selection, mailbox).await? {
        // Deselected since the cursor was taken: nothing of it to report.
        return Ok(ChangePage { changes: Vec::new(), cursor: cursor.to_string(), done: true });
    }
    match (parsed.modseq, &parsed.uids) {
        (Some(modseq), _) if session.qresync() => {
            changes_qresync(session, mailbox, &parsed, modseq, page_size).await
        }
        (_, Some(uids)) => {
            let known = UidSet::parse(uids)
                .ok_or_else(|| cursor_invalid("the mailbox cursor is not readable"))?;
            changes_by_diff(session, mailbox, &parsed, &known, page_size).await
        }
        _ => Err(cursor_invalid("the mail server no longer offers QRESYNC; starting over")),
    }
}

fn deletions(mailbox: &str, uidvalidity: u32, uids: &UidSet) -> Vec<Change> {
    uids.iter().map(|uid| Change::Delete { id: item_id(mailbox, uidvalidity, uid) }).collect()
}

fn check_uidvalidity(
    mailbox: &str,
    state: &MailboxState,
    cursor: &ImapCursor,
) -> ProviderResult<()> {
    if state.uidvalidity == cursor.uidvalidity {
        Ok(())
    } else {
        Err(cursor_invalid(format!(
            "the mailbox {mailbox} was rebuilt (UIDVALIDITY {} is now {}); relisting it",
            cursor.uidvalidity, state.uidvalidity
        )))
    }
}

/// QRESYNC: deletions from `VANISHED (EARLIER)` in the EXAMINE answer itself.
async fn changes_qresync(
    session: &mut ImapSession,
    mailbox: &str,
    cursor: &ImapCursor,
    modseq: u64,
    page_size: usize,
) -> ProviderResult<ChangePage> {
    let command =
        format!("EXAMINE {} (QRESYNC ({} {modseq}))", quoted(mailbox)?, cursor.uidvalidity);
    let tag = session.send(&command).await?;
    let done = session.finish(&tag).await?;
    let state = examine_result(session, mailbox, done)?;
    check_uidvalidity(mailbox, &state, cursor)?;
    let highest = state.highest_modseq.ok_or_else(|| {
        cursor_invalid(format!("{mailbox} no longer keeps modification sequences"))
    })?;
    // UIDs above `last_uid` were never reported, so their removal is no news.
    let vanished = state.vanished.up_to(cursor.last_uid);
    if vanished.len() > MAX_VANISHED {
        return Err(cursor_invalid(format!(
            "the server reported {} removed messages in {mailbox}; relisting it",
            vanished.len()
        )));
    }
    let mut changes = deletions(mailbox, cursor.uidvalidity, &vanished);
    let (items, last_uid, done) =
        new_messages(session, mailbox, &state, cursor.last_uid, None, page_size).await?;
    changes.extend(items.into_iter().map(|item| Change::Upsert(Box::new(item))));
    let next =
        ImapCursor { uidvalidity: cursor.uidvalidity, last_uid, modseq: Some(highest), uids: None };
    Ok(ChangePage { changes, cursor: next.encode(), done })
}

/// Without QRESYNC: deletions are the UIDs the last run saw that `UID SEARCH
/// ALL` no longer finds.
async fn changes_by_diff(
    session: &mut ImapSession,
    mailbox: &str,
    cursor: &ImapCursor,
    known: &UidSet,
    page_size: usize,
) -> ProviderResult<ChangePage> {
    let (state, current) = examine_and_search(session, mailbox).await?;
    check_uidvalidity(mailbox, &state, cursor)?;
    let vanished = known.difference(&current);
    let mut changes = deletions(mailbox, cursor.uidvalidity, &vanished);
    let (items, last_uid, done) =
        new_messages(session, mailbox, &state, cursor.last_uid, Some(&current), page_size).await?;
    changes.extend(items.into_iter().map(|item| Change::Upsert(Box::new(item))));
    let next = ImapCursor {
        uidvalidity: cursor.uidvalidity,
        last_uid,
        modseq: None,
        uids: Some(current.up_to(last_uid).to_string()),
    };
    Ok(ChangePage { changes, cursor: next.encode(), done })
}

/// Up to `page_size` messages above `last_uid`, the new highest UID reported,
/// and whether that was all. `current` is the mailbox's UIDs when already known.
async fn new_messages(
    session: &mut ImapSession,
    mailbox: &str,
    state: &MailboxState,
    last_uid: u32,
    current: Option<&UidSet>,
    page_size: usize,
) -> ProviderResult<(Vec<RemoteItem>, u32, bool)> {
    // UIDNEXT says at once whether anything arrived: no round trip when nothing did.
    let top = state.uidnext.map(|n| n.saturating_sub(1));
    if top.is_some_and(|top| top <= last_uid) {
        return Ok((Vec::new(), last_uid, true));
    }
    let first = last_uid.saturating_add(1);
    let candidates = match (current, top) {
        (Some(current), _) => current.above(last_uid),
        // A short range is fetched as is: UIDs that do not exist are simply not answered.
        (None, Some(top)) if u64::from(top - last_uid) <= page_size as u64 => {
            UidSet::parse(&format!("{first}:{top}")).unwrap_or_default()
        }
        (None, top) => {
            let end = top.map_or("*".to_string(), |t| t.to_string());
            let tag = send_search(session, &format!("UID {first}:{end}")).await?;
            let done = session.finish(&tag).await?;
            // `n:*` also matches the highest UID when it is below `n`.
            search_result(&tag, done)?.above(last_uid)
        }
    };
    let (head, tail) = candidates.split_first(page_size as u64);
    let items = fetch_items(session, mailbox, state.uidvalidity, &head).await?;
    let done = tail.is_empty();
    let reached = if done {
        top.unwrap_or(0).max(head.max().unwrap_or(0))
    } else {
        head.max().unwrap_or(last_uid)
    };
    Ok((items, reached.max(last_uid), done))
}

/// One message by item id.
pub async fn metadata(session: &mut ImapSession, id: &str) -> ProviderResult<RemoteItem> {
    // Ids are message ids (`mailbox/uidvalidity/uid`) or mailbox names (the
    // folders of a selection, checked when a configuration is saved).
    let Some((mailbox, uidvalidity, uid)) = super::message::parse_item_id(id) else {
        return mailbox_metadata(session, id).await;
    };
    let items = fetch_items(session, mailbox, uidvalidity, &UidSet::from_uids([uid]))
        .await
        .map_err(|e| {
            if e.kind() == ErrorKind::CursorInvalid {
                ProviderError::not_found("the message no longer exists (its mailbox was rebuilt)")
            } else {
                e
            }
        })?;
    items.into_iter().next().ok_or_else(|| ProviderError::not_found("the message no longer exists"))
}

async fn mailbox_metadata(session: &mut ImapSession, name: &str) -> ProviderResult<RemoteItem> {
    let all = list_mailboxes(session, false).await?;
    let mailbox = all
        .iter()
        .find(|m| m.name == name && m.selectable)
        .ok_or_else(|| ProviderError::not_found(format!("the mailbox {name} does not exist")))?;
    Ok(RemoteItem {
        id: mailbox.name.clone(),
        name: mailbox.display_name(),
        path: display_path(&mailbox.name, mailbox.delimiter),
        is_folder: true,
        mime_type: String::new(),
        size: 0,
        modified_at: None,
        version: None,
        web_url: None,
        metadata: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_compact_json_and_bad_ones_are_invalid() {
        let qresync = ImapCursor { uidvalidity: 7, last_uid: 42, modseq: Some(97), uids: None };
        assert_eq!(qresync.encode(), r#"{"uidvalidity":7,"last_uid":42,"modseq":97}"#);
        let fallback =
            ImapCursor { uidvalidity: 7, last_uid: 42, modseq: None, uids: Some("1:5,7".into()) };
        assert_eq!(fallback.encode(), r#"{"uidvalidity":7,"last_uid":42,"uids":"1:5,7"}"#);
        assert_eq!(ImapCursor::decode(&fallback.encode()).unwrap(), fallback);
        for bad in [
            "",
            "{}",
            "not json",
            r#"{"uidvalidity":7,"last_uid":-1}"#,
            r#"{"uidvalidity":7,"last_uid":1,"x":1}"#,
        ] {
            assert_eq!(
                ImapCursor::decode(bad).unwrap_err().kind(),
                ErrorKind::CursorInvalid,
                "{bad}"
            );
        }
    }
}
