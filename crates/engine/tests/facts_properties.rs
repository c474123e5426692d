//! Issue 11 "Done when", the facts half of the property test: for generated goods whose values and
//! materials' origins and classifications are present or stated `unknown`, every good is either
//! determined from the facts it states (the answer is the same whatever the unknown facts turn out to
//! be) or needs evidence / is an input error, with a blocking finding that names what is missing.
//!
//! Rule: gn11-84-004 (GN 11(o), chapter 84, rule 4) for 8402.90: (A) a change from any other heading, or
//! (B) no change required with an RVC of 60 % (TV) / 50 % (NC). Materials of 7208.51 make the change of
//! (A); materials of 8402.90 do not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use origin_engine::audit::Outcome;
use origin_engine::finding::Severity;
use proptest::prelude::*;

/// A fact of a BOM line: known, or stated `unknown`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Origin {
    Certified,
    Chinese,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Shifts,
    Same,
    Unknown,
}

/// The good: its transaction value (or none), and its lines (origin, classification, value).
type Spec = (Option<u32>, Vec<(Origin, Class, u32)>);

/// The batch text of `spec`, with unknown origins written as `o` and unknown classes as `c` (both
/// `Unknown`: as generated).
fn text(spec: &Spec, o: Origin, c: Class) -> String {
    let (tv, lines) = spec;
    let mut bom = String::new();
    for (i, (origin, class, value)) in lines.iter().enumerate() {
        let origin = if *origin == Origin::Unknown { o } else { *origin };
        let class = if *class == Class::Unknown { c } else { *class };
        let hs = match class {
            Class::Shifts => "7208.51",
            Class::Same => "8402.90",
            Class::Unknown => "unknown",
        };
        let v = value.to_string();
        bom.push_str(&match origin {
            Origin::Certified => line(&format!("m{i}"), hs, &v, "US", "acme-us", "certification: SC-US"),
            Origin::Chinese => line(&format!("m{i}"), hs, &v, "CN", "dragon", ""),
            Origin::Unknown => line(&format!("m{i}"), hs, &v, "unknown", "dragon", ""),
        });
    }
    let values = tv.map(|v| format!("transaction_value: {v}")).unwrap_or_default();
    let good = good_yaml("g", "8402.90", &values, "", &bom);
    batch_now(&if lines.is_empty() { good.replace("    materials:\n", "") } else { good })
}

fn spec() -> impl Strategy<Value = Spec> {
    let origin = prop_oneof![Just(Origin::Certified), Just(Origin::Chinese), Just(Origin::Unknown)];
    let class = prop_oneof![Just(Class::Shifts), Just(Class::Same), Just(Class::Unknown)];
    (prop::option::of(100u32..400), prop::collection::vec((origin, class, 1u32..80), 0..4))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_good_is_determined_from_its_facts_or_says_what_is_missing(s in spec()) {
        let r = check(&text(&s, Origin::Unknown, Class::Unknown));
        let g = only(&r);
        match outcome(g) {
            Outcome::NeedsEvidence => {
                let blocking: Vec<_> = g.audit.findings.iter().filter(|f| f.severity == Severity::Blocking).collect();
                prop_assert!(!blocking.is_empty(), "needs evidence without a blocking finding: {:?}", codes(g));
                prop_assert!(
                    blocking.iter().any(|f| !f.evidence.is_empty() || !f.materials.is_empty() || !f.remedy.is_empty()),
                    "the finding names nothing: {:?}", blocking
                );
                if s.1.is_empty() {
                    prop_assert!(has(g, "INPUT_ERROR"), "an empty BOM is an input error: {:?}", codes(g));
                }
            }
            determined => {
                prop_assert!(!s.1.is_empty(), "an empty BOM was determined: {}", g.audit.determination.summary);
                // Determined from stated facts: any answer to the unknown facts gives the same outcome.
                for o in [Origin::Certified, Origin::Chinese] {
                    for c in [Class::Shifts, Class::Same] {
                        let r2 = check(&text(&s, o, c));
                        prop_assert_eq!(
                            outcome(only(&r2)), determined,
                            "with unknown origins = {:?} and classes = {:?}: {} (was: {})",
                            o, c, only(&r2).audit.determination.summary, g.audit.determination.summary
                        );
                    }
                }
            }
        }
    }
}
