//! The localnet behind JSON-RPC and PubSub, judged by stock clients, and the platform end to end through the real binaries.
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test localnet MODULE::`.
mod blockhash_lifetime;
mod codama_client;
mod e2e;
mod exactly_once;
mod localnet;
mod localnet_usage;
mod pubsub;
mod rpc_ledger;
mod stock_clients;
mod wallets;
