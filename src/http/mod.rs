//! The HTTP stage: where requests go ([`target`]: the [`Target`], its URL checks, the token
//! and the pacer) and what one exchange was ([`exchange`]: the request sent, the response or the
//! transport error); how parameters are serialized ([`params`]) and form bodies encoded
//! ([`body`]).

pub mod body;
pub mod credentials;
pub mod exchange;
pub mod params;
pub mod target;

pub use credentials::{Credential, Encoding, Place, Placeholder};
pub use exchange::{
    Exchange, Response, SentRequest, TransportError, TransportKind, KEPT_OF_A_FAILURE,
    KEPT_OF_A_PASS, MAX_BODY,
};
pub use target::{
    accept_header, check_base_url, check_transport_security, is_loopback, mask_credentials,
    segment_problem, Prepared, Secret, Target, TargetError, RUN_HEADER, USER_AGENT,
};
