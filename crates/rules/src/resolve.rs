//! Raw files -> typed [`RuleSet`], checking every value and collecting every problem.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use origin_core::{Country, Currency, Decimal, HsLevel, HsRange, HsSet, Percent};

use crate::diag::Diagnostic;
use crate::kinds::{Kind, KindVocabulary};
use crate::load::{ChapterInput, FileCtx};
use crate::model::*;
use crate::nomenclature::{Correlation, Nomenclature};
use crate::raw::*;

/// The operations the provenance graph knows (its closed vocabulary).
pub const KNOWN_OPERATIONS: [&str; 23] = [
    "melting-and-pouring",
    "casting",
    "forging",
    "rolling",
    "drawing",
    "stamping",
    "machining",
    "heat-treatment",
    "welding",
    "moulding",
    "chemical-reaction",
    "weaving",
    "cutting-and-sewing",
    "assembly",
    "simple-assembly",
    "painting",
    "labelling",
    "relabelling",
    "repacking",
    "sorting",
    "splitting",
    "dilution",
    "testing",
];

/// Carries state across files: ids seen, source ids, pack dates.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    sources: Vec<String>,
    /// pack.yaml could not be read: source ids cannot be checked.
    sources_unknown: bool,
    ids: HashMap<String, (std::path::PathBuf, String)>,
    /// The declared kinds (`kinds.yaml`).
    kinds: KindVocabulary,
    /// `kinds.yaml` exists but could not be read: kinds cannot be checked (its error is reported).
    pub kinds_unreadable: bool,
}

type Pair<T> = Option<(T, FileCtx)>;

impl Resolver {
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        &mut self,
        pack: Pair<RawPack>,
        general: Pair<RawGeneral>,
        groups: Pair<RawCountryGroups>,
        auto: Pair<RawAutomotive>,
        policy: Pair<RawTransformationPolicy>,
        kinds: Pair<RawKinds>,
        chapters: Vec<ChapterInput>,
        nomenclature: Option<(Nomenclature, Option<Correlation>)>,
        d: &mut Vec<Diagnostic>,
    ) -> Option<RuleSet> {
        // A bad pack.yaml is reported by the loader; keep checking the other files with stand-in
        // metadata so their problems are reported too, and return no rule set at the end.
        let pack_ok = pack.is_some();
        let (meta, sources) = match pack {
            Some((p, ctx)) => self.pack(p, &ctx, d),
            None => {
                self.sources_unknown = true;
                let meta = PackMeta {
                    id: String::new(),
                    agreement: String::new(),
                    version: String::new(),
                    hs_vintage: String::new(),
                    effective_from: NaiveDate::MIN,
                    effective_to: None,
                };
                (meta, Vec::new())
            }
        };
        if let Some((k, ctx)) = kinds {
            self.kinds(k, &ctx, d);
        }
        let general = general.and_then(|(g, ctx)| self.general(g, &ctx, d));
        let country_groups = groups.map(|(g, ctx)| self.groups(g, &ctx, d)).unwrap_or_default();
        let automotive = auto.and_then(|(a, ctx)| self.automotive(a, &ctx, d));
        let policy = policy.and_then(|(p, ctx)| self.policy(p, &ctx, &country_groups, d));

        let mut rules = Vec::new();
        let mut chapter_rules = Vec::new();
        let mut chapter_numbers = Vec::new();
        for ch in chapters {
            chapter_numbers.push(ch.file.chapter);
            if !(1..=97).contains(&ch.file.chapter) {
                d.push(
                    ch.ctx
                        .error("bad-chapter", "chapter", format!("chapter `{}` does not exist", ch.file.chapter))
                        .help("HS chapters run from 1 to 97"),
                );
            }
            for (raw, i) in ch.file.chapter_rules.into_iter().zip(ch.chapter_rule_indexes) {
                let path = format!("chapter_rules[{i}]");
                self.id(&raw.id, &ch.ctx, &path, d);
                let citation = self.citation(&raw.citation, &ch.ctx, &format!("{path}.citation"), d);
                chapter_rules.push(ChapterRule {
                    id: raw.id,
                    chapter: ch.file.chapter,
                    citation,
                    review: review(raw.review),
                    text: raw.text,
                });
            }
            for (raw, i) in ch.file.rules.into_iter().zip(ch.rule_indexes) {
                if let Some(rule) = self.rule(raw, i, ch.file.chapter, &ch.ctx, &meta, d) {
                    rules.push(rule);
                }
            }
        }
        check_overlaps(&rules, d);
        if !pack_ok {
            return None;
        }
        let (nomenclature, correlation) = nomenclature?;

        Some(RuleSet {
            pack: meta,
            sources,
            general: general?,
            country_groups,
            automotive: automotive?,
            transformation_policy: policy?,
            chapter_rules,
            rules,
            chapters: chapter_numbers,
            kinds: std::mem::take(&mut self.kinds),
            nomenclature,
            correlation,
        })
    }

    fn pack(&mut self, p: RawPack, ctx: &FileCtx, d: &mut Vec<Diagnostic>) -> (PackMeta, Vec<Source>) {
        dates(p.effective_from, p.effective_to, ctx, "", d);
        let mut sources = Vec::new();
        for (i, s) in p.sources.into_iter().enumerate() {
            if self.sources.contains(&s.id) {
                d.push(ctx.error(
                    "duplicate-id",
                    &format!("sources[{i}].id"),
                    format!("source id `{}` is used twice", s.id),
                ));
            }
            self.sources.push(s.id.clone());
            sources.push(Source { id: s.id, title: s.title, url: s.url, note: s.note });
        }
        let meta = PackMeta {
            id: p.id,
            agreement: p.agreement,
            version: p.version,
            hs_vintage: p.hs_vintage,
            effective_from: p.effective_from,
            effective_to: p.effective_to,
        };
        (meta, sources)
    }

    /// `kinds.yaml`: every spelling maps onto one kind, and every kind cites the text that names it.
    fn kinds(&mut self, k: RawKinds, ctx: &FileCtx, d: &mut Vec<Diagnostic>) {
        for (i, raw) in k.kinds.into_iter().enumerate() {
            let path = format!("kinds[{i}]");
            if raw.name.trim().is_empty() {
                d.push(
                    ctx.error("bad-value", &format!("{path}.name"), "the kind's name is empty").help(
                        "write the description as the legal text prints it, such as `printed circuit assemblies`",
                    ),
                );
                continue;
            }
            let citation = raw.citation.as_ref().map(|c| self.citation(c, ctx, &format!("{path}.citation"), d));
            if citation.is_none() && raw.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                d.push(ctx.error("missing-citation", &path, format!("kind `{}` has neither a citation nor a note", raw.name))
                    .help("cite where the legal text names the kind; for a description the law does not print, say in `note` why it is declared"));
            }
            let spellings: Vec<String> = std::iter::once(raw.name.clone()).chain(raw.aliases.iter().cloned()).collect();
            let clashes = self.kinds.declare(Kind {
                name: raw.name.trim().to_string(),
                aliases: raw.aliases.iter().map(|a| a.trim().to_string()).collect(),
                citation,
                note: raw.note,
            });
            for (spelling, other) in clashes {
                let at = match spellings.iter().position(|s| *s == spelling) {
                    Some(0) | None => format!("{path}.name"),
                    Some(j) => format!("{path}.aliases[{}]", j - 1),
                };
                d.push(
                    ctx.error("ambiguous-kind", &at, format!("`{spelling}` already names the kind `{other}`")).help(
                        "one spelling names one kind (case, hyphens and quotes do not count): remove it here or there",
                    ),
                );
            }
        }
    }

    /// The check of kinds written in rules, or `None` when `kinds.yaml` could not be read.
    fn kind_check(&self) -> Option<&KindVocabulary> {
        (!self.kinds_unreadable).then_some(&self.kinds)
    }

    fn id(&mut self, id: &str, ctx: &FileCtx, path: &str, d: &mut Vec<Diagnostic>) {
        let p = format!("{path}.id");
        if id.trim().is_empty() {
            d.push(
                ctx.error("missing-id", &p, "the id is empty")
                    .help("give every entry a unique id such as `gn11-85-027`"),
            );
            return;
        }
        if let Some((file, other)) = self.ids.get(id) {
            let line = ctx.pos(&p);
            d.push(
                ctx.error("duplicate-id", &p, format!("id `{id}` is used twice"))
                    .help(format!(
                        "the first use is in `{}` at `{other}`; ids must be unique in the pack",
                        file.display()
                    ))
                    .at(line),
            );
        } else {
            self.ids.insert(id.to_string(), (ctx.rel.clone(), p));
        }
    }

    fn citation(&self, c: &RawCitation, ctx: &FileCtx, path: &str, d: &mut Vec<Diagnostic>) -> Citation {
        if !self.sources_unknown && !self.sources.contains(&c.source) {
            d.push(
                ctx.error(
                    "unknown-source",
                    &format!("{path}.source"),
                    format!("source `{}` is not declared in pack.yaml", c.source),
                )
                .help(format!("use one of: {}", self.sources.join(", "))),
            );
        }
        if c.reference.trim().is_empty() {
            d.push(
                ctx.error("missing-citation", &format!("{path}.ref"), "the citation's `ref` is empty")
                    .help("say where in the source the text is, such as `GN 11(o), chapter 85, rule 27`"),
            );
        }
        Citation { source: c.source.clone(), reference: c.reference.clone(), page: c.page, url: c.url.clone() }
    }

    fn provision(
        &self,
        citation: &RawCitation,
        review_: RawReview,
        text: &Option<String>,
        ctx: &FileCtx,
        path: &str,
        d: &mut Vec<Diagnostic>,
    ) -> Provision {
        let sep = if path.is_empty() { "" } else { "." };
        Provision {
            citation: self.citation(citation, ctx, &format!("{path}{sep}citation"), d),
            review: review(review_),
            text: text.clone(),
        }
    }

    fn rule(
        &mut self,
        raw: RawRule,
        index: usize,
        chapter: u8,
        ctx: &FileCtx,
        meta: &PackMeta,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Rule> {
        let path = format!("rules[{index}]");
        let key = raw.hs.join(", ");
        let at = |diag: Diagnostic| diag.hs(key.clone());
        let before = d.iter().filter(|x| x.severity == crate::Severity::Error).count();

        self.id(&raw.id, ctx, &path, d);
        if raw.hs.is_empty() {
            d.push(at(ctx
                .error("missing-hs", &format!("{path}.hs"), "the rule names no HS code")
                .help("list the codes the rule covers, such as `hs: [\"8510.10-8510.30\"]`")));
        }
        let hs = hs_set(&raw.hs, ctx, &format!("{path}.hs"), &key, d);
        for (i, r) in hs.0.iter().enumerate() {
            if r.start().chapter() != chapter || r.end().chapter() != chapter {
                d.push(at(ctx
                    .warning(
                        "hs-outside-chapter",
                        &format!("{path}.hs[{i}]"),
                        format!("`{r}` is not in chapter {chapter}, the chapter of this file"),
                    )
                    .help("move the rule to the file of its chapter")));
            }
        }
        let mut uses = Vec::new();
        if let Some(us) = &raw.uses {
            if us.is_empty() {
                d.push(at(ctx
                    .error("bad-use", &format!("{path}.use"), "`use` is an empty list")
                    .help("remove `use` for a rule that covers every use")));
            }
            for (i, u) in us.iter().enumerate() {
                match VehicleUse::parse(u) {
                    Some(v) => uses.push(v),
                    None => d.push(at(ctx
                        .error("bad-use", &format!("{path}.use[{i}]"), format!("`{u}` is not a use"))
                        .help("write `passenger-vehicle`, `light-truck`, `heavy-truck` or `other`"))),
                }
            }
        }
        let good_kind =
            kind_qualifier(&raw.good_kind, &raw.good_kind_other_than, self.kind_check(), ctx, &path, &key, d);
        let trade = trade_scope(raw.trade.as_ref(), ctx, &path, &key, d);
        let from = raw.effective_from.unwrap_or(meta.effective_from);
        let to = raw.effective_to.or(meta.effective_to);
        dates(from, to, ctx, &path, d);
        let mvp = match raw.motor_vehicle_provisions.as_deref() {
            None | Some("unknown") => None,
            Some("applies") => Some(true),
            Some(other) => {
                d.push(at(ctx.error(
                    "bad-value",
                    &format!("{path}.motor_vehicle_provisions"),
                    format!("`{other}` is not `applies` or `unknown`"),
                )));
                None
            }
        };
        let citation = match &raw.citation {
            Some(c) => self.citation(c, ctx, &format!("{path}.citation"), d),
            None => {
                d.push(at(ctx
                    .error("missing-citation", &path, "the rule has no citation")
                    .help("add `citation: { source: gn11, ref: \"GN 11(o), chapter NN, rule N\" }`")));
                Citation { source: String::new(), reference: String::new(), page: None, url: None }
            }
        };
        let text = raw.text.clone().unwrap_or_default();
        if text.trim().is_empty() {
            d.push(at(ctx
                .error("missing-text", &path, "the rule has no verbatim legal text")
                .help("add `text: |` with the rule exactly as the legal text prints it")));
        }
        let review = review(raw.review);
        if review == Review::Incomplete && raw.missing.is_none() {
            d.push(at(ctx
                .warning(
                    "incomplete-without-missing",
                    &format!("{path}.review"),
                    "the rule is `incomplete` but does not say what is missing",
                )
                .help("add `missing:` naming what the copy does not show")));
        }
        if raw.alternatives.is_empty() {
            d.push(at(ctx
                .error("no-alternatives", &format!("{path}.alternatives"), "the rule has no alternatives")
                .help("a rule needs at least one alternative: a `shift`, `no_change_required: true` or `conditions`")));
        }
        let mut alternatives = Vec::new();
        for (i, a) in raw.alternatives.iter().enumerate() {
            let apath = format!("{path}.alternatives[{i}]");
            let mut alt = alternative(a, self.kind_check(), ctx, &apath, &key, d);
            alt.hs = alternative_codes(&a.hs, &hs, ctx, &format!("{apath}.hs"), &key, d);
            alternatives.push(alt);
        }
        let after = d.iter().filter(|x| x.severity == crate::Severity::Error).count();
        if after > before {
            return None;
        }
        Some(Rule {
            id: raw.id,
            hs,
            uses,
            good_kind,
            trade,
            effective_from: from,
            effective_to: to,
            motor_vehicle_provisions: mvp,
            citation,
            review,
            preamble: raw.preamble,
            text,
            alternatives,
            missing: raw.missing,
            note: raw.note,
            file: ctx.rel.clone(),
            line: ctx.pos(&path).map(|p| p.line),
        })
    }

    fn general(&mut self, g: RawGeneral, ctx: &FileCtx, d: &mut Vec<Diagnostic>) -> Option<General> {
        for (i, m) in g.rvc.methods.iter().enumerate() {
            if m != "transaction-value" && m != "net-cost" {
                d.push(
                    ctx.error("bad-value", &format!("rvc.methods[{i}]"), format!("`{m}` is not an RVC method"))
                        .help("write `transaction-value` or `net-cost`"),
                );
            }
        }
        if g.rvc.comparison != "not-less-than" {
            d.push(
                ctx.error(
                    "bad-value",
                    "rvc.comparison",
                    format!("`{}` is not a supported comparison", g.rvc.comparison),
                )
                .help("the USMCA thresholds read \"not less than\": write `not-less-than`"),
            );
        }
        let oc = &g.origin_criteria;
        let origin_criteria = OriginCriteria {
            criterion_d: RvcRequirement {
                tv: Some(percent(oc.criterion_d_tv, ctx, "origin_criteria.criterion_d_tv", d)),
                nc: Some(percent(oc.criterion_d_nc, ctx, "origin_criteria.criterion_d_nc", d)),
            },
            criterion_d_excluded_chapters: oc.criterion_d_excluded_chapters.clone(),
            provision: self.provision(&oc.citation, oc.review, &oc.text, ctx, "origin_criteria", d),
        };
        let indirect_materials = g
            .indirect_materials
            .as_ref()
            .map(|p| self.provision(&p.citation, p.review, &p.text, ctx, "indirect_materials", d));
        let opt_provision = |p: &Option<RawProvision>, path: &str, d: &mut Vec<Diagnostic>| {
            p.as_ref().map(|p| self.provision(&p.citation, p.review, &p.text, ctx, path, d))
        };
        let accessories = opt_provision(&g.accessories, "accessories", d);
        let retail_packaging = opt_provision(&g.retail_packaging, "retail_packaging", d);
        let packing_materials = opt_provision(&g.packing_materials, "packing_materials", d);
        let rvc = RvcGeneral {
            net_cost_only_when_rule_has_no_tv: g.rvc.net_cost_only_when_rule_has_no_tv,
            provision: self.provision(&g.rvc.citation, g.rvc.review, &g.rvc.text, ctx, "rvc", d),
        };
        let dm = &g.de_minimis;
        let value_share = percent(dm.value_share, ctx, "de_minimis.value_share", d);
        let mut bases = Vec::new();
        for (i, b) in dm.bases.iter().enumerate() {
            match b.as_str() {
                "adjusted-transaction-value" => bases.push(DeMinimisBasis::AdjustedTransactionValue),
                "total-cost" => bases.push(DeMinimisBasis::TotalCost),
                other => d.push(
                    ctx.error(
                        "bad-value",
                        &format!("de_minimis.bases[{i}]"),
                        format!("`{other}` is not a de minimis basis"),
                    )
                    .help("write `adjusted-transaction-value` or `total-cost`"),
                ),
            }
        }
        let mut exclusions = Vec::new();
        for (i, x) in dm.exclusions.iter().enumerate() {
            let p = format!("de_minimis.exclusions[{i}]");
            self.id(&x.id, ctx, &p, d);
            exclusions.push(DeMinimisExclusion {
                id: x.id.clone(),
                materials: x
                    .materials
                    .iter()
                    .enumerate()
                    .map(|(j, m)| material_spec(m, self.kind_check(), ctx, &format!("{p}.materials[{j}]"), "", d))
                    .collect(),
                goods: hs_set(&x.goods, ctx, &format!("{p}.goods"), "", d),
                provision: self.provision(&x.citation, x.review, &x.text, ctx, &p, d),
            });
        }
        let ch127 = dm.chapters_1_to_27_different_subheading_only.as_ref().map(|p| {
            self.provision(
                &p.citation,
                p.review,
                &p.text,
                ctx,
                "de_minimis.chapters_1_to_27_different_subheading_only",
                d,
            )
        });
        let textiles = dm.textiles.as_ref().map(|t| TextileDeMinimis {
            chapters_50_60_and_9619_weight_share: percent(
                t.chapters_50_60_and_9619_weight_share,
                ctx,
                "de_minimis.textiles.chapters_50_60_and_9619_weight_share",
                d,
            ),
            chapters_61_63_component_weight_share: percent(
                t.chapters_61_63_component_weight_share,
                ctx,
                "de_minimis.textiles.chapters_61_63_component_weight_share",
                d,
            ),
            elastomeric_yarn_cap: percent(t.elastomeric_yarn_cap, ctx, "de_minimis.textiles.elastomeric_yarn_cap", d),
            provision: self.provision(&t.citation, t.review, &t.text, ctx, "de_minimis.textiles", d),
        });
        let de_minimis = DeMinimis {
            value_share,
            bases,
            provision: self.provision(&dm.citation, dm.review, &dm.text, ctx, "de_minimis", d),
            exclusions,
            chapters_1_to_27_different_subheading_only: ch127,
            textiles,
        };
        let sets = g.sets.as_ref().map(|s| {
            (
                percent(s.value_share, ctx, "sets.value_share", d),
                self.provision(&s.citation, s.review, &s.text, ctx, "sets", d),
            )
        });
        let mut ops = Vec::new();
        for (i, o) in g.non_qualifying_operations.iter().enumerate() {
            let p = format!("non_qualifying_operations[{i}]");
            self.id(&o.id, ctx, &p, d);
            ops.push(NonQualifyingOperation {
                id: o.id.clone(),
                description: o.description.clone(),
                provision: self.provision(&o.citation, o.review, &o.text, ctx, &p, d),
            });
        }
        let transit = g.transit.as_ref().map(|t| Transit {
            allowed_operations: t.allowed_operations.clone(),
            customs_control_required: t.customs_control_required,
            provision: self.provision(&t.citation, t.review, &t.text, ctx, "transit", d),
        });
        let mut waivers = Vec::new();
        for (i, w) in g.low_value_waiver.iter().enumerate() {
            let p = format!("low_value_waiver[{i}]");
            let party = Country::parse(&w.importing_party).map_err(|e| {
                d.push(ctx.error("bad-country", &format!("{p}.importing_party"), e.to_string()));
            });
            let currency = Currency::parse(&w.currency).map_err(|e| {
                d.push(ctx.error("bad-currency", &format!("{p}.currency"), e.to_string()));
            });
            if w.max_value < Decimal::ZERO {
                d.push(ctx.error("bad-value", &format!("{p}.max_value"), "the waiver amount is negative"));
            }
            let provision = self.provision(&w.citation, w.review, &w.text, ctx, &p, d);
            if let (Ok(importing_party), Ok(currency)) = (party, currency) {
                waivers.push(LowValueWaiver { importing_party, max_value: w.max_value, currency, provision });
            }
        }
        let deemed_originating = g.deemed_originating.as_ref().and_then(|x| {
            let p = "deemed_originating";
            let importing = Country::parse(&x.importing_party)
                .map_err(|e| d.push(ctx.error("bad-country", &format!("{p}.importing_party"), e.to_string())))
                .ok();
            let mut from_parties = Vec::new();
            for (i, c) in x.from_parties.iter().enumerate() {
                match Country::parse(c) {
                    Ok(c) => from_parties.push(c),
                    Err(e) => d.push(ctx.error("bad-country", &format!("{p}.from_parties[{i}]"), e.to_string())),
                }
            }
            let goods: Vec<(String, HsSet)> = x
                .goods
                .iter()
                .enumerate()
                .map(|(i, gd)| (gd.name.clone(), hs_set(&gd.hs, ctx, &format!("{p}.goods[{i}].hs"), "", d)))
                .collect();
            let certificate_criterion = match x.certificate_criterion.as_deref() {
                None => None,
                Some(c @ ("A" | "B" | "C" | "D")) => c.chars().next(),
                Some(other) => {
                    d.push(
                        ctx.error(
                            "bad-value",
                            &format!("{p}.certificate_criterion"),
                            format!("`{other}` is not an origin criterion"),
                        )
                        .help("write A, B, C or D, or leave it out (no certificate draft)"),
                    );
                    None
                }
            };
            let provision = self.provision(&x.citation, x.review, &x.text, ctx, p, d);
            importing.map(|importing_party| DeemedOriginating {
                importing_party,
                from_parties,
                goods,
                certificate_criterion,
                certificate_note: x.certificate_note.clone(),
                missing: x.missing.clone(),
                unread_part_may_cover: hs_set(
                    &x.unread_part_may_cover,
                    ctx,
                    &format!("{p}.unread_part_may_cover"),
                    "",
                    d,
                ),
                provision,
            })
        });
        Some(General {
            origin_criteria,
            deemed_originating,
            indirect_materials,
            accessories,
            retail_packaging,
            packing_materials,
            rvc,
            de_minimis,
            sets,
            non_qualifying_operations: ops,
            transit,
            low_value_waiver: waivers,
            not_encoded: g.not_encoded.into_iter().map(|n| NotEncoded { what: n.what, why: n.why }).collect(),
        })
    }

    fn groups(
        &mut self,
        g: RawCountryGroups,
        ctx: &FileCtx,
        d: &mut Vec<Diagnostic>,
    ) -> BTreeMap<String, CountryGroup> {
        let mut out = BTreeMap::new();
        for (i, grp) in g.groups.into_iter().enumerate() {
            let p = format!("groups[{i}]");
            self.id(&grp.id, ctx, &p, d);
            let mut countries = Vec::new();
            for (j, c) in grp.countries.iter().enumerate() {
                match Country::parse(c) {
                    Ok(c) => countries.push(c),
                    Err(e) => d.push(ctx.error("bad-country", &format!("{p}.countries[{j}]"), e.to_string())),
                }
            }
            if countries.is_empty() {
                d.push(ctx.warning(
                    "empty-group",
                    &format!("{p}.countries"),
                    format!("group `{}` has no countries", grp.id),
                ));
            }
            let citation = self.citation(&grp.citation, ctx, &format!("{p}.citation"), d);
            out.insert(grp.id.clone(), CountryGroup { id: grp.id, name: grp.name, countries, citation });
        }
        out
    }

    fn automotive(&mut self, a: RawAutomotive, ctx: &FileCtx, d: &mut Vec<Diagnostic>) -> Option<Automotive> {
        let r = &a.core_part_rollup;
        let mode = match r.mode.as_str() {
            "full-value" => RollupMode::FullValue,
            "actual-value" => RollupMode::ActualValue,
            "unknown" => RollupMode::Unknown,
            other => {
                d.push(
                    ctx.error("bad-value", "core_part_rollup.mode", format!("`{other}` is not a roll-up mode"))
                        .help("write `full-value`, `actual-value` or `unknown`"),
                );
                RollupMode::Unknown
            }
        };
        let rollup_provision = self.provision(&r.citation, r.review, &r.text, ctx, "core_part_rollup", d);
        let mut tables = Vec::new();
        for (i, t) in a.staging_tables.iter().enumerate() {
            let p = format!("staging_tables[{i}]");
            self.id(&t.id, ctx, &p, d);
            let Some(category) = StagingCategory::parse(&t.category) else {
                d.push(
                    ctx.error(
                        "bad-value",
                        &format!("{p}.category"),
                        format!("`{}` is not a staging category", t.category),
                    )
                    .help("see docs/rules-format.md for the categories (pv-lt-core-part, heavy-truck, ...)"),
                );
                continue;
            };
            let mut steps = Vec::new();
            let mut last: Option<NaiveDate> = None;
            for (j, s) in t.steps.iter().enumerate() {
                let sp = format!("{p}.steps[{j}]");
                if last.is_some_and(|l| s.from <= l) {
                    d.push(
                        ctx.error(
                            "steps-out-of-order",
                            &format!("{sp}.from"),
                            format!("step starting `{}` is not after the step before it", s.from),
                        )
                        .help("list the steps in date order, earliest first"),
                    );
                }
                last = Some(s.from);
                if s.tv_not_retrieved && s.tv.is_some() {
                    d.push(
                        ctx.error(
                            "bad-value",
                            &format!("{sp}.tv_not_retrieved"),
                            "the step gives a TV figure and says it was not retrieved",
                        )
                        .help("keep `tv` if the figure was read, or `tv_not_retrieved: true` if it was not"),
                    );
                }
                steps.push(StagingStep {
                    from: s.from,
                    nc: percent(s.nc, ctx, &format!("{sp}.nc"), d),
                    tv: s.tv.map(|v| percent(v, ctx, &format!("{sp}.tv"), d)),
                    tv_not_retrieved: s.tv_not_retrieved,
                });
            }
            if steps.is_empty() {
                d.push(ctx.error("no-steps", &format!("{p}.steps"), "the staging table has no steps"));
            }
            let applies_to = match t.applies_to.as_deref() {
                None | Some("rvc-alternatives") => StagingScope::RvcAlternatives,
                Some("every-alternative") => StagingScope::EveryAlternative,
                Some("unknown") => StagingScope::Unknown,
                Some(other) => {
                    d.push(
                        ctx.error("bad-value", &format!("{p}.applies_to"), format!("`{other}` is not a staging scope"))
                            .help("write `rvc-alternatives`, `every-alternative` or `unknown`"),
                    );
                    StagingScope::RvcAlternatives
                }
            };
            let every_alternative_hs =
                hs_set(&t.every_alternative_hs, ctx, &format!("{p}.every_alternative_hs"), "", d);
            tables.push(StagingTable {
                id: t.id.clone(),
                category,
                description: t.description.clone(),
                steps,
                steps_known_until: t.steps_known_until,
                missing: t.missing.clone(),
                applies_to,
                hs: hs_set(&t.hs, ctx, &format!("{p}.hs"), "", d),
                every_alternative_hs,
                provision: self.provision(&t.citation, t.review, &t.text, ctx, &p, d),
            });
        }
        let mut lvc = Vec::new();
        for (i, l) in a.labor_value_content.iter().enumerate() {
            let p = format!("labor_value_content[{i}]");
            let Some(vehicle) = VehicleUse::parse(&l.vehicle) else {
                d.push(
                    ctx.error("bad-use", &format!("{p}.vehicle"), format!("`{}` is not a vehicle", l.vehicle))
                        .help("write `passenger-vehicle`, `light-truck` or `heavy-truck`"),
                );
                continue;
            };
            let opt = |v: Option<Decimal>, k: &str, d: &mut Vec<Diagnostic>| {
                v.map(|v| percent(v, ctx, &format!("{p}.{k}"), d))
            };
            lvc.push(LaborValueContent {
                vehicle,
                share: percent(l.share, ctx, &format!("{p}.share"), d),
                high_wage_material_and_manufacturing_min: opt(
                    l.high_wage_material_and_manufacturing_min,
                    "high_wage_material_and_manufacturing_min",
                    d,
                ),
                technology_credit_max: opt(l.technology_credit_max, "technology_credit_max", d),
                assembly_credit_max: opt(l.assembly_credit_max, "assembly_credit_max", d),
                high_wage_rate_usd_per_hour: l.high_wage_rate_usd_per_hour,
                effective_from: l.effective_from,
                provision: self.provision(&l.citation, l.review, &l.text, ctx, &p, d),
            });
        }
        let steel = a.steel_aluminum.as_ref().map(|s| {
            (
                percent(s.share, ctx, "steel_aluminum.share", d),
                self.provision(&s.citation, s.review, &s.text, ctx, "steel_aluminum", d),
            )
        });
        Some(Automotive {
            core_part_rollup: mode,
            core_part_rollup_provision: rollup_provision,
            staging_tables: tables,
            labor_value_content: lvc,
            steel_aluminum: steel,
            not_encoded: a.not_encoded.into_iter().map(|n| NotEncoded { what: n.what, why: n.why }).collect(),
        })
    }

    fn policy(
        &mut self,
        p: RawTransformationPolicy,
        ctx: &FileCtx,
        groups: &BTreeMap<String, CountryGroup>,
        d: &mut Vec<Diagnostic>,
    ) -> Option<TransformationPolicy> {
        for (i, op) in p.non_conferring_operations.iter().enumerate() {
            if !KNOWN_OPERATIONS.contains(&op.as_str()) {
                d.push(
                    ctx.error(
                        "unknown-operation",
                        &format!("non_conferring_operations[{i}]"),
                        format!("`{op}` is not an operation the provenance graph knows"),
                    )
                    .help(format!("use one of: {}", KNOWN_OPERATIONS.join(", "))),
                );
            }
        }
        let level = shift_level(&p.min_tariff_shift, ctx, "min_tariff_shift", d);
        let mut corridors = Vec::new();
        for (i, c) in p.corridors.iter().enumerate() {
            let cp = format!("corridors[{i}]");
            self.id(&c.id, ctx, &cp, d);
            let mut steps = Vec::new();
            for (j, s) in c.path.iter().enumerate() {
                if let Some(g) = groups.get(s) {
                    steps.push(g.countries.clone());
                } else if let Ok(country) = Country::parse(s) {
                    steps.push(vec![country]);
                } else {
                    d.push(
                        ctx.error(
                            "unknown-country-group",
                            &format!("{cp}.path[{j}]"),
                            format!("`{s}` is neither a country group nor a country code"),
                        )
                        .help(format!(
                            "use a group id from country-groups.yaml ({}) or an ISO 3166-1 alpha-2 code",
                            groups.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
            if c.path.len() < 2 {
                d.push(ctx.error("short-corridor", &format!("{cp}.path"), "a corridor needs at least two steps"));
            }
            corridors.push(Corridor { id: c.id.clone(), name: c.name.clone(), path: steps });
        }
        let mut watch_groups = Vec::new();
        for (i, w) in p.watch_groups.iter().enumerate() {
            let wp = format!("watch_groups[{i}]");
            self.id(&w.id, ctx, &wp, d);
            let mut hs = Vec::new();
            for (j, c) in w.hs.iter().enumerate() {
                match HsRange::parse(c) {
                    Ok(r) => hs.push(r),
                    Err(e) => d.push(
                        ctx.error("bad-hs-code", &format!("{wp}.hs[{j}]"), format!("`{c}`: {e}"))
                            .help("write a code (`8112.92`) or a range of one level"),
                    ),
                }
            }
            let mut origins = Vec::new();
            for (j, s) in w.origins.iter().enumerate() {
                if let Some(g) = groups.get(s) {
                    origins.extend(g.countries.iter().copied());
                } else if let Ok(country) = Country::parse(s) {
                    origins.push(country);
                } else {
                    d.push(
                        ctx.error(
                            "unknown-country-group",
                            &format!("{wp}.origins[{j}]"),
                            format!("`{s}` is neither a country group nor a country code"),
                        )
                        .help("use a group id from country-groups.yaml or an ISO 3166-1 alpha-2 code"),
                    );
                }
            }
            watch_groups.push(WatchGroup {
                id: w.id.clone(),
                name: w.name.clone(),
                hs: HsSet(hs),
                origins,
                basis: w.basis.clone(),
            });
        }
        let provision = self.provision(&p.citation, p.review, &None, ctx, "", d);
        Some(TransformationPolicy {
            watch_groups,
            non_conferring_operations: p.non_conferring_operations,
            min_tariff_shift: level?,
            min_value_added: percent(p.min_value_added, ctx, "min_value_added", d),
            min_dwell_days: p.min_dwell_days,
            corridors,
            provision,
        })
    }
}

fn review(r: RawReview) -> Review {
    match r {
        RawReview::Verified => Review::Verified,
        RawReview::UnverifiedTranscription => Review::UnverifiedTranscription,
        RawReview::Paraphrase => Review::Paraphrase,
        RawReview::Incomplete => Review::Incomplete,
        RawReview::ImportedUnreviewed => Review::ImportedUnreviewed,
    }
}

fn dates(from: NaiveDate, to: Option<NaiveDate>, ctx: &FileCtx, path: &str, d: &mut Vec<Diagnostic>) {
    if let Some(to) = to
        && to < from
    {
        let sep = if path.is_empty() { "" } else { "." };
        d.push(
            ctx.error(
                "reversed-dates",
                &format!("{path}{sep}effective_to"),
                format!("`effective_to` {to} is before `effective_from` {from}"),
            )
            .help("`effective_to` is the last day in force; it cannot come before the first"),
        );
    }
}

fn percent(v: Decimal, ctx: &FileCtx, path: &str, d: &mut Vec<Diagnostic>) -> Percent {
    Percent::bounded(v).unwrap_or_else(|_| {
        d.push(
            ctx.error("threshold-out-of-range", path, format!("`{v}` is outside 0-100"))
                .help("percentages are plain numbers between 0 and 100, such as `60` or `62.5`"),
        );
        Percent(v)
    })
}

fn hs_set(items: &[String], ctx: &FileCtx, path: &str, key: &str, d: &mut Vec<Diagnostic>) -> HsSet {
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        match HsRange::parse(s) {
            Ok(r) => out.push(r),
            Err(e) => {
                let code = match e {
                    origin_core::HsRangeError::Code(_) => "bad-hs-code",
                    origin_core::HsRangeError::MixedLevels { .. } => "mixed-level-range",
                    origin_core::HsRangeError::Reversed { .. } => "reversed-range",
                };
                let mut diag = ctx.error(code, &format!("{path}[{i}]"), e.to_string());
                if !key.is_empty() {
                    diag = diag.hs(key);
                }
                d.push(diag);
            }
        }
    }
    HsSet(out)
}

/// An alternative's own codes: each must lie within the rule's, since the rule is only looked up for
/// goods of its codes and an alternative for other goods would never be reached (or would widen the rule
/// unseen).
fn alternative_codes(
    items: &[String],
    rule_hs: &HsSet,
    ctx: &FileCtx,
    path: &str,
    key: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<HsSet> {
    if items.is_empty() {
        return None;
    }
    let own = hs_set(items, ctx, path, key, d);
    for (i, r) in own.0.iter().enumerate() {
        if !rule_hs.covers(&HsSet(vec![*r])) {
            d.push(
                ctx.error(
                    "alternative-hs-outside-rule",
                    &format!("{path}[{i}]"),
                    format!("`{r}` is not within the rule's codes `{rule_hs}`"),
                )
                .hs(key)
                .help("an alternative's `hs` names some of the rule's codes; give goods of other codes a rule of their own, or widen the rule's `hs`"),
            );
        }
    }
    Some(own)
}

fn shift_level(s: &str, ctx: &FileCtx, path: &str, d: &mut Vec<Diagnostic>) -> Option<HsLevel> {
    match s {
        "chapter" => Some(HsLevel::Chapter),
        "heading" => Some(HsLevel::Heading),
        "subheading" => Some(HsLevel::Subheading),
        "tariff-item" => Some(HsLevel::TariffItem),
        other => {
            d.push(ctx.error("bad-shift-level", path, format!("`{other}` is not a classification level")).help(
                "write `chapter`, `heading`, `subheading` or `tariff-item` (\"from any other heading\" = `heading`)",
            ));
            None
        }
    }
}

/// The canonical name of a kind a rule writes; an undeclared kind is a located error that says what to
/// declare (so a `rules import` draft tells its editor exactly which kinds `kinds.yaml` lacks).
fn kind_name(
    written: &str,
    kinds: Option<&KindVocabulary>,
    ctx: &FileCtx,
    path: &str,
    key: &str,
    d: &mut Vec<Diagnostic>,
) -> String {
    let written = written.trim();
    let Some(vocab) = kinds else { return written.to_string() };
    if let Some(name) = vocab.resolve(written) {
        return name.to_string();
    }
    let mut help = match vocab.suggest(written) {
        Some(s) => format!("did you mean `{s}`? "),
        None => String::new(),
    };
    help.push_str(&format!(
        "if the legal text names this kind, declare it in kinds.yaml: `- {{ name: {written:?}, citation: {{ source: ..., ref: \"...\" }} }}` (or add the spelling to the `aliases` of the kind it means)"
    ));
    let mut diag =
        ctx.error("undeclared-kind", path, format!("kind `{written}` is not declared in kinds.yaml")).help(help);
    if !key.is_empty() {
        diag = diag.hs(key);
    }
    d.push(diag);
    written.to_string()
}

fn kind_qualifier(
    only: &Option<String>,
    other_than: &Option<Vec<String>>,
    kinds: Option<&KindVocabulary>,
    ctx: &FileCtx,
    path: &str,
    key: &str,
    d: &mut Vec<Diagnostic>,
) -> KindQualifier {
    match (only, other_than) {
        (Some(_), Some(_)) => {
            d.push(
                ctx.error(
                    "conflicting-kind",
                    &format!("{path}.good_kind"),
                    "`good_kind` and `good_kind_other_than` are both set",
                )
                .help("a rule covers either goods of one description or goods other than some descriptions"),
            );
            KindQualifier::Any
        }
        (Some(k), None) if k.trim().is_empty() => {
            d.push(ctx.error("bad-value", &format!("{path}.good_kind"), "`good_kind` is empty"));
            KindQualifier::Any
        }
        (Some(k), None) => KindQualifier::Only(kind_name(k, kinds, ctx, &format!("{path}.good_kind"), key, d)),
        (None, Some(ks)) if ks.is_empty() => {
            d.push(ctx.error(
                "bad-value",
                &format!("{path}.good_kind_other_than"),
                "`good_kind_other_than` is an empty list",
            ));
            KindQualifier::Any
        }
        (None, Some(ks)) => KindQualifier::OtherThan(
            ks.iter()
                .enumerate()
                .map(|(i, k)| kind_name(k, kinds, ctx, &format!("{path}.good_kind_other_than[{i}]"), key, d))
                .collect(),
        ),
        (None, None) => KindQualifier::Any,
    }
}

fn material_spec(
    m: &RawMaterialSpec,
    kinds: Option<&KindVocabulary>,
    ctx: &FileCtx,
    path: &str,
    key: &str,
    d: &mut Vec<Diagnostic>,
) -> MaterialSpec {
    if m.hs.is_empty() && m.kind.is_none() {
        d.push(ctx.error("missing-hs", path, "the material spec names neither an HS code nor a kind of material")
            .help("write `{ hs: [\"8538.90\"] }`, `{ hs: [...], kind: \"...\" }` or, where the text names no code, `{ kind: \"...\" }`"));
    }
    if m.kind.as_deref().is_some_and(|k| k.trim().is_empty()) {
        d.push(
            ctx.error("bad-value", &format!("{path}.kind"), "`kind` is empty")
                .help("remove `kind` or name the kind of material"),
        );
    }
    MaterialSpec {
        hs: hs_set(&m.hs, ctx, &format!("{path}.hs"), key, d),
        kind: m
            .kind
            .as_ref()
            .filter(|k| !k.trim().is_empty())
            .map(|k| kind_name(k, kinds, ctx, &format!("{path}.kind"), key, d)),
    }
}

fn alternative(
    a: &RawAlternative,
    kinds: Option<&KindVocabulary>,
    ctx: &FileCtx,
    path: &str,
    key: &str,
    d: &mut Vec<Diagnostic>,
) -> Alternative {
    let at = |diag: Diagnostic| diag.hs(key);
    if a.label.trim().is_empty() {
        d.push(at(ctx
            .error("bad-value", &format!("{path}.label"), "the alternative's label is empty")
            .help("use the letter the legal text uses, or `-` for a rule with one unlettered branch")));
    }
    let good_kind = kind_qualifier(&a.good_kind, &a.good_kind_other_than, kinds, ctx, path, key, d);
    let no_change = a.no_change_required.unwrap_or(false);
    let shift = match (&a.shift, no_change) {
        (Some(_), true) => {
            d.push(at(ctx
                .error(
                    "conflicting-shift",
                    &format!("{path}.no_change_required"),
                    "the alternative has both `shift` and `no_change_required: true`",
                )
                .help("\"no change in tariff classification\" means no `shift`: keep one of the two")));
            ShiftRequirement::Unstated
        }
        (Some(s), false) => match s.from.as_deref().map(|f| shift_level(f, ctx, &format!("{path}.shift.from"), d)) {
            Some(None) => ShiftRequirement::Unstated,
            from => {
                let from = from.flatten();
                if from.is_none() && s.also_from.is_empty() && !s.within.unwrap_or(false) {
                    d.push(at(ctx.error("shift-allows-nothing", &format!("{path}.shift"), "the shift names no source: no `from`, `also_from` or `within`")
                        .help("\"from any other heading\" = `from: heading`; \"from subheading 8708.99\" = `also_from: [{ hs: [\"8708.99\"] }]`")));
                }
                let group = match s.group.as_deref() {
                    None => GroupQualifier::None,
                    Some("outside") => GroupQualifier::Outside,
                    Some("including-within") => GroupQualifier::IncludingWithin,
                    Some(other) => {
                        d.push(at(ctx
                            .error(
                                "bad-value",
                                &format!("{path}.shift.group"),
                                format!("`{other}` is not a group qualifier"),
                            )
                            .help("write `outside` (\"from any heading outside that group\") or `including-within`")));
                        GroupQualifier::None
                    }
                };
                let specs = |list: &[RawMaterialSpec], k: &str, d: &mut Vec<Diagnostic>| {
                    list.iter()
                        .enumerate()
                        .map(|(i, m)| material_spec(m, kinds, ctx, &format!("{path}.shift.{k}[{i}]"), key, d))
                        .collect::<Vec<_>>()
                };
                let also_from = specs(&s.also_from, "also_from", d);
                let except = specs(&s.except, "except", d);
                let more = specs(&s.except_more_than_one_of, "except_more_than_one_of", d);
                if more.len() == 1 {
                    d.push(at(ctx
                        .warning(
                            "single-item-more-than-one",
                            &format!("{path}.shift.except_more_than_one_of"),
                            "`except_more_than_one_of` has one item, so it can never exclude anything",
                        )
                        .help("list each numbered item of \"except from more than one of the following\" separately")));
                }
                ShiftRequirement::Shift(TariffShift {
                    from,
                    group,
                    within_subheading: s.within.unwrap_or(false),
                    also_from,
                    except,
                    except_more_than_one_of: more,
                })
            }
        },
        (None, true) => ShiftRequirement::NoChangeRequired,
        (None, false) => ShiftRequirement::Unstated,
    };
    let rvc = a.rvc.as_ref().map(|r| {
        if r.tv.is_none() && r.nc.is_none() {
            d.push(at(ctx.error("empty-rvc", &format!("{path}.rvc"), "`rvc` names no threshold")
                .help("write `rvc: { tv: 60, nc: 50 }`, or `rvc: { nc: 75 }` for net cost only")));
        }
        let tv = r.tv.map(|v| percent(v, ctx, &format!("{path}.rvc.tv"), d));
        let nc = r.nc.map(|v| percent(v, ctx, &format!("{path}.rvc.nc"), d));
        if let (Some(t), Some(n)) = (tv, nc)
            && t <= n
        {
            d.push(at(ctx.warning("tv-not-above-nc", &format!("{path}.rvc.tv"), format!("the TV threshold {t} is not above the NC threshold {n}"))
                .help("USMCA rules set the transaction value threshold above the net cost one (60/50, 45/35); check the transcription")));
        }
        RvcRequirement { tv, nc }
    });
    if a.shift.is_none() && !no_change && a.conditions.is_empty() {
        d.push(at(ctx
            .error("requires-nothing", path, "the alternative requires nothing")
            .help("add a `shift`, `no_change_required: true` (with its `rvc`) or `conditions`")));
    }
    if rvc.is_some() && a.shift.is_none() && !no_change {
        d.push(at(ctx
            .error(
                "rvc-without-shift",
                &format!("{path}.rvc"),
                "an RVC requirement without `shift` or `no_change_required: true`",
            )
            .help("say what the classification requirement is: a `shift`, or `no_change_required: true`")));
    }
    let mut conditions = Vec::new();
    for (i, c) in a.conditions.iter().enumerate() {
        if c.text.trim().is_empty() {
            d.push(at(ctx.error("missing-text", &format!("{path}.conditions[{i}].text"), "the condition has no text")));
        }
        conditions.push(Condition { id: c.id.clone(), text: c.text.clone() });
    }
    Alternative { label: a.label.trim().to_string(), hs: None, good_kind, shift, rvc, conditions }
}

/// `trade: { between: [CA, US] }` or `trade: { other_than_between: [CA, US] }`.
fn trade_scope(raw: Option<&RawTrade>, ctx: &FileCtx, path: &str, key: &str, d: &mut Vec<Diagnostic>) -> TradeScope {
    let Some(t) = raw else { return TradeScope::Any };
    let (list, between) = match (&t.between, &t.other_than_between) {
        (Some(l), None) => (l, true),
        (None, Some(l)) => (l, false),
        _ => {
            d.push(
                ctx.error("bad-trade", &format!("{path}.trade"), "`trade` needs exactly one of `between` and `other_than_between`")
                    .hs(key.to_string())
                    .help("write `trade: { between: [CA, US] }` for the Canada-US rule and `trade: { other_than_between: [CA, US] }` for all other trade"),
            );
            return TradeScope::Any;
        }
    };
    let word = if between { "between" } else { "other_than_between" };
    let mut parties = Vec::new();
    for (i, c) in list.iter().enumerate() {
        match Country::parse(c) {
            Ok(p) => parties.push(p),
            Err(e) => d.push(
                ctx.error("bad-trade", &format!("{path}.trade.{word}[{i}]"), e.to_string())
                    .hs(key.to_string())
                    .help("write the Parties' ISO codes, such as `[CA, US]`"),
            ),
        }
    }
    if parties.len() < 2 {
        d.push(
            ctx.error("bad-trade", &format!("{path}.trade.{word}"), "trade between Parties names at least two Parties")
                .hs(key.to_string())
                .help("write `[CA, US]`"),
        );
    }
    if between { TradeScope::Between(parties) } else { TradeScope::NotBetween(parties) }
}

/// Whether two description qualifiers can both cover one good.
fn kinds_overlap(a: &KindQualifier, b: &KindQualifier) -> bool {
    match (a, b) {
        (KindQualifier::Any, _) | (_, KindQualifier::Any) => true,
        (KindQualifier::Only(x), KindQualifier::Only(y)) => x.eq_ignore_ascii_case(y),
        (KindQualifier::Only(x), KindQualifier::OtherThan(ys))
        | (KindQualifier::OtherThan(ys), KindQualifier::Only(x)) => !ys.iter().any(|y| y.eq_ignore_ascii_case(x)),
        (KindQualifier::OtherThan(_), KindQualifier::OtherThan(_)) => true,
    }
}

fn uses_overlap(a: &[VehicleUse], b: &[VehicleUse]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|u| b.contains(u))
}

fn dates_overlap(a: &Rule, b: &Rule) -> bool {
    let a_end = a.effective_to.unwrap_or(NaiveDate::MAX);
    let b_end = b.effective_to.unwrap_or(NaiveDate::MAX);
    a.effective_from <= b_end && b.effective_from <= a_end
}

/// Two rules at the same level that could both apply to one good on one date are an error: the
/// engine could not say which is the law.
fn check_overlaps(rules: &[Rule], d: &mut Vec<Diagnostic>) {
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            if a.specificity() == b.specificity()
                && a.hs.overlaps(&b.hs)
                && uses_overlap(&a.uses, &b.uses)
                && kinds_overlap(&a.good_kind, &b.good_kind)
                && a.trade.overlaps(&b.trade)
                && dates_overlap(a, b)
            {
                let mut diag = Diagnostic::error(
                    "overlapping-rules",
                    &b.file,
                    "",
                    format!("rules `{}` and `{}` both cover `{}` for the same use, description and dates", a.id, b.id, b.hs_key()),
                )
                .hs(b.hs_key())
                .help(format!(
                    "`{}` is at {}:{}; narrow one by `use`, `good_kind`, dates or a deeper HS code, or remove the duplicate",
                    a.id,
                    a.file.display(),
                    a.line.unwrap_or(0)
                ));
                diag.line = b.line;
                diag.column = b.line.map(|_| 5);
                d.push(diag);
            }
        }
    }
}
