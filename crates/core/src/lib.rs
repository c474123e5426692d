//! Vocabulary types every origin-audit layer shares: [`HsCode`], [`Country`], [`Money`], [`Percent`],
//! and the one located diagnostic of every input file ([`diag::Located`]).
//!
//! No IO and no format knowledge beyond `serde`: the rules, graph and engine crates build on these.

mod country;
pub mod diag;
mod hs;
mod money;
pub mod schema;
mod text;

pub use country::{Country, CountryError};
pub use hs::{HsCode, HsCodeError, HsLevel, HsRange, HsRangeError, HsSet};
pub use money::{Amount, Currency, CurrencyError, CurrencyMismatch, Money, Percent, PercentError};
pub use rust_decimal::Decimal;
pub use text::serialize_display;
