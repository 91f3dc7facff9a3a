//! NUL characters are never meaningful in a Slack payload and Postgres refuses them in text, so
//! a signed body that carries any (raw, `%00` in a form, `\u0000` in JSON) has them removed
//! before it is parsed. Bodies without one, nearly all of them, pass through untouched.

use serde_json::Value;

/// Byte patterns that may encode a NUL: raw, `%00` in a form, `\u0000` in JSON (also inside a
/// form's JSON payload as `%5Cu0000`). A false alarm only costs a re-parse.
const NUL_MARKERS: &[&[u8]] = &[b"\0", b"%00", b"u0000"];

fn may_hold_nul(body: &[u8]) -> bool {
    NUL_MARKERS
        .iter()
        .any(|m| body.windows(m.len()).any(|w| w == *m))
}

/// The body with every NUL removed from its values (`None` when it holds none, or when it does
/// not parse as its content type: the handler then refuses it as unparseable).
pub fn without_nul(body: &[u8], is_json: bool) -> Option<Vec<u8>> {
    if !may_hold_nul(body) {
        return None;
    }
    if is_json {
        let mut value: Value = serde_json::from_slice(body).ok()?;
        strip(&mut value);
        return serde_json::to_vec(&value).ok();
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let cleaned: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(key, value)| {
            let value = match serde_json::from_str::<Value>(&value) {
                Ok(mut json) if key == "payload" => {
                    strip(&mut json);
                    json.to_string()
                }
                _ => value.replace('\0', ""),
            };
            (key.replace('\0', ""), value)
        })
        .collect();
    serde_urlencoded::to_string(cleaned)
        .ok()
        .map(String::into_bytes)
}

fn strip(value: &mut Value) {
    match value {
        Value::String(s) if s.contains('\0') => *s = s.replace('\0', ""),
        Value::Array(items) => items.iter_mut().for_each(strip),
        Value::Object(map) => {
            let keys_with_nul: Vec<String> =
                map.keys().filter(|k| k.contains('\0')).cloned().collect();
            for key in keys_with_nul {
                if let Some(v) = map.remove(&key) {
                    map.insert(key.replace('\0', ""), v);
                }
            }
            map.values_mut().for_each(strip);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_without_nul_pass_untouched() {
        assert_eq!(without_nul(b"command=/deal&text=list", false), None);
        assert_eq!(without_nul(br#"{"a":"b"}"#, true), None);
    }

    #[test]
    fn nul_is_removed_from_forms_payloads_and_json() {
        let form = without_nul(b"text=Ac%00me&user_id=U1", false).expect("cleaned");
        assert_eq!(form, b"text=Acme&user_id=U1");
        let payload = serde_urlencoded::to_string([("payload", r#"{"user":{"id":"U\u0000"}}"#)])
            .expect("form");
        let cleaned = without_nul(payload.as_bytes(), false).expect("cleaned");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&cleaned).expect("form");
        assert_eq!(pairs[0].1, r#"{"user":{"id":"U"}}"#);
        let json = without_nul(br#"{"event_id":"Ev\u0000","e":["\u0000x"]}"#, true).expect("json");
        assert_eq!(json, br#"{"e":["x"],"event_id":"Ev"}"#);
    }
}
