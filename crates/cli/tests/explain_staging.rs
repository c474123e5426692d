//! `rules explain HS --use ... --category ... --as-of ...` shows the staged figure that `run` applies
//! (issue 11 item 5): the automotive staging of GN 11(k) and the Automotive Appendix for the category and
//! date, computed by the same function the engine uses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::NaiveDate;
use origin_cli::rules_cmd;
use origin_rules::{Nomenclature, StagingCategory, VehicleUse};

fn pack() -> origin_rules::PackSource {
    origin_rules::PackSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/usmca"))
}

/// The line that states the staged figure.
fn staged_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.trim_start().starts_with("regional value content of not less than"))
        .unwrap_or_else(|| panic!("{out}"))
}

fn explain(hs: &str, use_: VehicleUse, category: StagingCategory, as_of: &str) -> String {
    let mut out = Vec::new();
    let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
    let code = rules_cmd::explain_full(
        &pack(),
        hs,
        Nomenclature::Hs2022,
        as_of,
        Some(use_),
        None,
        None,
        Some(category),
        &mut out,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{out}");
    out
}

/// Appendix Art. 4.2 (Table D) step (2): a heavy-truck gear box on 2026-11-01 faces 64 % NC, not rule 30's
/// 70 %; the caveat of the second-hand figures is shown.
#[test]
fn explain_heavy_truck_principal_part_shows_the_staged_64_percent() {
    let out = explain("8708.40", VehicleUse::HeavyTruck, StagingCategory::HeavyTruckPrincipalPart, "2026-11-01");
    let line = staged_line(&out);
    assert!(line.contains("64") && line.contains("under the net cost method") && !line.contains("70"), "{out}");
    assert!(out.contains("heavy-truck-principal-parts"), "{out}");
    assert!(out.contains("caveat: unverified"), "{out}");
}

/// GN 11(k) page 43 (B)(2): a tractor gear box (rule 31 (A), change of heading only) must also meet 60 % NC.
#[test]
fn explain_other_vehicle_gear_box_requires_sixty_percent_on_a_tariff_shift_alternative() {
    let mut out = Vec::new();
    let code = rules_cmd::explain_full(
        &pack(),
        "8708.40",
        Nomenclature::Hs2022,
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        Some(VehicleUse::Other),
        Some("gear boxes"),
        None,
        Some(StagingCategory::OtherVehicle),
        &mut out,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{out}");
    let line = staged_line(&out);
    assert!(line.contains("60") && line.contains("under the net cost method"), "{out}");
    assert!(out.contains("(A) the staged RVC is required although the alternative is a tariff shift only"), "{out}");
}

/// Table B principal parts after the last step the pack knows (2021-07-01): not encoded, needs evidence.
#[test]
fn explain_principal_part_after_known_steps_says_not_encoded() {
    let out = explain("8708.40", VehicleUse::PassengerVehicle, StagingCategory::PvLtPrincipalPart, "2026-11-01");
    assert!(out.contains("not encoded"), "{out}");
    assert!(out.contains("needs evidence"), "{out}");
}
