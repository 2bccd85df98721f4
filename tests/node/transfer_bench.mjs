// A well-written stock @solana/web3.js payout: one transferChecked per
// transaction, 32 in flight, each confirmed by polling getSignatureStatuses,
// the blockhash refreshed every 2 s. Started by tests/examples/pay_bench.rs
// with the file named by USD1_NODE_FIXTURE:
// {rpc, payer: [secret key bytes], mint, programId, decimals, amount, recipients: [...], inFlight}.
// Prints one JSON line: {"sent": N, "seconds": S}.
import { readFileSync } from 'node:fs';
import { Connection, Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { createTransferCheckedInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';

const fixture = JSON.parse(readFileSync(process.env.USD1_NODE_FIXTURE, 'utf8'));
const connection = new Connection(fixture.rpc, 'confirmed');
const payer = Keypair.fromSecretKey(Uint8Array.from(fixture.payer));
const mint = new PublicKey(fixture.mint);
const programId = new PublicKey(fixture.programId);
const source = getAssociatedTokenAddressSync(mint, payer.publicKey, false, programId);

let blockhash = (await connection.getLatestBlockhash('confirmed')).blockhash;
const refresh = setInterval(async () => {
  blockhash = (await connection.getLatestBlockhash('confirmed')).blockhash;
}, 2000);

const queue = fixture.recipients.map((r) => new PublicKey(r));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(recipient) {
  const destination = getAssociatedTokenAddressSync(mint, recipient, true, programId);
  const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(
    createTransferCheckedInstruction(source, mint, destination, payer.publicKey,
      BigInt(fixture.amount), fixture.decimals, [], programId),
  );
  tx.sign(payer);
  const signature = await connection.sendRawTransaction(tx.serialize());
  for (;;) {
    const { value } = await connection.getSignatureStatuses([signature]);
    const status = value[0];
    if (status && status.err) throw new Error(`${signature} failed: ${JSON.stringify(status.err)}`);
    if (status && (status.confirmationStatus === 'confirmed' || status.confirmationStatus === 'finalized')) return;
    await sleep(20);
  }
}

const started = process.hrtime.bigint();
let sent = 0;
await Promise.all(Array.from({ length: fixture.inFlight }, async () => {
  for (let next = queue.shift(); next; next = queue.shift()) {
    await send(next);
    sent += 1;
  }
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(refresh);
console.log(JSON.stringify({ sent, seconds }));
