//! Building a [`ProvenanceGraph`] from input records, with checks that collect every error.

use std::fmt;

use chrono::NaiveDate;
use origin_core::{Country, Decimal, HsCode, Money, Percent};
use petgraph::algo::TarjanScc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::input::{LotInput, Operation, ProvenanceInput, ShipmentInput, SiteInput, SiteKind, TransformationInput};
use crate::intern::{Appended, Interner, Texts};

pub(crate) const NONE: u32 = u32::MAX;

/// Index of a site in a [`ProvenanceGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteIx(pub u32);
/// Index of a lot in a [`ProvenanceGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LotIx(pub u32);

#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub(crate) country: Country,
    pub(crate) kind: SiteKind,
    /// Index in `texts`.
    pub(crate) operator: u32,
    /// Index in `entities`: the owner, or the operator when no owner is given.
    pub(crate) owner: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Lot {
    pub(crate) hs: HsCode,
    pub(crate) quantity: Decimal,
    pub(crate) value: Option<Money>,
    pub(crate) site: u32,
    pub(crate) date: NaiveDate,
    /// Index in `units`.
    pub(crate) unit: u32,
    /// Index in `texts`, or `NONE`.
    pub(crate) material: u32,
    /// The transformation producing this lot, or `NONE` for a raw lot.
    pub(crate) produced_by: u32,
    pub(crate) declared: Country,
}

#[derive(Debug, Clone)]
pub(crate) struct Shipment {
    pub(crate) id: u32,
    pub(crate) lot: u32,
    pub(crate) from: u32,
    pub(crate) to: u32,
    pub(crate) departed: NaiveDate,
    pub(crate) arrived: NaiveDate,
    pub(crate) quantity: Decimal,
    /// Index in `texts`.
    pub(crate) document: u32,
    pub(crate) customs_control: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Transformation {
    pub(crate) id: u32,
    pub(crate) output: u32,
    pub(crate) site: u32,
    pub(crate) date: NaiveDate,
    pub(crate) value_added: Option<Money>,
    pub(crate) inputs_start: u32,
    pub(crate) inputs_len: u32,
    pub(crate) operation: Operation,
}

#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) lot: u32,
    pub(crate) quantity: Decimal,
    /// When the input lot first reached the transformation's site (filled in by the checks).
    pub(crate) available: NaiveDate,
}

/// What went wrong in a provenance input, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildErrorKind {
    /// Two sites, two lots or two events share an id.
    DuplicateId,
    /// A record names a site, lot or event that is not declared.
    DanglingId,
    /// A lot is its own ancestor.
    Cycle,
    /// An arrival before its departure, a departure before the lot got there, a transformation before
    /// its inputs arrived.
    TimeTravel,
    /// More of a lot left a site (shipped or consumed) than arrived or was produced there.
    MassBalance,
    /// A record that is inconsistent in itself (no inputs, a quantity of zero, a lot produced twice).
    Invalid,
}

/// One error in a provenance input: where, which ids, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    /// What kind of error.
    pub kind: BuildErrorKind,
    /// Where in the input, as a path such as `shipments[3].lot`, when one record is at fault.
    pub path: Option<String>,
    /// The ids involved (sites, lots, events), in the order the message names them.
    pub ids: Vec<String>,
    /// What is wrong, lowercase, user values in backticks.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}\n  help: {}", self.message, self.help)
    }
}

impl std::error::Error for BuildError {}

impl BuildErrorKind {
    /// The stable code of the kind, as diagnostics print it (`provenance-dangling-id`, ...).
    pub fn code(self) -> &'static str {
        match self {
            BuildErrorKind::DuplicateId => "provenance-duplicate-id",
            BuildErrorKind::DanglingId => "provenance-dangling-id",
            BuildErrorKind::Cycle => "provenance-cycle",
            BuildErrorKind::TimeTravel => "provenance-time-travel",
            BuildErrorKind::MassBalance => "provenance-mass-balance",
            BuildErrorKind::Invalid => "provenance-invalid",
        }
    }
}

impl BuildError {
    /// The error as the one located diagnostic every input shares, in `file`, its field the record's
    /// path under `prefix` (`provenance.` in a batch file, nothing in a provenance file). The graph
    /// reads no text, so the line is left to the caller (who has the file's path index); the ids the
    /// error names are in its message.
    pub fn located(&self, file: &std::path::Path, prefix: &str) -> origin_core::diag::Located {
        let d = origin_core::diag::Located::new(
            origin_core::diag::Severity::Error,
            self.kind.code(),
            file,
            self.message.clone(),
        )
        .help(self.help.clone());
        match &self.path {
            Some(p) => d.field(format!("{prefix}{p}")),
            None => d,
        }
    }
}

/// Every error found in a provenance input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildErrors(pub Vec<BuildError>);

impl fmt::Display for BuildErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "the provenance input has {n} error{}:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            writeln!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildErrors {}

/// A checked provenance graph: sites, lots, shipments and transformations with dense indexes.
///
/// Lots are the nodes of a petgraph [`DiGraph`]; each transformation adds one edge from its output lot
/// to each input lot. The graph is acyclic (checked) and [`ProvenanceGraph::topological_order`] lists
/// every lot after all of its inputs.
#[derive(Debug)]
pub struct ProvenanceGraph {
    pub(crate) site_ids: Interner,
    pub(crate) lot_ids: Interner,
    pub(crate) event_ids: Appended,
    pub(crate) units: Interner,
    pub(crate) entities: Interner,
    pub(crate) texts: Texts,
    pub(crate) sites: Vec<Site>,
    pub(crate) lots: Vec<Lot>,
    pub(crate) shipments: Vec<Shipment>,
    pub(crate) transformations: Vec<Transformation>,
    pub(crate) inputs: Vec<Input>,
    /// Shipments grouped by lot, each group ordered by departure: lot `l` owns
    /// `ship_by_lot[ship_start[l]..ship_start[l + 1]]`.
    pub(crate) ship_start: Vec<u32>,
    pub(crate) ship_by_lot: Vec<u32>,
    /// Transformation inputs grouped by the lot consumed: indexes into `inputs`, with the
    /// transformation of each in `consumer_of_input`.
    pub(crate) use_start: Vec<u32>,
    pub(crate) use_by_lot: Vec<u32>,
    pub(crate) consumer_of_input: Vec<u32>,
    pub(crate) graph: DiGraph<(), u32, u32>,
    pub(crate) order: Vec<u32>,
    pub(crate) tolerance: Percent,
}

#[derive(Debug)]
enum Pending {
    LotSite(u32),
    ShipLot(u32),
    ShipFrom(u32),
    ShipTo(u32),
    TransSite(u32),
    TransOutput(u32),
    TransInput(u32, u32),
}

/// Adds sites, lots, shipments and transformations one at a time, then checks them all in
/// [`GraphBuilder::finish`]. References may point forward (a shipment may name a lot added later).
#[derive(Debug)]
pub struct GraphBuilder {
    g: ProvenanceGraph,
    errors: Vec<BuildError>,
    pending: Vec<(Pending, String)>,
    counts: [usize; 4],
}

impl Default for GraphBuilder {
    fn default() -> Self {
        GraphBuilder::with_capacity(0, 0, 0, 0)
    }
}

fn err(kind: BuildErrorKind, path: Option<String>, ids: Vec<String>, message: String, help: String) -> BuildError {
    BuildError { kind, path, ids, message, help }
}

impl GraphBuilder {
    /// A builder with room for the given numbers of records (a hint; it grows as needed).
    pub fn with_capacity(sites: usize, lots: usize, shipments: usize, transformations: usize) -> GraphBuilder {
        let events = shipments + transformations;
        GraphBuilder {
            g: ProvenanceGraph {
                site_ids: Interner::with_capacity(sites, sites * 8),
                lot_ids: Interner::with_capacity(lots, lots * 8),
                event_ids: Appended::with_capacity(events, events * 8),
                units: Interner::default(),
                entities: Interner::default(),
                texts: Texts::with_capacity(shipments + sites, shipments * 8),
                sites: Vec::with_capacity(sites),
                lots: Vec::with_capacity(lots),
                shipments: Vec::with_capacity(shipments),
                transformations: Vec::with_capacity(transformations),
                inputs: Vec::with_capacity(transformations + transformations / 2),
                ship_start: Vec::new(),
                ship_by_lot: Vec::new(),
                use_start: Vec::new(),
                use_by_lot: Vec::new(),
                consumer_of_input: Vec::new(),
                graph: DiGraph::default(),
                order: Vec::new(),
                tolerance: Percent::default(),
            },
            errors: Vec::new(),
            pending: Vec::new(),
            counts: [0; 4],
        }
    }

    /// Sets the mass-balance tolerance (zero unless set).
    pub fn tolerance(&mut self, tolerance: Percent) -> &mut Self {
        self.g.tolerance = tolerance;
        self
    }

    fn duplicate(&mut self, path: String, what: &str, list: &str, id: &str) {
        self.errors.push(err(
            BuildErrorKind::DuplicateId,
            Some(path),
            vec![id.to_string()],
            format!("{what} id `{id}` is used more than once in `{list}`"),
            format!("give each {what} its own id; this record was skipped"),
        ));
    }

    fn positive(&mut self, path: impl FnOnce() -> String, id: &str, q: Decimal) {
        if q <= Decimal::ZERO {
            self.errors.push(err(
                BuildErrorKind::Invalid,
                Some(path()),
                vec![id.to_string()],
                format!("quantity `{q}` of `{id}` is not positive"),
                "state a quantity greater than zero".to_string(),
            ));
        }
    }

    /// Adds a site.
    pub fn add_site(&mut self, s: &SiteInput) -> &mut Self {
        let pos = self.counts[0];
        self.counts[0] += 1;
        if self.g.site_ids.insert(&s.id).is_err() {
            self.duplicate(format!("sites[{pos}].id"), "site", "sites", &s.id);
            return self;
        }
        let operator = self.g.texts.push(&s.operator);
        let owner = self.g.entities.intern(s.owner.as_deref().unwrap_or(&s.operator));
        self.g.sites.push(Site { country: s.country, kind: s.kind, operator, owner });
        self
    }

    fn site_ref(&mut self, name: &str, p: Pending) -> u32 {
        match self.g.site_ids.find(name) {
            Some(ix) => ix,
            None => {
                self.pending.push((p, name.to_string()));
                NONE
            }
        }
    }

    fn lot_ref(&mut self, name: &str, p: Pending) -> u32 {
        match self.g.lot_ids.find(name) {
            Some(ix) => ix,
            None => {
                self.pending.push((p, name.to_string()));
                NONE
            }
        }
    }

    /// Adds a lot.
    pub fn add_lot(&mut self, l: &LotInput) -> &mut Self {
        let pos = self.counts[1];
        self.counts[1] += 1;
        let Ok(ix) = self.g.lot_ids.insert(&l.id) else {
            self.duplicate(format!("lots[{pos}].id"), "lot", "lots", &l.id);
            return self;
        };
        self.positive(|| format!("lots[{pos}].quantity"), &l.id, l.quantity);
        let site = self.site_ref(&l.site, Pending::LotSite(ix));
        let unit = self.g.units.intern(&l.unit);
        let material = match &l.material {
            Some(m) => self.g.texts.push(m),
            None => NONE,
        };
        self.g.lots.push(Lot {
            hs: l.hs,
            quantity: l.quantity,
            value: l.value,
            site,
            date: l.date,
            unit,
            material,
            produced_by: NONE,
            declared: l.declared_origin,
        });
        self
    }

    /// Adds a shipment.
    pub fn add_shipment(&mut self, s: &ShipmentInput) -> &mut Self {
        let pos = self.counts[2];
        self.counts[2] += 1;
        let id = self.g.event_ids.push(&s.id);
        let ix = self.g.shipments.len() as u32;
        let lot = self.lot_ref(&s.lot, Pending::ShipLot(ix));
        let from = self.site_ref(&s.from, Pending::ShipFrom(ix));
        let to = self.site_ref(&s.to, Pending::ShipTo(ix));
        if let Some(q) = s.quantity {
            self.positive(|| format!("shipments[{pos}].quantity"), &s.id, q);
        }
        let document = self.g.texts.push(&s.document);
        self.g.shipments.push(Shipment {
            id,
            lot,
            from,
            to,
            departed: s.departed,
            arrived: s.arrived,
            // A missing quantity is the whole lot; resolved in `finish` once the lot is known.
            quantity: s.quantity.unwrap_or(Decimal::MIN),
            document,
            customs_control: s.customs_control,
        });
        self
    }

    /// Adds a transformation.
    pub fn add_transformation(&mut self, t: &TransformationInput) -> &mut Self {
        let pos = self.counts[3];
        self.counts[3] += 1;
        let id = self.g.event_ids.push(&t.id);
        let ix = self.g.transformations.len() as u32;
        if t.inputs.is_empty() {
            self.errors.push(err(
                BuildErrorKind::Invalid,
                Some(format!("transformations[{pos}].inputs")),
                vec![t.id.clone()],
                format!("transformation `{}` has no inputs", t.id),
                "list the lots it consumes; a lot nothing produced is a raw lot and needs no transformation"
                    .to_string(),
            ));
        }
        let site = self.site_ref(&t.site, Pending::TransSite(ix));
        let output = self.lot_ref(&t.output, Pending::TransOutput(ix));
        let inputs_start = self.g.inputs.len() as u32;
        for (k, i) in t.inputs.iter().enumerate() {
            self.positive(|| format!("transformations[{pos}].inputs[{k}].quantity"), &i.lot, i.quantity);
            let lot = self.lot_ref(&i.lot, Pending::TransInput(ix, k as u32));
            self.g.inputs.push(Input { lot, quantity: i.quantity, available: NaiveDate::MIN });
        }
        self.g.transformations.push(Transformation {
            id,
            output,
            site,
            date: t.date,
            value_added: t.value_added,
            inputs_start,
            inputs_len: t.inputs.len() as u32,
            operation: t.operation,
        });
        self
    }

    /// Resolves forward references, checks everything, and returns the graph or every error found.
    pub fn finish(mut self) -> Result<ProvenanceGraph, BuildErrors> {
        self.resolve_pending();
        self.duplicate_events();
        let mut errors = std::mem::take(&mut self.errors);
        let mut g = self.g;
        if errors.iter().any(|e| e.kind == BuildErrorKind::DanglingId) {
            // Indexes are incomplete: the remaining checks would only repeat these errors.
            return Err(BuildErrors(errors));
        }
        g.link_outputs(&mut errors);
        g.group_shipments();
        g.group_uses();
        let in_cycle = g.build_graph(&mut errors);
        g.check_ledgers(&mut errors, &in_cycle);
        if errors.is_empty() { Ok(g) } else { Err(BuildErrors(errors)) }
    }

    /// Event ids are checked for duplicates here, all at once, rather than one hash lookup per event.
    fn duplicate_events(&mut self) {
        let dups = self.g.event_ids.duplicates();
        if dups.is_empty() {
            return;
        }
        // Where each event came from: `shipments[k]` or `transformations[k]`.
        let mut path = vec![String::new(); self.g.event_ids.len()];
        for (k, s) in self.g.shipments.iter().enumerate() {
            path[s.id as usize] = format!("shipments[{k}].id");
        }
        for (k, t) in self.g.transformations.iter().enumerate() {
            path[t.id as usize] = format!("transformations[{k}].id");
        }
        for (first, later) in dups {
            let id = self.g.event_ids.get(later).to_string();
            let (p, f) = (path[later as usize].clone(), path[first as usize].clone());
            self.errors.push(err(
                BuildErrorKind::DuplicateId,
                Some(p),
                vec![id.clone()],
                format!("event id `{id}` is used more than once in `shipments` and `transformations` (first at `{f}`)"),
                "give each shipment and transformation its own id".to_string(),
            ));
        }
    }

    fn resolve_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (p, name) in pending {
            let (is_site, found) = match p {
                Pending::LotSite(_) | Pending::ShipFrom(_) | Pending::ShipTo(_) | Pending::TransSite(_) => {
                    (true, self.g.site_ids.find(&name))
                }
                _ => (false, self.g.lot_ids.find(&name)),
            };
            let g = &mut self.g;
            let (referrer, field) = match p {
                Pending::LotSite(l) => (format!("lot `{}`", g.lot_ids.get(l)), "site"),
                Pending::ShipLot(s) => (format!("shipment `{}`", g.event_name(g.shipments[s as usize].id)), "lot"),
                Pending::ShipFrom(s) => (format!("shipment `{}`", g.event_name(g.shipments[s as usize].id)), "from"),
                Pending::ShipTo(s) => (format!("shipment `{}`", g.event_name(g.shipments[s as usize].id)), "to"),
                Pending::TransSite(t) => {
                    (format!("transformation `{}`", g.event_name(g.transformations[t as usize].id)), "site")
                }
                Pending::TransOutput(t) => {
                    (format!("transformation `{}`", g.event_name(g.transformations[t as usize].id)), "output")
                }
                Pending::TransInput(t, _) => {
                    (format!("transformation `{}`", g.event_name(g.transformations[t as usize].id)), "inputs")
                }
            };
            let Some(ix) = found else {
                let (what, list) = if is_site { ("site", "sites") } else { ("lot", "lots") };
                let referrer_id = referrer.split('`').nth(1).unwrap_or_default().to_string();
                self.errors.push(err(
                    BuildErrorKind::DanglingId,
                    None,
                    vec![referrer_id, name.clone()],
                    format!("{referrer} names {what} `{name}` in `{field}`, but no {what} has that id"),
                    format!("add {what} `{name}` to `{list}`, or correct the id"),
                ));
                continue;
            };
            match p {
                Pending::LotSite(l) => g.lots[l as usize].site = ix,
                Pending::ShipLot(s) => g.shipments[s as usize].lot = ix,
                Pending::ShipFrom(s) => g.shipments[s as usize].from = ix,
                Pending::ShipTo(s) => g.shipments[s as usize].to = ix,
                Pending::TransSite(t) => g.transformations[t as usize].site = ix,
                Pending::TransOutput(t) => g.transformations[t as usize].output = ix,
                Pending::TransInput(t, k) => {
                    let start = g.transformations[t as usize].inputs_start;
                    g.inputs[(start + k) as usize].lot = ix;
                }
            }
        }
    }
}

impl ProvenanceGraph {
    /// Builds and checks a whole provenance file.
    pub fn build(input: &ProvenanceInput) -> Result<ProvenanceGraph, BuildErrors> {
        let mut b = GraphBuilder::with_capacity(
            input.sites.len(),
            input.lots.len(),
            input.shipments.len(),
            input.transformations.len(),
        );
        if let Some(t) = input.mass_balance_tolerance {
            b.tolerance(t);
        }
        input.sites.iter().for_each(|s| _ = b.add_site(s));
        input.lots.iter().for_each(|l| _ = b.add_lot(l));
        input.shipments.iter().for_each(|s| _ = b.add_shipment(s));
        input.transformations.iter().for_each(|t| _ = b.add_transformation(t));
        b.finish()
    }

    pub(crate) fn event_name(&self, ix: u32) -> &str {
        self.event_ids.get(ix)
    }

    /// The id of a site.
    pub fn site_id(&self, s: SiteIx) -> &str {
        self.site_ids.get(s.0)
    }

    /// The id of a lot.
    pub fn lot_id(&self, l: LotIx) -> &str {
        self.lot_ids.get(l.0)
    }

    /// The lot with this id.
    pub fn lot(&self, id: &str) -> Option<LotIx> {
        self.lot_ids.find(id).map(LotIx)
    }

    /// The site with this id.
    pub fn site(&self, id: &str) -> Option<SiteIx> {
        self.site_ids.find(id).map(SiteIx)
    }

    /// The lots whose `material` is `material`.
    pub fn lots_of_material(&self, material: &str) -> Vec<LotIx> {
        (0..self.lots.len() as u32)
            .filter(|&l| {
                let m = self.lots[l as usize].material;
                m != NONE && self.texts.get(m) == material
            })
            .map(LotIx)
            .collect()
    }

    /// Number of sites, lots, shipments and transformations.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (self.sites.len(), self.lots.len(), self.shipments.len(), self.transformations.len())
    }

    /// The country of a site.
    pub fn site_country(&self, s: SiteIx) -> Country {
        self.sites[s.0 as usize].country
    }

    /// The lots in an order where every lot comes after all its inputs.
    pub fn topological_order(&self) -> impl Iterator<Item = LotIx> + '_ {
        self.order.iter().map(|&l| LotIx(l))
    }

    /// The petgraph graph: one node per lot (node index = lot index), one edge from a transformation's
    /// output to each of its inputs, weighted with the transformation's index.
    pub fn petgraph(&self) -> &DiGraph<(), u32, u32> {
        &self.graph
    }

    pub(crate) fn ships_of(&self, lot: u32) -> &[u32] {
        let s = self.ship_start[lot as usize] as usize;
        let e = self.ship_start[lot as usize + 1] as usize;
        &self.ship_by_lot[s..e]
    }

    pub(crate) fn uses_of(&self, lot: u32) -> &[u32] {
        let s = self.use_start[lot as usize] as usize;
        let e = self.use_start[lot as usize + 1] as usize;
        &self.use_by_lot[s..e]
    }

    pub(crate) fn inputs_of(&self, t: &Transformation) -> &[Input] {
        let s = t.inputs_start as usize;
        &self.inputs[s..s + t.inputs_len as usize]
    }

    fn link_outputs(&mut self, errors: &mut Vec<BuildError>) {
        for (ti, t) in self.transformations.iter().enumerate() {
            let lot = &mut self.lots[t.output as usize];
            let tid = self.event_ids.get(t.id);
            let lid = self.lot_ids.get(t.output);
            if lot.produced_by != NONE {
                let other = self.event_ids.get(self.transformations[lot.produced_by as usize].id);
                errors.push(err(
                    BuildErrorKind::Invalid,
                    Some(format!("transformations[{ti}].output")),
                    vec![lid.to_string(), other.to_string(), tid.to_string()],
                    format!("lot `{lid}` is the output of both `{other}` and `{tid}`"),
                    "give each transformation its own output lot".to_string(),
                ));
                continue;
            }
            lot.produced_by = ti as u32;
            if lot.site != t.site {
                let (ls, ts) = (self.site_ids.get(lot.site), self.site_ids.get(t.site));
                errors.push(err(
                    BuildErrorKind::Invalid,
                    Some(format!("transformations[{ti}].site")),
                    vec![tid.to_string(), lid.to_string(), ts.to_string(), ls.to_string()],
                    format!("transformation `{tid}` at site `{ts}` produces lot `{lid}`, which the lot says came into being at `{ls}`"),
                    format!("set the `site` of lot `{lid}` to `{ts}`, or the transformation's site to `{ls}`"),
                ));
            }
        }
    }

    fn group_shipments(&mut self) {
        let n = self.lots.len();
        let mut start = vec![0u32; n + 1];
        for s in &self.shipments {
            start[s.lot as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut by = vec![0u32; self.shipments.len()];
        for (i, s) in self.shipments.iter_mut().enumerate() {
            let slot = &mut fill[s.lot as usize];
            by[*slot as usize] = i as u32;
            *slot += 1;
            if s.quantity == Decimal::MIN {
                s.quantity = self.lots[s.lot as usize].quantity;
            }
        }
        drop(fill);
        for l in 0..n {
            let group = &mut by[start[l] as usize..start[l + 1] as usize];
            if group.len() > 1 {
                let ships = &self.shipments;
                group.sort_by_key(|&i| {
                    let s = &ships[i as usize];
                    (s.departed, s.arrived, i)
                });
            }
        }
        self.ship_start = start;
        self.ship_by_lot = by;
    }

    fn group_uses(&mut self) {
        let n = self.lots.len();
        let mut start = vec![0u32; n + 1];
        for i in &self.inputs {
            start[i.lot as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut by = vec![0u32; self.inputs.len()];
        let mut consumer = vec![0u32; self.inputs.len()];
        for (ti, t) in self.transformations.iter().enumerate() {
            for k in t.inputs_start..t.inputs_start + t.inputs_len {
                consumer[k as usize] = ti as u32;
            }
        }
        for (k, i) in self.inputs.iter().enumerate() {
            let slot = &mut fill[i.lot as usize];
            by[*slot as usize] = k as u32;
            *slot += 1;
        }
        self.use_start = start;
        self.use_by_lot = by;
        self.consumer_of_input = consumer;
    }

    fn build_graph(&mut self, errors: &mut Vec<BuildError>) -> Vec<bool> {
        let mut in_cycle = vec![false; self.lots.len()];
        let n = self.lots.len();
        let mut graph = DiGraph::<(), u32, u32>::with_capacity(n, self.inputs.len());
        for _ in 0..n {
            graph.add_node(());
        }
        for (ti, t) in self.transformations.iter().enumerate() {
            for i in self.inputs_of(t) {
                graph.add_edge(NodeIndex::new(t.output as usize), NodeIndex::new(i.lot as usize), ti as u32);
            }
        }
        // Edges point from output to input, so Tarjan emits every lot after all its inputs.
        let mut order = Vec::with_capacity(n);
        let mut cycles: Vec<Vec<u32>> = Vec::new();
        TarjanScc::new().run(&graph, |scc: &[NodeIndex<u32>]| {
            if scc.len() == 1 {
                let l = scc[0];
                if graph.find_edge(l, l).is_none() {
                    order.push(l.index() as u32);
                    return;
                }
            }
            cycles.push(scc.iter().map(|l| l.index() as u32).collect());
        });
        for mut cycle in cycles {
            cycle.iter().for_each(|&l| in_cycle[l as usize] = true);
            cycle.sort_by(|a, b| self.lot_ids.get(*a).cmp(self.lot_ids.get(*b)));
            let mut events: Vec<&str> = Vec::new();
            for &l in &cycle {
                for e in graph.edges(NodeIndex::new(l as usize)) {
                    if cycle.contains(&(e.target().index() as u32)) {
                        let id = self.event_ids.get(self.transformations[*e.weight() as usize].id);
                        if !events.contains(&id) {
                            events.push(id);
                        }
                    }
                }
            }
            events.sort_unstable();
            let lots: Vec<&str> = cycle.iter().map(|&l| self.lot_ids.get(l)).collect();
            let mut ids: Vec<String> = lots.iter().map(|s| s.to_string()).collect();
            ids.extend(events.iter().map(|s| s.to_string()));
            errors.push(err(
                BuildErrorKind::Cycle,
                None,
                ids,
                format!(
                    "cycle: {} {} {} own ancestor through transformation{} {}",
                    if lots.len() == 1 { "lot" } else { "lots" },
                    backticked(&lots),
                    if lots.len() == 1 { "is its" } else { "are each their" },
                    if events.len() == 1 { "" } else { "s" },
                    backticked(&events),
                ),
                "a lot cannot be an input of its own production; check the `inputs` and `output` of these transformations".to_string(),
            ));
        }
        self.graph = graph;
        self.order = order;
        in_cycle
    }

    fn check_ledgers(&mut self, errors: &mut Vec<BuildError>, in_cycle: &[bool]) {
        let one = Decimal::ONE;
        let factor = one + self.tolerance.value() / Decimal::ONE_HUNDRED;
        // Per lot: the sites it reached, with what arrived, what left and when it first got there.
        let mut ledger: Vec<(u32, Decimal, Decimal, NaiveDate)> = Vec::new();
        let mut available = vec![NaiveDate::MIN; self.inputs.len()];
        for l in 0..self.lots.len() as u32 {
            let lot = &self.lots[l as usize];
            ledger.clear();
            ledger.push((lot.site, lot.quantity, Decimal::ZERO, lot.date));
            if lot.produced_by != NONE && !in_cycle[l as usize] {
                let t = &self.transformations[lot.produced_by as usize];
                let (lid, tid) = (self.lot_ids.get(l), self.event_ids.get(t.id));
                if lot.date < t.date {
                    errors.push(err(
                        BuildErrorKind::TimeTravel,
                        None,
                        vec![lid.to_string(), tid.to_string()],
                        format!(
                            "lot `{lid}` is dated `{}`, before transformation `{tid}` produced it on `{}`",
                            lot.date, t.date
                        ),
                        "date the output lot on or after its transformation".to_string(),
                    ));
                }
            }

            let ships = self.ships_of(l);
            for &si in ships {
                let s = &self.shipments[si as usize];
                if s.arrived < s.departed {
                    let (sid, lid) = (self.event_ids.get(s.id), self.lot_ids.get(l));
                    errors.push(err(
                        BuildErrorKind::TimeTravel,
                        None,
                        vec![sid.to_string(), lid.to_string()],
                        format!(
                            "shipment `{sid}` of lot `{lid}` arrives on `{}`, before it departs on `{}`",
                            s.arrived, s.departed
                        ),
                        "correct the dates from the transport document".to_string(),
                    ));
                }
                match ledger.iter_mut().find(|e| e.0 == s.to) {
                    Some(e) => {
                        e.1 += s.quantity;
                        e.3 = e.3.min(s.arrived);
                    }
                    None => ledger.push((s.to, s.quantity, Decimal::ZERO, s.arrived)),
                }
            }
            for &si in ships {
                let s = &self.shipments[si as usize];
                let (sid, lid) = (self.event_ids.get(s.id), self.lot_ids.get(l));
                let from = self.site_ids.get(s.from);
                match ledger.iter_mut().find(|e| e.0 == s.from) {
                    None => errors.push(err(
                        BuildErrorKind::MassBalance,
                        None,
                        vec![sid.to_string(), lid.to_string(), from.to_string()],
                        format!("shipment `{sid}` takes lot `{lid}` from site `{from}`, where the lot never was"),
                        format!("add the shipment that brought `{lid}` to `{from}`, or correct `from`"),
                    )),
                    Some(e) => {
                        e.2 += s.quantity;
                        if s.departed < e.3 {
                            errors.push(err(
                                BuildErrorKind::TimeTravel,
                                None,
                                vec![sid.to_string(), lid.to_string(), from.to_string()],
                                format!("shipment `{sid}` takes lot `{lid}` from site `{from}` on `{}`, before the lot got there on `{}`", s.departed, e.3),
                                "correct the dates, or the shipment that brings the lot to that site".to_string(),
                            ));
                        }
                    }
                }
            }
            for &k in self.uses_of(l) {
                let input = &self.inputs[k as usize];
                let t = &self.transformations[self.consumer_of_input[k as usize] as usize];
                let (tid, lid, site) = (self.event_ids.get(t.id), self.lot_ids.get(l), self.site_ids.get(t.site));
                match ledger.iter_mut().find(|e| e.0 == t.site) {
                    None => errors.push(err(
                        BuildErrorKind::MassBalance,
                        None,
                        vec![tid.to_string(), lid.to_string(), site.to_string()],
                        format!(
                            "transformation `{tid}` at site `{site}` consumes lot `{lid}`, which never reached `{site}`"
                        ),
                        format!("add the shipment that brought `{lid}` to `{site}`, or correct the input"),
                    )),
                    Some(e) => {
                        e.2 += input.quantity;
                        available[k as usize] = e.3;
                        // Inside a cycle the dates cannot be consistent; the cycle error says why.
                        if t.date < e.3 && !(in_cycle[l as usize] && in_cycle[t.output as usize]) {
                            errors.push(err(
                                BuildErrorKind::TimeTravel,
                                None,
                                vec![tid.to_string(), lid.to_string(), site.to_string()],
                                format!("transformation `{tid}` on `{}` consumes lot `{lid}`, which reached site `{site}` only on `{}`", t.date, e.3),
                                "correct the transformation date or the arrival date of the input".to_string(),
                            ));
                        }
                    }
                }
            }
            for e in &ledger {
                if e.2 > e.1 && e.2 > e.1 * factor {
                    let (lid, site) = (self.lot_ids.get(l), self.site_ids.get(e.0));
                    let unit = self.units.get(lot.unit);
                    let mut ids = vec![lid.to_string(), site.to_string()];
                    for &si in ships {
                        let s = &self.shipments[si as usize];
                        if s.from == e.0 {
                            ids.push(self.event_ids.get(s.id).to_string());
                        }
                    }
                    for &k in self.uses_of(l) {
                        let t = &self.transformations[self.consumer_of_input[k as usize] as usize];
                        if t.site == e.0 {
                            ids.push(self.event_ids.get(t.id).to_string());
                        }
                    }
                    let takers: Vec<&str> = ids[2..].iter().map(String::as_str).collect();
                    errors.push(err(
                        BuildErrorKind::MassBalance,
                        None,
                        ids.clone(),
                        format!(
                            "mass balance: {} {unit} of lot `{lid}` left site `{site}` ({}), but only {} {unit} arrived or was produced there (tolerance {})",
                            e.2.normalize(),
                            backticked(&takers),
                            e.1.normalize(),
                            self.tolerance
                        ),
                        "correct the quantities, or add the lot or shipment that supplied the difference".to_string(),
                    ));
                }
            }
        }
        for (i, a) in self.inputs.iter_mut().zip(available) {
            i.available = a;
        }
    }
}

pub(crate) fn backticked(ids: &[&str]) -> String {
    ids.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-record sizes the memory budget (300 bytes per event) is built on.
    #[test]
    fn records_stay_compact() {
        assert!(size_of::<Lot>() <= 72, "{}", size_of::<Lot>());
        assert!(size_of::<Shipment>() <= 52, "{}", size_of::<Shipment>());
        assert!(size_of::<Transformation>() <= 52, "{}", size_of::<Transformation>());
        assert!(size_of::<Input>() <= 24, "{}", size_of::<Input>());
    }
}
