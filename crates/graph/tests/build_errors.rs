//! Every build error, one small input each: the error kind, the ids it names, and its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use origin_graph::{BuildErrorKind, ProvenanceGraph, ProvenanceInput};

const BASE: &str = r#"
sites:
  - { id: CN-MILL, country: CN, kind: mill, operator: Mill Co }
  - { id: MX-PLANT, country: MX, kind: plant, operator: Plant SA }
lots:
  - { id: BAR, hs: "7214.20", quantity: 100, unit: kg, site: CN-MILL, date: 2025-01-01, declared_origin: CN }
  - { id: CAL, hs: "8708.30", quantity: 10, unit: pcs, site: MX-PLANT, date: 2025-03-01, declared_origin: MX }
"#;

const SHIP: &str = r#"
  - { id: SH-1, lot: BAR, from: CN-MILL, to: MX-PLANT, departed: 2025-01-10, arrived: 2025-02-01, document: BL-1, customs_control: false }
"#;

const FORGE: &str = r#"
  - { id: TR-1, inputs: [{ lot: BAR, quantity: 100 }], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-01 }
"#;

/// Builds `BASE` plus extra lots, shipments and transformations, and checks that an error of `kind` is
/// among them and the text of every error.
fn check(lots: &str, shipments: &str, transformations: &str, kind: BuildErrorKind, expect: &[&str]) {
    let yaml = format!("{BASE}{lots}\nshipments:{shipments}\ntransformations:{transformations}");
    let input: ProvenanceInput = serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let errors = ProvenanceGraph::build(&input).expect_err("input should be rejected").0;
    let got: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(errors.iter().any(|e| e.kind == kind), "{got:#?}");
    assert_eq!(got, expect, "{got:#?}");
}

#[test]
fn the_base_chain_builds() {
    let yaml = format!("{BASE}\nshipments:{SHIP}\ntransformations:{FORGE}");
    let input: ProvenanceInput = serde_yaml::from_str(&yaml).unwrap();
    let g = ProvenanceGraph::build(&input).unwrap();
    assert_eq!(g.counts(), (2, 2, 1, 1));
    let order: Vec<&str> = g.topological_order().map(|l| g.lot_id(l)).collect();
    assert_eq!(order, ["BAR", "CAL"]);
}

#[test]
fn duplicate_ids() {
    check(
        "  - { id: BAR, hs: \"7214.20\", quantity: 1, unit: kg, site: CN-MILL, date: 2025-01-01, declared_origin: CN }\n  - { id: CAL2, hs: \"8708.30\", quantity: 1, unit: pcs, site: MX-PLANT, date: 2025-03-02, declared_origin: MX }",
        &format!(
            "{SHIP}  - {{ id: SH-1, lot: CAL, from: MX-PLANT, to: CN-MILL, departed: 2025-03-03, arrived: 2025-03-20, document: BL-2, customs_control: false, quantity: 1 }}\n"
        ),
        &format!(
            "{FORGE}  - {{ id: SH-1, inputs: [{{ lot: CAL, quantity: 1 }}], output: CAL2, site: MX-PLANT, operation: machining, date: 2025-03-02 }}\n"
        ),
        BuildErrorKind::DuplicateId,
        &[
            "lots[2].id: lot id `BAR` is used more than once in `lots`\n  help: give each lot its own id; this record was skipped",
            "shipments[1].id: event id `SH-1` is used more than once in `shipments` and `transformations` (first at `shipments[0].id`)\n  help: give each shipment and transformation its own id",
            "transformations[1].id: event id `SH-1` is used more than once in `shipments` and `transformations` (first at `shipments[0].id`)\n  help: give each shipment and transformation its own id",
        ],
    );
}

#[test]
fn dangling_ids() {
    check(
        "  - { id: NUT, hs: \"7318.16\", quantity: 1, unit: kg, site: VN-PORT, date: 2025-01-01, declared_origin: VN }",
        SHIP,
        "\n  - { id: TR-1, inputs: [{ lot: BAR, quantity: 100 }, { lot: BOLT, quantity: 1 }], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-01 }\n",
        BuildErrorKind::DanglingId,
        &[
            "lot `NUT` names site `VN-PORT` in `site`, but no site has that id\n  help: add site `VN-PORT` to `sites`, or correct the id",
            "transformation `TR-1` names lot `BOLT` in `inputs`, but no lot has that id\n  help: add lot `BOLT` to `lots`, or correct the id",
        ],
    );
}

#[test]
fn a_lot_that_is_its_own_ancestor() {
    check(
        "",
        SHIP,
        &format!(
            "{FORGE}  - {{ id: TR-2, inputs: [{{ lot: CAL, quantity: 1 }}], output: CAL, site: MX-PLANT, operation: machining, date: 2025-03-01 }}\n"
        ),
        BuildErrorKind::Cycle,
        &[
            "transformations[1].output: lot `CAL` is the output of both `TR-1` and `TR-2`\n  help: give each transformation its own output lot",
            "cycle: lot `CAL` is its own ancestor through transformation `TR-2`\n  help: a lot cannot be an input of its own production; check the `inputs` and `output` of these transformations",
        ],
    );
    // A self-loop on its own: a lot made from itself.
    let yaml = format!(
        "{BASE}\nshipments:{SHIP}\ntransformations:\n  - {{ id: TR-9, inputs: [{{ lot: CAL, quantity: 1 }}], output: CAL, site: MX-PLANT, operation: machining, date: 2025-03-01 }}\n"
    );
    let input: ProvenanceInput = serde_yaml::from_str(&yaml).unwrap();
    let e = ProvenanceGraph::build(&input).unwrap_err().0;
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].kind, BuildErrorKind::Cycle);
    assert_eq!(e[0].ids, ["CAL", "TR-9"]);
    assert!(e[0].message.starts_with("cycle: lot `CAL` is its own ancestor through transformation `TR-9`"), "{}", e[0]);
}

#[test]
fn arrival_before_departure() {
    check(
        "",
        "\n  - { id: SH-1, lot: BAR, from: CN-MILL, to: MX-PLANT, departed: 2025-01-10, arrived: 2025-01-05, document: BL-1, customs_control: false }\n",
        "",
        BuildErrorKind::TimeTravel,
        &[
            "shipment `SH-1` of lot `BAR` arrives on `2025-01-05`, before it departs on `2025-01-10`\n  help: correct the dates from the transport document",
        ],
    );
}

#[test]
fn departure_before_the_lot_exists() {
    check(
        "",
        "\n  - { id: SH-1, lot: BAR, from: CN-MILL, to: MX-PLANT, departed: 2024-12-20, arrived: 2025-01-05, document: BL-1, customs_control: false }\n",
        "",
        BuildErrorKind::TimeTravel,
        &[
            "shipment `SH-1` takes lot `BAR` from site `CN-MILL` on `2024-12-20`, before the lot got there on `2025-01-01`\n  help: correct the dates, or the shipment that brings the lot to that site",
        ],
    );
}

#[test]
fn transformation_before_its_inputs_arrived() {
    check(
        "",
        SHIP,
        "\n  - { id: TR-1, inputs: [{ lot: BAR, quantity: 100 }], output: CAL, site: MX-PLANT, operation: forging, date: 2025-01-20 }\n",
        BuildErrorKind::TimeTravel,
        &[
            "transformation `TR-1` on `2025-01-20` consumes lot `BAR`, which reached site `MX-PLANT` only on `2025-02-01`\n  help: correct the transformation date or the arrival date of the input",
        ],
    );
}

#[test]
fn output_dated_before_its_transformation() {
    check(
        "",
        SHIP,
        "\n  - { id: TR-1, inputs: [{ lot: BAR, quantity: 100 }], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-05 }\n",
        BuildErrorKind::TimeTravel,
        &[
            "lot `CAL` is dated `2025-03-01`, before transformation `TR-1` produced it on `2025-03-05`\n  help: date the output lot on or after its transformation",
        ],
    );
}

#[test]
fn more_shipped_than_there_was() {
    check(
        "",
        &format!(
            "{SHIP}  - {{ id: SH-2, lot: BAR, from: CN-MILL, to: MX-PLANT, departed: 2025-01-11, arrived: 2025-02-01, document: BL-2, customs_control: false, quantity: 30 }}\n"
        ),
        "",
        BuildErrorKind::MassBalance,
        &[
            "mass balance: 130 kg of lot `BAR` left site `CN-MILL` (`SH-1`, `SH-2`), but only 100 kg arrived or was produced there (tolerance 0.00%)\n  help: correct the quantities, or add the lot or shipment that supplied the difference",
        ],
    );
}

#[test]
fn tolerance_absorbs_small_differences() {
    let yaml = format!(
        "mass_balance_tolerance: 1\n{BASE}\nshipments:{SHIP}\ntransformations:\n  - {{ id: TR-1, inputs: [{{ lot: BAR, quantity: 100.5 }}], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-01 }}\n"
    );
    let input: ProvenanceInput = serde_yaml::from_str(&yaml).unwrap();
    assert!(ProvenanceGraph::build(&input).is_ok());
}

#[test]
fn consumed_where_it_never_was() {
    check(
        "",
        "",
        FORGE,
        BuildErrorKind::MassBalance,
        &[
            "transformation `TR-1` at site `MX-PLANT` consumes lot `BAR`, which never reached `MX-PLANT`\n  help: add the shipment that brought `BAR` to `MX-PLANT`, or correct the input",
        ],
    );
}

#[test]
fn shipped_from_where_it_never_was() {
    check(
        "",
        "\n  - { id: SH-1, lot: BAR, from: MX-PLANT, to: CN-MILL, departed: 2025-01-10, arrived: 2025-02-01, document: BL-1, customs_control: false }\n",
        "",
        BuildErrorKind::MassBalance,
        &[
            "shipment `SH-1` takes lot `BAR` from site `MX-PLANT`, where the lot never was\n  help: add the shipment that brought `BAR` to `MX-PLANT`, or correct `from`",
        ],
    );
}

#[test]
fn invalid_records() {
    check(
        "",
        SHIP,
        "\n  - { id: TR-1, inputs: [], output: CAL, site: MX-PLANT, operation: forging, date: 2025-03-01 }\n",
        BuildErrorKind::Invalid,
        &[
            "transformations[0].inputs: transformation `TR-1` has no inputs\n  help: list the lots it consumes; a lot nothing produced is a raw lot and needs no transformation",
        ],
    );
    check(
        "  - { id: NIL, hs: \"7214.20\", quantity: 0, unit: kg, site: CN-MILL, date: 2025-01-01, declared_origin: CN }",
        "",
        "",
        BuildErrorKind::Invalid,
        &["lots[2].quantity: quantity `0` of `NIL` is not positive\n  help: state a quantity greater than zero"],
    );
    check(
        "",
        "",
        "\n  - { id: TR-1, inputs: [{ lot: BAR, quantity: 100 }], output: CAL, site: CN-MILL, operation: forging, date: 2025-03-01 }\n",
        BuildErrorKind::Invalid,
        &[
            "transformations[0].site: transformation `TR-1` at site `CN-MILL` produces lot `CAL`, which the lot says came into being at `MX-PLANT`\n  help: set the `site` of lot `CAL` to `CN-MILL`, or the transformation's site to `MX-PLANT`",
        ],
    );
}

#[test]
fn every_error_is_collected() {
    let yaml = format!(
        "{BASE}  - {{ id: BAR, hs: \"7214.20\", quantity: 1, unit: kg, site: CN-MILL, date: 2025-01-01, declared_origin: CN }}\nshipments:\n  - {{ id: SH-1, lot: BAR, from: CN-MILL, to: MX-PLANT, departed: 2025-01-10, arrived: 2025-01-05, document: BL-1, customs_control: false, quantity: 500 }}\ntransformations:{FORGE}"
    );
    let input: ProvenanceInput = serde_yaml::from_str(&yaml).unwrap();
    let e = ProvenanceGraph::build(&input).unwrap_err().0;
    let kinds: Vec<BuildErrorKind> = e.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [BuildErrorKind::DuplicateId, BuildErrorKind::TimeTravel, BuildErrorKind::MassBalance], "{e:#?}");
}

#[test]
fn unknown_fields_and_operations_are_rejected() {
    let bad = "sites: [{ id: A, country: MX, kind: plant, operator: X, colour: red }]";
    let e = serde_yaml::from_str::<ProvenanceInput>(bad).unwrap_err().to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
    let bad = format!(
        "{BASE}transformations: [{{ id: T, inputs: [], output: CAL, site: MX-PLANT, operation: alchemy, date: 2025-03-01 }}]"
    );
    let e = serde_yaml::from_str::<ProvenanceInput>(&bad).unwrap_err().to_string();
    assert!(e.contains("unknown variant `alchemy`"), "{e}");
    let json = r#"{"sites":[{"id":"A","country":"MX","kind":"free-trade-zone","operator":"X"}]}"#;
    let p: ProvenanceInput = serde_json::from_str(json).unwrap();
    assert_eq!(p.sites.len(), 1);
}
