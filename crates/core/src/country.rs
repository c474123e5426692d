//! ISO 3166-1 alpha-2 country codes, checked against the full list of officially assigned codes.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted.
pub(crate) const ISO_3166_ALPHA2: &str = include_str!("iso3166.txt");

/// Whether `code` is in `list`, a sorted, single-space-separated list of codes of `code.len()` letters:
/// a binary search, since batches parse millions of codes.
pub(crate) fn assigned(list: &str, code: &[u8]) -> bool {
    let w = code.len() + 1;
    let bytes = list.trim_end().as_bytes();
    let n = (bytes.len() + 1) / w;
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let c = &bytes[mid * w..mid * w + code.len()];
        match c.cmp(code) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// A country, by its ISO 3166-1 alpha-2 code. Two bytes, `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

/// Why a string is not a country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an ISO 3166-1 alpha-2 country code; write two capital letters such as `US`, `MX`, `CA`, `CN` or `VN`"
)]
pub struct CountryError(pub String);

impl Country {
    /// United States.
    pub const US: Country = Country(*b"US");
    /// Mexico.
    pub const MX: Country = Country(*b"MX");
    /// Canada.
    pub const CA: Country = Country(*b"CA");
    /// China.
    pub const CN: Country = Country(*b"CN");

    /// Parses an assigned alpha-2 code. Lower case is accepted and normalised.
    pub fn parse(input: &str) -> Result<Country, CountryError> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return Err(CountryError(input.to_string()));
        }
        if assigned(ISO_3166_ALPHA2, b) { Ok(Country([b[0], b[1]])) } else { Err(CountryError(input.to_string())) }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether this is a USMCA Party (United States, Mexico or Canada).
    pub fn is_usmca_party(self) -> bool {
        matches!(self, Country::US | Country::MX | Country::CA)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

impl FromStr for Country {
    type Err = CountryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::parse(s)
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Country::parse(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_the_full_assigned_list() {
        let codes: Vec<&str> = ISO_3166_ALPHA2.split_ascii_whitespace().collect();
        assert_eq!(codes.len(), 249);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted, for the binary search");
        assert!(codes.iter().all(|c| assigned(ISO_3166_ALPHA2, c.as_bytes())));
    }

    #[test]
    fn accepts_assigned_codes_only() {
        assert_eq!(Country::parse("mx"), Ok(Country::MX));
        assert!(Country::parse("VN").is_ok());
        assert!(Country::parse("SS").is_ok(), "South Sudan is assigned");
        for bad in ["XX", "UK", "EU", "USA", "U", "", "1A"] {
            let e = Country::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("ISO 3166-1"), "{e}");
        }
    }

    #[test]
    fn only_the_three_parties_are_usmca_parties() {
        assert!(Country::US.is_usmca_party() && Country::MX.is_usmca_party() && Country::CA.is_usmca_party());
        assert!(!Country::CN.is_usmca_party());
        assert!(!Country::parse("PR").map(Country::is_usmca_party).unwrap_or(true));
    }
}
