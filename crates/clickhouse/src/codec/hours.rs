//! The hour tables' rows: counters as one `Array(Int64)` in the order of
//! [`HOUR_COUNTERS`], quantile sketches as a zero count and two arrays.

use labelpulse_core::aggregate::HourRow;
use labelpulse_core::sketch::Sketch;

use crate::tables::{names, MemberHourRow, ProjectHourRow, HOUR_COUNTERS};

use super::CodecError;

/// A sketch as `(zeros, bucket indexes, bucket counts)`.
pub fn sketch_columns(sketch: &Sketch) -> (i64, Vec<i32>, Vec<i64>) {
    let (indexes, counts) = sketch.buckets().unzip();
    (sketch.zeros(), indexes, counts)
}

/// The sketch of `(zeros, bucket indexes, bucket counts)`.
pub fn sketch_from_columns(
    table: &'static str,
    column: &'static str,
    zeros: i64,
    indexes: &[i32],
    counts: &[i64],
) -> Result<Sketch, CodecError> {
    if indexes.len() != counts.len() {
        return Err(CodecError::Value {
            table,
            column,
            detail: format!(
                "{} bucket indexes but {} counts",
                indexes.len(),
                counts.len()
            ),
        });
    }
    Sketch::from_parts(zeros, indexes.iter().copied().zip(counts.iter().copied())).ok_or(
        CodecError::Value {
            table,
            column,
            detail: "repeated bucket index".into(),
        },
    )
}

/// The counters of `row` in the order of [`HOUR_COUNTERS`], the sketches'
/// zero counts included.
pub fn hour_counters(row: &HourRow, lead_time_zeros: i64, review_time_zeros: i64) -> Vec<i64> {
    vec![
        row.submitted,
        row.skipped,
        row.updated,
        row.regions,
        row.lead_time_ms,
        row.lead_time_count,
        lead_time_zeros,
        row.accepted,
        row.fixed_and_accepted,
        row.rejected,
        row.performance_sum,
        row.performance_count,
        row.reviews_accepted,
        row.reviews_fixed_and_accepted,
        row.reviews_rejected,
        row.review_time_ms,
        row.review_time_count,
        review_time_zeros,
        row.tasks_done,
        row.active_ms,
    ]
}

/// The `counters` column read back: exactly [`HOUR_COUNTERS`]`.len()` values.
fn hour_counter_array(table: &'static str, counters: &[i64]) -> Result<[i64; 20], CodecError> {
    counters.try_into().map_err(|_| CodecError::Value {
        table,
        column: "counters",
        detail: format!(
            "{} counters, expected {}",
            counters.len(),
            HOUR_COUNTERS.len()
        ),
    })
}

macro_rules! hour_codec {
    ($name:ident, $table:expr, $($key:ident: $kty:ty),*) => {
        impl $name {
            /// The row of `HourRow` `row` at the given key and version.
            pub fn encode($($key: $kty,)* version: u64, row: &HourRow) -> Result<Self, CodecError> {
                let (lead_time_zeros, lead_time_buckets, lead_time_counts) =
                    sketch_columns(&row.lead_time_sketch);
                let (review_time_zeros, review_time_buckets, review_time_counts) =
                    sketch_columns(&row.review_time_sketch);
                Ok($name {
                    $($key,)*
                    version,
                    counters: hour_counters(row, lead_time_zeros, review_time_zeros),
                    lead_time_buckets,
                    lead_time_counts,
                    review_time_buckets,
                    review_time_counts,
                })
            }

            /// The `HourRow` this row holds.
            pub fn hour_row(&self) -> Result<HourRow, CodecError> {
                let [
                    submitted,
                    skipped,
                    updated,
                    regions,
                    lead_time_ms,
                    lead_time_count,
                    lead_time_zeros,
                    accepted,
                    fixed_and_accepted,
                    rejected,
                    performance_sum,
                    performance_count,
                    reviews_accepted,
                    reviews_fixed_and_accepted,
                    reviews_rejected,
                    review_time_ms,
                    review_time_count,
                    review_time_zeros,
                    tasks_done,
                    active_ms,
                ] = hour_counter_array($table, &self.counters)?;
                Ok(HourRow {
                    submitted,
                    skipped,
                    updated,
                    regions,
                    lead_time_ms,
                    lead_time_count,
                    lead_time_sketch: sketch_from_columns(
                        $table,
                        "lead_time_buckets",
                        lead_time_zeros,
                        &self.lead_time_buckets,
                        &self.lead_time_counts,
                    )?,
                    accepted,
                    fixed_and_accepted,
                    rejected,
                    performance_sum,
                    performance_count,
                    reviews_accepted,
                    reviews_fixed_and_accepted,
                    reviews_rejected,
                    review_time_ms,
                    review_time_count,
                    review_time_sketch: sketch_from_columns(
                        $table,
                        "review_time_buckets",
                        review_time_zeros,
                        &self.review_time_buckets,
                        &self.review_time_counts,
                    )?,
                    tasks_done,
                    active_ms,
                })
            }
        }
    };
}

hour_codec!(ProjectHourRow, names::PROJECT_HOUR, project: String, hour: i64);
hour_codec!(MemberHourRow, names::MEMBER_HOUR, project: String, hour: i64, member: String);
