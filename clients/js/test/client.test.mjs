// The generated client judged against the Rust client and the program
// (started by tests/tests/localnet/stock_clients.rs, USD1_NODE_FIXTURE):
// every instruction it builds is byte-identical to the Rust client's for the
// same inputs (accounts, roles, data); every account, event and error in the
// IDL decodes as the program wrote it; a mint, a transfer with a reference,
// a redemption request and a freeze built with it land on usd1-localnet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  AccountRole,
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createNoopSigner,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  getAddressEncoder,
  getProgramDerivedAddress,
  getU64Encoder,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from '@solana/kit';

const client = createRequire(import.meta.url)('../dist/index.js');
const fixture = JSON.parse(readFileSync(process.env.USD1_NODE_FIXTURE, 'utf8'));
const idl = JSON.parse(readFileSync(new URL('../../../idl/usd1.json', import.meta.url), 'utf8'));
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()).replace(/^./, (c) => c.toLowerCase());
const pascal = (s) => camel(s).replace(/^./, (c) => c.toUpperCase());
const bytes = (b64) => Uint8Array.from(Buffer.from(b64, 'base64'));
const role = (signer, writable) =>
  signer ? (writable ? AccountRole.WRITABLE_SIGNER : AccountRole.READONLY_SIGNER)
         : (writable ? AccountRole.WRITABLE : AccountRole.READONLY);

test('every instruction is byte-identical to the Rust client\'s for the same inputs', () => {
  const built = new Set();
  for (const rust of fixture.instructions) {
    const spec = idl.instructions.find((i) => i.name === rust.name);
    assert.ok(spec, rust.name);
    const name = pascal(rust.name);
    // The same inputs: the Rust instruction's accounts by their IDL names,
    // its arguments as the generated decoder reads its data.
    const args = client[`get${name}InstructionDataDecoder`]().decode(bytes(rust.data));
    const input = { ...args };
    spec.accounts.forEach((account, i) => {
      const key = address(rust.accounts[i].address);
      input[camel(account.name)] = account.signer ? createNoopSigner(key) : key;
    });
    const ix = client[`get${name}Instruction`](input);
    assert.equal(ix.programAddress, rust.programAddress, rust.name);
    assert.deepEqual(
      ix.accounts.map((a) => [a.address, a.role]),
      rust.accounts.map((a) => [a.address, role(a.signer, a.writable)]),
      rust.name,
    );
    assert.deepEqual(Buffer.from(ix.data).toString('base64'), rust.data, rust.name);
    built.add(rust.name);
  }
  assert.deepEqual([...built].sort(), idl.instructions.map((i) => i.name).sort());
});

test('every account, event and error in the IDL decodes as the program wrote it', () => {
  const accounts = new Set();
  for (const account of fixture.accounts) {
    const name = pascal(account.name);
    const data = bytes(account.data);
    const decoded = client[`get${name}Decoder`]().decode(data);
    const again = client[`get${name}Encoder`]().encode(decoded);
    assert.deepEqual(Buffer.from(data.subarray(0, again.length)), Buffer.from(again), account.name);
    accounts.add(account.name);
  }
  assert.deepEqual([...accounts].sort(), idl.accounts.map((a) => camel(a.name)).sort());
  const config = client.getConfigDecoder().decode(bytes(fixture.accounts.find((a) => a.name === 'config').data));
  assert.equal(config.mint, fixture.mint);

  const events = new Set();
  for (const event of fixture.events) {
    const spec = idl.events.find((e) => e.name === event.name);
    assert.ok(spec, event.name);
    const data = bytes(event.data);
    // After the self-CPI's 8-byte tag: the event's discriminator, then its fields.
    const body = data.subarray(8);
    assert.deepEqual([...body.subarray(0, 8)], spec.discriminator, event.name);
    const decoded = client[`get${event.name}EventDecoder`]().decode(body);
    const again = client[`get${event.name}EventEncoder`]().encode(decoded);
    assert.deepEqual(Buffer.from(again), Buffer.from(body), event.name);
    events.add(event.name);
  }
  assert.deepEqual([...events].sort(), idl.events.map((e) => e.name).sort());

  for (const error of idl.errors) {
    assert.equal(client.getUsd1ErrorMessage(error.code), error.msg, error.name);
  }
});

test('a mint, a transfer with a reference, a redemption request and a freeze land', async () => {
  const rpc = createSolanaRpc(fixture.rpc);
  const send = sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions: createSolanaRpcSubscriptions(fixture.ws) });
  const land = async (payer, instructions) => {
    const { value: blockhash } = await rpc.getLatestBlockhash().send();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    await send(await signTransactionMessageWithSigners(message), { commitment: 'confirmed' });
  };
  const program = client.USD1_PROGRAM_ADDRESS;
  const [eventAuthority] = await getProgramDerivedAddress({ programAddress: program, seeds: ['__event_authority'] });
  const mint = address(fixture.mint);
  const tokenProgram = address(fixture.tokenProgram);
  const [config] = await client.findConfigPda({ mint });
  const ata = async (owner) => (await getProgramDerivedAddress({
    programAddress: address('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL'),
    seeds: [getAddressEncoder().encode(owner), getAddressEncoder().encode(tokenProgram), getAddressEncoder().encode(mint)],
  }))[0];
  const minter = await createKeyPairSignerFromBytes(Uint8Array.from(fixture.minter));
  const holder = await createKeyPairSignerFromBytes(Uint8Array.from(fixture.holder));
  const freezer = await createKeyPairSignerFromBytes(Uint8Array.from(fixture.freezer));
  const holderAccount = await ata(holder.address);
  const balance = async (account) => BigInt((await rpc.getTokenAccountBalance(account).send()).value.amount);

  // A mint to the holder.
  const before = await balance(holderAccount);
  // The program checks the allowance by what it names (its config and
  // minter), so the client says which one: the generated PDA helper finds it.
  const [minterAllowance] = await client.findMinterAllowancePda({ config, minter: minter.address });
  await land(minter, [client.getMintToInstruction({
    minter, config, minterAllowance, mint, destination: holderAccount, tokenProgram, eventAuthority, program,
    amount: 7_000_000n,
  })]);
  assert.equal(await balance(holderAccount), before + 7_000_000n);

  // A transfer with a reference: Token-2022's transferChecked, the reference a read-only key.
  const minterAccount = await ata(minter.address);
  const reference = address(fixture.reference);
  const transfer = {
    programAddress: tokenProgram,
    accounts: [
      { address: holderAccount, role: AccountRole.WRITABLE },
      { address: mint, role: AccountRole.READONLY },
      { address: minterAccount, role: AccountRole.WRITABLE },
      { address: holder.address, role: AccountRole.READONLY_SIGNER, signer: holder },
      { address: reference, role: AccountRole.READONLY },
    ],
    data: Uint8Array.from([12, ...getU64Encoder().encode(1_000_000n), 6]),
  };
  await land(holder, [transfer]);
  const found = await rpc.getSignaturesForAddress(reference).send();
  assert.equal(found.length, 1);

  // A redemption request: its id from the Config the generated fetcher reads.
  const { data: state } = await client.fetchConfig(rpc, config);
  const id = state.nextRedemptionId;
  // The program takes the record's canonical bump rather than searching for
  // it: the PDA helper's second value.
  const [redemption, redemptionBump] = await getProgramDerivedAddress({
    programAddress: program,
    seeds: ['redemption', getAddressEncoder().encode(config), getU64Encoder().encode(id)],
  });
  const [disclosure] = await client.findDisclosurePda({ config });
  // The escrow is the one the Config names (the program checks it by has_one).
  assert.equal(state.escrow, (await client.findEscrowPda({ config }))[0]);
  await land(holder, [client.getRequestRedemptionInstruction({
    holder, config, disclosure, mint, source: holderAccount, escrow: state.escrow, redemption, tokenProgram, eventAuthority, program,
    amount: 10_000_000n, payoutRefSha256: new Uint8Array(32).fill(9), redemptionBump,
  })]);
  const request = await client.fetchRedemption(rpc, redemption);
  assert.equal(request.data.amount, 10_000_000n);
  assert.equal(request.data.holder, holder.address);

  // A freeze of the holder's account, citing its lawful basis.
  await land(freezer, [client.getFreezeInstruction({
    freezer, config, mint, tokenAccount: holderAccount, tokenProgram, eventAuthority, program,
    args: { reasonCode: 3, orderSha256: new Uint8Array(32).fill(4) },
  })]);
  const account = await rpc.getAccountInfo(holderAccount, { encoding: 'jsonParsed' }).send();
  assert.equal(account.value.data.parsed.info.state, 'frozen');
});
