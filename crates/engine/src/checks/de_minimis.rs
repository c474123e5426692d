//! De minimis: a good whose non-originating materials fail the tariff shift still qualifies when those
//! materials are worth no more than 10 % of the adjusted transaction value or of the total cost.
//!
//! Legal basis: USMCA Art. 4.12; 19 U.S.C. 4531(f)(1) (GN 11(e)(i)); exclusions 4531(f)(2)(A)-(J) (GN
//! 11(e)(ii)); chapters 1-27 only for a material in a different subheading (4531(f)(3)). The failing
//! materials still count in VNM for any RVC requirement (4531(f)(1)(C)). Textile goods are measured by
//! weight (4531(f)(4)); the engine reports them as needing a reviewer when weights are missing.
//!
//! Example: TV 200.00 (after removing 5.00 of international shipping: 195.00 adjusted); a failing
//! non-originating material worth 19.50 is exactly 10.00 % -> de minimis applies; 19.51 -> it does not.

use origin_core::{Amount, Currency, Decimal, HsCode, Percent};
use origin_rules::DeMinimis;
use serde::Serialize;

/// What de minimis says about the failing materials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeMinimisOutcome {
    /// Value of the materials that fail the shift.
    pub failing_value: Decimal,
    /// Share of the adjusted TV, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_adjusted_tv: Option<Percent>,
    /// Share of total cost, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_total_cost: Option<Percent>,
    /// The threshold.
    pub threshold: Percent,
    /// Whether it rescues the shift.
    pub applies: bool,
    /// Why not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

impl DeMinimisOutcome {
    /// The shares as a finding states them: "failing materials worth 60.00 USD: 12.00% of the adjusted
    /// transaction value, 11.50% of the total cost (at most 10.00% of either)". Each share is shown
    /// against the threshold with enough decimals for the comparison to read true
    /// ([`Percent::shown_against`]); a basis the batch does not give is said to be not stated.
    pub fn shares(&self, currency: Currency) -> String {
        let share = |p: Option<Percent>, basis: &str| match p {
            Some(p) => format!("{} of the {basis}", p.shown_against(self.threshold).0),
            None => format!("{basis} not stated"),
        };
        format!(
            "failing materials worth {} {currency}: {}, {} (at most {} of either)",
            Amount(self.failing_value),
            share(self.share_of_adjusted_tv, "adjusted transaction value"),
            share(self.share_of_total_cost, "total cost"),
            self.threshold
        )
    }

    /// Why de minimis does not save the shift, for the remedy of a failed alternative: the exclusion
    /// that applies, or the shares above the threshold.
    pub fn why_not(&self, currency: Currency) -> String {
        match &self.excluded {
            Some(why) => format!("de minimis does not apply: {why}"),
            None if self.share_of_adjusted_tv.is_none() && self.share_of_total_cost.is_none() => format!(
                "de minimis cannot be measured: failing materials worth {} {currency}, but neither the transaction value nor the total cost is stated",
                Amount(self.failing_value)
            ),
            None => format!("de minimis does not save it: {}", self.shares(currency)),
        }
    }
}

/// Applies de minimis to the failing materials `(hs, value)` of a good of `good_hs`.
pub fn evaluate(
    dm: &DeMinimis,
    good_hs: HsCode,
    failing: &[(HsCode, Decimal)],
    adjusted_tv: Option<Decimal>,
    total_cost: Option<Decimal>,
) -> DeMinimisOutcome {
    let failing_value: Decimal = failing.iter().map(|(_, v)| *v).sum();
    let share_tv = adjusted_tv.and_then(|tv| Percent::ratio(failing_value, tv));
    let share_tc = total_cost.and_then(|tc| Percent::ratio(failing_value, tc));
    let mut out = DeMinimisOutcome {
        failing_value,
        share_of_adjusted_tv: share_tv,
        share_of_total_cost: share_tc,
        threshold: dm.value_share,
        applies: false,
        excluded: None,
    };
    let chapter = good_hs.chapter();
    if (50..=63).contains(&chapter) || good_hs.heading().is_some_and(|h| h.plain() == "9619") {
        out.excluded = Some(format!(
            "textile and apparel goods of chapter {chapter} are measured by weight (19 U.S.C. 4531(f)(4)); value de minimis does not apply"
        ));
        return out;
    }
    for x in &dm.exclusions {
        if x.goods.contains(good_hs) && failing.iter().any(|(hs, _)| x.materials.iter().any(|m| m.hs.contains(*hs))) {
            out.excluded = Some(format!("exclusion `{}` ({}) applies", x.id, x.provision.citation));
            return out;
        }
    }
    if chapter <= 27 && failing.iter().any(|(hs, _)| hs.subheading() == good_hs.subheading()) {
        out.excluded = Some(
            "for a good of chapters 1-27, de minimis covers only materials of a different subheading (19 U.S.C. 4531(f)(3))"
                .into(),
        );
        return out;
    }
    out.applies = share_tv.is_some_and(|s| s <= dm.value_share) || share_tc.is_some_and(|s| s <= dm.value_share);
    out
}
