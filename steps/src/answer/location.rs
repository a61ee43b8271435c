//! Locations: a shared location in range, or typed "lat, lon" in decimal degrees.

use super::number::decimal_parts;
use super::{answer_text, Invalid};
use crate::message::{InboundMessage, Location};

/// Decimal degrees as a contact types them ("48.8566", "-2.35"), with an optional trailing
/// "°". A decimal comma is refused because the comma separates latitude from longitude.
fn degrees(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = text.strip_suffix('°').unwrap_or(text);
    if text.contains(',') {
        return None;
    }
    let (negative, int_part, frac_part) = decimal_parts(text)?;
    let sign = if negative { "-" } else { "" };
    let int_part = if int_part.is_empty() { "0" } else { int_part.as_str() };
    format!("{sign}{int_part}.{frac_part}0").parse().ok()
}

fn in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// A location: the shared location when it is in range, otherwise typed "lat, lon" or
/// "lat lon" in decimal degrees (latitude -90 to 90, longitude -180 to 180).
///
/// A message with neither a location nor any text is `Empty`, like in the other parsers.
pub fn parse_location(msg: &InboundMessage) -> Result<Location, Invalid> {
    if let Some(location) = &msg.location {
        if in_range(location.lat, location.lon) {
            return Ok(location.clone());
        }
    }
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(if msg.location.is_some() { Invalid::NotALocation } else { Invalid::Empty });
    }
    let parts: Vec<&str> = match text.matches(',').count() {
        0 => text.split_whitespace().collect(),
        1 => text.split(',').collect(),
        _ => return Err(Invalid::NotALocation),
    };
    let [lat, lon] = parts.as_slice() else {
        return Err(Invalid::NotALocation);
    };
    match (degrees(lat), degrees(lon)) {
        (Some(lat), Some(lon)) if in_range(lat, lon) => Ok(Location { lat, lon, name: None }),
        _ => Err(Invalid::NotALocation),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn location_cases() {
        let at = |lat: f64, lon: f64| Location { lat, lon, name: None };
        let check = |input: &str, expected: Result<Location, Invalid>| {
            assert_eq!(parse_location(&text(input)), expected, "{input:?}");
        };
        check("48.8566, 2.3522", Ok(at(48.8566, 2.3522)));
        check("48.8566,2.3522", Ok(at(48.8566, 2.3522)));
        check("-33.8688 151.2093", Ok(at(-33.8688, 151.2093)));
        check("90, -180", Ok(at(90.0, -180.0)));
        check("40.7° , -74.0°", Ok(at(40.7, -74.0)));
        check("91, 0", Err(Invalid::NotALocation));
        check("0, 181", Err(Invalid::NotALocation));
        check("48,85 2,35", Err(Invalid::NotALocation));
        check("48.8566", Err(Invalid::NotALocation));
        check("1 2 3", Err(Invalid::NotALocation));
        check("NaN, 0", Err(Invalid::NotALocation));
        check("Paris", Err(Invalid::NotALocation));
        check("", Err(Invalid::Empty));

        let shared = Location { lat: 52.52, lon: 13.405, name: Some("Berlin".to_owned()) };
        let msg = InboundMessage { location: Some(shared.clone()), ..Default::default() };
        assert_eq!(parse_location(&msg), Ok(shared));
        // An out-of-range shared location falls back to the text.
        let broken = Location { lat: 200.0, lon: 0.0, name: None };
        let msg =
            InboundMessage { location: Some(broken.clone()), text: Some("1.5, 2.5".to_owned()), ..Default::default() };
        assert_eq!(parse_location(&msg), Ok(at(1.5, 2.5)));
        let msg = InboundMessage { location: Some(broken), ..Default::default() };
        assert_eq!(parse_location(&msg), Err(Invalid::NotALocation));
    }
}
