//! [`ImapSession`]: one authenticated IMAP connection, and the
//! [`ImapConnector`] that opens it.
//!
//! The session owns the conversation: it connects only to addresses the SSRF
//! guard vetted, speaks TLS from the first byte or upgrades with STARTTLS (and
//! refuses to authenticate otherwise), picks LOGIN, AUTHENTICATE PLAIN or
//! XOAUTH2 from the server's CAPABILITY, and enables QRESYNC. Commands can be
//! pipelined ([`ImapSession::send`] then [`ImapSession::finish`]). Every read
//! has a timeout and every response a size limit; the arguments of LOGIN and
//! AUTHENTICATE are never logged.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::model::{ImapSecurity, ProviderId, SecretText};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use super::super::http::{Pacer, RequestCounters};
use super::super::net::HostGuard;
use super::super::{AccessTokens, ErrorKind, ProviderError, ProviderResult};
use super::ImapOptions;
use super::parse::{
    RespCode, Response, StatusKind, StatusResponse, Untagged, may_carry_literals, parse_response,
    trailing_literal,
};

/// Largest response (line plus literals) read into memory. Message bodies are
/// streamed instead and limited by the caller's cap.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Chunk size when streaming a message body.
const BODY_CHUNK_BYTES: usize = 64 * 1024;

/// How a session logs in.
#[derive(Clone)]
pub enum ImapLogin {
    Password {
        username: String,
        password: SecretText,
    },
    /// SASL XOAUTH2 (Gmail, Outlook) with tokens from the token manager.
    OAuth {
        username: String,
        tokens: Arc<dyn AccessTokens>,
    },
}

impl ImapLogin {
    pub fn username(&self) -> &str {
        match self {
            ImapLogin::Password { username, .. } | ImapLogin::OAuth { username, .. } => username,
        }
    }
}

impl std::fmt::Debug for ImapLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            ImapLogin::Password { .. } => "password",
            ImapLogin::OAuth { .. } => "xoauth2",
        };
        write!(f, "ImapLogin::{kind}({}, [redacted])", self.username())
    }
}

/// Where and how to connect; shared by every session of one provider.
pub struct ImapConnector {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub login: ImapLogin,
    pub tls: Arc<rustls::ClientConfig>,
    pub guard: Arc<HostGuard>,
    pub options: ImapOptions,
    /// The process-wide request counter (one per IMAP command).
    pub sent: Arc<AtomicU64>,
    /// Per-provider counts (`/metrics`): each IMAP command is one request.
    pub counters: Arc<RequestCounters>,
    pub pacer: Arc<Pacer>,
}

/// The TLS client configuration: the Mozilla roots plus the connection's own CA.
pub fn tls_config(ca_pem: Option<&str>) -> ProviderResult<Arc<rustls::ClientConfig>> {
    let mut roots: rustls::RootCertStore = webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect();
    if let Some(pem) = ca_pem.map(str::trim).filter(|p| !p.is_empty()) {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| {
                ProviderError::invalid(format!("the CA certificate is not valid PEM: {e}"))
            })?;
            roots.add(cert).map_err(|e| {
                ProviderError::invalid(format!("the CA certificate cannot be used: {e}"))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(ProviderError::invalid("the CA certificate field holds no certificate"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProviderError::invalid(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Plain TCP until STARTTLS, TLS after.
enum ImapStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The untagged responses of one command and its completion.
#[derive(Debug)]
pub struct Completion {
    pub untagged: Vec<Untagged>,
    pub status: StatusResponse,
}

/// One response as read off the wire.
pub enum Frame {
    /// A whole response, literals inline.
    Complete(Vec<u8>),
    /// A FETCH response stopped at its `BODY[]` literal of `len` bytes, which
    /// the caller streams with [`ImapSession::read_body_chunk`] and then
    /// finishes with [`ImapSession::finish_frame`].
    Body { len: u64 },
}

/// How the answer to a body FETCH begins.
#[derive(Debug)]
pub enum BodyRead {
    /// A body literal of this many bytes follows.
    Literal(u64),
    /// The command completed without a body literal.
    Done(Completion),
}

/// One authenticated IMAP connection.
pub struct ImapSession {
    io: BufReader<ImapStream>,
    next_tag: u32,
    /// Upper-cased.
    capabilities: Vec<String>,
    qresync: bool,
    /// The mailbox selected (read-only) and its UIDVALIDITY.
    selected: Option<(String, u32)>,
    /// The hierarchy delimiter, once asked (`Some(None)`: a flat server).
    delimiter: Option<Option<char>>,
    /// Tags sent whose completion has not been read yet.
    in_flight: usize,
    /// A read or write failed or the stream lost its framing: never reuse.
    broken: bool,
    last_used: Instant,
    read_timeout: Duration,
    max_answer_bytes: usize,
    sent: Arc<AtomicU64>,
    counters: Arc<RequestCounters>,
    pacer: Arc<Pacer>,
}

impl std::fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("selected", &self.selected)
            .field("qresync", &self.qresync)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl ImapConnector {
    /// Connects, secures, logs in and enables QRESYNC.
    pub async fn connect(&self) -> ProviderResult<ImapSession> {
        let tcp = self.open_tcp().await?;
        let stream = match self.security {
            ImapSecurity::Tls => ImapStream::Tls(Box::new(self.tls_handshake(tcp).await?)),
            ImapSecurity::Starttls => ImapStream::Plain(tcp),
        };
        let mut session = ImapSession {
            io: BufReader::new(stream),
            next_tag: 1,
            capabilities: Vec::new(),
            qresync: false,
            selected: None,
            delimiter: None,
            in_flight: 0,
            broken: false,
            last_used: Instant::now(),
            read_timeout: self.options.read_timeout,
            max_answer_bytes: self.options.max_answer_bytes,
            sent: self.sent.clone(),
            counters: self.counters.clone(),
            pacer: self.pacer.clone(),
        };
        let preauth = session.read_greeting().await?;
        if self.security == ImapSecurity::Starttls {
            if preauth {
                return Err(ProviderError::invalid(
                    "the server skipped authentication before STARTTLS; refusing an unencrypted session",
                ));
            }
            session = self.starttls(session).await?;
        }
        if !preauth {
            self.authenticate(&mut session).await?;
        }
        if session.capabilities.is_empty() {
            session.refresh_capabilities().await?;
        }
        if session.has_capability("QRESYNC") && !self.options.disable_qresync {
            // A refusal only means the UID-diff fallback is used.
            let tag = session.send("ENABLE QRESYNC").await?;
            let done = session.finish(&tag).await?;
            session.qresync = done.status.kind == StatusKind::Ok && done.untagged.iter().any(|u| {
                matches!(u, Untagged::Enabled(caps) if caps.iter().any(|c| c.eq_ignore_ascii_case("QRESYNC")))
            });
        }
        tracing::debug!(host = %self.host, qresync = session.qresync, "imap session ready");
        Ok(session)
    }

    async fn open_tcp(&self) -> ProviderResult<TcpStream> {
        // Only addresses the guard vetted: no second DNS lookup to rebind.
        let addresses = self.guard.resolve(&self.host, self.port).await?;
        let mut last_error = None;
        for address in addresses {
            match timeout(self.options.connect_timeout, TcpStream::connect(address)).await {
                Ok(Ok(tcp)) => {
                    let _ = tcp.set_nodelay(true);
                    return Ok(tcp);
                }
                Ok(Err(e)) => last_error = Some(e.to_string()),
                Err(_) => last_error = Some("timed out".into()),
            }
        }
        Err(ProviderError::transient(format!(
            "could not connect to {}:{}: {}",
            self.host,
            self.port,
            last_error.unwrap_or_else(|| "no address".into())
        )))
    }

    async fn tls_handshake(&self, tcp: TcpStream) -> ProviderResult<TlsStream<TcpStream>> {
        let name =
            ServerName::try_from(self.host.trim_matches(['[', ']']).to_string()).map_err(|_| {
                ProviderError::invalid(format!("{} is not a valid host name", self.host))
            })?;
        let connector = TlsConnector::from(self.tls.clone());
        match timeout(self.options.connect_timeout, connector.connect(name, tcp)).await {
            Ok(Ok(tls)) => Ok(tls),
            Ok(Err(e)) => Err(tls_error(&self.host, e)),
            Err(_) => Err(ProviderError::transient(format!(
                "the TLS handshake with {} timed out",
                self.host
            ))),
        }
    }

    async fn starttls(&self, mut session: ImapSession) -> ProviderResult<ImapSession> {
        if session.capabilities.is_empty() {
            session.refresh_capabilities().await?;
        }
        let refuse = || {
            ProviderError::invalid(format!(
                "{} does not offer STARTTLS; refusing to send credentials unencrypted (use TLS on port 993?)",
                self.host
            ))
        };
        if !session.has_capability("STARTTLS") {
            return Err(refuse());
        }
        let tag = session.send("STARTTLS").await?;
        let done = session.finish(&tag).await?;
        if done.status.kind != StatusKind::Ok {
            return Err(refuse());
        }
        // Anything already buffered was injected before the handshake (the
        // STARTTLS command-injection attack): it must not be read as if it were protected.
        if !session.io.buffer().is_empty() {
            return Err(ProviderError::invalid(
                "the server sent data right after STARTTLS; refusing the connection",
            ));
        }
        let ImapStream::Plain(tcp) = session.io.into_inner() else {
            return Err(ProviderError::invalid("STARTTLS on a TLS connection"));
        };
        let tls = self.tls_handshake(tcp).await?;
        session.io = BufReader::new(ImapStream::Tls(Box::new(tls)));
        // Capabilities from before TLS are not to be trusted.
        session.capabilities.clear();
        session.refresh_capabilities().await?;
        Ok(session)
    }

    async fn authenticate(&self, session: &mut ImapSession) -> ProviderResult<()> {
        if session.capabilities.is_empty() {
            session.refresh_capabilities().await?;
        }
        let outcome = match &self.login {
            ImapLogin::Password { username, password } => {
                if session.has_capability("AUTH=PLAIN") && !self.options.prefer_login_command {
                    let payload = SecretText::new(format!("\0{username}\0{}", password.expose()));
                    let encoded = SecretText::new(BASE64.encode(payload.expose()));
                    session.sasl("PLAIN", &encoded).await?
                } else if session.has_capability("LOGINDISABLED") {
                    return Err(ProviderError::invalid(format!(
                        "{} accepts neither LOGIN nor AUTHENTICATE PLAIN",
                        self.host
                    )));
                } else {
                    session.login(username, password).await?
                }
            }
            ImapLogin::OAuth { username, tokens } => {
                if !session.has_capability("AUTH=XOAUTH2") {
                    return Err(ProviderError::invalid(format!(
                        "{} does not support OAuth sign-in (AUTH=XOAUTH2)",
                        self.host
                    )));
                }
                let token = tokens.access_token().await?;
                let first = session.sasl("XOAUTH2", &xoauth2_payload(username, &token)).await?;
                if first.status.kind == StatusKind::Ok {
                    first
                } else {
                    tracing::debug!(host = %self.host, "XOAUTH2 rejected, refreshing the token once");
                    let fresh = tokens.refresh_rejected(&token).await?;
                    session.sasl("XOAUTH2", &xoauth2_payload(username, &fresh)).await?
                }
            }
        };
        if outcome.status.kind != StatusKind::Ok {
            return Err(auth_error(&self.login, &outcome.status));
        }
        // Capabilities change at login (QRESYNC appears); servers that do not
        // announce the new set are asked.
        if !session.absorb_capabilities(&outcome) {
            session.refresh_capabilities().await?;
        }
        Ok(())
    }
}

/// `base64("user=<user>\x01auth=Bearer <token>\x01\x01")`, the XOAUTH2 initial response.
pub fn xoauth2_payload(username: &str, token: &SecretText) -> SecretText {
    let raw = SecretText::new(format!("user={username}\x01auth=Bearer {}\x01\x01", token.expose()));
    SecretText::new(BASE64.encode(raw.expose()))
}

fn auth_error(login: &ImapLogin, status: &StatusResponse) -> ProviderError {
    let code = match &status.code {
        Some(RespCode::Other(code)) => code.as_str(),
        _ => "",
    };
    let user = login.username();
    let error = match (code, login) {
        ("UNAVAILABLE", _) => ProviderError::transient(
            "the mail server cannot check credentials right now; try again later",
        ),
        ("PRIVACYREQUIRED", _) => {
            ProviderError::invalid("the server refuses to accept credentials on this connection")
        }
        ("EXPIRED", ImapLogin::Password { .. }) => ProviderError::new(
            ErrorKind::AuthExpired,
            format!("the password for {user} has expired; set a new one and reconnect"),
        ),
        (_, ImapLogin::Password { .. }) => ProviderError::new(
            ErrorKind::AuthExpired,
            format!("the server rejected the password for {user}"),
        ),
        (_, ImapLogin::OAuth { .. }) => ProviderError::new(
            ErrorKind::AuthExpired,
            format!("the server rejected the access token for {user}; reconnect the account"),
        ),
    };
    // The server's own words help ("Application-specific password required") and hold no secret.
    error.with_context("server", status.text.chars().take(200).collect::<String>())
}

fn tls_error(host: &str, e: std::io::Error) -> ProviderError {
    let certificate = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .filter(|inner| matches!(inner, rustls::Error::InvalidCertificate(_)));
    match certificate {
        Some(inner) => ProviderError::invalid(format!(
            "the certificate of {host} is not trusted ({inner}); add its CA certificate to the connection"
        )),
        None => ProviderError::transient(format!("the TLS handshake with {host} failed: {e}")),
    }
}

fn io_error(what: &str, e: std::io::Error) -> ProviderError {
    ProviderError::transient(format!("{what}: {e}")).with_source(e)
}

fn timed_out() -> ProviderError {
    ProviderError::transient("the mail server did not answer in time")
}

/// A mailbox name or other string argument as an IMAP quoted string.
/// Names with CR, LF, NUL or 8-bit bytes cannot be quoted and are refused.
pub fn quoted(text: &str) -> ProviderResult<String> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0 || b >= 0x80) {
        return Err(ProviderError::invalid(format!(
            "{text:?} is not a mailbox name of this server"
        )));
    }
    Ok(format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")))
}

impl ImapSession {
    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    pub fn qresync(&self) -> bool {
        self.qresync
    }

    pub fn is_reusable(&self) -> bool {
        !self.broken && self.in_flight == 0
    }

    pub fn idle_for(&self) -> Duration {
        self.last_used.elapsed()
    }

    pub fn selected(&self) -> Option<(&str, u32)> {
        self.selected.as_ref().map(|(name, uv)| (name.as_str(), *uv))
    }

    pub fn set_selected(&mut self, selected: Option<(String, u32)>) {
        self.selected = selected;
    }

    pub fn cached_delimiter(&self) -> Option<Option<char>> {
        self.delimiter
    }

    pub fn cache_delimiter(&mut self, delimiter: Option<char>) {
        self.delimiter = Some(delimiter);
    }

    /// Marks the connection as not reusable (e.g. a response was abandoned).
    pub fn poison(&mut self) {
        self.broken = true;
    }

    async fn read_greeting(&mut self) -> ProviderResult<bool> {
        let frame = self.read_frame(false).await?;
        let Frame::Complete(raw) = frame else {
            return Err(self.fail(ProviderError::parse("unexpected greeting")));
        };
        match parse_response(&raw).map_err(|e| self.fail(e))? {
            Response::Untagged(Untagged::Status(status)) => {
                if let Some(RespCode::Capability(caps)) = &status.code {
                    self.capabilities = caps.iter().map(|c| c.to_ascii_uppercase()).collect();
                }
                match status.kind {
                    StatusKind::Ok => Ok(false),
                    StatusKind::Preauth => Ok(true),
                    _ => Err(self.fail(ProviderError::transient(format!(
                        "the mail server refused the connection: {}",
                        status.text
                    )))),
                }
            }
            _ => {
                Err(self.fail(ProviderError::parse("the server did not greet like an IMAP server")))
            }
        }
    }

    async fn refresh_capabilities(&mut self) -> ProviderResult<()> {
        let done = self.run("CAPABILITY").await?;
        if !self.absorb_capabilities(&done) {
            return Err(self.fail(ProviderError::parse("CAPABILITY answered without capabilities")));
        }
        Ok(())
    }

    /// Takes capabilities from a `[CAPABILITY …]` code or an untagged
    /// CAPABILITY; false when the answer carried none.
    fn absorb_capabilities(&mut self, done: &Completion) -> bool {
        let from_code = match &done.status.code {
            Some(RespCode::Capability(caps)) => Some(caps),
            _ => None,
        };
        let from_untagged = done.untagged.iter().rev().find_map(|u| match u {
            Untagged::Capability(caps) => Some(caps),
            _ => None,
        });
        match from_code.or(from_untagged) {
            Some(caps) => {
                self.capabilities = caps.iter().map(|c| c.to_ascii_uppercase()).collect();
                true
            }
            None => false,
        }
    }

    /// `AUTHENTICATE <mechanism>` with `encoded` as the initial response
    /// (inline with SASL-IR, else after the first continuation).
    async fn sasl(&mut self, mechanism: &str, encoded: &SecretText) -> ProviderResult<Completion> {
        let tag = self.new_tag();
        let sasl_ir = self.has_capability("SASL-IR");
        let command = if sasl_ir {
            SecretText::new(format!("{tag} AUTHENTICATE {mechanism} {}\r\n", encoded.expose()))
        } else {
            SecretText::new(format!("{tag} AUTHENTICATE {mechanism}\r\n"))
        };
        self.write_command(&tag, "AUTHENTICATE", command.expose().as_bytes()).await?;
        let mut sent_response = sasl_ir;
        let mut untagged = Vec::new();
        let mut budget = self.max_answer_bytes;
        loop {
            let (response, size) = self.read_sized_response().await?;
            self.charge(&mut budget, size)?;
            match response {
                Response::Continue(_) if !sent_response => {
                    let line = SecretText::new(format!("{}\r\n", encoded.expose()));
                    self.write_raw(line.expose().as_bytes()).await?;
                    sent_response = true;
                }
                Response::Continue(_) => {
                    // A challenge after our response is the server's error
                    // report (XOAUTH2 sends JSON); an empty answer ends the exchange.
                    self.write_raw(b"\r\n").await?;
                }
                Response::Untagged(u) => untagged.push(u),
                Response::Tagged { tag: got, status } if got == tag => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    return Ok(Completion { untagged, status });
                }
                Response::Tagged { tag: got, .. } => {
                    return Err(self.fail(ProviderError::parse(format!(
                        "the server completed {got} while {tag} was pending"
                    ))));
                }
            }
        }
    }

    /// `LOGIN user password`, with literals where quoting cannot carry a byte.
    async fn login(&mut self, username: &str, password: &SecretText) -> ProviderResult<Completion> {
        let tag = self.new_tag();
        let literal_plus = self.has_capability("LITERAL+");
        // Segments end where a synchronising literal needs the server's go-ahead.
        let mut segments: Vec<SecretText> = Vec::new();
        let mut current = format!("{tag} LOGIN ");
        for (i, value) in [username, password.expose()].into_iter().enumerate() {
            if i > 0 {
                current.push(' ');
            }
            let needs_literal = value.bytes().any(|b| b == b'\r' || b == b'\n' || b >= 0x80);
            if value.bytes().any(|b| b == 0) {
                return Err(ProviderError::invalid(
                    "the user name or password contains a NUL byte",
                ));
            }
            if needs_literal {
                if literal_plus {
                    current.push_str(&format!("{{{}+}}\r\n{value}", value.len()));
                } else {
                    current.push_str(&format!("{{{}}}\r\n", value.len()));
                    segments.push(SecretText::new(std::mem::take(&mut current)));
                    current.push_str(value);
                }
            } else {
                current.push('"');
                current.push_str(&value.replace('\\', "\\\\").replace('"', "\\\""));
                current.push('"');
            }
        }
        current.push_str("\r\n");
        segments.push(SecretText::new(current));
        let mut untagged = Vec::new();
        let mut budget = self.max_answer_bytes;
        let last = segments.len() - 1;
        for (i, segment) in segments.iter().enumerate() {
            if i == 0 {
                self.write_command(&tag, "LOGIN", segment.expose().as_bytes()).await?;
            } else {
                self.write_raw(segment.expose().as_bytes()).await?;
            }
            if i == last {
                break;
            }
            // Wait for "+ go ahead"; a tagged answer here means the server refused early.
            loop {
                let (response, size) = self.read_sized_response().await?;
                self.charge(&mut budget, size)?;
                match response {
                    Response::Continue(_) => break,
                    Response::Untagged(u) => untagged.push(u),
                    Response::Tagged { tag: got, status } if got == tag => {
                        self.in_flight = self.in_flight.saturating_sub(1);
                        return Ok(Completion { untagged, status });
                    }
                    Response::Tagged { .. } => {
                        return Err(
                            self.fail(ProviderError::parse("an unexpected tagged response"))
                        );
                    }
                }
            }
        }
        let mut done = self.finish(&tag).await?;
        untagged.append(&mut done.untagged);
        done.untagged = untagged;
        Ok(done)
    }

    fn new_tag(&mut self) -> String {
        let tag = format!("R{}", self.next_tag);
        self.next_tag += 1;
        tag
    }

    /// Sends `command` (without tag and CRLF) and returns its tag; read the
    /// answer with [`finish`](Self::finish). Several commands may be sent
    /// before the first is finished (pipelining).
    pub async fn send(&mut self, command: &str) -> ProviderResult<String> {
        if command.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(ProviderError::invalid("a command cannot contain line breaks"));
        }
        let tag = self.new_tag();
        let verb = command.split(' ').find(|w| !w.eq_ignore_ascii_case("UID")).unwrap_or("");
        let line = format!("{tag} {command}\r\n");
        self.write_command(&tag, verb, line.as_bytes()).await?;
        Ok(tag)
    }

    async fn write_command(&mut self, tag: &str, verb: &str, bytes: &[u8]) -> ProviderResult<()> {
        self.pacer.acquire().await;
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.counters.count_request(ProviderId::Email);
        // The verb only: arguments may be credentials.
        tracing::trace!(tag, verb, "imap command");
        self.in_flight += 1;
        self.write_raw(bytes).await
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> ProviderResult<()> {
        let write = async {
            self.io.get_mut().write_all(bytes).await?;
            self.io.get_mut().flush().await
        };
        let result = timeout(self.read_timeout, write).await;
        self.last_used = Instant::now();
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.fail(io_error("sending to the mail server failed", e))),
            Err(_) => Err(self.fail(timed_out())),
        }
    }

    /// Reads responses until `tag` completes.
    pub async fn finish(&mut self, tag: &str) -> ProviderResult<Completion> {
        let mut untagged = Vec::new();
        // Each response is bounded; so is their sum, or a server could stream
        // untagged responses forever into this one command.
        let mut budget = self.max_answer_bytes;
        loop {
            let (response, size) = self.read_sized_response().await?;
            self.charge(&mut budget, size)?;
            match response {
                Response::Tagged { tag: got, status } if got == tag => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    return Ok(Completion { untagged, status });
                }
                Response::Tagged { tag: got, .. } => {
                    return Err(self.fail(ProviderError::parse(format!(
                        "the server completed {got} while {tag} was pending"
                    ))));
                }
                Response::Continue(_) => {
                    return Err(
                        self.fail(ProviderError::parse("an unexpected continuation request"))
                    );
                }
                Response::Untagged(Untagged::Status(s)) if s.kind == StatusKind::Bye => {
                    // The connection closes after BYE: nothing more will come.
                    return Err(self.fail(ProviderError::transient(format!(
                        "the mail server closed the connection: {}",
                        s.text
                    ))));
                }
                Response::Untagged(u) => untagged.push(u),
            }
        }
    }

    /// Sends one command and fails unless it completes with OK.
    pub async fn run(&mut self, command: &str) -> ProviderResult<Completion> {
        let tag = self.send(command).await?;
        let done = self.finish(&tag).await?;
        let verb = command.split(' ').next().unwrap_or("");
        expect_ok(verb, done)
    }

    /// Reads the answer to a `UID FETCH … BODY.PEEK[]` sent as `tag` until the
    /// body literal starts (then stream it with [`read_body_chunk`](Self::read_body_chunk))
    /// or the command completes (a body sent as a quoted string, NIL, or none).
    pub async fn read_fetch_body(&mut self, tag: &str) -> ProviderResult<BodyRead> {
        let mut untagged = Vec::new();
        let mut budget = self.max_answer_bytes;
        loop {
            let raw = match self.read_frame(true).await? {
                Frame::Body { len } => return Ok(BodyRead::Literal(len)),
                Frame::Complete(raw) => raw,
            };
            self.charge(&mut budget, raw.len())?;
            match parse_response(&raw).map_err(|e| self.fail(e))? {
                Response::Tagged { tag: got, status } if got == tag => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    return Ok(BodyRead::Done(Completion { untagged, status }));
                }
                Response::Untagged(u) => untagged.push(u),
                _ => return Err(self.fail(ProviderError::parse("an unexpected response to FETCH"))),
            }
        }
    }

    /// A cheap round trip that proves the connection still works.
    pub async fn noop(&mut self) -> ProviderResult<()> {
        self.run("NOOP").await.map(|_| ())
    }

    /// Takes `size` bytes off a command's budget.
    fn charge(&mut self, budget: &mut usize, size: usize) -> ProviderResult<()> {
        match budget.checked_sub(size) {
            Some(left) => {
                *budget = left;
                Ok(())
            }
            None => Err(self.fail(ProviderError::new(
                ErrorKind::TooLarge,
                format!(
                    "the mail server answered one command with more than {} bytes",
                    self.max_answer_bytes
                ),
            ))),
        }
    }

    /// A response and its size on the wire.
    async fn read_sized_response(&mut self) -> ProviderResult<(Response, usize)> {
        match self.read_frame(false).await? {
            Frame::Complete(raw) => {
                let response = parse_response(&raw).map_err(|e| self.fail(e))?;
                Ok((response, raw.len() + 2))
            }
            Frame::Body { .. } => Err(self.fail(ProviderError::parse("an unexpected body"))),
        }
    }

    /// Reads one response. With `stop_at_body`, a FETCH response stops at its
    /// `BODY[]` literal so that the body can be streamed rather than buffered.
    pub async fn read_frame(&mut self, stop_at_body: bool) -> ProviderResult<Frame> {
        let mut out = Vec::new();
        let mut literals = None;
        loop {
            let start = out.len();
            self.read_line_into(&mut out).await?;
            let literals = *literals.get_or_insert_with(|| may_carry_literals(&out));
            let announced = if literals { trailing_literal(&out[start..]) } else { None };
            let Some(len) = announced else {
                let end = out.len() - if out.ends_with(b"\r\n") { 2 } else { 1 };
                out.truncate(end);
                return Ok(Frame::Complete(out));
            };
            if stop_at_body && is_body_literal(&out) {
                return Ok(Frame::Body { len });
            }
            let total = usize::try_from(len).ok().and_then(|l| l.checked_add(out.len()));
            if total.is_none_or(|t| t > MAX_RESPONSE_BYTES) {
                return Err(self.fail(response_too_large()));
            }
            self.read_exact_into(&mut out, len).await?;
        }
    }

    /// Up to [`BODY_CHUNK_BYTES`] of a body literal with `left` bytes to go.
    pub async fn read_body_chunk(&mut self, left: u64) -> ProviderResult<Bytes> {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(BODY_CHUNK_BYTES);
        let mut chunk = Vec::with_capacity(want);
        let read =
            timeout(self.read_timeout, (&mut self.io).take(want as u64).read_to_end(&mut chunk))
                .await;
        self.last_used = Instant::now();
        match read {
            Ok(Ok(0)) => {
                Err(self.fail(ProviderError::transient("the mail server closed the connection")))
            }
            Ok(Ok(_)) => Ok(chunk.into()),
            Ok(Err(e)) => Err(self.fail(io_error("reading from the mail server failed", e))),
            Err(_) => Err(self.fail(timed_out())),
        }
    }

    /// Reads the rest of a response whose body literal was streamed.
    pub async fn finish_frame(&mut self) -> ProviderResult<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let start = out.len();
            self.read_line_into(&mut out).await?;
            let Some(len) = trailing_literal(&out[start..]) else {
                return Ok(out);
            };
            let total = usize::try_from(len).ok().and_then(|l| l.checked_add(out.len()));
            if total.is_none_or(|t| t > MAX_RESPONSE_BYTES) {
                return Err(self.fail(response_too_large()));
            }
            self.read_exact_into(&mut out, len).await?;
        }
    }

    async fn read_line_into(&mut self, out: &mut Vec<u8>) -> ProviderResult<()> {
        loop {
            let filled = timeout(self.read_timeout, self.io.fill_buf()).await;
            let buf = match filled {
                Ok(Ok(buf)) => buf,
                Ok(Err(e)) => {
                    return Err(self.fail(io_error("reading from the mail server failed", e)));
                }
                Err(_) => return Err(self.fail(timed_out())),
            };
            if buf.is_empty() {
                return Err(
                    self.fail(ProviderError::transient("the mail server closed the connection"))
                );
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if out.len() + take > MAX_RESPONSE_BYTES {
                return Err(self.fail(response_too_large()));
            }
            out.extend_from_slice(&buf[..take]);
            self.io.consume(take);
            if done {
                self.last_used = Instant::now();
                return Ok(());
            }
        }
    }

    async fn read_exact_into(&mut self, out: &mut Vec<u8>, len: u64) -> ProviderResult<()> {
        // Reads through `take` so memory grows with what arrives, not with what was announced.
        let read = timeout(self.read_timeout, (&mut self.io).take(len).read_to_end(out)).await;
        match read {
            Ok(Ok(n)) if n as u64 == len => Ok(()),
            Ok(Ok(_)) => {
                Err(self.fail(ProviderError::transient("the mail server closed the connection")))
            }
            Ok(Err(e)) => Err(self.fail(io_error("reading from the mail server failed", e))),
            Err(_) => Err(self.fail(timed_out())),
        }
    }

    fn fail(&mut self, error: ProviderError) -> ProviderError {
        self.broken = true;
        error
    }
}

/// `* n FETCH (… BODY[] {len}` or `BODY[]<0> {len}`.
fn is_body_literal(head: &[u8]) -> bool {
    let Some(open) = head.iter().rposition(|&b| b == b'{') else {
        return false;
    };
    let before = head[..open].trim_ascii_end().to_ascii_uppercase();
    let is_fetch = before.starts_with(b"* ") && before.windows(7).take(16).any(|w| w == b" FETCH ");
    let section = before.rsplit(|&b| b == b' ' || b == b'(').next().unwrap_or_default();
    let is_body =
        section == b"BODY[]" || (section.starts_with(b"BODY[]<") && section.ends_with(b">"));
    is_fetch && is_body
}

fn response_too_large() -> ProviderError {
    ProviderError::new(
        ErrorKind::TooLarge,
        format!("the mail server sent a response larger than {MAX_RESPONSE_BYTES} bytes"),
    )
}

/// Turns a NO or BAD completion of `verb` into an error.
pub fn expect_ok(verb: &str, done: Completion) -> ProviderResult<Completion> {
    match done.status.kind {
        StatusKind::Ok => Ok(done),
        _ => Err(command_error(verb, &done.status)),
    }
}

/// Classifies a NO or BAD answer: the one place IMAP status codes become error kinds.
pub fn command_error(verb: &str, status: &StatusResponse) -> ProviderError {
    let code = match &status.code {
        Some(RespCode::Other(code)) => code.as_str(),
        _ => "",
    };
    let text: String = status.text.chars().take(200).collect();
    let kind = match (status.kind, code) {
        (StatusKind::Bad, _) => ErrorKind::ParseError,
        (_, "NONEXISTENT" | "TRYCREATE") => ErrorKind::NotFound,
        (_, "NOPERM" | "AUTHORIZATIONFAILED") => ErrorKind::AccessDenied,
        (_, "UNAVAILABLE" | "INUSE" | "SERVERBUG" | "EXPUNGEISSUED") => ErrorKind::Transient,
        (_, "LIMIT") => ErrorKind::RateLimited,
        (_, "OVERQUOTA" | "TOOBIG") => ErrorKind::TooLarge,
        // Dovecot answers a missing mailbox with a bare NO.
        (_, _) if matches!(verb.to_ascii_uppercase().as_str(), "EXAMINE" | "SELECT" | "STATUS") => {
            ErrorKind::NotFound
        }
        _ => ErrorKind::Transient,
    };
    ProviderError::new(kind, format!("the mail server refused {verb}: {text}"))
        .with_context("imap_code", if code.is_empty() { "none" } else { code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_literals_are_recognised_only_in_fetch_responses() {
        assert!(is_body_literal(b"* 1 FETCH (UID 5 BODY[] {173}\r\n"));
        assert!(is_body_literal(b"* 12 FETCH (BODY[]<0> {10}\r\n"));
        assert!(is_body_literal(b"* 1 fetch (uid 5 body[] {173}\r\n"));
        assert!(!is_body_literal(b"* 1 FETCH (UID 5 BODY[HEADER] {173}\r\n"));
        assert!(!is_body_literal(b"* LIST () \"/\" {6}\r\n"));
        assert!(!is_body_literal(b"* 1 FETCH (UID 5 RFC822.HEADER {173}\r\n"));
    }

    #[test]
    fn quoting_escapes_and_refuses_what_cannot_be_quoted() {
        assert_eq!(quoted("INBOX").unwrap(), "\"INBOX\"");
        assert_eq!(quoted("a\"b\\c").unwrap(), "\"a\\\"b\\\\c\"");
        assert!(quoted("a\r\nb").is_err());
        assert!(quoted("Bücher").is_err());
    }

    #[test]
    fn xoauth2_payload_follows_the_documented_format() {
        let payload = xoauth2_payload(
            "someuser@example.com",
            &SecretText::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
        );
        // The example from Google's XOAUTH2 protocol documentation.
        assert_eq!(
            payload.expose(),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn status_codes_map_to_error_kinds() {
        let status = |kind, code: Option<&str>| StatusResponse {
            kind,
            code: code.map(|c| RespCode::Other(c.into())),
            text: "x".into(),
        };
        assert_eq!(
            command_error("EXAMINE", &status(StatusKind::No, None)).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            command_error("EXAMINE", &status(StatusKind::No, Some("NOPERM"))).kind(),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            command_error("FETCH", &status(StatusKind::No, Some("UNAVAILABLE"))).kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            command_error("FETCH", &status(StatusKind::Bad, None)).kind(),
            ErrorKind::ParseError
        );
        let login = ImapLogin::Password { username: "alice".into(), password: "hunter2".into() };
        let e = auth_error(&login, &status(StatusKind::No, Some("AUTHENTICATIONFAILED")));
        assert_eq!(e.kind(), ErrorKind::AuthExpired);
        assert!(e.message().contains("rejected the password"), "{}", e.message());
        assert!(!format!("{e:?} {e} {login:?}").contains("hunter2"));
    }
}
