//! The simulator speaks the contract: every event it generates decodes
//! with the Rust decoder, and a sample validates against the JSON Schemas.

use std::path::Path;

use jsonschema::{Draft, Resource};
use labelpulse_simulator::{SimConfig, Simulator};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/events/v1");
    let mut options = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true);
    let mut root = None;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".schema.json") {
            continue;
        }
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if name == "event.schema.json" {
            root = Some(schema.clone());
        }
        let id = schema["$id"].as_str().unwrap().to_string();
        options = options.with_resource(id, Resource::from_contents(schema).unwrap());
    }
    options.build(&root.unwrap()).unwrap()
}

#[test]
fn every_simulated_event_decodes_and_a_sample_validates() {
    let validator = validator();
    let config = SimConfig {
        seed: 5,
        emit_task_states: true,
        ..SimConfig::default()
    };
    let mut kinds = std::collections::BTreeSet::new();
    for (index, event) in Simulator::new(config).take(60_000).enumerate() {
        let decoded = labelpulse_core::decode(event.json.as_bytes()).unwrap_or_else(|error| {
            panic!("event {index} does not decode: {error}\n{}", event.json)
        });
        assert_eq!(decoded.key(), event.key, "event {index}: key");
        kinds.insert(decoded.event_type().as_str());
        if index % 20 == 0 {
            let value: Value = serde_json::from_str(&event.json).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "event {index} breaks the schema: {errors:?}\n{}",
                event.json
            );
        }
    }
    assert_eq!(kinds.len(), 15, "types seen: {kinds:?}");
}
