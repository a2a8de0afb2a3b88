//! Borrowing string fields with serde.
//!
//! serde borrows a `Cow<'a, str>` only when it is the field's whole type;
//! inside an `Option` it always allocates. [`option_cow`] borrows there too
//! (and allocates only for strings with escapes), which keeps ids on the hot
//! path allocation-free.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

struct CowStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// `deserialize_with` for `Option<Cow<'a, str>>` fields that borrows.
pub fn option_cow<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    Option::<CowStr<'a>>::deserialize(deserializer).map(|value| value.map(|s| s.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default, deserialize_with = "option_cow")]
        id: Option<Cow<'a, str>>,
    }

    #[test]
    fn borrows_plain_strings_and_owns_escaped_ones() {
        let plain: Probe<'_> = serde_json::from_str(r#"{"id":"abc"}"#).unwrap();
        assert!(matches!(plain.id, Some(Cow::Borrowed("abc"))));
        let escaped: Probe<'_> = serde_json::from_str(r#"{"id":"a\"c"}"#).unwrap();
        assert!(matches!(escaped.id, Some(Cow::Owned(ref s)) if s == "a\"c"));
        let missing: Probe<'_> = serde_json::from_str(r#"{}"#).unwrap();
        assert!(missing.id.is_none());
        let null: Probe<'_> = serde_json::from_str(r#"{"id":null}"#).unwrap();
        assert!(null.id.is_none());
    }
}
