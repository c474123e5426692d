#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Property tests for HS codes and ranges against simple reference models on digit strings.

use origin_core::{HsCode, HsLevel, HsRange};
use proptest::prelude::*;

/// The digit string of a code: a valid chapter (01-97) followed by `len - 2` random digits.
fn digits(len: usize) -> impl Strategy<Value = String> {
    (1u8..=97, proptest::collection::vec(0u8..10, len - 2)).prop_map(|(ch, rest)| {
        let mut s = format!("{ch:02}");
        for d in rest {
            s.push(char::from(b'0' + d));
        }
        s
    })
}

/// Any code of 2, 4, 6, 8 or 10 digits.
fn any_digits() -> impl Strategy<Value = String> {
    prop_oneof![digits(2), digits(4), digits(6), digits(8), digits(10)]
}

/// The dotted form the legal text uses: `8708`, `8708.40`, `8708.40.50`, `8708.40.50.10`.
fn dotted(plain: &str) -> String {
    let mut out = String::new();
    for (i, c) in plain.chars().enumerate() {
        if i == 4 || i == 6 || i == 8 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn level_of(len: usize) -> HsLevel {
    HsLevel::from_digits(u8::try_from(len).unwrap()).unwrap()
}

/// Reference containment: the code's digits cut to the range's level, compared as equal-length strings.
fn ref_contains(start: &str, end: &str, code: &str) -> bool {
    let n = start.len();
    code.len() >= n && start <= &code[..n] && &code[..n] <= end
}

/// A range written as two digit strings at the same level, lower first.
fn range_at(len: usize) -> impl Strategy<Value = (String, String)> {
    (digits(len), digits(len)).prop_map(|(a, b)| if a <= b { (a, b) } else { (b, a) })
}

fn any_range() -> impl Strategy<Value = (String, String)> {
    prop_oneof![range_at(2), range_at(4), range_at(6), range_at(8), range_at(10)]
}

fn range(r: &(String, String)) -> HsRange {
    HsRange::parse(&format!("{}-{}", dotted(&r.0), dotted(&r.1))).unwrap()
}

/// Small universe for brute force: 6-digit codes of chapters 84-86, headings xx00-xx04, subheadings
/// xxxx.00-xxxx.19.
fn small_subheading() -> impl Strategy<Value = String> {
    (84u8..=86, 0u8..=4, 0u8..=19).prop_map(|(c, h, s)| format!("{c:02}{h:02}{s:02}"))
}

fn universe() -> Vec<String> {
    let mut out = Vec::new();
    for c in 84..=86 {
        for h in 0..=4 {
            for s in 0..=19 {
                out.push(format!("{c:02}{h:02}{s:02}"));
            }
        }
    }
    out
}

/// A range in the small universe at chapter, heading or subheading level.
fn small_range() -> impl Strategy<Value = (String, String)> {
    (small_subheading(), small_subheading(), prop_oneof![Just(2usize), Just(4), Just(6)]).prop_map(|(a, b, n)| {
        let (a, b) = (a[..n].to_string(), b[..n].to_string());
        if a <= b { (a, b) } else { (b, a) }
    })
}

proptest! {
    #[test]
    fn parse_display_round_trips(s in any_digits()) {
        let code = HsCode::parse(&s).unwrap();
        prop_assert_eq!(code.plain(), s.clone());
        prop_assert_eq!(HsCode::parse(&code.to_string()).unwrap(), code);
        prop_assert_eq!(HsCode::parse(&code.plain()).unwrap(), code);
        prop_assert_eq!(code.level(), level_of(s.len()));
        prop_assert_eq!(u32::from(code.chapter()), s[..2].parse::<u32>().unwrap());
    }

    #[test]
    fn plain_and_dotted_forms_are_the_same_code(s in any_digits()) {
        let plain = HsCode::parse(&s).unwrap();
        let dot = HsCode::parse(&dotted(&s)).unwrap();
        prop_assert_eq!(plain, dot);
        prop_assert_eq!(plain.to_string(), dotted(&s));
    }

    #[test]
    fn range_contains_agrees_with_reference(r in any_range(), code in any_digits()) {
        let hr = range(&r);
        let c = HsCode::parse(&code).unwrap();
        prop_assert_eq!(hr.contains(c), ref_contains(&r.0, &r.1, &code), "{} contains {}", hr, c);
    }

    #[test]
    fn range_contains_codes_near_its_ends(r in any_range(), tail in any_digits()) {
        // Extending an end with deeper digits stays inside the range.
        let hr = range(&r);
        for end in [&r.0, &r.1] {
            let deeper = format!("{end}{}", &tail[2..]);
            let deeper = &deeper[..deeper.len().min(10) / 2 * 2];
            let c = HsCode::parse(deeper).unwrap();
            prop_assert!(hr.contains(c), "{} should contain {}", hr, c);
            prop_assert!(hr.overlaps_code(c), "{} contains {} so overlaps it", hr, c);
        }
    }

    #[test]
    fn truncate_then_contains(s in any_digits()) {
        let c = HsCode::parse(&s).unwrap();
        for n in [2usize, 4, 6, 8, 10] {
            let level = level_of(n);
            match c.truncate(level) {
                Some(t) => {
                    prop_assert!(n <= s.len());
                    prop_assert_eq!(t.plain(), s[..n].to_string());
                    prop_assert!(t.contains(c), "{} contains {}", t, c);
                    prop_assert!(HsRange::single(t).contains(c));
                    // A deeper code is never contained in a shallower one's range the other way round.
                    if n < s.len() {
                        prop_assert!(!HsRange::single(c).contains(t));
                        prop_assert!(HsRange::single(c).overlaps_code(t));
                    }
                }
                None => prop_assert!(n > s.len()),
            }
        }
    }

    /// `RuleSet::lookup` reads only the rules whose codes overlap the good's: sound because a range
    /// that contains a code always overlaps it.
    #[test]
    fn a_range_that_contains_a_code_overlaps_it(r in any_range(), s in any_digits()) {
        let (hr, c) = (range(&r), HsCode::parse(&s).unwrap());
        prop_assert_eq!(hr.contains(c), ref_contains(&r.0, &r.1, &s));
        if hr.contains(c) {
            prop_assert!(hr.overlaps_code(c), "{} contains {} but does not overlap it", hr, c);
        }
    }

    #[test]
    fn overlaps_is_symmetric(a in any_range(), b in any_range()) {
        let (ra, rb) = (range(&a), range(&b));
        prop_assert_eq!(ra.overlaps(rb), rb.overlaps(ra));
    }

    #[test]
    fn overlaps_agrees_with_brute_force(a in small_range(), b in small_range()) {
        let (ra, rb) = (range(&a), range(&b));
        let brute = universe().iter().any(|u| ref_contains(&a.0, &a.1, u) && ref_contains(&b.0, &b.1, u));
        prop_assert_eq!(ra.overlaps(rb), brute, "{} overlaps {}", ra, rb);
    }
}

#[test]
fn codes_outside_the_nomenclature_are_rejected() {
    for bad in ["00", "98", "9901", "8708.4", "87.08", "87O8.40", "870", "8708.40.5", "8708..40", "", "8708.40.50.10.1"]
    {
        assert!(HsCode::parse(bad).is_err(), "`{bad}` should not parse");
    }
}
