//! Batch point reads: `SELECT ... FINAL WHERE (key columns) IN (..)` with
//! the key list bound client-side, as a tuple of key tuples ([`InList`]) for
//! a few keys and as one array per key column ([`KeyColumns`]) for many
//! (`queries::KeyLoad` says why), in chunks small enough for the server's
//! `max_query_size` (256 KiB by default).

use clickhouse::query::Query;
use clickhouse::{Client, RowOwned, RowRead};
use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_engine::Versioned;
use serde::ser::{Serialize, SerializeTuple, Serializer};

use crate::codec::CodecError;
use crate::error::ClickHouseError;
use crate::queries::{self, KeyLoad};
use crate::retry::RetryPolicy;
use crate::tables::{
    AgreementHourRow, CellsRow, LabelsRow, MemberActivityRow, MemberHourRow, PairsRow,
    ProjectHourRow, ProjectTotalsRow,
};

/// Most keys in one query.
pub const MAX_KEYS_PER_QUERY: usize = 5_000;
/// From this many keys a load binds them as arrays (`KeyLoad::many`), below
/// as tuples (`KeyLoad::few`): about where the two cost 18.16 the same.
pub const ARRAY_KEYS_FROM: usize = 32;
/// Most bytes of bound keys (unescaped) in one query: even if every
/// character needed escaping (doubling it), the query stays below 18.16's
/// default `max_query_size` of 256 KiB.
pub const MAX_KEY_BYTES_PER_QUERY: usize = 112 * 1024;

/// A list bound to one `?` as a tuple: serializes as `(k1, k2, ...)`, each
/// element a tuple `('p', 't')` or a scalar (the query side's small `IN ?`
/// lists). Escaping is the client's.
pub struct InList<'a, K>(pub &'a [K]);

impl<K: Serialize> Serialize for InList<'_, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for key in self.0 {
            tuple.serialize_element(key)?;
        }
        tuple.end()
    }
}

/// A key of a batch load: a tuple of its column values, bound as one array
/// per column (`['p1','p2']`, `['t1','t2']`), in the order of the query's
/// `where_keys_in!` columns. Escaping is the client's.
pub trait KeyColumns: Sized {
    /// Binds the next `?` placeholders of `query` to the columns of `keys`.
    fn bind_columns(keys: &[Self], query: Query) -> Query;
}

/// [`KeyColumns`] for a tuple whose fields are named by their type
/// parameter and index.
macro_rules! key_columns {
    ($($field:ident . $index:tt),+) => {
        impl<$($field: Serialize + Copy),+> KeyColumns for ($($field,)+) {
            fn bind_columns(keys: &[Self], query: Query) -> Query {
                $(let query = query.bind(keys.iter().map(|key| key.$index).collect::<Vec<$field>>());)+
                query
            }
        }
    };
}

key_columns!(A.0);
key_columns!(A.0, B.1);
key_columns!(A.0, B.1, C.2);
key_columns!(A.0, B.1, C.2, D.3);
key_columns!(A.0, B.1, C.2, D.3, E.4);
key_columns!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);

/// Splits `keys` into chunks of at most [`MAX_KEYS_PER_QUERY`] keys and
/// [`MAX_KEY_BYTES_PER_QUERY`] bytes (`size` gives a key's text length; 8
/// bytes are added for quotes and commas).
pub fn chunks<K>(keys: &[K], size: impl Fn(&K) -> usize) -> Vec<&[K]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, key) in keys.iter().enumerate() {
        let key_bytes = size(key) + 8;
        if i > start
            && (i - start >= MAX_KEYS_PER_QUERY || bytes + key_bytes > MAX_KEY_BYTES_PER_QUERY)
        {
            out.push(&keys[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += key_bytes;
    }
    if start < keys.len() {
        out.push(&keys[start..]);
    }
    out
}

/// The load of `keys` (one chunk) as a query: the form its size asks for.
pub fn bind_keys<K: KeyColumns + Serialize>(client: &Client, load: KeyLoad, keys: &[K]) -> Query {
    if keys.len() >= ARRAY_KEYS_FROM {
        K::bind_columns(keys, client.query(load.many))
    } else {
        client.query(load.few).bind(InList(keys))
    }
}

/// Runs `load` for every chunk of `keys`.
pub async fn fetch_keys<K, R>(
    client: &Client,
    load: KeyLoad,
    what: &str,
    keys: &[K],
    size: impl Fn(&K) -> usize,
    policy: &RetryPolicy,
) -> Result<Vec<R>, ClickHouseError>
where
    K: KeyColumns + Serialize,
    R: RowOwned + RowRead,
{
    let mut rows = Vec::new();
    for chunk in chunks(keys, size) {
        let found: Vec<R> = policy
            .run(what, || bind_keys(client, load, chunk).fetch_all())
            .await?;
        rows.extend(found);
    }
    Ok(rows)
}

/// Aggregate rows of many keys: one query (per chunk) per key kind present.
pub async fn load_aggregates(
    client: &Client,
    keys: &[AggKey],
    policy: &RetryPolicy,
) -> Result<Vec<(AggKey, Versioned<AggRow>)>, ClickHouseError> {
    let mut project_hour = Vec::new();
    let mut member_hour = Vec::new();
    let mut totals = Vec::new();
    let mut activity = Vec::new();
    let mut labels = Vec::new();
    let mut pairs = Vec::new();
    let mut agreement = Vec::new();
    let mut cells = Vec::new();
    for key in keys {
        match key {
            AggKey::ProjectHour { project, hour } => project_hour.push((project.as_str(), *hour)),
            AggKey::MemberHour {
                project,
                member,
                hour,
            } => member_hour.push((project.as_str(), *hour, member.as_str())),
            AggKey::ProjectTotals { project } => totals.push((project.as_str(),)),
            AggKey::MemberActivity { project, member } => {
                activity.push((project.as_str(), member.as_str()))
            }
            AggKey::Label {
                project,
                dimension,
                label,
            } => labels.push((project.as_str(), dimension.as_str(), label.as_str())),
            AggKey::Pair {
                project,
                dimension,
                a,
                b,
            } => pairs.push((project.as_str(), dimension.as_str(), a.as_str(), b.as_str())),
            AggKey::AgreementHour {
                project,
                dimension,
                scope,
                hour,
            } => agreement.push((
                project.as_str(),
                scope.participants.as_str(),
                scope.mode.as_str(),
                dimension.as_str(),
                *hour,
            )),
            AggKey::Cell {
                project,
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
            } => cells.push((
                project.as_str(),
                dimension.as_str(),
                kind.as_str(),
                a.as_str(),
                b.as_str(),
                *m,
                c.as_str(),
                k.as_str(),
            )),
        }
    }
    // The kinds are read concurrently: the server runs the queries side
    // by side and the round trips overlap.
    let loaded = tokio::try_join!(
        load_kind(
            client,
            queries::LOAD_PROJECT_HOURS,
            "load project_hour_v2",
            &project_hour,
            |k| k.0.len() + 20,
            policy,
            |row: ProjectHourRow| row.decode(),
        ),
        load_kind(
            client,
            queries::LOAD_MEMBER_HOURS,
            "load member_hour_v2",
            &member_hour,
            |k| k.0.len() + k.2.len() + 20,
            policy,
            |row: MemberHourRow| row.decode(),
        ),
        load_kind(
            client,
            queries::LOAD_TOTALS,
            "load project_totals",
            &totals,
            |k| k.0.len(),
            policy,
            |row: ProjectTotalsRow| Ok(row.decode()),
        ),
        load_kind(
            client,
            queries::LOAD_ACTIVITY,
            "load member_activity",
            &activity,
            |k| k.0.len() + k.1.len(),
            policy,
            |row: MemberActivityRow| Ok(row.decode()),
        ),
        load_kind(
            client,
            queries::LOAD_LABELS,
            "load labels",
            &labels,
            |k| k.0.len() + k.1.len() + k.2.len(),
            policy,
            |row: LabelsRow| Ok(row.decode()),
        ),
        load_kind(
            client,
            queries::LOAD_PAIRS,
            "load pairs",
            &pairs,
            |k| k.0.len() + k.1.len() + k.2.len() + k.3.len(),
            policy,
            |row: PairsRow| Ok(row.decode()),
        ),
        load_kind(
            client,
            queries::LOAD_AGREEMENT,
            "load task_agreement_hour",
            &agreement,
            |k| k.0.len() + k.3.len() + 40,
            policy,
            |row: AgreementHourRow| row.decode(),
        ),
        load_kind(
            client,
            queries::LOAD_CELLS,
            "load agreement_cells",
            &cells,
            |k| k.0.len() + k.1.len() + k.3.len() + k.4.len() + k.6.len() + k.7.len() + 40,
            policy,
            |row: CellsRow| row.decode(),
        ),
    )?;
    let (a, b, c, d, e, f, g, h) = loaded;
    let mut out = Vec::with_capacity(keys.len());
    for kind in [a, b, c, d, e, f, g, h] {
        out.extend(kind);
    }
    Ok(out)
}

/// The aggregate rows of one key kind, decoded; no query when `keys` is empty.
async fn load_kind<K, R>(
    client: &Client,
    load: KeyLoad,
    what: &str,
    keys: &[K],
    size: impl Fn(&K) -> usize,
    policy: &RetryPolicy,
    decode: impl Fn(R) -> Result<(AggKey, Versioned<AggRow>), CodecError>,
) -> Result<Vec<(AggKey, Versioned<AggRow>)>, ClickHouseError>
where
    K: KeyColumns + Serialize,
    R: RowOwned + RowRead,
{
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<R> = fetch_keys(client, load, what, keys, size, policy).await?;
    rows.into_iter()
        .map(|row| decode(row).map_err(ClickHouseError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_both_limits_and_keep_every_key() {
        let keys: Vec<usize> = (0..12_000).collect();
        let parts = chunks(&keys, |_| 1);
        assert!(parts.iter().all(|c| c.len() <= MAX_KEYS_PER_QUERY));
        assert_eq!(parts.iter().map(|c| c.len()).sum::<usize>(), keys.len());
        let big = chunks(&keys[..100], |_| 10_000);
        assert!(big.len() >= 9, "{}", big.len());
        assert!(big.iter().all(|c| !c.is_empty()));
        assert!(chunks::<usize>(&[], |_| 1).is_empty());
        // One oversized key still goes out alone.
        assert_eq!(chunks(&[1], |_| 1 << 20).len(), 1);
    }

    #[test]
    fn few_keys_bind_as_tuples_and_many_as_one_array_per_column() {
        let client = Client::default();
        let few = [("p", 491_928_i64, "m'1"), ("q", -1, "m2")];
        let sql = bind_keys(&client, queries::LOAD_MEMBER_HOURS, &few)
            .sql_display()
            .to_string();
        assert!(
            sql.ends_with("WHERE (project, hour, member) IN (('p',491928,'m\\'1'),('q',-1,'m2'))"),
            "{sql}"
        );
        let many: Vec<(&str, i64, &str)> = (0..ARRAY_KEYS_FROM as i64)
            .map(|hour| if hour == 0 { few[0] } else { ("q", hour, "m2") })
            .collect();
        let sql = bind_keys(&client, queries::LOAD_MEMBER_HOURS, &many)
            .sql_display()
            .to_string();
        assert!(
            sql.contains(
                "WHERE (project, hour, member) IN (SELECT k_project, k_hour, k_member \
                 FROM (SELECT CAST(['p','q',"
            ),
            "{sql}"
        );
        assert!(sql.contains(" AS l_project, CAST([491928,1,2,"), "{sql}");
        assert!(
            sql.contains(" AS l_hour, CAST(['m\\'1','m2',")
                && sql.ends_with(
                    "'m2'] AS Array(String)) AS l_member) \
                     ARRAY JOIN l_project AS k_project, l_hour AS k_hour, l_member AS k_member)"
                ),
            "{sql}"
        );
        let one = bind_keys(&client, queries::LOAD_MEMBERS, &[("m",)])
            .sql_display()
            .to_string();
        assert!(one.ends_with("WHERE (member) IN (('m'))"), "{one}");
    }
}
