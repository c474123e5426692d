//! Exact money and percentages: `rust_decimal`, an explicit ISO 4217 currency, no floats anywhere.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

pub(crate) const ISO_4217: &str = include_str!("iso4217.txt");

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
    /// The amount as [`Amount`] shows it, then the currency: `1234.50 USD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Amount(self.amount), self.currency)
    }
}

/// `v` rounded half away from zero to `dp` places and written with exactly `dp` places.
fn fixed(v: Decimal, dp: u32) -> String {
    let r = v.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{r:.prec$}", prec = dp as usize)
}

/// An amount as every report shows it: exactly two decimals, rounded half away from zero (`60` is
/// `60.00`, `4.905` is `4.91`). Display only: computations and JSON keep the exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub Decimal);

impl Amount {
    /// A shortfall as a remedy states it: rounded *up* to the cent, so that closing the printed amount
    /// always closes the exact gap (a gap of 0.001 is shown as 0.01, never as 0.00).
    pub fn at_least(v: Decimal) -> Amount {
        Amount(v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fixed(self.0, 2))
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

    /// This percentage and `threshold` as a report prints them side by side (`59.999% < 60.000%`): two
    /// decimals, or as many more as it takes for the printed figures to differ whenever the exact ones
    /// do, so a printed comparison is always as true as the exact one (never `60.00% < 60.00%` for
    /// 59.999 %). Both get the same number of decimals. Thresholds are compared exactly, never on the
    /// rounded figures, because the law states no rounding ("not less than 60 percent").
    pub fn shown_against(self, threshold: Percent) -> (String, String) {
        // Rounding to `dp` places is monotone and leaves a threshold of at most `dp` places unchanged, so
        // once the rounded value differs from the threshold it lies on the same side as the exact value.
        let mut dp = threshold.0.normalize().scale().max(2);
        while self.0 != threshold.0 && dp < 28 && fixed(self.0, dp) == fixed(threshold.0, dp) {
            dp += 1;
        }
        (format!("{}%", fixed(self.0, dp)), format!("{}%", fixed(threshold.0, dp)))
    }
}

impl fmt::Display for Percent {
    /// Two decimals, rounded half away from zero for display only (never for comparison); next to a
    /// threshold use [`Percent::shown_against`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", fixed(self.0, 2))
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

    /// Issue 11 item 8, reproduction: an RVC of 59.999 % against "not less than 60 percent" was printed
    /// "60.00% < 60.00%". The printed comparison must be as true as the exact one.
    #[test]
    fn rvc_of_59_999_is_never_printed_as_60_00_below_60_00() {
        let rvc = Percent(d("59.999"));
        let sixty = Percent(d("60"));
        assert!(rvc < sixty);
        assert_eq!(rvc.shown_against(sixty), ("59.999%".to_string(), "60.000%".to_string()));
        // Just above a de minimis threshold of 10 %: shown above it, not as "10.00%".
        assert_eq!(Percent(d("10.0004")).shown_against(Percent(d("10"))), ("10.0004%".into(), "10.0000%".into()));
        // Where two decimals already tell them apart, two decimals are shown.
        assert_eq!(Percent(d("59.65")).shown_against(sixty), ("59.65%".into(), "60.00%".into()));
        assert_eq!(Percent(d("60")).shown_against(sixty), ("60.00%".into(), "60.00%".into()));
        // A threshold with more places (62.5 %) is shown with at least two.
        assert_eq!(Percent(d("62.4999")).shown_against(Percent(d("62.5"))), ("62.4999%".into(), "62.5000%".into()));
        // A third, which never terminates, still ends: it differs from 33.34 at two decimals.
        let third = Percent::ratio(d("1"), d("3")).unwrap_or_default();
        assert_eq!(third.shown_against(Percent(d("33.34"))).0, "33.33%");
    }

    /// Amounts are shown in one form: two decimals, half away from zero; a shortfall rounds up.
    #[test]
    fn amounts_are_shown_with_two_decimals() {
        assert_eq!(Amount(d("60")).to_string(), "60.00");
        assert_eq!(Amount(d("4.905")).to_string(), "4.91");
        assert_eq!(Amount(d("-1.5")).to_string(), "-1.50");
        assert_eq!(Amount::at_least(d("0.001")).to_string(), "0.01");
        assert_eq!(Amount::at_least(d("7.30")).to_string(), "7.30");
        assert_eq!(Money::new(d("12.5"), Currency::USD).to_string(), "12.50 USD");
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
