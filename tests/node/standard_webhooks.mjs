// The Standard Webhooks library (npm `standardwebhooks`), unchanged, as a
// receiver runs it: for each case of the JSON file named by argv[2]
// ({secret, body, headers}), one line: "ok", or the library's refusal.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const c of cases) {
  try {
    new Webhook(c.secret).verify(c.body, c.headers);
    console.log("ok");
  } catch (e) {
    console.log(`refused: ${e.message}`);
  }
}
