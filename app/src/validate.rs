//! Field checks the browser runs before anything is sent, with messages that say
//! what to type. The server checks again; these only save a round trip.

/// A URL with an `http` or `https` scheme and a host, e.g. `https://cloud.example.com`.
pub fn http_url(value: &str) -> Result<(), String> {
    let value = value.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| "Enter a URL that starts with https:// (or http://)".to_string())?;
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // user:password@ in the URL: credentials belong in their own fields.
    if host_port.contains('@') {
        return Err("Put the user name and password in their own fields, not in the URL".into());
    }
    let (host, port) = match host_port.strip_prefix('[') {
        // [IPv6]:port
        Some(v6) => {
            let (host, after) = v6.split_once(']').unwrap_or((v6, ""));
            (host, after.strip_prefix(':'))
        }
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return Err("The URL needs a server name, e.g. https://cloud.example.com".into());
    }
    if value.chars().any(char::is_whitespace) || !host.chars().all(host_char) {
        return Err("This is not a valid URL".into());
    }
    if let Some(port) = port {
        port_number(port).map_err(|_| "The port in the URL must be 1–65535".to_string())?;
    }
    Ok(())
}

fn host_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')
}

/// A host name or address without scheme or port, e.g. `imap.example.com`.
pub fn host_name(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.contains("://") {
        return Err("Enter only the host name, without imap:// or https://".into());
    }
    if value.contains('/') || value.chars().any(char::is_whitespace) {
        return Err("Enter only the host name, e.g. imap.example.com".into());
    }
    if !value.starts_with('[') && value.matches(':').count() == 1 {
        return Err("Enter the port in the Port field".into());
    }
    if !value.chars().all(|c| host_char(c) || matches!(c, '[' | ']')) {
        return Err("This is not a valid host name".into());
    }
    Ok(())
}

/// A TCP port, 1–65535.
pub fn port_number(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u32>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        _ => Err("Enter a port between 1 and 65535".into()),
    }
}

/// An e-mail address: something, `@`, a domain with a dot.
pub fn email(value: &str) -> Result<(), String> {
    let value = value.trim();
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err("Enter an e-mail address like name@example.com".into()),
    }
}

/// A PEM block of the given label ("CERTIFICATE", "PRIVATE KEY"); any key type
/// matches "PRIVATE KEY" (`RSA PRIVATE KEY`, `EC PRIVATE KEY`).
pub fn pem(value: &str, label: &str) -> Result<(), String> {
    let value = value.trim();
    let ok = value.lines().next().is_some_and(|first| {
        first.starts_with("-----BEGIN ") && first.ends_with("-----") && first.contains(label)
    }) && value.contains("-----END ");
    if ok {
        Ok(())
    } else {
        Err(format!("Paste a PEM block that starts with -----BEGIN {label}-----"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(http_url("https://cloud.example.com").is_ok());
        assert!(http_url("http://127.0.0.1:8080/remote.php/dav/files/alice/").is_ok());
        assert!(http_url("https://[::1]:8443/dav").is_ok());
        assert!(http_url("cloud.example.com").is_err());
        assert!(http_url("ftp://cloud.example.com").is_err());
        assert!(http_url("https://").is_err());
        assert!(http_url("https://cloud example.com").is_err());
        assert!(http_url("https://alice:secret@cloud.example.com").is_err());
        assert!(http_url("https://cloud.example.com:99999").is_err());
    }

    #[test]
    fn hosts_have_no_scheme_path_or_port() {
        assert!(host_name("imap.example.com").is_ok());
        assert!(host_name("127.0.0.1").is_ok());
        assert!(host_name("imaps://imap.example.com").is_err());
        assert!(host_name("imap.example.com:993").is_err());
        assert!(host_name("imap.example.com/inbox").is_err());
    }

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!(port_number("993"), Ok(993));
        assert_eq!(port_number(" 143 "), Ok(143));
        assert!(port_number("0").is_err());
        assert!(port_number("65536").is_err());
        assert!(port_number("imap").is_err());
        assert!(port_number("").is_err());
    }

    #[test]
    fn email_addresses_have_a_domain() {
        assert!(email("alice@example.com").is_ok());
        assert!(email("alice").is_err());
        assert!(email("alice@localhost").is_err());
        assert!(email("@example.com").is_err());
    }

    #[test]
    fn pem_blocks_are_recognised_by_their_label() {
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(pem(cert, "CERTIFICATE").is_ok());
        assert!(
            pem("-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----", "PRIVATE KEY")
                .is_ok()
        );
        assert!(pem(cert, "PRIVATE KEY").is_err());
        assert!(pem("MIIB…", "CERTIFICATE").is_err());
    }
}
