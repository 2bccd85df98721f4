//! The house rules read from the tree: the layering, the committed IDL, the command-line reference and the guides' links.
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test house MODULE::`.
mod cli_reference;
mod guides;
mod idl;
mod layering;
