//! A small SMTP client for the outbox (issue 16): plain SMTP (RFC 5321) over a tokio TCP stream, one
//! message per connection, no authentication and no TLS. Point it at a local relay (Postfix, an MTA
//! sidecar) that handles TLS and credentials; mail does not leave the machine unencrypted from here
//! unless the relay sends it so.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Each step (connect, a command's reply) must finish within this.
const STEP: Duration = Duration::from_secs(30);

/// Where and as whom to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Envelope and `From:` address.
    pub from: String,
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The relay could not be reached or the connection failed.
    #[error("SMTP relay {0}: {1}")]
    Io(String, std::io::Error),
    /// The relay answered with an error or out of turn.
    #[error("SMTP relay refused at `{step}`: {reply}")]
    Refused {
        /// The command.
        step: String,
        /// The reply.
        reply: String,
    },
    /// No answer in time.
    #[error("SMTP relay did not answer `{0}` within 30 s")]
    Timeout(String),
    /// An address that cannot be put in an SMTP command.
    #[error("`{0}` is not a usable mail address")]
    Address(String),
}

impl SmtpConfig {
    /// Reads `ORIGIN_AUDIT_SMTP` (`smtp://host:port`, port 25 by default) and `ORIGIN_AUDIT_MAIL_FROM`;
    /// `Ok(None)` when no relay is configured.
    pub fn from_env() -> Result<Option<SmtpConfig>, String> {
        let Ok(url) = std::env::var("ORIGIN_AUDIT_SMTP") else { return Ok(None) };
        if url.trim().is_empty() {
            return Ok(None);
        }
        let from = std::env::var("ORIGIN_AUDIT_MAIL_FROM").map_err(|_| {
            "ORIGIN_AUDIT_SMTP is set but ORIGIN_AUDIT_MAIL_FROM (the sender address) is not".to_string()
        })?;
        Self::parse(&url, &from).map(Some)
    }

    /// `smtp://host[:port]` and a sender address.
    pub fn parse(url: &str, from: &str) -> Result<SmtpConfig, String> {
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            format!("`{url}` is not an smtp:// URL (TLS is the relay's job: smtp://localhost:25 for a local relay)")
        })?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("`{p}` is not a port in `{url}`"))?),
            None => (rest, 25),
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no host"));
        }
        check_address(from).map_err(|e| e.to_string())?;
        Ok(SmtpConfig { host: host.to_string(), port, from: from.to_string() })
    }
}

fn check_address(a: &str) -> Result<(), SmtpError> {
    let ok = a.len() <= 254
        && a.contains('@')
        && !a.starts_with('@')
        && !a.ends_with('@')
        && a.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | ',' | ';' | '"' | '\\'));
    if ok { Ok(()) } else { Err(SmtpError::Address(a.to_string())) }
}

/// A header value on one line, ASCII only.
fn header_text(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}

/// The message: headers, a blank line, the body with CRLF line ends and leading dots doubled.
fn message(from: &str, to: &str, subject: &str, body: &str) -> String {
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        header_text(subject),
        chrono::Utc::now().to_rfc2822()
    );
    for line in body.lines() {
        if line.starts_with('.') {
            m.push('.');
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
    m
}

async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, step: &str) -> Result<(u16, String), SmtpError> {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(STEP, r.read_line(&mut line))
            .await
            .map_err(|_| SmtpError::Timeout(step.to_string()))?
            .map_err(|e| SmtpError::Io(step.to_string(), e))?;
        if n == 0 {
            return Err(SmtpError::Refused { step: step.to_string(), reply: "connection closed".into() });
        }
        all.push_str(line.trim_end());
        // "250-..." continues; "250 ..." ends the reply.
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            return Ok((code, all));
        }
        all.push(' ');
    }
}

/// Sends one mail through the relay.
pub async fn send(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<(), SmtpError> {
    check_address(to)?;
    check_address(&cfg.from)?;
    let addr = format!("{}:{}", cfg.host, cfg.port);
    let stream = tokio::time::timeout(STEP, TcpStream::connect(&addr))
        .await
        .map_err(|_| SmtpError::Timeout("connect".into()))?
        .map_err(|e| SmtpError::Io(addr.clone(), e))?;
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let expect = |step: &str, got: (u16, String), want: &[u16]| {
        if want.contains(&got.0) { Ok(()) } else { Err(SmtpError::Refused { step: step.to_string(), reply: got.1 }) }
    };
    expect("greeting", reply(&mut r, "greeting").await?, &[220])?;
    let steps: [(String, &[u16]); 4] = [
        ("EHLO origin-audit".to_string(), &[250]),
        (format!("MAIL FROM:<{}>", cfg.from), &[250]),
        (format!("RCPT TO:<{to}>"), &[250, 251]),
        ("DATA".to_string(), &[354]),
    ];
    for (cmd, want) in steps {
        w.write_all(format!("{cmd}\r\n").as_bytes()).await.map_err(|e| SmtpError::Io(addr.clone(), e))?;
        expect(&cmd, reply(&mut r, &cmd).await?, want)?;
    }
    let data = message(&cfg.from, to, subject, body);
    w.write_all(data.as_bytes()).await.map_err(|e| SmtpError::Io(addr.clone(), e))?;
    w.write_all(b".\r\n").await.map_err(|e| SmtpError::Io(addr.clone(), e))?;
    expect("end of data", reply(&mut r, "end of data").await?, &[250])?;
    // The mail is accepted; a failed QUIT changes nothing.
    let _ = w.write_all(b"QUIT\r\n").await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_urls_and_addresses() {
        let c = SmtpConfig::parse("smtp://relay.local:2525", "audit@example.com").map(|c| (c.host, c.port));
        assert_eq!(c, Ok(("relay.local".to_string(), 2525)));
        assert_eq!(SmtpConfig::parse("smtp://relay.local", "a@b.c").map(|c| c.port), Ok(25));
        assert!(SmtpConfig::parse("smtps://relay", "a@b.c").is_err());
        assert!(SmtpConfig::parse("smtp://relay:x", "a@b.c").is_err());
        // An address that would smuggle a second command or header is refused.
        assert!(check_address("a@b.c>\r\nRCPT TO:<x@y.z").is_err());
        assert!(check_address("evil@x.y\nBcc: z@w").is_err());
    }

    #[test]
    fn the_body_is_dot_stuffed_and_headers_stay_on_one_line() {
        let m = message("a@b.c", "d@e.f", "Subject\r\nBcc: x@y.z", "line\n.hidden\nend");
        assert!(m.contains("Subject: Subject??Bcc: x@y.z\r\n"), "{m}");
        assert!(m.contains("\r\n..hidden\r\n"), "{m}");
        assert!(!m.contains("\r\n.\r\n"), "{m}");
    }
}
