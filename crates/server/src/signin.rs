//! The sign-in form's defences (issue 13, item 4): failed sign-ins back off per account and per
//! client address; the form's CSRF token is minted and checked with a secret of this process (a
//! cookie/field pair the server did not make is refused); the `next` path is decoded and must stay on
//! this origin; user text written to the log is escaped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Failed sign-ins allowed before the back-off starts (per account, and per client address).
pub const FREE_FAILURES: u32 = 5;
/// The longest wait the back-off imposes.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A key with no failure for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Keys kept at most (accounts and addresses each); the oldest quiet ones are dropped first.
const MAX_KEYS: usize = 100_000;
/// How long a login form's token is accepted.
pub const LOGIN_TOKEN_SECONDS: u64 = 600;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    until: Instant,
}

/// Counts failed sign-ins by account name and by client address; after [`FREE_FAILURES`] each
/// further failure doubles the wait (1 s, 2 s, 4 s ... up to [`MAX_WAIT`]). A success clears the
/// account and the address.
#[derive(Debug, Default)]
pub struct Throttle {
    accounts: HashMap<String, Failures>,
    clients: HashMap<IpAddr, Failures>,
}

fn account_key(name: &str) -> String {
    name.trim().to_lowercase().chars().take(64).collect()
}

impl Throttle {
    /// `Err(wait)` when the account or the address must wait before trying again.
    pub fn check(&self, account: &str, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let wait = |f: Option<&Failures>| f.map(|f| f.until.saturating_duration_since(now)).unwrap_or_default();
        let w = wait(self.accounts.get(&account_key(account))).max(wait(client.and_then(|c| self.clients.get(&c))));
        if w.is_zero() { Ok(()) } else { Err(w) }
    }

    /// Records a failed sign-in.
    pub fn failed(&mut self, account: &str, client: Option<IpAddr>, now: Instant) {
        bump(&mut self.accounts, account_key(account), now);
        if let Some(c) = client {
            bump(&mut self.clients, c, now);
        }
    }

    /// `Err(wait)` when the client address must wait: the API's bearer-token path, which names no
    /// account. It shares the address's count with sign-ins, so one address has one budget of guesses.
    pub fn check_client(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let w = client
            .and_then(|c| self.clients.get(&c))
            .map(|f| f.until.saturating_duration_since(now))
            .unwrap_or_default();
        if w.is_zero() { Ok(()) } else { Err(w) }
    }

    /// Records a wrong bearer token from `client`. A right one does not clear the count (unlike a
    /// sign-in): a valid token of the guesser's own must not reset the back-off on guessing others.
    pub fn failed_client(&mut self, client: Option<IpAddr>, now: Instant) {
        if let Some(c) = client {
            bump(&mut self.clients, c, now);
        }
    }

    /// Records a successful sign-in.
    pub fn succeeded(&mut self, account: &str, client: Option<IpAddr>) {
        self.accounts.remove(&account_key(account));
        if let Some(c) = client {
            self.clients.remove(&c);
        }
    }
}

fn bump<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, Failures>, key: K, now: Instant) {
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        map.retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER && f.until > now);
        if map.len() >= MAX_KEYS {
            // Still full of live keys: drop the quietest to stay bounded.
            if let Some(oldest) = map.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone()) {
                map.remove(&oldest);
            }
        }
    }
    let f = map.entry(key).or_insert(Failures { count: 0, last: now, until: now });
    if now.saturating_duration_since(f.last) >= FORGET_AFTER {
        f.count = 0;
    }
    f.count = f.count.saturating_add(1);
    f.last = now;
    if f.count > FREE_FAILURES {
        let exp = (f.count - FREE_FAILURES - 1).min(20);
        f.until = now + Duration::from_secs(1u64 << exp).min(MAX_WAIT);
    }
}

/// HMAC-SHA256 (RFC 2104) over `msg`.
fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The login form's CSRF token, `issued.nonce.mac`: the MAC binds it to this server's secret, so a
/// cookie and field an attacker set to the same made-up value are refused.
pub fn mint_login_token(secret: &[u8], nonce: &str) -> String {
    let body = format!("{}.{nonce}", unix_now());
    format!("{body}.{}", hex(&hmac(secret, body.as_bytes())))
}

/// Whether `token` is one this server minted in the last [`LOGIN_TOKEN_SECONDS`].
pub fn login_token_valid(secret: &[u8], token: &str) -> bool {
    let Some((body, mac)) = token.rsplit_once('.') else { return false };
    let Some((issued, _nonce)) = body.split_once('.') else { return false };
    let Ok(issued) = issued.parse::<u64>() else { return false };
    let want = hex(&hmac(secret, body.as_bytes()));
    // Constant-time comparison of the hex MACs.
    let same = want.len() == mac.len() && want.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    same && unix_now().saturating_sub(issued) <= LOGIN_TOKEN_SECONDS
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A path on this origin to return to after signing in, else `/queue`. The value is checked as given
/// and after each round of percent-decoding: no control character or space (a browser drops a tab or
/// line feed, so `/%09/evil.example` would become `//evil.example`), no backslash, and it starts with
/// one `/` that is not followed by another `/`. Returned as given (still encoded).
pub fn safe_next(next: Option<&str>) -> String {
    let fallback = || "/queue".to_string();
    let Some(n) = next else { return fallback() };
    if n.len() > 2048 {
        return fallback();
    }
    let mut cur = n.to_string();
    for round in 0..4 {
        // Spaces may be written encoded (`%20`), never raw.
        let ok = cur.starts_with('/')
            && !cur.starts_with("//")
            && !cur.contains('\\')
            && !cur.chars().any(|c| c.is_control() || (round == 0 && c.is_whitespace()));
        if !ok {
            return fallback();
        }
        match percent_decode(&cur) {
            Some(d) if d == cur => return n.to_string(),
            Some(d) => cur = d,
            None => return fallback(),
        }
    }
    fallback()
}

/// User text for the log: control characters (newlines, ANSI escapes) shown escaped, so that a name
/// cannot forge log lines or colour a terminal; long text cut.
pub fn log_text(s: &str) -> String {
    let cut: String = s.chars().take(128).collect();
    let mut out = cut.escape_debug().to_string();
    if s.chars().count() > 128 {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Item 4 (reproduction): `/login?next=/%09/127.0.0.2:9999/phish` passed; a LF in `next` gave a
    /// bare 500 after the session was created.
    #[test]
    fn next_must_stay_on_this_origin_after_decoding() {
        assert_eq!(safe_next(Some("/runs?x=1")), "/runs?x=1");
        assert_eq!(safe_next(Some("/findings/abc")), "/findings/abc");
        assert_eq!(safe_next(Some("/queue?supplier=Acme%20Co")), "/queue?supplier=Acme%20Co");
        for bad in [
            "/\t/127.0.0.2:9999/phish",
            "/%09/127.0.0.2:9999/phish",
            "/%2F/evil.example",
            "/%252F/evil.example",
            "//evil.example",
            "/\\evil.example",
            "/runs\nSet-Cookie: x=1",
            "/runs%0aSet-Cookie:%20x=1",
            "https://evil.example/",
            "/%zz",
        ] {
            assert_eq!(safe_next(Some(bad)), "/queue", "{bad:?}");
        }
    }

    #[test]
    fn the_back_off_starts_after_five_failures_and_doubles() {
        let mut t = Throttle::default();
        let now = Instant::now();
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..FREE_FAILURES {
            assert!(t.check("aud", Some(ip), now).is_ok());
            t.failed("aud", Some(ip), now);
        }
        assert!(t.check("aud", Some(ip), now).is_ok(), "five failures are free");
        t.failed("aud", Some(ip), now);
        assert_eq!(t.check("aud", None, now), Err(Duration::from_secs(1)), "per account");
        assert_eq!(t.check("other", Some(ip), now), Err(Duration::from_secs(1)), "per address");
        t.failed("AUD", Some(ip), now);
        assert_eq!(t.check("aud", None, now), Err(Duration::from_secs(2)), "names are compared case-blind");
        for _ in 0..40 {
            t.failed("aud", Some(ip), now);
        }
        assert_eq!(t.check("aud", None, now), Err(MAX_WAIT));
        assert!(t.check("aud", None, now + MAX_WAIT).is_ok());
        t.succeeded("aud", Some(ip));
        assert!(t.check("aud", Some(ip), now).is_ok());
    }

    #[test]
    fn login_tokens_are_bound_to_the_server_secret() {
        let t = mint_login_token(b"secret-one", "n1");
        assert!(login_token_valid(b"secret-one", &t));
        assert!(!login_token_valid(b"secret-two", &t), "another server's secret");
        assert!(!login_token_valid(b"secret-one", "attacker-chosen"), "a made-up value");
        let forged = t.replacen("n1", "n2", 1);
        assert!(!login_token_valid(b"secret-one", &forged));
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn log_text_escapes_newlines_and_terminal_escapes() {
        assert_eq!(log_text("eve\nINFO forged line\u{1b}[31m"), "eve\\nINFO forged line\\u{1b}[31m");
    }
}
