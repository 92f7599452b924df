//! A model-driven AWS client: any operation of any service, driven by botocore-format service
//! models rather than generated code.
//!
//! The request pipeline, one module per layer:
//!
//! ```text
//! catalog (models) -> model -> validate -> protocol::serialize -> endpoint -> sign -> send
//!                                                         -> retry -> protocol::parse
//! ```
//!
//! Above the pipeline, [`operation`] adds pagination and waiters: the one path a call takes,
//! from `gapfill call` and from post-deploy steps alike.
//!
//! This module is a leaf of the crate: it knows nothing about stacks, steps or reporters.

pub mod catalog;
pub mod customize;
pub mod diagnose;
pub mod endpoint;
pub mod error;
pub mod error_chain;
pub mod http;
pub mod invoke;
pub mod jmespath;
pub mod model;
pub mod operation;
pub mod paginate;
pub mod protocol;
pub mod retry;
pub mod sensitive;
pub mod sigv4;
pub mod transport;
pub mod validate;
pub mod waiter;
