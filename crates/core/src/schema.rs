//! JSON Schemas of the vocabulary types, written to accept exactly the text their `Deserialize` impls
//! accept, so that the published batch and provenance schemas (`origin-audit batch schema`) agree with
//! the reader. Each pattern is derived from the parser it mirrors; the tests of the engine's schema
//! check them against that parser.

use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::{InstanceType, Metadata, NumberValidation, Schema, SchemaObject, SingleOrVec, StringValidation};

use crate::country::ISO_3166_ALPHA2;
use crate::money::ISO_4217;
use crate::{Country, Currency, HsCode, Money, Percent};

/// What `rust_decimal` reads from a string: an optional sign, digits (with `_` separators after the
/// first digit), an optional fraction, and an optional exponent (`Decimal::from_str`, then
/// `Decimal::from_scientific`).
pub const DECIMAL_PATTERN: &str = r"^[+-]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?$";

/// What [`HsCode::parse`] reads: 2 to 10 digits in pairs, of chapters 01-97, undotted or dotted at the
/// HS boundaries (`8708`, `8708.40`, `8708.40.50`, `8708.40.5010`, `8708.40.50.10`), spaces around
/// trimmed.
pub const HS_CODE_PATTERN: &str = r"^\s*(?:0[1-9]|[1-8][0-9]|9[0-7])(?:(?:[0-9]{2}){0,4}|[0-9]{2}\.[0-9]{2}(?:\.[0-9]{4}|\.[0-9]{2}(?:\.[0-9]{2})?)?)\s*$";

/// An exact decimal as the batch and provenance files write it: a JSON/YAML number, or a string in
/// [`DECIMAL_PATTERN`] (the form to use for more digits than a floating-point number keeps).
#[derive(Debug)]
pub struct DecimalSchema;

impl JsonSchema for DecimalSchema {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        "Decimal".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        SchemaObject {
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "An exact decimal: a number (`1234.56`) or a string (`\"1234.56\"`); no thousands separators."
                        .into(),
                ),
                ..Default::default()
            })),
            instance_type: Some(SingleOrVec::Vec(vec![InstanceType::Number, InstanceType::String])),
            string: Some(Box::new(StringValidation { pattern: Some(DECIMAL_PATTERN.into()), ..Default::default() })),
            ..Default::default()
        }
        .into()
    }
}

/// `^\s*(?:AD|AE|...)\s*$` over a space-separated list, each letter matched in either case when
/// `any_case` (as [`Country::parse`] upper-cases its input).
fn code_list_pattern(list: &str, any_case: bool) -> String {
    let codes: Vec<String> = list
        .split_ascii_whitespace()
        .map(|c| {
            if any_case {
                c.chars().map(|ch| format!("[{}{}]", ch, ch.to_ascii_lowercase())).collect()
            } else {
                c.to_string()
            }
        })
        .collect();
    format!(r"^\s*(?:{})\s*$", codes.join("|"))
}

fn string_schema(pattern: String, description: &str) -> Schema {
    SchemaObject {
        metadata: Some(Box::new(Metadata { description: Some(description.into()), ..Default::default() })),
        instance_type: Some(InstanceType::String.into()),
        string: Some(Box::new(StringValidation { pattern: Some(pattern), ..Default::default() })),
        ..Default::default()
    }
    .into()
}

impl JsonSchema for Country {
    fn schema_name() -> String {
        "Country".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(code_list_pattern(ISO_3166_ALPHA2, true), "An assigned ISO 3166-1 alpha-2 country code (`MX`).")
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> String {
        "Currency".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(code_list_pattern(ISO_4217, false), "An active ISO 4217 currency code in capitals (`USD`).")
    }
}

impl JsonSchema for HsCode {
    fn schema_name() -> String {
        "HsCode".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            HS_CODE_PATTERN.into(),
            "An HS code of 2 to 10 digits, dotted as the tariff writes it (`8708.40.50`).",
        )
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> String {
        "Percent".to_owned()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        // A number is bounded by the schema; a string by the reader (0 to 100), as the pattern cannot.
        let mut s = DecimalSchema::json_schema(g).into_object();
        s.number = Some(Box::new(NumberValidation { minimum: Some(0.0), maximum: Some(100.0), ..Default::default() }));
        s.metadata = Some(Box::new(Metadata {
            description: Some("A percentage from 0 to 100, as an exact decimal.".into()),
            ..Default::default()
        }));
        s.into()
    }
}

impl JsonSchema for Money {
    fn schema_name() -> String {
        "Money".to_owned()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let mut s = SchemaObject { instance_type: Some(InstanceType::Object.into()), ..Default::default() };
        let o = s.object();
        o.properties.insert("amount".into(), DecimalSchema::json_schema(g));
        o.properties.insert("currency".into(), g.subschema_for::<Currency>());
        o.required.insert("amount".into());
        o.required.insert("currency".into());
        o.additional_properties = None;
        s.metadata = Some(Box::new(Metadata {
            description: Some("An exact amount and its ISO 4217 currency.".into()),
            ..Default::default()
        }));
        s.into()
    }
}
