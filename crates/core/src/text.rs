//! Writing `Display` values as serde strings in one piece.

use std::cell::Cell;
use std::fmt::{self, Write};

use serde::Serializer;

/// Serializes `v`'s `Display` form as a string, rendered first into a buffer kept by the thread.
/// `Serializer::collect_str` gives the same string, but serde_json escapes every piece the `Display`
/// writes on its own, and sentences with dates are written in dozens of pieces (a date's digits one
/// character at a time): reports hold millions of them.
pub fn serialize_display<S: Serializer>(s: S, v: &impl fmt::Display) -> Result<S::Ok, S::Error> {
    // Taken out of the thread's cell while in use, so that a nested call just starts a new one.
    let mut buf = BUF.take();
    buf.clear();
    let r = if write!(buf, "{v}").is_ok() { s.serialize_str(&buf) } else { s.collect_str(v) };
    BUF.set(buf);
    r
}

thread_local! {
    static BUF: Cell<String> = const { Cell::new(String::new()) };
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    struct Pieces(usize);
    impl fmt::Display for Pieces {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for i in 0..self.0 {
                write!(f, "{i}\"é,")?;
                f.write_char('\n')?;
            }
            Ok(())
        }
    }

    struct Wrap<T>(T);
    impl<T: fmt::Display> serde::Serialize for Wrap<T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize_display(s, &self.0)
        }
    }

    /// The same JSON as `collect_str`, whatever was written before.
    #[test]
    fn writes_what_collect_str_writes() {
        for n in [0, 1, 5, 300, 2] {
            let want = serde_json::to_string(&Pieces(n).to_string()).unwrap();
            assert_eq!(serde_json::to_string(&Wrap(Pieces(n))).unwrap(), want, "{n}");
        }
    }
}
