//! Helpers shared by the cli's store tests.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Writes a JSON batch holding `copies` copies of the demo batch's goods that carry their BOM inline
/// (ids suffixed `-0000`, `-0001`, ...), and returns how many goods it holds.
pub fn big_batch(path: &Path, copies: usize) -> usize {
    let text = std::fs::read_to_string(repo().join("fixtures/demo/batch.yaml")).unwrap();
    let mut doc: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    doc["batch"].as_object_mut().unwrap().remove("bom_files");
    let goods: Vec<serde_json::Value> =
        doc["goods"].as_array().unwrap().iter().filter(|g| g.get("materials").is_some()).cloned().collect();
    let mut all = Vec::with_capacity(goods.len() * copies);
    for k in 0..copies {
        for g in &goods {
            let mut g = g.clone();
            g["id"] = format!("{}-{k:04}", g["id"].as_str().unwrap()).into();
            all.push(g);
        }
    }
    let n = all.len();
    doc["goods"] = all.into();
    std::fs::write(path, serde_json::to_string(&doc).unwrap()).unwrap();
    n
}
