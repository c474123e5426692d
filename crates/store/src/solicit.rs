//! Supplier evidence (issue 16): a solicitation plan from a run's open findings, requests to suppliers
//! with states and due dates, one-time invitation links for supplier accounts, the suppliers' answers
//! (an Annex 5-A certification with its PDF, answers to questions, documents), the auditor's decision,
//! reminders and the outbox of mails.
//!
//! The plan reads the typed findings (`Facts`) and the determinations (report v1) the run stored: it
//! never reads a finding's text. Only findings whose answer is the supplier's to give produce a
//! question (`ORIGIN_UNSUPPORTED`, `SUPPLIER_CERTIFICATION_EXPIRED`, `SUPPLIER_CERTIFICATION_INVALID`,
//! `HS_DISCREPANCY`, `MATERIAL_FACT_MISSING`, `ORIGIN_LAUNDERING_SUSPECTED`, `PROVENANCE_SIGNAL`), and
//! only while they are `open` or `accepted`: nothing is asked that no finding needs.
//!
//! Every request, answer and decision is appended to the hash-chained log (`solicitation.*`,
//! `invitation.*`), with a digest of the answer as stored.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use origin_core::Decimal;
use origin_engine::finding::{CertificationProblem, Facts, MissingFact, Unsupported};
use origin_engine::report::v1;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::inputs::sha256_hex;
use crate::log::append;
use crate::review::FindingFilter;
use crate::users::{Session, User, new_secret};
use crate::{Store, StoreError, new_id, now};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// The largest document a supplier may attach.
pub const DOCUMENT_LIMIT: usize = 10 * 1024 * 1024;

/// What a request asks for one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AskKind {
    /// A certification of origin (Annex 5-A) covering a date.
    Certification,
    /// Which HS subheading the supplier certifies.
    Classification,
    /// A fact about the material (its kind, its origin, its HS 2017 code).
    Question,
    /// Documents that clear provenance signals on the line's lot.
    ClearSignal,
}

/// One thing asked of a supplier, and the finding that needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ask {
    /// The finding that needs the answer.
    pub finding: String,
    /// Its code.
    pub code: String,
    /// Its fingerprint (the evidence is found again on a later run's finding with the same facts).
    pub fingerprint: String,
    /// Batch.
    pub batch: String,
    /// Good.
    pub good: String,
    /// BOM line.
    pub line: String,
    /// Part number.
    pub part: Option<String>,
    /// The BOM's description.
    pub description: String,
    /// The BOM's HS code.
    pub hs: String,
    /// What is asked.
    pub kind: AskKind,
    /// The date a certification must cover (its blanket period must include it).
    pub covers: Option<NaiveDate>,
    /// The questions, as sentences.
    pub questions: Vec<String>,
    /// The value (batch currency) the answer would make originating: the line's VNM when a valid
    /// answer makes it originating, `0` when the answer decides something else.
    pub value: String,
    /// The batch currency.
    pub currency: String,
    /// What the answer does to the determination, in one sentence.
    pub effect: String,
}

/// What one supplier is asked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SupplierPlan {
    /// The supplier, as the BOM names it (its supplier id).
    pub supplier: String,
    /// The asks, by good and line.
    pub asks: Vec<Ask>,
    /// The value all answers together would make originating (each line once).
    pub value: String,
}

/// A run's solicitation plan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Plan {
    /// The run.
    pub run: String,
    /// Per supplier, by name.
    pub suppliers: Vec<SupplierPlan>,
    /// Asks whose line names no supplier (or lies in a self-produced material's BOM): nobody to ask.
    pub unassigned: Vec<Ask>,
}

/// A request's state.
pub const STATES: [&str; 7] = ["draft", "sent", "reminded", "answered", "accepted", "rejected", "expired"];

/// A stored request.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RequestRow {
    /// Id.
    pub id: String,
    /// The run whose findings it answers.
    pub run_id: String,
    /// The supplier.
    pub supplier: String,
    /// The supplier's mail address, if known.
    pub contact: Option<String>,
    /// draft, sent, reminded, answered, accepted, rejected, expired.
    pub state: String,
    /// Answer by this date.
    pub due_date: String,
    /// Made.
    pub created_at: String,
    /// By.
    pub created_by: String,
    /// Sent.
    pub sent_at: Option<String>,
    /// Last reminder.
    pub reminded_at: Option<String>,
    /// Reminders sent.
    pub reminders: i64,
    /// Last answer.
    pub answered_at: Option<String>,
    /// Decided.
    pub decided_at: Option<String>,
    /// By.
    pub decided_by: Option<String>,
    /// The decision's note.
    pub decision_note: Option<String>,
    /// Increments with every change.
    pub version: i64,
    /// What it asks.
    pub asks: Vec<Ask>,
}

/// A document kept in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Document {
    /// The file name as uploaded.
    pub name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`, from the file's content.
    pub content_type: String,
    /// sha256 of the content (the blob's key).
    pub digest: String,
    /// Bytes.
    pub size: u64,
}

/// A supplier's certification of origin: the Annex 5-A data elements a material's certification needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificationAnswer {
    /// The certification's own number.
    pub id: String,
    /// 1. Certifier: name.
    pub certifier_name: String,
    /// 1. Certifier: role (exporter, producer or importer).
    pub certifier_role: String,
    /// 1. Certifier: address.
    pub certifier_address: String,
    /// 3. Producer.
    pub producer: String,
    /// 5. The parts covered (part numbers).
    pub parts: Vec<String>,
    /// 5. Description of the goods.
    pub description: String,
    /// 5. HS classification (six digits at least).
    pub hs: String,
    /// 6. Origin criterion, A to D.
    pub criterion: String,
    /// Country of origin (US, MX or CA).
    pub country: String,
    /// 7. Blanket period: from.
    pub blanket_from: NaiveDate,
    /// 7. Blanket period: to (at most 12 months).
    pub blanket_to: NaiveDate,
    /// 8. Authorized signature: name.
    pub signed_by: String,
    /// 8. Date signed.
    pub signed: NaiveDate,
    /// The signed certification, a PDF kept in the store.
    pub document: Document,
}

/// An answer to one question of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuestionAnswer {
    /// The ask's ordinal in the request.
    pub ask: usize,
    /// The answer.
    pub text: String,
}

/// What a supplier sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnswerBody {
    /// A certification, when one was asked.
    pub certification: Option<CertificationAnswer>,
    /// Answers to questions.
    pub answers: Vec<QuestionAnswer>,
    /// Documents for provenance signals (bills of lading, mill certificates, ...).
    pub documents: Vec<Document>,
}

/// A stored answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AnswerRow {
    /// Id.
    pub id: String,
    /// The request.
    pub request_id: String,
    /// When.
    pub at: String,
    /// The supplier account that sent it.
    pub answered_by: String,
    /// What was sent.
    pub answer: AnswerBody,
}

/// A mail of the outbox.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OutboxRow {
    /// Id.
    pub id: String,
    /// The request it is about.
    pub request_id: Option<String>,
    /// `invitation` or `reminder`.
    pub kind: String,
    /// Recipient.
    pub to_address: Option<String>,
    /// Subject.
    pub subject: String,
    /// Body (the invitation link is replaced once delivered).
    pub body: String,
    /// Made.
    pub created_at: String,
    /// pending, delivered, undelivered.
    pub state: String,
    /// Delivery attempts.
    pub attempts: i64,
    /// Why it is not delivered.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<String>,
}

/// A field of a supplier's form that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field.
    pub field: &'static str,
    /// Why.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn field_errors(errors: &[FieldError]) -> StoreError {
    StoreError::Invalid(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}

/// The kind of a document from its first bytes; `None` for anything else (the name is not trusted).
pub fn sniff_document(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A document name as kept: the last path part, printable, at most 120 characters.
fn document_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String =
        base.chars().filter(|c| !c.is_control()).map(|c| if c == '"' { '\'' } else { c }).take(120).collect();
    if clean.trim().is_empty() { "document".to_string() } else { clean }
}

/// Checks a certification as a supplier entered it, every field at once. `today` bounds the signature.
pub fn check_certification(c: &CertificationAnswer, today: NaiveDate) -> Vec<FieldError> {
    let mut e = Vec::new();
    let mut need = |field: &'static str, v: &str| {
        if v.trim().is_empty() {
            e.push(FieldError { field, message: "is required".into() });
        }
    };
    need("id", &c.id);
    need("certifier_name", &c.certifier_name);
    need("certifier_address", &c.certifier_address);
    need("producer", &c.producer);
    need("description", &c.description);
    need("signed_by", &c.signed_by);
    if !matches!(c.certifier_role.as_str(), "exporter" | "producer" | "importer") {
        e.push(FieldError { field: "certifier_role", message: "must be exporter, producer or importer".into() });
    }
    if c.parts.iter().all(|p| p.trim().is_empty()) {
        e.push(FieldError { field: "parts", message: "name at least one part number the certification covers".into() });
    }
    if c.hs.parse::<origin_core::HsCode>().is_err() {
        e.push(FieldError { field: "hs", message: format!("`{}` is not an HS code (e.g. 8708.99)", c.hs) });
    }
    if !matches!(c.criterion.as_str(), "A" | "B" | "C" | "D") {
        e.push(FieldError { field: "criterion", message: "must be A, B, C or D (Art. 4.2)".into() });
    }
    if !matches!(c.country.as_str(), "US" | "MX" | "CA") {
        e.push(FieldError {
            field: "country",
            message: "must be US, MX or CA: only a Party's origin is certified".into(),
        });
    }
    if origin_engine::certificate::check_blanket(c.blanket_from, c.blanket_to).is_err() {
        e.push(FieldError {
            field: "blanket_to",
            message: format!(
                "the blanket period {} to {} must end after it starts and last at most 12 months (Annex 5-A)",
                c.blanket_from, c.blanket_to
            ),
        });
    }
    if c.signed > today {
        e.push(FieldError { field: "signed", message: format!("{} is after today ({today})", c.signed) });
    }
    if c.document.content_type != "application/pdf" {
        e.push(FieldError { field: "document", message: "attach the signed certification as a PDF".into() });
    }
    e
}

/// A supplier account's name for a supplier id: readable, unique, a valid account name.
pub fn supplier_account(supplier: &str) -> String {
    let mut slug = String::new();
    for c in supplier.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    format!("supplier-{slug}-{}", &sha256_hex(supplier.as_bytes())[..8])
}

/// Facts of a finding that a supplier's answer could settle, as asks (without the line's details).
struct Need {
    line: String,
    kind: AskKind,
    covers: Option<NaiveDate>,
    questions: Vec<String>,
    /// Whether a valid answer makes the line originating (so its VNM is the value).
    makes_originating: bool,
    effect: Option<String>,
}

/// A text ending with a full stop, to put another sentence after it.
fn sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '?', '!']) { t.to_string() } else { format!("{t}.") }
}

fn needs(facts: &Facts) -> Vec<Need> {
    let cert = |line: &str, covers: NaiveDate, q: String| Need {
        line: line.to_string(),
        kind: AskKind::Certification,
        covers: Some(covers),
        questions: vec![q],
        makes_originating: true,
        effect: None,
    };
    match facts {
        Facts::SupplierCertificationExpired { line, certification, from, to, as_of, part, .. } => vec![cert(
            &line.line,
            *as_of,
            format!(
                "Certification `{certification}` covers {from} to {to}, which does not include {as_of}. Please certify the origin of part {} (USMCA Annex 5-A) for a blanket period that includes {as_of}, and attach the signed PDF.",
                part.0
            ),
        )],
        Facts::OriginUnsupported { case: Unsupported::NoCertification { line, part, as_of, .. } } => vec![cert(
            &line.line,
            as_of.0,
            format!(
                "Part {} is declared USMCA-originating but no certification supports it. Please certify its origin (USMCA Annex 5-A) for a period that includes {}, and attach the signed PDF.",
                part.0, as_of.0
            ),
        )],
        Facts::OriginUnsupported { case: Unsupported::WhollyObtained { .. } } => Vec::new(),
        Facts::SupplierCertificationInvalid { line, certification, problem } => {
            let why = facts.certification_problem().unwrap_or_default();
            let part = match problem {
                CertificationProblem::NotInBatch { part, .. } | CertificationProblem::Unreadable { part, .. } => {
                    part.0.clone()
                }
                _ => line.description.0.clone(),
            };
            vec![Need {
                line: line.line.clone(),
                kind: AskKind::Certification,
                covers: None,
                questions: vec![format!(
                    "Certification `{certification}` cannot support part {part}: {why}. Please send a certification (USMCA Annex 5-A) that does, with the signed PDF."
                )],
                makes_originating: true,
                effect: None,
            }]
        }
        Facts::HsDiscrepancy { line, part, bom, certification, certified, .. } => vec![Need {
            line: line.clone(),
            kind: AskKind::Classification,
            covers: None,
            questions: vec![format!(
                "Your certification `{certification}` classifies part {} in {certified}; our bill of materials has {bom}. Which subheading is right (Annex 5-A element 6)? If it is {bom}, please send a corrected certification.",
                part.as_deref().unwrap_or("of this line")
            )],
            makes_originating: false,
            effect: Some(format!("settles the classification ({bom} or {certified}); the line's origin is not in doubt")),
        }],
        Facts::MaterialFactMissing { question } => match question {
            MissingFact::UnknownOrigin { lines, .. } => lines
                .0
                .iter()
                .map(|l| Need {
                    line: l.line.clone(),
                    kind: AskKind::Question,
                    covers: None,
                    questions: vec![format!(
                        "What is the country of origin of {}? If it is the United States, Mexico or Canada, please also send a certification of origin.",
                        l.description.0
                    )],
                    makes_originating: true,
                    effect: None,
                })
                .collect(),
            MissingFact::CriterionDClassification { lines, .. } => lines
                .0
                .iter()
                .map(|l| Need {
                    line: l.line.clone(),
                    kind: AskKind::Question,
                    covers: None,
                    questions: vec![format!("Which HS subheading is {}?", l.description.0)],
                    makes_originating: false,
                    effect: Some("decides whether criterion D can be tried".into()),
                })
                .collect(),
            MissingFact::RuleQuestions { rule, alternatives, lines, questions, .. } => lines
                .0
                .iter()
                .map(|l| {
                    let own: Vec<String> = questions
                        .0
                        .iter()
                        .filter(|q| q.contains(&format!("`{l}`")) || q.contains(&format!(" {l} ")) || q.contains(l.as_str()))
                        .cloned()
                        .collect();
                    Need {
                        line: l.clone(),
                        kind: AskKind::Question,
                        covers: None,
                        questions: if own.is_empty() { questions.0.clone() } else { own },
                        makes_originating: false,
                        effect: Some(format!(
                            "decides alternative(s) {} of rule {rule}; the line stays non-originating",
                            alternatives.0.join(", ")
                        )),
                    }
                })
                .collect(),
        },
        Facts::OriginLaunderingSuspected { line, lot, claimed, signal } => vec![Need {
            line: line.clone(),
            kind: AskKind::ClearSignal,
            covers: None,
            questions: vec![format!(
                "Lot {lot}: {} To clear it: {} Please attach the documents (bills of lading, mill or production records) that show where the material was made.",
                sentence(&signal.message.0),
                sentence(&signal.clear.0)
            )],
            makes_originating: *claimed,
            effect: (!*claimed).then(|| {
                "the line is non-originating either way (declared outside the Parties); its true origin matters for duties and transshipment scrutiny".to_string()
            }),
        }],
        Facts::ProvenanceSignal { line, lot, signal } => vec![Need {
            line: line.clone(),
            kind: AskKind::ClearSignal,
            covers: None,
            questions: vec![format!(
                "Lot {lot}: {} To clear it: {} Please attach the documents that do.",
                sentence(&signal.message.0),
                sentence(&signal.clear.0)
            )],
            makes_originating: false,
            effect: Some("clears a provenance signal; the determination does not rest on it".into()),
        }],
        _ => Vec::new(),
    }
}

impl Store {
    /// The solicitation plan of a run: per supplier, what its open (or accepted) findings need.
    /// `currency` is the batches' currency by batch id (for the values); a batch missing there shows none.
    pub async fn solicitation_plan(&self, run: &str, currency: &HashMap<String, String>) -> Result<Plan, StoreError> {
        let mut findings = Vec::new();
        for status in ["open", "accepted"] {
            findings.extend(
                self.findings(&FindingFilter {
                    run: Some(run.to_string()),
                    status: Some(status.to_string()),
                    ..FindingFilter::default()
                })
                .await?,
            );
        }
        let mut dets: HashMap<(String, String), v1::Determination> = HashMap::new();
        let mut by_supplier: BTreeMap<String, Vec<Ask>> = BTreeMap::new();
        let mut unassigned = Vec::new();
        for f in &findings {
            let Some(facts) = &f.finding.facts else { continue };
            let needs = needs(facts);
            if needs.is_empty() {
                continue;
            }
            let key = (f.batch.clone(), f.good.clone());
            if !dets.contains_key(&key) {
                let d = self.determination(run, &f.batch, &f.good).await?;
                dets.insert(key.clone(), d.determination);
            }
            let det = &dets[&key];
            for n in needs {
                // A finding carried up from a self-produced material names lines of that material's BOM.
                let m =
                    if f.finding.within.is_empty() { det.materials.iter().find(|m| m.line == n.line) } else { None };
                let value = match m {
                    Some(m) if n.makes_originating => m.vnm.normalize(),
                    _ => Decimal::ZERO,
                };
                let cur = currency.get(&f.batch).cloned().unwrap_or_default();
                let effect = n.effect.clone().unwrap_or_else(|| {
                    format!("makes {value} {cur} of non-originating value originating (the line's VNM)")
                        .replace("  ", " ")
                });
                let ask = Ask {
                    finding: f.id.clone(),
                    code: f.code.as_str().to_string(),
                    fingerprint: f.fingerprint.clone(),
                    batch: f.batch.clone(),
                    good: f.good.clone(),
                    line: if f.finding.within.is_empty() {
                        n.line.clone()
                    } else {
                        format!("{}/{}", f.finding.within.join("/"), n.line)
                    },
                    part: m.and_then(|m| m.part.clone()),
                    description: m.map(|m| m.description.clone()).unwrap_or_default(),
                    hs: m.map(|m| m.hs.clone()).unwrap_or_default(),
                    kind: n.kind,
                    covers: n.covers,
                    questions: n.questions,
                    value: value.to_string(),
                    currency: cur,
                    effect,
                };
                match m.and_then(|m| m.supplier.clone()) {
                    Some(s) => by_supplier.entry(s).or_default().push(ask),
                    None => unassigned.push(ask),
                }
            }
        }
        let suppliers = by_supplier
            .into_iter()
            .map(|(supplier, mut asks)| {
                asks.sort_by(|a, b| (&a.batch, &a.good, &a.line, &a.code).cmp(&(&b.batch, &b.good, &b.line, &b.code)));
                let mut seen = std::collections::HashSet::new();
                let mut total = Decimal::ZERO;
                for a in &asks {
                    if seen.insert((&a.batch, &a.good, &a.line)) {
                        total += a.value.parse::<Decimal>().unwrap_or_default();
                    }
                }
                SupplierPlan { supplier, asks, value: total.normalize().to_string() }
            })
            .collect();
        Ok(Plan { run: run.to_string(), suppliers, unassigned })
    }

    /// Makes one `draft` request per supplier of the plan (or of `only`), due on `due`.
    pub async fn create_requests(
        &self,
        plan: &Plan,
        only: Option<&[String]>,
        due: NaiveDate,
        contacts: &HashMap<String, String>,
        actor: &str,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let chosen: Vec<&SupplierPlan> =
            plan.suppliers.iter().filter(|s| only.is_none_or(|o| o.iter().any(|x| x == &s.supplier))).collect();
        if let Some(o) = only {
            for name in o {
                if !plan.suppliers.iter().any(|s| &s.supplier == name) {
                    return Err(StoreError::Invalid(format!(
                        "the plan of run `{}` asks nothing of supplier `{name}`\n  help: `origin-audit solicit plan --run {}` lists the suppliers with something to answer",
                        plan.run, plan.run
                    )));
                }
            }
        }
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::new();
        for s in chosen {
            let open = sqlx::query(
                "SELECT id FROM solicitation_requests WHERE run_id = $1 AND supplier = $2 AND state IN ('draft', 'sent', 'reminded', 'answered')",
            )
            .bind(&plan.run)
            .bind(&s.supplier)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = open {
                let id: String = r.try_get("id")?;
                return Err(StoreError::Invalid(format!(
                    "supplier `{}` already has request {id} open on run `{}`; nothing was created",
                    s.supplier, plan.run
                )));
            }
            let id = new_id();
            let at = now();
            let contact = contacts.get(&s.supplier).cloned();
            sqlx::query(
                "INSERT INTO solicitation_requests (id, run_id, supplier, contact, state, due_date, created_at, created_by, reminders, version) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, 0, 1)",
            )
            .bind(&id)
            .bind(&plan.run)
            .bind(&s.supplier)
            .bind(&contact)
            .bind(due.to_string())
            .bind(&at)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            for (i, a) in s.asks.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO solicitation_asks (request_id, ordinal, finding_id, fingerprint, batch, good, line, ask) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&id)
                .bind(i as i64)
                .bind(&a.finding)
                .bind(&a.fingerprint)
                .bind(&a.batch)
                .bind(&a.good)
                .bind(&a.line)
                .bind(serde_json::to_string(a)?)
                .execute(&mut *tx)
                .await?;
            }
            let asks_digest = sha256_hex(serde_json::to_string(&s.asks)?.as_bytes());
            append(
                &mut tx,
                actor,
                "solicitation.requested",
                &format!("request:{id}"),
                &json!({"run": plan.run, "supplier": s.supplier, "due_date": due.to_string(),
                        "findings": s.asks.iter().map(|a| a.finding.as_str()).collect::<Vec<_>>(),
                        "asks_digest": asks_digest}),
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        let mut rows = Vec::new();
        for id in ids {
            rows.push(self.request(&id).await?);
        }
        Ok(rows)
    }

    /// One request with its asks.
    pub async fn request(&self, id: &str) -> Result<RequestRow, StoreError> {
        let r = sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM solicitation_requests WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no request `{id}`")))?;
        let mut row = request_from_row(&r)?;
        row.asks = self.asks(id).await?;
        Ok(row)
    }

    async fn asks(&self, id: &str) -> Result<Vec<Ask>, StoreError> {
        let rows = sqlx::query("SELECT ask FROM solicitation_asks WHERE request_id = $1 ORDER BY ordinal")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>("ask")?)?)).collect()
    }

    /// Requests, newest first: every one, a run's, or a supplier's.
    pub async fn requests(&self, run: Option<&str>, supplier: Option<&str>) -> Result<Vec<RequestRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM solicitation_requests WHERE ($1 = '' OR run_id = $1) AND ($2 = '' OR supplier = $2) ORDER BY created_at DESC, id"
        ))
        .bind(run.unwrap_or(""))
        .bind(supplier.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut row = request_from_row(r)?;
            row.asks = self.asks(&row.id).await?;
            out.push(row);
        }
        Ok(out)
    }

    /// The requests (any state) whose asks concern these lines of a good or this fingerprint: the
    /// evidence a finding page links.
    pub async fn requests_for_finding(
        &self,
        batch: &str,
        good: &str,
        lines: &[String],
        fingerprint: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT r.id, r.state, r.supplier, a.line, a.fingerprint FROM solicitation_asks a JOIN solicitation_requests r ON r.id = a.request_id WHERE (a.batch = $1 AND a.good = $2) OR a.fingerprint = $3 ORDER BY r.id",
        )
        .bind(batch)
        .bind(good)
        .bind(fingerprint)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(String, String, String)> = Vec::new();
        for r in rows {
            let (id, state, supplier, line, fp): (String, String, String, String, String) = (
                r.try_get("id")?,
                r.try_get("state")?,
                r.try_get("supplier")?,
                r.try_get("line")?,
                r.try_get("fingerprint")?,
            );
            if (fp == fingerprint || lines.contains(&line)) && !out.iter().any(|o| o.0 == id) {
                out.push((id, state, supplier));
            }
        }
        Ok(out)
    }

    /// The supplier account of a supplier id, made when first needed (its token is never shown: it
    /// signs in through invitation links only).
    async fn supplier_user(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        supplier: &str,
        actor: &str,
    ) -> Result<String, StoreError> {
        let name = supplier_account(supplier);
        let found = sqlx::query("SELECT supplier_id, disabled_at FROM users WHERE name = $1")
            .bind(&name)
            .fetch_optional(&mut **tx)
            .await?;
        match found {
            Some(r) => {
                let id: Option<String> = r.try_get("supplier_id")?;
                if id.as_deref() != Some(supplier) {
                    return Err(StoreError::Invalid(format!(
                        "account `{name}` exists and is not supplier `{supplier}`'s"
                    )));
                }
                let disabled: Option<String> = r.try_get("disabled_at")?;
                if disabled.is_some() {
                    return Err(StoreError::Invalid(format!(
                        "supplier `{supplier}`'s account `{name}` is disabled; no invitation was sent"
                    )));
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO users (name, role, token_hash, created_at, created_by, disabled_at, supplier_id) VALUES ($1, 'supplier', $2, $3, $4, NULL, $5)",
                )
                .bind(&name)
                .bind(sha256_hex(new_secret("oat_")?.as_bytes()))
                .bind(now())
                .bind(actor)
                .bind(supplier)
                .execute(&mut **tx)
                .await?;
                append(
                    tx,
                    actor,
                    "user.added",
                    &format!("user:{name}"),
                    &json!({"role": "supplier", "supplier": supplier}),
                )
                .await?;
            }
        }
        Ok(name)
    }

    /// A new one-time invitation for the request's supplier, and a mail with it in the outbox.
    async fn invite(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        r: &RequestRow,
        kind: &str,
        base_url: &str,
        actor: &str,
    ) -> Result<String, StoreError> {
        let user = self.supplier_user(tx, &r.supplier, actor).await?;
        let token = new_secret("oai_")?;
        let created = chrono::Utc::now();
        let expires = created + chrono::Duration::days(INVITATION_DAYS);
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        sqlx::query(
            "INSERT INTO invitations (token_hash, user_name, request_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(sha256_hex(token.as_bytes()))
        .bind(&user)
        .bind(&r.id)
        .bind(fmt(created))
        .bind(fmt(expires))
        .execute(&mut **tx)
        .await?;
        let link = format!("{}/invite/{token}", base_url.trim_end_matches('/'));
        let mut body = format!(
            "{}\n\nWe audit the USMCA origin of goods that use your parts and need the following by {} (request {}):\n\n",
            if kind == "reminder" { "Reminder: your answer is still due." } else { "Hello," },
            r.due_date,
            r.id
        );
        for (i, a) in r.asks.iter().enumerate() {
            body.push_str(&format!(
                "{}. {} line {} ({}, part {}, HS {}):\n",
                i + 1,
                a.good,
                a.line,
                a.description,
                a.part.as_deref().unwrap_or("-"),
                a.hs
            ));
            for q in &a.questions {
                body.push_str(&format!("   {q}\n"));
            }
        }
        body.push_str(&format!(
            "\nOpen this link to answer (it works once, for {INVITATION_DAYS} days; it signs you in to your supplier account):\n{link}\n"
        ));
        let subject = format!(
            "{}USMCA origin evidence requested: {} item(s), due {}",
            if kind == "reminder" { "Reminder: " } else { "" },
            r.asks.len(),
            r.due_date
        );
        sqlx::query(
            "INSERT INTO outbox (id, request_id, kind, to_address, subject, body, created_at, state, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0)",
        )
        .bind(new_id())
        .bind(&r.id)
        .bind(kind)
        .bind(&r.contact)
        .bind(&subject)
        .bind(&body)
        .bind(now())
        .execute(&mut **tx)
        .await?;
        Ok(link)
    }

    /// Sends a draft request: the supplier's account (made when missing), a one-time invitation link,
    /// the mail in the outbox. Returns the link (to hand over when no mail can be sent).
    pub async fn send_request(
        &self,
        id: &str,
        base_url: &str,
        actor: &str,
    ) -> Result<(RequestRow, String), StoreError> {
        let r = self.request(id).await?;
        if r.state != "draft" {
            return Err(StoreError::Invalid(format!(
                "request `{id}` is {}, not a draft; it was sent already",
                r.state
            )));
        }
        let mut tx = self.write_tx().await?;
        let link = self.invite(&mut tx, &r, "invitation", base_url, actor).await?;
        set_state(&mut tx, &r, "sent", &[("sent_at", Some(now()))]).await?;
        append(
            &mut tx,
            actor,
            "solicitation.sent",
            &format!("request:{id}"),
            &json!({"to": r.contact, "state": "sent"}),
        )
        .await?;
        tx.commit().await?;
        Ok((self.request(id).await?, link))
    }

    /// A new one-time link for a request already sent (the supplier lost the mail, or its session
    /// ended after answering), mailed like the first.
    pub async fn reinvite(&self, id: &str, base_url: &str, actor: &str) -> Result<String, StoreError> {
        let r = self.request(id).await?;
        if !matches!(r.state.as_str(), "sent" | "reminded" | "answered" | "rejected") {
            return Err(StoreError::Invalid(format!(
                "request `{id}` is {}; a new link is only sent for an open request",
                r.state
            )));
        }
        let mut tx = self.write_tx().await?;
        let link = self.invite(&mut tx, &r, "invitation", base_url, actor).await?;
        append(&mut tx, actor, "solicitation.reinvited", &format!("request:{id}"), &json!({"to": r.contact})).await?;
        tx.commit().await?;
        Ok(link)
    }

    /// Redeems a one-time invitation: a new session for its supplier account, and the request it is for.
    /// `None` when the token is unknown, used, expired, or the account disabled.
    pub async fn redeem_invitation(&self, token: &str) -> Result<Option<(String, Session, String)>, StoreError> {
        let mut tx = self.write_tx().await?;
        let at = now();
        let row = sqlx::query(
            "SELECT i.user_name, i.request_id FROM invitations i JOIN users u ON u.name = i.user_name WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(sha256_hex(token.as_bytes()))
        .bind(&at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (user, request): (String, String) = (row.try_get("user_name")?, row.try_get("request_id")?);
        sqlx::query("UPDATE invitations SET used_at = $1 WHERE token_hash = $2")
            .bind(&at)
            .bind(sha256_hex(token.as_bytes()))
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &user, "invitation.redeemed", &format!("request:{request}"), &json!({"user": user})).await?;
        tx.commit().await?;
        let Some((id, session)) = self.open_session_for(&user).await? else { return Ok(None) };
        Ok(Some((id, session, request)))
    }

    /// Keeps a supplier's document (size-limited, type from its content) as a blob.
    pub async fn put_document(&self, name: &str, bytes: &[u8], allowed: &[&str]) -> Result<Document, StoreError> {
        if bytes.is_empty() {
            return Err(StoreError::Invalid(format!("document `{}` is empty", document_name(name))));
        }
        if bytes.len() > DOCUMENT_LIMIT {
            return Err(StoreError::Invalid(format!(
                "document `{}` is {} bytes; at most {} MiB is accepted",
                document_name(name),
                bytes.len(),
                DOCUMENT_LIMIT / (1024 * 1024)
            )));
        }
        let Some(kind) = sniff_document(bytes).filter(|k| allowed.contains(k)) else {
            return Err(StoreError::Invalid(format!(
                "document `{}` is not a {} file (judged by its content, not its name)",
                document_name(name),
                allowed.iter().map(|a| a.rsplit('/').next().unwrap_or(a).to_uppercase()).collect::<Vec<_>>().join(", ")
            )));
        };
        let digest = sha256_hex(bytes);
        sqlx::query("INSERT INTO blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
            .bind(&digest)
            .bind(bytes.to_vec())
            .execute(&self.pool)
            .await?;
        Ok(Document { name: document_name(name), content_type: kind.to_string(), digest, size: bytes.len() as u64 })
    }

    /// Records a supplier's answer (the request must be the supplier's and still open to answers).
    pub async fn answer_request(
        &self,
        id: &str,
        user: &User,
        body: &AnswerBody,
        today: NaiveDate,
    ) -> Result<RequestRow, StoreError> {
        let r = self.request(id).await?;
        if user.supplier_id.as_deref() != Some(r.supplier.as_str()) {
            return Err(StoreError::NotFound(format!("no request `{id}` for your account")));
        }
        if !matches!(r.state.as_str(), "sent" | "reminded" | "answered" | "rejected") {
            return Err(StoreError::Invalid(format!("request `{id}` is {}; it takes no more answers", r.state)));
        }
        let wants_cert = r.asks.iter().any(|a| a.kind == AskKind::Certification);
        if let Some(c) = &body.certification {
            let errs = check_certification(c, today);
            if !errs.is_empty() {
                return Err(field_errors(&errs));
            }
        } else if wants_cert && body.answers.is_empty() && body.documents.is_empty() {
            return Err(field_errors(&[FieldError {
                field: "certification",
                message: "this request asks for a certification".into(),
            }]));
        }
        for a in &body.answers {
            if a.ask >= r.asks.len() {
                return Err(field_errors(&[FieldError {
                    field: "answers",
                    message: format!("there is no question {}", a.ask + 1),
                }]));
            }
        }
        if body.certification.is_none()
            && body.answers.iter().all(|a| a.text.trim().is_empty())
            && body.documents.is_empty()
        {
            return Err(field_errors(&[FieldError { field: "answers", message: "the answer is empty".into() }]));
        }
        let answer = serde_json::to_string(body)?;
        let answer_id = new_id();
        let at = now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO solicitation_answers (id, request_id, at, answered_by, answer) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&answer_id)
        .bind(id)
        .bind(&at)
        .bind(&user.name)
        .bind(&answer)
        .execute(&mut *tx)
        .await?;
        set_state(&mut tx, &r, "answered", &[("answered_at", Some(at.clone()))]).await?;
        let mut docs: Vec<&str> = body.documents.iter().map(|d| d.digest.as_str()).collect();
        if let Some(c) = &body.certification {
            docs.push(&c.document.digest);
        }
        append(
            &mut tx,
            &user.name,
            "solicitation.answered",
            &format!("request:{id}"),
            &json!({"answer": answer_id, "answer_digest": sha256_hex(answer.as_bytes()), "documents": docs, "state": "answered"}),
        )
        .await?;
        tx.commit().await?;
        self.request(id).await
    }

    /// A request's answers, oldest first.
    pub async fn answers(&self, id: &str) -> Result<Vec<AnswerRow>, StoreError> {
        let rows = sqlx::query("SELECT id, request_id, at, answered_by, answer FROM solicitation_answers WHERE request_id = $1 ORDER BY at, id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AnswerRow {
                    id: r.try_get("id")?,
                    request_id: r.try_get("request_id")?,
                    at: r.try_get("at")?,
                    answered_by: r.try_get("answered_by")?,
                    answer: serde_json::from_str(&r.try_get::<String, _>("answer")?)?,
                })
            })
            .collect()
    }

    /// The auditor's decision on an answered request: `accept` makes its last answer evidence for the
    /// next run; `reject` (a note is required) lets the supplier answer again.
    pub async fn decide_request(
        &self,
        id: &str,
        accept: bool,
        note: &str,
        actor: &str,
        version: Option<i64>,
    ) -> Result<RequestRow, StoreError> {
        let r = self.request(id).await?;
        if let Some(v) = version
            && v != r.version
        {
            return Err(StoreError::Invalid(format!(
                "conflict: request `{id}` is at version {} ({}), not version {v} as you saw it; your decision was not recorded",
                r.version, r.state
            )));
        }
        if r.state != "answered" {
            return Err(StoreError::Invalid(format!(
                "request `{id}` is {}; only an answered request is decided",
                r.state
            )));
        }
        if !accept && note.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a rejection needs a note saying what is wrong (the supplier sees it)".into(),
            ));
        }
        let last = self
            .answers(id)
            .await?
            .pop()
            .ok_or_else(|| StoreError::Invalid(format!("request `{id}` has no answer")))?;
        let state = if accept { "accepted" } else { "rejected" };
        let at = now();
        let mut tx = self.write_tx().await?;
        set_state(
            &mut tx,
            &r,
            state,
            &[
                ("decided_at", Some(at)),
                ("decided_by", Some(actor.to_string())),
                ("decision_note", Some(note.to_string())),
            ],
        )
        .await?;
        append(
            &mut tx,
            actor,
            &format!("solicitation.{state}"),
            &format!("request:{id}"),
            &json!({"answer": last.id, "note": note, "state": state}),
        )
        .await?;
        tx.commit().await?;
        self.request(id).await
    }

    /// Reminders by due date, at `at` (now, except in tests): a sent or reminded request past its due
    /// date expires; one due within `within` days and not mailed for `every` days gets a reminder with
    /// a fresh link.
    pub async fn remind(
        &self,
        at: chrono::DateTime<chrono::Utc>,
        within: i64,
        every: i64,
        base_url: &str,
        actor: &str,
    ) -> Result<RemindReport, StoreError> {
        let mut report = RemindReport::default();
        let today = at.date_naive();
        let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        for r in self.requests(None, None).await? {
            if !matches!(r.state.as_str(), "sent" | "reminded") {
                continue;
            }
            let due: NaiveDate = r
                .due_date
                .parse()
                .map_err(|_| StoreError::Invalid(format!("request `{}` has due date `{}`", r.id, r.due_date)))?;
            let last = r
                .reminded_at
                .as_deref()
                .or(r.sent_at.as_deref())
                .and_then(|t| t.get(..10))
                .and_then(|d| d.parse::<NaiveDate>().ok());
            let mut tx = self.write_tx().await?;
            if due < today {
                set_state(&mut tx, &r, "expired", &[]).await?;
                append(
                    &mut tx,
                    actor,
                    "solicitation.expired",
                    &format!("request:{}", r.id),
                    &json!({"due_date": r.due_date, "state": "expired"}),
                )
                .await?;
                report.expired.push(r.id.clone());
            } else if (due - today).num_days() <= within && last.is_none_or(|l| (today - l).num_days() >= every) {
                self.invite(&mut tx, &r, "reminder", base_url, actor).await?;
                set_state(&mut tx, &r, "reminded", &[("reminded_at", Some(stamp.clone())), ("reminders", None)])
                    .await?;
                append(
                    &mut tx,
                    actor,
                    "solicitation.reminded",
                    &format!("request:{}", r.id),
                    &json!({"due_date": r.due_date, "reminder": r.reminders + 1, "state": "reminded"}),
                )
                .await?;
                report.reminded.push(r.id.clone());
            } else {
                continue;
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// The outbox, newest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query("SELECT id, request_id, kind, to_address, subject, body, created_at, state, attempts, last_error, delivered_at FROM outbox ORDER BY created_at DESC, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    request_id: r.try_get("request_id")?,
                    kind: r.try_get("kind")?,
                    to_address: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    delivered_at: r.try_get("delivered_at")?,
                })
            })
            .collect()
    }

    /// Delivers every mail not yet delivered through `smtp`; without one, marks them undelivered and
    /// says why. A delivered mail's invitation link is replaced in the stored body.
    pub async fn deliver_outbox(&self, smtp: Option<&crate::smtp::SmtpConfig>) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        for m in self.outbox().await?.into_iter().filter(|m| m.state != "delivered") {
            let outcome = match (&m.to_address, smtp) {
                (None, _) => Err(
                    "no mail address for the supplier: give one with `solicit send --contact`, or hand over the link"
                        .to_string(),
                ),
                (Some(_), None) => {
                    Err("no SMTP server configured (set ORIGIN_AUDIT_SMTP=smtp://host:port and ORIGIN_AUDIT_MAIL_FROM)"
                        .to_string())
                }
                (Some(to), Some(cfg)) => {
                    crate::smtp::send(cfg, to, &m.subject, &m.body).await.map_err(|e| e.to_string())
                }
            };
            match outcome {
                Ok(()) => {
                    let redacted: String = m
                        .body
                        .lines()
                        .map(|l| if l.contains("/invite/") { "[invitation link removed after delivery]" } else { l })
                        .collect::<Vec<_>>()
                        .join("\n");
                    sqlx::query("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL, delivered_at = $1, body = $2 WHERE id = $3")
                        .bind(now())
                        .bind(redacted)
                        .bind(&m.id)
                        .execute(&self.pool)
                        .await?;
                    report.delivered += 1;
                }
                Err(why) => {
                    sqlx::query("UPDATE outbox SET state = 'undelivered', attempts = attempts + 1, last_error = $1 WHERE id = $2")
                        .bind(&why)
                        .bind(&m.id)
                        .execute(&self.pool)
                        .await?;
                    report.undelivered.push((m.id.clone(), why));
                }
            }
        }
        Ok(report)
    }
}

/// What `remind` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemindReport {
    /// Requests reminded.
    pub reminded: Vec<String>,
    /// Requests that expired.
    pub expired: Vec<String>,
}

/// What delivering the outbox did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryReport {
    /// Mails delivered.
    pub delivered: usize,
    /// Mails not delivered, with why.
    pub undelivered: Vec<(String, String)>,
}

const REQUEST_COLUMNS: &str = "id, run_id, supplier, contact, state, due_date, created_at, created_by, sent_at, reminded_at, reminders, answered_at, decided_at, decided_by, decision_note, version";

fn request_from_row(r: &sqlx::any::AnyRow) -> Result<RequestRow, StoreError> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        run_id: r.try_get("run_id")?,
        supplier: r.try_get("supplier")?,
        contact: r.try_get("contact")?,
        state: r.try_get("state")?,
        due_date: r.try_get("due_date")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        sent_at: r.try_get("sent_at")?,
        reminded_at: r.try_get("reminded_at")?,
        reminders: r.try_get("reminders")?,
        answered_at: r.try_get("answered_at")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        decision_note: r.try_get("decision_note")?,
        version: r.try_get("version")?,
        asks: Vec::new(),
    })
}

/// Moves a request to `state` at the version read (a concurrent change makes this fail, nothing
/// written); `("reminders", None)` increments the reminder count.
async fn set_state(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    r: &RequestRow,
    state: &str,
    set: &[(&str, Option<String>)],
) -> Result<(), StoreError> {
    let mut sql = String::from("UPDATE solicitation_requests SET state = $1, version = version + 1");
    let mut binds = Vec::new();
    for (col, v) in set {
        match v {
            Some(v) => {
                binds.push(v.clone());
                sql.push_str(&format!(", {col} = ${}", binds.len() + 1));
            }
            None => sql.push_str(&format!(", {col} = {col} + 1")),
        }
    }
    sql.push_str(&format!(" WHERE id = ${} AND version = ${}", binds.len() + 2, binds.len() + 3));
    let mut q = sqlx::query(&sql).bind(state);
    for b in &binds {
        q = q.bind(b);
    }
    let done = q.bind(&r.id).bind(r.version).execute(&mut **tx).await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Invalid(format!(
            "conflict: request `{}` changed while this was done (it was {} at version {}); nothing was written",
            r.id, r.state, r.version
        )));
    }
    Ok(())
}

/// The state a request must be in for `STATES` checks in tests and pages.
pub fn is_state(s: &str) -> bool {
    STATES.contains(&s)
}
