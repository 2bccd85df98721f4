// What the generated types refuse: tsc fails if a line expected to be an
// error type-checks, so the contract's shapes reach the compiler.
import createClient from "openapi-fetch";
import type { paths, webhooks } from "./gateway.js";

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8787" });

export async function misuse() {
  // @ts-expect-error an amount is a decimal string, never a number
  await api.POST("/v1/invoices", { body: { amount: 12.5 } });
  // @ts-expect-error the amount is required
  await api.POST("/v1/invoices", { body: { memo: "order 1042" } });
  // @ts-expect-error an event kind the gateway does not send
  await api.POST("/v1/webhooks", { body: { url: "https://example.com", events: ["invoice.refunded"] } });
  // @ts-expect-error no such path
  await api.GET("/v1/invoice/{id}", { params: { path: { id: "inv_1" } } });
  const made = await api.POST("/v1/invoices", { body: { amount: "1" } });
  // @ts-expect-error a status the invoice never has
  if (made.data?.status === "refunded") return;
}

/// A receiver's handler, typed by the contract's webhooks.
export function onPaid(event: NonNullable<webhooks["invoice.paid"]["post"]["requestBody"]>["content"]["application/json"]) {
  const units: string = event.data.invoice.amount_units;
  // @ts-expect-error the payment may be null (an expiry has none)
  const signature: string = event.data.payment.signature;
  return [units, signature];
}
