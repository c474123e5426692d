//! What-if scenarios over HTTP (docs/scenarios.md): the JSON API and the pages. The shipped scenarios
//! are built in (`origin_rules::scenario::SHIPPED`), so no request names a file; a scenario run
//! re-audits a stored run from the store and keeps the goods that change. The pages draw their bar
//! charts as server-rendered SVG (no script): duty at stake by supplier and by scenario run when the
//! server was given a duty table and volumes (`serve --duties --volumes`), else goods that lose the
//! preference.

use std::fmt::Write as _;

use axum::Form;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use origin_core::{Amount, Decimal};
use origin_store::IdKind;
use origin_store::impact::{Group, Impact, impact};
use origin_store::scenarios::{ScenarioError, ScenarioRunRow};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{Caller, Permission};
use crate::error::AppError;
use crate::html::{self, csrf_field, error_page, esc, url_encode};

/// A shipped scenario.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShippedScenario {
    /// Its id (what `POST /api/scenarios` takes).
    pub id: String,
    /// Title.
    pub title: String,
    /// `hypothetical`, or the proposal it models.
    pub basis: String,
    /// First day.
    pub effective_from: String,
    /// Each change, in words.
    pub overlays: Vec<String>,
}

/// The shipped scenarios and the stored scenario runs.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ScenarioList {
    /// Scenarios that can be run.
    pub shipped: Vec<ShippedScenario>,
    /// Scenario runs, newest first.
    pub runs: Vec<ScenarioRunRow>,
}

/// A scenario run to start.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ScenarioBody {
    /// A shipped scenario's id (`cn-content-cap-10`).
    pub scenario: String,
    /// The completed run to re-audit (id or unique prefix).
    pub run: String,
}

fn shipped() -> Vec<ShippedScenario> {
    origin_rules::scenario::shipped()
        .into_iter()
        .map(|s| ShippedScenario {
            overlays: s.overlays.iter().map(|(_, o)| o.words()).collect(),
            basis: s.basis.words(),
            effective_from: s.effective_from.to_string(),
            title: s.title,
            id: s.id,
        })
        .collect()
}

/// Re-audits `run` under the shipped scenario `id` as the caller.
async fn run_shipped(s: &AppState, caller: &Caller, id: &str, run: &str) -> Result<ScenarioRunRow, AppError> {
    let scenario = origin_rules::scenario::shipped().into_iter().find(|x| x.id == id).ok_or_else(|| {
        AppError::bad_request(format!("no shipped scenario `{id}`"))
            .help("GET /api/scenarios lists them: rvc-plus-10, cn-content-cap-10, strict-transshipment")
    })?;
    let base = s.store().resolve_id(IdKind::Run, run).await?;
    match s.store().run_scenario(&scenario, &base, &caller.user.name, None).await {
        Ok(row) => Ok(row),
        Err(ScenarioError::Store(e)) => Err(e.into()),
        Err(ScenarioError::Scenario(d)) => Err(AppError::bad_request(format!(
            "the scenario does not apply to the run's rule pack: {}",
            d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; ")
        ))),
        Err(ScenarioError::Run(e)) => Err(AppError::bad_request(format!("re-auditing run `{base}`: {e}"))),
    }
}

async fn impact_of(s: &AppState, id: &str) -> Result<Impact, AppError> {
    let id = s.store().resolve_id(IdKind::Scenario, id).await?;
    let row = s.store().scenario_run(&id).await?;
    let goods = s.store().scenario_goods(&id).await?;
    let cfg = s.config();
    Ok(impact(row, goods, cfg.duties.as_deref(), cfg.volumes.as_deref()))
}

/// `GET /api/scenarios`.
pub async fn list(State(s): State<AppState>) -> Result<Json<ScenarioList>, AppError> {
    Ok(Json(ScenarioList { shipped: shipped(), runs: s.store().scenario_runs(None).await? }))
}

/// `POST /api/scenarios`.
pub async fn start(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(b): Json<ScenarioBody>,
) -> Result<(StatusCode, Json<ScenarioRunRow>), AppError> {
    Ok((StatusCode::CREATED, Json(run_shipped(&s, &caller, &b.scenario, &b.run).await?)))
}

/// `GET /api/scenarios/{scenario}`.
pub async fn show(State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Impact>, AppError> {
    Ok(Json(impact_of(&s, &id).await?))
}

type PageResult = Result<Response, Response>;

/// A horizontal bar chart as SVG: one bar per item, its length in proportion to the value (drawn with
/// floats; the printed figure is the exact one given).
fn bar_chart(id: &str, title: &str, items: &[(String, Decimal, String)]) -> String {
    const W: f64 = 640.0;
    const LABEL: f64 = 250.0;
    const ROW: f64 = 24.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(Decimal::ZERO);
    let h = 30.0 + ROW * items.len() as f64;
    let mut s = format!(
        "<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">{t}</text>",
        t = esc(title)
    );
    for (n, (label, v, shown)) in items.iter().enumerate() {
        let y = 26.0 + ROW * n as f64;
        let frac = if max > Decimal::ZERO { (v / max).to_string().parse::<f64>().unwrap_or(0.0) } else { 0.0 };
        let bw = ((W - LABEL - 130.0) * frac).max(1.0);
        let short: String = label.chars().take(36).collect();
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{ty}\" font-size=\"12\">{l}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{bw:.1}\" height=\"16\" fill=\"#b03a2e\"><title>{full}: {v}</title></rect><text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"12\">{v}</text>",
            ty = y + 12.0,
            l = esc(&short),
            full = esc(label),
            v = esc(shown),
            tx = LABEL + bw + 6.0,
        );
    }
    s.push_str("</svg>");
    s
}

fn total(m: &std::collections::BTreeMap<String, Decimal>) -> Decimal {
    m.values().sum()
}

fn money(m: &std::collections::BTreeMap<String, Decimal>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter().map(|(c, v)| format!("{} {c}", Amount(*v))).collect::<Vec<_>>().join(", ")
}

/// `GET /scenarios`: the shipped scenarios, the form to run one, the stored scenario runs with a chart.
pub async fn page(State(s): State<AppState>, Extension(c): Extension<Caller>) -> PageResult {
    let fail = |e: AppError| error_page(&e, Some(&c));
    let runs = s.store().scenario_runs(None).await.map_err(|e| fail(e.into()))?;
    let mut b = String::from(
        "<h1>What-if scenarios</h1><p>Proposed rule changes re-audited on a stored run: the goods each would cost, the cheapest fix and the duty at stake. Scenarios are not law (docs/scenarios.md).</p>",
    );
    b.push_str("<table id=\"shipped\"><tr><th>scenario</th><th>title</th><th>basis</th><th>changes</th></tr>");
    for sc in shipped() {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&sc.id),
            esc(&sc.title),
            esc(&sc.basis),
            esc(&sc.overlays.join("; "))
        );
    }
    b.push_str("</table>");
    if Permission::RunAudit.allows(c.user.role) {
        let base: Vec<origin_store::RunRow> = s
            .store()
            .runs()
            .await
            .map_err(|e| fail(e.into()))?
            .into_iter()
            .filter(|r| r.status == "completed")
            .collect();
        let _ = write!(
            b,
            "<h2>Run a scenario</h2><form method=\"post\" action=\"/scenarios\" class=\"box\" id=\"scenario-form\">{}",
            csrf_field(&c)
        );
        b.push_str("<p><label>Scenario <select name=\"scenario\" id=\"scenario\">");
        for sc in shipped() {
            let _ = write!(b, "<option value=\"{0}\">{0}: {1}</option>", esc(&sc.id), esc(&sc.title));
        }
        b.push_str("</select></label></p><p><label>Stored run <select name=\"run\" id=\"base-run\">");
        for r in &base {
            let _ = write!(b, "<option value=\"{0}\">{0} ({1})</option>", esc(&r.id), esc(&r.started_at));
        }
        b.push_str("</select></label></p><p><button type=\"submit\" id=\"run-scenario\">Re-audit under the scenario</button></p></form>");
    }
    b.push_str("<h2>Scenario runs</h2>");
    if runs.is_empty() {
        b.push_str("<p>None yet.</p>");
    } else {
        let mut bars = Vec::new();
        let with_duty = s.config().duties.is_some() && s.config().volumes.is_some();
        b.push_str("<table id=\"scenario-runs\"><tr><th>scenario run</th><th>scenario</th><th>base run</th><th>when</th><th>by</th><th>changed</th><th>qualified / not / needs evidence</th></tr>");
        for r in &runs {
            let _ = write!(
                b,
                "<tr><td><a href=\"/scenarios/{id}\">{short}</a></td><td>{}</td><td><a href=\"/runs/{base}\">{bshort}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{} / {} / {}</td></tr>",
                esc(&r.scenario),
                esc(&r.started_at),
                esc(&r.actor),
                r.changed,
                r.qualified,
                r.not_qualified,
                r.needs_evidence,
                id = esc(&r.id),
                short = esc(r.id.get(..8).unwrap_or(&r.id)),
                base = esc(&r.base_run),
                bshort = esc(r.base_run.get(..8).unwrap_or(&r.base_run)),
            );
            let label = format!("{} ({})", r.scenario, r.id.get(..8).unwrap_or(&r.id));
            if with_duty {
                let i = impact_of(&s, &r.id).await.map_err(fail)?;
                bars.push((label, total(&i.total), money(&i.total)));
            } else {
                let lost = s
                    .store()
                    .scenario_goods(&r.id)
                    .await
                    .map_err(|e| fail(e.into()))?
                    .iter()
                    .filter(|g| g.lost())
                    .count();
                bars.push((label, Decimal::from(lost), format!("{lost} good(s)")));
            }
        }
        b.push_str("</table>");
        let title = if with_duty {
            "Duty at stake per year, by scenario run"
        } else {
            "Goods that lose the preference, by scenario run"
        };
        b.push_str(&bar_chart("chart-by-scenario", title, &bars));
    }
    Ok(html::ok("Scenarios", &c, &b))
}

/// The form of `POST /scenarios`.
#[derive(Debug, Deserialize)]
pub struct RunForm {
    scenario: String,
    run: String,
}

/// `POST /scenarios`: runs the scenario and shows its result.
pub async fn start_page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<RunForm>,
) -> PageResult {
    let row = run_shipped(&s, &c, &f.scenario, &f.run).await.map_err(|e| error_page(&e, Some(&c)))?;
    Ok(Redirect::to(&format!("/scenarios/{}", url_encode(&row.id))).into_response())
}

fn group_table(b: &mut String, id: &str, key: &str, groups: &[Group]) {
    let _ = write!(
        b,
        "<table id=\"{id}\"><tr><th>{key}</th><th>goods</th><th>lose</th><th>gain</th><th>duty at stake</th></tr>"
    );
    for g in groups {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&g.key),
            esc(&g.goods.join(", ")),
            g.lost,
            g.gained,
            esc(&money(&g.exposure))
        );
    }
    b.push_str("</table>");
}

/// `GET /scenarios/{scenario}`: the impact, a chart by supplier, the goods with their fixes.
pub async fn result(State(s): State<AppState>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> PageResult {
    let i = impact_of(&s, &id).await.map_err(|e| error_page(&e, Some(&c)))?;
    let r = &i.scenario;
    let with_duty = s.config().duties.is_some() && s.config().volumes.is_some();
    let mut b = format!(
        "<h1>Scenario {}: {}</h1><div class=\"box\" id=\"summary\"><dl class=\"kv\"><dt>scenario run</dt><dd>{}</dd><dt>base run</dt><dd><a href=\"/runs/{base}\">{base}</a></dd><dt>basis</dt><dd>{}</dd><dt>effective from</dt><dd>{}</dd><dt>goods re-audited</dt><dd>{}: {} qualified, {} not qualified, {} needs evidence</dd><dt>changed</dt><dd id=\"changed\">{} good(s)</dd><dt>duty at stake per year</dt><dd id=\"total\">{}</dd></dl></div>",
        esc(&r.scenario),
        esc(&r.title),
        esc(&r.id),
        esc(&r.basis),
        esc(&r.effective_from),
        r.goods,
        r.qualified,
        r.not_qualified,
        r.needs_evidence,
        r.changed,
        esc(&if with_duty {
            money(&i.total)
        } else {
            "no duty table given to the server (serve --duties --volumes)".into()
        }),
        base = esc(&r.base_run),
    );
    let bars: Vec<(String, Decimal, String)> = i
        .by_supplier
        .iter()
        .map(|g| {
            if with_duty {
                (g.key.clone(), total(&g.exposure), money(&g.exposure))
            } else {
                (g.key.clone(), Decimal::from(g.lost), format!("{} good(s)", g.lost))
            }
        })
        .collect();
    let title =
        if with_duty { "Duty at stake per year, by supplier" } else { "Goods that lose the preference, by supplier" };
    b.push_str(&bar_chart("chart-by-supplier", title, &bars));
    b.push_str("<h2>Goods that change</h2><table id=\"goods-changed\"><tr><th>good</th><th>HS</th><th>base</th><th>scenario</th><th>cheapest fix</th><th>suppliers</th><th>duty at stake</th></tr>");
    for g in &i.goods {
        let cg = &g.good;
        let mut sup: Vec<&str> = cg.fix_lines.iter().filter_map(|l| l.supplier.as_deref()).collect();
        sup.sort_unstable();
        sup.dedup();
        let exposure = match (g.exposure, &g.missing) {
            (Some(x), _) => format!("{} {}", Amount(x), cg.currency),
            (None, Some(m)) => format!("- ({m})"),
            (None, None) => "-".into(),
        };
        let _ = write!(
            b,
            "<tr><td><a href=\"/queue?run={run}&amp;good={gq}\">{g}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&cg.hs),
            html::status_badge(cg.base_outcome.slug()),
            html::status_badge(cg.outcome.slug()),
            esc(&cg.fix),
            esc(&sup.join(", ")),
            esc(&exposure),
            run = esc(&url_encode(&r.base_run)),
            gq = esc(&url_encode(&cg.good)),
            g = esc(&cg.good),
        );
    }
    b.push_str("</table><h2>By supplier</h2>");
    group_table(&mut b, "by-supplier", "supplier", &i.by_supplier);
    b.push_str("<h2>By origin country</h2>");
    group_table(&mut b, "by-origin", "origin", &i.by_origin);
    b.push_str("<h2>By chapter</h2>");
    group_table(&mut b, "by-chapter", "chapter", &i.by_chapter);
    Ok(html::ok("Scenario", &c, &b))
}
