//! The native runtime: USD1 registered natively through `processor!`, beside
//! the SPL Token, Token-2022 and associated-token programs bundled with
//! solana-program-test. The tests' fixture and the localnet both start here
//! ([`start`]); the localnet runs the bank on a runtime of its own
//! ([`start_on_own_runtime`]) so that blockhashes age by its slots only.
use std::sync::{Once, OnceLock};

use anchor_lang::prelude::AccountInfo;
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use base64::Engine;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::pubkey::Pubkey;
use solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs};

use crate::logs::DATA_MARKER;

/// Anchor 1.x ties the program id, accounts and data to one `'info` lifetime;
/// the native runtime lends them for shorter. Leaking copies gives them the
/// lifetime Anchor wants: a few hundred bytes per instruction, which a test
/// or a development localnet can afford and a validator never runs.
fn usd1_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    let accounts: &[AccountInfo] = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id: &Pubkey = Box::leak(Box::new(*program_id));
    let data: &[u8] = Box::leak(data.to_vec().into_boxed_slice());
    usd1::entry(program_id, accounts, data)
}

/// The runtime with USD1 registered natively and the SPL programs bundled.
pub fn program_test() -> ProgramTest {
    let mut test = ProgramTest::new("usd1", usd1::ID, processor!(usd1_entry));
    test.prefer_bpf(false);
    test
}

/// The programs [`program_test`] runs natively (their logs need
/// [`crate::logs::validator_logs`]).
pub fn native_programs() -> Vec<Pubkey> {
    vec![usd1::ID]
}

/// Starts `test` and makes a native program's `sol_log_data` reach the
/// transaction's logs (see [`DataLogged`]).
pub async fn start(test: ProgramTest) -> ProgramTestContext {
    let context = test.start_with_context().await;
    // solana-program-test installs its syscall stubs when its first bank is
    // set up; ours wrap them, once, in one swap.
    static WRAP: Once = Once::new();
    WRAP.call_once(|| {
        let inner = set_syscall_stubs(Box::new(DataLogged));
        let _ = WRAPPED.set(inner);
    });
    context
}

/// The stubs [`DataLogged`] wraps: solana-program-test's.
static WRAPPED: OnceLock<Box<dyn SyscallStubs>> = OnceLock::new();

/// solana-program-test's syscall stubs, except that a native program's
/// `sol_log_data` (Anchor's `emit!`) reaches the log collector — through the
/// stubs' own `sol_log`, marked, for `logs` to turn into the validator's
/// `Program data: …` — instead of the process's stdout.
struct DataLogged;

impl DataLogged {
    fn inner(&self) -> &dyn SyscallStubs {
        loop {
            // Set right after the swap that installed this; a syscall made
            // in between waits the moment it takes.
            if let Some(inner) = WRAPPED.get() {
                return inner.as_ref();
            }
            std::thread::yield_now();
        }
    }
}

impl SyscallStubs for DataLogged {
    fn sol_log(&self, message: &str) {
        self.inner().sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.inner().sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.inner().sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        self.inner()
            .sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(
        &self,
        sysvar_id_addr: *const u8,
        var_addr: *mut u8,
        offset: u64,
        length: u64,
    ) -> u64 {
        self.inner()
            .sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner().sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner().sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner().sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner().sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner().sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.inner().sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        self.inner().sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner().sol_memcpy(dst, src, n) }
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner().sol_memmove(dst, src, n) }
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner().sol_memcmp(s1, s2, n, result) }
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.inner().sol_memset(s, c, n) }
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.inner().sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.inner().sol_set_return_data(data)
    }
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let encoded: Vec<String> = fields
            .iter()
            .map(|f| base64::engine::general_purpose::STANDARD.encode(f))
            .collect();
        self.inner()
            .sol_log(&format!("{DATA_MARKER}{}", encoded.join(" ")))
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.inner().sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.inner().sol_get_stack_height()
    }
}

/// The thread and runtime a localnet's bank runs on; stopping it (on drop)
/// stops the bank's server.
///
/// solana-program-test registers a new blockhash every 6.4 ms from a task of
/// its own (its simulated proof of history: 64 ticks of 100 µs a slot), so
/// on the wall clock a blockhash leaves the runtime's 150-entry window after
/// about a second — and with it every transaction a wallet signed a few
/// seconds earlier. The localnet makes its own slots, one blockhash each
/// (`Chain::tick`), so that task must not run. It and the banks server are
/// started on a current-thread runtime whose clock is stopped (tokio's paused
/// time), and a blocking task that lives as long as the runtime keeps that
/// clock from jumping ahead to the task's next wake-up when the runtime is
/// idle. The banks server never sleeps on the localnet's paths (it answers,
/// simulates and processes with metadata), so it serves as before.
pub struct BankRuntime {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts `test` on a [`BankRuntime`] of its own (a thread that builds the
/// runtime, starts the bank on it and then drives it until stopped).
pub async fn start_on_own_runtime(
    test: ProgramTest,
) -> std::io::Result<(ProgramTestContext, BankRuntime)> {
    let (started, context) = tokio::sync::oneshot::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(String::from("usd1-bank"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = started.send(Err(error));
                    return;
                }
            };
            let (hold, held) = std::sync::mpsc::channel::<()>();
            runtime.block_on(async move {
                // While this runs, the stopped clock cannot auto-advance.
                tokio::task::spawn_blocking(move || {
                    // Returns when `hold` is dropped.
                    let _ = held.recv();
                });
                let _ = started.send(Ok(start(test).await));
                // Either a stop or the sender dropped.
                let _ = stopped.await;
            });
            drop(hold);
            runtime.shutdown_background();
        })?;
    let context = context
        .await
        .map_err(|_| std::io::Error::other("the bank's thread stopped while starting"))??;
    Ok((
        context,
        BankRuntime {
            stop: Some(stop),
            thread: Some(thread),
        },
    ))
}

impl Drop for BankRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
