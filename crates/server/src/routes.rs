//! The route table: the one place that says what exists, who may use it, and what it takes and
//! returns. The router, the guard, the OpenAPI document and the role tests all read it.

use axum::http::Method;
use axum::routing::{MethodRouter, get, post};
use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::Schema;

use crate::auth::{Kind, Permission};
use crate::{AppState, BODY_LIMIT, UPLOAD_LIMIT, api, pages, scenarios, supplier};

/// The supplier's answer form: a certification PDF and documents, 10 MiB each.
pub const ANSWER_LIMIT: usize = 32 * 1024 * 1024;

/// A schema of a request or response body, for the OpenAPI document.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`, as a reference into the document's components.
pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// What a route takes or returns.
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    /// Nothing.
    None,
    /// JSON of this schema.
    Json(SchemaFn),
    /// `multipart/form-data` with these fields (name, description).
    Multipart(&'static [(&'static str, &'static str)]),
    /// An HTML form (`application/x-www-form-urlencoded`) with these fields.
    Form(&'static [&'static str]),
    /// An HTML page.
    Html,
    /// A redirect (303) to another page.
    Redirect,
}

/// One route.
#[derive(Debug, Clone)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path, with `{param}` segments.
    pub path: &'static str,
    /// API or page.
    pub kind: Kind,
    /// What the caller must be allowed.
    pub permission: Permission,
    /// One line for the documents.
    pub summary: &'static str,
    /// Query parameters (name, description).
    pub query: &'static [(&'static str, &'static str)],
    /// The request body.
    pub request: Payload,
    /// The success status.
    pub status: u16,
    /// The success body.
    pub response: Payload,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// The handler.
    pub handler: fn() -> MethodRouter<AppState>,
}

/// Query parameters of the finding filters (API and queue page).
pub const FINDING_QUERY: &[(&str, &str)] = &[
    ("run", "run id or unique prefix"),
    ("status", "open, accepted, dismissed, waived or resolved"),
    ("severity", "blocking, warning or info"),
    ("code", "finding code, e.g. RVC_BELOW_THRESHOLD"),
    ("good", "good id"),
    ("supplier", "supplier name of a material the finding names (or of the good, for findings without materials)"),
    ("chapter", "HS chapter of the good, two digits, e.g. 87"),
    ("limit", "findings per page, 1 to 1000 (default 100)"),
    ("after", "the page after this finding id: the `after` of the page before (keyset cursor)"),
];

#[allow(clippy::too_many_arguments)]
fn route(
    method: Method,
    path: &'static str,
    kind: Kind,
    permission: Permission,
    summary: &'static str,
    request: Payload,
    status: u16,
    response: Payload,
    handler: fn() -> MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        kind,
        permission,
        summary,
        query: &[],
        request,
        status,
        response,
        body_limit: BODY_LIMIT,
        handler,
    }
}

impl Route {
    fn query(mut self, q: &'static [(&'static str, &'static str)]) -> Route {
        self.query = q;
        self
    }

    fn limit(mut self, bytes: usize) -> Route {
        self.body_limit = bytes;
        self
    }
}

/// Every route of the application, one line each (kept as a table: not reformatted).
#[rustfmt::skip]
pub fn routes() -> Vec<Route> {
    use Kind::{Api, Page};
    use Method as M;
    use Payload::{Form, Html, Json, Multipart, Redirect};
    use Permission::*;
    vec![
        // Health and documents.
        route(M::GET, "/healthz", Api, Public, "Liveness: the server answers and the database is reachable.", Payload::None, 200, Json(schema::<api::Health>), || get(api::health)),
        route(M::GET, "/api/openapi.json", Api, View, "This API's OpenAPI 3 document.", Payload::None, 200, Json(schema::<serde_json::Value>), || get(api::openapi_document)),
        // Runs, goods and determinations.
        route(M::GET, "/api/runs", Api, View, "Stored audit runs, newest first, with their counts.", Payload::None, 200, Json(schema::<Vec<origin_store::RunRow>>), || get(api::list_runs)),
        route(M::POST, "/api/runs", Api, RunAudit, "Start an audit from uploaded batch files; answers when the run is stored.", Multipart(api::RUN_UPLOAD_FIELDS), 201, Json(schema::<api::RunStarted>), || post(api::start_run)).limit(UPLOAD_LIMIT),
        route(M::GET, "/api/runs/{run}", Api, View, "One run: status, times, digests of inputs and rule pack, counts, files.", Payload::None, 200, Json(schema::<api::RunDetail>), || get(api::show_run)),
        route(M::GET, "/api/runs/{run}/goods", Api, View, "The determinations of a run's goods.", Payload::None, 200, Json(schema::<Vec<origin_store::DeterminationRow>>), || get(api::run_goods)),
        route(M::GET, "/api/runs/{run}/goods/{good}", Api, View, "One good's determination with its findings.", Payload::None, 200, Json(schema::<api::GoodDetail>), || get(api::run_good)),
        // Findings and reviews.
        route(M::GET, "/api/findings", Api, View, "One page of the findings matching the filters (`next` links the following page), with counts of them all by severity, code, status, chapter and supplier.", Payload::None, 200, Json(schema::<api::FindingList>), || get(api::list_findings)).query(FINDING_QUERY),
        route(M::GET, "/api/findings/{finding}", Api, View, "One finding with its reviews and its good's determination.", Payload::None, 200, Json(schema::<api::FindingDetail>), || get(api::show_finding)),
        route(M::POST, "/api/findings/{finding}/reviews", Api, Review, "Review a finding at the version you saw (409 when someone else changed it first).", Json(schema::<api::ReviewBody>), 200, Json(schema::<origin_store::FindingRow>), || post(api::review_finding)),
        // Certificates.
        route(M::GET, "/api/certificates", Api, View, "Certificates, every one or those resting on a run.", Payload::None, 200, Json(schema::<Vec<origin_store::CertificateRow>>), || get(api::list_certificates)).query(&[("run", "run id or unique prefix")]),
        route(M::POST, "/api/certificates", Api, Certify, "Issue a certificate of origin for a good that qualified with no open blocking finding.", Json(schema::<api::IssueBody>), 201, Json(schema::<origin_store::CertificateRow>), || post(api::issue_certificate)),
        route(M::GET, "/api/certificates/{certificate}", Api, View, "One certificate; `?format=markdown` for the text to read and sign.", Payload::None, 200, Json(schema::<origin_store::CertificateRow>), || get(api::show_certificate)).query(&[("format", "json (default) or markdown")]),
        route(M::POST, "/api/certificates/{certificate}/withdraw", Api, Certify, "Withdraw an issued certificate, with the reason.", Json(schema::<api::WithdrawBody>), 200, Json(schema::<origin_store::CertificateRow>), || post(api::withdraw_certificate)),
        // Rules and the log.
        route(M::GET, "/api/rules/explain", Api, View, "The rule in force for an HS code on a date, or why none can be chosen.", Payload::None, 200, Json(schema::<api::Explanation>), || get(api::explain)).query(&[("hs", "HS code, e.g. 8708.40"), ("as_of", "date, YYYY-MM-DD (default today)"), ("use", "passenger-vehicle, light-truck, heavy-truck or other"), ("kind", "the good's description where the rule depends on it")]),
        route(M::GET, "/api/log/verify", Api, View, "Check the hash-chained audit log and the stored rows it binds; names any edited, inserted or deleted entry or row.", Payload::None, 200, Json(schema::<origin_store::LogReport>), || get(api::verify_log)).query(&[("anchor", "an anchor from `log anchor` (SEQ:HASH): also fail when the log was cut short or rebuilt")]),
        // What-if scenarios (docs/scenarios.md).
        route(M::GET, "/api/scenarios", Api, View, "The shipped what-if scenarios and the stored scenario runs.", Payload::None, 200, Json(schema::<scenarios::ScenarioList>), || get(scenarios::list)),
        route(M::POST, "/api/scenarios", Api, RunAudit, "Re-audit a stored run under a shipped scenario; answers with the stored scenario run.", Json(schema::<scenarios::ScenarioBody>), 201, Json(schema::<origin_store::scenarios::ScenarioRunRow>), || post(scenarios::start)),
        route(M::GET, "/api/scenarios/{scenario}", Api, View, "A scenario run's impact: the goods that change with their cheapest fix, grouped by supplier, origin and chapter, with the duty at stake when the server has a duty table and volumes.", Payload::None, 200, Json(schema::<origin_store::impact::Impact>), || get(scenarios::show)),
        // Accounts.
        route(M::GET, "/api/users", Api, ManageUsers, "Accounts (never their tokens).", Payload::None, 200, Json(schema::<Vec<origin_store::User>>), || get(api::list_users)),
        route(M::POST, "/api/users", Api, ManageUsers, "Make an account; the answer holds its token, shown this once.", Json(schema::<api::NewUserBody>), 201, Json(schema::<api::NewUser>), || post(api::add_user)),
        route(M::POST, "/api/users/{name}/disable", Api, ManageUsers, "Disable an account: its token and sessions stop working at once.", Payload::None, 200, Json(schema::<origin_store::User>), || post(api::disable_user)),
        // Supplier evidence.
        route(M::GET, "/api/runs/{run}/solicitation-plan", Api, View, "Per supplier, what the run's open findings need: parts, HS codes, periods, questions, and the value each answer would make originating.", Payload::None, 200, Json(schema::<origin_store::solicit::Plan>), || get(supplier::api_plan)),
        route(M::GET, "/api/requests", Api, View, "Supplier requests with their states, due dates and what they ask.", Payload::None, 200, Json(schema::<Vec<origin_store::solicit::RequestRow>>), || get(supplier::api_requests)).query(&[("run", "run id or unique prefix")]),
        route(M::GET, "/api/expiring", Api, View, "Certifications ending within 30, 60 and 90 days, with the goods depending on them.", Payload::None, 200, Json(schema::<Vec<origin_store::evidence::Expiring>>), || get(supplier::api_expiring)).query(&[("run", "run id or prefix (default: the latest completed run)"), ("today", "count from this date, YYYY-MM-DD (default today)")]),
        // Pages.
        route(M::GET, "/login", Page, Public, "The sign-in form.", Payload::None, 200, Html, || get(pages::login_form)),
        route(M::POST, "/login", Page, Public, "Sign in with account name and token; sets the session cookie.", Form(&["name", "token", "csrf", "next"]), 303, Redirect, || post(pages::login)),
        route(M::POST, "/logout", Page, SignedIn, "Sign out.", Form(&["csrf"]), 303, Redirect, || post(pages::logout)),
        route(M::GET, "/", Page, View, "Home: the review queue.", Payload::None, 303, Redirect, || get(pages::home)),
        route(M::GET, "/runs", Page, View, "The run list with summaries.", Payload::None, 200, Html, || get(pages::runs)),
        route(M::POST, "/runs", Page, RunAudit, "Start an audit from the runs page's upload form; shows the stored run.", Multipart(api::RUN_UPLOAD_FIELDS), 303, Redirect, || post(pages::start_run)).limit(UPLOAD_LIMIT),
        route(M::GET, "/runs/{run}", Page, View, "One run: its goods, determinations and certificates.", Payload::None, 200, Html, || get(pages::run)),
        route(M::GET, "/queue", Page, View, "The review queue with filters and counts, a page at a time.", Payload::None, 200, Html, || get(pages::queue)).query(FINDING_QUERY),
        route(M::GET, "/findings/{finding}", Page, View, "A finding: numbers, rule, materials, provenance picture, reviews and the review form.", Payload::None, 200, Html, || get(pages::finding)),
        route(M::POST, "/findings/{finding}/review", Page, Review, "Record a review from the form.", Form(&["csrf", "decision", "note", "version"]), 303, Redirect, || post(pages::review)),
        route(M::POST, "/runs/{run}/certificates", Page, Certify, "Issue a certificate from the run page.", Form(&["csrf", "good", "blanket_from", "blanket_to"]), 303, Redirect, || post(pages::issue_certificate)),
        route(M::GET, "/certificates/{certificate}", Page, View, "A certificate, printable to PDF from the browser.", Payload::None, 200, Html, || get(pages::certificate)),
        route(M::POST, "/certificates/{certificate}/withdraw", Page, Certify, "Withdraw a certificate from its page.", Form(&["csrf", "reason"]), 303, Redirect, || post(pages::withdraw_certificate)),
        route(M::GET, "/scenarios", Page, View, "What-if scenarios: the shipped ones, the form to run one, the scenario runs with a chart.", Payload::None, 200, Html, || get(scenarios::page)),
        route(M::POST, "/scenarios", Page, RunAudit, "Re-audit a stored run under a shipped scenario from the form; shows the result.", Form(&["csrf", "scenario", "run"]), 303, Redirect, || post(scenarios::start_page)),
        route(M::GET, "/scenarios/{scenario}", Page, View, "A scenario run: goods that change, cheapest fixes, charts of the duty at stake by supplier.", Payload::None, 200, Html, || get(scenarios::result)),
        route(M::GET, "/runs/{run}/solicit", Page, View, "Supplier evidence of a run: the plan, the requests and the form to send them.", Payload::None, 200, Html, || get(supplier::campaign)),
        route(M::POST, "/runs/{run}/solicit", Page, Solicit, "Make and send one request per supplier of the plan; shows the invitation links.", Form(&["csrf", "due", "contacts"]), 200, Html, || post(supplier::create_campaign)),
        route(M::POST, "/runs/{run}/rerun", Page, RunAudit, "Re-audit, as a new run, the goods the run's accepted certifications affect.", Form(&["csrf"]), 303, Redirect, || post(supplier::rerun)),
        route(M::GET, "/requests/{request}", Page, View, "A supplier request: what it asks, the answers and documents, the decision form.", Payload::None, 200, Html, || get(supplier::request_page)),
        route(M::POST, "/requests/{request}/decision", Page, Review, "Accept or reject an answered request.", Form(&["csrf", "decision", "note", "version"]), 303, Redirect, || post(supplier::decide)),
        route(M::GET, "/requests/{request}/document", Page, View, "A document of the request's answers, as a download.", Payload::None, 200, Payload::None, || get(supplier::document)).query(&[("d", "the document's sha256 (default: the first)")]),
        route(M::GET, "/expiring", Page, View, "Certifications expiring in 30, 60 and 90 days with the goods depending on them.", Payload::None, 200, Html, || get(supplier::expiring_page)).query(&[("run", "run id or prefix (default: the latest completed run)"), ("today", "YYYY-MM-DD")]),
        route(M::GET, "/invite/{token}", Page, Public, "A supplier's one-time invitation: a button that signs in.", Payload::None, 200, Html, || get(supplier::invite_form)),
        route(M::POST, "/invite", Page, Public, "Redeem an invitation once; starts the supplier's session on its request.", Form(&["csrf", "token"]), 303, Redirect, || post(supplier::invite)),
        route(M::GET, "/supplier", Page, Supplier, "A supplier's own requests.", Payload::None, 200, Html, || get(supplier::my_requests)),
        route(M::GET, "/supplier/requests/{request}", Page, Supplier, "A supplier's request: what is asked and the answer form.", Payload::None, 200, Html, || get(supplier::my_request)),
        route(M::POST, "/supplier/requests/{request}", Page, Supplier, "Answer: the certification's Annex 5-A fields with its PDF, answers, documents.", Multipart(supplier::ANSWER_FIELDS), 303, Redirect, || post(supplier::answer)).limit(ANSWER_LIMIT),
        route(M::GET, "/users", Page, ManageUsers, "Accounts.", Payload::None, 200, Html, || get(pages::users)),
        route(M::POST, "/users", Page, ManageUsers, "Make an account; the page shows its token once.", Form(&["csrf", "name", "role"]), 200, Html, || post(pages::add_user)),
    ]
}
