//! Issue 12: an alternative that names only some of the rule's codes decides only goods of those codes.
//! GN 11(o) chapter 71 rule 2 (third-party transcription): "(A) A change to subheadings 7106.10 through
//! 7106.92 from any other subheading, including another subheading within that group; or (B) No change in
//! tariff classification to a good of subheading 7106.91, whether or not there is also a change from another
//! subheading, provided that the nonoriginating materials undergo electrolytic, thermal or chemical
//! separation or alloying."

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;

/// Silver of 7106.91 from Chinese silver of 7106.91 (800 of a 1,000 transaction value: 80 %, far above
/// de minimis): (A) fails (no change of subheading), (B) needs no change and its separation condition is
/// evidenced, so the good qualifies under criterion B by (B).
#[test]
fn alternative_for_its_own_subheading_qualifies_the_good() {
    let lines = cn_line("1", "7106.91", "800");
    let g = good_yaml("silver", "7106.91", "transaction_value: 1000", "conditions_met: [condition]", &lines);
    let r = check(&batch_now(&g));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::Qualified, "{:?}", g.audit.determination.alternatives);
    assert_eq!(criterion(g), Some('B'));
    assert_eq!(alternative(g, "A").outcome, "not met");
    assert_eq!(alternative(g, "B").outcome, "met");
}

/// The same facts for silver of 7106.92 (semi-manufactured): (B) is for 7106.91 only, so it is not
/// applicable and the good, failing (A), does not qualify. Before alternatives could name their own codes
/// (B) could not be encoded at all (the rule was `incomplete`, (A) only); encoded without its codes it would
/// have qualified this good.
#[test]
fn alternative_for_another_subheading_does_not_apply() {
    let lines = cn_line("1", "7106.92", "800");
    let g = good_yaml("silver-sheet", "7106.92", "transaction_value: 1000", "conditions_met: [condition]", &lines);
    let r = check(&batch_now(&g));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NotQualified, "{:?}", g.audit.determination.alternatives);
    assert_eq!(alternative(g, "A").outcome, "not met");
    let b = alternative(g, "B");
    assert_eq!(b.outcome, "not applicable");
    assert!(b.requirement.contains("only for goods of 7106.91"), "{}", b.requirement);
}

/// Without the condition evidenced, (B) is undetermined for 7106.91: the good needs evidence, never a "no".
#[test]
fn unevidenced_condition_of_the_alternative_needs_evidence() {
    let lines = cn_line("1", "7106.91", "800");
    let r = check(&batch_now(&good_yaml("silver", "7106.91", "transaction_value: 1000", "", &lines)));
    let g = only(&r);
    assert_eq!(outcome(g), Outcome::NeedsEvidence);
    assert_eq!(alternative(g, "B").outcome, "undetermined");
}
