//! The event contract, checked both ways: every example under
//! `schemas/events/v1/examples` is judged by the JSON Schemas (with the
//! `jsonschema` crate) and by the Rust decoder, and both verdicts must match
//! the manifest; for invalid examples the decoder must name the same field.

use std::path::{Path, PathBuf};

use jsonschema::{Draft, Resource};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Entry {
    file: String,
    valid: bool,
    field: Option<String>,
    #[serde(default = "yes")]
    schema_can_express: bool,
}

fn yes() -> bool {
    true
}

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/events/v1")
}

fn validator() -> jsonschema::Validator {
    let mut options = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true);
    let mut event_schema = None;
    for entry in std::fs::read_dir(schema_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".schema.json") {
            continue;
        }
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let id = schema["$id"]
            .as_str()
            .expect("every schema has an $id")
            .to_string();
        if name == "event.schema.json" {
            event_schema = Some(schema.clone());
        }
        options = options.with_resource(id, Resource::from_contents(schema).unwrap());
    }
    options
        .build(&event_schema.expect("event.schema.json"))
        .unwrap()
}

/// serde_path_to_error writes `result[0].from_name`; the manifest `result.0.from_name`.
fn dotted(path: &str) -> String {
    path.replace('[', ".").replace(']', "")
}

#[test]
fn every_example_agrees_with_schema_decoder_and_manifest() {
    let dir = schema_dir().join("examples");
    let manifest: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest.len() >= 100,
        "the manifest lists {} examples",
        manifest.len()
    );
    let validator = validator();
    let mut mismatches = Vec::new();
    for entry in &manifest {
        let bytes = std::fs::read(dir.join(&entry.file)).unwrap();
        let instance: Value = serde_json::from_slice(&bytes).unwrap();
        let schema_says_valid = validator.is_valid(&instance);
        if schema_says_valid != (entry.valid || !entry.schema_can_express) {
            mismatches.push(format!(
                "{}: schema says valid={schema_says_valid}",
                entry.file
            ));
        }
        match (labelpulse_core::decode(&bytes), entry.valid) {
            (Ok(_), true) => {}
            (Ok(_), false) => {
                mismatches.push(format!("{}: decoder accepted an invalid event", entry.file))
            }
            (Err(error), true) => mismatches.push(format!(
                "{}: decoder refused a valid event: {error}",
                entry.file
            )),
            (Err(error), false) => {
                let named = error.field().map(dotted);
                if named != entry.field {
                    mismatches.push(format!(
                        "{}: decoder named {named:?}, manifest {:?} ({error})",
                        entry.file, entry.field
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_event_type_has_valid_and_invalid_examples() {
    let dir = schema_dir().join("examples");
    let manifest: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    for kind in [
        "project.upserted",
        "member.upserted",
        "task.created",
        "task.deleted",
        "task.state_changed",
        "annotation.submitted",
        "annotation.updated",
        "annotation.skipped",
        "annotation.deleted",
        "prediction.created",
        "prediction.deleted",
        "review.submitted",
        "review.deleted",
        "session.heartbeat",
        "session.ended",
    ] {
        let of_kind: Vec<&Entry> = manifest
            .iter()
            .filter(|e| e.file.starts_with(&format!("{kind}/")))
            .collect();
        assert!(
            of_kind.iter().any(|e| e.valid),
            "{kind} has no valid example"
        );
        assert!(
            of_kind.iter().filter(|e| !e.valid).count() >= 2,
            "{kind} has too few invalid examples"
        );
    }
}
