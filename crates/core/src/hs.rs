//! Harmonized System codes: chapters, headings, subheadings, tariff items and statistical suffixes.
//!
//! An [`HsCode`] is a validated code of 2, 4, 6, 8 or 10 digits, packed into one `u64` so that batches
//! of millions of BOM lines stay small and comparisons are integer comparisons. [`HsRange`] is an
//! inclusive range of codes at one level ("subheadings 8413.50 through 8413.60"); a single code is a
//! range whose ends are equal. [`HsSet`] is a list of ranges, such as the exceptions of a rule.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// How deep a code goes: the levels the tariff-shift rules name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HsLevel {
    /// 2 digits, e.g. `87`.
    Chapter,
    /// 4 digits, e.g. `8708`.
    Heading,
    /// 6 digits, e.g. `8708.40`.
    Subheading,
    /// 8 digits, a national tariff item, e.g. `8708.40.50` (HTSUS) or `8708.40.00` (Canada, Mexico).
    TariffItem,
    /// 10 digits, a statistical reporting number, e.g. `8708.40.50.00`.
    Statistical,
}

impl HsLevel {
    /// Number of digits at this level.
    pub const fn digits(self) -> u8 {
        match self {
            HsLevel::Chapter => 2,
            HsLevel::Heading => 4,
            HsLevel::Subheading => 6,
            HsLevel::TariffItem => 8,
            HsLevel::Statistical => 10,
        }
    }

    /// The level with that many digits, if it is one.
    pub const fn from_digits(n: u8) -> Option<HsLevel> {
        match n {
            2 => Some(HsLevel::Chapter),
            4 => Some(HsLevel::Heading),
            6 => Some(HsLevel::Subheading),
            8 => Some(HsLevel::TariffItem),
            10 => Some(HsLevel::Statistical),
            _ => None,
        }
    }

    /// The word the legal text uses for this level ("heading", "tariff item").
    pub const fn word(self) -> &'static str {
        match self {
            HsLevel::Chapter => "chapter",
            HsLevel::Heading => "heading",
            HsLevel::Subheading => "subheading",
            HsLevel::TariffItem => "tariff item",
            HsLevel::Statistical => "statistical suffix",
        }
    }
}

impl fmt::Display for HsLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A validated HS code. Packed as `digits << 4 | len`, so it is `Copy`, 8 bytes, and orders first by
/// its digits read as a left-aligned number: `8708 < 8708.40 < 8708.40.50 < 8708.50`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HsCode(u64);

/// Why a string is not an HS code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not an HS code: {reason}; write 2, 4, 6, 8 or 10 digits, plain or dotted, such as `87`, `8708`, `8708.40`, `870840`, `8708.40.50` or `8708.40.50.10`"
)]
pub struct HsCodeError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const POW10: [u64; 11] =
    [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000];

impl HsCode {
    /// Parses `8708`, `8708.40`, `870840`, `8708.40.50`, `87084050`, `8708.40.50.10`, `8708.40.5010`.
    pub fn parse(input: &str) -> Result<HsCode, HsCodeError> {
        let err = |reason| HsCodeError { input: input.to_string(), reason };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let mut digits: u64 = 0;
        let mut len: u8 = 0;
        for (i, part) in s.split('.').enumerate() {
            if part.is_empty() {
                return Err(err("it has an empty group between dots"));
            }
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("it has a character that is neither a digit nor a dot"));
            }
            // Dotted groups must fall on the HS boundaries: 4, then 2, then 2 (or 4 for the last).
            let ok_group = match i {
                0 => true,
                1 => len == 4 && part.len() == 2,
                2 => len == 6 && (part.len() == 2 || part.len() == 4),
                3 => len == 8 && part.len() == 2,
                _ => false,
            };
            if !ok_group {
                return Err(err("its dots are not where HS codes put them (`8708.40.50.10`)"));
            }
            if i == 0 && s.contains('.') && part.len() != 4 {
                return Err(err("a dotted code starts with the 4-digit heading"));
            }
            for b in part.bytes() {
                if len >= 10 {
                    return Err(err("it has more than 10 digits"));
                }
                digits = digits * 10 + u64::from(b - b'0');
                len += 1;
            }
        }
        if HsLevel::from_digits(len).is_none() {
            return Err(err("it has an odd number of digits"));
        }
        if digits / POW10[usize::from(len) - 2] == 0 {
            return Err(err("chapter 00 does not exist"));
        }
        if digits / POW10[usize::from(len) - 2] > 97 {
            return Err(err("the Harmonized System has chapters 01 to 97 only"));
        }
        Ok(HsCode::pack(digits, len))
    }

    const fn pack(digits: u64, len: u8) -> HsCode {
        HsCode((digits << 4) | len as u64)
    }

    fn len(self) -> u8 {
        (self.0 & 0xF) as u8
    }

    fn digits(self) -> u64 {
        self.0 >> 4
    }

    /// The digits left-aligned to 10 places, for ordering and range checks across levels.
    fn aligned(self) -> u64 {
        self.digits() * POW10[usize::from(10 - self.len())]
    }

    /// How deep this code goes.
    pub fn level(self) -> HsLevel {
        // A packed code always has a valid length; fall back to the deepest level rather than panic.
        HsLevel::from_digits(self.len()).unwrap_or(HsLevel::Statistical)
    }

    /// The chapter number, 1 to 97.
    pub fn chapter(self) -> u8 {
        (self.digits() / POW10[usize::from(self.len()) - 2]) as u8
    }

    /// This code cut to `level`, or `None` when the code is not that deep.
    pub fn truncate(self, level: HsLevel) -> Option<HsCode> {
        let want = level.digits();
        if want > self.len() {
            return None;
        }
        Some(HsCode::pack(self.digits() / POW10[usize::from(self.len() - want)], want))
    }

    /// The 4-digit heading, if the code is that deep.
    pub fn heading(self) -> Option<HsCode> {
        self.truncate(HsLevel::Heading)
    }

    /// The 6-digit subheading, if the code is that deep.
    pub fn subheading(self) -> Option<HsCode> {
        self.truncate(HsLevel::Subheading)
    }

    /// The 8-digit tariff item, if the code is that deep.
    pub fn tariff_item(self) -> Option<HsCode> {
        self.truncate(HsLevel::TariffItem)
    }

    /// Whether `other` lies inside this code (is this code or a deeper code below it).
    pub fn contains(self, other: HsCode) -> bool {
        other.truncate(self.level()) == Some(self)
    }

    /// The plain digits, e.g. `870840`.
    pub fn plain(self) -> String {
        format!("{:0width$}", self.digits(), width = usize::from(self.len()))
    }
}

impl fmt::Display for HsCode {
    /// The dotted form the legal text uses: `87`, `8708`, `8708.40`, `8708.40.50`, `8708.40.50.10`.
    /// Written from a stack buffer: reports print millions of codes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (out, k) = self.dotted();
        f.write_str(std::str::from_utf8(&out[..k]).unwrap_or_default())
    }
}

impl HsCode {
    /// The dotted form in a stack buffer, and its length.
    fn dotted(&self) -> ([u8; 13], usize) {
        let n = usize::from(self.len()).min(10);
        let mut digits = [b'0'; 10];
        let mut v = self.digits();
        for d in digits[..n].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        let mut out = [0u8; 13];
        let mut k = 0;
        for (i, d) in digits[..n].iter().enumerate() {
            if i == 4 || i == 6 || i == 8 {
                out[k] = b'.';
                k += 1;
            }
            out[k] = *d;
            k += 1;
        }
        (out, k)
    }
}

impl fmt::Debug for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HsCode({self})")
    }
}

impl PartialOrd for HsCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HsCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.aligned().cmp(&other.aligned()).then(self.len().cmp(&other.len()))
    }
}

impl FromStr for HsCode {
    type Err = HsCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HsCode::parse(s)
    }
}

impl Serialize for HsCode {
    /// The dotted form, as a string (written straight from the stack: no formatting machinery).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (out, k) = self.dotted();
        s.serialize_str(std::str::from_utf8(&out[..k]).unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for HsCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HsCode::parse(&s).map_err(de::Error::custom)
    }
}

/// An inclusive range of codes at one level, such as `8413.50-8413.60`; a single code is a range
/// whose two ends are equal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HsRange {
    start: HsCode,
    end: HsCode,
}

/// Why a string is not an HS range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HsRangeError {
    /// One end is not an HS code.
    #[error(transparent)]
    Code(#[from] HsCodeError),
    /// The two ends are at different levels.
    #[error(
        "`{input}` mixes levels: `{start}` is a {start_level} but `{end}` is a {end_level}; write both ends at the same level, such as `8413.50-8413.60`"
    )]
    MixedLevels {
        /// The text given.
        input: String,
        /// First end.
        start: HsCode,
        /// Its level.
        start_level: HsLevel,
        /// Second end.
        end: HsCode,
        /// Its level.
        end_level: HsLevel,
    },
    /// The range runs backwards.
    #[error("`{input}` is reversed: `{start}` comes after `{end}`; write the lower code first")]
    Reversed {
        /// The text given.
        input: String,
        /// First end.
        start: HsCode,
        /// Second end.
        end: HsCode,
    },
}

impl HsRange {
    /// A range holding one code.
    pub fn single(code: HsCode) -> HsRange {
        HsRange { start: code, end: code }
    }

    /// A range from `start` to `end`, both at the same level, `start <= end`.
    pub fn new(start: HsCode, end: HsCode) -> Result<HsRange, HsRangeError> {
        let input = format!("{start}-{end}");
        if start.level() != end.level() {
            return Err(HsRangeError::MixedLevels {
                input,
                start,
                start_level: start.level(),
                end,
                end_level: end.level(),
            });
        }
        if start > end {
            return Err(HsRangeError::Reversed { input, start, end });
        }
        Ok(HsRange { start, end })
    }

    /// Parses `8708.40`, `8413.50-8413.60` or `8413.50 through 8413.60`.
    pub fn parse(input: &str) -> Result<HsRange, HsRangeError> {
        let s = input.trim();
        let parts: Option<(&str, &str)> =
            s.split_once(" through ").or_else(|| s.split_once('-')).or_else(|| s.split_once('–'));
        match parts {
            None => Ok(HsRange::single(HsCode::parse(s)?)),
            Some((a, b)) => {
                let (start, end) = (HsCode::parse(a)?, HsCode::parse(b)?);
                HsRange::new(start, end).map_err(|e| match e {
                    HsRangeError::MixedLevels { start, start_level, end, end_level, .. } => {
                        HsRangeError::MixedLevels { input: input.to_string(), start, start_level, end, end_level }
                    }
                    HsRangeError::Reversed { start, end, .. } => {
                        HsRangeError::Reversed { input: input.to_string(), start, end }
                    }
                    other => other,
                })
            }
        }
    }

    /// First code.
    pub fn start(self) -> HsCode {
        self.start
    }

    /// Last code.
    pub fn end(self) -> HsCode {
        self.end
    }

    /// The level both ends are at.
    pub fn level(self) -> HsLevel {
        self.start.level()
    }

    /// Whether the range is one code.
    pub fn is_single(self) -> bool {
        self.start == self.end
    }

    /// Whether `code` falls in the range. A code shallower than the range's level is not contained
    /// (heading `8413` is not "in" subheadings `8413.50-8413.60`: only part of it is); ask
    /// [`HsRange::overlaps_code`] for that.
    pub fn contains(self, code: HsCode) -> bool {
        match code.truncate(self.level()) {
            Some(c) => self.start <= c && c <= self.end,
            None => false,
        }
    }

    /// Whether any code under `code` could fall in the range.
    pub fn overlaps_code(self, code: HsCode) -> bool {
        if code.level() >= self.level() {
            return self.contains(code);
        }
        let lo = self.start.truncate(code.level());
        let hi = self.end.truncate(code.level());
        matches!((lo, hi), (Some(lo), Some(hi)) if lo <= code && code <= hi)
    }

    /// Whether two ranges share any code.
    pub fn overlaps(self, other: HsRange) -> bool {
        // Compare at the shallower of the two levels.
        let level = self.level().min(other.level());
        let cut = |c: HsCode| c.truncate(level).unwrap_or(c);
        cut(self.start) <= cut(other.end) && cut(other.start) <= cut(self.end)
    }
}

impl fmt::Display for HsRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() { write!(f, "{}", self.start) } else { write!(f, "{}-{}", self.start, self.end) }
    }
}

impl fmt::Debug for HsRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HsRange({self})")
    }
}

impl FromStr for HsRange {
    type Err = HsRangeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HsRange::parse(s)
    }
}

impl Serialize for HsRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HsRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HsRange::parse(&s).map_err(de::Error::custom)
    }
}

/// A group of codes and ranges, such as "headings 8406, 8411, 8501 or 8503".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HsSet(pub Vec<HsRange>);

impl HsSet {
    /// Whether any member contains `code`.
    pub fn contains(&self, code: HsCode) -> bool {
        self.0.iter().any(|r| r.contains(code))
    }

    /// The first member that contains `code`.
    pub fn member_containing(&self, code: HsCode) -> Option<HsRange> {
        self.0.iter().copied().find(|r| r.contains(code))
    }

    /// Whether any member overlaps any member of `other`.
    pub fn overlaps(&self, other: &HsSet) -> bool {
        self.0.iter().any(|a| other.0.iter().any(|b| a.overlaps(*b)))
    }

    /// Whether every code of `other` falls in this set: each of its ranges lies inside one member at the
    /// member's level or deeper (`7106.91` and `7106.91.10` lie inside `7106.10-7106.92`; heading `7106`
    /// does not, only part of it does).
    pub fn covers(&self, other: &HsSet) -> bool {
        other.0.iter().all(|o| self.0.iter().any(|m| m.contains(o.start()) && m.contains(o.end())))
    }

    /// The deepest level among the members; the rule's specificity.
    pub fn deepest_level(&self) -> Option<HsLevel> {
        self.0.iter().map(|r| r.level()).max()
    }
}

impl fmt::Display for HsSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn hs(s: &str) -> HsCode {
        HsCode::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn accepts_the_written_forms() {
        assert_eq!(hs("8708.40").to_string(), "8708.40");
        assert_eq!(hs("870840"), hs("8708.40"));
        assert_eq!(hs("8708.40.50").to_string(), "8708.40.50");
        assert_eq!(hs("8708.40.50.10"), hs("8708.40.5010"));
        assert_eq!(hs("0101").to_string(), "0101");
        assert_eq!(hs("87").level(), HsLevel::Chapter);
    }

    #[test]
    fn rejects_malformed_codes_with_a_hint() {
        for bad in ["", "87084", "8708.4", "87.08", "8708..40", "8708-40", "abcd", "98", "00", "8708.40.50.10.11"] {
            let e = HsCode::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("`8708.40.50`"), "{e}");
        }
    }

    #[test]
    fn accessors_cut_to_each_level() {
        let c = hs("8708.40.50.10");
        assert_eq!(c.chapter(), 87);
        assert_eq!(c.heading(), Some(hs("8708")));
        assert_eq!(c.subheading(), Some(hs("8708.40")));
        assert_eq!(c.tariff_item(), Some(hs("8708.40.50")));
        assert_eq!(hs("8708").subheading(), None);
        assert!(hs("8708").contains(c));
        assert!(!hs("8709").contains(c));
    }

    #[test]
    fn ranges_are_inclusive_and_checked() {
        let r = HsRange::parse("8413.50-8413.60").unwrap_or_else(|e| panic!("{e}"));
        assert!(r.contains(hs("8413.50")));
        assert!(r.contains(hs("8413.60.00")));
        assert!(r.contains(hs("8413.55")));
        assert!(!r.contains(hs("8413.70")));
        assert!(!r.contains(hs("8413")), "a heading is wider than the range");
        assert!(r.overlaps_code(hs("8413")));
        assert!(matches!(HsRange::parse("8413.60-8413.50"), Err(HsRangeError::Reversed { .. })));
        assert!(matches!(HsRange::parse("8413-8413.60"), Err(HsRangeError::MixedLevels { .. })));
        let t = HsRange::parse("8504.21 through 8504.34").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.to_string(), "8504.21-8504.34");
    }

    #[test]
    fn range_overlap_compares_at_the_shallower_level() {
        let a = HsRange::parse("8536.30").unwrap_or_else(|e| panic!("{e}"));
        let b = HsRange::parse("8536.30.40").unwrap_or_else(|e| panic!("{e}"));
        let c = HsRange::parse("8536.41-8536.49").unwrap_or_else(|e| panic!("{e}"));
        assert!(a.overlaps(b));
        assert!(!a.overlaps(c));
        let h = HsRange::parse("7208-7216").unwrap_or_else(|e| panic!("{e}"));
        assert!(h.overlaps(HsRange::single(hs("7210.11"))));
    }

    #[test]
    fn a_set_covers_only_codes_wholly_inside_one_member() {
        let set = |v: &[&str]| HsSet(v.iter().map(|s| HsRange::parse(s).unwrap_or_else(|e| panic!("{e}"))).collect());
        let rule = set(&["7106.10-7106.92"]);
        assert!(rule.covers(&set(&["7106.91"])));
        assert!(rule.covers(&set(&["7106.91.10"])));
        assert!(rule.covers(&set(&["7106.10-7106.92"])));
        // Heading 7106 also holds 7106.99, outside the rule; 7108.12 is another heading.
        assert!(!rule.covers(&set(&["7106"])));
        assert!(!rule.covers(&set(&["7106.91", "7108.12"])));
        assert!(!rule.covers(&set(&["7106.91-7106.99"])));
        assert!(set(&["5407"]).covers(&set(&["5407.61"])));
        assert!(!set(&["5407.61"]).covers(&set(&["5407"])));
    }
}
