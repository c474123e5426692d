//! Exact money and percentages: `rust_decimal`, an explicit ISO 4217 currency, no floats anywhere.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

const ISO_4217: &str = include_str!("iso4217.txt");

/// An ISO 4217 currency code, checked against the list of active codes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Why a string is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an active ISO 4217 currency code; write three capital letters such as `USD`, `MXN` or `CAD`")]
pub struct CurrencyError(pub String);

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Mexican peso.
    pub const MXN: Currency = Currency(*b"MXN");
    /// Canadian dollar.
    pub const CAD: Currency = Currency(*b"CAD");

    /// Parses an active ISO 4217 code.
    pub fn parse(input: &str) -> Result<Currency, CurrencyError> {
        let s = input.trim();
        let b = s.as_bytes();
        if b.len() == 3 && crate::country::assigned(ISO_4217, b) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(CurrencyError(input.to_string()))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(de::Error::custom)
    }
}

/// An exact amount in one currency. Amounts in different currencies never mix implicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

/// Arithmetic on amounts of different currencies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot combine {left} with {right}: convert with an exchange rate the batch states first")]
pub struct CurrencyMismatch {
    /// Left currency.
    pub left: Currency,
    /// Right currency.
    pub right: Currency,
}

impl Money {
    /// An amount in a currency.
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Money {
        Money { amount: Decimal::ZERO, currency }
    }

    /// Sum of two amounts in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, CurrencyMismatch> {
        self.same(other)?;
        Ok(Money::new(self.amount + other.amount, self.currency))
    }

    /// Difference of two amounts in the same currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, CurrencyMismatch> {
        self.same(other)?;
        Ok(Money::new(self.amount - other.amount, self.currency))
    }

    /// Converts at `rate` units of `to` per unit of this currency.
    pub fn convert(self, rate: Decimal, to: Currency) -> Money {
        Money::new(self.amount * rate, to)
    }

    fn same(self, other: Money) -> Result<(), CurrencyMismatch> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount.round_dp(2), self.currency)
    }
}

/// A percentage, exact. Thresholds are compared exactly; [`Percent::to_string`] shows 2 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(pub Decimal);

/// A threshold outside 0-100.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a percentage between 0 and 100")]
pub struct PercentError(pub String);

impl Percent {
    /// A percentage that must lie in 0..=100 (a threshold or a share).
    pub fn bounded(value: Decimal) -> Result<Percent, PercentError> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            Err(PercentError(value.to_string()))
        } else {
            Ok(Percent(value))
        }
    }

    /// `part / whole x 100`, exact to 28 significant digits; `None` when `whole` is zero.
    pub fn ratio(part: Decimal, whole: Decimal) -> Option<Percent> {
        if whole.is_zero() {
            return None;
        }
        part.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(whole).map(Percent)
    }

    /// The exact value.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Percent {
    /// Two decimals, rounded half away from zero for display only (never for comparison).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        write!(f, "{v:.2}%")
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.normalize())
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <Decimal as Deserialize>::deserialize(d)?;
        Percent::bounded(v).map_err(de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn money_never_mixes_currencies() {
        let a = Money::new(d("10.50"), Currency::USD);
        let b = Money::new(d("2.25"), Currency::MXN);
        assert!(a.checked_add(b).is_err());
        assert_eq!(a.checked_add(Money::new(d("0.50"), Currency::USD)).map(|m| m.amount), Ok(d("11.00")));
        assert_eq!(b.convert(d("0.05"), Currency::USD), Money::new(d("0.1125"), Currency::USD));
    }

    #[test]
    fn currency_list_is_sorted_for_the_binary_search() {
        let codes: Vec<&str> = ISO_4217.split_ascii_whitespace().collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert!(codes.iter().all(|c| Currency::parse(c).is_ok()));
    }

    #[test]
    fn currencies_are_checked() {
        assert!(Currency::parse("EUR").is_ok());
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("XYZ").is_err());
    }

    #[test]
    fn percent_is_exact_and_shown_to_two_decimals() {
        let p = Percent::ratio(d("599.9"), d("1000")).unwrap_or_default();
        assert_eq!(p.value(), d("59.99"));
        assert!(p < Percent(d("60")));
        let third = Percent::ratio(d("1"), d("3")).unwrap_or_default();
        assert_eq!(third.to_string(), "33.33%");
        assert!(Percent::bounded(d("100.01")).is_err());
        assert!(Percent::bounded(d("-1")).is_err());
        assert_eq!(Percent::ratio(d("1"), Decimal::ZERO), None);
    }
}
