//! Shared support for the deploy integration tests: a scripted CloudFormation responder, a
//! recording proxy, builders of AWS-shaped responses, temporary projects, and a runner for the
//! `gapfill` binary.
//!
//! Each test crate (`deploy_scripted`, `deploy_moto`) uses a different part of it, so items
//! unused by one crate are expected.
#![allow(dead_code)]

pub mod cfn_xml;
pub mod emulator;
pub mod end_state;
pub mod example;
pub mod faults;
pub mod project;
pub mod proxy;
pub mod recorded;
pub mod run;
pub mod scripted;
pub mod sdk;
pub mod server;
