// What a stock Solana wallet does first, with the unmodified @solana/web3.js
// 1.x and @solana/spl-token 0.4, against usd1-localnet. Started by
// tests/tests/localnet/wallets.rs, which sets up a USD1 mint on each token program and
// passes it in the file named by USD1_NODE_FIXTURE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  Connection,
  Keypair,
  PublicKey,
  SendTransactionError,
  Transaction,
  sendAndConfirmTransaction,
} from '@solana/web3.js';
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createTransferCheckedInstruction,
  getAccount,
  getAssociatedTokenAddressSync,
  getMint,
  unpackAccount,
} from '@solana/spl-token';

const fixture = JSON.parse(readFileSync(process.env.USD1_NODE_FIXTURE, 'utf8'));
// No wsEndpoint: web3.js derives it as the RPC port + 1, as for solana-test-validator.
const connection = new Connection(fixture.rpc, 'confirmed');

for (const flavor of fixture.flavors) {
  const mint = new PublicKey(flavor.mint);
  const programId = new PublicKey(flavor.programId);
  const program = flavor.name === 'token-2022' ? 'spl-token-2022' : 'spl-token';

  test(`${flavor.name}: list, read, pay, see the payment, read the parsed transaction`, async () => {
    const holder = Keypair.fromSecretKey(Uint8Array.from(flavor.holder));

    // The wallet's token list.
    const listed = await connection.getParsedTokenAccountsByOwner(holder.publicKey, { mint });
    assert.equal(listed.value.length, 1);
    const { parsed } = listed.value[0].account.data;
    assert.equal(listed.value[0].account.data.program, program);
    assert.equal(parsed.type, 'account');
    assert.equal(parsed.info.mint, flavor.mint);
    assert.equal(parsed.info.owner, holder.publicKey.toBase58());
    assert.equal(parsed.info.state, 'initialized');
    assert.equal(parsed.info.tokenAmount.amount, flavor.held);
    assert.equal(parsed.info.tokenAmount.decimals, flavor.decimals);
    assert.equal(parsed.info.tokenAmount.uiAmountString, '500');
    const byProgram = await connection.getParsedTokenAccountsByOwner(holder.publicKey, { programId });
    assert.equal(byProgram.value.length, 1);

    // The mint, parsed and through spl-token.
    const mintAccount = await connection.getParsedAccountInfo(mint);
    assert.equal(mintAccount.value.data.program, program);
    assert.equal(mintAccount.value.data.parsed.type, 'mint');
    assert.equal(mintAccount.value.data.parsed.info.mintAuthority, flavor.config);
    assert.equal(mintAccount.value.data.parsed.info.freezeAuthority, flavor.config);
    assert.equal(mintAccount.value.data.parsed.info.supply, flavor.supply);
    const mintInfo = await getMint(connection, mint, 'confirmed', programId);
    assert.equal(mintInfo.decimals, flavor.decimals);
    assert.equal(mintInfo.supply.toString(), flavor.supply);
    const supply = await connection.getTokenSupply(mint);
    assert.equal(supply.value.amount, flavor.supply);

    // Pay a new recipient 12.5, creating its associated account.
    const recipient = Keypair.generate().publicKey;
    const source = getAssociatedTokenAddressSync(mint, holder.publicKey, false, programId);
    const destination = getAssociatedTokenAddressSync(mint, recipient, false, programId);
    const amount = 12_500_000n;
    const arrived = new Promise((resolve) => {
      const id = connection.onAccountChange(
        destination,
        (account) => {
          connection.removeAccountChangeListener(id);
          resolve(account);
        },
        { commitment: 'confirmed' },
      );
    });
    // Let the subscription reach the node before the payment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const payment = new Transaction().add(
      createAssociatedTokenAccountIdempotentInstruction(holder.publicKey, destination, recipient, mint, programId),
      createTransferCheckedInstruction(source, mint, destination, holder.publicKey, amount, flavor.decimals, [], programId),
    );
    const signature = await sendAndConfirmTransaction(connection, payment, [holder], { commitment: 'confirmed' });

    // The payment, as the wallet's websocket saw it.
    const seen = unpackAccount(destination, await arrived, programId);
    assert.equal(seen.amount, amount);
    assert.equal(seen.owner.toBase58(), recipient.toBase58());
    assert.equal((await getAccount(connection, destination, 'confirmed', programId)).amount, amount);
    const balance = await connection.getTokenAccountBalance(source);
    assert.equal(balance.value.amount, (BigInt(flavor.held) - amount).toString());

    // The parsed transaction with its token balances.
    const tx = await connection.getParsedTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    assert.equal(tx.meta.err, null);
    const transfer = tx.transaction.message.instructions[1];
    // Agave names instructions of both token programs "spl-token" (accounts: "spl-token-2022").
    assert.equal(transfer.program, 'spl-token');
    assert.equal(transfer.programId.toBase58(), flavor.programId);
    assert.equal(transfer.parsed.type, 'transferChecked');
    assert.equal(transfer.parsed.info.tokenAmount.amount, amount.toString());
    assert.equal(transfer.parsed.info.destination, destination.toBase58());
    const created = tx.transaction.message.instructions[0];
    assert.equal(created.program, 'spl-associated-token-account');
    const after = (owner) => tx.meta.postTokenBalances.find((b) => b.owner === owner.toBase58());
    const before = (owner) => tx.meta.preTokenBalances.find((b) => b.owner === owner.toBase58());
    assert.equal(after(recipient).uiTokenAmount.amount, amount.toString());
    assert.equal(after(recipient).mint, flavor.mint);
    assert.equal(after(recipient).programId, flavor.programId);
    assert.equal(before(recipient), undefined, 'the recipient had no account before');
    assert.equal(before(holder.publicKey).uiTokenAmount.amount, flavor.held);
    assert.equal(after(holder.publicKey).uiTokenAmount.amount, (BigInt(flavor.held) - amount).toString());
  });

  test(`${flavor.name}: a transfer from a frozen account is refused with the token program's error`, async () => {
    const frozen = Keypair.fromSecretKey(Uint8Array.from(flavor.frozenOwner));
    const source = getAssociatedTokenAddressSync(mint, frozen.publicKey, false, programId);
    const listed = await connection.getParsedTokenAccountsByOwner(frozen.publicKey, { mint });
    assert.equal(listed.value[0].account.data.parsed.info.state, 'frozen');

    const recipient = Keypair.generate().publicKey;
    const destination = getAssociatedTokenAddressSync(mint, recipient, false, programId);
    const payment = new Transaction().add(
      createAssociatedTokenAccountIdempotentInstruction(frozen.publicKey, destination, recipient, mint, programId),
      createTransferCheckedInstruction(source, mint, destination, frozen.publicKey, 1_000_000n, flavor.decimals, [], programId),
    );
    await assert.rejects(
      sendAndConfirmTransaction(connection, payment, [frozen], { commitment: 'confirmed' }),
      (error) => {
        assert.ok(error instanceof SendTransactionError, String(error));
        // TokenError::AccountFrozen is custom error 17 on both token programs.
        assert.match(error.message, /custom program error: 0x11/);
        assert.ok(
          error.logs.some((line) => line.includes('Account is frozen')),
          error.logs.join('\n'),
        );
        return true;
      },
    );
    // Nothing moved: the frozen account keeps its tokens, the recipient has no account.
    const balance = await connection.getTokenAccountBalance(source);
    assert.equal(balance.value.amount, flavor.frozenHeld);
    assert.equal(await connection.getAccountInfo(destination), null);
  });
}

// A wallet whose user takes a few seconds to approve signs with a blockhash
// fetched before: it must still land, as on a cluster (150 blocks, a minute).
test('a transfer signed with a blockhash fetched 3 seconds earlier lands', async () => {
  const flavor = fixture.flavors[0];
  const mint = new PublicKey(flavor.mint);
  const programId = new PublicKey(flavor.programId);
  const holder = Keypair.fromSecretKey(Uint8Array.from(flavor.holder));
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash('confirmed');
  // The user reads the request while the wallet keeps polling the node.
  const until = Date.now() + 3_000;
  while (Date.now() < until) {
    await connection.getSlot('confirmed');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok((await connection.getBlockHeight('confirmed')) <= lastValidBlockHeight);
  assert.equal((await connection.isBlockhashValid(blockhash, { commitment: 'confirmed' })).value, true);
  const recipient = Keypair.generate().publicKey;
  const source = getAssociatedTokenAddressSync(mint, holder.publicKey, false, programId);
  const destination = getAssociatedTokenAddressSync(mint, recipient, false, programId);
  const payment = new Transaction({ feePayer: holder.publicKey, blockhash, lastValidBlockHeight }).add(
    createAssociatedTokenAccountIdempotentInstruction(holder.publicKey, destination, recipient, mint, programId),
    createTransferCheckedInstruction(source, mint, destination, holder.publicKey, 1_000_000n, flavor.decimals, [], programId),
  );
  payment.sign(holder);
  const signature = await connection.sendRawTransaction(payment.serialize());
  const confirmed = await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight }, 'confirmed');
  assert.equal(confirmed.value.err, null);
  assert.equal((await connection.getTokenAccountBalance(destination)).value.amount, '1000000');
});

// The websocket stays open while the connection lives; close it so node exits.
test.after(() => {
  connection._rpcWebSocket.close();
});
