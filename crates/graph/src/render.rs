//! Pictures of a lot's path: a text tree, Graphviz DOT, and SVG laid out here (no `dot` needed).
//!
//! DOT and SVG draw one box per *stay* (a lot at a site): shipments join the stays of one lot,
//! transformations join input stays to the output's stay. The laundering path, when there is one,
//! is drawn in red.

use std::fmt::Write as _;

use crate::LotIx;
use crate::build::{NONE, ProvenanceGraph};
use crate::report::ancestors;
use crate::trace::Trace;

/// A text tree of `lot`'s provenance: the lot, how it moved, and what it was made from.
pub fn text(g: &ProvenanceGraph, tr: &Trace, lot: LotIx) -> String {
    let path = laundering_set(g, tr, lot);
    let mut out = String::new();
    let mut seen = Vec::new();
    text_lot(g, tr, lot.0, "", "", &path, &mut seen, &mut out);
    let signals = tr.path_signals(g, lot);
    if signals.is_empty() {
        out.push_str("\nno signals on this path\n");
    } else {
        out.push_str("\nsignals:\n");
        for s in signals {
            let _ = writeln!(out, "{} [{}] lot `{}`: {}", s.severity, s.code, s.lot, s.message);
            let _ = writeln!(out, "  to clear: {}", s.clear);
            let _ = writeln!(
                out,
                "  evidence: lots {}; sites {}; events {}",
                s.evidence.lots.join(", "),
                s.evidence.sites.join(", "),
                s.evidence.events.join(", ")
            );
        }
    }
    out
}

/// The lots of the laundering finding's evidence (the path and the lots its signals name).
fn laundering_set(g: &ProvenanceGraph, tr: &Trace, lot: LotIx) -> Vec<u32> {
    match tr.laundering_signal(g, lot) {
        Some(f) => f.evidence.lots.iter().filter_map(|id| g.lot(id)).map(|l| l.0).collect(),
        None => Vec::new(),
    }
}

fn lot_line(g: &ProvenanceGraph, tr: &Trace, l: u32) -> String {
    let rec = &g.lots[l as usize];
    let site = rec.site;
    let sr = &g.sites[site as usize];
    let codes: Vec<&str> = tr.signals_of(LotIx(l)).iter().map(|s| s.code().as_str()).collect();
    let mut s = format!(
        "lot {} {} {} {} at {} ({} {}, {}) on {}: declared {}, traced {}",
        g.lot_ids.get(l),
        rec.hs,
        rec.quantity.normalize(),
        g.units.get(rec.unit),
        g.site_ids.get(site),
        sr.country,
        sr.kind.as_str(),
        g.texts.get(sr.operator),
        rec.date,
        rec.declared,
        tr.origin[l as usize],
    );
    let mut contributions = tr.contributions(LotIx(l));
    contributions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if contributions.len() > 1 {
        let parts: Vec<String> = contributions
            .iter()
            .map(|(c, d)| format!("{c} {}", origin_core::Percent(*d * origin_core::Decimal::ONE_HUNDRED)))
            .collect();
        let _ = write!(s, " ({})", parts.join(", "));
    }
    if !codes.is_empty() {
        let _ = write!(s, " [{}]", codes.join(", "));
    }
    s
}

#[expect(clippy::too_many_arguments, reason = "a recursive printer with its accumulators")]
fn text_lot(
    g: &ProvenanceGraph,
    tr: &Trace,
    l: u32,
    first: &str,
    rest: &str,
    path: &[u32],
    seen: &mut Vec<u32>,
    out: &mut String,
) {
    let mark = if path.contains(&l) { "!! " } else { "" };
    let _ = writeln!(out, "{first}{mark}{}", lot_line(g, tr, l));
    if seen.contains(&l) {
        let _ = writeln!(out, "{rest}   (history shown above)");
        return;
    }
    seen.push(l);
    let ships = g.ships_of(l);
    let p = g.lots[l as usize].produced_by;
    let n = ships.len() + usize::from(p != NONE);
    for (k, &si) in ships.iter().enumerate() {
        let s = &g.shipments[si as usize];
        let last = k + 1 == n;
        let _ = writeln!(
            out,
            "{rest}{}shipment {} {} ({}) -> {} ({}), departed {}, arrived {}, document {}{}",
            if last { "└─ " } else { "├─ " },
            g.event_ids.get(s.id),
            g.site_ids.get(s.from),
            g.sites[s.from as usize].country,
            g.site_ids.get(s.to),
            g.sites[s.to as usize].country,
            s.departed,
            s.arrived,
            g.texts.get(s.document),
            if s.customs_control { ", under customs control" } else { "" }
        );
    }
    if p != NONE {
        let t = &g.transformations[p as usize];
        let a = tr.assess(g, p);
        let _ = writeln!(
            out,
            "{rest}└─ made by {} {} at {} ({}) on {}: {}",
            t.operation.as_str(),
            g.event_ids.get(t.id),
            g.site_ids.get(t.site),
            g.sites[t.site as usize].country,
            t.date,
            if a.confers { "confers origin" } else { "does not confer origin" }
        );
        let child_rest = format!("{rest}   ");
        let inputs = g.inputs_of(t);
        for (k, i) in inputs.iter().enumerate() {
            let last = k + 1 == inputs.len();
            let f = format!("{child_rest}{}", if last { "└─ " } else { "├─ " });
            let r = format!("{child_rest}{}", if last { "   " } else { "│  " });
            text_lot(g, tr, i.lot, &f, &r, path, seen, out);
        }
    }
}

struct Picture {
    /// (lot, site) per node.
    nodes: Vec<(u32, u32)>,
    /// (from node, to node, label, highlighted).
    edges: Vec<(usize, usize, String, bool)>,
    layer: Vec<usize>,
    row: Vec<usize>,
    hot: Vec<bool>,
}

fn picture(g: &ProvenanceGraph, tr: &Trace, lots: &[LotIx]) -> Picture {
    let mut path = Vec::new();
    let mut all = Vec::new();
    for &lot in lots {
        path.extend(laundering_set(g, tr, lot));
        for a in ancestors(g, lot.0) {
            if !all.contains(&a) {
                all.push(a);
            }
        }
    }
    let mut nodes: Vec<(u32, u32)> = Vec::new();
    let mut edges = Vec::new();
    let find = |nodes: &mut Vec<(u32, u32)>, l: u32, s: u32| -> usize {
        match nodes.iter().position(|&n| n == (l, s)) {
            Some(i) => i,
            None => {
                nodes.push((l, s));
                nodes.len() - 1
            }
        }
    };
    for a in all {
        let rec = &g.lots[a as usize];
        let hot = path.contains(&a);
        let home = find(&mut nodes, a, rec.site);
        let p = rec.produced_by;
        if p != NONE {
            let t = &g.transformations[p as usize];
            for i in g.inputs_of(t) {
                let from = find(&mut nodes, i.lot, t.site);
                let label = format!("{} {}", t.operation.as_str(), g.event_ids.get(t.id));
                edges.push((from, home, label, hot && path.contains(&i.lot)));
            }
        }
        for &si in g.ships_of(a) {
            let s = &g.shipments[si as usize];
            let from = find(&mut nodes, a, s.from);
            let to = find(&mut nodes, a, s.to);
            let days = (s.arrived - s.departed).num_days();
            edges.push((from, to, format!("{} {}d", g.event_ids.get(s.id), days), hot));
        }
    }
    let n = nodes.len();
    let mut layer = vec![0usize; n];
    // Longest path from the sources; edges mostly point forward, a few passes settle the rest.
    for _ in 0..n.min(64) {
        let mut changed = false;
        for &(f, t, _, _) in &edges {
            if f != t && layer[t] < layer[f] + 1 && layer[f] + 1 < n + 1 {
                layer[t] = layer[f] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut row = vec![0usize; n];
    let mut count = vec![0usize; n + 1];
    for i in 0..n {
        row[i] = count[layer[i]];
        count[layer[i]] += 1;
    }
    let hot = nodes.iter().map(|&(l, _)| path.contains(&l)).collect();
    Picture { nodes, edges, layer, row, hot }
}

fn node_lines(g: &ProvenanceGraph, tr: &Trace, l: u32, s: u32) -> [String; 3] {
    let rec = &g.lots[l as usize];
    let codes: Vec<&str> =
        if s == rec.site { tr.signals_of(LotIx(l)).iter().map(|x| x.code().as_str()).collect() } else { Vec::new() };
    [
        format!("{} @ {} ({})", g.lot_ids.get(l), g.site_ids.get(s), g.sites[s as usize].country),
        format!("HS {} · declared {} · traced {}", rec.hs, rec.declared, tr.origin[l as usize]),
        if codes.is_empty() { String::new() } else { codes.join(", ") },
    ]
}

/// The third line of an SVG box: the number of signals (the codes go in a tooltip).
fn svg_signal_line(line: &str) -> String {
    let n = line.split(", ").count();
    format!("{n} signal{}: {}", if n == 1 { "" } else { "s" }, line.split(", ").next().unwrap_or_default())
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT of the paths of `lots`, the laundering path in red.
pub fn dot(g: &ProvenanceGraph, tr: &Trace, lots: &[LotIx]) -> String {
    let p = picture(g, tr, lots);
    let mut out = String::from("digraph provenance {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (i, &(l, s)) in p.nodes.iter().enumerate() {
        let lines = node_lines(g, tr, l, s);
        let label: Vec<String> = lines.iter().filter(|x| !x.is_empty()).map(|x| dot_escape(x)).collect();
        let style = if p.hot[i] { ", color=\"#c0392b\", penwidth=2" } else { "" };
        let _ = writeln!(out, "  n{i} [label=\"{}\"{style}];", label.join("\\n"));
    }
    for (f, t, label, hot) in &p.edges {
        let style = if *hot { ", color=\"#c0392b\", penwidth=2" } else { "" };
        let _ = writeln!(out, "  n{f} -> n{t} [label=\"{}\"{style}];", dot_escape(label));
    }
    out.push_str("}\n");
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// SVG of the paths of `lots`, laid out left to right in layers, the laundering path in red.
pub fn svg(g: &ProvenanceGraph, tr: &Trace, lots: &[LotIx]) -> String {
    const W: usize = 250;
    const H: usize = 62;
    const GAP_X: usize = 90;
    const GAP_Y: usize = 34;
    let p = picture(g, tr, lots);
    let layers = p.layer.iter().max().map_or(1, |m| m + 1);
    let rows = p.row.iter().max().map_or(1, |m| m + 1);
    let width = 20 + layers * (W + GAP_X);
    let height = 40 + rows * (H + GAP_Y);
    let pos = |i: usize| (20 + p.layer[i] * (W + GAP_X), 30 + p.row[i] * (H + GAP_Y));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">"
    );
    out.push_str("  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker>");
    out.push_str("<marker id=\"arrow-hot\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c0392b\"/></marker></defs>\n");
    let _ = writeln!(
        out,
        "  <text x=\"20\" y=\"18\" font-size=\"13\" font-weight=\"bold\">provenance of lot{} {}</text>",
        if lots.len() == 1 { "" } else { "s" },
        xml_escape(&lots.iter().map(|l| g.lot_ids.get(l.0)).collect::<Vec<_>>().join(", "))
    );
    for (f, t, label, hot) in &p.edges {
        let (fx, fy) = pos(*f);
        let (tx, ty) = pos(*t);
        let (x1, y1, x2, y2) = (fx + W, fy + H / 2, tx, ty + H / 2);
        let (color, marker, width) = if *hot { ("#c0392b", "arrow-hot", 2.5) } else { ("#555", "arrow", 1.2) };
        let _ = writeln!(
            out,
            "  <line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{color}\" stroke-width=\"{width}\" marker-end=\"url(#{marker})\"/>"
        );
        let _ = writeln!(
            out,
            "  <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{color}\" font-size=\"10\">{}</text>",
            (x1 + x2) / 2,
            (y1 + y2) / 2 - 4,
            xml_escape(label)
        );
    }
    for (i, &(l, s)) in p.nodes.iter().enumerate() {
        let (x, y) = pos(i);
        let (stroke, fill, sw) = if p.hot[i] { ("#c0392b", "#fdecea", 2.5) } else { ("#333", "#f7f7f7", 1.0) };
        let _ = writeln!(
            out,
            "  <g><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>"
        );
        for (k, line) in node_lines(g, tr, l, s).iter().enumerate() {
            if line.is_empty() {
                continue;
            }
            let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
            if k == 2 {
                let more = if line.contains(", ") { ", ..." } else { "" };
                let _ = writeln!(
                    out,
                    "    <text x=\"{}\" y=\"{}\" fill=\"#c0392b\"><title>{}</title>{}{more}</text>",
                    x + 8,
                    y + 17 + k * 17,
                    xml_escape(line),
                    xml_escape(&svg_signal_line(line))
                );
            } else {
                let _ = writeln!(
                    out,
                    "    <text x=\"{}\" y=\"{}\"{weight}>{}</text>",
                    x + 8,
                    y + 17 + k * 17,
                    xml_escape(line)
                );
            }
        }
        out.push_str("  </g>\n");
    }
    out.push_str("</svg>\n");
    out
}
