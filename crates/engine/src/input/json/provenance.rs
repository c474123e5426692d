//! The provenance part of a JSON batch, read for a streamed run ([`super::parse`] with `index`): each
//! record is cut out and handed to a thread that parses it and adds it to the graph builder, so neither
//! the part's text nor its records are ever held whole; the run keeps the graph. A record that does not
//! read, a part not in the builder's order, or a graph that does not build sends the part to the reader
//! that holds it, which reports, locates and prunes every error as it always has: the answers are the
//! same, only a provenance that builds is kept as its graph alone.

use std::io;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use origin_core::Percent;
use origin_graph::{
    GraphBuilder, LotInput, ProvenanceGraph, ProvenanceInput, ShipmentInput, SiteInput, TransformationInput,
};
use serde::de::DeserializeOwned;

use super::{PACK_BYTES, Scanner, yaml_reads};
use crate::input::{Cx, DeError, InputError, Locate};

/// The lists of a provenance part, in the order [`ProvenanceGraph::build`] adds them: a part written in
/// this order gives the builder the same records in the same order.
const LISTS: [&str; 4] = ["sites", "lots", "shipments", "transformations"];

/// Records held between the scanner and the builder, at most.
const IN_FLIGHT: usize = 4;

/// What the scanner hands the builder.
enum Msg {
    /// The text of `mass_balance_tolerance`.
    Tolerance(Vec<u8>),
    /// Records of `LISTS[list]`, one after the other in `buf`, each ending at its `ends` entry.
    Records { list: usize, buf: Vec<u8>, ends: Vec<usize> },
}

/// How a batch's provenance part is being read.
pub(super) enum Provenance {
    /// Captured whole and parsed on a thread of its own.
    Whole(JoinHandle<Option<Result<ProvenanceInput, InputError>>>),
    /// Streamed into the builder; where the part is in the file, to read it whole if the builder cannot
    /// finish.
    Streamed { builder: JoinHandle<Option<ProvenanceGraph>>, offset: u64, len: usize, line: usize },
}

/// The provenance a batch keeps: its records, or only their graph.
pub(super) enum Read {
    Input(ProvenanceInput),
    Graph(Box<ProvenanceGraph>),
}

impl Provenance {
    /// The part captured whole (`text`, from `line` of `file`), parsed on its own thread.
    pub(super) fn whole(file: &Path, line: usize, text: String) -> Provenance {
        let file = file.to_path_buf();
        Provenance::Whole(std::thread::spawn(move || parse_whole(&file, line, &text)))
    }

    /// Waits for the part. `None`: take the general path.
    #[expect(clippy::result_large_err, reason = "an error is rare and becomes a stored InputError as it is")]
    pub(super) fn join(
        self,
        file: &Path,
        reread: &dyn Fn(u64, usize) -> Option<String>,
    ) -> Option<Result<Read, InputError>> {
        match self {
            Provenance::Whole(h) => h.join().ok()?.map(|r| r.map(Read::Input)),
            Provenance::Streamed { builder, offset, len, line } => {
                if let Some(graph) = builder.join().ok()? {
                    return Some(Ok(Read::Graph(Box::new(graph))));
                }
                let text = reread(offset, len)?;
                parse_whole(file, line, &text).map(|r| r.map(Read::Input))
            }
        }
    }
}

/// The part's text as one value, errors located in it. `None`: take the general path.
fn parse_whole(file: &Path, line: usize, text: &str) -> Option<Result<ProvenanceInput, InputError>> {
    let cx = Cx { file: file.to_path_buf(), locate: Locate::part("provenance", line, text), errors: Vec::new() };
    match cx.de_json::<ProvenanceInput>(text, "provenance") {
        Ok(p) => Some(Ok(p)),
        Err(DeError::Input(e)) => Some(Err(e)),
        Err(DeError::Fallback) => None,
    }
}

/// Streams the provenance object at the scanner (its `{`, first seen on `line`) into a builder on a
/// thread of its own. `None`: malformed, or not in the builder's order (the general path reads it).
pub(super) fn stream<R: io::Read>(sc: &mut Scanner<R>, line: usize) -> io::Result<Option<Provenance>> {
    let offset = sc.offset + sc.pos as u64;
    let (tx, rx) = mpsc::sync_channel::<Msg>(IN_FLIGHT);
    let builder = std::thread::spawn(move || build(rx));
    let ok = scan(sc, &tx)?;
    drop(tx);
    let len = usize::try_from(sc.offset + sc.pos as u64 - offset).ok();
    // Not taken: the builder sees the end of its records and stops on its own.
    Ok(match (ok, len) {
        (true, Some(len)) => Some(Provenance::Streamed { builder, offset, len, line }),
        _ => None,
    })
}

/// The keys of the provenance object after its `{`; false: take the general path.
fn scan<R: io::Read>(sc: &mut Scanner<R>, tx: &mpsc::SyncSender<Msg>) -> io::Result<bool> {
    sc.pos += 1;
    let (mut next, mut tolerance, mut first) = (0, false, true);
    loop {
        match sc.skip_ws()? {
            Some(b'"') => sc.pos += 1,
            Some(b'}') if first => {
                sc.pos += 1;
                return Ok(true);
            }
            _ => return Ok(false),
        }
        first = false;
        let Some(key) = sc.key()? else { return Ok(false) };
        // As for the batch's own keys: YAML takes a key only with its `:` on the same line.
        let key_line = sc.line;
        if sc.skip_ws()? != Some(b':') || sc.line != key_line {
            return Ok(false);
        }
        sc.pos += 1;
        if key == "mass_balance_tolerance" && !tolerance {
            tolerance = true;
            let mut v = Vec::new();
            if sc.skip_ws()?.is_none() || !sc.capture(&mut v)? || !yaml_reads(&v) || tx.send(Msg::Tolerance(v)).is_err()
            {
                return Ok(false);
            }
        } else {
            // An unknown or repeated list, or one out of order: the general path.
            let Some(list) = LISTS.iter().position(|l| *l == key) else { return Ok(false) };
            if list < next || sc.skip_ws()? != Some(b'[') {
                return Ok(false);
            }
            next = list + 1;
            sc.pos += 1;
            if !records(sc, list, tx)? {
                return Ok(false);
            }
        }
        match sc.skip_ws()? {
            Some(b',') => sc.pos += 1,
            Some(b'}') => {
                sc.pos += 1;
                return Ok(true);
            }
            _ => return Ok(false),
        }
    }
}

/// The records of one list after its `[`, sent on in packs; false: take the general path.
fn records<R: io::Read>(sc: &mut Scanner<R>, list: usize, tx: &mpsc::SyncSender<Msg>) -> io::Result<bool> {
    let (mut buf, mut ends) = (Vec::new(), Vec::new());
    let read = sc.elements(|sc| {
        let start = buf.len();
        if !sc.capture(&mut buf)? || !yaml_reads(&buf[start..]) {
            return Ok(false);
        }
        ends.push(buf.len());
        if buf.len() >= PACK_BYTES {
            let pack = Msg::Records { list, buf: std::mem::take(&mut buf), ends: std::mem::take(&mut ends) };
            return Ok(tx.send(pack).is_ok());
        }
        Ok(true)
    })?;
    Ok(read && (ends.is_empty() || tx.send(Msg::Records { list, buf, ends }).is_ok()))
}

/// Adds each record to the builder as it arrives. `None`: a record did not read, or the graph does not
/// build (the part is then read whole, for its errors).
fn build(rx: mpsc::Receiver<Msg>) -> Option<ProvenanceGraph> {
    let mut b = GraphBuilder::default();
    let mut ok = true;
    // Every message is received, even after a failure, so the scanner never waits on a full channel.
    for m in rx {
        ok = ok
            && match m {
                Msg::Tolerance(t) => match serde_json::from_slice::<Option<Percent>>(&t) {
                    Ok(p) => {
                        p.map(|p| b.tolerance(p));
                        true
                    }
                    Err(_) => false,
                },
                Msg::Records { list, buf, ends } => {
                    let mut start = 0;
                    ends.iter().all(|&end| {
                        let record = &buf[start..end];
                        start = end;
                        add(&mut b, list, record)
                    })
                }
            };
    }
    if ok { b.finish().ok() } else { None }
}

/// Parses one record of `LISTS[list]` and adds it; false: it does not read as that record.
fn add(b: &mut GraphBuilder, list: usize, record: &[u8]) -> bool {
    fn read<T: DeserializeOwned>(record: &[u8]) -> Option<T> {
        serde_json::from_slice(record).ok()
    }
    match list {
        0 => read::<SiteInput>(record).map(|r| _ = b.add_site(&r)).is_some(),
        1 => read::<LotInput>(record).map(|r| _ = b.add_lot(&r)).is_some(),
        2 => read::<ShipmentInput>(record).map(|r| _ = b.add_shipment(&r)).is_some(),
        _ => read::<TransformationInput>(record).map(|r| _ = b.add_transformation(&r)).is_some(),
    }
}
