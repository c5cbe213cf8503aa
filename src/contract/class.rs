//! How a request is judged: the class the contract gives it.

use serde::{Deserialize, Serialize};

/// What the contract says about a request, which decides how its answer is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Must succeed, and the response must conform.
    Valid,
    /// Must be rejected with the expected 4xx.
    Invalid,
    /// The page does not say: any success (conforming) or any 4xx; never a 5xx.
    Unspecified,
}

impl Class {
    pub const ALL: [Class; 3] = [Class::Valid, Class::Invalid, Class::Unspecified];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Valid => "valid",
            Class::Invalid => "invalid",
            Class::Unspecified => "unspecified",
        }
    }
}
