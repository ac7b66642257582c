//! End-to-end tests of the `kiln` binary. They live in one test binary so that Burn is linked
//! once; each module covers one area.

mod common;

mod bad_input;
mod devices;
mod interrupt;
mod loading;
mod models;
mod seed;
