// Stock @coral-xyz/anchor 0.32 against usd1-localnet: its EventParser reads
// the logs of every usd1 transaction as it reads a validator's, and
// program.addEventListener hears an event over the websocket. Started by
// tests/tests/localnet/stock_clients.rs, which makes one transaction of every usd1
// instruction and passes them, with the events emit_cpi! recorded in each,
// in the file named by USD1_NODE_FIXTURE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import anchor from '@coral-xyz/anchor';
import { Connection, Keypair, PublicKey } from '@solana/web3.js';

const fixture = JSON.parse(readFileSync(process.env.USD1_NODE_FIXTURE, 'utf8'));
const idl = JSON.parse(readFileSync(fixture.idl, 'utf8'));
const connection = new Connection(fixture.rpc, { commitment: 'confirmed', wsEndpoint: fixture.ws });
const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(Keypair.generate()), {
  commitment: 'confirmed',
});
const program = new anchor.Program(idl, provider);
const parser = new anchor.EventParser(new PublicKey(fixture.program), program.coder);

async function logsOf(signature) {
  const tx = await connection.getTransaction(signature, {
    commitment: 'confirmed',
    maxSupportedTransactionVersion: 0,
  });
  assert.ok(tx, `no transaction ${signature}`);
  return tx.meta.logMessages;
}

test('EventParser parses every usd1 transaction and yields the events emit_cpi! recorded', async () => {
  assert.ok(fixture.transactions.length >= 20);
  for (const { signature, events } of fixture.transactions) {
    const logs = await logsOf(signature);
    // One invoke per invocation, at its true depth, each closed once.
    const depths = [];
    for (const line of logs) {
      const invoke = /^Program (\w+) invoke \[(\d+)\]$/.exec(line);
      if (invoke) {
        assert.equal(Number(invoke[2]), depths.length + 1, `${signature}: ${line}\n${logs.join('\n')}`);
        depths.push(invoke[1]);
      }
      const close = /^Program (\w+) (success|failed: .*)$/.exec(line);
      if (close) {
        assert.equal(close[1], depths.pop(), `${signature}: ${line}`);
      }
    }
    assert.equal(depths.length, 0, `${signature}: unclosed invocations`);
    const parsed = [...parser.parseLogs(logs, true)].map((e) => e.name);
    if (JSON.stringify(parsed) !== JSON.stringify(events)) {
      console.log(`${signature}: parsed ${JSON.stringify(parsed)}, recorded ${JSON.stringify(events)}\n${logs.join('\n')}`);
    }
    assert.deepEqual(parsed, events, signature);
  }
});

test('EventParser reads a failed usd1 transaction without throwing', async () => {
  const logs = await logsOf(fixture.failed);
  assert.ok(logs.some((l) => l.startsWith(`Program ${fixture.program} failed: custom program error`)), logs.join('\n'));
  assert.deepEqual([...parser.parseLogs(logs)], []);
});

test('addEventListener hears the Minted event of a usd1 CLI mint over the websocket', async () => {
  let listener;
  const heard = new Promise((resolve) => {
    listener = program.addEventListener('minted', (event, slot, signature) =>
      resolve({ event, slot, signature }),
    );
  });
  // Give the subscription a moment to be in place before the mint.
  await new Promise((r) => setTimeout(r, 500));
  const holder = Keypair.fromSecretKey(Uint8Array.from(fixture.holder)).publicKey.toBase58();
  execFileSync(fixture.usd1, [
    '-u', fixture.rpc, '-k', fixture.minterKeypair,
    'mint', '7', '--to', holder, '--mint', fixture.mint,
  ]);
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no Minted event')), 20000));
  const { event, signature } = await Promise.race([heard, timeout]);
  await program.removeEventListener(listener);
  assert.equal(event.mint.toBase58(), fixture.mint);
  assert.equal(event.destination.toBase58(), fixture.holderAccount);
  assert.equal(event.amount.toString(), String(7 * 10 ** fixture.decimals));
  assert.match(signature, /^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
});

// The websocket stays open while the connection lives; close it so node exits.
test.after(() => {
  connection._rpcWebSocket.close();
});
