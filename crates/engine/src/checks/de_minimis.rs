//! De minimis: a good whose non-originating materials fail the tariff shift still qualifies when those
//! materials are worth no more than 10 % of the adjusted transaction value or of the total cost.
//!
//! Legal basis: Art. 4.11; 19 U.S.C. 4531(f)(1) (GN 11(e)(i)); exclusions 4531(f)(2)(A)-(J) (GN
//! 11(e)(ii)); chapters 1-27 only for a material in a different subheading (4531(f)(3)). The failing
//! materials still count in VNM for any RVC requirement (4531(f)(1)(C)). Textile goods are measured by
//! weight (4531(f)(4)); the engine reports them as needing a reviewer when weights are missing.
//!
//! Example: TV 200.00 (after removing 5.00 of international shipping: 195.00 adjusted); a failing
//! non-originating material worth 19.50 is exactly 10.00 % -> de minimis applies; 19.51 -> it does not.

use origin_core::{Decimal, HsCode, Percent};
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
