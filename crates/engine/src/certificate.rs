//! Certificate drafts: the nine minimum data elements of USMCA Annex 5-A, for a good that qualified
//! with no blocking finding, as JSON and as Markdown a person can read and sign.
//!
//! Legal basis: Art. 5.2 and Annex 5-A; 19 CFR 182.11-182.12 (a certification may cover a single
//! shipment or multiple shipments of identical goods within a blanket period of at most 12 months).
//! JSON field names follow the W3C traceability vocabulary's `UsmcaCertificateOfOrigin` where it has a
//! matching term (certifier, exporter, producer, importer, blanket period, origin criterion).

use std::fmt::Write as _;

use chrono::{Months, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::audit::{GoodAudit, Outcome};
use crate::input::{Batch, Good, Party};

/// The certification statement of Annex 5-A element 9.
pub const STATEMENT: &str = "I certify that the goods described in this document qualify as originating and the information contained in this document is true and accurate. I assume responsibility for proving such representations and agree to maintain and present upon request or to make available during a verification visit, documentation necessary to support this certification.";

/// A party as the certificate shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertParty {
    /// Name.
    pub name: String,
    /// Title, for the certifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Address.
    pub address: String,
    /// Telephone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A blanket period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlanketPeriod {
    /// From.
    pub start_date: NaiveDate,
    /// To.
    pub end_date: NaiveDate,
}

/// The good as the certificate shows it (element 6-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertGood {
    /// Description.
    pub description: String,
    /// HS classification: 6 digits, or 8 where the rule is at tariff-item level.
    pub hs_tariff_classification: String,
    /// Origin criterion A-D.
    pub origin_criterion: String,
    /// Invoice number for a single shipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
}

/// A draft certification of origin: the nine data elements, to be signed by the certifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateDraft {
    /// Always `UsmcaCertificateOfOrigin`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The good's id in the batch.
    pub good_id: String,
    /// 1. Certifier role: importer, exporter or producer.
    pub certifier_role: String,
    /// 2. Certifier.
    pub certifier: Option<CertParty>,
    /// 3. Exporter (or "Various" / unknown).
    pub exporter: Option<CertParty>,
    /// 4. Producer (may be "Available upon request by the importing authorities").
    pub producer: Option<CertParty>,
    /// 5. Importer (may be "Various").
    pub importer: Option<CertParty>,
    /// 6-7. The good, its classification and criterion.
    pub goods: Vec<CertGood>,
    /// 8. Blanket period (at most 12 months), when not a single shipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blanket_period: Option<BlanketPeriod>,
    /// 9. The certification statement; signature and date are left for the certifier.
    pub certification_statement: String,
    /// Elements the batch does not give, which the certifier must complete before signing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_elements: Vec<String>,
    /// Caveats from the determination (unverified or incomplete rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
}

/// Why a draft cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// The good did not qualify.
    #[error("good `{0}` did not qualify as originating")]
    NotQualified(String),
    /// A blocking finding is open.
    #[error("good `{0}` has an open blocking finding")]
    Blocking(String),
    /// The good is originating on a basis that names no origin criterion (deemed originating, GN 11(p)).
    #[error("good `{0}` is deemed originating (GN 11(p)); the pack names no origin criterion for its certification")]
    NoCriterion(String),
    /// The blanket period is longer than 12 months or reversed.
    #[error("blanket period {0} to {1} is not a period of at most 12 months")]
    BlanketPeriod(NaiveDate, NaiveDate),
}

fn party(p: Option<&Party>) -> Option<CertParty> {
    p.map(|p| CertParty {
        name: p.name.clone(),
        title: p.title.clone(),
        address: p.address.clone(),
        telephone: p.phone.clone(),
        email: p.email.clone(),
    })
}

/// Checks a blanket period: from <= to and at most 12 months (Annex 5-A element 8).
pub fn check_blanket(from: NaiveDate, to: NaiveDate) -> Result<BlanketPeriod, DraftError> {
    let limit = from.checked_add_months(Months::new(12)).and_then(|d| d.pred_opt());
    if to < from || limit.is_none_or(|l| to > l) {
        return Err(DraftError::BlanketPeriod(from, to));
    }
    Ok(BlanketPeriod { start_date: from, end_date: to })
}

/// The draft for a good that qualified with no blocking finding.
pub fn draft(
    batch: &Batch,
    good: &Good,
    audit: &GoodAudit,
    blanket: Option<(NaiveDate, NaiveDate)>,
) -> Result<CertificateDraft, DraftError> {
    if audit.determination.outcome != Outcome::Qualified {
        return Err(DraftError::NotQualified(good.id.clone()));
    }
    if audit.has_blocking() {
        return Err(DraftError::Blocking(good.id.clone()));
    }
    if audit.determination.criterion.is_none() {
        return Err(DraftError::NoCriterion(good.id.clone()));
    }
    let blanket_period = blanket.map(|(f, t)| check_blanket(f, t)).transpose()?;
    let h = &batch.header;
    let get = |id: &Option<String>| id.as_ref().and_then(|i| batch.parties.get(i));
    let certifier = get(&h.certifier);
    let role = match &h.certifier {
        Some(c) if Some(c) == h.importer.as_ref() => "importer",
        Some(c) if Some(c) == h.exporter.as_ref() => "exporter",
        Some(c) if c == &good.producer => "producer",
        _ => "exporter",
    };
    // 6 digits, or 8 where the rule applied is written at tariff-item level.
    let tariff_item_rule =
        audit.determination.rule.as_ref().is_some_and(|r| r.hs.split(['-', ',']).any(|c| c.trim().len() > 7));
    let hs = if tariff_item_rule {
        good.hs.tariff_item().unwrap_or(good.hs)
    } else {
        good.hs.subheading().unwrap_or(good.hs)
    };
    let mut missing = Vec::new();
    if certifier.is_none() {
        missing.push(
            "2. certifier (name, title, address, telephone, email): set `batch.certifier` to a party id".to_string(),
        );
    }
    if get(&h.exporter).is_none() && h.exporter.as_deref() != Some("various") {
        missing.push("3. exporter: set `batch.exporter`".into());
    }
    if get(&h.importer).is_none() && h.importer.as_deref() != Some("various") {
        missing.push("5. importer: set `batch.importer` (a party id or `various`)".into());
    }
    if blanket_period.is_none() && good.invoice.is_none() {
        missing.push("6/8. an invoice number for a single shipment, or a blanket period".into());
    }
    Ok(CertificateDraft {
        kind: "UsmcaCertificateOfOrigin".into(),
        good_id: good.id.clone(),
        certifier_role: role.into(),
        certifier: party(certifier),
        exporter: party(get(&h.exporter)),
        producer: party(batch.parties.get(&good.producer)),
        importer: party(get(&h.importer)),
        goods: vec![CertGood {
            description: good.description.clone(),
            hs_tariff_classification: hs.to_string(),
            origin_criterion: audit.determination.criterion.map(String::from).unwrap_or_default(),
            invoice_number: if blanket_period.is_none() { good.invoice.clone() } else { None },
        }],
        blanket_period,
        certification_statement: STATEMENT.into(),
        missing_elements: missing,
        caveats: audit.determination.caveats.clone(),
    })
}

/// Text from the batch in a Markdown table cell: kept on one line, with every character Markdown
/// would read as syntax (a `|` cell break, heading, link, image, emphasis, code, HTML) backslash-escaped.
/// The draft is the text a certifier signs: a party name or description must not add rows, headings
/// or images to it (issue 13, item 5).
pub fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if c.is_control() => out.push(' '),
            '\\' | '|' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '`' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A generated list item (missing element, caveat) kept on one line.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The draft as Markdown for a person to read and sign. Every text from the batch goes through
/// [`markdown_cell`].
pub fn markdown(d: &CertificateDraft) -> String {
    let mut o = String::new();
    let m = markdown_cell;
    let p = |o: &mut String, n: &str, p: &Option<CertParty>| {
        let _ = match p {
            Some(p) => writeln!(
                o,
                "| {n} | {}{} — {}{}{} |",
                m(&p.name),
                p.title.as_deref().map(|t| format!(", {}", m(t))).unwrap_or_default(),
                m(&p.address),
                p.telephone.as_deref().map(|t| format!(", tel. {}", m(t))).unwrap_or_default(),
                p.email.as_deref().map(|t| format!(", {}", m(t))).unwrap_or_default()
            ),
            None => writeln!(o, "| {n} | (to be completed) |"),
        };
    };
    let _ = writeln!(o, "# USMCA certification of origin (draft)\n");
    let _ = writeln!(o, "| data element | value |\n|---|---|");
    let _ = writeln!(o, "| 1. Certifier role | {} |", d.certifier_role);
    p(&mut o, "2. Certifier", &d.certifier);
    p(&mut o, "3. Exporter", &d.exporter);
    p(&mut o, "4. Producer", &d.producer);
    p(&mut o, "5. Importer", &d.importer);
    for g in &d.goods {
        let _ = writeln!(
            o,
            "| 6. Description and HS classification | {} — HS {}{} |",
            m(&g.description),
            m(&g.hs_tariff_classification),
            g.invoice_number.as_deref().map(|i| format!(", invoice {}", m(i))).unwrap_or_default()
        );
        let _ = writeln!(o, "| 7. Origin criterion | {} |", m(&g.origin_criterion));
    }
    let _ = match d.blanket_period {
        Some(b) => writeln!(o, "| 8. Blanket period | {} to {} |", b.start_date, b.end_date),
        None => writeln!(o, "| 8. Blanket period | single shipment |"),
    };
    let _ = writeln!(o, "| 9. Signature and date | ______________________  date: __________ |\n");
    let _ = writeln!(o, "{}\n", d.certification_statement);
    if !d.missing_elements.is_empty() {
        let _ = writeln!(o, "**Complete before signing:**\n");
        for m in &d.missing_elements {
            let _ = writeln!(o, "- {}", one_line(m));
        }
        let _ = writeln!(o);
    }
    if !d.caveats.is_empty() {
        let _ = writeln!(o, "**Caveats from the determination:**\n");
        for c in &d.caveats {
            let _ = writeln!(o, "- {}", one_line(c));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile_party(name: &str) -> Option<CertParty> {
        Some(CertParty {
            name: name.into(),
            title: None,
            address: "1 Harbor Rd".into(),
            telephone: None,
            email: Some("a@b.example".into()),
        })
    }

    /// Issue 13, item 5 (reproduction): a party name with a newline and `|` added a table row
    /// ("| 7. Origin criterion | A |"), a heading and an image to the text a certifier signs. The
    /// table keeps exactly its rows, each cell on its one line, and the name's syntax is escaped.
    #[test]
    fn user_text_cannot_forge_rows_headings_or_images_in_the_markdown_to_sign() {
        let name = "Evil Co |\n| 7. Origin criterion | A |\n# Approved\n![x](http://evil.example/x.png)";
        let d = CertificateDraft {
            kind: "UsmcaCertificateOfOrigin".into(),
            good_id: "g".into(),
            certifier_role: "producer".into(),
            certifier: hostile_party(name),
            exporter: None,
            producer: hostile_party("Plain Producer SA"),
            importer: None,
            goods: vec![CertGood {
                description: "widget | HS 9999.99\r\n| 8. Blanket period | none |".into(),
                hs_tariff_classification: "8402.90".into(),
                origin_criterion: "B".into(),
                invoice_number: Some("INV_1*".into()),
            }],
            blanket_period: None,
            certification_statement: STATEMENT.into(),
            missing_elements: vec!["3. exporter: set `batch.exporter`".into()],
            caveats: vec![],
        };
        let md = markdown(&d);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        // Header, separator, elements 1 to 5, 6, 7, 8, 9: eleven rows, as for any one-good draft.
        assert_eq!(rows.len(), 11, "{md}");
        assert_eq!(rows.iter().filter(|r| r.starts_with("| 7. Origin criterion")).count(), 1, "{md}");
        assert!(!md.lines().any(|l| l.starts_with("# Approved")), "{md}");
        assert!(!md.contains("!["), "{md}");
        // Each row has exactly its two cells: three unescaped `|`.
        for r in &rows {
            let bars =
                r.bytes().enumerate().filter(|(i, b)| *b == b'|' && (*i == 0 || r.as_bytes()[i - 1] != b'\\')).count();
            assert_eq!(bars, 3, "{r}");
        }
        // The text is still all there, readable.
        assert!(md.contains("| 2. Certifier | Evil Co \\| \\| 7. Origin criterion \\| A \\| \\# Approved \\!\\[x\\](http://evil.example/x.png)"), "{md}");
        assert!(md.contains("invoice INV\\_1\\*"), "{md}");
        assert!(md.contains("| 4. Producer | Plain Producer SA — 1 Harbor Rd, a@b.example |"), "{md}");
        assert!(md.contains("- 3. exporter: set `batch.exporter`"), "generated text keeps its code spans: {md}");
    }
}
