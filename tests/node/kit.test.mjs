// Stock @solana/kit 7 and @solana-program/token-2022 0.15 against
// usd1-localnet: a wallet built on the new client sends a Token-2022
// transferChecked with sendAndConfirmTransactionFactory (which watches slots
// and block height over the websocket) and reads the account jsonParsed.
// Started by tests/tests/localnet/stock_clients.rs (USD1_NODE_FIXTURE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  generateKeyPairSigner,
  getSignatureFromTransaction,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from '@solana/kit';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getTransferCheckedInstruction,
} from '@solana-program/token-2022';

const fixture = JSON.parse(readFileSync(process.env.USD1_NODE_FIXTURE, 'utf8'));

test('kit: transferChecked with sendAndConfirmTransactionFactory, then the account jsonParsed', async () => {
  const rpc = createSolanaRpc(fixture.rpc);
  const rpcSubscriptions = createSolanaRpcSubscriptions(fixture.ws);
  const holder = await createKeyPairSignerFromBytes(Uint8Array.from(fixture.holder));
  const recipient = await generateKeyPairSigner();
  const mint = address(fixture.mint);
  const tokenProgram = address(fixture.tokenProgram);
  const [source] = await findAssociatedTokenPda({ owner: holder.address, mint, tokenProgram });
  assert.equal(source, fixture.holderAccount);
  const [destination] = await findAssociatedTokenPda({ owner: recipient.address, mint, tokenProgram });
  const amount = 12_500_000n; // 12.5 at 6 decimals

  const { value: latestBlockhash } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(holder, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    (m) =>
      appendTransactionMessageInstructions(
        [
          getCreateAssociatedTokenIdempotentInstruction({
            payer: holder,
            ata: destination,
            owner: recipient.address,
            mint,
            tokenProgram,
          }),
          getTransferCheckedInstruction({
            source,
            mint,
            destination,
            authority: holder,
            amount,
            decimals: fixture.decimals,
          }),
        ],
        m,
      ),
  );
  const signed = await signTransactionMessageWithSigners(message);
  await sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions })(signed, { commitment: 'confirmed' });

  const { value: account } = await rpc
    .getAccountInfo(destination, { encoding: 'jsonParsed', commitment: 'confirmed' })
    .send();
  assert.equal(account.owner, fixture.tokenProgram);
  assert.equal(account.data.program, 'spl-token-2022');
  assert.equal(account.data.parsed.type, 'account');
  assert.equal(account.data.parsed.info.mint, fixture.mint);
  assert.equal(account.data.parsed.info.owner, recipient.address);
  assert.equal(account.data.parsed.info.tokenAmount.amount, amount.toString());
  assert.equal(account.data.parsed.info.tokenAmount.uiAmountString, '12.5');

  const signature = getSignatureFromTransaction(signed);
  const [status] = (await rpc.getSignatureStatuses([signature]).send()).value;
  assert.equal(status.err, null);
  assert.equal(status.confirmationStatus, 'finalized');
});
