//! CONFIG REWRITE (being written).
