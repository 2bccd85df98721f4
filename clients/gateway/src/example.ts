// Make an invoice, read it back, list a webhook's deliveries: the gateway's
// API through openapi-fetch, typed by the generated gateway.d.ts.
import createClient from "openapi-fetch";
import type { paths } from "./gateway.js";

const api = createClient<paths>({
  baseUrl: process.env.USD1_GATEWAY_URL ?? "http://127.0.0.1:8787",
  headers: { Authorization: `Bearer ${process.env.USD1_GATEWAY_API_KEY}` },
});

const made = await api.POST("/v1/invoices", { body: { amount: "12.50", memo: "order 1042" } });
if (!made.data) throw new Error(`create: ${made.error?.error.code}`);
const read = await api.GET("/v1/invoices/{id}", { params: { path: { id: made.data.id } } });
if (!read.data) throw new Error(`read: ${read.error?.error.code}`);
console.log(`invoice ${read.data.id} ${read.data.status} ${read.data.amount} ${read.data.url}`);

const hook = await api.POST("/v1/webhooks", {
  body: { url: process.env.USD1_WEBHOOK_URL ?? "https://example.com/usd1", events: ["invoice.paid"] },
});
if (!hook.data) throw new Error(`subscribe: ${hook.error?.error.code}`);
const deliveries = await api.GET("/v1/webhooks/{id}/deliveries", { params: { path: { id: hook.data.id } } });
if (!deliveries.data) throw new Error(`deliveries: ${deliveries.error?.error.code}`);
console.log(`webhook ${hook.data.id} ${deliveries.data.data.length} deliveries`);
