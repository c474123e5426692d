//! Issue 11 item 1 through the commands: `rules explain --kind`, `rules check` and `batch check` read
//! kinds through the pack's vocabulary (`kinds.yaml`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use origin_cli::rules_cmd::{self, CheckFormat};
use origin_rules::VehicleUse;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pack() -> PathBuf {
    root().join("rules/usmca")
}

fn src() -> origin_rules::PackSource {
    origin_rules::PackSource::Dir(pack())
}

fn run(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<i32>) -> (i32, String) {
    let mut out = Vec::new();
    let code = f(&mut out).unwrap();
    (code, String::from_utf8(out).unwrap())
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The reproduction: `rules explain 8708.29 --use passenger-vehicle --kind "body stampings"` picked rule
/// 25 (change of heading only). GN 11(o) ch. 87 rule 24: "For a body stamping of subheading 8708.29 for
/// use in a passenger vehicle or light truck: (A) No change in tariff classification ..., provided there
/// is a regional value content of at least 75 percent under the net cost method."
#[test]
fn explain_8708_29_body_stampings_for_a_passenger_vehicle_is_rule_24() {
    let (code, out) = run(|o| {
        rules_cmd::explain(
            &src(),
            "8708.29",
            date("2026-07-01"),
            Some(VehicleUse::PassengerVehicle),
            Some("body stampings"),
            None,
            o,
        )
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("GN 11(o), chapter 87, rule 24"), "{out}");
    assert!(out.contains("75.00% under the net cost method"), "{out}");
    assert!(!out.contains("rule 25"), "{out}");
}

/// An undeclared `--kind` is an error with a "did you mean" and the kinds the rules of the code ask
/// about, never "a good other than a body stamping" (rule 25).
#[test]
fn explain_with_an_undeclared_kind_is_an_error_with_did_you_mean() {
    let (code, out) = run(|o| {
        rules_cmd::explain(
            &src(),
            "8708.29",
            date("2026-07-01"),
            Some(VehicleUse::PassengerVehicle),
            Some("body stampng"),
            None,
            o,
        )
    });
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("kind `body stampng` is not declared"), "{out}");
    assert!(out.contains("did you mean `body stamping`?"), "{out}");
    assert!(!out.contains("rule 25"), "{out}");
}

/// Copies the directory `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A rule naming a kind `kinds.yaml` does not declare (here after an edit that misspells rule 89's
/// "moulded parts") fails `rules check` with file:line and the kind to declare or the one meant.
#[test]
fn rules_check_reports_an_undeclared_kind_with_file_line_and_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&pack(), dir.path());
    let ch85 = dir.path().join("psr/ch85.yaml");
    let text = std::fs::read_to_string(&ch85).unwrap();
    let from = "{ hs: [\"8538.90\"], kind: \"moulded parts\" }] }";
    let line = text.lines().position(|l| l.contains(from)).unwrap() + 1;
    let edited = text.replacen(from, "{ hs: [\"8538.90\"], kind: \"molded prts\" }] }", 1);
    std::fs::write(&ch85, edited).unwrap();
    let (code, out) =
        run(|o| rules_cmd::check(&origin_rules::PackSource::Dir(dir.path().to_path_buf()), CheckFormat::Text, o));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[undeclared-kind]: kind `molded prts` is not declared in kinds.yaml"), "{out}");
    assert!(out.contains(&format!("psr/ch85.yaml:{line}:")), "{out}");
    assert!(out.contains("did you mean `moulded parts`?"), "{out}");
}

/// `batch check` on the demo with L01 of CP-HVAC-01 stating a kind: the singular is accepted (as many
/// problems as with the plural), a misspelling is one more problem, with the file and line.
#[test]
fn batch_check_accepts_the_singular_and_locates_a_misspelled_kind() {
    let check = |kinds: &str| {
        let dir = tempfile::tempdir().unwrap();
        let demo = root().join("fixtures/demo");
        for f in ["bom-electrical.csv", "bom-lighting.csv"] {
            std::fs::copy(demo.join(f), dir.path().join(f)).unwrap();
        }
        let text = std::fs::read_to_string(demo.join("batch.yaml")).unwrap();
        let from = "hs: \"8538.90\", quantity: 1, unit_value: 9.80, currency: USD, origin: CN,";
        let path = dir.path().join("batch.yaml");
        std::fs::write(&path, text.replace(from, &format!("{from} kinds: {kinds},"))).unwrap();
        let line = std::fs::read_to_string(&path).unwrap().lines().position(|l| l.contains("kinds: [")).unwrap() + 1;
        let (code, out) =
            run(|o| origin_cli::batch_cmd::check(&path, &src(), origin_engine::input::FileScope::BatchDirectory, o));
        (code, out, format!("{}:{line}", path.display()))
    };
    let problems = |out: &str| out.lines().last().and_then(|l| l.rsplit("; ").next()).unwrap_or_default().to_string();
    let (_, plural, _) = check("[\"printed circuit assemblies\"]");
    let (_, singular, _) = check("[\"printed circuit assembly\"]");
    assert_eq!(problems(&singular), problems(&plural), "{singular}");
    let (code, typo, at) = check("[\"printed circiut assembly\"]");
    assert_eq!(code, 1, "{typo}");
    assert!(typo.contains("good `CP-HVAC-01` cannot be audited"), "{typo}");
    assert!(typo.contains(&at), "{typo}");
    assert!(typo.contains("did you mean `printed circuit assemblies`?"), "{typo}");
    assert_ne!(problems(&typo), problems(&plural), "{typo}");
}
