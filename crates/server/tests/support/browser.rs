//! A minimal headless-Chromium harness for the end-to-end tests: starts `chromedriver` on a free
//! localhost port and speaks W3C WebDriver to it over plain HTTP/1.1, with only std and serde_json
//! (no WebDriver crate, so no async runtime or extra dependency tree in the test build).
//!
//! Binaries: `$ORIGIN_AUDIT_CHROMEDRIVER`, else `/usr/bin/chromedriver`, else `chromedriver` on PATH;
//! `$ORIGIN_AUDIT_CHROMIUM`, else `/usr/bin/chromium` (Debian's `chromium` and `chromium-driver`).
//! Use [`require_browser`]: without a browser it skips loudly, or fails when `CI` is set.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The W3C key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// A hung browser must fail the test, not hang it: every WebDriver call gives up after this.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// How long chromedriver may take to answer `/status` with ready.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Whether a browser could be started, and why not.
#[derive(Debug)]
pub enum Availability {
    Ready(Browser),
    Missing(String),
}

/// Starts a browser and reports the outcome without any skip/fail policy.
pub fn availability() -> Availability {
    match start() {
        Ok(b) => Availability::Ready(b),
        Err(e) => Availability::Missing(e),
    }
}

/// Starts a browser, or returns None after a loud SKIPPED line on stderr. Under CI (`CI` set and
/// non-empty) it panics instead, so a missing browser fails the run rather than silently passing it.
pub fn require_browser() -> Option<Browser> {
    match start() {
        Ok(b) => Some(b),
        Err(reason) => {
            let test = std::thread::current().name().unwrap_or("test").to_string();
            if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                #[allow(clippy::panic, reason = "under CI a missing browser must fail the test")]
                {
                    panic!(
                        "{test}: headless Chromium unavailable: {reason}; CI must run the browser tests \
                         (install chromium and chromium-driver, or set ORIGIN_AUDIT_CHROMIUM / ORIGIN_AUDIT_CHROMEDRIVER)"
                    );
                }
            }
            eprintln!("\n!!!!!!!! SKIPPED {test} in headless Chromium: {reason} !!!!!!!!\n");
            None
        }
    }
}

/// A reference to an element in the current page, as WebDriver hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementId(pub String);

/// A running chromedriver with one WebDriver session; dropping it ends the session and kills
/// chromedriver and the Chromium processes it started.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    /// Holds the Chromium profile and chromedriver's log; removed on drop.
    dir: PathBuf,
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn find_chromedriver() -> Result<PathBuf, String> {
    if let Some(p) = env_path("ORIGIN_AUDIT_CHROMEDRIVER") {
        // An explicit path is used as given: a wrong one is reported, not silently replaced.
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("$ORIGIN_AUDIT_CHROMEDRIVER={} is not a file", p.display()))
        };
    }
    let default = PathBuf::from("/usr/bin/chromedriver");
    if default.is_file() {
        return Ok(default);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("chromedriver")).find(|p| p.is_file()))
        .ok_or_else(|| "chromedriver not found ($ORIGIN_AUDIT_CHROMEDRIVER, /usr/bin/chromedriver, PATH)".to_string())
}

fn find_chromium() -> Result<PathBuf, String> {
    if let Some(p) = env_path("ORIGIN_AUDIT_CHROMIUM") {
        return if p.is_file() { Ok(p) } else { Err(format!("$ORIGIN_AUDIT_CHROMIUM={} is not a file", p.display())) };
    }
    let default = PathBuf::from("/usr/bin/chromium");
    if default.is_file() {
        Ok(default)
    } else {
        Err("chromium not found ($ORIGIN_AUDIT_CHROMIUM, /usr/bin/chromium)".into())
    }
}

/// A fresh directory per browser, so parallel tests never share a Chromium profile.
fn fresh_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("origin-audit-browser-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir_all(dir.join("profile")).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("binding a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| format!("reading the free port: {e}"))
}

/// The last lines of chromedriver's log, to explain a failed start.
fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Starts chromedriver and opens a headless Chromium session.
pub fn start() -> Result<Browser, String> {
    start_with_args(&[])
}

/// Like [`start`], with extra Chromium flags after the standard ones (e.g. `--host-resolver-rules=...`
/// to reach the local server under a non-loopback name, or `--lang=...`).
pub fn start_with_args(extra: &[&str]) -> Result<Browser, String> {
    let driver_bin = find_chromedriver()?;
    let chromium = find_chromium()?;
    let dir = fresh_dir()?;
    start_in(&driver_bin, &chromium, &dir, extra).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&dir);
    })
}

fn start_in(driver_bin: &Path, chromium: &Path, dir: &Path, extra: &[&str]) -> Result<Browser, String> {
    let log = std::fs::File::create(dir.join("chromedriver.log")).map_err(|e| format!("creating the log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| format!("cloning the log handle: {e}"))?;
    let port = free_port()?;
    let mut cmd = Command::new(driver_bin);
    cmd.arg(format!("--port={port}")).arg("--enable-chrome-logs").stdin(Stdio::null()).stdout(log).stderr(log2);
    // Its own process group, so drop can kill chromedriver together with every Chromium it started.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let driver = cmd.spawn().map_err(|e| format!("starting {}: {e}", driver_bin.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // From here on the Browser owns the process and the directory, so every early return cleans up.
    let mut b = Browser { driver, addr, session: String::new(), dir: dir.to_path_buf() };
    match b.open_session(chromium, extra) {
        Ok(()) => Ok(b),
        Err(e) => {
            // Read before `b` drops, which removes the directory holding the log.
            let tail = log_tail(dir);
            Err(if tail.is_empty() { e } else { format!("{e}\nchromedriver log (last lines):\n{tail}") })
        }
    }
}

impl Browser {
    /// Waits for chromedriver to be ready, then creates the WebDriver session.
    fn open_session(&mut self, chromium: &Path, extra: &[&str]) -> Result<(), String> {
        let (addr, port) = (self.addr, self.addr.port());
        let b = self;
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = b.driver.try_wait() {
                return Err(format!("chromedriver exited at startup ({status})"));
            }
            if let Ok((200, body)) = http(addr, "GET", "/status", None, Duration::from_secs(2))
                && body["value"]["ready"] == Value::Bool(true)
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("chromedriver on port {port} not ready after {STARTUP_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }

        // The networking flags keep Chromium from reaching out: on a closed network those connections
        // are refused and the background traffic only slows and clutters things. --disable-dev-shm-usage
        // is passed here because Debian's wrapper script fails to add it on machines with a small /dev/shm.
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", b.dir.join("profile").display()));
        args.extend(extra.iter().map(|a| a.to_string()));
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "goog:chromeOptions": { "binary": chromium.to_string_lossy(), "args": args },
            // Below IO_TIMEOUT, so a hung page comes back as a WebDriver error rather than a socket timeout.
            "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 30_000 },
        }}});
        let value = b.call_raw("POST", "/session", Some(&caps))?;
        b.session = value["sessionId"].as_str().ok_or_else(|| format!("no sessionId in {value}"))?.to_string();
        Ok(())
    }

    /// Sends one command to this session (`path` is relative to `/session/{id}`) and returns its value.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        self.call_raw(method, &format!("/session/{}{path}", self.session), body)
    }

    fn call_raw(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let (status, json) = http(self.addr, method, path, body, IO_TIMEOUT)?;
        let value = json.get("value").cloned().unwrap_or(Value::Null);
        if (200..300).contains(&status) && value.get("error").is_none() {
            return Ok(value);
        }
        let error = value["error"].as_str().unwrap_or("unknown error");
        let message = value["message"].as_str().unwrap_or("");
        Err(format!("{method} {path}: HTTP {status}: {error}: {message}"))
    }

    /// Navigates and waits for the page load (the session's pageLoad timeout is 30 s).
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.call("POST", "/url", Some(&json!({ "url": url }))).map(drop)
    }

    /// The first element matching a CSS selector, or Err (`no such element`) at once: no implicit wait.
    pub fn find(&self, css: &str) -> Result<ElementId, String> {
        let v = self.call("POST", "/element", Some(&json!({ "using": "css selector", "value": css })))?;
        element_id(&v).map_err(|e| format!("find {css:?}: {e}"))
    }

    /// Every element matching a CSS selector, in document order (empty when none).
    pub fn find_all(&self, css: &str) -> Result<Vec<ElementId>, String> {
        let v = self.call("POST", "/elements", Some(&json!({ "using": "css selector", "value": css })))?;
        v.as_array().ok_or_else(|| format!("find_all {css:?}: not an array: {v}"))?.iter().map(element_id).collect()
    }

    /// Polls [`Browser::find`] until the element appears, for pages that render or navigate later.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<ElementId, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(css) {
                Ok(el) => return Ok(el),
                Err(e) if Instant::now() >= deadline => return Err(format!("waited {timeout:?}: {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    pub fn click(&self, el: &ElementId) -> Result<(), String> {
        self.call("POST", &format!("/element/{}/click", el.0), Some(&json!({}))).map(drop)
    }

    /// Types into an input (appends to what it holds; see WebDriver's Element Send Keys).
    pub fn send_keys(&self, el: &ElementId, text: &str) -> Result<(), String> {
        self.call("POST", &format!("/element/{}/value", el.0), Some(&json!({ "text": text }))).map(drop)
    }

    /// Empties an input or textarea.
    pub fn clear(&self, el: &ElementId) -> Result<(), String> {
        self.call("POST", &format!("/element/{}/clear", el.0), Some(&json!({}))).map(drop)
    }

    /// The element's rendered (visible) text.
    pub fn text(&self, el: &ElementId) -> Result<String, String> {
        let v = self.call("GET", &format!("/element/{}/text", el.0), None)?;
        v.as_str().map(str::to_string).ok_or_else(|| format!("text: not a string: {v}"))
    }

    /// An HTML attribute as written in the markup, None when absent. What a user typed into an input
    /// is not an attribute: read it with `prop(el, "value")`.
    pub fn attr(&self, el: &ElementId, name: &str) -> Result<Option<String>, String> {
        self.call("GET", &format!("/element/{}/attribute/{name}", el.0), None).map(as_opt_string)
    }

    /// A DOM property (`value`, `checked`, ...), as text; None when null or undefined.
    pub fn prop(&self, el: &ElementId, name: &str) -> Result<Option<String>, String> {
        self.call("GET", &format!("/element/{}/property/{name}", el.0), None).map(as_opt_string)
    }

    /// The serialized DOM as it is now (after scripts ran), not the bytes the server sent.
    pub fn page_source(&self) -> Result<String, String> {
        let v = self.call("GET", "/source", None)?;
        v.as_str().map(str::to_string).ok_or_else(|| format!("page_source: not a string: {v}"))
    }

    pub fn current_url(&self) -> Result<String, String> {
        let v = self.call("GET", "/url", None)?;
        v.as_str().map(str::to_string).ok_or_else(|| format!("current_url: not a string: {v}"))
    }

    pub fn title(&self) -> Result<String, String> {
        let v = self.call("GET", "/title", None)?;
        v.as_str().map(str::to_string).ok_or_else(|| format!("title: not a string: {v}"))
    }

    /// Runs synchronous JavaScript (`return ...;`) in the page and returns its JSON result.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.call("POST", "/execute/sync", Some(&json!({ "script": script, "args": args })))
    }

    /// The cookies visible to the current page, HttpOnly ones included (WebDriver sees them all).
    pub fn cookies(&self) -> Result<Vec<Value>, String> {
        let v = self.call("GET", "/cookie", None)?;
        v.as_array().cloned().ok_or_else(|| format!("cookies: not an array: {v}"))
    }

    /// Saves a PNG of the viewport, for a person (or the file viewer) to look at after a failure.
    pub fn screenshot_png(&self, path: impl AsRef<Path>) -> Result<(), String> {
        let v = self.call("GET", "/screenshot", None)?;
        let b64 = v.as_str().ok_or_else(|| format!("screenshot: not a string: {v}"))?;
        let png = base64_decode(b64)?;
        std::fs::write(path.as_ref(), png).map_err(|e| format!("writing {}: {e}", path.as_ref().display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            // Lets chromedriver close Chromium cleanly; the kills below catch whatever remains.
            let path = format!("/session/{}", self.session);
            let _ = http(self.addr, "DELETE", &path, None, Duration::from_secs(10));
        }
        let pid = self.driver.id();
        let group = format!("-{pid}");
        // The group id stays ours until the chromedriver zombie is reaped by wait() below.
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.driver.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn as_opt_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn element_id(v: &Value) -> Result<ElementId, String> {
    v[ELEMENT_KEY].as_str().map(|s| ElementId(s.to_string())).ok_or_else(|| format!("not an element reference: {v}"))
}

/// One HTTP/1.1 exchange with `Connection: close`; returns the status and the JSON body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, Value), String> {
    let what = format!("{method} {path}");
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| format!("{what}: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| format!("{what}: {e}"))?;
    s.set_write_timeout(Some(timeout)).map_err(|e| format!("{what}: {e}"))?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n");
    if body.is_some() {
        req.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    let _ = write!(req, "Content-Length: {}\r\n\r\n{payload}", payload.len());
    s.write_all(req.as_bytes()).map_err(|e| format!("{what}: sending: {e}"))?;

    // Read the head, then exactly Content-Length bytes when given, else to EOF (Connection: close).
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).map_err(|e| format!("{what}: reading: {e}"))?;
        if n == 0 {
            return Err(format!("{what}: connection closed before the response head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{what}: bad status line in {head:?}"))?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let length: Option<usize> = header("content-length").and_then(|v| v.parse().ok());
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    loop {
        if length.is_some_and(|len| buf.len() - head_end >= len) {
            break;
        }
        let n = s.read(&mut chunk).map_err(|e| format!("{what}: reading: {e}"))?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut body = buf.split_off(head_end);
    if let Some(len) = length {
        body.truncate(len);
    } else if chunked {
        body = dechunk(&body).ok_or_else(|| format!("{what}: malformed chunked body"))?;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((status, Value::Null));
    }
    let json = serde_json::from_slice(&body)
        .map_err(|e| format!("{what}: HTTP {status}: body is not JSON ({e}): {}", String::from_utf8_lossy(&body)))?;
    Ok((status, json))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// Standard base64 (RFC 4648, with padding), which is how WebDriver returns screenshots.
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return Err(format!("base64: invalid byte {c:#04x}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_round_trips_known_vectors() {
        for (enc, dec) in [("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYmFy", "foobar")] {
            assert_eq!(base64_decode(enc).as_deref(), Ok(dec.as_bytes()));
        }
        assert!(base64_decode("Zm9v!").is_err());
    }
}
