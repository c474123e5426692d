//! Regional value content by the transaction value and net cost methods, and the remedy for a shortfall.
//!
//! Legal basis: Art. 4.5; 19 U.S.C. 4531(d)(2)-(3): `RVC = (TV - VNM) / TV x 100` with TV adjusted to
//! exclude international shipping, and `RVC = (NC - VNM) / NC x 100`; (d)(5): net cost only when the
//! rule has no transaction-value threshold. Thresholds read "not less than": 60.00 % meets 60 %.
//!
//! Example: TV 100.00, VNM 40.00 -> RVC(TV) 60.00 %, which meets "60 percent where the transaction
//! value method is used"; VNM 40.01 -> 59.99 %, which does not, and the remedy asks that 0.01 of
//! non-originating value become originating.

use origin_core::{Amount, Decimal, Percent};
use origin_rules::RvcRequirement;
use serde::Serialize;

/// One method's computation, with every number an auditor needs to redo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodResult {
    /// `transaction-value` or `net-cost`.
    pub method: &'static str,
    /// TV (adjusted) or NC.
    pub base: Decimal,
    /// VNM.
    pub vnm: Decimal,
    /// The RVC, exact.
    pub rvc: Percent,
    /// The threshold.
    pub threshold: Percent,
    /// Whether RVC >= threshold.
    pub met: bool,
    /// How much VNM must fall to meet the threshold (0 when met).
    pub shortfall: Decimal,
}

impl MethodResult {
    /// The comparison as a report prints it, `transaction-value 59.999% < 60.000%`: the figures carry
    /// enough decimals for the printed comparison to be as true as the exact one
    /// ([`Percent::shown_against`]).
    pub fn comparison(&self) -> String {
        let (rvc, threshold) = self.rvc.shown_against(self.threshold);
        let op = if self.met { ">=" } else { "<" };
        format!("{} {rvc} {op} {threshold}", self.method)
    }

    /// The computation an auditor redoes by hand, `transaction-value: (100.00 - 40.01) / 100.00 =
    /// 59.99% < 60.00%`, amounts in the report's one form ([`Amount`]).
    pub fn worked(&self) -> String {
        worked(self.method, self.base, self.vnm, self.rvc, self.threshold, self.met)
    }
}

/// [`MethodResult::worked`] from its parts (a finding's facts carry them).
pub fn worked(method: &str, base: Decimal, vnm: Decimal, rvc: Percent, threshold: Percent, met: bool) -> String {
    let (rvc, threshold) = rvc.shown_against(threshold);
    let op = if met { ">=" } else { "<" };
    let base = Amount(base);
    format!("{method}: ({base} - {}) / {base} = {rvc} {op} {threshold}", Amount(vnm))
}

/// The RVC outcome for an alternative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RvcOutcome {
    /// The methods computed.
    pub methods: Vec<MethodResult>,
    /// Methods the rule allows but the batch lacks data for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_data: Vec<&'static str>,
    /// Met by at least one method.
    pub met: bool,
}

/// `(base - vnm) / base x 100`, exact.
pub fn rvc(base: Decimal, vnm: Decimal) -> Option<Percent> {
    Percent::ratio(base - vnm, base)
}

fn method(name: &'static str, base: Decimal, vnm: Decimal, threshold: Percent) -> Option<MethodResult> {
    let r = rvc(base, vnm)?;
    let met = r >= threshold;
    // RVC >= t  <=>  VNM <= base x (1 - t/100).
    let allowed = base * (Decimal::ONE_HUNDRED - threshold.value()) / Decimal::ONE_HUNDRED;
    let shortfall = if met { Decimal::ZERO } else { (vnm - allowed).max(Decimal::ZERO) };
    Some(MethodResult { method: name, base, vnm, rvc: r, threshold, met, shortfall })
}

/// Computes every method the requirement and the data allow.
pub fn evaluate(
    req: &RvcRequirement,
    adjusted_tv: Option<Decimal>,
    net_cost: Option<Decimal>,
    vnm: Decimal,
) -> RvcOutcome {
    let mut methods = Vec::new();
    let mut missing_data = Vec::new();
    if let Some(t) = req.tv {
        match adjusted_tv.filter(|v| *v > Decimal::ZERO).and_then(|tv| method("transaction-value", tv, vnm, t)) {
            Some(m) => methods.push(m),
            None => missing_data.push("transaction-value"),
        }
    }
    if let Some(t) = req.nc {
        match net_cost.filter(|v| *v > Decimal::ZERO).and_then(|nc| method("net-cost", nc, vnm, t)) {
            Some(m) => methods.push(m),
            None => missing_data.push("net-cost"),
        }
    }
    let met = methods.iter().any(|m| m.met);
    RvcOutcome { methods, missing_data, met }
}

/// The smallest set of non-originating materials whose value closes `gap`: the fewest lines (taking
/// the largest values first), and among those the one whose last line is the cheapest that still
/// closes the gap, so the team re-sources as little value as it must. Returns the chosen `(line,
/// value)` pairs and whether they close the gap.
pub fn smallest_closing_set(mut candidates: Vec<(String, Decimal)>, gap: Decimal) -> (Vec<(String, Decimal)>, bool) {
    // Largest value first; ties by line id so the remedy is stable across runs.
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut count = 0;
    let mut sum = Decimal::ZERO;
    for c in &candidates {
        if sum >= gap {
            break;
        }
        sum += c.1;
        count += 1;
    }
    if sum < gap || count == 0 {
        return (candidates.into_iter().take(count).collect(), sum >= gap && count > 0 || gap <= Decimal::ZERO);
    }
    // Keep the count-1 largest; for the last, the smallest remaining value that still closes the gap.
    let head: Decimal = candidates[..count - 1].iter().map(|c| c.1).sum();
    let residual = gap - head;
    let last = candidates[count - 1..]
        .iter()
        .filter(|c| c.1 >= residual)
        .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
        .cloned();
    let mut chosen: Vec<(String, Decimal)> = candidates[..count - 1].to_vec();
    if let Some(l) = last {
        chosen.push(l);
    }
    (chosen, true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn req(tv: Option<&str>, nc: Option<&str>) -> RvcRequirement {
        RvcRequirement { tv: tv.map(|t| Percent(d(t))), nc: nc.map(|n| Percent(d(n))) }
    }

    #[test]
    fn exactly_sixty_percent_qualifies_and_fifty_nine_ninety_nine_does_not() {
        let r = req(Some("60"), None);
        let at = evaluate(&r, Some(d("100.00")), None, d("40.00"));
        assert!(at.met);
        assert_eq!(at.methods[0].rvc.to_string(), "60.00%");
        let below = evaluate(&r, Some(d("100.00")), None, d("40.01"));
        assert!(!below.met);
        assert_eq!(below.methods[0].rvc.to_string(), "59.99%");
        assert_eq!(below.methods[0].shortfall, d("0.01"));
    }

    #[test]
    fn either_method_is_enough() {
        // TV 200, NC 150, VNM 70: TV (200-70)/200 = 65 % >= 60; NC (150-70)/150 = 53.33 % >= 50.
        let o = evaluate(&req(Some("60"), Some("50")), Some(d("200")), Some(d("150")), d("85"));
        // TV: 57.5 % < 60; NC: 43.33 % < 50 -> not met.
        assert!(!o.met);
        let o = evaluate(&req(Some("60"), Some("50")), Some(d("200")), Some(d("150")), d("75"));
        // TV: 62.5 % >= 60 -> met though NC 50 % exactly also meets.
        assert!(o.met);
        assert!(o.methods.iter().all(|m| m.met));
    }

    #[test]
    fn net_cost_only_rules_ignore_transaction_value() {
        let o = evaluate(&req(None, Some("75")), Some(d("1000")), None, d("100"));
        assert!(!o.met);
        assert_eq!(o.missing_data, vec!["net-cost"]);
    }

    #[test]
    fn the_closing_set_has_the_fewest_lines_then_the_least_value() {
        let c = vec![("a".into(), d("5")), ("b".into(), d("30")), ("c".into(), d("12"))];
        let (set, ok) = smallest_closing_set(c, d("35"));
        assert!(ok);
        let lines: Vec<&str> = set.iter().map(|x| x.0.as_str()).collect();
        // Two lines are needed (30 alone is short of 35); 30 + 5 = 35 closes it exactly and re-sources less
        // value than 30 + 12.
        assert_eq!(lines, ["b", "a"]);
        let (set, _) =
            smallest_closing_set(vec![("a".into(), d("5")), ("b".into(), d("30")), ("c".into(), d("12"))], d("36"));
        assert_eq!(set.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["b", "c"], "30 + 5 is short of 36");
        // One line is enough for a gap of 3.30: the cheapest single line that closes it, not the largest.
        let c = vec![("L01".into(), d("68.00")), ("L08".into(), d("6.30")), ("L03".into(), d("2.00"))];
        let (set, ok) = smallest_closing_set(c, d("3.30"));
        assert!(ok);
        assert_eq!(set, vec![("L08".to_string(), d("6.30"))]);
        let (_, ok) = smallest_closing_set(vec![("a".into(), d("5"))], d("6"));
        assert!(!ok);
    }
}
