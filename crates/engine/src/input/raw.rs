//! The batch file as written: serde structs, unknown keys rejected. Values that need checking (HS codes,
//! countries, amounts, references) stay as written so the validation step can report all of them,
//! each with its path, and keep auditing the goods that are fine.

use std::borrow::Cow;

use chrono::NaiveDate;
use origin_graph::ProvenanceInput;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;

/// A whole batch (YAML or JSON).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    /// What the batch is and how to audit it.
    pub batch: RawHeader,
    /// Certifier, exporter, producers, importer (Annex 5-A data elements 1-5).
    #[serde(default)]
    pub parties: Vec<RawParty>,
    /// Exchange rates into the batch currency; no other conversion is ever made.
    #[serde(default)]
    pub exchange_rates: Vec<RawRate>,
    /// Certifications of origin received from suppliers.
    #[serde(default)]
    pub supplier_certifications: Vec<RawSupplierCertification>,
    /// The goods to audit.
    #[serde(default)]
    pub goods: Vec<RawGood>,
    /// Provenance events (sites, lots, shipments, transformations): see docs/provenance-format.md.
    #[serde(default)]
    pub provenance: Option<ProvenanceInput>,
}

/// The batch header. A bad header stops the run before anything is written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    /// Batch id.
    pub id: String,
    /// The Party the goods are imported into: `US`, `MX` or `CA`.
    pub importing_party: String,
    /// The date the determination is made for; rules in force on it apply.
    pub as_of: NaiveDate,
    /// The currency every value is reported in (ISO 4217).
    pub currency: String,
    /// Expected rule-pack id (and version), checked against the pack used.
    #[serde(default)]
    pub rule_pack: Option<String>,
    /// The HS edition the goods' and materials' codes are in: `hs2022` (today's HTSUS, the default) or
    /// `hs2017`. The engine reads them in the rule pack's edition through its correlation table.
    #[serde(default)]
    pub nomenclature: Option<origin_rules::Nomenclature>,
    /// The party that certifies (a party id).
    #[serde(default)]
    pub certifier: Option<String>,
    /// The exporter (a party id, or `various`).
    #[serde(default)]
    pub exporter: Option<String>,
    /// The importer (a party id, or `various`).
    #[serde(default)]
    pub importer: Option<String>,
    /// CSV or XLSX files with BOM lines, relative to this file (one row per material).
    #[serde(default)]
    pub bom_files: Vec<String>,
}

/// A party (Annex 5-A elements 2-5).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawParty {
    /// Id used by goods and the header.
    pub id: String,
    /// Legal name.
    pub name: String,
    /// Title of the signing person, for a certifier.
    #[serde(default)]
    pub title: Option<String>,
    /// Address.
    pub address: String,
    /// Country, ISO alpha-2.
    pub country: String,
    /// Telephone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Tax identification number.
    #[serde(default)]
    pub tax_id: Option<String>,
}

/// An exchange rate: 1 `from` = `rate` `to`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    /// From currency.
    pub from: String,
    /// To currency (the batch currency).
    pub to: String,
    /// Units of `to` per unit of `from`.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub rate: Decimal,
    /// Date of the rate, for the record.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// A supplier's certification of origin for the parts it supplies.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSupplierCertification {
    /// Id referenced by BOM lines.
    pub id: String,
    /// Supplier name or party id.
    pub supplier: String,
    /// Part numbers it covers; empty = every part of this supplier.
    #[serde(default)]
    pub parts: Vec<String>,
    /// Classification the supplier certified, if stated.
    #[serde(default)]
    pub hs: Option<String>,
    /// Origin criterion A, B, C or D.
    pub origin_criterion: String,
    /// Country of origin certified (a USMCA Party).
    pub country: String,
    /// Blanket period start (at most 12 months long).
    #[serde(default)]
    pub blanket_from: Option<NaiveDate>,
    /// Blanket period end.
    #[serde(default)]
    pub blanket_to: Option<NaiveDate>,
    /// Date signed.
    pub signed: NaiveDate,
}

/// A good to audit.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGood {
    /// Id, unique in the batch.
    pub id: String,
    /// Description (Annex 5-A element 6).
    pub description: String,
    /// Classification: 6 digits at least; 8 where the rule is at tariff-item level.
    pub hs: String,
    /// The vehicle the good is for, where the rule depends on it: `passenger-vehicle`, `light-truck`,
    /// `heavy-truck`, `other`.
    #[serde(default, rename = "use")]
    pub vehicle_use: Option<String>,
    /// The description a rule names, where it depends on it ("body stamping", "gear boxes").
    #[serde(default)]
    pub kind: Option<String>,
    /// Producer (a party id).
    pub producer: String,
    /// Country where it is produced.
    pub place_of_production: String,
    /// The producer states the good is wholly obtained or produced (criterion A).
    #[serde(default)]
    pub wholly_obtained: bool,
    /// Currency of the good's values.
    pub currency: String,
    /// Transaction value (price paid), before removing international shipping.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub transaction_value: Option<Decimal>,
    /// International shipping included in the transaction value (removed for the FOB basis).
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub international_shipping: Option<Decimal>,
    /// Net cost (total cost minus promotion, royalties, shipping and packing, non-allowable interest).
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub net_cost: Option<Decimal>,
    /// Total cost.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub total_cost: Option<Decimal>,
    /// Operations performed by the producer.
    #[serde(default)]
    pub operations: Vec<String>,
    /// The route to the importing Party after production.
    #[serde(default)]
    pub route: Vec<RawRouteStop>,
    /// Automotive data, where the good is a vehicle or a part.
    #[serde(default)]
    pub automotive: Option<RawAutomotive>,
    /// Special conditions of the rule that the producer has evidence for (condition ids).
    #[serde(default)]
    pub conditions_met: Vec<String>,
    /// Invoice number, for a certification covering a single shipment.
    #[serde(default)]
    pub invoice: Option<String>,
    /// The bill of materials.
    #[serde(default)]
    pub materials: Vec<RawMaterial>,
}

/// One stop on the way to the importing Party.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRouteStop {
    /// Country.
    pub country: String,
    /// Operations done there (`unloading`, `reloading`, `storing`, `labelling`, ...).
    #[serde(default)]
    pub operations: Vec<String>,
    /// Whether the good stayed under customs control there. Unstated at a non-Party stop: the good
    /// needs evidence (Art. 4.18 makes it a condition; the importer must be able to show it).
    #[serde(default)]
    pub customs_control: Option<bool>,
}

/// Automotive data for a vehicle or part.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAutomotive {
    /// The staging category the part falls in (`pv-lt-core-part` for Table A.1, ...).
    pub category: String,
}

/// A BOM line.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMaterial {
    /// Line id, unique within the good.
    pub line: String,
    /// Part number.
    #[serde(default)]
    pub part: Option<String>,
    /// Description.
    pub description: String,
    /// Classification.
    pub hs: String,
    /// Quantity per good.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub quantity: Decimal,
    /// Value per unit.
    #[schemars(with = "origin_core::schema::DecimalSchema")]
    pub unit_value: Decimal,
    /// Currency of `unit_value`.
    pub currency: String,
    /// Origin the supplier declares (ISO alpha-2).
    pub origin: String,
    /// Supplier name or party id.
    #[serde(default)]
    pub supplier: Option<String>,
    /// Supplier certification id backing a USMCA origin.
    #[serde(default)]
    pub certification: Option<String>,
    /// What kinds of material it is, for rules that name one ("printed circuit assemblies"). Absent:
    /// unknown. Present (even empty): the complete list.
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    /// `direct` (default), `indirect`, `accessory`, `retail-packaging` or `packing`.
    #[serde(default)]
    pub role: Option<String>,
    /// The provenance lot that supplied it.
    #[serde(default)]
    pub lot: Option<String>,
    /// A self-produced material: its own BOM, rolled up.
    #[serde(default)]
    pub self_produced: Option<RawSelfProduced>,
    /// Weight in kilograms (textile de minimis).
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub weight_kg: Option<Decimal>,
}

/// A self-produced material and its BOM.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSelfProduced {
    /// Designated as an intermediate material (one layer only).
    #[serde(default)]
    pub intermediate: bool,
    /// Net cost of the material, when its own RVC matters.
    #[serde(default)]
    #[schemars(with = "Option<origin_core::schema::DecimalSchema>")]
    pub net_cost: Option<Decimal>,
    /// Its materials.
    pub materials: Vec<RawMaterial>,
}

/// A CSV/XLSX BOM row: the columns an ERP export has.
#[derive(Debug, Clone, Deserialize)]
pub struct RawBomRow {
    /// Good id.
    pub good: String,
    /// Line id.
    pub line: String,
    /// Part number.
    #[serde(default)]
    pub part: Option<String>,
    /// Description.
    pub description: String,
    /// HS code.
    pub hs: String,
    /// Quantity.
    pub quantity: String,
    /// Unit value.
    pub unit_value: String,
    /// Currency.
    pub currency: String,
    /// Declared origin.
    pub origin: String,
    /// Supplier.
    #[serde(default)]
    pub supplier: Option<String>,
    /// Supplier certification id.
    #[serde(default)]
    pub certification: Option<String>,
    /// Role.
    #[serde(default)]
    pub role: Option<String>,
    /// Kinds, separated by `;`.
    #[serde(default)]
    pub kinds: Option<String>,
    /// Lot id.
    #[serde(default)]
    pub lot: Option<String>,
}

/// A JSON string borrowed from the input (allocated only when it has escapes). The JSON fast path
/// reads BOM lines with it: a line has up to nine texts, most of them parsed or interned and dropped,
/// and allocating each one cost more than the rest of the parse. Errors read as `String`'s do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_string(V).map(Text)
    }
}

impl From<String> for Text<'static> {
    fn from(s: String) -> Self {
        Text(Cow::Owned(s))
    }
}

impl Text<'_> {
    /// The same text, owned.
    pub(crate) fn into_owned(self) -> Text<'static> {
        Text(Cow::Owned(self.0.into_owned()))
    }
}

/// [`RawGood`] as the JSON fast path reads it: the same fields, in the same order (serde's "expected one
/// of" lists them), with the BOM lines borrowed ([`RawMaterialIn`]). Not in the JSON Schema, which
/// [`RawGood`] defines; a test checks that both read the same fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGoodIn<'a> {
    pub id: String,
    pub description: String,
    pub hs: String,
    #[serde(default, rename = "use")]
    pub vehicle_use: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    pub producer: String,
    pub place_of_production: String,
    #[serde(default)]
    pub wholly_obtained: bool,
    pub currency: String,
    #[serde(default)]
    pub transaction_value: Option<Decimal>,
    #[serde(default)]
    pub international_shipping: Option<Decimal>,
    #[serde(default)]
    pub net_cost: Option<Decimal>,
    #[serde(default)]
    pub total_cost: Option<Decimal>,
    #[serde(default)]
    pub operations: Vec<String>,
    #[serde(default)]
    pub route: Vec<RawRouteStop>,
    #[serde(default)]
    pub automotive: Option<RawAutomotive>,
    #[serde(default)]
    pub conditions_met: Vec<String>,
    #[serde(default)]
    pub invoice: Option<String>,
    #[serde(default, borrow)]
    pub materials: Vec<RawMaterialIn<'a>>,
}

impl<'a> RawGoodIn<'a> {
    /// The good's own fields (its `materials` left empty) and its BOM lines.
    pub(crate) fn split(self) -> (RawGood, Vec<RawMaterialIn<'a>>) {
        let good = RawGood {
            id: self.id,
            description: self.description,
            hs: self.hs,
            vehicle_use: self.vehicle_use,
            kind: self.kind,
            producer: self.producer,
            place_of_production: self.place_of_production,
            wholly_obtained: self.wholly_obtained,
            currency: self.currency,
            transaction_value: self.transaction_value,
            international_shipping: self.international_shipping,
            net_cost: self.net_cost,
            total_cost: self.total_cost,
            operations: self.operations,
            route: self.route,
            automotive: self.automotive,
            conditions_met: self.conditions_met,
            invoice: self.invoice,
            materials: Vec::new(),
        };
        (good, self.materials)
    }
}

/// [`RawMaterial`] with borrowed texts: the same fields in the same order. The general path converts
/// its `RawMaterial`s into this (moving the strings), so one set of checks reads both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMaterialIn<'a> {
    #[serde(borrow)]
    pub line: Text<'a>,
    #[serde(default, borrow)]
    pub part: Option<Text<'a>>,
    #[serde(borrow)]
    pub description: Text<'a>,
    #[serde(borrow)]
    pub hs: Text<'a>,
    pub quantity: Decimal,
    pub unit_value: Decimal,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(borrow)]
    pub origin: Text<'a>,
    #[serde(default, borrow)]
    pub supplier: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub certification: Option<Text<'a>>,
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    #[serde(default, borrow)]
    pub role: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub lot: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub self_produced: Option<RawSelfProducedIn<'a>>,
    #[serde(default)]
    pub weight_kg: Option<Decimal>,
}

/// [`RawSelfProduced`] with borrowed BOM lines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSelfProducedIn<'a> {
    #[serde(default)]
    pub intermediate: bool,
    #[serde(default)]
    pub net_cost: Option<Decimal>,
    #[serde(borrow)]
    pub materials: Vec<RawMaterialIn<'a>>,
}

impl From<RawMaterial> for RawMaterialIn<'static> {
    fn from(m: RawMaterial) -> Self {
        RawMaterialIn {
            line: m.line.into(),
            part: m.part.map(Text::from),
            description: m.description.into(),
            hs: m.hs.into(),
            quantity: m.quantity,
            unit_value: m.unit_value,
            currency: m.currency.into(),
            origin: m.origin.into(),
            supplier: m.supplier.map(Text::from),
            certification: m.certification.map(Text::from),
            kinds: m.kinds,
            role: m.role.map(Text::from),
            lot: m.lot.map(Text::from),
            self_produced: m.self_produced.map(|s| RawSelfProducedIn {
                intermediate: s.intermediate,
                net_cost: s.net_cost,
                materials: s.materials.into_iter().map(RawMaterialIn::from).collect(),
            }),
            weight_kg: m.weight_kg,
        }
    }
}

impl RawMaterialIn<'_> {
    /// The same line, owning its texts (for a good kept past the buffer it was read from).
    pub(crate) fn into_owned(self) -> RawMaterialIn<'static> {
        let own = |t: Option<Text<'_>>| t.map(Text::into_owned);
        RawMaterialIn {
            line: self.line.into_owned(),
            part: own(self.part),
            description: self.description.into_owned(),
            hs: self.hs.into_owned(),
            quantity: self.quantity,
            unit_value: self.unit_value,
            currency: self.currency.into_owned(),
            origin: self.origin.into_owned(),
            supplier: own(self.supplier),
            certification: own(self.certification),
            kinds: self.kinds,
            role: own(self.role),
            lot: own(self.lot),
            self_produced: self.self_produced.map(|s| RawSelfProducedIn {
                intermediate: s.intermediate,
                net_cost: s.net_cost,
                materials: s.materials.into_iter().map(RawMaterialIn::into_owned).collect(),
            }),
            weight_kg: self.weight_kg,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The error serde gives for `json`, read as `T`.
    fn error<'a, T: Deserialize<'a>>(json: &'a str) -> String {
        serde_json::from_str::<T>(json).err().map(|e| e.to_string()).unwrap_or_default()
    }

    /// The fast path's twins read the same fields as the schema types: an unknown field lists the
    /// expected ones, in order, and a missing one is named alike.
    #[test]
    fn borrowed_twins_read_the_same_fields() {
        let unknown = r#"{"zz": 1}"#;
        assert_eq!(error::<RawGood>(unknown), error::<RawGoodIn<'_>>(unknown));
        assert_eq!(error::<RawMaterial>(unknown), error::<RawMaterialIn<'_>>(unknown));
        assert_eq!(error::<RawSelfProduced>(unknown), error::<RawSelfProducedIn<'_>>(unknown));
        assert!(error::<RawMaterial>(unknown).contains("expected one of `line`"));
        let line = r#"{"line": "1", "description": "d\"q", "hs": "7214.20", "quantity": 1, "unit_value": 2,
            "currency": "USD", "origin": "CN", "supplier": 3}"#;
        assert_eq!(error::<RawMaterial>(line), error::<RawMaterialIn<'_>>(line));
        assert!(error::<RawMaterial>(line).contains("expected a string"));
        let missing = r#"{"line": "1", "hs": "7214.20"}"#;
        assert_eq!(error::<RawMaterial>(missing), error::<RawMaterialIn<'_>>(missing));
        let good = r#"{"id": "G", "description": "d", "hs": "8708.40", "producer": "p",
            "place_of_production": "MX", "currency": "USD", "materials": [{"line": "1", "description": "a\\b",
            "hs": "7214.20", "quantity": 1, "unit_value": 2, "currency": "USD", "origin": "CN",
            "self_produced": {"materials": []}}]}"#;
        let owned: RawGood = serde_json::from_str(good).unwrap();
        let (_, bom) = serde_json::from_str::<RawGoodIn<'_>>(good).unwrap().split();
        let converted: Vec<RawMaterialIn<'_>> = owned.materials.into_iter().map(RawMaterialIn::from).collect();
        assert_eq!(format!("{bom:?}"), format!("{converted:?}"));
        assert_eq!(&*bom[0].description, "a\\b");
    }
}
