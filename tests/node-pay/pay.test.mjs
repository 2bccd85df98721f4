// Stock @solana/pay 1.0.16 (built on @solana/kit 6), unchanged, as a wallet
// and a merchant run it against the gateway's invoices on usd1-localnet:
// parseURL reads every field of each invoice URL; createTransfer builds the
// Token-2022 payment a wallet sends; findReference finds it by the
// invoice's reference and validateTransfer accepts it, and refuses it as
// payment of more than was paid or in another mint. Started by
// tests/tests/gateway/solana_pay.rs (USD1_NODE_FIXTURE); it writes the
// signature it sent to the fixture's `out` file for the gateway's side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  getSignatureFromTransaction,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from '@solana/kit';
import { createTransfer, findReference, parseURL, validateTransfer } from '@solana/pay';

const fixture = JSON.parse(readFileSync(process.env.USD1_NODE_FIXTURE, 'utf8'));

test('parseURL reads every field of the invoice URLs the gateway makes', () => {
  for (const invoice of fixture.invoices) {
    const parsed = parseURL(invoice.url);
    assert.equal(parsed.recipient, invoice.recipient, invoice.url);
    assert.equal(parsed.amount, Number(invoice.amount), invoice.url);
    assert.equal(parsed.splToken, fixture.mint, invoice.url);
    assert.deepEqual(parsed.reference, [invoice.reference], invoice.url);
    assert.equal(parsed.label, invoice.label ?? undefined, invoice.url);
    assert.equal(parsed.message, invoice.message ?? undefined, invoice.url);
    assert.equal(parsed.memo, invoice.memo ?? undefined, invoice.url);
  }
});

test('createTransfer pays an invoice; findReference and validateTransfer judge it', async () => {
  const rpc = createSolanaRpc(fixture.rpc);
  const rpcSubscriptions = createSolanaRpcSubscriptions(fixture.ws);
  const payer = await createKeyPairSignerFromBytes(Uint8Array.from(fixture.payer));
  const invoice = fixture.invoices[0];
  const { recipient, amount, splToken, reference, memo } = parseURL(invoice.url);
  const fields = { recipient, amount, splToken, reference, memo };
  const instructions = await createTransfer(rpc, payer, fields);
  const { value: blockhash } = await rpc.getLatestBlockhash().send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  await sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions })(signed, { commitment: 'confirmed' });
  const signature = getSignatureFromTransaction(signed);
  writeFileSync(fixture.out, signature);

  const found = await findReference(rpc, reference[0], { commitment: 'confirmed' });
  assert.equal(found.signature, signature);
  await validateTransfer(rpc, signature, fields);
  await assert.rejects(
    validateTransfer(rpc, signature, { ...fields, amount: amount + 0.01 }),
    { name: 'ValidateTransferError', message: 'amount not transferred' },
    'an underpayment',
  );
  await assert.rejects(
    validateTransfer(rpc, signature, { ...fields, splToken: address(fixture.otherMint) }),
    { name: 'ValidateTransferError' },
    'another mint',
  );
});
