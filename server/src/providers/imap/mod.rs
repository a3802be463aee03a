//! E-mail over IMAP (provider id `email`): any IMAP4rev1 server, with a
//! password (LOGIN or AUTHENTICATE PLAIN) or OAuth (XOAUTH2, for Gmail and
//! Outlook).
//!
//! - `session.rs`: the protocol client (TLS / STARTTLS, authentication,
//!   pipelined commands, bounded and timed reads).
//! - `parse.rs`: the response grammar. `uidset.rs`: UID sets.
//! - `message.rs`: FETCH data to [`RemoteItem`]s.
//! - `sync.rs`: the mailbox tree, listings and the change feed.
//!
//! Sessions are pooled per provider instance (a few per connection), so the
//! incremental sync of many mailboxes pays for TLS and login once; a session
//! that sat idle is checked with NOOP before it is reused.

pub mod message;
pub mod parse;
mod session;
mod sync;
pub mod uidset;

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::model::{
    AuthType, Capabilities, FolderEntry, ImapCredentials, ImapSecurity, ProviderId, ProviderInfo,
    SecretText, SourcePath,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::net::HostGuard;
use super::{
    AccountInfo, ByteStream, ChangePage, Credentials, ErrorKind, ListPage, Provider, ProviderAuth,
    ProviderContext, ProviderError, ProviderFactory, ProviderResult, RemoteItem, ScopeCursor,
    provider_info,
};
use message::parse_item_id;
use parse::Value;
pub use session::xoauth2_payload;
use session::{BodyRead, ImapConnector, ImapLogin, ImapSession, expect_ok, quoted};
pub use sync::{ImapCursor, SCOPE_PREFIX};

/// Knobs of the IMAP provider; the defaults suit production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapOptions {
    /// TCP connect and TLS handshake, each.
    pub connect_timeout: Duration,
    /// Every single read or write.
    pub read_timeout: Duration,
    /// Messages per listing page and per change page.
    pub page_size: usize,
    /// Largest answer to one command, all its responses together (a page of
    /// 500 envelopes and body structures is a few megabytes); a server that
    /// sends more is cut off.
    pub max_answer_bytes: usize,
    /// Never ENABLE QRESYNC: deletions are then found by diffing `UID SEARCH ALL`
    /// (for servers with a broken QRESYNC; tests run both paths with it).
    pub disable_qresync: bool,
    /// Use the LOGIN command even when AUTHENTICATE PLAIN is offered (for
    /// servers whose SASL PLAIN is broken; tests run the LOGIN path with it).
    pub prefer_login_command: bool,
    /// Connections open at once per provider instance (servers cap them per user).
    pub max_sessions: usize,
    /// Idle connections kept for reuse.
    pub max_idle: usize,
    /// A pooled connection idle for longer is checked with NOOP before reuse.
    pub check_idle_after: Duration,
}

impl Default for ImapOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            page_size: 500,
            max_answer_bytes: 256 * 1024 * 1024,
            disable_qresync: false,
            prefer_login_command: false,
            max_sessions: 4,
            max_idle: 2,
            check_idle_after: Duration::from_secs(5),
        }
    }
}

/// The `email` provider kind.
pub struct ImapFactory {
    guard: Arc<HostGuard>,
    options: ImapOptions,
}

impl ImapFactory {
    /// `guard` vets every server users type in (the `security.allow_hosts` guard).
    pub fn new(guard: Arc<HostGuard>) -> Self {
        Self { guard, options: ImapOptions::default() }
    }

    pub fn with_options(mut self, options: ImapOptions) -> Self {
        self.options = options;
        self
    }

    fn connector(&self, context: &ProviderContext) -> ProviderResult<(ImapConnector, String)> {
        let (host, port, security, login, ca_pem) = match &context.auth {
            ProviderAuth::Static(Credentials::Imap {
                host,
                port,
                security,
                username,
                password,
                ca_pem,
            }) => (
                host.clone(),
                *port,
                *security,
                ImapLogin::Password { username: username.clone(), password: password.clone() },
                ca_pem.clone(),
            ),
            ProviderAuth::OAuth { tokens, extra } => {
                let field = |key: &str| {
                    extra.get(key).filter(|v| !v.trim().is_empty()).cloned().ok_or_else(|| {
                        ProviderError::invalid(format!("the OAuth connection has no IMAP {key}"))
                    })
                };
                let security = match extra.get("security").map(String::as_str) {
                    Some("starttls") => ImapSecurity::Starttls,
                    _ => ImapSecurity::Tls,
                };
                let port = match extra.get("port") {
                    Some(p) => p
                        .parse()
                        .map_err(|_| ProviderError::invalid(format!("{p:?} is not a port")))?,
                    None => default_port(security),
                };
                let login =
                    ImapLogin::OAuth { username: field("username")?, tokens: tokens.clone() };
                (field("host")?, port, security, login, extra.get("ca_pem").cloned())
            }
            ProviderAuth::Static(_) => {
                return Err(ProviderError::invalid("e-mail connections need IMAP credentials"));
            }
        };
        let tls = session::tls_config(ca_pem.as_deref())?;
        let rate = context.http.rates.get(&ProviderId::Email).copied().unwrap_or(0.0);
        let pacer = context.http.pacers.pacer(&format!("email:{}", context.connection_id), rate);
        let label = format!("{} @ {host}", login.username());
        let connector = ImapConnector {
            host,
            port,
            security,
            login,
            tls,
            guard: self.guard.clone(),
            options: self.options.clone(),
            sent: context.http.sent.clone(),
            counters: context.http.counters.clone(),
            pacer,
        };
        Ok((connector, label))
    }
}

fn default_port(security: ImapSecurity) -> u16 {
    match security {
        ImapSecurity::Tls => 993,
        ImapSecurity::Starttls => 143,
    }
}

/// A host as typed: a name or an IP address, no scheme, port or path.
fn check_host(host: &str) -> Result<String, String> {
    let host = host.trim();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let valid = !bare.is_empty()
        && (bare.parse::<std::net::IpAddr>().is_ok()
            || bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if valid { Ok(bare.to_string()) } else { Err(format!("host: {host:?} is not a host name")) }
}

#[async_trait]
impl ProviderFactory for ImapFactory {
    fn id(&self) -> ProviderId {
        ProviderId::Email
    }

    fn info(&self) -> ProviderInfo {
        provider_info(
            ProviderId::Email,
            "Mail from any IMAP server (Dovecot, Gmail, Outlook, Fastmail…), synced by UID with QRESYNC.",
            &[AuthType::Password, AuthType::OAuth2],
            Capabilities {
                delta: true,
                reports_deletions: true,
                // A moved message gets a new UID in its new mailbox.
                stable_ids: false,
                folder_counts: true,
                revocation: false,
                structured_content: true,
            },
            false,
            "Mailboxes",
        )
    }

    fn parse_credentials(
        &self,
        auth_type: AuthType,
        credentials: &serde_json::Value,
    ) -> Result<Credentials, String> {
        match auth_type {
            AuthType::Password => {
                let mut c: ImapCredentials = serde_json::from_value(credentials.clone())
                    .map_err(|e| format!("credentials: {e}"))?;
                let host = check_host(&c.host)?;
                if c.username.trim().is_empty() {
                    return Err("username: required".into());
                }
                if c.password.is_empty() {
                    return Err("password: required".into());
                }
                if let Some(pem) = c.ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
                    session::tls_config(Some(pem))
                        .map_err(|e| format!("ca_pem: {}", e.message()))?;
                }
                let port = if c.port == 0 { default_port(c.security) } else { c.port };
                Ok(Credentials::Imap {
                    host,
                    port,
                    security: c.security,
                    username: c.username.trim().to_string(),
                    password: std::mem::take(&mut c.password),
                    ca_pem: c.ca_pem.take().filter(|p| !p.trim().is_empty()),
                })
            }
            AuthType::OAuth2 => {
                #[derive(serde::Deserialize)]
                struct OAuthImap {
                    access_token: SecretText,
                    host: String,
                    #[serde(default)]
                    port: Option<u16>,
                    username: String,
                    #[serde(default)]
                    security: ImapSecurity,
                }
                let c: OAuthImap = serde_json::from_value(credentials.clone())
                    .map_err(|e| format!("credentials: {e}"))?;
                let host = check_host(&c.host)?;
                if c.username.trim().is_empty() {
                    return Err("username: required".into());
                }
                let security = match c.security {
                    ImapSecurity::Tls => "tls",
                    ImapSecurity::Starttls => "starttls",
                };
                let port = c.port.filter(|p| *p != 0).unwrap_or(default_port(c.security));
                let extra = BTreeMap::from([
                    ("host".to_string(), host),
                    ("port".to_string(), port.to_string()),
                    ("security".to_string(), security.to_string()),
                    ("username".to_string(), c.username.trim().to_string()),
                ]);
                Ok(Credentials::OAuth { access_token: c.access_token, extra })
            }
            other => {
                Err(format!("e-mail connections use a password or OAuth, not {}", other.as_str()))
            }
        }
    }

    fn connect(&self, context: ProviderContext) -> ProviderResult<Arc<dyn Provider>> {
        let (connector, label) = self.connector(&context)?;
        let permits = Arc::new(Semaphore::new(self.options.max_sessions.max(1)));
        let pool = Arc::new(ImapPool { connector, idle: Mutex::new(Vec::new()), permits });
        Ok(Arc::new(ImapProvider { pool, label, page_size: self.options.page_size.max(1) }))
    }
}

/// A few authenticated sessions of one connection, reused across calls.
struct ImapPool {
    connector: ImapConnector,
    idle: Mutex<Vec<ImapSession>>,
    permits: Arc<Semaphore>,
}

/// A session on loan from the pool; it goes back when dropped, unless it
/// broke or a command is still unanswered.
struct PooledSession {
    session: Option<ImapSession>,
    pool: Arc<ImapPool>,
    reused: bool,
    _permit: OwnedSemaphorePermit,
}

impl Deref for PooledSession {
    type Target = ImapSession;
    fn deref(&self) -> &ImapSession {
        // Present from construction until drop.
        self.session.as_ref().unwrap_or_else(|| unreachable!("session taken before drop"))
    }
}

impl DerefMut for PooledSession {
    fn deref_mut(&mut self) -> &mut ImapSession {
        self.session.as_mut().unwrap_or_else(|| unreachable!("session taken before drop"))
    }
}

impl Drop for PooledSession {
    fn drop(&mut self) {
        if let Some(session) = self.session.take()
            && session.is_reusable()
        {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < self.pool.connector.options.max_idle {
                idle.push(session);
            }
        }
    }
}

impl ImapPool {
    async fn permit(&self) -> ProviderResult<OwnedSemaphorePermit> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ProviderError::transient("the IMAP connection pool is closed"))
    }

    /// An idle session (checked with NOOP if it idled a while) or a new one.
    async fn checkout(self: &Arc<Self>) -> ProviderResult<PooledSession> {
        let permit = self.permit().await?;
        loop {
            let candidate = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(mut session) = candidate else { break };
            if session.idle_for() > self.connector.options.check_idle_after
                && session.noop().await.is_err()
            {
                continue;
            }
            return Ok(PooledSession {
                session: Some(session),
                pool: self.clone(),
                reused: true,
                _permit: permit,
            });
        }
        self.fresh_with(permit).await
    }

    async fn fresh(self: &Arc<Self>) -> ProviderResult<PooledSession> {
        let permit = self.permit().await?;
        self.fresh_with(permit).await
    }

    async fn fresh_with(
        self: &Arc<Self>,
        permit: OwnedSemaphorePermit,
    ) -> ProviderResult<PooledSession> {
        let session = self.connector.connect().await?;
        Ok(PooledSession {
            session: Some(session),
            pool: self.clone(),
            reused: false,
            _permit: permit,
        })
    }

    /// Drops the idle sessions (after one of them turned out dead).
    fn clear_idle(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// One IMAP account.
pub struct ImapProvider {
    pool: Arc<ImapPool>,
    label: String,
    page_size: usize,
}

/// Runs `$body` with `$session` bound to a pooled session; when a reused
/// session dies under it (the server dropped an idle connection), runs it
/// once more on a new connection. Every operation here is read-only, so a
/// repeat is harmless.
macro_rules! with_session {
    ($self:ident, |$session:ident| $body:expr) => {{
        let mut pooled = $self.pool.checkout().await?;
        let first = {
            let $session: &mut ImapSession = &mut pooled;
            $body.await
        };
        match first {
            Err(e) if pooled.reused && !pooled.is_reusable() && e.is_temporary() => {
                drop(pooled);
                $self.pool.clear_idle();
                tracing::debug!(error = %e, "pooled IMAP session failed; retrying on a new one");
                let mut pooled = $self.pool.fresh().await?;
                let $session: &mut ImapSession = &mut pooled;
                $body.await
            }
            other => other,
        }
    }};
}

impl ImapProvider {
    /// Starts a body download on `session`; returns the stream and hands the
    /// session to the task that feeds it.
    async fn start_download(
        &self,
        mut pooled: PooledSession,
        item: &RemoteItem,
        max_bytes: u64,
    ) -> ProviderResult<ByteStream> {
        let (mailbox, uidvalidity, uid) = parse_item_id(&item.id).ok_or_else(|| {
            ProviderError::not_found(format!("{:?} is not an e-mail id", item.id))
        })?;
        let examine = if pooled.selected() == Some((mailbox, uidvalidity)) {
            None
        } else {
            Some(pooled.send(&format!("EXAMINE {}", quoted(mailbox)?)).await?)
        };
        // BODY.PEEK never sets \Seen.
        let fetch = pooled.send(&format!("UID FETCH {uid} (UID BODY.PEEK[])")).await?;
        if let Some(examine) = examine {
            let done = pooled.finish(&examine).await?;
            let done =
                expect_ok("EXAMINE", done).map_err(|e| e.with_context("mailbox", mailbox))?;
            let current = done.untagged.iter().find_map(|u| match u {
                parse::Untagged::Status(s) => match s.code {
                    Some(parse::RespCode::UidValidity(n)) => Some(n),
                    _ => None,
                },
                _ => None,
            });
            match current {
                Some(n) => pooled.set_selected(Some((mailbox.to_string(), n))),
                None => pooled.set_selected(None),
            }
            if current != Some(uidvalidity) {
                // The FETCH now names some other message: do not read it.
                pooled.poison();
                return Err(ProviderError::not_found(
                    "the message no longer exists (its mailbox was rebuilt)",
                ));
            }
        }
        match pooled.read_fetch_body(&fetch).await? {
            BodyRead::Literal(len) if len > max_bytes => {
                // Closing the connection is cheaper than reading what we will not keep.
                pooled.poison();
                Err(too_large(max_bytes))
            }
            BodyRead::Literal(len) => Ok(stream_body(pooled, fetch, len)),
            BodyRead::Done(done) => {
                let done = expect_ok("FETCH", done)?;
                let body = done.untagged.into_iter().find_map(|u| match u {
                    parse::Untagged::Fetch { attributes, .. }
                        if message::fetch_uid(&attributes) == Some(uid) =>
                    {
                        attributes.into_iter().find(|(n, _)| n == "BODY[]").map(|(_, v)| v)
                    }
                    _ => None,
                });
                match body {
                    Some(Value::Str(bytes)) if bytes.len() as u64 > max_bytes => {
                        Err(too_large(max_bytes))
                    }
                    Some(Value::Str(bytes)) => {
                        Ok(futures::stream::iter([Ok(Bytes::from(bytes))]).boxed())
                    }
                    _ => Err(ProviderError::not_found("the message no longer exists")),
                }
            }
        }
    }
}

fn too_large(max_bytes: u64) -> ProviderError {
    ProviderError::new(ErrorKind::TooLarge, format!("larger than the limit of {max_bytes} bytes"))
}

/// Feeds a body literal of `len` bytes through a channel, then finishes the
/// FETCH so the session can go back to the pool.
fn stream_body(mut pooled: PooledSession, tag: String, len: u64) -> ByteStream {
    let (tx, rx) = mpsc::channel::<ProviderResult<Bytes>>(4);
    tokio::spawn(async move {
        let mut left = len;
        while left > 0 {
            match pooled.read_body_chunk(left).await {
                Ok(chunk) => {
                    left = left.saturating_sub(chunk.len() as u64);
                    if tx.send(Ok(chunk)).await.is_err() {
                        // The reader gave up: the rest of the body is never read.
                        pooled.poison();
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        let rest = async {
            pooled.finish_frame().await?;
            let done = pooled.finish(&tag).await?;
            expect_ok("FETCH", done).map(|_| ())
        };
        if let Err(e) = rest.await {
            let _ = tx.send(Err(e)).await;
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
        .boxed()
}

#[async_trait]
impl Provider for ImapProvider {
    fn id(&self) -> ProviderId {
        ProviderId::Email
    }

    #[tracing::instrument(skip(self), fields(account = %self.label))]
    async fn test(&self) -> ProviderResult<AccountInfo> {
        // A new connection, so the credentials are really checked now.
        let pooled = self.pool.fresh().await?;
        drop(pooled);
        Ok(AccountInfo { label: self.label.clone() })
    }

    #[tracing::instrument(skip(self), fields(account = %self.label))]
    async fn list_folders(&self, parent: Option<&str>) -> ProviderResult<Vec<FolderEntry>> {
        with_session!(self, |session| sync::folder_entries(session, parent))
    }

    #[tracing::instrument(skip(self, selection), fields(account = %self.label, mailbox = %selection.remote_id))]
    async fn list_page(
        &self,
        selection: &SourcePath,
        page: Option<&str>,
    ) -> ProviderResult<ListPage> {
        with_session!(self, |session| sync::list_page(session, selection, page, self.page_size))
    }

    #[tracing::instrument(skip(self, selection), fields(account = %self.label))]
    async fn start_cursors(&self, selection: &[SourcePath]) -> ProviderResult<Vec<ScopeCursor>> {
        with_session!(self, |session| sync::start_cursors(session, selection))
    }

    #[tracing::instrument(skip(self, selection, cursor), fields(account = %self.label))]
    async fn changes(
        &self,
        selection: &[SourcePath],
        scope: &str,
        cursor: &str,
    ) -> ProviderResult<ChangePage> {
        with_session!(self, |session| sync::changes(
            session,
            selection,
            scope,
            cursor,
            self.page_size
        ))
    }

    #[tracing::instrument(skip(self, item), fields(account = %self.label, id = %item.id))]
    async fn download(&self, item: &RemoteItem, max_bytes: u64) -> ProviderResult<ByteStream> {
        if item.size > max_bytes {
            return Err(too_large(max_bytes));
        }
        let pooled = self.pool.checkout().await?;
        let reused = pooled.reused;
        match self.start_download(pooled, item, max_bytes).await {
            Err(e) if reused && e.is_temporary() => {
                self.pool.clear_idle();
                let pooled = self.pool.fresh().await?;
                self.start_download(pooled, item, max_bytes).await
            }
            other => other,
        }
    }

    #[tracing::instrument(skip(self), fields(account = %self.label))]
    async fn metadata(&self, id: &str) -> ProviderResult<RemoteItem> {
        with_session!(self, |session| sync::metadata(session, id))
    }
}
