//! The keep-alive idle timeout (issue 13, item 3): hyper's header-read timeout bounds a half-sent
//! request; this closes a connection that sits with no request under way for
//! [`crate::KEEP_ALIVE_IDLE_TIMEOUT`]. The connection's IO is watched for bytes read and written, and
//! the service marks the requests it is answering, so a slow handler or a long answer is never idle.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What one connection is doing.
#[derive(Debug)]
pub(crate) struct Activity {
    started: Instant,
    /// Milliseconds from `started` to the last byte read or written, or the end of the last answer.
    last_ms: AtomicU64,
    /// Requests being answered.
    answering: AtomicUsize,
    /// Bytes of a request arrived since the last answer ended (the header-read timeout's business).
    reading: AtomicBool,
}

impl Activity {
    pub(crate) fn new() -> Activity {
        Activity {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
            reading: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.started + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// How long the connection has been idle: no request under way and nothing read or written since;
    /// `None` while a request is arriving or being answered.
    pub(crate) fn idle_for(&self) -> Option<Duration> {
        if self.answering.load(Ordering::Relaxed) > 0 || self.reading.load(Ordering::Relaxed) {
            return None;
        }
        Some(self.last().elapsed())
    }

    /// When to look again: when the connection would have been idle for `limit` if nothing happens.
    pub(crate) fn idle_deadline(&self, limit: Duration) -> Instant {
        match self.idle_for() {
            Some(_) => self.last() + limit,
            None => Instant::now() + limit,
        }
    }
}

/// Marks a request as being answered until dropped (also when the answer is cancelled).
pub(crate) struct Answering(Arc<Activity>);

impl Answering {
    pub(crate) fn start(a: Arc<Activity>) -> Answering {
        a.answering.fetch_add(1, Ordering::Relaxed);
        Answering(a)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.reading.store(false, Ordering::Relaxed);
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A connection's stream, noting each byte read or written in its [`Activity`].
pub(crate) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        activity.touch();
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.reading.store(true, Ordering::Relaxed);
            this.activity.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
