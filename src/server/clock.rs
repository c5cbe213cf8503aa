//! The server's own clock, which legitimate variations may set off from the client's, and the
//! `Date` header it writes from it (issue 22, family 5).

use std::time::SystemTime;

use axum::http::header::DATE;
use axum::http::HeaderValue;
use axum::response::Response;
use time::{Duration, OffsetDateTime};

use super::variations::{Variation, VariationSet};

/// How far `clock-seconds-off` sets the server's clock behind the client's.
pub const SECONDS_OFF: Duration = Duration::seconds(-23);
/// How far `clock-hours-off` sets the server's clock ahead of the client's.
pub const HOURS_OFF: Duration = Duration::hours(3);
/// How far behind the token clock `date-from-own-clock` writes `Date`: another clock, or a
/// value cached per second as hyper's is.
pub const DATE_LAG: Duration = Duration::seconds(-2);

/// How far the server's clock is from the true time, by the variations.
pub fn offset(variations: &VariationSet) -> Duration {
    if variations.has(Variation::ClockHoursOff) {
        HOURS_OFF
    } else if variations.has(Variation::ClockSecondsOff) {
        SECONDS_OFF
    } else {
        Duration::ZERO
    }
}

/// Now by the server's clock, cut to whole microseconds as [`super::token::now`] is.
pub fn now(variations: &VariationSet) -> OffsetDateTime {
    super::token::now() + offset(variations)
}

/// Whether the server writes `Date` itself instead of leaving it to hyper.
pub fn writes_date(variations: &VariationSet) -> bool {
    offset(variations) != Duration::ZERO || variations.has(Variation::DateFromOwnClock)
}

/// The response with `Date` from the server's clock (hyper adds none when one is set).
pub fn date(variations: &VariationSet, mut response: Response) -> Response {
    let mut at = OffsetDateTime::now_utc() + offset(variations);
    if variations.has(Variation::DateFromOwnClock) {
        at += DATE_LAG;
    }
    let at = SystemTime::from(at);
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(at)) {
        response.headers_mut().insert(DATE, v);
    }
    response
}
