//! The SSRF guard for servers users type in (WebDAV, IMAP, self-hosted
//! Confluence and Jira).
//!
//! A user must not be able to point the server at its own network: loopback,
//! private, link-local (which includes cloud metadata at 169.254.169.254),
//! CGNAT, unspecified and similar addresses are refused unless an operator
//! admits them in `security.allow_hosts`. The check runs on the addresses a
//! connection is actually made to:
//! - HTTP: a DNS resolver that vets every answer (so no rebinding between a
//!   check and the connect), a check of literal IP hosts (which bypass DNS; the
//!   `url` crate normalizes decimal and hex spellings such as `2130706433` and
//!   `0x7f.1`), and the same checks on every redirect.
//!   Proxies from the environment (`HTTP_PROXY`, …) are not used for these hosts.
//! - IMAP: [`HostGuard::resolve`] returns only vetted socket addresses to connect to.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::{ProviderError, ProviderResult};

/// Why a host was refused. Travels inside transport errors so the HTTP layer can
/// report "not allowed" instead of "network error".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub host: String,
    pub address: Option<IpAddr>,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.address {
            Some(ip) if ip.to_string() != self.host => write!(
                f,
                "{} resolves to {ip}, an internal address; an administrator can allow it in security.allow_hosts",
                self.host
            ),
            _ => write!(
                f,
                "{} is an internal address; an administrator can allow it in security.allow_hosts",
                self.host
            ),
        }
    }
}

impl std::error::Error for Blocked {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Net(IpNet),
    Host(String),
}

/// Decides which hosts user-supplied URLs may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostGuard {
    allow: Vec<Rule>,
}

impl HostGuard {
    /// `allow` entries are IP addresses, CIDR ranges or host names.
    pub fn new(allow: &[String]) -> Result<Self, String> {
        let mut rules = Vec::new();
        for entry in allow {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let rule = if let Ok(net) = entry.parse::<IpNet>() {
                Rule::Net(net)
            } else if let Ok(ip) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
                Rule::Net(IpNet::from(ip))
            } else if entry.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                Rule::Host(entry.to_ascii_lowercase())
            } else {
                return Err(format!(
                    "security.allow_hosts: {entry:?} is not an address, range or host name"
                ));
            };
            rules.push(rule);
        }
        Ok(Self { allow: rules })
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.allow.iter().any(|rule| matches!(rule, Rule::Host(h) if *h == host))
    }

    fn ip_allowed(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allow.iter().any(|rule| matches!(rule, Rule::Net(net) if net.contains(&ip)))
    }

    /// Whether the operator admitted this URL's host explicitly (by name or address), for
    /// the few relaxations such hosts get (plain `http` to an internal Data Center server).
    pub fn admits(&self, url: &Url) -> bool {
        match url.host() {
            Some(Host::Domain(name)) => self.host_allowed(name),
            Some(Host::Ipv4(ip)) => self.ip_allowed(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.ip_allowed(IpAddr::V6(ip)),
            None => false,
        }
    }

    /// Whether `host` (as typed) may connect to `ip`.
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Blocked> {
        if !is_internal(ip) || self.host_allowed(host) || self.ip_allowed(ip) {
            Ok(())
        } else {
            Err(Blocked { host: host.to_string(), address: Some(ip) })
        }
    }

    /// Checks the scheme and, for literal IP hosts, the address. Names are
    /// checked when they are resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), ProviderError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ProviderError::invalid(format!("{} URLs are not supported", url.scheme())));
        }
        match url.host() {
            None => Err(ProviderError::invalid("the URL has no host")),
            Some(Host::Ipv4(ip)) => self.check_literal(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_literal(IpAddr::V6(ip)),
            Some(Host::Domain(_)) => Ok(()),
        }
    }

    fn check_literal(&self, ip: IpAddr) -> Result<(), ProviderError> {
        self.check_ip(&ip.to_string(), ip)
            .map_err(|b| ProviderError::invalid(b.to_string()).with_source(b))
    }

    /// Resolves `host` and returns the addresses a connection may use; fails if
    /// any of them is internal and not allowed.
    pub async fn resolve(&self, host: &str, port: u16) -> ProviderResult<Vec<SocketAddr>> {
        let bare = host.trim_matches(['[', ']']);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            self.check_literal(ip)?;
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| ProviderError::transient(format!("cannot resolve {bare}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(ProviderError::transient(format!("{bare} has no addresses")));
        }
        for addr in &addrs {
            self.check_ip(bare, addr.ip())
                .map_err(|b| ProviderError::invalid(b.to_string()).with_source(b))?;
        }
        Ok(addrs)
    }

    /// A reqwest client builder whose DNS answers and redirects pass this guard.
    /// Callers must still check the first URL with [`HostGuard::check_url`]
    /// (literal IP hosts do not go through DNS); [`super::http::HttpClient`] does.
    pub fn client_builder(self: &Arc<Self>) -> reqwest::ClientBuilder {
        let redirect_guard = self.clone();
        super::http::HttpDeps::default_client_builder()
            // Through an HTTP proxy from the environment, the proxy would resolve
            // and connect, and the guard would only ever see the proxy's address.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { guard: self.clone() }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if let Err(e) = redirect_guard.check_url(attempt.url()) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            }))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Addresses that reach the server's own host or network.
pub fn is_internal(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()                       // 127.0.0.0/8
        || ip.is_private()                 // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()              // 169.254/16, cloud metadata
        || ip.is_unspecified()             // 0.0.0.0
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0                          // 0.0.0.0/8 "this network"
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 CGNAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // 192.0.0.0/24 IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15 benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // The IPv4 address in the last 32 bits, or (for 6to4) in bits 16..48.
    let low_v4 = Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    let six_to_four_v4 = Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2]));
    ip.is_loopback()                                   // ::1
        || ip.is_unspecified()                         // ::
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00                   // fc00::/7 unique local (incl. fd00:ec2::254 metadata)
        || (s[0] & 0xffc0) == 0xfe80                   // fe80::/10 link local
        || (s[0] & 0xffc0) == 0xfec0                   // fec0::/10 site local (deprecated)
        || (s[..6].iter().all(|x| *x == 0) && is_internal_v4(low_v4)) // ::a.b.c.d (IPv4-compatible)
        || (s[0] == 0x0064 && s[1] == 0xff9b && is_internal_v4(low_v4)) // 64:ff9b::/96 NAT64
        || (s[0] == 0x2002 && is_internal_v4(six_to_four_v4)) // 2002::/16 6to4
}

/// A DNS resolver that refuses internal answers.
struct GuardedResolver {
    guard: Arc<HostGuard>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                guard
                    .check_ip(&host, addr.ip())
                    .map_err(|b| Box::new(b) as Box<dyn std::error::Error + Send + Sync>)?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Finds a [`Blocked`] anywhere in an error's source chain.
pub fn find_blocked<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Blocked> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(blocked) = e.downcast_ref::<Blocked>() {
            return Some(blocked);
        }
        // `io::Error::source` skips the wrapped error itself; look inside.
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && let Some(blocked) = find_blocked(inner)
        {
            return Some(blocked);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(guard: &HostGuard, url: &str) -> bool {
        guard.check_url(&Url::parse(url).unwrap()).is_err()
    }

    #[test]
    fn internal_addresses_in_every_spelling_are_refused() {
        let guard = HostGuard::default();
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/", // decimal 127.0.0.1
            "http://0x7f000001/", // hex
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/", // octal
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[fe80::1]/",
            "http://[fd00:ec2::254]/",
            "http://[fc00::1]/",
            "http://[::]/",
            "http://[64:ff9b::a9fe:a9fe]/", // NAT64 of 169.254.169.254
            "http://[2002:7f00:1::]/",      // 6to4 of 127.0.0.1
        ] {
            assert!(blocked(&guard, url), "{url} must be refused");
        }
        for url in
            ["https://cloud.example.com/", "http://93.184.216.34/", "http://[2606:4700::1111]/"]
        {
            assert!(!blocked(&guard, url), "{url} must be allowed");
        }
        assert!(blocked(&guard, "file:///etc/passwd"));
        assert!(blocked(&guard, "gopher://example.com/"));
    }

    #[test]
    fn the_allow_list_admits_addresses_ranges_and_names() {
        let guard = HostGuard::new(&[
            "127.0.0.1".into(),
            "10.1.0.0/16".into(),
            "nextcloud.lan".into(),
            "::1".into(),
        ])
        .unwrap();
        assert!(!blocked(&guard, "http://127.0.0.1:8080/"));
        assert!(!blocked(&guard, "http://[::1]/"));
        assert!(!blocked(&guard, "http://10.1.200.3/"));
        assert!(blocked(&guard, "http://10.2.0.1/"));
        assert!(blocked(&guard, "http://127.0.0.2/"));
        assert!(guard.check_ip("nextcloud.lan", "192.168.1.10".parse().unwrap()).is_ok());
        assert!(guard.check_ip("other.lan", "192.168.1.10".parse().unwrap()).is_err());
        assert!(HostGuard::new(&["not a host!".into()]).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_refused() {
        let guard = HostGuard::default();
        let err = guard.resolve("localhost", 993).await.unwrap_err();
        assert_eq!(err.kind(), super::super::ErrorKind::Invalid);
        assert!(err.message().contains("internal address"), "{}", err.message());
        let allowed = HostGuard::new(&["localhost".into()]).unwrap();
        assert!(!allowed.resolve("localhost", 993).await.unwrap().is_empty());
    }
}
