//! Bytes to [`Event`]: one pass of serde into a flat borrowed struct, then
//! validation that names the offending field.
//!
//! The happy path never builds a `serde_json::Value` and never allocates for
//! ids without escapes. Only when the fast pass fails is the input decoded a
//! second time with `serde_path_to_error`, to name the field.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::error::{DecodeError, Reason};
use crate::event::*;
use crate::result::ResultItem;

/// The union of all fields of all event types, as they arrive.
///
/// About a kilobyte: decoded in place ([`Deserialize::deserialize_in_place`])
/// rather than returned, which would copy it.
#[derive(Default, Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    event_id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        rename = "type",
        deserialize_with = "crate::borrow::option_cow"
    )]
    event_type: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "integral")]
    schema_version: Option<u64>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    project_id: Option<MaybeStr<'a>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    workspace_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    org_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    source: Option<Cow<'a, str>>,
    // project.upserted
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    title: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "integral")]
    overlap: Option<u64>,
    #[serde(default)]
    agreement_threshold: Option<f64>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    review_criteria: Option<Cow<'a, str>>,
    #[serde(default)]
    controls: Option<Vec<WireControl>>,
    // member.upserted
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    member_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    email: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    role: Option<Cow<'a, str>>,
    // tasks
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    task_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    from: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    to: Option<Cow<'a, str>>,
    // annotations
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    annotation_id: Option<Cow<'a, str>>,
    #[serde(default)]
    lead_time_seconds: Option<f64>,
    #[serde(default)]
    was_cancelled: Option<bool>,
    #[serde(default)]
    ground_truth: Option<bool>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    completed_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    result: Option<Vec<ResultItem<'a>>>,
    // predictions
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    prediction_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    model_version: Option<Cow<'a, str>>,
    #[serde(default)]
    score: Option<f64>,
    // reviews
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    review_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    reviewer_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    outcome: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    started_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    fixed_result: Option<Vec<ResultItem<'a>>>,
}

/// A string, or anything else (kept only to report it where it matters:
/// `project_id` is ignored on `member.upserted`, whatever its type).
enum MaybeStr<'a> {
    Str(Cow<'a, str>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for MaybeStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = MaybeStr<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeStr::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MaybeStr::Str(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MaybeStr::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(MaybeStr::Other)
            }
        }
        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct WireControl {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    multiple: Option<bool>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    weight: Option<f64>,
    #[serde(default)]
    label_weights: Option<LabelWeights>,
    #[serde(default)]
    threshold: Option<f64>,
}

/// JSON Schema's `integer`: a whole number, also when written `2.0`.
fn integral<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    struct Visitor;
    impl<'v> serde::de::Visitor<'v> for Visitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a non-negative integer")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("a negative integer"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&v) {
                Ok(Some(v as u64))
            } else {
                Err(E::custom("not an integer"))
            }
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<S: serde::Deserializer<'v>>(self, d: S) -> Result<Self::Value, S::Error> {
            d.deserialize_any(self)
        }
    }
    deserializer.deserialize_option(Visitor)
}

fn overlap_value(value: u64) -> Result<u32, DecodeError> {
    match u32::try_from(value) {
        Ok(0) => Err(DecodeError::invalid(
            "overlap",
            Reason::OutOfRange("must be >= 1"),
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(DecodeError::invalid(
            "overlap",
            Reason::OutOfRange("too large"),
        )),
    }
}

/// Decodes and validates one event.
///
/// ```
/// let line = br#"{"event_id":"e1","type":"task.created","schema_version":1,
///   "occurred_at":"2026-03-01T10:00:00+01:00","project_id":"p1","task_id":"t1"}"#;
/// let event = labelpulse_core::decode(line).unwrap();
/// assert_eq!(event.key(), "p1");
/// ```
pub fn decode(bytes: &[u8]) -> Result<Event<'_>, DecodeError> {
    // One UTF-8 check of the whole buffer (word-at-a-time for ASCII) is
    // cheaper than serde_json's check of every string on its own.
    let text = std::str::from_utf8(bytes)
        .map_err(|error| DecodeError::Malformed(format!("not UTF-8: {error}")))?;
    let mut wire = Wire::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match Wire::deserialize_in_place(&mut deserializer, &mut wire).and_then(|()| deserializer.end())
    {
        Ok(()) => validate(wire),
        Err(error) => Err(explain(bytes, error)),
    }
}

/// Second, slower pass over input the fast pass rejected: names the field.
fn explain(bytes: &[u8], error: serde_json::Error) -> DecodeError {
    if !error.is_data() {
        return DecodeError::Malformed(error.to_string());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, Wire<'_>>(&mut deserializer) {
        Ok(_) => DecodeError::Malformed(error.to_string()),
        Err(located) => {
            let field = located.path().to_string();
            let inner = located.into_inner();
            DecodeError::invalid(field, Reason::WrongType(strip_position(&inner.to_string())))
        }
    }
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T, DecodeError> {
    value.ok_or_else(|| DecodeError::invalid(field, Reason::Missing))
}

fn id<'a>(value: Option<Cow<'a, str>>, field: &'static str) -> Result<Cow<'a, str>, DecodeError> {
    let value = required(value, field)?;
    if value.is_empty() {
        return Err(DecodeError::invalid(field, Reason::Empty));
    }
    Ok(value)
}

fn optional_id<'a>(
    value: Option<Cow<'a, str>>,
    field: &'static str,
) -> Result<Option<Cow<'a, str>>, DecodeError> {
    match value {
        Some(v) if v.is_empty() => Err(DecodeError::invalid(field, Reason::Empty)),
        other => Ok(other),
    }
}

/// RFC 3339 in the strict form every parser agrees on: `T` separator,
/// `Z` or `±HH:MM` offset, seconds 00 to 59; normalized to UTC.
pub fn parse_timestamp(text: &str, field: &str) -> Result<DateTime<Utc>, DecodeError> {
    utc_to_the_second(text.as_bytes())
        .or_else(|| parse_strict_rfc3339(text))
        .ok_or_else(|| DecodeError::invalid(field, Reason::BadTimestamp(text.to_string())))
}

/// The general path of [`parse_timestamp`]: chrono's RFC 3339 parser, and
/// the strict form checked on the text.
fn parse_strict_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let strict_offset = bytes.last() == Some(&b'Z')
        || (n >= 6 && matches!(bytes[n - 6], b'+' | b'-') && bytes[n - 3] == b':');
    let strict =
        bytes.get(10) == Some(&b'T') && strict_offset && bytes.get(17).is_some_and(|d| *d < b'6');
    DateTime::parse_from_rfc3339(text)
        .ok()
        .filter(|_| strict)
        .map(|parsed| parsed.with_timezone(&Utc))
}

/// The shape producers send most, `YYYY-MM-DDTHH:MM:SSZ`, read without
/// chrono's general RFC 3339 parser (a quarter of the time it takes);
/// chrono still builds and checks the date and time. `None` for anything
/// else (offsets, fractions, fields out of range), which the general
/// parser then decides: a test checks that both agree.
fn utc_to_the_second(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let shape = bytes.len() == 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z';
    if !shape {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(&bytes[0..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(&bytes[5..7])?, number(&bytes[8..10])?)?;
    let second = number(&bytes[17..19])?;
    if second > 59 {
        return None;
    }
    let time = date.and_hms_opt(number(&bytes[11..13])?, number(&bytes[14..16])?, second)?;
    Some(time.and_utc())
}

fn timestamp(
    value: Option<Cow<'_, str>>,
    field: &'static str,
) -> Result<DateTime<Utc>, DecodeError> {
    parse_timestamp(&required(value, field)?, field)
}

fn enum_value<T: for<'de> Deserialize<'de>>(
    value: Option<Cow<'_, str>>,
    field: &'static str,
) -> Result<T, DecodeError> {
    let text = required(value, field)?;
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&text))
        .map_err(|_| DecodeError::invalid(field, Reason::UnknownValue(text.to_string())))
}

fn validate(wire: Wire<'_>) -> Result<Event<'_>, DecodeError> {
    let event_id = id(wire.event_id, "event_id")?;
    let event_type: EventType = enum_value(wire.event_type, "type")?;
    match required(wire.schema_version, "schema_version")? {
        SCHEMA_VERSION => {}
        other => {
            return Err(DecodeError::invalid(
                "schema_version",
                Reason::UnsupportedVersion(other),
            ))
        }
    }
    let occurred_at = timestamp(wire.occurred_at, "occurred_at")?;
    let project_id = match event_type {
        EventType::MemberUpserted => None,
        _ => match wire.project_id {
            Some(MaybeStr::Other) => {
                return Err(DecodeError::invalid(
                    "project_id",
                    Reason::WrongType("expected a string".to_string()),
                ))
            }
            Some(MaybeStr::Str(text)) => Some(id(Some(text), "project_id")?),
            None => Some(id(None, "project_id")?),
        },
    };
    let envelope = Envelope {
        event_id,
        occurred_at,
        project_id,
        workspace_id: wire.workspace_id,
        org_id: wire.org_id,
        source: wire.source,
    };
    let body = match event_type {
        EventType::ProjectUpserted => EventBody::ProjectUpserted(ProjectUpserted {
            title: required(wire.title, "title")?,
            overlap: overlap_value(required(wire.overlap, "overlap")?)?,
            agreement_threshold: match required(wire.agreement_threshold, "agreement_threshold")? {
                t if (0.0..=1.0).contains(&t) => t,
                _ => {
                    return Err(DecodeError::invalid(
                        "agreement_threshold",
                        Reason::OutOfRange("must be within 0..1"),
                    ))
                }
            },
            review_criteria: enum_value(wire.review_criteria, "review_criteria")?,
            controls: controls(required(wire.controls, "controls")?)?,
        }),
        EventType::MemberUpserted => EventBody::MemberUpserted(MemberUpserted {
            member_id: id(wire.member_id, "member_id")?,
            name: required(wire.name, "name")?,
            email: wire.email,
            role: enum_value(wire.role, "role")?,
        }),
        EventType::TaskCreated => EventBody::TaskCreated {
            task_id: id(wire.task_id, "task_id")?,
            overlap: wire.overlap.map(overlap_value).transpose()?,
        },
        EventType::TaskDeleted => EventBody::TaskDeleted {
            task_id: id(wire.task_id, "task_id")?,
        },
        EventType::TaskStateChanged => EventBody::TaskStateChanged {
            task_id: id(wire.task_id, "task_id")?,
            from: enum_value(wire.from, "from")?,
            to: enum_value(wire.to, "to")?,
        },
        EventType::AnnotationSubmitted
        | EventType::AnnotationUpdated
        | EventType::AnnotationSkipped => {
            let action = match event_type {
                EventType::AnnotationSubmitted => AnnotationAction::Submitted,
                EventType::AnnotationUpdated => AnnotationAction::Updated,
                _ => AnnotationAction::Skipped,
            };
            let lead_time_seconds = required(wire.lead_time_seconds, "lead_time_seconds")?;
            if lead_time_seconds < 0.0 || !lead_time_seconds.is_finite() {
                return Err(DecodeError::invalid(
                    "lead_time_seconds",
                    Reason::OutOfRange("must be >= 0"),
                ));
            }
            let result = match (action, wire.result) {
                (AnnotationAction::Skipped, result) => result.unwrap_or_default(),
                (_, result) => required(result, "result")?,
            };
            check_result(&result, "result")?;
            EventBody::Annotation(AnnotationEvent {
                action,
                annotation_id: id(wire.annotation_id, "annotation_id")?,
                task_id: id(wire.task_id, "task_id")?,
                member_id: id(wire.member_id, "member_id")?,
                lead_time_seconds,
                was_cancelled: wire.was_cancelled.unwrap_or(false)
                    || action == AnnotationAction::Skipped,
                ground_truth: wire.ground_truth.unwrap_or(false),
                completed_at: timestamp(wire.completed_at, "completed_at")?,
                result,
            })
        }
        EventType::AnnotationDeleted => EventBody::AnnotationDeleted {
            annotation_id: id(wire.annotation_id, "annotation_id")?,
            task_id: optional_id(wire.task_id, "task_id")?,
        },
        EventType::PredictionCreated => {
            let result = required(wire.result, "result")?;
            check_result(&result, "result")?;
            EventBody::PredictionCreated(PredictionCreated {
                prediction_id: id(wire.prediction_id, "prediction_id")?,
                task_id: id(wire.task_id, "task_id")?,
                model_version: required(wire.model_version, "model_version")?,
                score: wire.score,
                result,
            })
        }
        EventType::PredictionDeleted => EventBody::PredictionDeleted {
            prediction_id: id(wire.prediction_id, "prediction_id")?,
        },
        EventType::ReviewSubmitted => {
            let started_at = timestamp(wire.started_at, "started_at")?;
            let completed_at = timestamp(wire.completed_at, "completed_at")?;
            if completed_at < started_at {
                return Err(DecodeError::invalid(
                    "completed_at",
                    Reason::OutOfRange("must not be before started_at"),
                ));
            }
            if let Some(fixed) = &wire.fixed_result {
                check_result(fixed, "fixed_result")?;
            }
            EventBody::ReviewSubmitted(ReviewSubmitted {
                review_id: id(wire.review_id, "review_id")?,
                annotation_id: id(wire.annotation_id, "annotation_id")?,
                task_id: id(wire.task_id, "task_id")?,
                reviewer_id: id(wire.reviewer_id, "reviewer_id")?,
                outcome: enum_value(wire.outcome, "outcome")?,
                started_at,
                completed_at,
                fixed_result: wire.fixed_result,
            })
        }
        EventType::ReviewDeleted => EventBody::ReviewDeleted {
            review_id: id(wire.review_id, "review_id")?,
        },
        EventType::SessionHeartbeat | EventType::SessionEnded => EventBody::Session(SessionEvent {
            kind: if event_type == EventType::SessionHeartbeat {
                SessionKind::Heartbeat
            } else {
                SessionKind::Ended
            },
            member_id: id(wire.member_id, "member_id")?,
            task_id: optional_id(wire.task_id, "task_id")?,
        }),
    };
    Ok(Event { envelope, body })
}

fn controls(wire: Vec<WireControl>) -> Result<Vec<Control>, DecodeError> {
    wire.into_iter()
        .enumerate()
        .map(|(index, control)| {
            let field = |name: &str| format!("controls.{index}.{name}");
            let name = control
                .name
                .filter(|name| !name.is_empty())
                .ok_or_else(|| DecodeError::invalid(field("name"), Reason::Missing))?;
            let kind = control
                .kind
                .filter(|kind| !kind.is_empty())
                .ok_or_else(|| DecodeError::invalid(field("kind"), Reason::Missing))?;
            let weight = control.weight.unwrap_or(1.0);
            if weight < 0.0 || !weight.is_finite() {
                return Err(DecodeError::invalid(
                    field("weight"),
                    Reason::OutOfRange("must be >= 0"),
                ));
            }
            let label_weights = control.label_weights.unwrap_or_default();
            if let Some((label, _)) = label_weights
                .iter()
                .find(|(_, w)| **w < 0.0 || !w.is_finite())
            {
                return Err(DecodeError::invalid(
                    field(&format!("label_weights.{label}")),
                    Reason::OutOfRange("must be >= 0"),
                ));
            }
            let threshold = control.threshold.unwrap_or(DEFAULT_THRESHOLD);
            if !(0.0..=1.0).contains(&threshold) {
                return Err(DecodeError::invalid(
                    field("threshold"),
                    Reason::OutOfRange("must be within 0..1"),
                ));
            }
            Ok(Control {
                name,
                kind,
                labels: control.labels.unwrap_or_default(),
                multiple: control.multiple.unwrap_or(false),
                min: control.min,
                max: control.max,
                weight,
                label_weights,
                threshold,
            })
        })
        .collect()
}

fn check_result(items: &[ResultItem<'_>], field: &str) -> Result<(), DecodeError> {
    for (index, item) in items.iter().enumerate() {
        let at = |name: &str| format!("{field}.{index}.{name}");
        if item.item_type.is_none() {
            return Err(DecodeError::invalid(at("type"), Reason::Missing));
        }
        if item.is_relation() {
            for (name, value) in [("from_id", &item.from_id), ("to_id", &item.to_id)] {
                if value.as_deref().is_none_or(str::is_empty) {
                    return Err(DecodeError::invalid(at(name), Reason::Missing));
                }
            }
            continue;
        }
        let points = item.value.as_ref().and_then(|v| v.points.as_ref());
        if let Some(bad) = points.and_then(|points| points.iter().position(|p| p.len() != 2)) {
            return Err(DecodeError::invalid(
                at(&format!("value.points.{bad}")),
                Reason::WrongType("a point is [x, y]".to_string()),
            ));
        }
        match &item.from_name {
            None => {
                return Err(DecodeError::invalid(
                    format!("{field}.{index}.from_name"),
                    Reason::Missing,
                ))
            }
            Some(name) if name.is_empty() => {
                return Err(DecodeError::invalid(
                    format!("{field}.{index}.from_name"),
                    Reason::Empty,
                ))
            }
            Some(_) => {}
        }
        if item.to_name.is_none() {
            return Err(DecodeError::invalid(
                format!("{field}.{index}.to_name"),
                Reason::Missing,
            ));
        }
        if item.value.is_none() {
            return Err(DecodeError::invalid(
                format!("{field}.{index}.value"),
                Reason::Missing,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn controls_of(controls: &str) -> Result<Vec<Control>, DecodeError> {
        let line = format!(
            r#"{{"event_id":"e","type":"project.upserted","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","title":"t","overlap":1,"agreement_threshold":0.5,"review_criteria":"none","controls":{controls}}}"#
        );
        match decode(line.as_bytes())?.body {
            EventBody::ProjectUpserted(project) => Ok(project.controls),
            other => panic!("not a project: {other:?}"),
        }
    }

    #[test]
    fn control_threshold_and_label_weights() {
        let controls = controls_of(
            r#"[{"name":"a","kind":"rectanglelabels","label_weights":{"car":2,"bus":0},"threshold":0.75},
                {"name":"b","kind":"choices","label_weights":null,"threshold":null}]"#,
        )
        .unwrap();
        assert_eq!(controls[0].threshold, 0.75);
        assert_eq!(controls[0].label_weights.get("car"), Some(&2.0));
        assert_eq!(controls[0].label_weights.get("bus"), Some(&0.0));
        assert_eq!(controls[1].threshold, DEFAULT_THRESHOLD);
        assert!(controls[1].label_weights.is_empty());
        let error = controls_of(r#"[{"name":"a","kind":"choices","threshold":-0.1}]"#);
        assert_eq!(error.unwrap_err().field(), Some("controls.0.threshold"));
        let error = controls_of(r#"[{"name":"a","kind":"labels","label_weights":{"x":-1}}]"#);
        assert_eq!(
            error.unwrap_err().field(),
            Some("controls.0.label_weights.x")
        );
    }

    /// The decoding `decode` replaced: serde_json returns the whole struct.
    fn decode_returning_the_struct(bytes: &[u8]) -> Result<Event<'_>, DecodeError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|error| DecodeError::Malformed(format!("not UTF-8: {error}")))?;
        match serde_json::from_str::<Wire<'_>>(text) {
            Ok(wire) => validate(wire),
            Err(error) => Err(explain(bytes, error)),
        }
    }

    #[test]
    fn decoding_in_place_answers_as_returning_the_struct_did() {
        let examples = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/events/v1/examples"
        );
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for folder in std::fs::read_dir(examples).unwrap() {
            let folder = folder.unwrap().path();
            if folder.is_dir() {
                for file in std::fs::read_dir(folder).unwrap() {
                    lines.push(std::fs::read(file.unwrap().path()).unwrap());
                }
            }
        }
        assert!(lines.len() > 50, "examples not found: {}", lines.len());
        let edge_cases: [&[u8]; 8] = [
            br#"{"event_id":"a","event_id":"b","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","task_id":"t"}"#,
            br#"{"event_id":"a","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","task_id":"t"} x"#,
            br#"{"event_id":"a","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","task_id":"t\u00e9\n"}"#,
            br#"{"event_id":null,"type":"task.created","schema_version":1.0,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","task_id":"t"}"#,
            br#"{"event_id":"a","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","task_id":"t","unknown":{"deep":[1,2,{"x":null}]}}"#,
            br#"{"event_id":"a","type":"task.created","schema_version":-1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p","task_id":"t"}"#,
            br#"{"event_id":"a","type":"task.created""#,
            br#"[1,2]"#,
        ];
        lines.extend(edge_cases.iter().map(|line| line.to_vec()));
        for line in &lines {
            assert_eq!(
                decode(line),
                decode_returning_the_struct(line),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert!(
            decode(edge_cases[0]).is_err(),
            "a duplicate field is rejected"
        );
    }

    #[test]
    fn the_fast_path_reads_utc_seconds_as_chrono_does() {
        for text in [
            "2026-03-01T10:15:30Z",
            "2024-02-29T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert!(utc_to_the_second(text.as_bytes()).is_some(), "{text}");
            assert_eq!(
                parse_timestamp(text, "t").ok(),
                parse_strict_rfc3339(text),
                "{text}"
            );
        }
        for text in [
            "2025-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T10:60:00Z",
            "2026-03-01T10:00:60Z",
            "2026-03-01t10:00:00Z",
            "2026-03-01 10:00:00Z",
            "2026-03-01T10:00:00z",
            "2026-03-01T10:00:00.5Z",
            "+026-03-01T10:00:00Z",
            "2026-03-01T10:00:00+00:00",
        ] {
            assert!(utc_to_the_second(text.as_bytes()).is_none(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn timestamps_parse_as_chrono_parses_them(
            (year, month, day) in (0u32..10_000, 0u32..14, 0u32..33),
            (hour, minute, second) in (0u32..26, 0u32..62, 0u32..62),
            replaced in 0usize..20,
            separators in proptest::sample::select(vec!["-", "-", ":", "T", "Z", "t", " ", "0"]),
        ) {
            // Mostly valid instants, near every field's edges.
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
            proptest::prop_assert_eq!(parse_timestamp(&text, "t").ok(), parse_strict_rfc3339(&text), "{}", text);
            // One byte replaced: the shape breaks or stays, either way both agree.
            let mut bytes = text.into_bytes();
            bytes[replaced] = separators.as_bytes()[0];
            let text = String::from_utf8(bytes).unwrap();
            proptest::prop_assert_eq!(parse_timestamp(&text, "t").ok(), parse_strict_rfc3339(&text), "{}", text);
        }
    }
}
